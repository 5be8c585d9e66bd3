//! The custom-handler wire protocol: what the Azure Functions host POSTs to `/{FunctionName}`
//! and what it accepts back (`../shared/PROTOCOL.md` is the reference; section numbers below
//! point into it).
//!
//! Handlers decode with [`InvocationRequest`] and its typed accessors, one per trigger, and
//! answer with [`InvocationResponse`]. The [`host`] module does the opposite job — it builds
//! payloads exactly as the real host does — so the local host and the tests exercise the real
//! format on every run.

pub mod event_grid;
pub mod host;
pub mod http;
pub mod service_bus;
pub mod timer;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use event_grid::BlobCreatedEvent;
pub use http::{HttpRequest, HttpResponse};
pub use service_bus::ServiceBusMessage;
pub use timer::TimerInfo;

/// A payload that does not have the shape the protocol promises. The message names the JSON
/// path of the first offending value, so a malformed invocation can be answered with a clear
/// 400 instead of a guess.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid invocation payload at `{path}`: {message}")]
pub struct ProtocolError {
    /// JSON path from the envelope root, e.g. `Data.req.Headers.accept`.
    pub path: String,
    /// What was wrong there.
    pub message: String,
}

impl ProtocolError {
    /// An error at `path` with `message`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// The invocation envelope the host POSTs: `{"Data": {...}, "Metadata": {...}}` (§2.1).
/// Keys of both maps are binding names from function.json (Data) or binding-data names
/// (Metadata); values are encoded by the rules of §2.2.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InvocationRequest {
    /// The trigger and input bindings, keyed by binding name.
    #[serde(rename = "Data")]
    pub data: Map<String, Value>,
    /// Trigger binding data (`sys`, message properties, route values …).
    #[serde(rename = "Metadata", default)]
    pub metadata: Map<String, Value>,
}

impl InvocationRequest {
    /// Parses an envelope from the raw request body, naming the JSON path of any error.
    pub fn from_slice(body: &[u8]) -> Result<Self, ProtocolError> {
        from_slice_at(body, "")
    }

    /// The raw value of binding `name` in `Data`.
    pub fn binding(&self, name: &str) -> Result<&Value, ProtocolError> {
        self.data
            .get(name)
            .ok_or_else(|| ProtocolError::new(format!("Data.{name}"), "binding is missing"))
    }

    /// The HTTP request carried by the `httpTrigger` binding `name`.
    pub fn http(&self, name: &str) -> Result<HttpRequest, ProtocolError> {
        from_value_at(self.binding(name)?.clone(), &format!("Data.{name}"))
    }

    /// The timer information carried by the `timerTrigger` binding `name`.
    pub fn timer(&self, name: &str) -> Result<TimerInfo, ProtocolError> {
        from_value_at(self.binding(name)?.clone(), &format!("Data.{name}"))
    }

    /// The Service Bus message carried by the `serviceBusTrigger` binding `name`, with its
    /// metadata.
    pub fn service_bus(&self, name: &str) -> Result<ServiceBusMessage, ProtocolError> {
        ServiceBusMessage::decode(name, self.binding(name)?, &self.metadata)
    }
}

/// The response body the host reads back (§3.2): `{"Outputs": {...}, "Logs": [...],
/// "ReturnValue": ...}`. Always serialised as a JSON object, so the body is never empty (§3.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InvocationResponse {
    /// Output binding values keyed by binding name (case-sensitive on the host side).
    #[serde(rename = "Outputs", default)]
    pub outputs: Map<String, Value>,
    /// Lines the host logs at Information on the function's logger.
    #[serde(rename = "Logs", default)]
    pub logs: Vec<String>,
    /// The `$return` binding's value; `null` when there is none.
    #[serde(rename = "ReturnValue", default)]
    pub return_value: Value,
}

impl InvocationResponse {
    /// An empty, successful response: no outputs, no logs.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Sets the HTTP output binding `name` to `response` (an object with a string
    /// `statusCode`, §3.3).
    pub fn with_http(mut self, name: &str, response: HttpResponse) -> Self {
        self.outputs.insert(name.to_owned(), response.to_output());
        self
    }

    /// Adds `headers` to the HTTP output binding `name`, where its response does not set them
    /// already (names compared case-insensitively). Nothing happens without that output.
    pub fn add_http_headers(&mut self, name: &str, headers: &[(&str, &str)]) {
        let Some(Value::Object(response)) = self.outputs.get_mut(name) else {
            return;
        };
        let Some(Value::Object(present)) = response.get_mut("headers") else {
            return;
        };
        for (header, value) in headers {
            if !present.keys().any(|k| k.eq_ignore_ascii_case(header)) {
                present.insert((*header).to_owned(), Value::String((*value).to_owned()));
            }
        }
    }

    /// Sets the Service Bus output binding `name` to one message per item, as a JSON array
    /// (§3.4). Nothing is written when `messages` is empty: an empty array would be no
    /// message anyway, and leaving the key out is unambiguous.
    pub fn with_messages<T: Serialize>(
        mut self,
        name: &str,
        messages: &[T],
    ) -> Result<Self, serde_json::Error> {
        if !messages.is_empty() {
            let items = messages
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<Vec<_>, _>>()?;
            self.outputs.insert(name.to_owned(), Value::Array(items));
        }
        Ok(self)
    }

    /// Adds a line to the host's invocation log.
    pub fn log(mut self, line: impl Into<String>) -> Self {
        self.logs.push(line.into());
        self
    }
}

/// Decodes one scalar as the host encodes it (§2.2 rule 5): a string holding JSON is parsed
/// once more; numbers and booleans come back as their text. A plain string that is not JSON is
/// taken as it is, so single-encoded values from other senders also work.
pub fn decode_scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::String(inner)) => Some(inner),
            Ok(Value::Number(n)) => Some(n.to_string()),
            Ok(Value::Bool(b)) => Some(b.to_string()),
            Ok(Value::Null) => None,
            _ => Some(text.clone()),
        },
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Deserialises `value` as `T`, reporting errors with their JSON path under `root`.
pub fn from_value_at<T: DeserializeOwned>(value: Value, root: &str) -> Result<T, ProtocolError> {
    serde_path_to_error::deserialize(value).map_err(|err| path_error(root, &err))
}

/// Deserialises `bytes` as `T`, reporting errors with their JSON path under `root`.
pub fn from_slice_at<T: DeserializeOwned>(bytes: &[u8], root: &str) -> Result<T, ProtocolError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|err| path_error(root, &err))
}

fn path_error(root: &str, err: &serde_path_to_error::Error<serde_json::Error>) -> ProtocolError {
    let inner = err.path().to_string();
    let path = match (root.is_empty(), inner == ".") {
        (true, true) => "$".to_owned(),
        (true, false) => inner,
        (false, true) => root.to_owned(),
        (false, false) => format!("{root}.{inner}"),
    };
    ProtocolError::new(path, err.inner().to_string())
}

/// Parses the host's timestamps: RFC 3339 with an offset, or — for top-level DateTimes, which
/// lose their kind and sub-seconds on the way (§2.2 rule 2, G13) — a bare local time, which
/// the host always produces in UTC.
pub fn parse_host_time(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{DateTime, NaiveDateTime, Utc};
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_double_encoded_string_is_decoded_once_more() {
        assert_eq!(decode_scalar(&json!("\"abc\"")).as_deref(), Some("abc"));
        assert_eq!(decode_scalar(&json!("1")).as_deref(), Some("1"));
        assert_eq!(decode_scalar(&json!("plain")).as_deref(), Some("plain"));
        assert_eq!(decode_scalar(&json!(5)).as_deref(), Some("5"));
        assert_eq!(decode_scalar(&json!(null)), None);
    }

    #[test]
    fn a_malformed_envelope_names_the_json_path() {
        let err = InvocationRequest::from_slice(br#"{"Data": [], "Metadata": {}}"#).unwrap_err();
        assert_eq!(err.path, "Data");
        let err = InvocationRequest::from_slice(b"{\"Data\": {}, \"Metadata\": 3}").unwrap_err();
        assert_eq!(err.path, "Metadata");
        let err = InvocationRequest::from_slice(b"not json").unwrap_err();
        assert_eq!(err.path, "$");
    }

    #[test]
    fn a_missing_binding_is_named() {
        let request = InvocationRequest::default();
        let err = request.http("req").unwrap_err();
        assert_eq!(err.path, "Data.req");
    }

    #[test]
    fn host_times_with_and_without_offset_are_utc() {
        let a = parse_host_time("2023-10-12T20:13:49").unwrap();
        let b = parse_host_time("2023-10-12T20:13:49+00:00").unwrap();
        let c = parse_host_time("2023-10-12T22:13:49.1234567+02:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.timestamp(), c.timestamp());
        assert!(parse_host_time("yesterday").is_none());
    }

    #[test]
    fn a_response_is_never_an_empty_body() {
        let text = serde_json::to_string(&InvocationResponse::empty()).unwrap();
        assert_eq!(text, r#"{"Outputs":{},"Logs":[],"ReturnValue":null}"#);
    }
}
