//! The Azure Blob Storage adapter against Azurite, the Blob Storage emulator. Each test starts
//! its own Azurite (`npm ci` at the repository root installs it; Node.js 20+ runs it) on a free
//! port with its data in a temporary folder, creates the containers, and stops it when done.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use futures::TryStreamExt;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use shared::blobs::{AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY, BlobError, Blobs, Container};
use shared::settings::Secret;
use url::Url;

const INSTALL_HINT: &str = "the Azurite tests need Node.js 20+ on PATH and Azurite installed: \
     run `npm ci` at the repository root (it installs azurite from package-lock.json)";

/// A running Azurite blob service, stopped on drop.
struct Azurite {
    child: Child,
    port: u16,
    _data: tempfile::TempDir,
}

impl Azurite {
    /// Starts Azurite on a free port and waits until it accepts connections.
    fn start() -> Self {
        require_node();
        let executable = azurite_executable();
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Command::new(&executable)
            .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
            .arg("--location")
            .arg(data.path())
            .args(["--silent", "--skipApiVersionCheck", "--loose"])
            .arg("--disableTelemetry")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {}: {e}; {INSTALL_HINT}", executable.display())
            });
        let mut azurite = Self {
            child,
            port,
            _data: data,
        };
        azurite.wait_until_listening();
        azurite
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("Azurite exited before listening ({status}); {INSTALL_HINT}");
            }
            assert!(
                Instant::now() < deadline,
                "Azurite did not listen on port {} within 30 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The development account's blob service URL.
    fn endpoint(&self) -> Url {
        Url::parse(&format!("http://127.0.0.1:{}/{AZURITE_ACCOUNT}", self.port)).unwrap()
    }

    /// The adapter over this Azurite, with every container created.
    async fn blobs(&self) -> Blobs {
        for container in Container::ALL {
            self.create_container(container.name()).await;
        }
        let key = Secret::new(AZURITE_ACCOUNT_KEY);
        Blobs::azure_with_account_key(&self.endpoint(), AZURITE_ACCOUNT, &key).unwrap()
    }

    /// `PUT ?restype=container`, signed with the account key (object_store cannot create one).
    async fn create_container(&self, name: &str) {
        const VERSION: &str = "2023-11-03";
        let date = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let string_to_sign = format!(
            "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{VERSION}\n\
             /{AZURITE_ACCOUNT}/{AZURITE_ACCOUNT}/{name}\nrestype:container"
        );
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&BASE64.decode(AZURITE_ACCOUNT_KEY).unwrap()).unwrap();
        mac.update(string_to_sign.as_bytes());
        let signature = BASE64.encode(mac.finalize().into_bytes());
        let response = reqwest::Client::new()
            .put(format!("{}/{name}?restype=container", self.endpoint()))
            .header("x-ms-date", date)
            .header("x-ms-version", VERSION)
            .header("content-length", "0")
            .header(
                "authorization",
                format!("SharedKey {AZURITE_ACCOUNT}:{signature}"),
            )
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert_eq!(status, 201, "{}", response.text().await.unwrap());
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn require_node() {
    let output = Command::new("node")
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("cannot run `node --version` ({e}); {INSTALL_HINT}"));
    let version = String::from_utf8_lossy(&output.stdout);
    let major: u32 = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        major >= 20,
        "Node.js {} is too old; {INSTALL_HINT}",
        version.trim()
    );
}

/// `<workspace root>/node_modules/.bin/azurite-blob`, else `azurite-blob` on PATH.
fn azurite_executable() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let local = root.join("node_modules/.bin/azurite-blob");
    if local.exists() {
        return local;
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join("azurite-blob"))
        .find(|candidate| candidate.exists());
    on_path.unwrap_or_else(|| panic!("Azurite is not installed; {INSTALL_HINT}"))
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// Blob Storage's error code for a failed request.
fn error_code(response: &reqwest::Response) -> &str {
    response
        .headers()
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Bytes that differ from one position to the next, so a misplaced range shows.
fn sample(len: usize) -> Bytes {
    (0..len)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

#[tokio::test]
async fn a_blob_written_to_azurite_streams_back_whole() {
    let azurite = Azurite::start();
    let blobs = azurite.blobs().await;
    let content = sample(3 * 1024 * 1024 + 17);
    blobs
        .write(Container::Videos, "demo/clip.mp4", content.clone())
        .await
        .unwrap();

    let (size, stream) = blobs
        .read(Container::Videos, "demo/clip.mp4")
        .await
        .unwrap();
    let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
    assert_eq!(size, content.len() as u64);
    assert_eq!(chunks.concat(), content);
    assert_eq!(
        blobs
            .size(Container::Videos, "demo/clip.mp4")
            .await
            .unwrap(),
        size
    );
    // Containers are separate: the same name elsewhere is not there.
    assert!(matches!(
        blobs.size(Container::VideoFrames, "demo/clip.mp4").await,
        Err(BlobError::NotFound { .. })
    ));
    blobs.check().await.unwrap();
}

#[tokio::test]
async fn a_byte_range_reads_only_those_bytes() {
    let azurite = Azurite::start();
    let blobs = azurite.blobs().await;
    let content = sample(10_000);
    blobs
        .write(Container::Videos, "demo/clip.mp4", content.clone())
        .await
        .unwrap();

    let middle = blobs
        .read_range(Container::Videos, "demo/clip.mp4", 4_000..4_100)
        .await
        .unwrap();
    assert_eq!(middle, content.slice(4_000..4_100));
    let tail = blobs
        .read_range(Container::Videos, "demo/clip.mp4", 9_990..20_000)
        .await
        .unwrap();
    assert_eq!(tail, content.slice(9_990..));
    let err = blobs
        .read_range(Container::Videos, "demo/clip.mp4", 50..50)
        .await
        .unwrap_err();
    assert!(matches!(err, BlobError::InvalidRange { .. }), "{err}");
}

#[tokio::test]
async fn a_missing_blob_in_azurite_is_not_found_and_not_transient() {
    let azurite = Azurite::start();
    let blobs = azurite.blobs().await;
    let read = blobs.read(Container::Ingest, "demo/none.csv").await.err();
    let range = blobs
        .read_range(Container::Ingest, "demo/none.csv", 0..10)
        .await
        .err();
    let size = blobs.size(Container::Ingest, "demo/none.csv").await.err();
    for err in [read, range, size] {
        let err = err.unwrap();
        assert!(matches!(err, BlobError::NotFound { .. }), "{err}");
        assert!(!err.is_transient());
    }
}

#[tokio::test]
async fn names_that_could_escape_a_container_are_refused_before_azurite_is_asked() {
    let azurite = Azurite::start();
    let blobs = azurite.blobs().await;
    for name in [
        "../x",
        "demo/../../x",
        "",
        "a//b",
        "a/./b",
        "demo/\u{7}bell",
    ] {
        let err = blobs.read(Container::Ingest, name).await.err().unwrap();
        assert!(
            matches!(err, BlobError::InvalidName { .. }),
            "{name}: {err}"
        );
        let err = blobs
            .upload_url(Container::Ingest, name, Duration::from_secs(60))
            .await
            .unwrap_err();
        assert!(
            matches!(err, BlobError::InvalidName { .. }),
            "{name}: {err}"
        );
    }
}

#[tokio::test]
async fn an_upload_url_lets_its_holder_put_exactly_that_blob_and_nothing_else() {
    let azurite = Azurite::start();
    let blobs = azurite.blobs().await;
    let url = blobs
        .upload_url(Container::Ingest, "demo/feed.csv", Duration::from_secs(600))
        .await
        .unwrap();
    let query: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query["sp"], "w", "write permission only");
    assert_eq!(query["sr"], "b", "one blob, not the container");
    let client = reqwest::Client::new();

    let put = client
        .put(url.clone())
        .header("x-ms-blob-type", "BlockBlob")
        .body("sku,price\nA-1,9.99\n")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201, "{}", put.text().await.unwrap());
    let (_, stream) = blobs
        .read(Container::Ingest, "demo/feed.csv")
        .await
        .unwrap();
    let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
    assert_eq!(chunks.concat(), b"sku,price\nA-1,9.99\n");

    let get = client.get(url.clone()).send().await.unwrap();
    assert_eq!(get.status(), 403, "the URL must not read");
    assert_eq!(error_code(&get), "AuthorizationPermissionMismatch");
    let delete = client.delete(url.clone()).send().await.unwrap();
    assert_eq!(delete.status(), 403, "the URL must not delete");
    assert_eq!(error_code(&delete), "AuthorizationPermissionMismatch");

    let mut elsewhere = url.clone();
    elsewhere.set_path(&url.path().replace("feed.csv", "other.csv"));
    let put_elsewhere = client
        .put(elsewhere)
        .header("x-ms-blob-type", "BlockBlob")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(
        put_elsewhere.status(),
        403,
        "the URL must not write another blob"
    );
    assert!(matches!(
        blobs.size(Container::Ingest, "demo/other.csv").await,
        Err(BlobError::NotFound { .. })
    ));

    let mut listing = url.clone();
    listing.set_path(&format!("/{AZURITE_ACCOUNT}/ingest"));
    listing
        .query_pairs_mut()
        .append_pair("restype", "container")
        .append_pair("comp", "list");
    let list = client.get(listing).send().await.unwrap();
    assert_eq!(list.status(), 403, "the URL must not list the container");
}

#[tokio::test]
async fn an_upload_url_lives_at_most_an_hour() {
    let azurite = Azurite::start();
    let blobs = azurite.blobs().await;
    let url = blobs
        .upload_url(
            Container::Videos,
            "demo/clip.mp4",
            Duration::from_secs(3600),
        )
        .await
        .unwrap();
    let query: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    let start = chrono::DateTime::parse_from_rfc3339(&query["st"]).unwrap();
    let expiry = chrono::DateTime::parse_from_rfc3339(&query["se"]).unwrap();
    assert!(expiry - start <= chrono::TimeDelta::hours(1));

    for ttl in [Duration::from_secs(3601), Duration::ZERO] {
        let err = blobs
            .upload_url(Container::Videos, "demo/clip.mp4", ttl)
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::InvalidTtl { .. }), "{err}");
        assert!(!err.is_transient());
    }
}
