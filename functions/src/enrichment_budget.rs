//! `EnrichmentBudget` — `GET /api/enrichment/budget`: the caller's AI token budget today, what
//! is spent, and whether enrichment waits for tomorrow.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Serialize;
use shared::auth::Scope;
use shared::enrich::budget_status;
use shared::protocol::{InvocationRequest, InvocationResponse};

use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, respond};
use crate::openapi::{Api, Operation};
use crate::paging::json;
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
        let body = BudgetBody {
            engine: state.ai.describe(),
            day: status.day,
            spent_tokens: status.spent,
            daily_tokens: status.budget,
            exhausted: status.exhausted,
        };
        Ok::<_, ApiError>(json(200, &body)?.with_header("Cache-Control", "no-store"))
    }
    .await;
    Ok(respond(result))
}

/// Describes the endpoint.
pub fn describe(api: &mut Api) {
    let body = api.sends::<BudgetBody>();
    api.add(
        Operation::new(
            "GET",
            "enrichment/budget",
            "getEnrichmentBudget",
            "Enrichment",
            "Today's AI token budget and what is spent",
            Some(Scope::Read),
        )
        .answer(200, "The budget", body),
    );
}

/// The tenant's AI budget today.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "EnrichmentBudget")]
struct BudgetBody {
    /// The engine that enriches.
    engine: String,
    /// The UTC day the budget is for.
    day: NaiveDate,
    spent_tokens: u64,
    /// `null` when the engine spends none (offline).
    daily_tokens: Option<u64>,
    /// Whether enrichment waits for tomorrow.
    exhausted: bool,
}
