//! `Health` — `GET /api/health`, anonymous: the version, and whether the store, the blob store
//! and the AI engine answer. 200 when all do, 503 otherwise.

use serde_json::json;
use shared::protocol::{HttpResponse, InvocationRequest, InvocationResponse};

use crate::app::{AppState, FunctionError};

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    request.http("req")?;
    let (store, blobs, ai) =
        tokio::join!(state.store.check(), state.blobs.check(), state.ai.check());
    let healthy = store.is_ok() && blobs.is_ok() && ai.is_ok();
    let part = |adapter: String, result: Result<(), String>| match result {
        Ok(()) => json!({"adapter": adapter, "ok": true}),
        Err(error) => json!({"adapter": adapter, "ok": false, "error": error}),
    };
    let body = json!({
        "status": if healthy { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "store": part(state.store.describe(), store.map_err(|e| e.to_string())),
        "blobs": part(state.blobs.describe().to_owned(), blobs.map_err(|e| e.to_string())),
        "ai": part(state.ai.describe().to_owned(), ai.map_err(|e| e.to_string())),
    });
    let status = if healthy { 200 } else { 503 };
    let response = HttpResponse::new(status, "application/json", body.to_string())
        .with_header("Cache-Control", "no-store");
    Ok(InvocationResponse::empty().with_http("res", response))
}
