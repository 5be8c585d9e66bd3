//! `ResumeEnrichment` — timer, every 15 minutes: products whose enrichment waits for their
//! tenant's token budget are queued on `enrich` again once the budget has room (the next UTC
//! day, or after an operator raises it). Sending one twice is harmless: the second delivery
//! finds the work done.

use shared::enrich::resume_waiting;
use shared::protocol::{InvocationRequest, InvocationResponse};

use crate::app::{AppState, FunctionError};

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    request.timer("timer")?;
    let requests = resume_waiting(state.store.as_ref(), &state.ai)
        .await
        .map_err(|e| {
            let transient = e.is_transient();
            FunctionError::from_cause(e, transient)
        })?;
    tracing::info!(queued = requests.len(), "waiting enrichments queued again");
    let line = format!("{} waiting enrichments queued again", requests.len());
    Ok(InvocationResponse::empty()
        .with_messages("enrich", &requests)
        .map_err(|e| FunctionError::Internal(e.to_string()))?
        .log(line))
}
