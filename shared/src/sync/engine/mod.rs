//! The sync engine: runs one [`SyncJob`] against one platform, a time slice at a time.
//!
//! A job is made (and its id chosen) by whoever starts it — the schedule, a person, a webhook
//! or an inbox retry — and a [`SyncMessage`] naming it goes to the `sync` queue. A delivery
//! claims the job by compare-and-set on its version and holds a lease while it works; a
//! second delivery of the same message finds the job held, running elsewhere, or finished, and
//! does nothing (a finished products job hands its enrichment messages out again, because the
//! first delivery's may never have left the host).
//!
//! One job of a kind runs per connection at a time: the claim fails while another job of the
//! same tenant, platform and kind is running (between its slices too), so two jobs never race
//! on one cursor or push one product twice. The waiting job stays queued, and the job that
//! ends hands on to the oldest one waiting ([`Outcome::waiting`]); the schedule's sweep sends
//! again any queued job left waiting too long.
//!
//! Work goes page by page. A page's records are stored (one transaction, through the same
//! batch upsert feeds use, into an ingestion run per job), then the job's resume point is saved,
//! then the connection's cursor moves: a crash re-reads at most one page, the upserts make that
//! a no-op, and a job that dies before its first checkpoint starts again from the same cursor
//! (so it reads, and counts, the same records). After [`SLICE`] the job saves where it is and
//! hands itself on to the queue, well inside the host's message lock.

mod commerce;
mod netsuite;
mod products;
mod remote;
mod schedule;
#[cfg(test)]
mod tests;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use products::{OwnedFields, RemoteProduct};
pub use remote::Remote;
pub use schedule::{ScheduleOutcome, schedule, scheduled_job_id};

use crate::connections::{
    Connection, ConnectionError, CredentialsKey, Direction, ObjectKind, Platform,
};
use crate::domain::TenantId;
use crate::enrich::EnrichRequest;
use crate::ingest::record::FeedKind;
use crate::store::{
    IngestRun, IngestRunFinish, IngestRunStart, RunStatus, Store, StoreError, SyncJob, SyncProblem,
    SyncStatus,
};

/// How long one delivery works on a job before handing it on: well inside the Functions
/// host's five-minute message lock.
pub const SLICE: Duration = Duration::from_secs(150);

/// How long a claim holds a job: a slice and its last page, with room to spare. A delivery
/// that finds a job held longer than this ago takes it over (its runner died).
pub const LEASE: Duration = Duration::from_secs(240);

/// A message on the `sync` queue: run (or go on with) this job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncMessage {
    /// The job's tenant.
    pub tenant: TenantId,
    /// The job.
    pub job_id: String,
}

/// A failed sync step.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The connection cannot be opened (its key, its settings).
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// The platform failed. `auth`: it refused the credentials; `retriable`: later may work.
    #[error("{platform}: {message}")]
    Platform {
        /// Which.
        platform: Platform,
        /// What it said.
        message: String,
        /// The credentials were refused.
        auth: bool,
        /// Trying again later may succeed.
        retriable: bool,
    },
    /// Reading the job's changes for enrichment failed.
    #[error(transparent)]
    Ingest(#[from] crate::ingest::IngestError),
    /// The job cannot run as asked (no connection, the kind is off, a platform without it).
    #[error("{0}")]
    Unrunnable(String),
}

impl SyncError {
    /// Whether the host should deliver the message again.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Store(e) => e.is_transient(),
            SyncError::Ingest(e) => e.is_transient(),
            SyncError::Platform { retriable, .. } => *retriable,
            SyncError::Connection(_) | SyncError::Unrunnable(_) => false,
        }
    }
}

/// What a delivery leaves for the host to send.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Enrichment messages for the products the job inserted or changed.
    pub enrich: Vec<EnrichRequest>,
    /// The job goes on in another delivery.
    pub next: Option<SyncMessage>,
    /// The job ended (or had ended): the oldest job of its connection and kind waiting for it,
    /// to run now.
    pub waiting: Option<SyncMessage>,
    /// One line for the log.
    pub summary: String,
}

/// Runs job `message.job_id` for one slice, or recognises it as done or held.
pub async fn run(
    store: &dyn Store,
    key: &CredentialsKey,
    message: &SyncMessage,
    now: DateTime<Utc>,
) -> Result<Outcome, SyncError> {
    let Some(mut job) = store.get_sync_job(&message.tenant, &message.job_id).await? else {
        return Ok(Outcome {
            summary: format!("sync job {} is unknown; nothing to do", message.job_id),
            ..Outcome::default()
        });
    };
    match job.status {
        SyncStatus::Succeeded | SyncStatus::Failed => {
            let enrich = if job.status == SyncStatus::Succeeded && job.kind == ObjectKind::Products
            {
                let run = begin_run(store, &job).await?;
                crate::ingest::enrichment_pages(store, &run).await?.0
            } else {
                Vec::new()
            };
            // The first delivery's hand-on may never have left the host either.
            let waiting = next_in_line(store, &job).await?;
            return Ok(Outcome {
                summary: format!("sync job {} already {:?}", job.id, job.status),
                enrich,
                next: None,
                waiting,
            });
        }
        SyncStatus::Running if job.lease_until.is_some_and(|until| until > now) => {
            return Ok(Outcome {
                summary: format!("sync job {} is held by another delivery", job.id),
                ..Outcome::default()
            });
        }
        SyncStatus::Queued | SyncStatus::Running => {}
    }
    let read_version = job.version;
    job.status = SyncStatus::Running;
    job.started_at.get_or_insert(now);
    job.lease_until = Some(now + chrono::Duration::from_std(LEASE).unwrap_or_default());
    if !store.claim_sync_job(&job).await? {
        let unchanged = store
            .get_sync_job(&job.tenant, &job.id)
            .await?
            .is_some_and(|stored| stored.version == read_version);
        let summary = if unchanged {
            format!(
                "sync job {} waits for the {} job running on this {} connection, which hands on \
                 to it when it ends",
                job.id,
                job.kind.as_str(),
                job.platform
            )
        } else {
            format!("sync job {} was claimed by another delivery", job.id)
        };
        return Ok(Outcome {
            summary,
            ..Outcome::default()
        });
    }
    job.version += 1;

    let record = store.get_connection(&job.tenant, job.platform).await?;
    let Some(record) = record else {
        return fail(store, job, "the connection was deleted".into(), now).await;
    };
    let connection = match Connection::open(key, &record) {
        Ok(connection) => connection,
        Err(e) => return fail(store, job, e.to_string(), now).await,
    };
    let run = begin_run(store, &job).await?;
    let mut work = Work {
        store,
        connection,
        job,
        run,
        #[cfg(not(test))]
        deadline: Instant::now() + SLICE,
        #[cfg(test)]
        deadline: Instant::now() + tests::slice(),
        problems: Vec::new(),
        cursor_after_page: None,
    };
    let step = match work.step().await {
        Ok(step) => step,
        Err(e) if e.is_transient() => {
            // Keep what was stored; the host redelivers and the next delivery resumes.
            work.flush_problems().await?;
            work.job.lease_until = None;
            store.save_sync_job(&work.job).await?;
            return Err(e);
        }
        Err(e) => {
            work.flush_problems().await?;
            let Work { job, .. } = work;
            return fail(store, job, e.to_string(), Utc::now()).await;
        }
    };
    work.flush_problems().await?;
    let mut job = work.job;
    match step {
        Step::More => {
            job.lease_until = None;
            store.save_sync_job(&job).await?;
            Ok(Outcome {
                summary: format!(
                    "sync job {} paused after {} pages; handed on",
                    job.id, job.progress.pages
                ),
                next: Some(message.clone()),
                ..Outcome::default()
            })
        }
        Step::Done => {
            let enrich = if job.kind == ObjectKind::Products {
                let (enrich, inserted, updated) =
                    crate::ingest::enrichment_pages(store, &work.run).await?;
                job.progress.settle_changes(inserted, updated);
                enrich
            } else {
                Vec::new()
            };
            store
                .finish_ingest_run(&work.run, &run_finish(&job))
                .await?;
            job.status = SyncStatus::Succeeded;
            job.finished_at = Some(Utc::now());
            job.lease_until = None;
            job.progress.resume = None;
            job.progress.stage = None;
            store.save_sync_job(&job).await?;
            let waiting = next_in_line(store, &job).await?;
            let p = &job.progress;
            Ok(Outcome {
                summary: format!(
                    "sync job {} ({} {}) done: {} pages, {} read, {} new, {} changed, {} archived, {} pushed, {} conflicts, {} problems",
                    job.id,
                    job.platform,
                    job.kind.as_str(),
                    p.pages,
                    p.read,
                    p.inserted,
                    p.updated,
                    p.archived,
                    p.pushed,
                    p.conflicts,
                    p.problems
                ),
                enrich,
                next: None,
                waiting,
            })
        }
    }
}

/// The oldest job of `job`'s connection and kind waiting to run, as its message.
async fn next_in_line(store: &dyn Store, job: &SyncJob) -> Result<Option<SyncMessage>, StoreError> {
    Ok(store
        .next_queued_sync_job(&job.tenant, job.platform, job.kind)
        .await?
        .map(|job_id| SyncMessage {
            tenant: job.tenant.clone(),
            job_id,
        }))
}

/// Marks `job` failed with `error`.
async fn fail(
    store: &dyn Store,
    mut job: SyncJob,
    error: String,
    now: DateTime<Utc>,
) -> Result<Outcome, SyncError> {
    job.status = SyncStatus::Failed;
    job.finished_at = Some(now);
    job.lease_until = None;
    job.progress.error = Some(error.clone());
    store.save_sync_job(&job).await?;
    Ok(Outcome {
        summary: format!("sync job {} failed: {error}", job.id),
        waiting: next_in_line(store, &job).await?,
        ..Outcome::default()
    })
}

/// The ingestion run that records what job `job` stored.
async fn begin_run(store: &dyn Store, job: &SyncJob) -> Result<IngestRun, StoreError> {
    store
        .begin_ingest_run(&IngestRunStart {
            tenant: job.tenant.clone(),
            run_key: format!("sync:{}", job.id),
            blob_name: format!("sync/{}/{}/{}", job.platform, job.kind.as_str(), job.id),
            kind: feed_kind(job.kind),
        })
        .await
}

fn feed_kind(kind: ObjectKind) -> FeedKind {
    match kind {
        ObjectKind::Products => FeedKind::Products,
        ObjectKind::Inventory => FeedKind::Inventory,
        ObjectKind::Orders => FeedKind::Orders,
    }
}

fn run_finish(job: &SyncJob) -> IngestRunFinish {
    let p = &job.progress;
    IngestRunFinish {
        status: RunStatus::Succeeded,
        kind: feed_kind(job.kind),
        format: Some(format!("{} api", job.platform)),
        rows_total: p.read,
        rejected: p.problems,
        inserted: p.inserted,
        updated: p.updated,
        unchanged: p.unchanged,
        error: None,
        report_blob: String::new(),
    }
}

/// A cursor by time: the newest change stored (and, for Shopify products, the newest deletion
/// handled), in UTC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct TimeCursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    updated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deleted_at: Option<DateTime<Utc>>,
}

impl TimeCursor {
    /// Moves `updated_at` to `newest` if that is later; whether it moved.
    fn advance(&mut self, newest: Option<DateTime<Utc>>) -> bool {
        match newest {
            Some(newest) if self.updated_at.is_none_or(|c| c < newest) => {
                self.updated_at = Some(newest);
                true
            }
            _ => false,
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Which fields the ERP owns for a tenant: price when it pulls products from NetSuite, stock
/// when it pulls stock from it. A shop's pull then keeps the stored values.
#[derive(Debug, Clone, Copy, Default)]
struct ErpOwns {
    price: bool,
    stock: bool,
}

/// Whether a job has more to do after this delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Out of time: hand on.
    More,
    /// Finished.
    Done,
}

/// One delivery's work on a claimed job.
struct Work<'a> {
    store: &'a dyn Store,
    connection: Connection,
    job: SyncJob,
    run: IngestRun,
    deadline: Instant,
    problems: Vec<SyncProblem>,
    /// Where the connection's cursor goes once the page being stored is checkpointed.
    cursor_after_page: Option<String>,
}

impl Work<'_> {
    async fn step(&mut self) -> Result<Step, SyncError> {
        let direction = self
            .connection
            .settings
            .objects
            .get(self.job.kind)
            .direction;
        if direction == Direction::Off {
            return Err(SyncError::Unrunnable(format!(
                "{} sync is off for this connection",
                self.job.kind.as_str()
            )));
        }
        // The cursor the job starts from is fixed by its first stored page: the pages of one
        // pull all belong to the query that filter made.
        if self.job.progress.pages == 0 {
            self.job.progress.cursor_from = self
                .store
                .sync_cursor(&self.job.tenant, self.job.platform, self.job.kind)
                .await?;
        }
        let remote = Remote::connect(&self.connection)?;
        match self.job.kind {
            ObjectKind::Products => self.products(&remote, direction).await,
            ObjectKind::Orders => self.orders(&remote, direction).await,
            ObjectKind::Inventory => self.inventory(&remote, direction).await,
        }
    }

    /// What the tenant's ERP connection owns (nothing for the ERP's own jobs).
    async fn erp_owns(&self) -> Result<ErpOwns, SyncError> {
        if self.job.platform == Platform::NetSuite {
            return Ok(ErpOwns::default());
        }
        let Some(record) = self
            .store
            .get_connection(&self.job.tenant, Platform::NetSuite)
            .await?
        else {
            return Ok(ErpOwns::default());
        };
        let settings: crate::connections::ConnectionSettings =
            serde_json::from_value(record.settings).map_err(|e| {
                SyncError::Unrunnable(format!("the NetSuite connection's settings: {e}"))
            })?;
        Ok(ErpOwns {
            price: settings.objects.products.direction.pulls(),
            stock: settings.objects.inventory.direction.pulls(),
        })
    }

    /// The cursor the job started from, parsed (the default when there was none).
    fn starting_cursor<T: serde::de::DeserializeOwned + Default>(&self) -> T {
        self.job
            .progress
            .cursor_from
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    /// The connection's cursor as stored now (moved by this job's earlier pages).
    async fn stored_cursor<T: serde::de::DeserializeOwned + Default>(
        &self,
    ) -> Result<T, SyncError> {
        Ok(self
            .store
            .sync_cursor(&self.job.tenant, self.job.platform, self.job.kind)
            .await?
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default())
    }

    /// Whether this delivery's slice is over.
    fn out_of_time(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// After a page is stored: counts it, saves where to go on from (`resume`) and renews the
    /// lease, then moves the connection's cursor if the page moved it; then whether the loop
    /// ends, `Done` after the `last` page or `More` when this delivery's slice is over.
    async fn page_stored(
        &mut self,
        resume: Option<String>,
        last: bool,
    ) -> Result<Option<Step>, SyncError> {
        self.job.progress.pages += 1;
        self.job.progress.resume = resume;
        crate::crash::point("sync.page_committed");
        self.checkpoint().await?;
        if let Some(cursor) = self.cursor_after_page.take() {
            self.move_cursor(cursor).await?;
        }
        Ok(if last {
            Some(Step::Done)
        } else if self.out_of_time() {
            Some(Step::More)
        } else {
            None
        })
    }

    /// Saves the job's progress (resume point, counters) and renews its lease.
    async fn checkpoint(&mut self) -> Result<(), SyncError> {
        self.flush_problems().await?;
        self.job.lease_until =
            Some(Utc::now() + chrono::Duration::from_std(LEASE).unwrap_or_default());
        if !self.store.save_sync_job(&self.job).await? {
            return Err(SyncError::Store(StoreError::Unavailable(format!(
                "sync job {} was taken over by another delivery",
                self.job.id
            ))));
        }
        self.job.version += 1;
        Ok(())
    }

    /// The page being stored moves the connection's cursor to `cursor`, once its checkpoint is
    /// saved ([`Work::page_stored`]).
    fn cursor_moves(&mut self, cursor: String) {
        self.job.progress.cursor_to = Some(cursor.clone());
        self.cursor_after_page = Some(cursor);
    }

    /// Moves the connection's cursor now.
    async fn move_cursor(&mut self, cursor: String) -> Result<(), SyncError> {
        self.store
            .put_sync_cursor(
                &self.job.tenant,
                self.job.platform,
                self.job.kind,
                &cursor,
                Utc::now(),
            )
            .await?;
        self.job.progress.cursor_to = Some(cursor);
        Ok(())
    }

    fn problem(&mut self, record: String, code: &str, message: String, detail: serde_json::Value) {
        self.job.progress.problems += 1;
        self.problems.push(SyncProblem {
            kind: self.job.kind,
            record,
            code: code.to_owned(),
            message,
            detail,
        });
    }

    async fn flush_problems(&mut self) -> Result<(), SyncError> {
        if self.problems.is_empty() {
            return Ok(());
        }
        let problems = std::mem::take(&mut self.problems);
        self.store
            .record_sync_problems(
                &self.job.tenant,
                self.job.platform,
                &self.job.id,
                &problems,
                Utc::now(),
            )
            .await?;
        Ok(())
    }
}
