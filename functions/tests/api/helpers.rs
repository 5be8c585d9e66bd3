//! Spawning the function app for black-box tests: the real handler and the real local host on
//! free ports, over a fresh data directory, with short pacing so nothing waits long.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use advisor::app::{AppState, HandlerServer};
use advisor::local_host::clock::{Clock, SystemClock};
use advisor::local_host::queue::QueueStore;
use advisor::local_host::{LocalHost, LocalHostConfig, Timing, queue_db_path};
use serde_json::Value;
use shared::blobs::UploadSigner;
use shared::settings::{Environment, Settings};
use tokio::sync::oneshot;

/// The repository root: where host.json and the function folders are.
pub fn app_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_owned()
}

/// Short pacing for tests: scans and polls every 50 ms, locks of two seconds.
pub fn fast_timing() -> Timing {
    Timing {
        lock_duration: Duration::from_secs(2),
        idle_poll: Duration::from_millis(50),
        scan_interval: Duration::from_millis(50),
    }
}

/// A running app: handler + local host over a temporary data directory.
pub struct TestApp {
    pub api: String,
    pub handler_url: String,
    pub data_dir: tempfile::TempDir,
    pub state: AppState,
    pub client: reqwest::Client,
    host: Option<LocalHost>,
    stop_handler: Option<oneshot::Sender<()>>,
}

impl TestApp {
    /// Starts the app in local mode.
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts the app in local mode with these settings (e.g. an AI provider).
    pub async fn spawn_with(settings: &[(&str, &str)]) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let env = Environment::from_pairs(settings.iter().copied());
        let settings = Settings::from_environment(&env, data_dir.path()).expect("settings");
        let mut state = AppState::build(settings).await.expect("app state");
        // As `serve_locally` does: the public port first, so upload URLs can point at it.
        let listener = LocalHost::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind local host");
        let public = format!("http://{}", listener.local_addr().expect("local addr"));
        let signer = UploadSigner::with_random_key(public.parse().expect("url"));
        state.blobs = state.blobs.clone().with_upload_signer(signer.clone());
        let handler = HandlerServer::bind(state.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind handler");
        let handler_url = format!("http://{}", handler.local_addr());
        let (stop_handler, stopped) = oneshot::channel::<()>();
        tokio::spawn(handler.serve(async move {
            let _ = stopped.await;
        }));
        let mut config = local_host_config(
            &app_root(),
            data_dir.path(),
            &handler_url,
            Arc::new(SystemClock),
        );
        config.upload_signer = Some(signer);
        let host = LocalHost::start_on(config, listener)
            .await
            .expect("local host");
        Self {
            api: format!("http://{}/api", host.addr()),
            handler_url,
            data_dir,
            state,
            client: reqwest::Client::new(),
            host: Some(host),
            stop_handler: Some(stop_handler),
        }
    }

    /// The local blob folder.
    pub fn blob_root(&self) -> PathBuf {
        self.data_dir.path().join("blobs")
    }

    /// Drops `content` as `ingest/{tenant}/{name}`, the way a partner would.
    pub fn drop_feed(&self, tenant: &str, name: &str, content: &[u8]) {
        self.drop_blob("ingest", tenant, name, content);
    }

    /// Drops `content` as `{container}/{tenant}/{name}`, the way an uploader would: written
    /// beside and moved into place, so the watcher never sees half a file.
    pub fn drop_blob(&self, container: &str, tenant: &str, name: &str, content: &[u8]) {
        let target = self.blob_root().join(container).join(tenant).join(name);
        std::fs::create_dir_all(target.parent().expect("a folder")).expect("blob folder");
        let staging = self
            .data_dir
            .path()
            .join(format!("staging-{container}-{}", name.replace('/', "-")));
        std::fs::write(&staging, content).expect("write blob");
        std::fs::rename(&staging, target).expect("move blob");
    }

    /// The report for `ingest/{tenant}/{stem}.csv`, once it exists.
    pub fn report(&self, tenant: &str, stem: &str) -> Option<Value> {
        let path = self
            .blob_root()
            .join("ingest-reports")
            .join(tenant)
            .join(format!("{stem}.report.json"));
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// GET `path` under the API with `key` (if any).
    pub async fn get(&self, path: &str, key: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{path}", self.api));
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        request.send().await.expect("request")
    }

    /// GET `path` with the dev key and parse the JSON body.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path, Some("local-dev-key")).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("json body")
    }

    /// The local queues, opened beside the running host (as `advisor queues` does).
    pub fn queues(&self) -> QueueStore {
        QueueStore::open(&queue_db_path(self.data_dir.path())).expect("queue store")
    }

    /// Stops the local host, then the handler.
    pub async fn stop(mut self) {
        if let Some(host) = self.host.take() {
            host.shutdown().await;
        }
        if let Some(stop) = self.stop_handler.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts a local host over `app_root`'s functions against `handler_url`.
pub async fn start_local_host(
    app_root: &Path,
    data_dir: &Path,
    handler_url: &str,
    clock: Arc<dyn Clock>,
) -> LocalHost {
    LocalHost::start(local_host_config(app_root, data_dir, handler_url, clock))
        .await
        .expect("local host")
}

/// The test configuration of a local host over `app_root`'s functions, on a free port.
pub fn local_host_config(
    app_root: &Path,
    data_dir: &Path,
    handler_url: &str,
    clock: Arc<dyn Clock>,
) -> LocalHostConfig {
    LocalHostConfig {
        app_root: app_root.to_owned(),
        data_dir: data_dir.to_owned(),
        blob_root: data_dir.join("blobs"),
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        handler_url: handler_url.to_owned(),
        clock,
        timing: fast_timing(),
        upload_signer: None,
        disabled: Default::default(),
    }
}

/// Polls `check` every 25 ms until it gives a value, failing after `seconds`.
pub async fn eventually<T, F, Fut>(seconds: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {seconds}s waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The sample feed shipped in the repository.
pub fn sample_feed() -> Vec<u8> {
    std::fs::read(app_root().join("samples/products.csv")).expect("samples/products.csv")
}
