//! `IngestRuns` — `GET /api/ingest/runs` (newest first, cursor pagination, `limit`, `status`)
//! and `GET /api/ingest/runs/{id}` (the run with its rejected rows, paginated by
//! `errors_cursor`). The caller authenticates with a tenant API key; another tenant's run is
//! simply not found. A running run's counts are its progress, refreshed every few seconds:
//! `rows_total` and `rejected` climb while the file is checked, then `inserted`, `updated` and
//! `unchanged` climb towards `rows_total - rejected` while the good rows land.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;
use shared::auth::Scope;
use shared::domain::TenantId;
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};
use shared::store::{IngestRun, RejectedRow, RunCursor, RunQuery, RunStatus};

use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, respond};
use crate::openapi::{Api, Operation, one_of};
use crate::paging::{decode_json_cursor, encode_json_cursor, json, limit, split_page};
use crate::problem::ApiError;

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
    if !http.method.eq_ignore_ascii_case("GET") {
        return Err(ApiError::method_not_allowed(&http.method));
    }
    let limit = limit(http)?;
    match http.param("id").filter(|s| !s.is_empty()) {
        Some(id) => get_one(state, &tenant, id, limit, http).await,
        None => list(state, &tenant, limit, http).await,
    }
}

async fn list(
    state: &AppState,
    tenant: &TenantId,
    limit: u32,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let status = http
        .query("status")
        .map(|raw| {
            RunStatus::parse(raw.trim()).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "status must be running, succeeded, rejected or failed, not `{raw}`"
                ))
            })
        })
        .transpose()?;
    let after = http.query("cursor").map(decode_json_cursor).transpose()?;
    let query = RunQuery {
        after,
        limit: limit + 1,
        status,
    };
    let runs = state.store.list_ingest_runs(tenant, &query).await?;
    let (runs, next_cursor) = split_page(runs, limit as usize, |run| {
        encode_json_cursor(&RunCursor::after(run))
    });
    let items = runs.into_iter().map(RunBody::from).collect();
    json(200, &ListBody { items, next_cursor })
}

async fn get_one(
    state: &AppState,
    tenant: &TenantId,
    id: &str,
    limit: u32,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let run = state
        .store
        .get_ingest_run(tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no ingestion run `{id}`")))?;
    let after: Option<(u64, String)> = http
        .query("errors_cursor")
        .map(decode_json_cursor)
        .transpose()?;
    let errors = state
        .store
        .list_ingest_errors(tenant, &run.id, after, limit + 1)
        .await?;
    let (errors, next_cursor) = split_page(errors, limit as usize, |e| {
        encode_json_cursor(&(e.line, e.column.clone()))
    });
    json(
        200,
        &RunWithErrors {
            run: RunBody::from(run),
            errors: ErrorsPage {
                items: errors,
                next_cursor,
            },
        },
    )
}

/// Describes the endpoints.
pub fn describe(api: &mut Api) {
    let list = api.sends::<ListBody>();
    let one = api.sends::<RunWithErrors>();
    api.add(
        Operation::new(
            "GET",
            "ingest/runs",
            "listIngestRuns",
            "Ingestion",
            "Ingestion runs, newest first",
            Some(Scope::Read),
        )
        .paged()
        .query(
            "status",
            one_of(&["running", "succeeded", "rejected", "failed"]),
            "Only runs with this status.",
        )
        .answer(200, "A page of runs", list),
    );
    api.add(
        Operation::new(
            "GET",
            "ingest/runs/{id}",
            "getIngestRun",
            "Ingestion",
            "One run, with a page of its rejected rows",
            Some(Scope::Read),
        )
        .path_param("id", "The run's id")
        .query(
            "limit",
            json!({"type": "integer", "minimum": 1, "maximum": crate::paging::MAX_LIMIT}),
            "Rejected rows per page.",
        )
        .query(
            "errors_cursor",
            json!({"type": "string"}),
            "The `errors.next_cursor` of the previous page.",
        )
        .error(400, "A parameter is not valid")
        .error(404, "No such run for this tenant")
        .answer(
            200,
            "The run; its counts are its progress while it runs",
            one,
        ),
    );
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "IngestRunList")]
struct ListBody {
    items: Vec<RunBody>,
    next_cursor: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "IngestRunWithErrors")]
struct RunWithErrors {
    run: RunBody,
    errors: ErrorsPage,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "RejectedRowPage")]
struct ErrorsPage {
    items: Vec<RejectedRow>,
    next_cursor: Option<String>,
}

/// A run as apps see it: the stored run and how long it took.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "IngestRun")]
struct RunBody {
    #[serde(flatten)]
    run: IngestRun,
    duration_ms: Option<i64>,
}

impl From<IngestRun> for RunBody {
    fn from(run: IngestRun) -> Self {
        let duration_ms = run
            .finished_at
            .map(|end| (end - run.started_at).num_milliseconds());
        Self { run, duration_ms }
    }
}
