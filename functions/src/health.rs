//! `Health` — `GET /api/health`, anonymous: the version, whether the store and the blob store
//! answer (200 when both do, 503 otherwise), and which AI engine enriches. The provider is not
//! called: an anonymous probe must not spend a merchant's tokens or trip its rate limits.

use serde_json::json;
use shared::protocol::{HttpResponse, InvocationRequest, InvocationResponse};

use crate::app::{AppState, FunctionError};

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    request.http("req")?;
    let (store, blobs) = tokio::join!(state.store.check(), state.blobs.check());
    let healthy = store.is_ok() && blobs.is_ok();
    let part = |adapter: String, result: Result<(), String>| match result {
        Ok(()) => json!({"adapter": adapter, "ok": true}),
        Err(error) => json!({"adapter": adapter, "ok": false, "error": error}),
    };
    let body = json!({
        "status": if healthy { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "store": part(state.store.describe(), store.map_err(|e| e.to_string())),
        "blobs": part(state.blobs.describe().to_owned(), blobs.map_err(|e| e.to_string())),
        "ai": ai_part(state),
    });
    let status = if healthy { 200 } else { 503 };
    let response = HttpResponse::new(status, "application/json", body.to_string())
        .with_header("Cache-Control", "no-store");
    Ok(InvocationResponse::empty().with_http("res", response))
}

/// Which engine enriches, with the limits it runs under. No tenant's figures: this endpoint is
/// anonymous; `GET /api/enrichment/budget` tells a tenant whether its enrichment waits.
fn ai_part(state: &AppState) -> serde_json::Value {
    json!({
        "adapter": state.ai.describe(),
        "ok": true,
        "engine": state.ai.name(),
        "prompt_version": state.ai.prompt_version(),
        "daily_tokens_per_tenant": state.ai.daily_tokens(),
    })
}
