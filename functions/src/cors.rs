//! Cross-origin calls from browsers (`ADVISOR_CORS_ORIGINS`), refused unless the origin is
//! named. Answered here, before any function runs, so every HTTP function follows one rule:
//! a preflight (`OPTIONS` with `Access-Control-Request-Method`) gets its grant or a 403, and an
//! allowed origin's answers say it may read them, with the headers apps need exposed.

use shared::protocol::{HttpRequest, HttpResponse};
use shared::settings::CorsOrigins;

use crate::problem::ApiError;

/// The methods the API answers to.
const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";

/// The request headers a browser app may send.
const ALLOW_HEADERS: &str =
    "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, X-API-Key";

/// The answer headers a browser app may read besides the safelisted ones.
const EXPOSE_HEADERS: &str = "ETag, Location, Retry-After, X-Request-Id";

/// How long a browser may cache a preflight's answer, in seconds.
const MAX_AGE_SECONDS: &str = "600";

/// The CORS side of one HTTP request.
#[derive(Debug)]
pub struct Cors {
    /// The request's `Origin`, when it is one the settings allow.
    allowed_origin: Option<String>,
    /// Whether the request came from a browser page of another origin at all.
    cross_origin: bool,
    preflight: bool,
}

impl Cors {
    /// Reads `http`'s `Origin` against `origins`.
    pub fn of(origins: &CorsOrigins, http: &HttpRequest) -> Self {
        let origin = http.header("origin");
        Self {
            allowed_origin: origin.filter(|o| origins.allows(o)).map(str::to_owned),
            cross_origin: origin.is_some(),
            preflight: http.method.eq_ignore_ascii_case("OPTIONS")
                && http.header("access-control-request-method").is_some(),
        }
    }

    /// The answer to a preflight, which no function sees; `None` for any other request.
    pub fn preflight(&self) -> Option<HttpResponse> {
        if !self.preflight {
            return None;
        }
        Some(match &self.allowed_origin {
            Some(origin) => HttpResponse::new(204, "text/plain", "")
                .with_header("Access-Control-Allow-Origin", origin.clone())
                .with_header("Access-Control-Allow-Methods", ALLOW_METHODS)
                .with_header("Access-Control-Allow-Headers", ALLOW_HEADERS)
                .with_header("Access-Control-Max-Age", MAX_AGE_SECONDS)
                .with_header("Vary", "Origin"),
            None => ApiError::forbidden(if self.cross_origin {
                "this origin may not call the API: ask the operator to add it to ADVISOR_CORS_ORIGINS"
            } else {
                "a CORS preflight needs an Origin header"
            })
            .into_response(),
        })
    }

    /// The headers every answer to an allowed origin carries (none for other requests).
    pub fn response_headers(&self) -> Vec<(&'static str, &str)> {
        match &self.allowed_origin {
            Some(origin) => vec![
                ("Access-Control-Allow-Origin", origin.as_str()),
                ("Access-Control-Expose-Headers", EXPOSE_HEADERS),
                ("Vary", "Origin"),
            ],
            None => Vec::new(),
        }
    }
}
