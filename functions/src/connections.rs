//! `Connections` — the tenant's links to its shop and ERP platforms.
//! `PUT /api/connections/{platform}` (admin scope) makes (201) or replaces (200) the
//! connection to `shopify`, `woocommerce` or `netsuite`: its settings, directions and
//! schedules, and its credentials, which are sealed (AES-256-GCM) before they reach the store.
//! A secret left out of a replace keeps the stored one, so a schedule can change without the
//! secrets being sent again. `GET /api/connections` and `GET /api/connections/{platform}`
//! (read scope) show them; `DELETE /api/connections/{platform}` (admin) removes one.
//! Secrets are never answered nor logged: answers say only which are `set`.
//!
//! `ConnectionActions` (`connections/{platform}/{action}`, admin) runs through the same
//! handler: `POST …/test` checks the stored credentials with a cheap call to the platform, and
//! `POST …/sync` starts a job per object kind now (an `Idempotency-Key` finds the same jobs).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use shared::auth::Scope;
use shared::connections::{
    AddressRules, Connection, ConnectionError, ConnectionRequest, ConnectionSecrets,
    ConnectionSettings, CredentialsKey, Direction, ObjectKind, Platform, check_request,
    open_secrets, optional_secret_fields, seal_secrets, secret_fields, unknown_fields,
};
use shared::domain::TenantId;
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};
use shared::settings::{ADVISOR_CREDENTIALS_KEY, Mode};
use shared::store::ConnectionRecord;
use shared::store::{SyncJob, SyncTrigger};
use shared::sync::engine::{Remote, SyncError, SyncMessage};
use uuid::Uuid;

use crate::app::{AppState, FunctionError};
use crate::http::{
    authenticate, body, idempotency_key, idempotent_id, optional_body, parse_json, scope_for,
};
use crate::openapi::{Api, Operation};
use crate::paging::json;
use crate::problem::ApiError;
use crate::sync_jobs::JobBody;

/// The largest request body: a handful of short fields.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    let (response, messages) = match handle(state, &http).await {
        Ok(answer) => answer,
        Err(error) => (error.into_response(), Vec::new()),
    };
    let answer = InvocationResponse::empty().with_http("res", response);
    if messages.is_empty() {
        return Ok(answer);
    }
    answer
        .with_messages("sync", &messages)
        .map_err(|e| FunctionError::Internal(e.to_string()))
}

type Answer = (HttpResponse, Vec<SyncMessage>);

async fn handle(state: &AppState, http: &HttpRequest) -> Result<Answer, ApiError> {
    let tenant = authenticate(state, http, scope_for(http, Scope::Admin))
        .await?
        .tenant;
    let platform = http
        .param("platform")
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<Platform>().map_err(ApiError::not_found))
        .transpose()?;
    let action = http.param("action").filter(|a| !a.is_empty());
    let method = http.method.to_ascii_uppercase();
    let plain = |response: HttpResponse| (response, Vec::new());
    match (method.as_str(), platform, action) {
        ("GET", None, None) => list(state, &tenant).await.map(plain),
        ("GET", Some(platform), None) => show(state, &tenant, platform).await.map(plain),
        ("PUT", Some(platform), None) => put(state, &tenant, platform, http).await.map(plain),
        ("DELETE", Some(platform), None) => delete(state, &tenant, platform).await.map(plain),
        ("POST", Some(platform), Some("test")) => test(state, &tenant, platform).await.map(plain),
        ("POST", Some(platform), Some("sync")) => start_sync(state, &tenant, platform, http).await,
        (_, Some(_), Some(action)) if !matches!(action, "test" | "sync") => Err(
            ApiError::not_found(format!("no connection action `{action}`: test or sync")),
        ),
        (other, _, _) => Err(ApiError::method_not_allowed(other)),
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
    let tested = api.sends::<TestBody>();
    let started = api.sends::<StartedBody<'static>>();
    api.add(platform(
        Operation::new(
            "POST",
            "connections/{platform}/test",
            "testConnection",
            "Connections",
            "Check the stored credentials with a cheap call to the platform",
            Some(Scope::Admin),
        )
        .describe("Answers 200 either way; `ok` says whether the platform accepted them.")
        .error(
            409,
            "The stored secrets cannot be decrypted any more: send them all again",
        )
        .answer(200, "What the check found", tested),
    ));
    api.add(platform(
        Operation::new(
            "POST",
            "connections/{platform}/sync",
            "startConnectionSync",
            "Connections",
            "Start a sync now, one job per object kind",
            Some(Scope::Admin),
        )
        .header("Idempotency-Key", false, "Makes a repeated request find its jobs.")
        .body(&["application/json"], Api::reads::<SyncRequest>(), false)
        .error(400, "The body is not valid (the detail says where)")
        .error(409, "A kind asked for is off for this connection, or the stored secrets cannot be decrypted")
        .error(413, "The body is over 16 KiB")
        .answer(
            202,
            "The jobs are queued; one that finds a job of its kind running on this connection \
             waits for it and runs when it ends",
            started,
        ),
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
    let secrets = secret_fields(record.platform)
        .iter()
        .chain(settings.webhooks.then_some(&"webhook_secret"))
        .map(|name| (*name, "set"))
        .collect();
    Ok(ConnectionBody {
        platform: record.platform,
        settings,
        secrets,
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
    let key = credentials_key(state)?;
    let request = parse_request(platform, http)?;
    let stored = state.store.get_connection(tenant, platform).await?;
    let omits = |names: &[&str]| names.iter().any(|name| secret_of(&request, name).is_none());
    let stored_secrets = match &stored {
        Some(record) if omits(secret_fields(platform)) => Some(open_stored(key, record)?),
        // Every needed secret is sent again: an optional one sealed under another key is lost
        // with that key rather than blocking the fix.
        Some(record) if omits(optional_secret_fields(platform)) => {
            match open_secrets(key, record) {
                Ok(secrets) => Some(secrets),
                Err(ConnectionError::Unreadable) => None,
                Err(_) => Some(open_stored(key, record)?),
            }
        }
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
        "webhook_secret" => request.webhook_secret.as_deref(),
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

/// The key, or 503 naming the setting.
fn credentials_key(state: &AppState) -> Result<&CredentialsKey, ApiError> {
    state.credentials.as_deref().map_err(|reason| {
        ApiError::service_unavailable(format!(
            "platform connections are off on this deployment: {reason} ({ADVISOR_CREDENTIALS_KEY})"
        ))
    })
}

/// The tenant's connection to `platform`, opened.
async fn open_connection(
    state: &AppState,
    tenant: &TenantId,
    platform: Platform,
) -> Result<Connection, ApiError> {
    let key = credentials_key(state)?;
    let record = state
        .store
        .get_connection(tenant, platform)
        .await?
        .ok_or_else(|| no_connection(platform))?;
    let secrets = open_stored(key, &record)?;
    let settings = view(record)?.settings;
    Ok(Connection {
        platform,
        settings,
        secrets,
    })
}

/// What a credentials check found.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ConnectionTest")]
struct TestBody {
    /// The platform accepted the credentials.
    ok: bool,
    /// What the platform answered, or why the check failed.
    message: String,
    /// The platform refused the credentials (fix them); `false` when it failed otherwise.
    credentials_refused: bool,
}

async fn test(
    state: &AppState,
    tenant: &TenantId,
    platform: Platform,
) -> Result<HttpResponse, ApiError> {
    let connection = open_connection(state, tenant, platform).await?;
    let checked = match Remote::connect(&connection) {
        Ok(remote) => remote.check().await,
        Err(e) => Err(e),
    };
    let body = match checked {
        Ok(message) => TestBody {
            ok: true,
            message,
            credentials_refused: false,
        },
        Err(e) => TestBody {
            ok: false,
            credentials_refused: matches!(e, SyncError::Platform { auth: true, .. }),
            message: e.to_string(),
        },
    };
    tracing::info!(%tenant, %platform, ok = body.ok, "connection tested");
    json(200, &body)
}

/// `POST /api/connections/{platform}/sync`: which kinds to sync now.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SyncRequest")]
struct SyncRequest {
    /// The object kinds; every kind the connection does not turn off when absent.
    kinds: Option<Vec<ObjectKind>>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SyncJobsStarted")]
struct StartedBody<'a> {
    items: Vec<JobBody<'a>>,
}

async fn start_sync(
    state: &AppState,
    tenant: &TenantId,
    platform: Platform,
    http: &HttpRequest,
) -> Result<Answer, ApiError> {
    let request: SyncRequest =
        match optional_body(http, MAX_BODY_BYTES, "a sync request is at most 16 KiB")? {
            Some(bytes) => parse_json(&bytes)?,
            None => SyncRequest::default(),
        };
    let key = idempotency_key(http)?;
    let connection = open_connection(state, tenant, platform).await?;
    let objects = connection.settings.objects;
    let kinds: Vec<ObjectKind> = match request.kinds {
        Some(kinds) if kinds.is_empty() => {
            return Err(ApiError::bad_request("kinds must name at least one kind"));
        }
        Some(kinds) => {
            if let Some(off) = kinds
                .iter()
                .find(|k| objects.get(**k).direction == Direction::Off)
            {
                return Err(ApiError::conflict(format!(
                    "{} sync is off for this connection: turn it on with PUT first",
                    off.as_str()
                )));
            }
            let mut kinds = kinds;
            kinds.sort();
            kinds.dedup();
            kinds
        }
        None => ObjectKind::ALL
            .into_iter()
            .filter(|k| objects.get(*k).direction != Direction::Off)
            .collect(),
    };
    if kinds.is_empty() {
        return Err(ApiError::conflict(
            "every object kind is off for this connection",
        ));
    }
    let now = Utc::now();
    let mut jobs = Vec::new();
    for kind in kinds {
        let id = match &key {
            Some(key) => idempotent_id(&format!("sync-{platform}-{}", kind.as_str()), tenant, key),
            None => Uuid::new_v4(),
        };
        let job = SyncJob::queued(
            tenant.clone(),
            format!("m-{id}"),
            platform,
            kind,
            SyncTrigger::Manual,
            None,
            now,
        );
        let (job, _) = state.store.create_sync_job(&job).await?;
        jobs.push(job);
    }
    tracing::info!(%tenant, %platform, jobs = jobs.len(), "sync started by request");
    let messages = jobs
        .iter()
        .filter(|job| !job.status.is_final())
        .map(|job| SyncMessage {
            tenant: tenant.clone(),
            job_id: job.id.clone(),
        })
        .collect();
    let items = jobs.iter().map(JobBody::from).collect();
    let location = format!("/api/sync/jobs/{}", jobs[0].id);
    let response = json(202, &StartedBody { items })?.with_header("Location", location);
    Ok((response, messages))
}
