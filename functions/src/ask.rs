//! `Ask` — `POST /api/ask {"question": "What were our sales in Q2?"}`: a question about the
//! tenant's sales in plain language, answered in words with the numbers and the period used
//! (`shared::ask`). With an AI provider the model picks among typed tools that run our own
//! analytics queries, its tokens counted against the tenant's daily budget; offline, or when
//! the provider fails or the budget is spent, a deterministic reader answers. A question it
//! cannot answer gets `answered: false` and what can be asked.

use chrono::Utc;
use schemars::JsonSchema;
use serde::Deserialize;
use shared::ask::{Answer, AskError, StoreBudget, TokenBudget, answer};
use shared::auth::Scope;
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};

use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, body, parse_json, respond};
use crate::openapi::{Api, Operation};
use crate::paging::json;
use crate::problem::ApiError;

/// The largest request body: a question of at most 500 characters, in JSON.
const MAX_BODY_BYTES: usize = 4 * 1024;

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    Ok(respond(handle(state, &http).await))
}

async fn handle(state: &AppState, http: &HttpRequest) -> Result<HttpResponse, ApiError> {
    let tenant = authenticate(state, http, Scope::Read).await?.tenant;
    if !http.method.eq_ignore_ascii_case("POST") {
        return Err(ApiError::method_not_allowed(&http.method));
    }
    let bytes = body(
        http,
        MAX_BODY_BYTES,
        r#"{"question": "What were our sales in Q2?"}"#,
        "a question is at most 4 KiB",
    )?;
    let request: AskRequest = parse_json(&bytes)?;
    let store = state.store.as_ref();
    let budget = StoreBudget::for_engine(store, &state.ai);
    let budget = budget.as_ref().map(|b| b as &dyn TokenBudget);
    let reply: Answer = answer(
        &state.ai,
        budget,
        store,
        &tenant,
        &request.question,
        Utc::now(),
    )
    .await
    .map_err(|error| match error {
        AskError::InvalidQuestion(detail) => ApiError::bad_request(detail),
        AskError::Data(error) => error.into(),
    })?;
    tracing::info!(
        answered = reply.answered,
        intent = %reply.intent,
        engine = %reply.engine,
        "question answered"
    );
    json(200, &reply)
}

/// The question.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Question")]
struct AskRequest {
    /// The question, 1 to 500 characters, e.g. "Top 5 categories last month compared with
    /// the month before".
    #[schemars(length(min = 1, max = 500))]
    question: String,
}

/// Describes the endpoint.
pub fn describe(api: &mut Api) {
    let reply = api.sends::<Answer>();
    api.add(
        Operation::new("POST", "ask", "ask", "Analytics", "Ask about sales in plain language", Some(Scope::Read))
            .describe("Understands total sales and units, splits by channel, category or product, top products or categories, comparisons with an earlier period, and low stock, over periods such as Q2, last month, YTD, the last 14 days or between two dates, in the tenant's time zone. Numbers come only from our own analytics queries (never model-written SQL). A question it cannot answer gets `answered: false` and what can be asked.")
            .json_body::<AskRequest>()
            .answer(200, "The answer in words, the numbers and the period used", reply),
    );
}
