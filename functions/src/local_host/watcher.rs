//! Plays Event Grid for the local blob folder: one `Microsoft.Storage.BlobCreated` event per
//! new or changed file in a subscribed container, in the Event Grid schema, onto the queue the
//! container's subscription names — as the deployed Event Grid subscriptions do.
//!
//! A file is raised once its size and modification time have held still for one scan, so a
//! copy still in progress is not read half-written (Event Grid fires when a blob is committed).
//! Versions already raised are remembered across restarts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use shared::protocol::event_grid::{BLOB_CREATED, BlobCreatedData, BlobCreatedEvent};
use tokio_util::sync::CancellationToken;

use super::queue::NewMessage;
use super::queues::Queues;

/// The Event Grid subscriptions the deployment creates: container → queue.
pub const EVENT_SUBSCRIPTIONS: &[(&str, &str)] =
    &[("ingest", "ingest-files"), ("videos", "video-files")];

/// The local storage account's resource id, as Event Grid's `topic`.
const TOPIC: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/devstoreaccount1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Version {
    size: u64,
    modified_ns: u128,
}

type Key = (String, String);

/// Watches the subscribed containers under a blob root.
#[derive(Debug)]
pub struct BlobWatcher {
    /// The blob root (one folder per container).
    pub root: PathBuf,
    /// Where raised versions are remembered.
    pub state_file: PathBuf,
    /// The local namespace.
    pub queues: Arc<Queues>,
    /// Time between scans.
    pub interval: Duration,
}

impl BlobWatcher {
    /// Scans until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut raised = load_state(&self.state_file);
        let mut settling: BTreeMap<Key, Version> = BTreeMap::new();
        loop {
            let root = self.root.clone();
            match tokio::task::spawn_blocking(move || scan(&root)).await {
                Ok(current) => self.step(&current, &mut raised, &mut settling).await,
                Err(error) => tracing::error!(%error, "blob scan failed"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.interval) => {}
            }
        }
    }

    async fn step(
        &self,
        current: &BTreeMap<Key, Version>,
        raised: &mut BTreeMap<Key, Version>,
        settling: &mut BTreeMap<Key, Version>,
    ) {
        let mut changed = false;
        for (key, version) in current {
            if raised.get(key) == Some(version) {
                continue;
            }
            if settling.get(key) != Some(version) {
                settling.insert(key.clone(), *version);
                continue;
            }
            match self.raise(&key.0, &key.1, *version).await {
                Ok(()) => {
                    shared::crash::point("watcher.raised");
                    raised.insert(key.clone(), *version);
                    settling.remove(key);
                    changed = true;
                }
                Err(error) => {
                    tracing::error!(container = %key.0, blob = %key.1, %error, "could not raise BlobCreated; will retry")
                }
            }
        }
        // A deleted file is forgotten, so putting it back raises it again.
        let before = raised.len();
        raised.retain(|key, _| current.contains_key(key));
        settling.retain(|key, _| current.contains_key(key));
        if changed || raised.len() != before {
            save_state(&self.state_file, raised);
        }
    }

    async fn raise(&self, container: &str, name: &str, version: Version) -> Result<(), String> {
        let (queue, message) = event_message(container, name, version)?;
        tracing::info!(container, blob = name, queue, "BlobCreated");
        self.queues
            .send_batch(queue, vec![message])
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// The queue and message of the BlobCreated event the watcher raises for the file that is
/// `container/name` under `root` now (a test sends it again to deliver the event twice).
pub fn blob_created_message(
    root: &Path,
    container: &str,
    name: &str,
) -> Result<(&'static str, NewMessage), String> {
    let meta = std::fs::metadata(root.join(container).join(name)).map_err(|e| e.to_string())?;
    event_message(container, name, version_of(&meta))
}

fn event_message(
    container: &str,
    name: &str,
    version: Version,
) -> Result<(&'static str, NewMessage), String> {
    let queue = EVENT_SUBSCRIPTIONS
        .iter()
        .find(|(c, _)| *c == container)
        .map(|(_, q)| *q)
        .ok_or("no subscription")?;
    let event = blob_created(container, name, version);
    let body = serde_json::to_string(&event).map_err(|e| e.to_string())?;
    let message = NewMessage {
        application_properties: delivery_properties(queue),
        ..NewMessage::new(body)
    };
    Ok((queue, message))
}

/// The event Event Grid would publish for this version of the blob. Its id is the version's
/// own (a UUID v5 of the blob and its ETag), so an event raised again — after the process died
/// between raising it and recording that it had — is the same event delivered twice, as Event
/// Grid's own retries are, and consumers that key on the id see one file version.
fn blob_created(container: &str, name: &str, version: Version) -> BlobCreatedEvent {
    let etag = format!("\"0x{:X}{:X}\"", version.modified_ns / 100, version.size);
    let id = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("{container}/{name}#{etag}").as_bytes(),
    );
    BlobCreatedEvent {
        topic: TOPIC.into(),
        subject: format!("/blobServices/default/containers/{container}/blobs/{name}"),
        event_type: BLOB_CREATED.into(),
        event_time: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        id: id.to_string(),
        data: BlobCreatedData {
            api: "PutBlob".into(),
            client_request_id: uuid::Uuid::new_v4().to_string(),
            request_id: uuid::Uuid::new_v4().to_string(),
            e_tag: etag,
            content_type: content_type(name).into(),
            content_length: version.size,
            blob_type: "BlockBlob".into(),
            url: format!("http://127.0.0.1:10000/devstoreaccount1/{container}/{name}"),
            sequencer: format!("{:032X}", version.modified_ns),
            storage_diagnostics: json!({"batchId": uuid::Uuid::new_v4().to_string()}),
        },
        data_version: String::new(),
        metadata_version: "1".into(),
    }
}

/// The application properties Event Grid puts on the Service Bus messages it delivers.
fn delivery_properties(queue: &str) -> Map<String, Value> {
    let mut properties = Map::new();
    properties.insert(
        "aeg-subscription-name".into(),
        Value::String(queue.to_ascii_uppercase()),
    );
    properties.insert("aeg-delivery-count".into(), Value::String("0".into()));
    properties.insert(
        "aeg-event-type".into(),
        Value::String("Notification".into()),
    );
    properties.insert("aeg-metadata-version".into(), Value::String("1".into()));
    properties.insert("aeg-data-version".into(), Value::String(String::new()));
    properties
}

fn content_type(name: &str) -> &'static str {
    match name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .as_deref()
    {
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        Some("ndjson") => "application/x-ndjson",
        Some("mp4") => "video/mp4",
        Some("mov") => "video/quicktime",
        _ => "application/octet-stream",
    }
}

/// Every file of every subscribed container, by (container, blob name).
fn scan(root: &Path) -> BTreeMap<Key, Version> {
    let mut found = BTreeMap::new();
    for (container, _) in EVENT_SUBSCRIPTIONS {
        let base = root.join(container);
        let mut stack = vec![base.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                // Hidden files and object_store's `name#n` staging files are not blobs yet.
                if file_name.starts_with('.') || file_name.contains('#') {
                    continue;
                }
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_dir() {
                    stack.push(path);
                } else if meta.is_file()
                    && let Some(name) = blob_name(&base, &path)
                {
                    found.insert(((*container).to_owned(), name), version_of(&meta));
                }
            }
        }
    }
    found
}

/// A file's version: its size and modification time, as its ETag is made of.
fn version_of(meta: &std::fs::Metadata) -> Version {
    Version {
        size: meta.len(),
        modified_ns: meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos()),
    }
}

fn blob_name(base: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(base).ok()?;
    let parts: Option<Vec<&str>> = relative
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect();
    Some(parts?.join("/"))
}

#[derive(Serialize, Deserialize)]
struct Raised {
    container: String,
    name: String,
    version: Version,
}

fn load_state(path: &Path) -> BTreeMap<Key, Version> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return BTreeMap::new();
    };
    match serde_json::from_str::<Vec<Raised>>(&text) {
        Ok(items) => items
            .into_iter()
            .map(|r| ((r.container, r.name), r.version))
            .collect(),
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "blob watcher state unreadable; every file will be raised again");
            BTreeMap::new()
        }
    }
}

fn save_state(path: &Path, raised: &BTreeMap<Key, Version>) {
    let items: Vec<Raised> = raised
        .iter()
        .map(|((container, name), version)| Raised {
            container: container.clone(),
            name: name.clone(),
            version: *version,
        })
        .collect();
    let result = (|| -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let staging = path.with_extension("json.tmp");
        std::fs::write(&staging, serde_json::to_vec(&items)?)?;
        std::fs::rename(&staging, path)
    })();
    if let Err(error) = result {
        tracing::error!(path = %path.display(), %error, "could not save blob watcher state");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_finds_nested_files_and_skips_staging_and_hidden_ones() {
        let dir = tempfile::tempdir().unwrap();
        let ingest = dir.path().join("ingest/demo/sub");
        std::fs::create_dir_all(&ingest).unwrap();
        std::fs::write(ingest.join("a.csv"), "x").unwrap();
        std::fs::write(ingest.join("b.csv#1"), "x").unwrap();
        std::fs::write(ingest.join(".c.csv"), "x").unwrap();
        std::fs::create_dir_all(dir.path().join("ingest-reports")).unwrap();
        std::fs::write(dir.path().join("ingest-reports/r.json"), "x").unwrap();
        let found = scan(dir.path());
        let names: Vec<&str> = found.keys().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, vec!["demo/sub/a.csv"]);
    }

    #[test]
    fn the_event_names_its_blob_in_the_subject() {
        let event = blob_created(
            "ingest",
            "demo/p.csv",
            Version {
                size: 10,
                modified_ns: 5,
            },
        );
        assert_eq!(event.location(), Some(("ingest", "demo/p.csv")));
        assert_eq!(event.data.content_type, "text/csv");
    }
}
