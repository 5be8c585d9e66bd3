//! Invoking a handler as the Functions host does — a chunked JSON POST to `/{FunctionName}` —
//! and carrying out what it answers: the HTTP response, Service Bus messages and blobs, each
//! converted by the host's own rules (§3), quirks included, so that what works here works in
//! Azure.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};
use shared::protocol::{InvocationRequest, InvocationResponse, decode_scalar, host};

use super::definitions::{FunctionDef, OutputKind};
use super::queue::NewMessage;
use super::queues::Queues;

/// Why an invocation failed, in the host's terms.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The handler could not be reached.
    #[error("the handler did not answer: {0}")]
    Unreachable(String),
    /// The handler answered non-2xx: a failed invocation.
    #[error("the handler answered {status}: {body}")]
    Failed {
        /// The status.
        status: u16,
        /// The start of its body.
        body: String,
    },
    /// The handler answered 2xx with something the host cannot read.
    #[error("invalid handler response: {0}")]
    BadResponse(String),
    /// An output binding could not be carried out.
    #[error("output binding `{binding}`: {reason}")]
    Output {
        /// The binding.
        binding: String,
        /// Why.
        reason: String,
    },
}

/// The HTTP response an HTTP output binding produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOutput {
    /// Status code.
    pub status: u16,
    /// Headers, as the handler set them.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// Sends invocations to the handler and applies their outputs.
#[derive(Debug, Clone)]
pub struct Invoker {
    client: reqwest::Client,
    handler_url: String,
    queues: Arc<Queues>,
    blob_root: PathBuf,
    timeout: Duration,
}

impl Invoker {
    /// An invoker for the handler at `handler_url`, writing blobs under `blob_root`.
    pub fn new(
        handler_url: &str,
        queues: Arc<Queues>,
        blob_root: &Path,
        function_timeout: Duration,
    ) -> Self {
        Self {
            client: reqwest::Client::new(),
            handler_url: handler_url.trim_end_matches('/').to_owned(),
            queues,
            blob_root: blob_root.to_owned(),
            // The host's HTTP client times out a minute after functionTimeout (§1.4).
            timeout: function_timeout + Duration::from_secs(60),
        }
    }

    /// Invokes `function`, applies its Service Bus and blob outputs, and returns its HTTP
    /// output if it has one. An output that cannot be applied fails the invocation.
    pub async fn invoke(
        &self,
        function: &FunctionDef,
        request: &InvocationRequest,
    ) -> Result<Option<HttpOutput>, InvokeError> {
        let response = self.post(&function.name, request).await?;
        shared::crash::point_in("host.after_handler", &function.name);
        let mut http = None;
        for output in &function.outputs {
            let value = if output.name == "$return" {
                Some(&response.return_value)
            } else {
                response.outputs.get(&output.name)
            };
            match &output.kind {
                OutputKind::Http => {
                    http = Some(
                        http_output(value).map_err(|reason| output_error(&output.name, reason))?,
                    )
                }
                OutputKind::ServiceBus { queue } => {
                    let messages = value.map(service_bus_messages).unwrap_or_default();
                    if !messages.is_empty() {
                        let batch = messages.into_iter().map(NewMessage::new).collect();
                        self.queues
                            .send_batch(queue, batch)
                            .await
                            .map_err(|e| output_error(&output.name, e.to_string()))?;
                    }
                }
                OutputKind::Blob { path } => {
                    if let Some(value) = value.filter(|v| !v.is_null()) {
                        self.write_blob(path, value, &request.metadata)
                            .await
                            .map_err(|reason| output_error(&output.name, reason))?;
                    }
                }
            }
        }
        for line in &response.logs {
            tracing::info!(function = %function.name, "{line}");
        }
        shared::crash::point_in("host.after_outputs", &function.name);
        Ok(http)
    }

    async fn post(
        &self,
        function: &str,
        request: &InvocationRequest,
    ) -> Result<InvocationResponse, InvokeError> {
        let body =
            serde_json::to_vec(request).map_err(|e| InvokeError::BadResponse(e.to_string()))?;
        // A stream body goes out chunked, without Content-Length, as the host sends it (§2.1).
        let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
        let mut call = self
            .client
            .post(format!("{}/{function}", self.handler_url))
            .timeout(self.timeout)
            .header("Content-Type", "application/json; charset=utf-8")
            .body(reqwest::Body::wrap_stream(stream));
        for (name, value) in host::invocation_headers(&uuid::Uuid::new_v4().to_string()) {
            call = call.header(name, value);
        }
        let response = call
            .send()
            .await
            .map_err(|e| InvokeError::Unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| InvokeError::Unreachable(e.to_string()))?;
        if !(200..300).contains(&status) {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(500)]).into_owned();
            return Err(InvokeError::Failed { status, body: text });
        }
        read_response(&content_type, &bytes)
    }

    async fn write_blob(
        &self,
        template: &str,
        value: &Value,
        metadata: &Map<String, Value>,
    ) -> Result<(), String> {
        let path = resolve_path(template, metadata)?;
        let bytes = blob_bytes(value)?;
        let target = safe_join(&self.blob_root, &path)?;
        tokio::task::spawn_blocking(move || write_atomically(&target, &bytes))
            .await
            .map_err(|e| e.to_string())?
    }
}

fn output_error(binding: &str, reason: String) -> InvokeError {
    InvokeError::Output {
        binding: binding.to_owned(),
        reason,
    }
}

/// The host reads the body with `ReadAsAsync`: JSON content types only, and an empty body
/// leaves the invocation hanging until functionTimeout (§3.1) — a handler bug worth failing on.
fn read_response(content_type: &str, bytes: &[u8]) -> Result<InvocationResponse, InvokeError> {
    let media = content_type.split(';').next().unwrap_or("").trim();
    if media != "application/json" && media != "text/json" {
        return Err(InvokeError::BadResponse(format!(
            "Content-Type `{content_type}` is not application/json; the host would fail the invocation"
        )));
    }
    if bytes.is_empty() {
        return Err(InvokeError::BadResponse(
            "empty body; the real host would wait until functionTimeout".into(),
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| InvokeError::BadResponse(format!("not an invocation result: {e}")))
}

/// The HTTP output binding's value as the host turns it into a response (§3.3).
fn http_output(value: Option<&Value>) -> Result<HttpOutput, String> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(HttpOutput {
            status: 200,
            headers: Vec::new(),
            body: b"{}".to_vec(),
        });
    };
    let object = value.as_object().ok_or("the host needs an object here (Failed while trying to Deserialize to httpOutputBindingResponse)")?;
    let field = |name: &str| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let status = match field("statusCode") {
        None | Some(Value::Null) => 200,
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or("statusCode is not a status")?,
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map_err(|_| format!("statusCode `{s}` is not a status"))?,
        Some(other) => return Err(format!("statusCode {other} is not a status")),
    };
    let mut headers: Vec<(String, String)> = match field("headers") {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| (k.clone(), scalar_text(v)))
            .collect(),
        _ => Vec::new(),
    };
    let body = match field("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) => text.clone().into_bytes(),
        // Objects and arrays are written with .ToString(): indented JSON.
        Some(other @ (Value::Object(_) | Value::Array(_))) => {
            serde_json::to_vec_pretty(other).unwrap_or_default()
        }
        Some(other) => scalar_text(other).into_bytes(),
    };
    if !body.is_empty()
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), "text/plain; charset=utf-8".into()));
    }
    Ok(HttpOutput {
        status,
        headers,
        body,
    })
}

/// A Service Bus output value as the host turns it into messages (§3.4, G6).
pub fn service_bus_messages(value: &Value) -> Vec<String> {
    match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items
            .iter()
            .filter(|v| !v.is_null())
            .map(element_text)
            .collect(),
        Value::String(text) if is_dotnet_base64(text) => vec!["System.Byte[]".into()],
        Value::String(text) => match serde_json::from_str::<Value>(text.trim()) {
            Ok(Value::Array(items)) if text.trim_start().starts_with('[') => {
                items.iter().map(element_text).collect()
            }
            Ok(object @ Value::Object(_)) => {
                vec![serde_json::to_string_pretty(&object).unwrap_or_default()]
            }
            _ => vec![text.clone()],
        },
        other => vec![element_text(other)],
    }
}

fn element_text(value: &Value) -> String {
    match value {
        Value::Object(_) | Value::Array(_) => {
            serde_json::to_string_pretty(value).unwrap_or_default()
        }
        other => scalar_text(other),
    }
}

/// `.ToString()` of a JSON scalar in .NET.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `Convert.FromBase64String` succeeds: whitespace ignored, length a multiple of four, the
/// base64 alphabet, at most two `=` at the end.
fn is_dotnet_base64(text: &str) -> bool {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len().is_multiple_of(4) && BASE64.decode(compact.as_bytes()).is_ok()
}

/// A blob output's bytes (§3.5): base64 strings decoded, other strings as UTF-8, JSON compact.
fn blob_bytes(value: &Value) -> Result<Vec<u8>, String> {
    match value {
        Value::String(text) if is_dotnet_base64(text) => {
            let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            BASE64.decode(compact).map_err(|e| e.to_string())
        }
        Value::String(text) => Ok(text.clone().into_bytes()),
        Value::Object(_) | Value::Array(_) => Ok(value.to_string().into_bytes()),
        other => Err(format!(
            "the host would write {other} as raw binary; send a string or base64"
        )),
    }
}

/// Resolves `{token}` in a blob path from the trigger's metadata, plus `{rand-guid}`.
fn resolve_path(template: &str, metadata: &Map<String, Value>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .ok_or(format!("unclosed `{{` in `{template}`"))?
            + open;
        let token = &rest[open + 1..close];
        let value = if token.eq_ignore_ascii_case("rand-guid") {
            uuid::Uuid::new_v4().to_string()
        } else {
            metadata
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(token))
                .and_then(|(_, v)| decode_scalar(v))
                .ok_or(format!("no trigger value for `{{{token}}}`"))?
        };
        out.push_str(&value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn safe_join(root: &Path, path: &str) -> Result<PathBuf, String> {
    if path
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
        || path.contains('\\')
    {
        return Err(format!("`{path}` is not a valid container/blob path"));
    }
    Ok(root.join(path))
}

fn write_atomically(target: &Path, bytes: &[u8]) -> Result<(), String> {
    let parent = target.parent().ok_or("no parent folder")?;
    std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    let staging = parent.join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
    std::fs::write(&staging, bytes).map_err(|e| e.to_string())?;
    std::fs::rename(&staging, target).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn service_bus_outputs_follow_the_host_s_conversions() {
        assert_eq!(
            service_bus_messages(&json!([{"a": 1}, "x"])),
            vec!["{\n  \"a\": 1\n}", "x"]
        );
        assert_eq!(
            service_bus_messages(&json!("[\"a\",\"b\"]")),
            vec!["a", "b"]
        );
        assert_eq!(
            service_bus_messages(&json!("hello world")),
            vec!["hello world"]
        );
        assert_eq!(
            service_bus_messages(&json!("test")),
            vec!["System.Byte[]"],
            "G6: valid base64 is mangled"
        );
        assert_eq!(service_bus_messages(&json!(true)), vec!["True"]);
        assert!(service_bus_messages(&json!(null)).is_empty());
    }

    #[test]
    fn http_outputs_need_an_object_and_read_statuscode_as_text() {
        let out = http_output(Some(&json!({"statusCode": "201", "body": "made"}))).unwrap();
        assert_eq!((out.status, out.body.as_slice()), (201, b"made".as_slice()));
        assert!(
            out.headers
                .iter()
                .any(|(k, v)| k == "Content-Type" && v.starts_with("text/plain"))
        );
        assert!(http_output(Some(&json!("hi"))).is_err());
        assert_eq!(http_output(None).unwrap().status, 200);
        let object_body = http_output(Some(&json!({"body": {"a": 1}}))).unwrap();
        assert_eq!(object_body.body, b"{\n  \"a\": 1\n}");
    }

    #[test]
    fn responses_the_host_cannot_read_are_failures() {
        assert!(read_response("text/plain", b"{}").is_err());
        assert!(read_response("application/json", b"").is_err());
        assert!(read_response("application/json; charset=utf-8", b"{}").is_ok());
    }

    #[test]
    fn blob_paths_resolve_tokens_and_refuse_escapes() {
        let metadata = json!({"name": "\"report.csv\""})
            .as_object()
            .cloned()
            .unwrap();
        assert_eq!(
            resolve_path("out/{name}", &metadata).unwrap(),
            "out/report.csv"
        );
        assert!(resolve_path("out/{missing}", &metadata).is_err());
        assert!(safe_join(Path::new("/r"), "out/../../etc").is_err());
        assert_eq!(blob_bytes(&json!("aGk=")).unwrap(), b"hi");
    }
}
