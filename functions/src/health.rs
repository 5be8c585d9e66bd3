//! `Health` — `GET /api/health`, anonymous: the version, whether the store and the blob store
//! answer (200 when both do, 503 otherwise), and which AI engine enriches. The provider is not
//! called: an anonymous probe must not spend a merchant's tokens or trip its rate limits.
//! It also says whether platform connections are on (they are off, without degrading the app,
//! when no credentials key is configured).

use schemars::JsonSchema;
use serde::Serialize;
use shared::protocol::{HttpResponse, InvocationRequest, InvocationResponse};
use shared::settings::ADVISOR_CREDENTIALS_KEY;

use crate::app::{AppState, FunctionError};
use crate::openapi::{Api, Operation};

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    request.http("req")?;
    let (store, blobs) = tokio::join!(state.store.check(), state.blobs.check());
    let healthy = store.is_ok() && blobs.is_ok();
    let body = HealthBody {
        status: if healthy { "ok" } else { "degraded" },
        version: env!("CARGO_PKG_VERSION"),
        store: Part::of(state.store.describe(), store.map_err(|e| e.to_string())),
        blobs: Part::of(
            state.blobs.describe().to_owned(),
            blobs.map_err(|e| e.to_string()),
        ),
        ai: AiPart {
            adapter: state.ai.describe(),
            ok: true,
            engine: state.ai.name(),
            prompt_version: state.ai.prompt_version(),
            daily_tokens_per_tenant: state.ai.daily_tokens(),
        },
        connections: Part::of(
            "aes-256-gcm".to_owned(),
            state.credentials.as_ref().map(|_| ()).map_err(|_| {
                format!("off: {ADVISOR_CREDENTIALS_KEY} holds no usable key (see the start-up log)")
            }),
        ),
    };
    let status = if healthy { 200 } else { 503 };
    let response = HttpResponse::json(status, &body)
        .map_err(|e| FunctionError::Internal(e.to_string()))?
        .with_header("Cache-Control", "no-store");
    Ok(InvocationResponse::empty().with_http("res", response))
}

/// Describes the endpoint.
pub fn describe(api: &mut Api) {
    let body = api.sends::<HealthBody>();
    api.add(
        Operation::new("GET", "health", "getHealth", "Health", "Whether the app and its store and blob store answer", None)
            .describe("Anonymous. The AI provider is never called: an anonymous probe must not spend a merchant's tokens.")
            .answer(200, "Every adapter answers", body.clone())
            .answer(503, "The store or the blob store does not answer", body),
    );
}

/// The answer.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Health")]
struct HealthBody {
    /// `ok` when every adapter answers, else `degraded`.
    status: &'static str,
    /// The app's version.
    version: &'static str,
    store: Part,
    blobs: Part,
    ai: AiPart,
    /// Whether platform connections can seal credentials; off does not degrade `status`.
    connections: Part,
}

/// One adapter and whether it answers.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "HealthPart")]
struct Part {
    /// Which adapter (e.g. `sqlite:…`, `azure-sql:…`).
    adapter: String,
    ok: bool,
    /// Why it does not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl Part {
    fn of(adapter: String, result: Result<(), String>) -> Self {
        Self {
            adapter,
            ok: result.is_ok(),
            error: result.err(),
        }
    }
}

/// Which engine enriches, with the limits it runs under. No tenant's figures: this endpoint is
/// anonymous; `GET /api/enrichment/budget` tells a tenant whether its enrichment waits.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "HealthAi")]
struct AiPart {
    adapter: String,
    ok: bool,
    /// `offline`, `openai` or `azure-openai`.
    engine: &'static str,
    prompt_version: &'static str,
    /// `null` for the offline engine, which spends none.
    daily_tokens_per_tenant: Option<u64>,
}
