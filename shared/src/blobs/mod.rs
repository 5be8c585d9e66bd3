//! The blob port: containers of files (partner feeds, reports, videos, thumbnails), read as
//! streams (or in ranges) and written whole. Locally a folder with one sub-folder per
//! container, through object_store's `LocalFileSystem`; in Azure, Blob Storage through the
//! same crate's `MicrosoftAzure`, one store per container ([`azure`]). Apps move bytes through
//! short-lived one-blob URLs instead of the API ([`signed_url`]).

mod azure;
mod container;
mod error;
mod signed_url;
mod upload_signer;

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use futures::stream::{BoxStream, StreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tokio_util::io::{StreamReader, SyncIoBridge};
use url::Url;

pub use azure::{AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY};
use azure::{Authorization, AzureContainers};
pub use container::Container;
use container::blob_path;
pub use error::BlobError;
use error::{invalid_config, map_error};
pub use signed_url::{MAX_READ_URL_TTL, MAX_UPLOAD_URL_TTL};
pub use upload_signer::{
    BlobAccess, Granted, LOCAL_UPLOAD_PATH, UploadRefused, UploadSigner, unix_now,
};

use crate::azure::AzureCredential;
use crate::settings::Secret;

/// The most bytes [`Blobs::read_range`] reads into memory at once.
pub const MAX_RANGE_LEN: u64 = 64 * 1024 * 1024;

/// A stream of a blob's bytes.
pub type ByteStream = BoxStream<'static, Result<Bytes, BlobError>>;

/// The blob store.
#[derive(Clone)]
pub struct Blobs {
    backend: Backend,
    description: String,
    /// Signs upload and read URLs for the local folder, once the local host that serves them
    /// is up.
    upload_signer: Option<UploadSigner>,
}

#[derive(Clone)]
enum Backend {
    /// One store over the folder; the container is the first path segment.
    Local(Arc<LocalFileSystem>),
    /// One store per container.
    Azure(Arc<AzureContainers>),
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
            backend: Backend::Local(Arc::new(store)),
            description: format!("local folder {}", root.display()),
            upload_signer: None,
        })
    }

    /// Blob Storage account `account` at `https://{account}.blob.core.windows.net`, with
    /// bearer tokens from `credential` (the managed identity in Azure). The containers must
    /// exist (deployment creates them).
    pub fn azure(account: &str, credential: Arc<AzureCredential>) -> Result<Self, BlobError> {
        // Checked before it becomes a host name: `a.b/c` would point somewhere else entirely.
        let valid = (3..=24).contains(&account.len())
            && account
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !valid {
            return Err(invalid_config(format!(
                "`{account}` is not a storage account name (3 to 24 lowercase letters and digits)"
            )));
        }
        let endpoint = Url::parse(&format!("https://{account}.blob.core.windows.net"))
            .map_err(|e| invalid_config(format!("account name `{account}`: {e}")))?;
        Self::azure_with_endpoint(&endpoint, account, credential, None)
    }

    /// Blob Storage account `account` at `endpoint` (its blob service URL), with bearer tokens
    /// from `credential`, trusting `extra_root_pem` (a PEM CA certificate) besides the
    /// system's roots: for Azurite over HTTPS, which takes bearer tokens only there.
    pub fn azure_with_endpoint(
        endpoint: &Url,
        account: &str,
        credential: Arc<AzureCredential>,
        extra_root_pem: Option<&[u8]>,
    ) -> Result<Self, BlobError> {
        let authorization = Authorization::Bearer(credential);
        let containers =
            AzureContainers::connect(account, endpoint, &authorization, extra_root_pem)?;
        Ok(Self {
            backend: Backend::Azure(Arc::new(containers)),
            description: format!("Azure Blob Storage account {account} at {endpoint}"),
            upload_signer: None,
        })
    }

    /// Blob Storage at `endpoint` (the account's blob service URL; for Azurite
    /// `http://127.0.0.1:10000/devstoreaccount1`) with the account key: for Azurite, with
    /// [`AZURITE_ACCOUNT`] and [`AZURITE_ACCOUNT_KEY`].
    pub fn azure_with_account_key(
        endpoint: &Url,
        account: &str,
        key: &Secret,
    ) -> Result<Self, BlobError> {
        let containers =
            AzureContainers::connect(account, endpoint, &Authorization::AccountKey(key), None)?;
        Ok(Self {
            backend: Backend::Azure(Arc::new(containers)),
            description: format!("Azure Blob Storage at {endpoint} (account {account}, key)"),
            upload_signer: None,
        })
    }

    /// The same blobs, with local upload and read URLs signed by `signer` (the local host
    /// serves them). Azure makes its own SAS URLs and ignores it.
    pub fn with_upload_signer(mut self, signer: UploadSigner) -> Self {
        self.upload_signer = Some(signer);
        self
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
        let (store, path) = self.locate(container, name)?;
        let result = store
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

    /// Blob `name` of `container` as a blocking reader, for parsers that run on a blocking
    /// thread. A local blob is read straight from its file: object_store's local stream hands
    /// every 8 KiB to the thread pool, which cost a feed's reader a fifth of its time. A remote
    /// blob is streamed.
    pub async fn open_reader(
        &self,
        container: Container,
        name: &str,
    ) -> Result<Box<dyn std::io::Read + Send>, BlobError> {
        if let Backend::Local(store) = &self.backend {
            let (_, path) = self.locate(container, name)?;
            let file = store
                .path_to_filesystem(&path)
                .map_err(BlobError::Storage)
                .and_then(|file| {
                    std::fs::File::open(file).map_err(|e| match e.kind() {
                        std::io::ErrorKind::NotFound => BlobError::NotFound {
                            container: container.name(),
                            name: name.to_owned(),
                        },
                        _ => BlobError::Storage(object_store::Error::Generic {
                            store: "LocalFileSystem",
                            source: Box::new(e),
                        }),
                    })
                })?;
            return Ok(Box::new(file));
        }
        let (_, stream) = self.read(container, name).await?;
        let reader = StreamReader::new(stream.map_err(std::io::Error::other));
        Ok(Box::new(SyncIoBridge::new(reader)))
    }

    /// Writes blob `name` of `container` whole, replacing any previous version.
    pub async fn write(
        &self,
        container: Container,
        name: &str,
        bytes: Bytes,
    ) -> Result<(), BlobError> {
        let (store, path) = self.locate(container, name)?;
        store
            .put(&path, PutPayload::from_bytes(bytes))
            .await
            .map_err(|e| map_error(e, container, name))?;
        Ok(())
    }

    /// The value of the blob's user metadata `key` (`x-ms-meta-{key}`, as an uploader sets it
    /// on its PUT), if it has one. The local folder keeps no metadata: always `None` there.
    pub async fn metadata(
        &self,
        container: Container,
        name: &str,
        key: &str,
    ) -> Result<Option<String>, BlobError> {
        if matches!(self.backend, Backend::Local(_)) {
            return Ok(None);
        }
        let (store, path) = self.locate(container, name)?;
        let options = object_store::GetOptions {
            head: true,
            ..Default::default()
        };
        let head = store
            .get_opts(&path, options)
            .await
            .map_err(|e| map_error(e, container, name))?;
        let wanted = object_store::Attribute::Metadata(key.to_ascii_lowercase().into());
        Ok(head
            .attributes
            .get(&wanted)
            .map(|value| value.as_ref().to_owned()))
    }

    /// Writes blob `name` of `container` whole with its `Content-Type`, which Blob Storage
    /// sends back to whoever reads it (a browser showing a thumbnail through a read URL). The
    /// local folder keeps no content types: the local host answers by the name's extension.
    pub async fn write_typed(
        &self,
        container: Container,
        name: &str,
        bytes: Bytes,
        content_type: &'static str,
    ) -> Result<(), BlobError> {
        if matches!(self.backend, Backend::Local(_)) {
            return self.write(container, name, bytes).await;
        }
        let (store, path) = self.locate(container, name)?;
        let mut options = object_store::PutOptions::default();
        options
            .attributes
            .insert(object_store::Attribute::ContentType, content_type.into());
        store
            .put_opts(&path, PutPayload::from_bytes(bytes), options)
            .await
            .map_err(|e| map_error(e, container, name))?;
        Ok(())
    }

    /// Writes blob `name` of `container` from `file`, streamed in parts (a multipart upload),
    /// so a large file never sits in memory whole.
    pub async fn write_file(
        &self,
        container: Container,
        name: &str,
        file: &std::path::Path,
    ) -> Result<(), BlobError> {
        use tokio::io::AsyncWriteExt;

        let (store, path) = self.locate(container, name)?;
        let mut source = tokio::fs::File::open(file).await.map_err(|e| {
            BlobError::Storage(object_store::Error::Generic {
                store: "local file",
                source: Box::new(e),
            })
        })?;
        let mut upload = object_store::buffered::BufWriter::new(store, path);
        let copied = tokio::io::copy(&mut source, &mut upload).await;
        let finished = match copied {
            Ok(_) => upload.shutdown().await,
            Err(e) => {
                let _ = upload.abort().await;
                Err(e)
            }
        };
        finished.map_err(|e| {
            BlobError::Storage(object_store::Error::Generic {
                store: "blob upload",
                source: Box::new(e),
            })
        })
    }

    /// Bytes `range` of blob `name` of `container`, for callers that need only part of a blob
    /// (an MP4's `moov` box), in memory: at most [`MAX_RANGE_LEN`] bytes. A range that runs
    /// past the end is cut at the end; one that starts there is refused.
    pub async fn read_range(
        &self,
        container: Container,
        name: &str,
        range: Range<u64>,
    ) -> Result<Bytes, BlobError> {
        let invalid = |reason: String| BlobError::InvalidRange {
            container: container.name(),
            name: name.to_owned(),
            range: range.clone(),
            reason,
        };
        if range.is_empty() {
            return Err(invalid("the range is empty".to_owned()));
        }
        if range.end - range.start > MAX_RANGE_LEN {
            return Err(invalid(format!(
                "more than {MAX_RANGE_LEN} bytes: stream it"
            )));
        }
        let (store, path) = self.locate(container, name)?;
        // Both stores fail a range past the end with an untyped error, and the local one
        // fails a range that is only partly there: ask the size first.
        let size = store
            .head(&path)
            .await
            .map_err(|e| map_error(e, container, name))?
            .size;
        if range.start >= size {
            return Err(invalid(format!("the blob has {size} bytes")));
        }
        store
            .get_range(&path, range.start..range.end.min(size))
            .await
            .map_err(|e| map_error(e, container, name))
    }

    /// The size in bytes of blob `name` of `container`.
    pub async fn size(&self, container: Container, name: &str) -> Result<u64, BlobError> {
        let (store, path) = self.locate(container, name)?;
        let meta = store
            .head(&path)
            .await
            .map_err(|e| map_error(e, container, name))?;
        Ok(meta.size)
    }

    /// Checks that storage answers, for `Health`.
    pub async fn check(&self) -> Result<(), BlobError> {
        let mut listing = match &self.backend {
            Backend::Local(store) => {
                store.list(Some(&ObjectPath::from(Container::IngestReports.name())))
            }
            Backend::Azure(containers) => containers.get(Container::IngestReports).list(None),
        };
        match listing.next().await {
            None | Some(Ok(_)) => Ok(()),
            Some(Err(e)) => Err(BlobError::Storage(e)),
        }
    }
}

impl Blobs {
    /// The store that holds `container` and the path of `name` in it.
    fn locate(
        &self,
        container: Container,
        name: &str,
    ) -> Result<(Arc<dyn ObjectStore>, ObjectPath), BlobError> {
        let path = blob_path(name)?;
        match &self.backend {
            Backend::Local(store) => {
                let path = ObjectPath::from(container.name())
                    .parts()
                    .chain(path.parts())
                    .collect();
                let store: Arc<dyn ObjectStore> = store.clone();
                Ok((store, path))
            }
            Backend::Azure(containers) => {
                let store: Arc<dyn ObjectStore> = containers.get(container).clone();
                Ok((store, path))
            }
        }
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

    #[tokio::test]
    async fn a_byte_range_of_a_local_blob_is_cut_at_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::local_folder(dir.path()).unwrap();
        let content = Bytes::from_static(b"0123456789");
        blobs
            .write(Container::Videos, "demo/clip.mp4", content.clone())
            .await
            .unwrap();
        let read = |range| blobs.read_range(Container::Videos, "demo/clip.mp4", range);
        assert_eq!(read(2..5).await.unwrap(), content.slice(2..5));
        assert_eq!(read(8..1_000).await.unwrap(), content.slice(8..));
        for range in [10..11, 4..4, 0..MAX_RANGE_LEN + 1] {
            let err = read(range.clone()).await.unwrap_err();
            assert!(
                matches!(err, BlobError::InvalidRange { .. }),
                "{range:?}: {err}"
            );
            assert!(!err.is_transient());
        }
        assert_eq!(
            blobs
                .size(Container::Videos, "demo/clip.mp4")
                .await
                .unwrap(),
            10
        );
    }

    #[tokio::test]
    async fn a_local_blob_opens_as_a_reader_of_its_file() {
        use std::io::Read;
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::local_folder(dir.path()).unwrap();
        blobs
            .write(Container::Ingest, "demo/feed.csv", Bytes::from("sku\nA\n"))
            .await
            .unwrap();
        let mut text = String::new();
        blobs
            .open_reader(Container::Ingest, "demo/feed.csv")
            .await
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "sku\nA\n");
        let missing = blobs
            .open_reader(Container::Ingest, "demo/gone.csv")
            .await
            .err()
            .unwrap();
        assert!(matches!(missing, BlobError::NotFound { .. }), "{missing}");
        // Another container's folder is not this one's.
        let elsewhere = blobs
            .open_reader(Container::Videos, "demo/feed.csv")
            .await
            .err()
            .unwrap();
        assert!(matches!(elsewhere, BlobError::NotFound { .. }));
        let escape = blobs
            .open_reader(Container::Ingest, "../ingest/demo/feed.csv")
            .await
            .err()
            .unwrap();
        assert!(matches!(escape, BlobError::InvalidName { .. }), "{escape}");
    }

    #[test]
    fn an_account_name_that_could_name_another_host_is_refused() {
        let credential = Arc::new(AzureCredential::from_token_credential(
            Arc::new(NoTokens),
            "none",
        ));
        for account in ["evil.example/x", "UPPER", "ab", "a-b-c", ""] {
            let err = Blobs::azure(account, credential.clone()).unwrap_err();
            assert!(matches!(err, BlobError::Configure(_)), "{account}: {err}");
            assert!(!err.is_transient());
        }
        let blobs = Blobs::azure("advisorprod01", credential).unwrap();
        assert_eq!(
            blobs.describe(),
            "Azure Blob Storage account advisorprod01 at https://advisorprod01.blob.core.windows.net/"
        );
    }

    /// A credential never asked for a token (building the stores does not fetch one).
    #[derive(Debug)]
    struct NoTokens;

    #[async_trait::async_trait]
    impl azure_core::credentials::TokenCredential for NoTokens {
        async fn get_token(
            &self,
            _: &[&str],
            _: Option<azure_core::credentials::TokenRequestOptions<'_>>,
        ) -> azure_core::Result<azure_core::credentials::AccessToken> {
            panic!("no token expected")
        }
    }
}
