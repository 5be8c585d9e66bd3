//! `TenantSettings` — the caller's tenant, `GET /api/tenant` (read scope) shows `{id, name,
//! time_zone}`; `PATCH /api/tenant {"time_zone": "Europe/Berlin"}` (admin scope) sets its
//! IANA time zone and, in the same transaction, moves its daily sales into the new zone's
//! days. Setting the zone it already has changes nothing (the rebuild finds nothing to move).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::analytics::{RollupOutcome, TenantView, parse_time_zone};
use shared::auth::Scope;
use shared::domain::TenantId;
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};

use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, body, parse_json, respond, scope_for};
use crate::openapi::{Api, Operation};
use crate::paging::json;
use crate::problem::ApiError;

/// The largest request body: one zone name.
const MAX_BODY_BYTES: usize = 1024;

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    Ok(respond(handle(state, &http).await))
}

async fn handle(state: &AppState, http: &HttpRequest) -> Result<HttpResponse, ApiError> {
    let tenant = authenticate(state, http, scope_for(http, Scope::Admin))
        .await?
        .tenant;
    match http.method.to_ascii_uppercase().as_str() {
        "GET" => show(state, &tenant).await,
        "PATCH" => update(state, &tenant, http).await,
        other => Err(ApiError::method_not_allowed(other)),
    }
}

/// Describes the endpoints.
pub fn describe(api: &mut Api) {
    let tenant = api.sends::<TenantBody>();
    api.add(
        Operation::new(
            "GET",
            "tenant",
            "getTenant",
            "Tenant",
            "The caller's tenant and its time zone",
            Some(Scope::Read),
        )
        .error(404, "The tenant is not set up")
        .answer(200, "The tenant", tenant.clone()),
    );
    api.add(
        Operation::new("PATCH", "tenant", "updateTenant", "Tenant", "Set the tenant's IANA time zone", Some(Scope::Admin))
            .describe("Sales days are the tenant's local days: a new zone moves its daily sales into the new zone's days in the same transaction.")
            .json_body::<UpdateRequest>()
            .error(404, "The tenant is not set up")
            .answer(200, "The tenant, with what the re-bucketing did", tenant),
    );
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TenantUpdate")]
struct UpdateRequest {
    /// An IANA time zone name, e.g. `Europe/Berlin` or `UTC`.
    #[schemars(length(min = 1, max = 64))]
    time_zone: String,
}

/// The tenant, and after a change what the re-bucketing did.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Tenant")]
struct TenantBody {
    #[serde(flatten)]
    tenant: TenantView,
    #[serde(skip_serializing_if = "Option::is_none")]
    rollup: Option<RollupOutcome>,
}

fn no_tenant(tenant: &TenantId) -> ApiError {
    ApiError::not_found(format!("tenant `{tenant}` is not set up"))
}

async fn show(state: &AppState, tenant: &TenantId) -> Result<HttpResponse, ApiError> {
    let view = state
        .store
        .get_tenant(tenant)
        .await?
        .ok_or_else(|| no_tenant(tenant))?;
    let body = TenantBody {
        tenant: view,
        rollup: None,
    };
    json(200, &body)
}

async fn update(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let bytes = body(
        http,
        MAX_BODY_BYTES,
        r#"{"time_zone": "Europe/Berlin"}"#,
        "a tenant update is at most 1 KiB",
    )?;
    let request: UpdateRequest = parse_json(&bytes)?;
    let name = request.time_zone.trim();
    let zone = parse_time_zone(name).ok_or_else(|| {
        ApiError::bad_request(format!(
            "`time_zone`: `{name}` is not an IANA time zone name such as Europe/Berlin or UTC"
        ))
    })?;
    let outcome = state
        .store
        .set_tenant_time_zone(tenant, zone)
        .await?
        .ok_or_else(|| no_tenant(tenant))?;
    tracing::info!(
        time_zone = name,
        moved = outcome.corrected,
        "tenant time zone set"
    );
    let view = state
        .store
        .get_tenant(tenant)
        .await?
        .ok_or_else(|| no_tenant(tenant))?;
    let body = TenantBody {
        tenant: view,
        rollup: Some(outcome),
    };
    json(200, &body)
}
