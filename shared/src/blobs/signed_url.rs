//! Short-lived URLs for one blob, so apps move bytes without passing them through the API
//! (which cannot return binary bodies): write URLs for uploads, read URLs for thumbnails. In
//! Azure they are SAS URLs with one permission; on the local folder the [`UploadSigner`]'s URLs
//! on the local host. Which containers each kind reaches is [`BlobAccess`]'s rule.

use std::time::Duration;

use object_store::signer::Signer;
use url::Url;

use super::container::blob_path;
use super::{Backend, BlobAccess, BlobError, Blobs, Container};

/// The longest an upload URL may live.
pub const MAX_UPLOAD_URL_TTL: Duration = Duration::from_secs(60 * 60);

/// The longest a read URL may live: an app asks again when it shows the video again.
pub const MAX_READ_URL_TTL: Duration = Duration::from_secs(60 * 60);

impl Blobs {
    /// A URL that lets its holder create or overwrite exactly blob `name` of `container` for
    /// `ttl` (at most [`MAX_UPLOAD_URL_TTL`]): a SAS with write permission only, no read, list
    /// or delete. With a bearer credential it is a user delegation SAS, with an account key a
    /// service SAS. The holder PUTs the bytes with `x-ms-blob-type: BlockBlob`. The local
    /// folder hands out URLs on the local host when it has an [`UploadSigner`]. Only `ingest`
    /// and `videos` take uploads.
    ///
    /// [`UploadSigner`]: super::UploadSigner
    pub async fn upload_url(
        &self,
        container: Container,
        name: &str,
        ttl: Duration,
    ) -> Result<Url, BlobError> {
        self.signed_url(BlobAccess::Write, container, name, ttl)
            .await
    }

    /// A URL that lets its holder read (`GET`) exactly blob `name` of `container` for `ttl`
    /// (at most [`MAX_READ_URL_TTL`]): a SAS with read permission only, signed as
    /// [`upload_url`](Self::upload_url)'s are; locally a URL on the local host. Only
    /// `video-frames` is handed out (thumbnails are what apps display; feeds, reports and the
    /// videos themselves are not): any other container is [`BlobError::AccessNotGranted`].
    pub async fn read_url(
        &self,
        container: Container,
        name: &str,
        ttl: Duration,
    ) -> Result<Url, BlobError> {
        self.signed_url(BlobAccess::Read, container, name, ttl)
            .await
    }

    async fn signed_url(
        &self,
        access: BlobAccess,
        container: Container,
        name: &str,
        ttl: Duration,
    ) -> Result<Url, BlobError> {
        let path = blob_path(name)?;
        if !access.allows(container) {
            return Err(BlobError::AccessNotGranted {
                container: container.name(),
                access,
            });
        }
        let max = match access {
            BlobAccess::Write => MAX_UPLOAD_URL_TTL,
            BlobAccess::Read => MAX_READ_URL_TTL,
        };
        if ttl < Duration::from_secs(1) || ttl > max {
            return Err(BlobError::InvalidTtl {
                requested: ttl,
                max,
            });
        }
        match &self.backend {
            Backend::Local(_) => match (&self.upload_signer, access) {
                (Some(signer), _) => Ok(signer.sign(access, container, path.as_ref(), ttl)),
                (None, BlobAccess::Write) => Err(BlobError::UploadUrlUnavailable {
                    store: "local folder",
                }),
                (None, BlobAccess::Read) => Err(BlobError::ReadUrlUnavailable {
                    store: "local folder",
                }),
            },
            Backend::Azure(containers) => containers
                .get(container)
                .signed_url(access.method(), &path, ttl)
                .await
                .map_err(BlobError::Storage),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::UploadSigner;
    use super::*;

    fn local_with_signer(dir: &std::path::Path) -> Blobs {
        let signer = UploadSigner::new(Url::parse("http://127.0.0.1:7071").unwrap(), [1; 32]);
        Blobs::local_folder(dir).unwrap().with_upload_signer(signer)
    }

    #[tokio::test]
    async fn the_local_folder_hands_out_no_upload_urls() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::local_folder(dir.path()).unwrap();
        let err = blobs
            .upload_url(Container::Ingest, "demo/feed.csv", Duration::from_secs(60))
            .await
            .unwrap_err();
        assert!(
            matches!(err, BlobError::UploadUrlUnavailable { .. }),
            "{err}"
        );
        assert!(!err.is_transient());
        let err = blobs
            .upload_url(
                Container::Ingest,
                "demo/feed.csv",
                Duration::from_secs(7200),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::InvalidTtl { .. }), "{err}");
    }

    #[tokio::test]
    async fn the_local_folder_without_a_signer_hands_out_no_read_urls() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::local_folder(dir.path()).unwrap();
        let err = blobs
            .read_url(
                Container::VideoFrames,
                "demo/clip/frame-0001.jpg",
                Duration::from_secs(60),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::ReadUrlUnavailable { .. }), "{err}");
        assert!(!err.is_transient());
    }

    #[tokio::test]
    async fn the_local_folder_with_a_signer_hands_out_urls_on_the_local_host() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = local_with_signer(dir.path());
        let url = blobs
            .upload_url(Container::Videos, "demo/clip.mp4", Duration::from_secs(60))
            .await
            .unwrap();
        assert!(
            url.as_str()
                .starts_with("http://127.0.0.1:7071/blobs/videos/demo/clip.mp4?se="),
            "{url}"
        );
        let url = blobs
            .read_url(
                Container::VideoFrames,
                "demo/clip/frame-0001.jpg",
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        assert!(
            url.as_str().starts_with(
                "http://127.0.0.1:7071/blobs/video-frames/demo/clip/frame-0001.jpg?se="
            ),
            "{url}"
        );
    }

    #[tokio::test]
    async fn read_urls_are_handed_out_for_thumbnails_only() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = local_with_signer(dir.path());
        for container in [
            Container::Ingest,
            Container::IngestReports,
            Container::Videos,
        ] {
            let err = blobs
                .read_url(container, "demo/a.bin", Duration::from_secs(60))
                .await
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "read URLs are not handed out for container {}",
                    container.name()
                )
            );
            assert!(!err.is_transient());
        }
        let err = blobs
            .upload_url(
                Container::VideoFrames,
                "demo/a.jpg",
                Duration::from_secs(60),
            )
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "upload URLs are not handed out for container video-frames"
        );
    }

    #[tokio::test]
    async fn a_read_url_lives_one_second_to_one_hour() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = local_with_signer(dir.path());
        let frame = "demo/clip/frame-0001.jpg";
        for ttl in [Duration::from_secs(1), MAX_READ_URL_TTL] {
            let url = blobs
                .read_url(Container::VideoFrames, frame, ttl)
                .await
                .unwrap();
            assert_eq!(url.path(), "/blobs/video-frames/demo/clip/frame-0001.jpg");
        }
        for ttl in [
            Duration::ZERO,
            Duration::from_millis(999),
            MAX_READ_URL_TTL + Duration::from_secs(1),
        ] {
            let err = blobs
                .read_url(Container::VideoFrames, frame, ttl)
                .await
                .unwrap_err();
            assert!(
                matches!(err, BlobError::InvalidTtl { requested, max }
                    if requested == ttl && max == Duration::from_secs(3600)),
                "{ttl:?}: {err}"
            );
        }
        let err = blobs
            .read_url(
                Container::VideoFrames,
                "demo/../x.jpg",
                Duration::from_secs(60),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::InvalidName { .. }), "{err}");
    }
}
