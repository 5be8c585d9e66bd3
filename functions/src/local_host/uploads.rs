//! The local host's stand-in for Blob Storage's SAS uploads: `PUT /blobs/{container}/{blob}`
//! with the `se` and `sig` an [`UploadSigner`] put in the URL (`POST /api/uploads` hands them
//! out). The route's state, the name check and the refusal are shared with the read route
//! ([`super::reads`]). The body is streamed to a hidden file beside the blob and renamed into place, so the
//! watcher (which skips hidden files) never raises a half-written blob. A second PUT to the same
//! URL replaces the blob, as Azure's Put Blob does.

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use shared::blobs::{BlobAccess, UploadRefused, UploadSigner, unix_now};
use tokio::io::AsyncWriteExt;

use super::http_front::problem;

/// Azure's limit on one Put Blob request (5000 MiB).
const MAX_UPLOAD_BYTES: u64 = 5000 * 1024 * 1024;

/// What the signed blob routes (upload and read) need.
#[derive(Debug)]
pub struct BlobRoute {
    /// The blob root (one folder per container).
    pub root: PathBuf,
    /// Checks the URLs' signatures.
    pub signer: UploadSigner,
}

/// Serves `PUT /blobs/{container}/{*blob}`.
pub async fn put_blob(
    State(route): State<Arc<BlobRoute>>,
    Path((container, blob)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let field = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    let checked = route.signer.verify(
        BlobAccess::Write,
        &container,
        &blob,
        field("se"),
        field("sig"),
        unix_now(),
    );
    let container = match checked {
        Ok(granted) => granted.container,
        Err(refused) => return refuse(refused),
    };
    if !is_clean(&blob) {
        return problem(StatusCode::BAD_REQUEST, "the blob name is not a clean path");
    }
    let block_blob = headers
        .get("x-ms-blob-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("BlockBlob"));
    if !block_blob {
        return problem(
            StatusCode::BAD_REQUEST,
            "send the header x-ms-blob-type: BlockBlob, as Azure Blob Storage requires",
        );
    }
    let target = route.root.join(container.name()).join(&blob);
    match store(body, &target).await {
        Ok(()) => {
            tracing::info!(container = container.name(), blob, "blob uploaded");
            (StatusCode::CREATED, [(header::CONTENT_LENGTH, "0")]).into_response()
        }
        Err(StoreFailure::TooLarge) => problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "a blob uploaded in one PUT is at most 5000 MiB",
        ),
        Err(StoreFailure::Io(error)) => {
            tracing::error!(%error, blob, "upload could not be stored");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the upload could not be stored",
            )
        }
    }
}

/// A name whose every segment is a plain, visible file or folder name: nothing that climbs
/// out of the blob root, and no hidden staging file.
pub(super) fn is_clean(blob: &str) -> bool {
    !blob.is_empty()
        && blob.split('/').all(|segment| {
            !segment.is_empty()
                && !segment.starts_with('.')
                && !segment.contains(['\\', '#'])
                && !segment.chars().any(char::is_control)
        })
}

enum StoreFailure {
    TooLarge,
    Io(std::io::Error),
}

/// Streams `body` to a hidden file beside `target`, then renames it into place.
async fn store(body: Body, target: &FsPath) -> Result<(), StoreFailure> {
    let dir = target
        .parent()
        .ok_or_else(|| StoreFailure::Io(std::io::Error::other("the blob has no folder")))?;
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(StoreFailure::Io)?;
    let staging = dir.join(format!(".upload-{}.tmp", uuid::Uuid::new_v4()));
    let written = write_all(body, &staging).await;
    let result = match written {
        Ok(()) => tokio::fs::rename(&staging, target)
            .await
            .map_err(StoreFailure::Io),
        Err(failure) => Err(failure),
    };
    if result.is_err() {
        let _ = tokio::fs::remove_file(&staging).await;
    }
    result
}

async fn write_all(body: Body, path: &FsPath) -> Result<(), StoreFailure> {
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(StoreFailure::Io)?;
    let mut stream = body.into_data_stream();
    let mut size = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| StoreFailure::Io(std::io::Error::other(e)))?;
        size += chunk.len() as u64;
        if size > MAX_UPLOAD_BYTES {
            return Err(StoreFailure::TooLarge);
        }
        file.write_all(&chunk).await.map_err(StoreFailure::Io)?;
    }
    file.sync_all().await.map_err(StoreFailure::Io)
}

/// A refused signed URL: 403 with the reason.
pub(super) fn refuse(refused: UploadRefused) -> Response {
    problem(StatusCode::FORBIDDEN, &refused.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_visible_segments_make_a_clean_name() {
        assert!(is_clean("demo/products/feed.csv"));
        for name in [
            "",
            "demo//x",
            "demo/../x",
            "demo/.hidden",
            "a\\b",
            "a#1",
            "a\u{1}",
        ] {
            assert!(!is_clean(name), "{name:?}");
        }
    }
}
