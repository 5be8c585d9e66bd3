//! The Service Bus trigger (§2.4): the message body, double-encoded in `Data.<binding>`, and
//! its properties in `Metadata`.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{ProtocolError, decode_scalar, from_slice_at, parse_host_time};

/// A Service Bus message as a handler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceBusMessage {
    /// The message body as text, with the host's extra JSON encoding removed.
    pub body: String,
    /// 1 on the first delivery, then one more per redelivery.
    pub delivery_count: u32,
    /// The sender's message id, when it set one.
    pub message_id: Option<String>,
    /// The broker's sequence number: unique and increasing within the queue.
    pub sequence_number: Option<i64>,
    /// The peek-lock token of this delivery.
    pub lock_token: Option<String>,
    /// The body's content type, when the sender set it.
    pub content_type: Option<String>,
    /// The sender's correlation id.
    pub correlation_id: Option<String>,
    /// The message subject (also sent as `Label`).
    pub subject: Option<String>,
    /// When the broker accepted the message.
    pub enqueued_time: Option<DateTime<Utc>>,
    /// When the message expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// The sender's application properties.
    pub application_properties: Map<String, Value>,
}

impl ServiceBusMessage {
    /// Decodes the trigger value of binding `binding` and its metadata.
    ///
    /// The host sends a string body JSON-encoded a second time (`"\"{…}\""`, G1); a sender
    /// that does not (or a value that is already an object) is accepted as well.
    pub fn decode(
        binding: &str,
        value: &Value,
        metadata: &Map<String, Value>,
    ) -> Result<Self, ProtocolError> {
        let body = match value {
            Value::String(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::String(inner)) => inner,
                _ => text.clone(),
            },
            Value::Object(_) | Value::Array(_) => value.to_string(),
            other => {
                return Err(ProtocolError::new(
                    format!("Data.{binding}"),
                    format!("expected the message body as a string, found {other}"),
                ));
            }
        };
        let delivery_count = required_u32(metadata, "DeliveryCount")?;
        Ok(Self {
            body,
            delivery_count,
            message_id: text(metadata, "MessageId"),
            sequence_number: number(metadata, "SequenceNumber")?,
            lock_token: text(metadata, "LockToken"),
            content_type: text(metadata, "ContentType"),
            correlation_id: text(metadata, "CorrelationId"),
            subject: text(metadata, "Subject").or_else(|| text(metadata, "Label")),
            enqueued_time: time(metadata, "EnqueuedTimeUtc", "EnqueuedTime")?,
            expires_at: time(metadata, "ExpiresAtUtc", "ExpiresAt")?,
            application_properties: metadata
                .get("ApplicationProperties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
        })
    }

    /// The body parsed as JSON into `T`; errors name the path inside the body.
    pub fn json<T: DeserializeOwned>(&self, binding: &str) -> Result<T, ProtocolError> {
        from_slice_at(self.body.as_bytes(), &format!("Data.{binding}(body)"))
    }
}

fn text(metadata: &Map<String, Value>, key: &str) -> Option<String> {
    metadata.get(key).and_then(decode_scalar)
}

fn number(metadata: &Map<String, Value>, key: &str) -> Result<Option<i64>, ProtocolError> {
    match text(metadata, key) {
        None => Ok(None),
        Some(raw) => raw.parse().map(Some).map_err(|_| {
            ProtocolError::new(
                format!("Metadata.{key}"),
                format!("`{raw}` is not an integer"),
            )
        }),
    }
}

fn required_u32(metadata: &Map<String, Value>, key: &str) -> Result<u32, ProtocolError> {
    let raw = text(metadata, key)
        .ok_or_else(|| ProtocolError::new(format!("Metadata.{key}"), "missing"))?;
    raw.parse().map_err(|_| {
        ProtocolError::new(format!("Metadata.{key}"), format!("`{raw}` is not a count"))
    })
}

/// Reads a time from `utc_key` (a bare DateTime, G13) or else `offset_key` (with offset).
fn time(
    metadata: &Map<String, Value>,
    utc_key: &str,
    offset_key: &str,
) -> Result<Option<DateTime<Utc>>, ProtocolError> {
    for key in [utc_key, offset_key] {
        if let Some(raw) = text(metadata, key) {
            return parse_host_time(&raw).map(Some).ok_or_else(|| {
                ProtocolError::new(
                    format!("Metadata.{key}"),
                    format!("`{raw}` is not a date-time"),
                )
            });
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metadata() -> Map<String, Value> {
        json!({"DeliveryCount": "2", "MessageId": "\"m-1\"", "SequenceNumber": "7",
               "EnqueuedTimeUtc": "2024-01-02T03:04:05"})
        .as_object()
        .cloned()
        .unwrap()
    }

    #[test]
    fn a_double_encoded_body_and_single_encoded_body_decode_alike() {
        let double = json!("\"{\\\"sku\\\":\\\"A\\\"}\"");
        let single = json!("{\"sku\":\"A\"}");
        let a = ServiceBusMessage::decode("m", &double, &metadata()).unwrap();
        let b = ServiceBusMessage::decode("m", &single, &metadata()).unwrap();
        assert_eq!(a.body, r#"{"sku":"A"}"#);
        assert_eq!(a, b);
        assert_eq!(a.delivery_count, 2);
        assert_eq!(a.message_id.as_deref(), Some("m-1"));
        assert_eq!(a.sequence_number, Some(7));
        assert!(a.enqueued_time.is_some());
    }

    #[test]
    fn a_missing_delivery_count_is_named() {
        let err = ServiceBusMessage::decode("m", &json!("\"x\""), &Map::new()).unwrap_err();
        assert_eq!(err.path, "Metadata.DeliveryCount");
    }

    #[test]
    fn a_body_that_is_not_the_expected_json_names_the_path_inside_it() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Work {
            sku: String,
        }
        let message =
            ServiceBusMessage::decode("m", &json!("\"{\\\"sku\\\":1}\""), &metadata()).unwrap();
        let err = message.json::<Work>("m").unwrap_err();
        assert_eq!(err.path, "Data.m(body).sku");
    }
}
