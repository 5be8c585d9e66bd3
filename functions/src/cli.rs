//! The command line: `advisor [serve]` runs the function app (handler alone under the Functions
//! host, handler + local host on a laptop), `migrate` applies migrations, `queues` shows the
//! local queues and replays dead letters, `keys create` makes a tenant's first (admin) key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand};
use shared::auth::{Scope, api_key_record, new_api_key};
use shared::blobs::UploadSigner;
use shared::domain::TenantId;
use shared::settings::{BlobSettings, Environment, Mode, Settings};

use crate::app::{AppState, HandlerServer, LazyCredential, open_store};
use crate::local_host::clock::SystemClock;
use crate::local_host::definitions::Trigger;
use crate::local_host::queue::QueueStore;
use crate::local_host::{LocalHost, LocalHostConfig, Timing, queue_db_path};
use crate::{ingest_command, telemetry};

/// Retail AI Advisor's function app.
#[derive(Debug, Parser)]
#[command(name = "advisor", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the function app (the default).
    Serve(ServeArgs),
    /// Apply the store's migrations and exit.
    Migrate(DataArgs),
    /// Ingest a feed file through the same pipeline as a dropped blob, with progress.
    Ingest(IngestArgs),
    /// Show the local queues' depths and dead letters, or replay dead letters.
    Queues {
        #[command(subcommand)]
        action: Option<QueuesAction>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Manage tenant API keys from the machine that holds the store's settings.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Debug, Subcommand)]
enum KeysAction {
    /// Make a key (creating the tenant if needed) and print it once: the way to the first
    /// `admin` key, which then manages the others over `/api/keys`.
    Create {
        /// The tenant the key is for.
        #[arg(long)]
        tenant: String,
        /// What to call the key.
        #[arg(long)]
        name: String,
        /// Comma-separated scopes: read, write, ingest, admin.
        #[arg(long, default_value = "admin")]
        scopes: String,
    },
}

#[derive(Debug, Clone, clap::Args)]
struct IngestArgs {
    /// The feed: CSV, TSV, JSON, NDJSON or XLSX, gzipped or not.
    file: PathBuf,
    /// The tenant it belongs to.
    #[arg(long)]
    tenant: String,
    /// What it holds (`products`, `inventory`, `orders`); read from the header when absent.
    #[arg(long)]
    kind: Option<String>,
    /// The tenant's mapping profile to read it with (else the tenant's `default`, if any).
    #[arg(long)]
    profile: Option<String>,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(Debug, Subcommand)]
enum QueuesAction {
    /// Put a queue's dead letters back on the queue.
    Replay {
        /// The queue, e.g. `enrich`.
        queue: String,
    },
}

#[derive(Debug, Clone, clap::Args)]
struct DataArgs {
    /// Where local state lives.
    #[arg(long, global = true, default_value = ".local")]
    data_dir: PathBuf,
    /// Where host.json is.
    #[arg(long, global = true, default_value = ".")]
    app_root: PathBuf,
}

#[derive(Debug, Clone, clap::Args)]
struct ServeArgs {
    /// The local host's port (local mode only).
    #[arg(long, default_value_t = 7071)]
    port: u16,
    #[command(flatten)]
    data: DataArgs,
}

/// Runs the command line; the error is printed by `main`.
pub async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Migrate(data)) => migrate(&data).await,
        Some(Command::Ingest(args)) => {
            let settings = load_settings(&args.data)?;
            let telemetry = telemetry::init(settings.log_filter.as_deref(), None);
            let result = ingest_command::run(
                args.file,
                &args.tenant,
                args.kind,
                args.profile,
                settings,
                &args.data.data_dir,
            )
            .await;
            telemetry.shutdown().await;
            result
        }
        Some(Command::Queues { action, data }) => queues(action, &data),
        Some(Command::Keys { action, data }) => keys(action, &data).await,
    }
}

fn load_settings(data: &DataArgs) -> Result<Settings, Box<dyn std::error::Error>> {
    let env = Environment::load_for_app(&data.app_root)?;
    Ok(Settings::from_environment(&env, &data.data_dir)?)
}

async fn serve(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let settings = load_settings(&args.data)?;
    let telemetry = telemetry::init(
        settings.log_filter.as_deref(),
        settings.app_insights.as_ref().map(|s| s.expose()),
    );
    let result = serve_app(args, settings).await;
    // After the server has drained, so the last invocations' telemetry goes out too.
    telemetry.shutdown().await;
    result
}

async fn serve_app(args: ServeArgs, settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    let mode = settings.mode.clone();
    let state = AppState::build(settings).await?;
    match mode {
        Mode::Hosted { port } => {
            let server =
                HandlerServer::bind(state, SocketAddr::from(([127, 0, 0, 1], port))).await?;
            tracing::info!(addr = %server.local_addr(), "handler ready");
            server.serve(shutdown_signal()).await?;
        }
        Mode::Local => serve_locally(args, state).await?,
    }
    Ok(())
}

async fn serve_locally(
    args: ServeArgs,
    mut state: AppState,
) -> Result<(), Box<dyn std::error::Error>> {
    let blob_root = match &state.settings.blobs {
        BlobSettings::LocalFolder { root } => root.clone(),
        BlobSettings::Azure { account } => {
            return Err(format!(
                "the local host raises blob events from a local folder, but blobs are in the \
                 storage account `{account}`: unset ADVISOR_STORAGE_ACCOUNT, or run under the \
                 Functions host (`func start`)"
            )
            .into());
        }
    };
    if let Some(dev) = &state.settings.dev_credentials {
        // The demo tenant's drop folders, so a partner feed or a video can be copied straight in.
        for container in ["ingest", "videos"] {
            std::fs::create_dir_all(blob_root.join(container).join(dev.tenant.as_str()))?;
        }
    }
    // The public port first: upload URLs point at it, signed with a key this process alone
    // holds (a restart invalidates the URLs handed out, as an expired SAS would be).
    let listener = LocalHost::bind(SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
    let signer = UploadSigner::with_random_key(url::Url::parse(&format!(
        "http://{}",
        listener.local_addr()?
    ))?);
    state.blobs = state.blobs.clone().with_upload_signer(signer.clone());
    let handler = HandlerServer::bind(state.clone(), SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let handler_url = format!("http://{}", handler.local_addr());
    let (stop_handler, handler_stopped) = tokio::sync::oneshot::channel::<()>();
    let handler_task = tokio::spawn(handler.serve(async move {
        let _ = handler_stopped.await;
    }));
    let host = LocalHost::start_on(
        LocalHostConfig {
            app_root: args.data.app_root.clone(),
            data_dir: args.data.data_dir.clone(),
            blob_root: blob_root.clone(),
            listen: SocketAddr::from(([127, 0, 0, 1], args.port)),
            handler_url: handler_url.clone(),
            clock: Arc::new(SystemClock),
            timing: Timing::default(),
            upload_signer: Some(signer),
            disabled: state.settings.disabled_functions.clone(),
        },
        listener,
    )
    .await?;
    print_banner(&state, &host, &handler_url, &args.data.data_dir, &blob_root);
    shutdown_signal().await;
    println!("Shutting down: finishing invocations in flight…");
    // The local host drains first, so its last deliveries still find the handler up.
    host.shutdown().await;
    let _ = stop_handler.send(());
    handler_task.await??;
    Ok(())
}

fn print_banner(
    state: &AppState,
    host: &LocalHost,
    handler_url: &str,
    data_dir: &Path,
    blob_root: &Path,
) {
    let api = format!("http://{}/api", host.addr());
    let store = state.store.describe();
    println!(
        "\nRetail AI Advisor {} — local function app\n",
        env!("CARGO_PKG_VERSION")
    );
    println!("  API        {api}");
    println!("  Handler    {handler_url}  (custom-handler protocol)");
    println!(
        "  Uploads    http://{}/blobs/…  (signed URLs from POST /api/uploads)",
        host.addr()
    );
    println!("  Data dir   {}", data_dir.display());
    if let Some(dev) = &state.settings.dev_credentials {
        println!(
            "  Dev key    {}  (tenant `{}`; exists in local mode only)",
            dev.api_key.expose(),
            dev.tenant
        );
    }
    println!("  Store      {store}");
    println!(
        "  Blobs      {}  (drop feeds into {root}/ingest/demo/, videos into {root}/videos/demo/)",
        state.blobs.describe(),
        root = blob_root.display()
    );
    println!(
        "  Queues     SQLite {}  (see `advisor queues`)",
        queue_db_path(data_dir).display()
    );
    println!("  AI         {}", state.ai.describe());
    println!("  Functions");
    for function in host.functions() {
        let trigger = match &function.trigger {
            Trigger::Http { route, methods, .. } => {
                let methods = if methods.is_empty() {
                    "ANY".to_owned()
                } else {
                    methods.join(",")
                };
                format!("{methods} {api}/{route}")
            }
            Trigger::Timer { schedule, .. } => format!("timer {schedule}"),
            Trigger::ServiceBus { queue, .. } => format!("queue {queue}"),
        };
        println!("    {:<20} {trigger}", function.name);
    }
    println!("\n  Try: curl -H 'x-api-key: local-dev-key' {api}/products\n");
}

async fn migrate(data: &DataArgs) -> Result<(), Box<dyn std::error::Error>> {
    let settings = load_settings(data)?;
    let store = open_store(&settings.store, &LazyCredential::new(&settings.identity))?;
    let applied = store.migrate().await?;
    println!("{}: {applied} migration(s) applied", store.describe());
    Ok(())
}

async fn keys(action: KeysAction, data: &DataArgs) -> Result<(), Box<dyn std::error::Error>> {
    let KeysAction::Create {
        tenant,
        name,
        scopes,
    } = action;
    let tenant = TenantId::parse(&tenant)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err("--name: 1 to 100 characters".into());
    }
    let scopes = Scope::parse_list(&scopes)?;
    if scopes.is_empty() {
        return Err("--scopes: name at least one of read, write, ingest, admin".into());
    }
    let settings = load_settings(data)?;
    let store = open_store(&settings.store, &LazyCredential::new(&settings.identity))?;
    store.migrate().await?;
    store.ensure_tenant(&tenant, tenant.as_str()).await?;
    let key = new_api_key();
    let record = api_key_record(&tenant, name, &key, scopes, chrono::Utc::now());
    store.add_api_key(&record).await?;
    let scopes: Vec<&str> = record.scopes.iter().map(|s| s.as_str()).collect();
    println!(
        "API key `{}` ({}) for tenant {tenant}, scopes: {}",
        record.name,
        record.id,
        scopes.join(" ")
    );
    println!("\n    {key}\n\nThis is the only time the key is shown: keep it now.");
    Ok(())
}

fn queues(action: Option<QueuesAction>, data: &DataArgs) -> Result<(), Box<dyn std::error::Error>> {
    let path = queue_db_path(&data.data_dir);
    if !path.exists() {
        return Err(format!(
            "no local queues at {} (has `advisor` run with this --data-dir?)",
            path.display()
        )
        .into());
    }
    let store = QueueStore::open(&path)?;
    let now = chrono::Utc::now();
    if let Some(QueuesAction::Replay { queue }) = action {
        let replayed = store.replay_dead_letters(&queue, now)?;
        println!("{replayed} dead-lettered message(s) put back on `{queue}`");
        return Ok(());
    }
    println!(
        "{:<16} {:>8} {:>8} {:>13}",
        "queue", "active", "locked", "dead-lettered"
    );
    let depths = store.depths(now)?;
    for depth in &depths {
        println!(
            "{:<16} {:>8} {:>8} {:>13}",
            depth.queue, depth.active, depth.locked, depth.dead_lettered
        );
    }
    for depth in depths.iter().filter(|d| d.dead_lettered > 0) {
        println!(
            "\nDead letters of `{}` (replay with `advisor queues replay {}`):",
            depth.queue, depth.queue
        );
        for letter in store.dead_letters(&depth.queue, 20)? {
            println!(
                "  #{} delivered {}×, {}: {}",
                letter.sequence_number, letter.delivery_count, letter.reason, letter.description
            );
        }
    }
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
