//! `SyncPlatform` — Service Bus queue `sync`: runs one sync job for a slice of time (see
//! [`shared::sync::engine`]). Products the job stored go to `enrich`; a job with more to do
//! hands itself on to `sync`, and a job that ends hands on to the job of its connection and
//! kind that waited for it. A repeated message finds its job held or done and changes
//! nothing (a done products job sends its enrichment messages again, which are no-ops once
//! sent).

use chrono::Utc;
use shared::protocol::{InvocationRequest, InvocationResponse};
use shared::sync::engine::{self, SyncMessage};

use crate::app::{AppState, FunctionError};

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let message = request.service_bus("message")?;
    let body: serde_json::Value = message.json("message")?;
    let work: SyncMessage = serde_json::from_value(body).map_err(|e| {
        FunctionError::BadPayload(shared::protocol::ProtocolError::new(
            "Data.message(body)",
            e.to_string(),
        ))
    })?;
    tracing::Span::current().record("tenant", work.tenant.as_str());
    // Without the key no connection opens; the host retries until the setting is fixed.
    let key = state
        .credentials
        .as_ref()
        .map_err(|reason| FunctionError::Transient(reason.clone()))?;
    let outcome = engine::run(state.store.as_ref(), key, &work, Utc::now())
        .await
        .map_err(|e| {
            let transient = e.is_transient();
            FunctionError::from_cause(e, transient)
        })?;
    tracing::info!(tenant = %work.tenant, job = %work.job_id, enrich = outcome.enrich.len(), more = outcome.next.is_some(), "sync job handled");
    let mut response = InvocationResponse::empty();
    if !outcome.enrich.is_empty() {
        response = response
            .with_messages("enrich", &outcome.enrich)
            .map_err(|e| FunctionError::Internal(e.to_string()))?;
    }
    let sync: Vec<&SyncMessage> = outcome.next.iter().chain(&outcome.waiting).collect();
    if !sync.is_empty() {
        response = response
            .with_messages("sync", &sync)
            .map_err(|e| FunctionError::Internal(e.to_string()))?;
    }
    Ok(response.log(outcome.summary))
}
