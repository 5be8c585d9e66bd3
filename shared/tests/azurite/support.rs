//! Starts and stops Azurite's blob service for one test, and talks to it directly where the
//! adapter cannot (creating containers).

use std::io::BufRead;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use sha2::Sha256;
use shared::blobs::{AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY, Blobs, Container};
use shared::settings::Secret;
use url::Url;

const INSTALL_HINT: &str = "the Azurite tests need Node.js 20+ on PATH and Azurite installed: \
     run `npm ci` at the repository root (it installs azurite from package-lock.json)";

/// A running Azurite blob service, stopped on drop.
pub struct Azurite {
    child: Child,
    /// Gets `()` when Azurite says it listens (its stdout's "successfully listens" line).
    listening: mpsc::Receiver<()>,
    port: u16,
    tls: Option<Tls>,
    _data: tempfile::TempDir,
}

/// A throwaway CA, and the certificate for 127.0.0.1 it signed that Azurite serves.
struct Tls {
    ca_pem: String,
}

impl Azurite {
    /// Plain HTTP, account key and SAS only.
    pub fn start() -> Self {
        Self::spawn(false)
    }

    /// HTTPS with `--oauth basic`, so bearer tokens (and user delegation keys) work: Azurite
    /// takes them only over HTTPS, and checks their claims but not their signature.
    pub fn start_with_oauth() -> Self {
        Self::spawn(true)
    }

    fn spawn(oauth: bool) -> Self {
        require_node();
        // A port can be taken between choosing it and Azurite binding it (by any process on
        // the machine): Azurite then exits at once, and another port is tried.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut azurite = Self::spawn_once(oauth);
            match azurite.wait_until_listening() {
                Ok(()) => return azurite,
                Err(status) if attempts < 3 => {
                    eprintln!("Azurite exited before listening ({status}); trying another port");
                }
                Err(status) => panic!("Azurite exited before listening ({status}); {INSTALL_HINT}"),
            }
        }
    }

    fn spawn_once(oauth: bool) -> Self {
        let executable = azurite_executable();
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut command = Command::new(&executable);
        command
            .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
            .arg("--location")
            .arg(data.path())
            .args(["--silent", "--skipApiVersionCheck", "--loose"])
            .arg("--disableTelemetry");
        let tls = oauth.then(|| {
            let (tls, cert, key) = write_tls_files(data.path());
            command.arg("--cert").arg(cert).arg("--key").arg(key);
            command.args(["--oauth", "basic"]);
            tls
        });
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {}: {e}; {INSTALL_HINT}", executable.display())
            });
        // Read to the end, so the pipe never fills; the line saying it listens is the signal.
        let stdout = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
        let (said, listening) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if line.contains("successfully listens") {
                    let _ = said.send(());
                }
            }
        });
        Self {
            child,
            listening,
            port,
            tls,
            _data: data,
        }
    }

    /// Waits until this Azurite says it listens; `Err` with its exit status if it ended first.
    /// Its own word, not a TCP connect: another process holding the port would answer a
    /// connect while this Azurite was still starting, and be gone by the first request.
    fn wait_until_listening(&mut self) -> Result<(), std::process::ExitStatus> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.listening.recv_timeout(Duration::from_millis(50)) {
                Ok(()) => return Ok(()),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // Its stdout closed: it is exiting.
                    return Err(self.child.wait().unwrap());
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(status);
            }
            assert!(
                Instant::now() < deadline,
                "Azurite did not listen on port {} within 30 s",
                self.port
            );
        }
    }

    /// The development account's blob service URL.
    pub fn endpoint(&self) -> Url {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        Url::parse(&format!(
            "{scheme}://127.0.0.1:{}/{AZURITE_ACCOUNT}",
            self.port
        ))
        .unwrap()
    }

    /// The CA that signed Azurite's certificate, PEM (HTTPS only).
    pub fn ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|tls| tls.ca_pem.as_str())
    }

    /// An HTTP client that trusts this Azurite.
    pub fn client(&self) -> reqwest::Client {
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = self.ca_pem() {
            let ca = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap();
            builder = builder.tls_certs_merge([ca]);
        }
        builder.build().unwrap()
    }

    /// Creates every container.
    pub async fn create_containers(&self) {
        for container in Container::ALL {
            self.create_container(container.name()).await;
        }
    }

    /// The adapter over this Azurite with the account key, every container created.
    pub async fn blobs(&self) -> Blobs {
        self.create_containers().await;
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
        let response = self
            .client()
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

/// Writes a certificate for 127.0.0.1 and its key into `dir`, signed by a new CA.
fn write_tls_files(dir: &Path) -> (Tls, PathBuf, PathBuf) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let cert_path = dir.join("azurite-cert.pem");
    let key_path = dir.join("azurite-key.pem");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let tls = Tls { ca_pem: ca.pem() };
    (tls, cert_path, key_path)
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
    on_path.unwrap_or_else(|| {
        panic!(
            "Azurite is not installed (no {} and no azurite-blob on PATH); {INSTALL_HINT}",
            local.display()
        )
    })
}

/// A port free now and never handed out before in this process: tests start Azurites in
/// parallel, and two given the same just-freed port would have one answer for the other.
fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap();
    loop {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// Blob Storage's error code for a failed request.
pub fn error_code(response: &reqwest::Response) -> &str {
    response
        .headers()
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Checks that `url` (an upload URL for `ingest/demo/feed.csv`) writes exactly that blob and
/// nothing else: the PUT lands, while reading, deleting and writing another name are refused.
pub async fn assert_upload_url_writes_only_its_blob(
    client: &reqwest::Client,
    blobs: &Blobs,
    url: &Url,
) {
    use futures::TryStreamExt;

    let body = "sku,price\nA-1,9.99\n";
    let put = client
        .put(url.clone())
        .header("x-ms-blob-type", "BlockBlob")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201, "{}", put.text().await.unwrap());
    let (_, stream) = blobs
        .read(Container::Ingest, "demo/feed.csv")
        .await
        .unwrap();
    let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
    assert_eq!(chunks.concat(), body.as_bytes());

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
        Err(shared::blobs::BlobError::NotFound { .. })
    ));
}

/// Bytes that differ from one position to the next, so a misplaced range shows.
pub fn sample(len: usize) -> Bytes {
    (0..len)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// Checks that `url` (a read URL for `video-frames/demo/clip/frame-0001.jpg`) reads exactly
/// that blob and nothing else: the GET answers the bytes, while writing it, deleting it and
/// reading another name are refused.
pub async fn assert_read_url_reads_only_its_blob(
    client: &reqwest::Client,
    blobs: &Blobs,
    url: &Url,
) {
    let frame = Bytes::from_static(&[0xFF, 0xD8, 0xFF, 0xE0, b'J', b'F', b'I', b'F', 0xFF, 0xD9]);
    let name = "demo/clip/frame-0001.jpg";
    blobs
        .write_typed(Container::VideoFrames, name, frame.clone(), "image/jpeg")
        .await
        .unwrap();
    blobs
        .write(
            Container::VideoFrames,
            "demo/clip/frame-0002.jpg",
            sample(8),
        )
        .await
        .unwrap();

    let get = client.get(url.clone()).send().await.unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(
        get.headers()["content-type"],
        "image/jpeg",
        "a browser shows the thumbnail as the picture it is"
    );
    assert_eq!(get.bytes().await.unwrap(), frame);

    let put = client
        .put(url.clone())
        .header("x-ms-blob-type", "BlockBlob")
        .body("overwritten")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 403, "the URL must not write");
    assert_eq!(error_code(&put), "AuthorizationPermissionMismatch");
    let delete = client.delete(url.clone()).send().await.unwrap();
    assert_eq!(delete.status(), 403, "the URL must not delete");
    assert_eq!(error_code(&delete), "AuthorizationPermissionMismatch");
    let (_, stream) = blobs.read(Container::VideoFrames, name).await.unwrap();
    let chunks: Vec<Bytes> = futures::TryStreamExt::try_collect(stream).await.unwrap();
    assert_eq!(chunks.concat(), frame, "the thumbnail is unchanged");

    let mut elsewhere = url.clone();
    elsewhere.set_path(&url.path().replace("frame-0001", "frame-0002"));
    let other = client.get(elsewhere).send().await.unwrap();
    assert_eq!(other.status(), 403, "the URL must not read another blob");
}
