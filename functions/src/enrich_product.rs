//! `EnrichProduct` — Service Bus queue `enrich`: enriches one product from its current content
//! and stores the result. A repeated or stale message is a no-op.

use shared::enrich::{EnrichOutcome, EnrichRequest, enrich_product};
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
    let work: EnrichRequest = message.json("message")?;
    tracing::Span::current().record("tenant", work.tenant.as_str());
    let outcome = enrich_product(state.store.as_ref(), &state.ai, &work)
        .await
        .map_err(|e| {
            let transient = e.is_transient();
            FunctionError::from_cause(e, transient)
        })?;
    let line = match outcome {
        EnrichOutcome::Enriched => format!("enriched {}/{}", work.tenant, work.sku),
        EnrichOutcome::AlreadyCurrent => format!(
            "{}/{} already enriched for its content",
            work.tenant, work.sku
        ),
        EnrichOutcome::ProductGone => format!(
            "{}/{} no longer exists; nothing to enrich",
            work.tenant, work.sku
        ),
    };
    tracing::info!(tenant = %work.tenant, sku = %work.sku, ?outcome, "enrichment handled");
    Ok(InvocationResponse::empty().log(line))
}
