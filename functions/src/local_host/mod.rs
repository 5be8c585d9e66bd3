//! The local host: plays the Azure Functions host on a laptop, speaking the same protocol to the
//! same handler. It reads `host.json` and the function folders, serves HTTP triggers, fires
//! timers, raises BlobCreated events for the local blob folder, delivers Service Bus messages
//! from a durable queue with peek-lock and dead-lettering, carries out output bindings, and
//! takes uploads and serves thumbnails through signed URLs as Blob Storage does through a SAS.
//! Like `func start`, it runs a timer function on request (`POST /admin/functions/{name}`).
//! Production never runs this code: under `FUNCTIONS_CUSTOMHANDLER_PORT` only the handler runs.

mod admin;
pub mod clock;
pub mod definitions;
mod dispatcher;
mod http_front;
mod invoker;
pub mod queue;
pub mod queues;
mod reads;
mod routes;
mod timers;
mod uploads;
mod watcher;

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{post, put};
use shared::blobs::{LOCAL_UPLOAD_PATH, UploadSigner};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use self::clock::Clock;
use self::definitions::{DefinitionError, FunctionDef, Trigger};
use self::dispatcher::{DeliveryTiming, Dispatcher};
use self::http_front::HttpFront;
use self::invoker::Invoker;
use self::queues::Queues;
use self::timers::TimerRunner;
use self::uploads::BlobRoute;
use self::watcher::BlobWatcher;

pub use self::watcher::{EVENT_SUBSCRIPTIONS, blob_created_message};

/// The local queue database under a data directory.
pub fn queue_db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("queues.db")
}

/// How the local host paces itself. Tests shorten these; the defaults are Service Bus's.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Peek-lock duration.
    pub lock_duration: Duration,
    /// How often idle dispatchers look for expired locks.
    pub idle_poll: Duration,
    /// Time between blob folder scans.
    pub scan_interval: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            lock_duration: Duration::from_secs(60),
            idle_poll: Duration::from_millis(500),
            scan_interval: Duration::from_secs(1),
        }
    }
}

/// What the local host needs to start.
#[derive(Debug, Clone)]
pub struct LocalHostConfig {
    /// Where `host.json` is.
    pub app_root: PathBuf,
    /// Where the local host keeps its queues and state.
    pub data_dir: PathBuf,
    /// The local blob folder it watches and writes blob outputs to.
    pub blob_root: PathBuf,
    /// The public address (`127.0.0.1:7071`).
    pub listen: SocketAddr,
    /// The handler's base URL.
    pub handler_url: String,
    /// Time for timers.
    pub clock: Arc<dyn Clock>,
    /// Pacing.
    pub timing: Timing,
    /// Checks upload and read URLs (`PUT` and `GET /blobs/…`); without one, neither is
    /// served.
    pub upload_signer: Option<UploadSigner>,
    /// Functions disabled by `AzureWebJobs.<name>.Disabled`: as the Functions host does, their
    /// triggers are not started (an HTTP route answers 404, messages wait in their queue, a
    /// timer does not fire), and the admin call still runs a disabled timer.
    pub disabled: BTreeSet<String>,
}

/// Why the local host could not start.
#[derive(Debug, thiserror::Error)]
pub enum LocalHostError {
    /// host.json or a function.json is unusable.
    #[error(transparent)]
    Definition(#[from] DefinitionError),
    /// The queue database could not be opened.
    #[error("the local queue database could not be opened: {0}")]
    Queue(#[from] queue::QueueError),
    /// A route template is invalid.
    #[error("{0}")]
    Route(String),
    /// The public port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// A running local host.
#[derive(Debug)]
pub struct LocalHost {
    addr: SocketAddr,
    functions: Vec<Arc<FunctionDef>>,
    queues: Arc<Queues>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl LocalHost {
    /// Binds the public address, so its port is known (for upload URLs) before the host starts.
    pub async fn bind(addr: SocketAddr) -> Result<TcpListener, LocalHostError> {
        TcpListener::bind(addr)
            .await
            .map_err(|source| LocalHostError::Bind { addr, source })
    }

    /// Reads the app's functions and starts every trigger, on `config.listen`.
    pub async fn start(config: LocalHostConfig) -> Result<Self, LocalHostError> {
        let listener = Self::bind(config.listen).await?;
        Self::start_on(config, listener).await
    }

    /// Reads the app's functions and starts every trigger, serving HTTP on `listener`.
    pub async fn start_on(
        config: LocalHostConfig,
        listener: TcpListener,
    ) -> Result<Self, LocalHostError> {
        let host = definitions::load_host_config(&config.app_root)?;
        let functions: Vec<Arc<FunctionDef>> =
            definitions::load_functions(&definitions::functions_dir(&config.app_root))?
                .into_iter()
                .map(Arc::new)
                .collect();
        for name in &config.disabled {
            if functions.iter().any(|f| &f.name == name) {
                tracing::info!(function = %name, "disabled by its setting: its trigger is not started");
            } else {
                tracing::warn!(function = %name, "a setting disables a function this app does not have");
            }
        }
        let enabled = |function: &FunctionDef| !config.disabled.contains(&function.name);
        std::fs::create_dir_all(&config.data_dir).map_err(|e| DefinitionError::File {
            path: config.data_dir.clone(),
            reason: e.to_string(),
        })?;
        let queues = Arc::new(Queues::open(&queue_db_path(&config.data_dir))?);
        let invoker = Invoker::new(
            &config.handler_url,
            Arc::clone(&queues),
            &config.blob_root,
            host.function_timeout,
        );
        let front = Arc::new(
            HttpFront::new(
                &host.route_prefix,
                functions.iter().filter(|f| enabled(f)),
                invoker.clone(),
            )
            .map_err(LocalHostError::Route)?,
        );
        let addr = listener
            .local_addr()
            .map_err(|source| LocalHostError::Bind {
                addr: config.listen,
                source,
            })?;
        let (shutdown, tasks) = (CancellationToken::new(), TaskTracker::new());
        let timing = DeliveryTiming {
            lock_duration: config.timing.lock_duration,
            max_lock_renewal: host.max_lock_renewal,
            idle_poll: config.timing.idle_poll,
        };
        let mut timers = HashMap::new();
        for function in &functions {
            match &function.trigger {
                Trigger::ServiceBus { binding, queue } if enabled(function) => {
                    let dispatcher = Dispatcher {
                        function: Arc::clone(function),
                        binding: binding.clone(),
                        queue: queue.clone(),
                        queues: Arc::clone(&queues),
                        invoker: invoker.clone(),
                        timing,
                        concurrency: host.max_concurrent_calls,
                    };
                    tasks.spawn(dispatcher.run(shutdown.clone(), tasks.clone()));
                }
                Trigger::Timer {
                    binding,
                    schedule,
                    run_on_startup,
                    use_monitor,
                    retry,
                } => {
                    let runner = TimerRunner {
                        function: Arc::clone(function),
                        binding: binding.clone(),
                        schedule: schedule.clone(),
                        run_on_startup: *run_on_startup,
                        use_monitor: *use_monitor,
                        retry: *retry,
                        invoker: invoker.clone(),
                        clock: Arc::clone(&config.clock),
                    };
                    timers.insert(function.name.clone(), runner.clone());
                    if enabled(function) {
                        tasks.spawn(runner.run(shutdown.clone()));
                    }
                }
                Trigger::ServiceBus { .. } | Trigger::Http { .. } => {}
            }
        }
        let watcher = BlobWatcher {
            root: config.blob_root.clone(),
            state_file: config
                .data_dir
                .join("local-host")
                .join("blob-versions.json"),
            queues: Arc::clone(&queues),
            interval: config.timing.scan_interval,
        };
        tasks.spawn(watcher.run(shutdown.clone()));
        let admin = Arc::new(admin::Admin {
            timers,
            tasks: tasks.clone(),
        });
        let mut app = Router::new()
            .fallback(http_front::handle)
            .with_state(front)
            .merge(
                Router::new()
                    .route("/admin/functions/{name}", post(admin::run_function))
                    .with_state(admin),
            );
        if let Some(signer) = config.upload_signer.clone() {
            let route = Arc::new(BlobRoute {
                root: config.blob_root.clone(),
                signer,
            });
            app = app.merge(
                Router::new()
                    .route(
                        &format!("/{LOCAL_UPLOAD_PATH}/{{container}}/{{*blob}}"),
                        put(uploads::put_blob).get(reads::get_blob),
                    )
                    .with_state(route),
            );
        }
        let stop = shutdown.clone();
        tasks.spawn(async move {
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
            {
                tracing::error!(%error, "local host HTTP server failed");
            }
        });
        Ok(Self {
            addr,
            functions,
            queues,
            shutdown,
            tasks,
        })
    }

    /// The public address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The functions it serves.
    pub fn functions(&self) -> &[Arc<FunctionDef>] {
        &self.functions
    }

    /// The local Service Bus namespace.
    pub fn queues(&self) -> &Arc<Queues> {
        &self.queues
    }

    /// Stops taking new work and waits for what is in flight.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }
}
