//! The blob port: containers of files (partner feeds, reports, videos, thumbnails), read as
//! streams and written whole. Locally a folder with one sub-folder per container, through
//! object_store's `LocalFileSystem`; in Azure, Blob Storage through the same crate.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

/// The containers the app uses. A closed set, so a typo cannot invent a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Container {
    /// Partner feeds: `ingest/{tenant}/…`.
    Ingest,
    /// Ingestion reports: `ingest-reports/{tenant}/…`.
    IngestReports,
    /// Product videos: `videos/{tenant}/…`.
    Videos,
    /// Keyframe thumbnails: `video-frames/{tenant}/…`.
    VideoFrames,
}

impl Container {
    /// Every container, for creating them.
    pub const ALL: [Container; 4] = [
        Container::Ingest,
        Container::IngestReports,
        Container::Videos,
        Container::VideoFrames,
    ];

    /// The container's name in storage.
    pub fn name(self) -> &'static str {
        match self {
            Container::Ingest => "ingest",
            Container::IngestReports => "ingest-reports",
            Container::Videos => "videos",
            Container::VideoFrames => "video-frames",
        }
    }
}

/// A failed blob operation.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The blob does not exist (deleted since the event was raised, or never there).
    #[error("blob {container}/{name} not found")]
    NotFound {
        /// Its container.
        container: &'static str,
        /// Its name.
        name: String,
    },
    /// The name cannot be a blob name (empty segment, `..`, control characters).
    #[error("`{name}` is not a valid blob name: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// Why.
        reason: String,
    },
    /// The storage service or file system failed.
    #[error("blob storage failed: {0}")]
    Storage(#[source] object_store::Error),
}

impl BlobError {
    /// Whether trying again may succeed: storage failures may pass, a bad name or a missing
    /// blob will not.
    pub fn is_transient(&self) -> bool {
        matches!(self, BlobError::Storage(_))
    }
}

/// A stream of a blob's bytes.
pub type ByteStream = BoxStream<'static, Result<Bytes, BlobError>>;

/// The blob store.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    description: String,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

impl Blobs {
    /// Blobs in the local folder `root`, with one sub-folder per container (created here).
    pub fn local_folder(root: &Path) -> Result<Self, BlobError> {
        for container in Container::ALL {
            std::fs::create_dir_all(root.join(container.name())).map_err(|e| {
                BlobError::Storage(object_store::Error::Generic {
                    store: "LocalFileSystem",
                    source: Box::new(e),
                })
            })?;
        }
        let store = LocalFileSystem::new_with_prefix(root).map_err(BlobError::Storage)?;
        Ok(Self {
            store: Arc::new(store),
            description: format!("local folder {}", root.display()),
        })
    }

    /// What serves the blobs, for the banner and `Health`.
    pub fn describe(&self) -> &str {
        &self.description
    }

    /// Streams blob `name` of `container`, with its size.
    pub async fn read(
        &self,
        container: Container,
        name: &str,
    ) -> Result<(u64, ByteStream), BlobError> {
        let path = object_path(container, name)?;
        let result = self
            .store
            .get(&path)
            .await
            .map_err(|e| map_error(e, container, name))?;
        let size = result.meta.size;
        let owned_name = name.to_owned();
        let stream = result
            .into_stream()
            .map(move |chunk| chunk.map_err(|e| map_error(e, container, &owned_name)))
            .boxed();
        Ok((size, stream))
    }

    /// Writes blob `name` of `container` whole, replacing any previous version.
    pub async fn write(
        &self,
        container: Container,
        name: &str,
        bytes: Bytes,
    ) -> Result<(), BlobError> {
        let path = object_path(container, name)?;
        self.store
            .put(&path, PutPayload::from_bytes(bytes))
            .await
            .map_err(|e| map_error(e, container, name))?;
        Ok(())
    }

    /// Checks that storage answers, for `Health`.
    pub async fn check(&self) -> Result<(), BlobError> {
        let probe = ObjectPath::from(Container::IngestReports.name());
        let mut listing = self.store.list(Some(&probe));
        match listing.next().await {
            None | Some(Ok(_)) => Ok(()),
            Some(Err(e)) => Err(BlobError::Storage(e)),
        }
    }
}

/// Maps `container` + `name` onto a store path, refusing names that could escape it.
fn object_path(container: Container, name: &str) -> Result<ObjectPath, BlobError> {
    let invalid = |reason: &str| BlobError::InvalidName {
        name: name.to_owned(),
        reason: reason.to_owned(),
    };
    if name.is_empty() || name.len() > 1024 {
        return Err(invalid("a name is 1 to 1024 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("control characters are not allowed"));
    }
    if name
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(invalid("empty, `.` and `..` segments are not allowed"));
    }
    ObjectPath::parse(format!("{}/{name}", container.name())).map_err(|e| invalid(&e.to_string()))
}

fn map_error(error: object_store::Error, container: Container, name: &str) -> BlobError {
    match error {
        object_store::Error::NotFound { .. } => BlobError::NotFound {
            container: container.name(),
            name: name.to_owned(),
        },
        other => BlobError::Storage(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;

    #[tokio::test]
    async fn a_written_blob_streams_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::local_folder(dir.path()).unwrap();
        blobs
            .write(
                Container::IngestReports,
                "demo/a.report.json",
                Bytes::from_static(b"{}"),
            )
            .await
            .unwrap();
        let (size, stream) = blobs
            .read(Container::IngestReports, "demo/a.report.json")
            .await
            .unwrap();
        let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
        assert_eq!(size, 2);
        assert_eq!(chunks.concat(), b"{}");
        assert!(
            dir.path()
                .join("ingest-reports/demo/a.report.json")
                .exists()
        );
        blobs.check().await.unwrap();
    }

    #[tokio::test]
    async fn names_that_could_escape_the_container_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::local_folder(dir.path()).unwrap();
        for name in ["../x", "demo/../../x", "", "a//b", "a/./b"] {
            let err = blobs.read(Container::Ingest, name).await.err().unwrap();
            assert!(
                matches!(err, BlobError::InvalidName { .. }),
                "{name}: {err}"
            );
            assert!(!err.is_transient());
        }
    }

    #[tokio::test]
    async fn a_missing_blob_is_not_found_and_not_transient() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::local_folder(dir.path()).unwrap();
        let err = blobs
            .read(Container::Ingest, "demo/none.csv")
            .await
            .err()
            .unwrap();
        assert!(matches!(err, BlobError::NotFound { .. }));
    }
}
