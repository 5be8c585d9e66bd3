//! `ScheduleSync` — timer, every five minutes: makes one job per connection and object kind
//! whose schedule slot has come (the slot names the job, so a repeated tick makes nothing new)
//! and sends it to `sync`; and sends again the jobs whose message was lost (queued for ten
//! minutes) or whose runner died (lease long over).

use chrono::Utc;
use shared::protocol::{InvocationRequest, InvocationResponse};
use shared::sync::engine::schedule;

use crate::app::{AppState, FunctionError};

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    request.timer("timer")?;
    let outcome = schedule(state.store.as_ref(), Utc::now())
        .await
        .map_err(|e| {
            let transient = e.is_transient();
            FunctionError::from_cause(e, transient)
        })?;
    for unreadable in &outcome.unreadable {
        tracing::warn!(connection = %unreadable, "a connection's settings cannot be read; not scheduled");
    }
    let line = format!(
        "{} sync jobs made, {} handed on again",
        outcome.made, outcome.swept
    );
    let response = if outcome.messages.is_empty() {
        InvocationResponse::empty()
    } else {
        InvocationResponse::empty()
            .with_messages("sync", &outcome.messages)
            .map_err(|e| FunctionError::Internal(e.to_string()))?
    };
    Ok(response.log(line))
}
