//! `ApiKeys` — the tenant's API keys, managed by a key with the `admin` scope:
//! `POST /api/keys {"name", "scopes": [...]}` makes a key and shows it once, in that answer
//! only (with an `Idempotency-Key`, a repeat answers 200 with the same key's id and metadata
//! but never the key again: a client that lost the first answer revokes that key and makes
//! another; the same Idempotency-Key with another name or scopes is a 409); `GET /api/keys` lists the keys (prefix, scopes, last use, never the key nor its hash);
//! `DELETE /api/keys/{id}` revokes one. A key may revoke itself: an admin rotating its own key
//! makes the new one first, then revokes the old one with it. Keys never reach a log line.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::auth::{Scope, api_key_record, new_api_key};
use shared::domain::TenantId;
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};
use shared::store::ApiKeyView;

use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, body, idempotency_key, idempotent_id, parse_json, respond};
use crate::openapi::{Api, Operation};
use crate::paging::{decode_json_cursor, encode_json_cursor, json, limit, split_page};
use crate::problem::ApiError;

/// The largest request body: a name and a few scopes.
const MAX_BODY_BYTES: usize = 4 * 1024;
/// The longest key name, in characters.
const MAX_NAME_CHARS: usize = 100;

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    Ok(respond(handle(state, &http).await))
}

async fn handle(state: &AppState, http: &HttpRequest) -> Result<HttpResponse, ApiError> {
    let tenant = authenticate(state, http, Scope::Admin).await?.tenant;
    let id = http.param("id").filter(|id| !id.is_empty());
    match (http.method.to_ascii_uppercase().as_str(), id) {
        ("POST", None) => create(state, &tenant, http).await,
        ("GET", None) => list(state, &tenant, http).await,
        ("DELETE", Some(id)) => revoke(state, &tenant, id).await,
        (other, _) => Err(ApiError::method_not_allowed(other)),
    }
}

/// Describes the endpoints.
pub fn describe(api: &mut Api) {
    let one = api.sends::<KeyBody>();
    let list = api.sends::<ListBody>();
    api.add(
        Operation::new(
            "POST",
            "keys",
            "createApiKey",
            "Keys",
            "Make an API key (shown this once)",
            Some(Scope::Admin),
        )
        .header("Idempotency-Key", false, "Makes a retried request name the same key (never its secret again).")
        .json_body::<CreateRequest>()
        .answer(201, "The key, with `key` shown this once", one.clone())
        .answer(200, "A repeat of an earlier request with this Idempotency-Key: the key's details, without the secret", one)
        .error(409, "The Idempotency-Key was used for a key with another name or scopes"),
    );
    api.add(
        Operation::new(
            "GET",
            "keys",
            "listApiKeys",
            "Keys",
            "The tenant's API keys (never the keys themselves)",
            Some(Scope::Admin),
        )
        .paged()
        .answer(200, "A page of keys, oldest first, revoked ones too", list),
    );
    api.add(
        Operation::new(
            "DELETE",
            "keys/{id}",
            "revokeApiKey",
            "Keys",
            "Revoke an API key",
            Some(Scope::Admin),
        )
        .path_param("id", "The key's id")
        .empty(204, "Revoked")
        .error(404, "No such key for this tenant"),
    );
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ApiKeyRequest")]
struct CreateRequest {
    /// 1 to 100 characters.
    #[schemars(length(min = 1, max = 100))]
    name: String,
    /// Some of `read`, `write`, `ingest`, `admin`.
    #[schemars(length(min = 1), extend("items" = {"type": "string", "enum": ["read", "write", "ingest", "admin"]}))]
    scopes: Vec<String>,
}

/// A key as answers show it; `key` only in the answer that made it.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ApiKey")]
struct KeyBody {
    id: String,
    name: String,
    prefix: String,
    scopes: Vec<String>,
    created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_at: Option<Option<DateTime<Utc>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_at: Option<Option<DateTime<Utc>>>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ApiKeyList")]
struct ListBody {
    items: Vec<KeyBody>,
    next_cursor: Option<String>,
}

fn scope_names(scopes: &[Scope]) -> Vec<String> {
    scopes.iter().map(|s| s.to_string()).collect()
}

async fn create(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (name, scopes) = parse_request(http)?;
    let fixed_id =
        idempotency_key(http)?.map(|key| idempotent_id("api-key", tenant, &key).to_string());
    if let Some(id) = &fixed_id
        && let Some(made) = find_key(state, tenant, id).await?
    {
        return replay(made, &name, &scopes);
    }
    let key = new_api_key();
    let mut record = api_key_record(tenant, &name, &key, scopes, Utc::now());
    if let Some(id) = &fixed_id {
        record.id = id.clone();
    }
    if let Err(error) = state.store.add_api_key(&record).await {
        // A concurrent request with the same Idempotency-Key may have stored it first.
        if let Some(id) = &fixed_id
            && let Some(made) = find_key(state, tenant, id).await?
        {
            return replay(made, &record.name, &record.scopes);
        }
        return Err(error.into());
    }
    tracing::info!(key_id = %record.id, "API key created");
    let body = KeyBody {
        id: record.id.clone(),
        name: record.name,
        prefix: record.prefix,
        scopes: scope_names(&record.scopes),
        created_at: record.created_at,
        key: Some(key),
        last_used_at: None,
        revoked_at: None,
    };
    Ok(json(201, &body)?
        .with_header("Location", format!("/api/keys/{}", record.id))
        .with_header("Cache-Control", "no-store"))
}

/// The tenant's key `id`, revoked or not.
async fn find_key(
    state: &AppState,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<ApiKeyView>, ApiError> {
    Ok(state
        .store
        .list_api_keys(tenant)
        .await?
        .into_iter()
        .find(|key| key.id == id))
}

/// The answer to a repeated request: the key it made, without the key itself, which was
/// shown once; a 409 when the repeat asks for another name or other scopes.
fn replay(made: ApiKeyView, name: &str, scopes: &[Scope]) -> Result<HttpResponse, ApiError> {
    if made.name != name || made.scopes != scopes {
        return Err(ApiError::conflict(
            "this Idempotency-Key already made a key with another name or scopes; send a new \
             Idempotency-Key for a new key",
        ));
    }
    let id = made.id.clone();
    Ok(json(200, &view_body(made))?
        .with_header("Location", format!("/api/keys/{id}"))
        .with_header("Cache-Control", "no-store"))
}

/// The body's name and scopes, checked: unknown fields, an empty or long name, no scopes or
/// an unknown one are refused with a sentence saying which.
fn parse_request(http: &HttpRequest) -> Result<(String, Vec<Scope>), ApiError> {
    let bytes = body(
        http,
        MAX_BODY_BYTES,
        r#"{"name": "...", "scopes": ["read", ...]}"#,
        &format!("a key request is at most {} KiB", MAX_BODY_BYTES / 1024),
    )?;
    let request: CreateRequest = parse_json(&bytes)?;
    let name = request.name.trim().to_owned();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(ApiError::bad_request(format!(
            "`name`: 1 to {MAX_NAME_CHARS} characters, not {chars}"
        )));
    }
    if request.scopes.is_empty() {
        return Err(ApiError::bad_request(
            "`scopes`: name at least one of read, write, ingest, admin",
        ));
    }
    let mut scopes = request
        .scopes
        .iter()
        .map(|s| s.parse::<Scope>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::bad_request(format!("`scopes`: {e}")))?;
    scopes.sort();
    scopes.dedup();
    Ok((name, scopes))
}

/// Oldest first, a page at a time. A tenant has a handful of keys, so the page is cut from
/// the whole list; the cursor is the last key's (creation time, id), the list's own order.
async fn list(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let limit = limit(http)? as usize;
    let after: Option<(DateTime<Utc>, String)> =
        http.query("cursor").map(decode_json_cursor).transpose()?;
    let keys: Vec<ApiKeyView> = state
        .store
        .list_api_keys(tenant)
        .await?
        .into_iter()
        .filter(|k| {
            after
                .as_ref()
                .is_none_or(|(at, id)| (k.created_at, &k.id) > (*at, id))
        })
        .take(limit + 1)
        .collect();
    let (keys, next_cursor) = split_page(keys, limit, |k| {
        encode_json_cursor(&(k.created_at, k.id.clone()))
    });
    let items = keys.into_iter().map(view_body).collect();
    Ok(json(200, &ListBody { items, next_cursor })?.with_header("Cache-Control", "no-store"))
}

fn view_body(view: ApiKeyView) -> KeyBody {
    KeyBody {
        id: view.id,
        name: view.name,
        prefix: view.prefix,
        scopes: scope_names(&view.scopes),
        created_at: view.created_at,
        key: None,
        last_used_at: Some(view.last_used_at),
        revoked_at: Some(view.revoked_at),
    }
}

async fn revoke(state: &AppState, tenant: &TenantId, id: &str) -> Result<HttpResponse, ApiError> {
    if state.store.revoke_api_key(tenant, id, Utc::now()).await? {
        tracing::info!(key_id = id, "API key revoked");
        Ok(HttpResponse::new(204, "text/plain", ""))
    } else {
        Err(ApiError::not_found(format!("no API key `{id}`")))
    }
}
