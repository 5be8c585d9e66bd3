//! `EnrichmentBudget` — `GET /api/enrichment/budget`: the caller's AI token budget today, what
//! is spent, and whether enrichment waits for tomorrow.

use shared::auth::Scope;
use shared::enrich::budget_status;
use shared::protocol::{HttpResponse, InvocationRequest, InvocationResponse};

use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, respond};
use crate::problem::ApiError;

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    let result = async {
        let tenant = authenticate(state, &http, Scope::Read).await?.tenant;
        let status = budget_status(state.store.as_ref(), &state.ai, &tenant).await?;
        let body = serde_json::json!({
            "engine": state.ai.describe(),
            "day": status.day,
            "spent_tokens": status.spent,
            "daily_tokens": status.budget,
            "exhausted": status.exhausted,
        });
        Ok::<_, ApiError>(
            HttpResponse::new(200, "application/json", body.to_string())
                .with_header("Cache-Control", "no-store"),
        )
    }
    .await;
    Ok(respond(result))
}
