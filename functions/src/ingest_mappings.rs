//! `IngestMappings` — the tenant's mapping profiles: `GET /api/ingest/mappings` (names, by
//! name, `limit` and `cursor`), `GET`, `PUT` and `DELETE /api/ingest/mappings/{name}`. A
//! profile is used by a feed whose path names it (`ingest/{tenant}/{kind}/{name}/…`, or
//! `POST /api/ingest?profile={name}`); the one named `default` is used when the path names
//! none.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use shared::auth::Scope;
use shared::domain::TenantId;
use shared::ingest::profile::{MappingProfile, check_profile_name};
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};

use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, respond, scope_for};
use crate::openapi::{Api, Operation};
use crate::paging::{decode_cursor, encode_cursor, json, limit, split_page};
use crate::problem::ApiError;

/// The largest profile body accepted: profiles are a few dozen column names.
const MAX_PROFILE_BYTES: usize = 64 * 1024;

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    Ok(respond(handle(state, &http).await))
}

async fn handle(state: &AppState, http: &HttpRequest) -> Result<HttpResponse, ApiError> {
    let tenant = authenticate(state, http, scope_for(http, Scope::Ingest))
        .await?
        .tenant;
    let method = http.method.to_ascii_uppercase();
    let name = http.param("name").filter(|s| !s.is_empty());
    match (method.as_str(), name) {
        ("GET", None) => list(state, &tenant, http).await,
        ("GET", Some(name)) => get_one(state, &tenant, name).await,
        ("PUT", Some(name)) => put(state, &tenant, name, http).await,
        ("DELETE", Some(name)) => delete(state, &tenant, name).await,
        _ => Err(ApiError::method_not_allowed(&http.method)),
    }
}

/// Describes the endpoints.
pub fn describe(api: &mut Api) {
    let list = api.sends::<ListBody>();
    let one = api.sends::<ProfileBody<'static>>();
    let tag = "Ingestion";
    api.add(
        Operation::new(
            "GET",
            "ingest/mappings",
            "listMappingProfiles",
            tag,
            "The tenant's mapping profiles, by name",
            Some(Scope::Read),
        )
        .paged()
        .answer(200, "A page of profile names", list),
    );
    api.add(
        Operation::new(
            "GET",
            "ingest/mappings/{name}",
            "getMappingProfile",
            tag,
            "One mapping profile",
            Some(Scope::Read),
        )
        .path_param("name", "The profile's name")
        .answer(200, "The profile", one.clone())
        .error(404, "No such profile"),
    );
    api.add(
        Operation::new("PUT", "ingest/mappings/{name}", "putMappingProfile", tag, "Create or replace a mapping profile", Some(Scope::Ingest))
            .path_param("name", "The profile's name: letters, digits, `-` and `_`; `default` is used when a feed names none")
            .json_body::<MappingProfile>()
            .answer(200, "The profile was replaced", one.clone())
            .answer(201, "The profile was created", one),
    );
    api.add(
        Operation::new(
            "DELETE",
            "ingest/mappings/{name}",
            "deleteMappingProfile",
            tag,
            "Delete a mapping profile",
            Some(Scope::Ingest),
        )
        .path_param("name", "The profile's name")
        .empty(204, "Deleted")
        .error(404, "No such profile"),
    );
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "MappingProfileWithName")]
struct ProfileBody<'a> {
    name: &'a str,
    profile: MappingProfile,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "MappingProfileList")]
struct ListBody {
    items: Vec<ListItem>,
    next_cursor: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "MappingProfileListItem")]
struct ListItem {
    name: String,
    updated_at: DateTime<Utc>,
}

async fn list(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let limit = limit(http)? as usize;
    let after = http.query("cursor").map(decode_cursor).transpose()?;
    let items: Vec<ListItem> = state
        .store
        .list_mapping_profiles(tenant)
        .await?
        .into_iter()
        .filter(|(name, _)| after.as_ref().is_none_or(|after| name > after))
        .take(limit + 1)
        .map(|(name, updated_at)| ListItem { name, updated_at })
        .collect();
    let (items, next_cursor) = split_page(items, limit, |item| encode_cursor(&item.name));
    json(200, &ListBody { items, next_cursor })
}

async fn get_one(
    state: &AppState,
    tenant: &TenantId,
    name: &str,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::not_found(format!("no mapping profile `{name}`"));
    check_profile_name(name).map_err(|_| not_found())?;
    let stored = state
        .store
        .get_mapping_profile(tenant, name)
        .await?
        .ok_or_else(not_found)?;
    let profile: MappingProfile = serde_json::from_value(stored).map_err(|error| {
        tracing::error!(%error, profile = name, "stored mapping profile unreadable");
        ApiError::internal()
    })?;
    json(200, &ProfileBody { name, profile })
}

async fn put(
    state: &AppState,
    tenant: &TenantId,
    name: &str,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    check_profile_name(name).map_err(ApiError::bad_request)?;
    let profile = parse_profile(http)?;
    let stored = serde_json::to_value(&profile).map_err(|error| {
        tracing::error!(%error, "mapping profile could not be serialised");
        ApiError::internal()
    })?;
    let existed = state
        .store
        .get_mapping_profile(tenant, name)
        .await?
        .is_some();
    state
        .store
        .put_mapping_profile(tenant, name, &stored)
        .await?;
    let status = if existed { 200 } else { 201 };
    let response = json(status, &ProfileBody { name, profile })?;
    Ok(response.with_header("Location", format!("/api/ingest/mappings/{name}")))
}

/// The body as a profile: unknown fields and bad values are refused with serde's sentence and
/// the path of the field.
fn parse_profile(http: &HttpRequest) -> Result<MappingProfile, ApiError> {
    let bytes = crate::http::body(
        http,
        MAX_PROFILE_BYTES,
        "the profile as JSON",
        &format!(
            "a mapping profile is at most {} KiB",
            MAX_PROFILE_BYTES / 1024
        ),
    )?;
    let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
    let profile: MappingProfile =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let path = error.path().to_string();
            let inner = error.into_inner();
            if path == "." {
                ApiError::bad_request(format!("the profile is not valid: {inner}"))
            } else {
                ApiError::bad_request(format!("`{path}`: {inner}"))
            }
        })?;
    deserializer
        .end()
        .map_err(|e| ApiError::bad_request(format!("the profile is not valid: {e}")))?;
    if let Some(ratio) = profile.max_bad_row_ratio
        && !(0.0..=1.0).contains(&ratio)
    {
        return Err(ApiError::bad_request(format!(
            "`max_bad_row_ratio`: a share from 0 to 1, not {ratio}"
        )));
    }
    Ok(profile)
}

async fn delete(state: &AppState, tenant: &TenantId, name: &str) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::not_found(format!("no mapping profile `{name}`"));
    check_profile_name(name).map_err(|_| not_found())?;
    if state.store.delete_mapping_profile(tenant, name).await? {
        Ok(HttpResponse::new(204, "text/plain", ""))
    } else {
        Err(not_found())
    }
}
