//! The handler server: `GET /` for the host's readiness probe and `POST /{FunctionName}` for
//! every function, dispatched by one `match`. A failed or panicking invocation answers non-2xx
//! (the host's signal to retry) and the process lives on.

use std::any::Any;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use shared::ai::AiEngine;
use shared::auth::{AuthSetupError, Authenticator};
use shared::azure::{AzureAuthError, AzureCredential};
use shared::blobs::Blobs;
use shared::connections::CredentialsKey;
use shared::protocol::{InvocationRequest, InvocationResponse, ProtocolError};
use shared::settings::{
    AzureIdentity, BlobSettings, CredentialsKeySettings, Settings, StoreSettings,
};
use shared::store::mssql::{MssqlConfig, MssqlStore};
use shared::store::sqlite::SqliteStore;
use shared::store::{Store, StoreError};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tracing::Instrument;

use crate::cors::Cors;
use crate::telemetry::{self, Outcome};
use crate::{
    analytics, analyze_video, api_keys, ask, connections, enrich_product, enrichment_budget,
    enrichment_runs, health, ingest, ingest_mappings, ingest_partner_file, ingest_runs, openapi,
    product_enrichment, products, resume_enrichment, rollup_analytics, schedule_sync, sync_jobs,
    sync_platform, tenant_settings, uploads, videos, webhooks,
};

/// Every function this binary serves; each has a `functions/<Name>/function.json`.
pub const FUNCTIONS: &[&str] = &[
    "Health",
    "Products",
    "Ingest",
    "IngestRuns",
    "IngestMappings",
    "Uploads",
    "IngestPartnerFile",
    "EnrichProduct",
    "EnrichmentBudget",
    "EnrichmentRuns",
    "ResumeEnrichment",
    "ProductEnrichment",
    "ApiKeys",
    "OpenApi",
    "Ask",
    "Analytics",
    "TenantSettings",
    "RollupAnalytics",
    "Connections",
    "ConnectionActions",
    "SyncPlatform",
    "ScheduleSync",
    "SyncJobs",
    "SyncIssueActions",
    "ShopifyWebhook",
    "WooCommerceWebhook",
    "AnalyzeVideo",
    "Videos",
];

/// The largest invocation body accepted. The host inlines HTTP bodies (at most 100 MB, which
/// base64 or JSON escaping grows by up to a third or more), so this is above what the host can
/// send: every request the host lets through reaches its function, which answers its own
/// limit in words (a push over 32 MiB gets a 413 naming `POST /api/uploads`), never a bare
/// failed invocation. Feeds and videos of any size travel by blob.
const MAX_INVOCATION_BYTES: usize = 160 * 1024 * 1024;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The settings read at start-up.
    pub settings: Arc<Settings>,
    /// The SQL store.
    pub store: Arc<dyn Store>,
    /// The blob store.
    pub blobs: Blobs,
    /// The AI engine.
    pub ai: AiEngine,
    /// Authenticates callers (API keys, Bearer tokens) and holds them to the rate limits.
    pub auth: Arc<Authenticator>,
    /// The key that seals platform credentials; without one, the sentence saying why (the
    /// connection endpoints answer 503 with it).
    pub credentials: Result<Arc<CredentialsKey>, String>,
}

/// Why the app could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The store could not be opened or migrated.
    #[error("the store could not be opened: {0}")]
    Store(#[from] StoreError),
    /// The blob store could not be opened.
    #[error("the blob store could not be opened: {0}")]
    Blobs(#[from] shared::blobs::BlobError),
    /// The Azure identity could not be set up.
    #[error("the Azure identity could not be set up: {0}")]
    Azure(#[from] AzureAuthError),
    /// The AI engine could not be set up.
    #[error("the AI engine could not be set up: {0}")]
    Ai(#[from] shared::ai::AiError),
    /// The Bearer token verifier could not be set up.
    #[error(transparent)]
    Auth(#[from] AuthSetupError),
    /// The platform credentials key could not be read or made.
    #[error("the platform credentials key: {0}")]
    Credentials(String),
    /// The listener could not bind.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

impl AppState {
    /// Opens the adapters the settings choose, applies migrations, and in local mode makes sure
    /// the well-known tenant exists.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let azure = LazyCredential::new(&settings.identity);
        let store = open_store(&settings.store, &azure)?;
        store.migrate().await?;
        let blobs = match &settings.blobs {
            BlobSettings::LocalFolder { root } => Blobs::local_folder(root)?,
            BlobSettings::Azure { account } => Blobs::azure(account, azure.get()?)?,
        };
        if let Some(dev) = &settings.dev_credentials {
            store
                .ensure_tenant(&dev.tenant, "Demo tenant (local only)")
                .await?;
        }
        let ai = AiEngine::from_settings(&settings.ai, || azure.get())?;
        let auth = Arc::new(Authenticator::from_settings(&settings)?);
        let credentials = credentials_key(&settings.credentials_key)?;
        Ok(Self {
            settings: Arc::new(settings),
            store,
            blobs,
            ai,
            auth,
            credentials,
        })
    }
}

/// The credentials key the settings name; a key that is unavailable by design (an unset Key
/// Vault secret) leaves connections off rather than stopping the app.
fn credentials_key(
    settings: &CredentialsKeySettings,
) -> Result<Result<Arc<CredentialsKey>, String>, StartupError> {
    Ok(match settings {
        CredentialsKeySettings::Key(key) => Ok(Arc::new(
            CredentialsKey::from_base64(key.expose()).map_err(StartupError::Credentials)?,
        )),
        CredentialsKeySettings::LocalFile(path) => Ok(Arc::new(
            CredentialsKey::load_or_create(path)
                .map_err(|e| StartupError::Credentials(e.to_string()))?,
        )),
        CredentialsKeySettings::Unavailable { reason } => {
            tracing::warn!(reason = %reason, "platform connections are off");
            Err(reason.clone())
        }
    })
}

/// Opens the store the settings choose (without migrating it).
pub fn open_store(
    settings: &StoreSettings,
    azure: &LazyCredential,
) -> Result<Arc<dyn Store>, StartupError> {
    Ok(match settings {
        StoreSettings::Sqlite { path } => Arc::new(SqliteStore::open(path)?),
        StoreSettings::AzureSql { server, database } => {
            let config = MssqlConfig::with_token_source(server, database, azure.get()?)?;
            Arc::new(MssqlStore::new(config))
        }
    })
}

/// The one Azure credential the adapters share (so they share its token cache), made only when
/// an Azure adapter asks for it: the embedded adapters need no identity at all.
#[derive(Debug)]
pub struct LazyCredential {
    identity: AzureIdentity,
    credential: std::sync::OnceLock<Arc<AzureCredential>>,
}

impl LazyCredential {
    /// Nothing is set up until [`LazyCredential::get`].
    pub fn new(identity: &AzureIdentity) -> Self {
        Self {
            identity: identity.clone(),
            credential: std::sync::OnceLock::new(),
        }
    }

    /// The credential, set up on first use.
    pub fn get(&self) -> Result<Arc<AzureCredential>, AzureAuthError> {
        if let Some(credential) = self.credential.get() {
            return Ok(credential.clone());
        }
        let credential = Arc::new(AzureCredential::for_identity(&self.identity)?);
        Ok(self.credential.get_or_init(|| credential).clone())
    }
}

/// The handler's router: the seam the tests drive.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(ready))
        .route("/{function}", post(invoke))
        .layer(DefaultBodyLimit::max(MAX_INVOCATION_BYTES))
        .layer(CatchPanicLayer::custom(panic_response))
        .with_state(state)
}

/// The readiness probe: the host polls it every 25 ms at start-up, so it does nothing.
async fn ready() -> &'static str {
    "ready"
}

/// A failed invocation. The status is the only thing the host reads: any non-2xx fails the
/// invocation, so Service Bus redelivers and eventually dead-letters the message.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// The payload does not have the protocol's shape: a bug on the sending side.
    #[error(transparent)]
    BadPayload(#[from] ProtocolError),
    /// A dependency failed in a way that may pass: try again.
    #[error("temporarily unavailable: {0}")]
    Transient(String),
    /// Anything else.
    #[error("internal error: {0}")]
    Internal(String),
}

impl FunctionError {
    /// Classifies `error` by whether a retry may help.
    pub fn from_cause(error: impl std::error::Error, transient: bool) -> Self {
        let text = error.to_string();
        if transient {
            FunctionError::Transient(text)
        } else {
            FunctionError::Internal(text)
        }
    }

    fn outcome(&self) -> Outcome {
        match self {
            FunctionError::BadPayload(_) => Outcome::BadPayload,
            FunctionError::Transient(_) => Outcome::Transient,
            FunctionError::Internal(_) => Outcome::Internal,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            FunctionError::BadPayload(_) => StatusCode::BAD_REQUEST,
            FunctionError::Transient(_) => StatusCode::SERVICE_UNAVAILABLE,
            FunctionError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

async fn invoke(
    State(state): State<AppState>,
    Path(function): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !FUNCTIONS.contains(&function.as_str()) {
        return json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("no function named `{function}`")}),
        );
    }
    // The host always names the invocation; a caller that does not gets an id of its own, so
    // the response and the log lines still share one.
    let invocation_id = headers
        .get(INVOCATION_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let span = telemetry::invocation_span(&function, &invocation_id);
    let mut timer = InvocationTimer::start(&span, &function);
    let request = InvocationRequest::from_slice(&body);
    let cors = request
        .as_ref()
        .ok()
        .and_then(|r| r.http(HTTP_INPUT).ok())
        .map(|http| Cors::of(&state.settings.cors_origins, &http));
    let result = async {
        match request {
            Ok(_) if let Some(answer) = cors.as_ref().and_then(Cors::preflight) => {
                Ok(InvocationResponse::empty().with_http(HTTP_OUTPUT, answer))
            }
            Ok(request) => dispatch(&state, &function, request).await,
            Err(error) => Err(FunctionError::BadPayload(error)),
        }
    }
    .instrument(span.clone())
    .await;
    match result {
        Ok(mut response) => {
            // The handler's own summary lines first, then what it logged along the way.
            response.logs.extend(telemetry::take_invocation_logs(&span));
            response.add_http_headers(HTTP_OUTPUT, &response_headers(&invocation_id));
            if let Some(cors) = &cors {
                response.add_http_headers(HTTP_OUTPUT, &cors.response_headers());
            }
            timer.finish(StatusCode::OK, Outcome::Ok);
            json_response(StatusCode::OK, &response)
        }
        Err(error) => {
            // The host ignores the body of a failed invocation (§3.1), so this line reaches
            // it only through stderr and Application Insights.
            span.in_scope(|| tracing::error!(%error, "invocation failed"));
            let status = error.status();
            timer.finish(status, error.outcome());
            json_response(status, &json!({"error": error.to_string()}))
        }
    }
}

/// The HTTP trigger binding every HTTP function is called through.
const HTTP_INPUT: &str = "req";

/// The HTTP output binding every HTTP function answers through.
const HTTP_OUTPUT: &str = "res";

/// What every HTTP answer carries unless its function set it: the request id, which is also
/// the invocation id on every log line of the call, and headers that keep a browser from
/// sniffing, framing, caching or leaking an API response (OWASP secure headers for APIs).
fn response_headers(request_id: &str) -> [(&str, &str); 6] {
    [
        ("X-Request-Id", request_id),
        ("X-Content-Type-Options", "nosniff"),
        (
            "Content-Security-Policy",
            "default-src 'none'; frame-ancestors 'none'",
        ),
        ("Referrer-Policy", "no-referrer"),
        (
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ),
        ("Cache-Control", "no-store"),
    ]
}

/// The header the host names the invocation with (§2.1; header names are case-insensitive).
const INVOCATION_ID_HEADER: &str = "x-azure-functions-invocationid";

/// Times an invocation. One that never finishes had its future dropped: by a panic unwinding
/// through it, or by the host giving up on the request.
struct InvocationTimer {
    span: tracing::Span,
    function: String,
    started: Instant,
    finished: bool,
}

impl InvocationTimer {
    fn start(span: &tracing::Span, function: &str) -> Self {
        Self {
            span: span.clone(),
            function: function.to_owned(),
            started: Instant::now(),
            finished: false,
        }
    }

    fn finish(&mut self, status: StatusCode, outcome: Outcome) {
        self.finished = true;
        let elapsed = self.started.elapsed();
        telemetry::finish_invocation(
            &self.span,
            &self.function,
            status.as_u16(),
            outcome,
            elapsed,
        );
    }
}

impl Drop for InvocationTimer {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        if std::thread::panicking() {
            self.finish(StatusCode::INTERNAL_SERVER_ERROR, Outcome::Panic);
        } else {
            // 499, "client closed request": nobody reads this answer.
            let closed = StatusCode::from_u16(499).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            self.finish(closed, Outcome::Cancelled);
        }
    }
}

/// Runs `function`, one of [`FUNCTIONS`].
async fn dispatch(
    state: &AppState,
    function: &str,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    match function {
        "Health" => health::run(state, request).await,
        "Products" => products::run(state, request).await,
        "Ingest" => ingest::run(state, request).await,
        "IngestRuns" => ingest_runs::run(state, request).await,
        "IngestMappings" => ingest_mappings::run(state, request).await,
        "Uploads" => uploads::run(state, request).await,
        "IngestPartnerFile" => ingest_partner_file::run(state, request).await,
        "EnrichProduct" => enrich_product::run(state, request).await,
        "EnrichmentBudget" => enrichment_budget::run(state, request).await,
        "EnrichmentRuns" => enrichment_runs::run(state, request).await,
        "ResumeEnrichment" => resume_enrichment::run(state, request).await,
        "ProductEnrichment" => product_enrichment::run(state, request).await,
        "ApiKeys" => api_keys::run(state, request).await,
        "OpenApi" => openapi::run(state, request).await,
        "Ask" => ask::run(state, request).await,
        "Analytics" => analytics::run(state, request).await,
        "TenantSettings" => tenant_settings::run(state, request).await,
        "RollupAnalytics" => rollup_analytics::run(state, request).await,
        "Connections" | "ConnectionActions" => connections::run(state, request).await,
        "SyncPlatform" => sync_platform::run(state, request).await,
        "ScheduleSync" => schedule_sync::run(state, request).await,
        "SyncJobs" | "SyncIssueActions" => sync_jobs::run(state, request).await,
        "ShopifyWebhook" => webhooks::run_shopify(state, request).await,
        "WooCommerceWebhook" => webhooks::run_woocommerce(state, request).await,
        "AnalyzeVideo" => analyze_video::run(state, request).await,
        "Videos" => videos::run(state, request).await,
        other => Err(FunctionError::Internal(format!(
            "`{other}` is listed in FUNCTIONS but has no handler"
        ))),
    }
}

/// Every answer to the host is JSON and never empty (§3.1: an empty body hangs the invocation).
fn json_response<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "invocation panicked");
    json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        &json!({"error": "internal error"}),
    )
}

/// The handler server, listening.
#[derive(Debug)]
pub struct HandlerServer {
    listener: TcpListener,
    state: AppState,
}

impl HandlerServer {
    /// Binds `addr` (port 0 picks a free port).
    pub async fn bind(state: AppState, addr: SocketAddr) -> Result<Self, StartupError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        Ok(Self { listener, state })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until `shutdown` completes, then lets in-flight invocations finish.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, router(self.state))
            .with_graceful_shutdown(shutdown)
            .await
    }
}
