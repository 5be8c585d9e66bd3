//! `EnrichProduct` — Service Bus queue `enrich`: enriches one product, a page of an ingestion
//! run's changes, or a slice of a batch run, from the products' current content; a batch run's
//! scan steps hand on its slices. A repeated or stale message is a no-op.

use shared::enrich::{EnrichRequest, handle};
use shared::protocol::{InvocationRequest, InvocationResponse};

use crate::app::{AppState, FunctionError};

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let message = request.service_bus("message")?;
    // A body that is not an enrichment request never will be: 400 lets Service Bus
    // dead-letter it after its deliveries, where a person can see it.
    let body: serde_json::Value = message.json("message")?;
    let work = EnrichRequest::from_body(body, "Data.message(body)")?;
    let tenant = work.tenant();
    tracing::Span::current().record("tenant", tenant.as_str());
    let tally = handle(state.store.as_ref(), &state.ai, &work)
        .await
        .map_err(|e| {
            let transient = e.is_transient();
            FunctionError::from_cause(e, transient)
        })?;
    let what = work.describe();
    let line = format!(
        "{what}: {} enriched, {} already current, {} gone, {} pages handed on",
        tally.enriched,
        tally.already_current,
        tally.gone,
        tally.pages.len()
    );
    tracing::info!(%tenant, enriched = tally.enriched, current = tally.already_current, gone = tally.gone, pages = tally.pages.len(), "enrichment handled");
    let response = if tally.pages.is_empty() {
        InvocationResponse::empty()
    } else {
        InvocationResponse::empty()
            .with_messages("enrich", &tally.pages)
            .map_err(|e| FunctionError::Internal(e.to_string()))?
    };
    Ok(response.log(line))
}
