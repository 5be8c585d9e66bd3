//! `SyncJobs` (`sync/{collection}/{id?}`, GET) and `SyncIssueActions`
//! (`sync/issues/{id}/{action}`, POST) — sync jobs and the error inbox.
//!
//! - `GET /api/sync/jobs` (newest first, `platform` filter, cursor pagination) and
//!   `GET /api/sync/jobs/{id}`: status, pages, counts, duration, cursors and the failure.
//! - `GET /api/sync/issues` (`platform`, `status` filters) and `GET /api/sync/issues/{id}`:
//!   the records that could not be synced, one entry per record and problem however often a
//!   job meets it.
//! - `POST /api/sync/issues/{id}/retry` (write) syncs the entry's record again in a new job
//!   (for a conflict: pushes ours over the edit made on the platform) and marks the entry
//!   resolved; a job that meets the problem again reopens it. `POST …/resolve` marks it
//!   resolved (for a conflict: keeps the platform's edit).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use shared::auth::Scope;
use shared::connections::{ObjectKind, Platform};
use shared::domain::TenantId;
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};
use shared::store::{
    IssueQuery, IssueStatus, SyncIssue, SyncJob, SyncJobCursor, SyncProgress, SyncStatus,
    SyncTargets, SyncTrigger,
};
use shared::sync::engine::SyncMessage;
use uuid::Uuid;

use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, idempotency_key, idempotent_id, scope_for};
use crate::openapi::{Api, Operation, one_of};

/// The platforms' names, for the description.
const PLATFORMS: &[&str] = &["shopify", "woocommerce", "netsuite"];
use crate::paging::{decode_json_cursor, encode_json_cursor, json, limit, split_page};
use crate::problem::ApiError;

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    let (response, message) = match handle(state, &http).await {
        Ok(answer) => answer,
        Err(error) => (error.into_response(), None),
    };
    let answer = InvocationResponse::empty().with_http("res", response);
    match message {
        None => Ok(answer),
        Some(message) => answer
            .with_messages("sync", &[message])
            .map_err(|e| FunctionError::Internal(e.to_string())),
    }
}

type Answer = (HttpResponse, Option<SyncMessage>);

async fn handle(state: &AppState, http: &HttpRequest) -> Result<Answer, ApiError> {
    let tenant = authenticate(state, http, scope_for(http, Scope::Write))
        .await?
        .tenant;
    let param = |name: &str| http.param(name).filter(|v| !v.is_empty());
    let method = http.method.to_ascii_uppercase();
    // `SyncIssueActions` (`sync/issues/{id}/{action}`) names its collection in the route.
    let collection = param("collection").or(param("action").map(|_| "issues"));
    match (collection, param("id"), param("action")) {
        (Some("jobs"), None, None) if method == "GET" => {
            Ok((list_jobs(state, &tenant, http).await?, None))
        }
        (Some("jobs"), Some(id), None) if method == "GET" => {
            Ok((get_job(state, &tenant, id).await?, None))
        }
        (Some("issues"), None, None) if method == "GET" => {
            Ok((list_issues(state, &tenant, http).await?, None))
        }
        (Some("issues"), Some(id), None) if method == "GET" => {
            let issue = find_issue(state, &tenant, id).await?;
            Ok((json(200, &IssueBody::from(&issue))?, None))
        }
        (Some("issues"), Some(id), Some("retry")) if method == "POST" => {
            retry(state, &tenant, id, idempotency_key(http)?).await
        }
        (Some("issues"), Some(id), Some("resolve")) if method == "POST" => {
            Ok((resolve(state, &tenant, id).await?, None))
        }
        (Some("jobs" | "issues"), _, _) => Err(ApiError::method_not_allowed(&method)),
        (other, _, _) => Err(ApiError::not_found(format!(
            "no sync collection `{}`: jobs or issues",
            other.unwrap_or_default()
        ))),
    }
}

fn platform_filter(http: &HttpRequest) -> Result<Option<Platform>, ApiError> {
    http.query("platform")
        .map(|p| p.parse::<Platform>().map_err(ApiError::bad_request))
        .transpose()
}

async fn list_jobs(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let limit = limit(http)?;
    let platform = platform_filter(http)?;
    let after: Option<SyncJobCursor> = http.query("cursor").map(decode_json_cursor).transpose()?;
    let jobs = state
        .store
        .list_sync_jobs(tenant, platform, after.as_ref(), limit + 1)
        .await?;
    let (jobs, next_cursor) = split_page(jobs, limit as usize, |job| {
        encode_json_cursor(&(job.created_at, job.id.clone()))
    });
    let items = jobs.iter().map(JobBody::from).collect();
    json(200, &JobList { items, next_cursor })
}

async fn get_job(state: &AppState, tenant: &TenantId, id: &str) -> Result<HttpResponse, ApiError> {
    let job = state
        .store
        .get_sync_job(tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no sync job `{id}`")))?;
    json(200, &JobBody::from(&job))
}

async fn list_issues(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let limit = limit(http)?;
    let status = http
        .query("status")
        .map(|s| match s {
            "open" => Ok(IssueStatus::Open),
            "resolved" => Ok(IssueStatus::Resolved),
            other => Err(ApiError::bad_request(format!(
                "status must be open or resolved, not `{other}`"
            ))),
        })
        .transpose()?;
    let query = IssueQuery {
        platform: platform_filter(http)?,
        status,
        after: http.query("cursor").map(decode_json_cursor).transpose()?,
        limit: limit + 1,
    };
    let issues = state.store.list_sync_issues(tenant, &query).await?;
    let (issues, next_cursor) = split_page(issues, limit as usize, |issue| {
        encode_json_cursor(&(issue.last_seen, issue.id.clone()))
    });
    let items = issues.iter().map(IssueBody::from).collect();
    json(200, &IssueList { items, next_cursor })
}

async fn find_issue(state: &AppState, tenant: &TenantId, id: &str) -> Result<SyncIssue, ApiError> {
    state
        .store
        .get_sync_issue(tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no sync issue `{id}`")))
}

async fn retry(
    state: &AppState,
    tenant: &TenantId,
    id: &str,
    key: Option<String>,
) -> Result<Answer, ApiError> {
    let issue = find_issue(state, tenant, id).await?;
    if state
        .store
        .get_connection(tenant, issue.platform)
        .await?
        .is_none()
    {
        return Err(ApiError::conflict(format!(
            "there is no {} connection to retry with",
            issue.platform
        )));
    }
    if issue.kind != ObjectKind::Products {
        return Err(ApiError::conflict(format!(
            "retrying one {} record is not supported; start a sync of {} instead",
            issue.kind.as_str(),
            issue.kind.as_str()
        )));
    }
    let now = Utc::now();
    let job = SyncJob::queued(
        tenant.clone(),
        // A repeated request with the same Idempotency-Key finds the job the first one made.
        format!(
            "r-{}",
            key.map_or_else(Uuid::new_v4, |key| idempotent_id(
                &format!("sync-retry-{id}"),
                tenant,
                &key
            ))
        ),
        issue.platform,
        issue.kind,
        SyncTrigger::Retry,
        Some(SyncTargets {
            ids: vec![retry_target(&issue)],
            deleted: false,
            force_push: issue.code == "conflict",
        }),
        now,
    );
    let (job, made) = state.store.create_sync_job(&job).await?;
    // A repeat finds the first request's job: the entry is not resolved again (that job may
    // have met the problem and reopened it), and a finished job is not sent again.
    if made {
        state
            .store
            .set_sync_issue_status(tenant, id, IssueStatus::Resolved, now)
            .await?;
    }
    tracing::info!(%tenant, issue = %id, job = %job.id, repeat = !made, "sync issue retried");
    let location = format!("/api/sync/jobs/{}", job.id);
    let response = json(202, &JobBody::from(&job))?.with_header("Location", location);
    let message = (!job.status.is_final()).then(|| SyncMessage {
        tenant: tenant.clone(),
        job_id: job.id,
    });
    Ok((response, message))
}

/// The remote product an entry's record belongs to: a variant's problem is retried by
/// reading its product again.
fn retry_target(issue: &SyncIssue) -> String {
    issue
        .detail
        .get("product_id")
        .or_else(|| issue.detail.get("remote_id"))
        .and_then(|v| v.as_str())
        .unwrap_or(&issue.record)
        .to_owned()
}

async fn resolve(state: &AppState, tenant: &TenantId, id: &str) -> Result<HttpResponse, ApiError> {
    let issue = state
        .store
        .set_sync_issue_status(tenant, id, IssueStatus::Resolved, Utc::now())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no sync issue `{id}`")))?;
    json(200, &IssueBody::from(&issue))
}

/// Describes the endpoints.
pub fn describe(api: &mut Api) {
    let job = api.sends::<JobBody<'static>>();
    let jobs = api.sends::<JobList<'static>>();
    let issue = api.sends::<IssueBody<'static>>();
    let issues = api.sends::<IssueList<'static>>();
    let tag = "Sync";
    api.add(
        Operation::new(
            "GET",
            "sync/jobs",
            "listSyncJobs",
            tag,
            "Sync jobs, newest first",
            Some(Scope::Read),
        )
        .query("platform", one_of(PLATFORMS), "Only this platform's")
        .paged()
        .error(400, "An unknown platform")
        .answer(200, "A page of jobs", jobs),
    );
    api.add(
        Operation::new(
            "GET",
            "sync/jobs/{id}",
            "getSyncJob",
            tag,
            "One sync job: status, pages, counts, duration, failure",
            Some(Scope::Read),
        )
        .path_param("id", "The job's id")
        .error(404, "No such job for this tenant")
        .answer(200, "The job", job.clone()),
    );
    api.add(
        Operation::new(
            "GET",
            "sync/issues",
            "listSyncIssues",
            tag,
            "The error inbox, most recently met first",
            Some(Scope::Read),
        )
        .query("platform", one_of(PLATFORMS), "Only this platform's")
        .query(
            "status",
            one_of(&["open", "resolved"]),
            "Only entries in this state",
        )
        .paged()
        .error(400, "An unknown platform or status")
        .answer(200, "A page of entries", issues),
    );
    api.add(
        Operation::new(
            "GET",
            "sync/issues/{id}",
            "getSyncIssue",
            tag,
            "One inbox entry",
            Some(Scope::Read),
        )
        .path_param("id", "The entry's id")
        .error(404, "No such entry for this tenant")
        .answer(200, "The entry", issue.clone()),
    );
    api.add(
        Operation::new(
            "POST",
            "sync/issues/{id}/retry",
            "retrySyncIssue",
            tag,
            "Sync the entry's record again (a conflict: push ours over the platform's edit)",
            Some(Scope::Write),
        )
        .path_param("id", "The entry's id")
        .error(404, "No such entry for this tenant")
        .error(
            409,
            "The connection is gone, or the record's kind cannot be retried alone",
        )
        .answer(202, "The retry job is queued", job),
    );
    api.add(
        Operation::new(
            "POST",
            "sync/issues/{id}/resolve",
            "resolveSyncIssue",
            tag,
            "Mark the entry resolved (a conflict: keep the platform's edit)",
            Some(Scope::Write),
        )
        .path_param("id", "The entry's id")
        .error(404, "No such entry for this tenant")
        .answer(200, "The entry", issue),
    );
}

/// A job as the API shows it.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SyncJob")]
pub(crate) struct JobBody<'a> {
    id: &'a str,
    platform: Platform,
    kind: ObjectKind,
    trigger: SyncTrigger,
    status: SyncStatus,
    /// Targeted work (webhooks, retries); absent for an incremental run.
    #[serde(skip_serializing_if = "Option::is_none")]
    targets: Option<&'a SyncTargets>,
    progress: &'a SyncProgress,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    /// Seconds from start to finish (or to now, while running).
    duration_seconds: Option<f64>,
    links: JobLinks,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SyncJobLinks")]
struct JobLinks {
    job: String,
}

impl<'a> From<&'a SyncJob> for JobBody<'a> {
    fn from(job: &'a SyncJob) -> Self {
        let duration_seconds = job.started_at.map(|start| {
            let end = job.finished_at.unwrap_or_else(Utc::now);
            (end - start).num_milliseconds().max(0) as f64 / 1000.0
        });
        Self {
            id: &job.id,
            platform: job.platform,
            kind: job.kind,
            trigger: job.trigger,
            status: job.status,
            targets: job.targets.as_ref(),
            progress: &job.progress,
            created_at: job.created_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
            duration_seconds,
            links: JobLinks {
                job: format!("/api/sync/jobs/{}", job.id),
            },
        }
    }
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SyncJobList")]
struct JobList<'a> {
    items: Vec<JobBody<'a>>,
    next_cursor: Option<String>,
}

/// An inbox entry as the API shows it.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SyncIssue")]
struct IssueBody<'a> {
    #[serde(flatten)]
    issue: &'a SyncIssue,
    links: IssueLinks,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SyncIssueLinks")]
struct IssueLinks {
    issue: String,
    retry: String,
    resolve: String,
    last_job: String,
}

impl<'a> From<&'a SyncIssue> for IssueBody<'a> {
    fn from(issue: &'a SyncIssue) -> Self {
        let base = format!("/api/sync/issues/{}", issue.id);
        Self {
            issue,
            links: IssueLinks {
                retry: format!("{base}/retry"),
                resolve: format!("{base}/resolve"),
                issue: base,
                last_job: format!("/api/sync/jobs/{}", issue.last_job),
            },
        }
    }
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SyncIssueList")]
struct IssueList<'a> {
    items: Vec<IssueBody<'a>>,
    next_cursor: Option<String>,
}
