//! `Ingest` — `POST /api/ingest`: an app pushes a feed (CSV, TSV, JSON or NDJSON by
//! `Content-Type`, gzipped or not) and gets `202` with the run at once. The body is written to
//! `ingest/{tenant}/{kind|auto}/{profile?}/push-{uuid}.{ext}`; the run is begun under
//! `push:{uuid}` before the blob exists, so the blob's event continues that very run (see
//! `shared::ingest::push_id`). With an `Idempotency-Key` the uuid comes from the tenant and the
//! key, so a retried push finds its run and lands once.

use bytes::Bytes;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;
use shared::auth::Scope;
use shared::blobs::{BlobError, Container};
use shared::domain::TenantId;
use shared::ingest::profile::check_profile_name;
use shared::ingest::record::FeedKind;
use shared::ingest::{PUSH_FILE_PREFIX, push_run_key};
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};
use shared::store::{IngestRun, IngestRunFinish, IngestRunStart, RunStatus};
use uuid::Uuid;

use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, idempotency_key, idempotent_id, respond};
use crate::openapi::{Api, Operation, one_of};
use crate::paging::json;
use crate::problem::ApiError;

/// The largest body a push may carry; bigger files go through `POST /api/uploads`. Under the
/// handler's invocation limit even once the host has base64-encoded it.
pub const MAX_PUSH_BYTES: usize = 32 * 1024 * 1024;

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    Ok(respond(handle(state, &http).await))
}

async fn handle(state: &AppState, http: &HttpRequest) -> Result<HttpResponse, ApiError> {
    let tenant = authenticate(state, http, Scope::Ingest).await?.tenant;
    if !http.method.eq_ignore_ascii_case("POST") {
        return Err(ApiError::method_not_allowed(&http.method));
    }
    let push = Push::parse(http)?;
    if let Some(profile) = &push.profile
        && state
            .store
            .get_mapping_profile(&tenant, profile)
            .await?
            .is_none()
    {
        return Err(ApiError::not_found(format!(
            "no mapping profile `{profile}`; create it with PUT /api/ingest/mappings/{profile}"
        )));
    }
    push_feed(state, &tenant, push).await
}

/// Begins the run, then writes the blob whose event continues it; a push repeated with its
/// `Idempotency-Key` finds the run instead.
async fn push_feed(
    state: &AppState,
    tenant: &TenantId,
    push: Push,
) -> Result<HttpResponse, ApiError> {
    let id = match &push.idempotency_key {
        Some(key) => idempotent_id("ingest-push", tenant, key),
        None => Uuid::new_v4(),
    };
    let blob = push.blob_name(tenant, &id);
    let run_key = push_run_key(&id);
    if push.idempotency_key.is_some()
        && let Some(run) = state.store.find_ingest_run(tenant, &run_key).await?
    {
        return repeat(state, &run, &blob, push.body).await;
    }
    let start = IngestRunStart {
        tenant: tenant.clone(),
        run_key,
        blob_name: blob.clone(),
        kind: push.kind.unwrap_or(FeedKind::Products),
    };
    let run = state.store.begin_ingest_run(&start).await?;
    if let Err(error) = state.blobs.write(Container::Ingest, &blob, push.body).await {
        if push.idempotency_key.is_none() {
            // Nothing will ever continue this run: say so on it rather than leave it running.
            abandon(state, &run).await;
        }
        return Err(error.into());
    }
    tracing::info!(tenant = %tenant, run = %run.id, blob, "feed pushed");
    accepted(&run)
}

/// A push repeated with its `Idempotency-Key`: the run it began, with the feed written if the
/// first attempt could not write it.
async fn repeat(
    state: &AppState,
    run: &IngestRun,
    blob: &str,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    if run.blob_name != blob {
        return Err(ApiError::conflict(
            "this Idempotency-Key was used for a push of another kind, profile or format",
        ));
    }
    if run.status == RunStatus::Running && !blob_exists(state, blob).await? {
        state.blobs.write(Container::Ingest, blob, body).await?;
    }
    accepted(run)
}

/// What a push asks for, checked.
struct Push {
    kind: Option<FeedKind>,
    profile: Option<String>,
    extension: &'static str,
    gzip: bool,
    idempotency_key: Option<String>,
    body: Bytes,
}

impl Push {
    fn parse(http: &HttpRequest) -> Result<Self, ApiError> {
        let extension = extension(http)?;
        let gzip = match http.header("content-encoding").map(str::trim) {
            None | Some("") | Some("identity") => false,
            Some(coding) if coding.eq_ignore_ascii_case("gzip") => true,
            Some(other) => {
                return Err(ApiError::unsupported_media_type(format!(
                    "Content-Encoding `{other}` is not read here; send gzip or nothing"
                )));
            }
        };
        let kind = http
            .query("kind")
            .map(|raw| {
                FeedKind::from_path_segment(raw.trim()).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "kind must be products, inventory or orders, not `{raw}`"
                    ))
                })
            })
            .transpose()?;
        let profile = http
            .query("profile")
            .map(|raw| {
                check_profile_name(raw)
                    .map(|()| raw.to_owned())
                    .map_err(ApiError::bad_request)
            })
            .transpose()?;
        let idempotency_key = idempotency_key(http)?;
        let body = body(http, gzip)?;
        Ok(Self {
            kind,
            profile,
            extension,
            gzip,
            idempotency_key,
            body,
        })
    }

    /// `{tenant}/{kind|auto}/{profile?}/push-{id}.{ext}[.gz]`: the folders say what a dropped
    /// file's folders would.
    fn blob_name(&self, tenant: &TenantId, id: &Uuid) -> String {
        let kind = self.kind.map_or(FeedKind::AUTO_SEGMENT, FeedKind::as_str);
        let profile = self
            .profile
            .as_deref()
            .map(|p| format!("{p}/"))
            .unwrap_or_default();
        let gz = if self.gzip { ".gz" } else { "" };
        format!(
            "{tenant}/{kind}/{profile}{PUSH_FILE_PREFIX}{id}.{}{gz}",
            self.extension
        )
    }
}

/// The file extension the body's content type stands for. `application/octet-stream` (the one
/// type the host passes as bytes, which a gzipped body needs) names its format in `format`.
fn extension(http: &HttpRequest) -> Result<&'static str, ApiError> {
    let content_type = http.header("content-type").unwrap_or_default();
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let named = if media == "application/octet-stream" {
        http.query("format")
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    } else {
        media.clone()
    };
    match named.as_str() {
        "text/csv" | "application/csv" | "csv" => Ok("csv"),
        "text/tab-separated-values" | "tsv" => Ok("tsv"),
        "application/json" | "json" => Ok("json"),
        "application/x-ndjson"
        | "application/ndjson"
        | "application/jsonl"
        | "application/x-jsonlines"
        | "ndjson"
        | "jsonl" => Ok("ndjson"),
        _ if media == "application/octet-stream" => Err(ApiError::unsupported_media_type(
            "an application/octet-stream body needs format=csv, tsv, json or ndjson",
        )),
        _ => Err(ApiError::unsupported_media_type(format!(
            "Content-Type `{content_type}` is not a feed: send text/csv, \
             text/tab-separated-values, application/json or application/x-ndjson"
        ))),
    }
}

/// The body's bytes: not empty, within [`MAX_PUSH_BYTES`], and gzip when it says so.
fn body(http: &HttpRequest, gzip: bool) -> Result<Bytes, ApiError> {
    let bytes = crate::http::body(
        http,
        MAX_PUSH_BYTES,
        "the feed as the request body, with Content-Length",
        &format!(
            "a pushed feed is at most {} MiB; upload bigger files with POST /api/uploads",
            MAX_PUSH_BYTES / (1024 * 1024)
        ),
    )?;
    if gzip && !bytes.starts_with(&[0x1f, 0x8b]) {
        // A gzip body sent as text reaches us mangled: the host reads text bodies as UTF-8.
        return Err(ApiError::bad_request(
            "the body is not gzip; send gzipped feeds as application/octet-stream with \
             format=csv, tsv, json or ndjson",
        ));
    }
    Ok(Bytes::from(bytes))
}

async fn blob_exists(state: &AppState, blob: &str) -> Result<bool, ApiError> {
    match state.blobs.size(Container::Ingest, blob).await {
        Ok(_) => Ok(true),
        Err(BlobError::NotFound { .. }) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Marks a run whose feed could not be stored as failed; best effort, the caller is told.
async fn abandon(state: &AppState, run: &IngestRun) {
    let finish = IngestRunFinish {
        status: RunStatus::Failed,
        kind: run.kind,
        format: None,
        rows_total: 0,
        rejected: 0,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        error: Some("the feed could not be stored; push it again".into()),
        report_blob: String::new(),
    };
    if let Err(error) = state.store.finish_ingest_run(run, &finish).await {
        tracing::warn!(run = %run.id, %error, "an abandoned push's run stays running");
    }
}

/// The answer to a push: the run that will land it.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "PushAccepted")]
struct Accepted<'a> {
    run_id: &'a str,
    status: RunStatus,
    /// Where the pushed feed is kept (`ingest/…`).
    blob: String,
    links: Links,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "RunLinks")]
struct Links {
    /// The run, to poll for progress and the report.
    run: String,
}

/// Describes the endpoint.
pub fn describe(api: &mut Api) {
    let accepted = api.sends::<Accepted<'static>>();
    let feed = json!({"type": "string", "description": "The feed, as a partner would drop it"});
    api.add(
        Operation::new("POST", "ingest", "pushFeed", "Ingestion", "Push a feed (CSV, TSV, JSON or NDJSON)", Some(Scope::Ingest))
            .describe("The format comes from Content-Type; a gzipped body is sent as application/octet-stream with `format`. At most 32 MiB: bigger files go through POST /api/uploads. The run starts at once; poll its link.")
            .query("kind", one_of(&["products", "inventory", "orders"]), "What the feed holds; by default it is detected from its columns.")
            .query("profile", json!({"type": "string"}), "A mapping profile of the tenant's to read the columns with.")
            .query("format", one_of(&["csv", "tsv", "json", "ndjson"]), "The format of an application/octet-stream body.")
            .header("Idempotency-Key", false, "Makes a retried push land once: the same key answers with the same run.")
            .header("Content-Encoding", false, "`gzip` for a gzipped body.")
            .body(&["text/csv", "text/tab-separated-values", "application/json", "application/x-ndjson", "application/octet-stream"], feed, true)
            .answer(202, "The feed is stored and its run has begun", accepted)
            .error(400, "The body is empty or a parameter is not valid")
            .error(404, "The profile does not exist")
            .error(409, "The Idempotency-Key was used for a different push")
            .error(413, "The body is over 32 MiB")
            .error(415, "The Content-Type (or format) is not a feed"),
    );
}

fn accepted(run: &IngestRun) -> Result<HttpResponse, ApiError> {
    let location = format!("/api/ingest/runs/{}", run.id);
    let body = Accepted {
        run_id: &run.id,
        status: run.status,
        blob: format!("{}/{}", Container::Ingest.name(), run.blob_name),
        links: Links {
            run: location.clone(),
        },
    };
    Ok(json(202, &body)?.with_header("Location", location))
}
