//! The public HTTP side of the local host: `http://127.0.0.1:7071/{routePrefix}/{route}` for
//! every HTTP trigger, with route templates and methods. Each request becomes the `Data`/
//! `Metadata` invocation the real host would send — including its habit of dropping the body
//! of a request without `Content-Length` (G10).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use shared::protocol::HttpRequest;
use shared::protocol::host::{self, Sys};

use super::definitions::{FunctionDef, Trigger};
use super::invoker::Invoker;
use super::routes::{RouteTemplate, percent_decode};

/// The host's limit on an HTTP request body (Azure Functions: 100 MB).
const MAX_BODY_BYTES: usize = 100 * 1024 * 1024;

/// One HTTP-triggered function.
#[derive(Debug)]
pub struct HttpRoute {
    template: RouteTemplate,
    literal_segments: usize,
    function: Arc<FunctionDef>,
    binding: String,
    methods: Vec<String>,
}

/// Everything the HTTP side needs.
#[derive(Debug)]
pub struct HttpFront {
    /// `api` by default.
    pub prefix: String,
    /// Routes, most specific first.
    pub routes: Vec<HttpRoute>,
    /// The handler.
    pub invoker: Invoker,
}

impl HttpFront {
    /// The front for `functions`' HTTP triggers.
    pub fn new<'a>(
        prefix: &str,
        functions: impl IntoIterator<Item = &'a Arc<FunctionDef>>,
        invoker: Invoker,
    ) -> Result<Self, String> {
        let mut routes = Vec::new();
        for function in functions {
            if let Trigger::Http {
                binding,
                route,
                methods,
            } = &function.trigger
            {
                let template =
                    RouteTemplate::parse(route).map_err(|e| format!("{}: {e}", function.name))?;
                let literal_segments = route
                    .split('/')
                    .filter(|s| !s.is_empty() && !s.starts_with('{'))
                    .count();
                routes.push(HttpRoute {
                    template,
                    literal_segments,
                    function: Arc::clone(function),
                    binding: binding.clone(),
                    methods: methods.clone(),
                });
            }
        }
        // More literal segments first, as ASP.NET's route precedence prefers them.
        routes.sort_by_key(|r| std::cmp::Reverse(r.literal_segments));
        Ok(Self {
            prefix: prefix.to_owned(),
            routes,
            invoker,
        })
    }
}

/// Serves one request.
pub async fn handle(State(front): State<Arc<HttpFront>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let Some(route_path) = strip_prefix(&path, &front.prefix) else {
        return problem(StatusCode::NOT_FOUND, "no function is served at this path");
    };
    let Some((route, params)) = front
        .routes
        .iter()
        .find_map(|r| r.template.matches(route_path).map(|p| (r, p)))
    else {
        return problem(StatusCode::NOT_FOUND, "no function is served at this path");
    };
    let method = request.method().as_str().to_ascii_uppercase();
    if !route.methods.is_empty() && !route.methods.contains(&method) {
        return problem(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!(
                "{} accepts {}",
                route.function.name,
                route.methods.join(", ")
            ),
        );
    }
    let http = match to_host_request(request, params).await {
        Ok(http) => http,
        Err(response) => return response,
    };
    let invocation = host::http_invocation(&route.binding, &http, &Sys::now(&route.function.name));
    match front.invoker.invoke(&route.function, &invocation).await {
        Ok(Some(output)) => {
            let mut response = Response::new(Body::from(output.body));
            *response.status_mut() =
                StatusCode::from_u16(output.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            for (name, value) in output.headers {
                if let (Ok(name), Ok(value)) =
                    (HeaderName::try_from(name), HeaderValue::try_from(value))
                {
                    response.headers_mut().append(name, value);
                }
            }
            response
        }
        Ok(None) => StatusCode::OK.into_response(),
        Err(error) => {
            tracing::error!(function = %route.function.name, %error, "HTTP invocation failed");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("the function failed: {error}"),
            )
        }
    }
}

fn strip_prefix<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let path = path.trim_start_matches('/');
    if prefix.is_empty() {
        return Some(path);
    }
    let head = path.get(..prefix.len())?;
    let rest = &path[prefix.len()..];
    (head.eq_ignore_ascii_case(prefix) && (rest.is_empty() || rest.starts_with('/')))
        .then_some(rest)
}

/// Builds `Data.<binding>` as `HttpRequest.GetRequestAsJObject()` does.
async fn to_host_request(
    request: Request,
    params: BTreeMap<String, String>,
) -> Result<HttpRequest, Response> {
    let (parts, body) = request.into_parts();
    let host_name = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in &parts.headers {
        headers
            .entry(name.as_str().to_owned())
            .or_default()
            .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
    }
    let content_length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let bytes = to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
        problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is over the host's 100 MB limit",
        )
    })?;
    let mut http = HttpRequest {
        url: format!(
            "http://{host_name}{}",
            parts.uri.path_and_query().map_or("/", |p| p.as_str())
        ),
        method: parts.method.as_str().to_owned(),
        query: parse_query(parts.uri.query().unwrap_or("")),
        headers,
        params,
        identities: vec![anonymous_identity()],
        body: None,
    };
    if content_length > 0 {
        http.body = Some(if http.body_is_base64() {
            BASE64.encode(&bytes)
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        });
    }
    Ok(http)
}

/// Query values, a repeated key comma-joined (`StringValues.ToString()`).
fn parse_query(query: &str) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| percent_decode(&s.replace('+', " ")).unwrap_or_else(|| s.to_owned());
        values.entry(decode(key)).or_default().push(decode(value));
    }
    values.into_iter().map(|(k, v)| (k, v.join(","))).collect()
}

fn anonymous_identity() -> Value {
    json!({
        "AuthenticationType": null, "IsAuthenticated": false, "Actor": null,
        "BootstrapContext": null, "Claims": [], "Label": null, "Name": null,
        "NameClaimType": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "RoleClaimType": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
    })
}

/// A problem+json answer of the local host's own (not a function's).
pub(super) fn problem(status: StatusCode, detail: &str) -> Response {
    let body = json!({"type": "about:blank", "title": status.canonical_reason().unwrap_or(""), "status": status.as_u16(), "detail": detail});
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_query_keys_are_comma_joined_and_decoded() {
        let query = parse_query("a=1&a=2&q=red+shirt&x=%C3%A9");
        assert_eq!(query["a"], "1,2");
        assert_eq!(query["q"], "red shirt");
        assert_eq!(query["x"], "é");
    }

    #[test]
    fn the_route_prefix_is_matched_whole_and_case_insensitively() {
        assert_eq!(strip_prefix("/api/products", "api"), Some("/products"));
        assert_eq!(strip_prefix("/API/products", "api"), Some("/products"));
        assert_eq!(strip_prefix("/apix/products", "api"), None);
    }
}
