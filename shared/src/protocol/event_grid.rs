//! The Event Grid `Microsoft.Storage.BlobCreated` event, as Event Grid delivers it into a
//! Service Bus queue (Event Grid schema, one event per message).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ProtocolError, ServiceBusMessage, from_value_at};

/// The event type this module describes.
pub const BLOB_CREATED: &str = "Microsoft.Storage.BlobCreated";

/// A BlobCreated event in the Event Grid schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobCreatedEvent {
    /// The storage account's resource id.
    pub topic: String,
    /// `/blobServices/default/containers/{container}/blobs/{name}`.
    pub subject: String,
    /// Always [`BLOB_CREATED`].
    pub event_type: String,
    /// When the blob was committed (RFC 3339).
    pub event_time: String,
    /// Unique per event; Event Grid may deliver the same id twice, so it keys idempotency.
    pub id: String,
    /// The storage-specific part.
    pub data: BlobCreatedData,
    /// Schema version of `data`.
    #[serde(default)]
    pub data_version: String,
    /// Schema version of the envelope.
    #[serde(default)]
    pub metadata_version: String,
}

/// The storage-specific data of a BlobCreated event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobCreatedData {
    /// The operation that committed the blob (`PutBlob`, `PutBlockList`, `FlushWithClose`).
    pub api: String,
    /// The client's request id, when it gave one.
    #[serde(default)]
    pub client_request_id: String,
    /// The storage service's request id.
    #[serde(default)]
    pub request_id: String,
    /// The blob version's ETag (quoted, as the storage service writes it).
    pub e_tag: String,
    /// The blob's content type.
    #[serde(default)]
    pub content_type: String,
    /// The blob's size in bytes.
    pub content_length: u64,
    /// `BlockBlob`, …
    #[serde(default)]
    pub blob_type: String,
    /// The blob's URL.
    pub url: String,
    /// Orders events of one blob: a later version has a greater sequencer.
    #[serde(default)]
    pub sequencer: String,
    /// Opaque diagnostics.
    #[serde(default)]
    pub storage_diagnostics: Value,
}

impl BlobCreatedEvent {
    /// Reads the event out of a Service Bus message. Event Grid sends one event per message;
    /// a one-element array (the shape of its HTTP deliveries) is accepted too.
    pub fn from_message(message: &ServiceBusMessage, binding: &str) -> Result<Self, ProtocolError> {
        let root = format!("Data.{binding}(body)");
        let value: Value = message.json(binding)?;
        let value = match value {
            Value::Array(mut items) if items.len() == 1 => items.remove(0),
            Value::Array(items) => {
                return Err(ProtocolError::new(
                    root,
                    format!("expected one event, found {}", items.len()),
                ));
            }
            other => other,
        };
        let event: Self = from_value_at(value, &root)?;
        if event.event_type != BLOB_CREATED {
            return Err(ProtocolError::new(
                format!("{root}.eventType"),
                format!("expected {BLOB_CREATED}, found {}", event.event_type),
            ));
        }
        if event.location().is_none() {
            return Err(ProtocolError::new(
                format!("{root}.subject"),
                format!("`{}` does not name a container and a blob", event.subject),
            ));
        }
        Ok(event)
    }

    /// The container and blob name the subject names.
    pub fn location(&self) -> Option<(&str, &str)> {
        let rest = self
            .subject
            .strip_prefix("/blobServices/default/containers/")?;
        let (container, name) = rest.split_once("/blobs/")?;
        (!container.is_empty() && !name.is_empty()).then_some((container, name))
    }
}
