//! What can go wrong with a blob, and whether trying again helps.

use std::ops::Range;
use std::time::Duration;

use super::{BlobAccess, Container};

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
    /// The byte range asked for cannot be read: empty, too long, or starting past the end.
    #[error("cannot read bytes {range:?} of blob {container}/{name}: {reason}")]
    InvalidRange {
        /// Its container.
        container: &'static str,
        /// Its name.
        name: String,
        /// The range asked for.
        range: Range<u64>,
        /// Why.
        reason: String,
    },
    /// A signed URL may live at most [`MAX_UPLOAD_URL_TTL`](super::MAX_UPLOAD_URL_TTL) (upload)
    /// or [`MAX_READ_URL_TTL`](super::MAX_READ_URL_TTL) (read).
    #[error("a signed URL may live between 1 second and {max:?}, not {requested:?}")]
    InvalidTtl {
        /// The lifetime asked for.
        requested: Duration,
        /// The longest allowed.
        max: Duration,
    },
    /// This store cannot hand out upload URLs (the local folder without an upload signer,
    /// i.e. not behind the local host).
    #[error("upload URLs are not available for the {store}")]
    UploadUrlUnavailable {
        /// Which store.
        store: &'static str,
    },
    /// This store cannot hand out read URLs (the local folder without a signer, i.e. not
    /// behind the local host).
    #[error("read URLs are not available for the {store}")]
    ReadUrlUnavailable {
        /// Which store.
        store: &'static str,
    },
    /// URLs with this access are not handed out for this container (see [`BlobAccess`]):
    /// reads reach thumbnails only, uploads feeds and videos only.
    #[error("{access} URLs are not handed out for container {container}")]
    AccessNotGranted {
        /// The container asked for.
        container: &'static str,
        /// The access asked for.
        access: BlobAccess,
    },
    /// The store cannot be set up from the configuration given (bad account, endpoint, key).
    #[error("blob storage is misconfigured: {0}")]
    Configure(#[source] object_store::Error),
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

pub(super) fn invalid_config(message: String) -> BlobError {
    BlobError::Configure(object_store::Error::Generic {
        store: "MicrosoftAzure",
        source: message.into(),
    })
}

pub(super) fn map_error(error: object_store::Error, container: Container, name: &str) -> BlobError {
    match error {
        object_store::Error::NotFound { .. } => BlobError::NotFound {
            container: container.name(),
            name: name.to_owned(),
        },
        other => BlobError::Storage(other),
    }
}
