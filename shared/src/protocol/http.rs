//! The HTTP trigger's request (`Data.<binding>`, §2.4) and the HTTP output binding's response
//! (`Outputs.<binding>`, §3.3).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// An HTTP request as the host forwards it in default (non-forwarded) mode.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HttpRequest {
    /// `{scheme}://{host}{path}{query}` of the original request.
    pub url: String,
    /// `GET`, `POST`, …
    pub method: String,
    /// Query parameters; a repeated key arrives comma-joined. Old hosts sent the object as a
    /// JSON string (`"{}"`), which is accepted too.
    #[serde(default, deserialize_with = "object_or_json_string")]
    pub query: BTreeMap<String, String>,
    /// Request headers; every value is an array (`StringValues`).
    #[serde(default)]
    pub headers: BTreeMap<String, Vec<String>>,
    /// Route values, e.g. `{"sku": "ABC-1"}`.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Serialised `ClaimsIdentity` objects; kept as JSON because nothing here reads them yet.
    #[serde(default)]
    pub identities: Vec<Value>,
    /// The body as text, present only when the request had `Content-Length > 0`; base64 for
    /// `application/octet-stream` and `multipart/*`. A chunked request arrives without one (G10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl HttpRequest {
    /// The first value of header `name`, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .and_then(|(_, values)| values.first())
            .map(String::as_str)
    }

    /// The route value `name`, if the route matched one.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// The query parameter `name`, if present.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// Whether the host base64-encodes a body of this request's content type.
    pub fn body_is_base64(&self) -> bool {
        is_base64_content_type(self.header("content-type").unwrap_or_default())
    }

    /// The body's bytes: base64-decoded where the host encoded it, the text's bytes otherwise.
    /// `None` when there was no body.
    pub fn body_bytes(&self) -> Result<Option<Vec<u8>>, base64::DecodeError> {
        match &self.body {
            None => Ok(None),
            Some(text) if self.body_is_base64() => BASE64.decode(text).map(Some),
            Some(text) => Ok(Some(text.clone().into_bytes())),
        }
    }
}

/// Whether the host sends a body of this content type as base64 rather than text.
pub fn is_base64_content_type(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media == "application/octet-stream" || media.starts_with("multipart/")
}

fn object_or_json_string<'de, D>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Map(BTreeMap<String, String>),
        Text(String),
    }
    match Either::deserialize(deserializer)? {
        Either::Map(map) => Ok(map),
        Either::Text(text) => serde_json::from_str(&text).map_err(serde::de::Error::custom),
    }
}

/// The value of an HTTP output binding. The host reads `statusCode` as a string and ignores
/// `status` (G8); an object body would come back indented as `text/plain`, so the body is
/// always text and the content type is always set explicitly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// The status code, e.g. `"200"`.
    #[serde(rename = "statusCode", with = "status_as_string")]
    pub status: u16,
    /// Response headers; values are strings because the host calls `.ToString()` on each.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body, written verbatim by the host.
    #[serde(default)]
    pub body: String,
}

impl HttpResponse {
    /// A response with `status`, `content_type` and `body`.
    pub fn new(status: u16, content_type: &str, body: impl Into<String>) -> Self {
        let mut headers = BTreeMap::new();
        headers.insert("Content-Type".to_owned(), content_type.to_owned());
        Self {
            status,
            headers,
            body: body.into(),
        }
    }

    /// A JSON response with `status`.
    pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Self, serde_json::Error> {
        Ok(Self::new(
            status,
            "application/json",
            serde_json::to_string(value)?,
        ))
    }

    /// Adds or replaces a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.insert(name.to_owned(), value.into());
        self
    }

    /// The value to put in `Outputs.<binding>`.
    pub fn to_output(&self) -> Value {
        let mut headers = Map::new();
        for (name, value) in &self.headers {
            headers.insert(name.clone(), Value::String(value.clone()));
        }
        let mut object = Map::new();
        object.insert("statusCode".into(), Value::String(self.status.to_string()));
        object.insert("headers".into(), Value::Object(headers));
        object.insert("body".into(), Value::String(self.body.clone()));
        Value::Object(object)
    }
}

mod status_as_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(status: &u16, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&status.to_string())
    }

    /// Accepts `"201"` and, as Newtonsoft coerces it, `201`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u16, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Code {
            Text(String),
            Number(u16),
        }
        match Code::deserialize(deserializer)? {
            Code::Number(code) => Ok(code),
            Code::Text(text) => text.trim().parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn headers_are_found_whatever_their_case() {
        let mut request = HttpRequest::default();
        request
            .headers
            .insert("X-Api-Key".into(), vec!["k1".into(), "k2".into()]);
        assert_eq!(request.header("x-api-key"), Some("k1"));
        assert_eq!(request.header("missing"), None);
    }

    #[test]
    fn an_octet_stream_body_is_base64_decoded_and_text_is_not() {
        let mut request = HttpRequest {
            body: Some("aGVsbG8=".into()),
            ..HttpRequest::default()
        };
        request.headers.insert(
            "Content-Type".into(),
            vec!["application/octet-stream".into()],
        );
        assert_eq!(request.body_bytes().unwrap().unwrap(), b"hello");
        request
            .headers
            .insert("Content-Type".into(), vec!["text/csv".into()]);
        assert_eq!(request.body_bytes().unwrap().unwrap(), b"aGVsbG8=");
    }

    #[test]
    fn the_old_string_shaped_query_is_accepted() {
        let request: HttpRequest =
            serde_json::from_value(json!({"Url": "u", "Method": "GET", "Query": "{\"a\":\"1\"}"}))
                .unwrap();
        assert_eq!(request.query("a"), Some("1"));
    }

    #[test]
    fn the_response_status_is_a_string_and_the_body_text() {
        let response = HttpResponse::json(201, &json!({"ok": true})).unwrap();
        assert_eq!(
            response.to_output(),
            json!({"statusCode": "201", "headers": {"Content-Type": "application/json"}, "body": "{\"ok\":true}"})
        );
        let back: HttpResponse = serde_json::from_value(response.to_output()).unwrap();
        assert_eq!(back, response);
        let numeric: HttpResponse =
            serde_json::from_value(json!({"statusCode": 404, "body": ""})).unwrap();
        assert_eq!(numeric.status, 404);
    }
}
