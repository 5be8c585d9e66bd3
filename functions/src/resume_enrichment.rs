//! `ResumeEnrichment` — timer, every 15 minutes: products whose enrichment waits for their
//! tenant's token budget are queued on `enrich` again once the budget has room (the next UTC
//! day, or after an operator raises it), and so are products whose enrichment message was lost
//! ([`shared::enrich::lost`]). Sending one twice is harmless: the second delivery finds the
//! work done.

use chrono::Utc;
use shared::enrich::lost::requeue_lost;
use shared::enrich::resume_waiting;
use shared::protocol::{InvocationRequest, InvocationResponse};

use crate::app::{AppState, FunctionError};

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    request.timer("timer")?;
    let store_error = |e: shared::store::StoreError| {
        let transient = e.is_transient();
        FunctionError::from_cause(e, transient)
    };
    let mut requests = resume_waiting(state.store.as_ref(), &state.ai)
        .await
        .map_err(store_error)?;
    let waiting = requests.len();
    requests.extend(
        requeue_lost(state.store.as_ref(), Utc::now())
            .await
            .map_err(store_error)?,
    );
    let lost = requests.len() - waiting;
    tracing::info!(waiting, lost, "enrichments queued again");
    let line =
        format!("{waiting} waiting enrichments and {lost} whose message was lost queued again");
    Ok(InvocationResponse::empty()
        .with_messages("enrich", &requests)
        .map_err(|e| FunctionError::Internal(e.to_string()))?
        .log(line))
}
