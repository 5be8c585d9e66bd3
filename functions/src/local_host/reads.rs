//! The local host's stand-in for reading a blob through a read-only SAS:
//! `GET /blobs/{container}/{blob}` with the `se` and `sig` of a read URL
//! ([`Blobs::read_url`](shared::blobs::Blobs::read_url) hands them out, for `video-frames`
//! only). The file is streamed from the blob root with its length, a content type from its
//! extension and a private cache lifetime that ends when the URL does. Write URLs do not read:
//! their signature covers `PUT`.

use std::collections::HashMap;
use std::path::Path as FsPath;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::blobs::{BlobAccess, unix_now};
use tokio_util::io::ReaderStream;

use super::http_front::problem;
use super::uploads::{BlobRoute, is_clean, refuse};

/// Serves `GET /blobs/{container}/{*blob}`.
pub async fn get_blob(
    State(route): State<Arc<BlobRoute>>,
    Path((container, blob)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    let now = unix_now();
    let checked = route.signer.verify(
        BlobAccess::Read,
        &container,
        &blob,
        field("se"),
        field("sig"),
        now,
    );
    let granted = match checked {
        Ok(granted) => granted,
        Err(refused) => return refuse(refused),
    };
    // Hidden files are uploads still being staged, never blobs.
    if !is_clean(&blob) {
        return problem(StatusCode::BAD_REQUEST, "the blob name is not a clean path");
    }
    let path = route.root.join(granted.container.name()).join(&blob);
    let (file, len) = match open_file(&path).await {
        Ok(opened) => opened,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return problem(StatusCode::NOT_FOUND, "the blob does not exist");
        }
        Err(error) => {
            tracing::error!(%error, blob, "blob could not be read");
            return problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the blob could not be read",
            );
        }
    };
    let headers: [(HeaderName, String); 4] = [
        (header::CONTENT_TYPE, content_type(&blob).to_owned()),
        (header::CONTENT_LENGTH, len.to_string()),
        (
            header::CACHE_CONTROL,
            format!("private, max-age={}", granted.expires.saturating_sub(now)),
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
    ];
    let body = Body::from_stream(ReaderStream::new(file));
    (StatusCode::OK, headers, body).into_response()
}

/// The regular file at `path` and its length; a folder is as missing as nothing.
async fn open_file(path: &FsPath) -> std::io::Result<(tokio::fs::File, u64)> {
    let file = tokio::fs::File::open(path).await?;
    let metadata = file.metadata().await?;
    if !metadata.is_file() {
        return Err(std::io::ErrorKind::NotFound.into());
    }
    Ok((file, metadata.len()))
}

/// The media type of a blob by its extension: the thumbnail formats, else bytes.
fn content_type(blob: &str) -> &'static str {
    let extension = blob
        .rsplit_once('.')
        .map(|(_, extension)| extension.to_ascii_lowercase());
    match extension.as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_are_served_as_images_and_anything_else_as_bytes() {
        assert_eq!(content_type("demo/clip/frame-0001.jpg"), "image/jpeg");
        assert_eq!(content_type("demo/clip/frame-0001.JPEG"), "image/jpeg");
        assert_eq!(content_type("demo/clip/frame.png"), "image/png");
        assert_eq!(content_type("demo/clip/frame.webp"), "image/webp");
        assert_eq!(
            content_type("demo/clip.v2/frame"),
            "application/octet-stream"
        );
        assert_eq!(
            content_type("demo/clip/notes.txt"),
            "application/octet-stream"
        );
    }
}
