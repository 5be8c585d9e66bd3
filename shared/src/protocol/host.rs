//! Payloads built exactly as the Azure Functions host builds them (§2): the local host uses
//! these to invoke handlers, and the round-trip tests use them to pin the format against the
//! fixtures in `tests/fixtures/`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{HttpRequest, InvocationRequest, TimerInfo};

/// A string value as the host sends it: JSON-encoded once more (§2.2 rule 5, G1).
pub fn encode_string(text: &str) -> Value {
    Value::String(Value::String(text.to_owned()).to_string())
}

/// A number as the host sends it: its JSON text, as a string (`"1"`).
pub fn encode_number(number: i64) -> Value {
    Value::String(number.to_string())
}

/// A top-level `DateTime`: sub-seconds and kind dropped (§2.2 rule 2, G13).
pub fn encode_datetime(time: &DateTime<Utc>) -> Value {
    Value::String(time.format("%Y-%m-%dT%H:%M:%S").to_string())
}

/// A top-level `DateTimeOffset`: sub-seconds dropped, offset kept (§2.2 rule 3).
pub fn encode_datetime_offset(time: &DateTime<Utc>) -> Value {
    Value::String(time.format("%Y-%m-%dT%H:%M:%S+00:00").to_string())
}

/// The `sys` binding data every invocation carries (§2.3).
#[derive(Debug, Clone, PartialEq)]
pub struct Sys {
    /// The function's name.
    pub method_name: String,
    /// The invocation time.
    pub utc_now: DateTime<Utc>,
    /// A fresh GUID per invocation.
    pub rand_guid: String,
}

impl Sys {
    /// `sys` for `function` now, with a new GUID.
    pub fn now(function: &str) -> Self {
        Self {
            method_name: function.to_owned(),
            utc_now: Utc::now(),
            rand_guid: uuid::Uuid::new_v4().to_string(),
        }
    }

    fn to_value(&self) -> Value {
        let digits = format!("{:07}", self.utc_now.timestamp_subsec_nanos() / 100);
        json!({
            "MethodName": self.method_name,
            "UtcNow": format!("{}.{digits}Z", self.utc_now.format("%Y-%m-%dT%H:%M:%S")),
            "RandGuid": self.rand_guid,
        })
    }
}

/// Adds a JSON trigger body's top-level properties to the binding data, as the host does for
/// string triggers (§2.3, G9): objects nested, arrays skipped, scalars as strings and so
/// double-encoded; each overwrites a same-named key case-insensitively.
pub fn apply_binding_data(metadata: &mut Map<String, Value>, body: &str) {
    let trimmed = body.trim();
    if !trimmed.starts_with('{') {
        return;
    }
    let Ok(Value::Object(properties)) = serde_json::from_str::<Value>(trimmed) else {
        return;
    };
    for (key, value) in properties {
        let encoded = match value {
            Value::Array(_) => continue,
            Value::Object(_) => value,
            Value::String(text) => encode_string(&text),
            Value::Null => continue,
            // .NET's `(string)JValue` of a boolean is `True`/`False`.
            Value::Bool(flag) => encode_string(if flag { "True" } else { "False" }),
            Value::Number(number) => encode_string(&number.to_string()),
        };
        insert_case_insensitive(metadata, key, encoded);
    }
}

fn insert_case_insensitive(metadata: &mut Map<String, Value>, key: String, value: Value) {
    let existing: Vec<String> = metadata
        .keys()
        .filter(|k| k.eq_ignore_ascii_case(&key))
        .cloned()
        .collect();
    for old in existing {
        metadata.remove(&old);
    }
    metadata.insert(key, value);
}

/// The invocation for an HTTP trigger bound as `binding` (§2.4 "HTTP trigger").
pub fn http_invocation(binding: &str, request: &HttpRequest, sys: &Sys) -> InvocationRequest {
    let mut metadata = Map::new();
    if let Some(body) = request
        .body
        .as_deref()
        .filter(|_| !request.body_is_base64())
    {
        apply_binding_data(&mut metadata, body);
    }
    for (name, value) in request.query.iter().filter(|(name, _)| *name != "code") {
        metadata.insert(name.clone(), encode_string(value));
    }
    for (name, value) in &request.params {
        metadata.insert(name.clone(), encode_string(value));
    }
    let query: Map<String, Value> = request
        .query
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let headers: Map<String, Value> = request
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.join(","))))
        .collect();
    metadata.entry("Query").or_insert(Value::Object(query));
    metadata.entry("Headers").or_insert(Value::Object(headers));
    metadata.insert("sys".into(), sys.to_value());
    let mut data = Map::new();
    data.insert(
        binding.to_owned(),
        serde_json::to_value(request).unwrap_or(Value::Null),
    );
    InvocationRequest { data, metadata }
}

/// The invocation for a timer trigger bound as `binding`: the `TimerInfo` object, and only
/// `sys` in the metadata (the `TimerTrigger` key ends in "trigger" and is dropped).
pub fn timer_invocation(binding: &str, timer: &TimerInfo, sys: &Sys) -> InvocationRequest {
    let mut data = Map::new();
    data.insert(
        binding.to_owned(),
        serde_json::to_value(timer).unwrap_or(Value::Null),
    );
    let mut metadata = Map::new();
    metadata.insert("sys".into(), sys.to_value());
    InvocationRequest { data, metadata }
}

/// One delivery of a Service Bus message, as the broker hands it to the host.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceBusDelivery {
    /// The body text.
    pub body: String,
    /// The message id.
    pub message_id: String,
    /// 1 on the first delivery.
    pub delivery_count: u32,
    /// The queue's sequence number.
    pub sequence_number: i64,
    /// This delivery's lock token.
    pub lock_token: String,
    /// The sender's content type, if any.
    pub content_type: Option<String>,
    /// When the message was enqueued.
    pub enqueued_time: DateTime<Utc>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// Application properties.
    pub application_properties: Map<String, Value>,
    /// The namespace, for the `Client` object (`{name}.servicebus.windows.net` in Azure).
    pub namespace: String,
}

/// The invocation for a Service Bus trigger bound as `binding` (§2.4 "Service Bus trigger").
pub fn service_bus_invocation(
    binding: &str,
    message: &ServiceBusDelivery,
    sys: &Sys,
) -> InvocationRequest {
    let mut metadata = Map::new();
    metadata.insert(
        "DeliveryCount".into(),
        encode_number(message.delivery_count.into()),
    );
    metadata.insert("LockToken".into(), encode_string(&message.lock_token));
    metadata.insert("MessageId".into(), encode_string(&message.message_id));
    if let Some(content_type) = &message.content_type {
        metadata.insert("ContentType".into(), encode_string(content_type));
    }
    metadata.insert(
        "SequenceNumber".into(),
        encode_number(message.sequence_number),
    );
    metadata.insert("ExpiresAtUtc".into(), encode_datetime(&message.expires_at));
    metadata.insert(
        "ExpiresAt".into(),
        encode_datetime_offset(&message.expires_at),
    );
    metadata.insert(
        "EnqueuedTimeUtc".into(),
        encode_datetime(&message.enqueued_time),
    );
    metadata.insert(
        "EnqueuedTime".into(),
        encode_datetime_offset(&message.enqueued_time),
    );
    let properties = Value::Object(message.application_properties.clone());
    metadata.insert("ApplicationProperties".into(), properties.clone());
    metadata.insert("UserProperties".into(), properties);
    for sdk_object in ["MessageReceiver", "MessageActions", "ReceiveActions"] {
        metadata.insert(sdk_object.into(), json!({}));
    }
    metadata.insert(
        "Client".into(),
        json!({"FullyQualifiedNamespace": message.namespace, "IsClosed": false,
               "TransportType": 0, "Identifier": format!("{}-client", message.namespace)}),
    );
    metadata.insert("sys".into(), sys.to_value());
    apply_binding_data(&mut metadata, &message.body);
    let mut data = Map::new();
    data.insert(binding.to_owned(), encode_string(&message.body));
    InvocationRequest { data, metadata }
}

/// Headers of an invocation POST (§2.1), for a client that wants to send them all.
pub fn invocation_headers(invocation_id: &str) -> BTreeMap<&'static str, String> {
    let version = "4.1037.0.0";
    BTreeMap::from([
        ("X-Azure-Functions-InvocationId", invocation_id.to_owned()),
        ("X-Azure-Functions-HostVersion", version.to_owned()),
        ("User-Agent", format!("Azure-Functions-Host/{version}")),
    ])
}
