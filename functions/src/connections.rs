//! `Connections` — the tenant's links to its shop and ERP platforms.
//! `PUT /api/connections/{platform}` (admin scope) makes (201) or replaces (200) the
//! connection to `shopify`, `woocommerce` or `netsuite`: its settings, directions and
//! schedules, and its credentials, which are sealed (AES-256-GCM) before they reach the store.
//! A secret left out of a replace keeps the stored one, so a schedule can change without the
//! secrets being sent again. `GET /api/connections` and `GET /api/connections/{platform}`
//! (read scope) show them; `DELETE /api/connections/{platform}` (admin) removes one.
//! Secrets are never answered nor logged: answers say only which are `set`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use shared::auth::Scope;
use shared::connections::{
    AddressRules, ConnectionError, ConnectionRequest, ConnectionSecrets, ConnectionSettings,
    CredentialsKey, Platform, check_request, open_secrets, seal_secrets, secret_fields,
    unknown_fields,
};
use shared::domain::TenantId;
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};
use shared::settings::{ADVISOR_CREDENTIALS_KEY, Mode};
use shared::store::ConnectionRecord;

use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, body, respond, scope_for};
use crate::openapi::{Api, Operation};
use crate::paging::json;
use crate::problem::ApiError;

/// The largest request body: a handful of short fields.
const MAX_BODY_BYTES: usize = 16 * 1024;

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
    let platform = http
        .param("platform")
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<Platform>().map_err(ApiError::not_found))
        .transpose()?;
    match (http.method.to_ascii_uppercase().as_str(), platform) {
        ("GET", None) => list(state, &tenant).await,
        ("GET", Some(platform)) => show(state, &tenant, platform).await,
        ("PUT", Some(platform)) => put(state, &tenant, platform, http).await,
        ("DELETE", Some(platform)) => delete(state, &tenant, platform).await,
        (other, _) => Err(ApiError::method_not_allowed(other)),
    }
}

/// Describes the endpoints.
pub fn describe(api: &mut Api) {
    let one = api.sends::<ConnectionBody>();
    let list = api.sends::<ListBody>();
    let platform = |operation: Operation| {
        operation
            .path_param("platform", "`shopify`, `woocommerce` or `netsuite`")
            .error(404, "No such platform, or no connection to it")
    };
    api.add(
        Operation::new(
            "GET",
            "connections",
            "listConnections",
            "Connections",
            "The tenant's platform connections (never their secrets)",
            Some(Scope::Read),
        )
        .answer(200, "The connections, by platform", list),
    );
    api.add(platform(
        Operation::new(
            "GET",
            "connections/{platform}",
            "getConnection",
            "Connections",
            "One platform connection (never its secrets)",
            Some(Scope::Read),
        )
        .answer(200, "The connection", one.clone()),
    ));
    api.add(platform(
        Operation::new(
            "PUT",
            "connections/{platform}",
            "putConnection",
            "Connections",
            "Connect a platform, or replace its connection",
            Some(Scope::Admin),
        )
        .describe(
            "Only the path's platform's fields are accepted. Secrets are encrypted at rest and \
             never answered; one left out of a replace keeps the stored value.",
        )
        .json_body::<ConnectionRequest>()
        .answer(201, "Connected", one.clone())
        .answer(200, "The connection was replaced", one)
        .error(
            409,
            "The stored secrets cannot be decrypted any more: send them all again",
        )
        .error(413, "The body is over 16 KiB"),
    ));
    api.add(platform(
        Operation::new(
            "DELETE",
            "connections/{platform}",
            "deleteConnection",
            "Connections",
            "Disconnect a platform",
            Some(Scope::Admin),
        )
        .empty(204, "Disconnected"),
    ));
}

/// A connection as answers show it.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Connection")]
struct ConnectionBody {
    /// `shopify`, `woocommerce` or `netsuite`.
    platform: Platform,
    #[serde(flatten)]
    settings: ConnectionSettings,
    /// Each secret's name, with `set` for its value: the values are never answered.
    secrets: BTreeMap<&'static str, &'static str>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// How many times the connection was stored.
    version: i64,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ConnectionList")]
struct ListBody {
    items: Vec<ConnectionBody>,
}

fn view(record: ConnectionRecord) -> Result<ConnectionBody, ApiError> {
    let settings: ConnectionSettings = serde_json::from_value(record.settings).map_err(|e| {
        tracing::error!(platform = %record.platform, error = %e, "stored connection settings are unreadable");
        ApiError::internal()
    })?;
    Ok(ConnectionBody {
        platform: record.platform,
        settings,
        secrets: secret_fields(record.platform)
            .iter()
            .map(|name| (*name, "set"))
            .collect(),
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    })
}

fn no_connection(platform: Platform) -> ApiError {
    ApiError::not_found(format!("no {platform} connection"))
}

async fn list(state: &AppState, tenant: &TenantId) -> Result<HttpResponse, ApiError> {
    let items = state
        .store
        .list_connections(tenant)
        .await?
        .into_iter()
        .map(view)
        .collect::<Result<_, _>>()?;
    json(200, &ListBody { items })
}

async fn show(
    state: &AppState,
    tenant: &TenantId,
    platform: Platform,
) -> Result<HttpResponse, ApiError> {
    let record = state
        .store
        .get_connection(tenant, platform)
        .await?
        .ok_or_else(|| no_connection(platform))?;
    json(200, &view(record)?)
}

async fn delete(
    state: &AppState,
    tenant: &TenantId,
    platform: Platform,
) -> Result<HttpResponse, ApiError> {
    if state.store.delete_connection(tenant, platform).await? {
        tracing::info!(platform = %platform, "connection deleted");
        Ok(HttpResponse::new(204, "text/plain", ""))
    } else {
        Err(no_connection(platform))
    }
}

async fn put(
    state: &AppState,
    tenant: &TenantId,
    platform: Platform,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let key = state.credentials.as_ref().map_err(|reason| {
        ApiError::service_unavailable(format!(
            "platform connections are off on this deployment: {reason} ({ADVISOR_CREDENTIALS_KEY})"
        ))
    })?;
    let request = parse_request(platform, http)?;
    let stored = state.store.get_connection(tenant, platform).await?;
    let omits_a_secret = secret_fields(platform)
        .iter()
        .any(|name| secret_of(&request, name).is_none());
    let stored_secrets = match &stored {
        Some(record) if omits_a_secret => Some(open_stored(key, record)?),
        _ => None,
    };
    let rules = match state.settings.mode {
        Mode::Local => AddressRules::Local,
        Mode::Hosted { .. } => AddressRules::Hosted,
    };
    let (settings, secrets) = check_request(platform, request, stored_secrets.as_ref(), rules)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let sealed = seal_secrets(key, tenant, platform, &secrets).map_err(|e| {
        tracing::error!(error = %e, "sealing connection secrets failed");
        ApiError::internal()
    })?;
    let now = Utc::now();
    let record = ConnectionRecord {
        tenant: tenant.clone(),
        platform,
        settings: serde_json::to_value(&settings).map_err(|_| ApiError::internal())?,
        secrets: sealed,
        created_at: now,
        updated_at: now,
        version: 0,
    };
    let stored = state.store.put_connection(&record).await?;
    let created = stored.created();
    tracing::info!(platform = %platform, created, version = stored.version, "connection stored");
    let response = json(if created { 201 } else { 200 }, &view(stored)?)?;
    Ok(if created {
        response.with_header("Location", format!("/api/connections/{platform}"))
    } else {
        response
    })
}

/// The request's value for secret `name`.
fn secret_of<'a>(request: &'a ConnectionRequest, name: &str) -> Option<&'a str> {
    match name {
        "access_token" => request.access_token.as_deref(),
        "consumer_key" => request.consumer_key.as_deref(),
        "consumer_secret" => request.consumer_secret.as_deref(),
        "token_id" => request.token_id.as_deref(),
        "token_secret" => request.token_secret.as_deref(),
        _ => None,
    }
}

/// The stored secrets, opened: a 409 when they no longer open (the key changed), since only
/// sending them all again can fix it.
fn open_stored(
    key: &CredentialsKey,
    record: &ConnectionRecord,
) -> Result<ConnectionSecrets, ApiError> {
    open_secrets(key, record).map_err(|e| match e {
        ConnectionError::Unreadable => ApiError::conflict(format!(
            "the stored {} secrets cannot be decrypted with the current {ADVISOR_CREDENTIALS_KEY}: \
             send every secret again",
            record.platform
        )),
        other => {
            tracing::error!(error = %other, "opening connection secrets failed");
            ApiError::internal()
        }
    })
}

/// The body, checked: a JSON object with only the platform's fields (every unknown one named).
fn parse_request(platform: Platform, http: &HttpRequest) -> Result<ConnectionRequest, ApiError> {
    let bytes = body(
        http,
        MAX_BODY_BYTES,
        "the connection's settings and secrets as JSON",
        "a connection is at most 16 KiB",
    )?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| ApiError::bad_request("the body must be a JSON object"))?;
    let unknown = unknown_fields(platform, object);
    if !unknown.is_empty() {
        return Err(ApiError::bad_request(format!(
            "{platform} does not take {}",
            unknown
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    serde_path_to_error::deserialize(value)
        .map_err(|e| ApiError::bad_request(format!("the body at `{}`: {}", e.path(), e.inner())))
}
