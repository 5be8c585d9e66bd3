//! `EnrichmentRuns` — `POST /api/enrichment/runs` re-enriches a filtered part of the caller's
//! catalogue (`{"filter": {"category", "q", "updated_since", "generated_by"}, "force"}`, all
//! optional) by fanning out `enrich` messages; `GET /api/enrichment/runs/{id}` shows its
//! progress and results, `GET /api/enrichment/runs` the runs newest first (cursor pagination,
//! `limit`). Without `force`, products already enriched for their content and the
//! current prompt are skipped at no cost; with it they are redone once. An `Idempotency-Key`
//! makes a repeated request find its run.

use chrono::Utc;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::auth::Scope;
use shared::domain::TenantId;
use shared::enrich::batch;
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};
use shared::store::{EnrichmentFilter, EnrichmentRun, EnrichmentRunCursor, EnrichmentRunStart};
use uuid::Uuid;

use crate::app::{AppState, FunctionError};
use crate::http::{
    authenticate, idempotency_key, idempotent_id, optional_body, parse_json, scope_for,
};
use crate::openapi::{Api, Operation};
use crate::paging::{decode_json_cursor, encode_json_cursor, json, limit, split_page};
use crate::problem::ApiError;

/// The largest request body.
const MAX_BODY_BYTES: usize = 16 * 1024;
/// The longest text filter (`q`, `category`).
const MAX_FILTER_CHARS: usize = 200;
/// The allowed values of `filter.generated_by`.
const ENGINES: [&str; 3] = ["offline", "openai", "azure-openai"];

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    let (response, first_step) = match handle(state, &http).await {
        Ok(answer) => answer,
        Err(error) => (error.into_response(), None),
    };
    let answer = InvocationResponse::empty().with_http("res", response);
    match first_step {
        None => Ok(answer),
        Some(step) => answer
            .with_messages("enrich", &[step])
            .map_err(|e| FunctionError::Internal(e.to_string())),
    }
}

type Answer = (HttpResponse, Option<shared::enrich::EnrichRequest>);

async fn handle(state: &AppState, http: &HttpRequest) -> Result<Answer, ApiError> {
    let tenant = authenticate(state, http, scope_for(http, Scope::Write))
        .await?
        .tenant;
    let id = http.param("id").filter(|id| !id.is_empty());
    match (http.method.to_ascii_uppercase().as_str(), id) {
        ("GET", Some(id)) => Ok((get_one(state, &tenant, id).await?, None)),
        ("GET", None) => Ok((list(state, &tenant, http).await?, None)),
        ("POST", None) => start(state, &tenant, http).await,
        ("POST", Some(_)) => Err(ApiError::method_not_allowed("POST")),
        (other, _) => Err(ApiError::method_not_allowed(other)),
    }
}

async fn get_one(state: &AppState, tenant: &TenantId, id: &str) -> Result<HttpResponse, ApiError> {
    let run = state
        .store
        .get_enrichment_run(tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no enrichment run `{id}`")))?;
    json(200, &RunBody::from(&run))
}

async fn list(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let limit = limit(http)?;
    let after: Option<EnrichmentRunCursor> =
        http.query("cursor").map(decode_json_cursor).transpose()?;
    let runs = state
        .store
        .list_enrichment_runs(tenant, after.as_ref(), limit + 1)
        .await?;
    let (runs, next_cursor) = split_page(runs, limit as usize, |run| {
        encode_json_cursor(&EnrichmentRunCursor::after(run))
    });
    let items: Vec<RunBody> = runs.iter().map(RunBody::from).collect();
    json(200, &ListBody { items, next_cursor })
}

/// Describes the endpoints.
pub fn describe(api: &mut Api) {
    let one = api.sends::<RunBody<'static>>();
    let list = api.sends::<ListBody<'static>>();
    let tag = "Enrichment";
    api.add(
        Operation::new("POST", "enrichment/runs", "startEnrichmentRun", tag, "Re-enrich a filtered part of the catalogue", Some(Scope::Write))
            .describe("Without `force`, products already enriched for their content and the current prompt are skipped at no cost.")
            .header("Idempotency-Key", false, "Makes a repeated request find its run.")
            .body(&["application/json"], Api::reads::<RunRequest>(), false)
            .error(400, "The body is not valid (the detail says where)")
            .error(409, "The Idempotency-Key was used for a run with another filter or force")
            .error(413, "The body is over 16 KiB")
            .answer(202, "The run has begun", one.clone()),
    );
    api.add(
        Operation::new(
            "GET",
            "enrichment/runs",
            "listEnrichmentRuns",
            tag,
            "Enrichment runs, newest first",
            Some(Scope::Read),
        )
        .paged()
        .answer(200, "A page of runs", list),
    );
    api.add(
        Operation::new(
            "GET",
            "enrichment/runs/{id}",
            "getEnrichmentRun",
            tag,
            "One enrichment run: progress and results",
            Some(Scope::Read),
        )
        .path_param("id", "The run's id")
        .error(404, "No such run for this tenant")
        .answer(200, "The run", one),
    );
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "EnrichmentRunList")]
struct ListBody<'a> {
    items: Vec<RunBody<'a>>,
    next_cursor: Option<String>,
}

/// What a run request asks for.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "EnrichmentRunRequest")]
struct RunRequest {
    #[serde(default)]
    filter: EnrichmentFilter,
    #[serde(default)]
    force: bool,
}

async fn start(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
) -> Result<Answer, ApiError> {
    let request = parse_request(http)?;
    let key = idempotency_key(http)?;
    let id = match &key {
        Some(key) => idempotent_id("enrichment-run", tenant, key),
        None => Uuid::new_v4(),
    };
    let start = EnrichmentRunStart {
        id: id.to_string(),
        tenant: tenant.clone(),
        filter: request.filter,
        force: request.force,
        created_at: Utc::now(),
    };
    let (run, first_step) = batch::start(state.store.as_ref(), &start).await?;
    if run.filter != start.filter || run.force != start.force {
        return Err(ApiError::conflict(
            "this Idempotency-Key was used for a run with another filter or force",
        ));
    }
    tracing::info!(%tenant, run = %run.id, "enrichment run started");
    let location = format!("/api/enrichment/runs/{}", run.id);
    let response = json(202, &RunBody::from(&run))?.with_header("Location", location);
    Ok((response, first_step))
}

fn parse_request(http: &HttpRequest) -> Result<RunRequest, ApiError> {
    let Some(bytes) = optional_body(http, MAX_BODY_BYTES, "a run request is at most 16 KiB")?
    else {
        return Ok(RunRequest::default());
    };
    let request: RunRequest = parse_json(&bytes)?;
    if let Some(engine) = &request.filter.generated_by
        && !ENGINES.contains(&engine.as_str())
    {
        return Err(ApiError::bad_request(format!(
            "filter.generated_by must be one of {}, not `{engine}`",
            ENGINES.join(", ")
        )));
    }
    // Text filters are bounded so a run's filter always fits where it is stored.
    let filter = &request.filter;
    for (name, text) in [("q", &filter.q), ("category", &filter.category)] {
        if text
            .as_ref()
            .is_some_and(|t| t.chars().count() > MAX_FILTER_CHARS)
        {
            return Err(ApiError::bad_request(format!(
                "filter.{name} must be at most {MAX_FILTER_CHARS} characters"
            )));
        }
    }
    Ok(request)
}

/// A run as the API shows it.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "EnrichmentRun")]
struct RunBody<'a> {
    /// `scanning` (finding the products), `running` or `finished`.
    status: &'static str,
    #[serde(flatten)]
    run: &'a EnrichmentRun,
    links: Links,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "EnrichmentRunLinks")]
struct Links {
    run: String,
}

impl<'a> From<&'a EnrichmentRun> for RunBody<'a> {
    fn from(run: &'a EnrichmentRun) -> Self {
        Self {
            status: run.status(),
            run,
            links: Links {
                run: format!("/api/enrichment/runs/{}", run.id),
            },
        }
    }
}
