//! The SQL store port: tenants, keys, products, enrichments and ingestion runs. One trait,
//! [`Store`]; SQLite is the embedded adapter, Azure SQL the cloud one. Handlers and pipelines
//! see only the trait.

mod api_keys;
#[cfg(test)]
mod conformance;
mod connections;
mod edits;
mod json_columns;
mod model;
pub mod mssql;
mod product_writes;
pub mod sqlite;
mod sync;
mod videos;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::analytics::{RollupOutcome, SalesData, TenantView, Tz};
use crate::connections::{ObjectKind, Platform};
use crate::domain::{Sku, TenantId};

pub use api_keys::{ApiKeyMatch, ApiKeyRecord, ApiKeyView, TOUCH_INTERVAL_SECONDS};
pub(crate) use api_keys::{scopes_from_db, scopes_to_db, tenant_from_db};
pub use connections::ConnectionRecord;
pub use edits::*;
pub use model::*;
pub use product_writes::*;
pub use sync::*;
pub use videos::*;

/// A failed store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database is busy, locked, unreachable or throttling: trying again may succeed.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// Stored data that cannot be read back (a bug or a hand-edited row).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Anything else the database refused.
    #[error("database error: {0}")]
    Database(String),
}

impl StoreError {
    /// Whether trying again may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// The store. Every method that touches tenant data takes the tenant and filters by it. It
/// answers the analytics queries too ([`SalesData`]).
#[async_trait]
pub trait Store: SalesData + Send + Sync + std::fmt::Debug {
    /// What serves the store, for the banner and `Health`.
    fn describe(&self) -> String;

    /// Applies the migrations not yet applied; returns how many ran.
    async fn migrate(&self) -> Result<usize, StoreError>;

    /// A cheap round trip, for `Health`.
    async fn check(&self) -> Result<(), StoreError>;

    /// Creates tenant `id` if it does not exist.
    async fn ensure_tenant(&self, id: &TenantId, name: &str) -> Result<(), StoreError>;

    /// Whether tenant `id` exists.
    async fn tenant_exists(&self, id: &TenantId) -> Result<bool, StoreError>;

    /// The tenant's id, name and time zone.
    async fn get_tenant(&self, id: &TenantId) -> Result<Option<TenantView>, StoreError>;

    /// Sets the tenant's time zone and, in the same transaction, re-buckets its daily sales
    /// into the new zone's days (see [`Store::rebuild_daily_sales`]); `None` when there is no
    /// such tenant.
    async fn set_tenant_time_zone(
        &self,
        id: &TenantId,
        zone: Tz,
    ) -> Result<Option<RollupOutcome>, StoreError>;

    /// Rebuilds the tenant's `daily_sales` and `daily_product_sales` from its orders in one
    /// transaction, writing only the rows that differ, and says how many did: order ingestion
    /// keeps them right, so anything but 0 is drift. Safe to run twice, or beside ingestion.
    async fn rebuild_daily_sales(&self, tenant: &TenantId) -> Result<RollupOutcome, StoreError>;

    /// The tenants with at least one order, by id.
    async fn tenants_with_orders(&self) -> Result<Vec<TenantId>, StoreError>;

    /// Stores a new API key (its hash, never the key).
    async fn add_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError>;

    /// The stored key that hashes to `key_hash`, revoked or not, so the caller can tell a
    /// revoked key from an unknown one.
    async fn key_for_hash(&self, key_hash: &str) -> Result<Option<ApiKeyMatch>, StoreError>;

    /// The tenant whose unrevoked key hashes to `key_hash`.
    async fn tenant_for_key_hash(&self, key_hash: &str) -> Result<Option<TenantId>, StoreError> {
        Ok(self
            .key_for_hash(key_hash)
            .await?
            .filter(|key| !key.revoked)
            .map(|key| key.tenant))
    }

    /// The tenant's keys, revoked ones included, oldest first.
    async fn list_api_keys(&self, tenant: &TenantId) -> Result<Vec<ApiKeyView>, StoreError>;

    /// Revokes the tenant's key `id` at `at`; false when the tenant has no such key. Revoking
    /// a revoked key keeps its first revocation time and answers true.
    async fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Records that key `id` was used at `at`, unless its last use was recorded less than
    /// [`TOUCH_INTERVAL_SECONDS`] before, so a busy key does not write on every request.
    async fn touch_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Finds the run for `run_key`, or starts one. A finished run is returned as it is, so a
    /// redelivered event can tell it has nothing left to do; a run still running is being
    /// redone, and its recorded rejected rows and progress are cleared to be recorded again.
    async fn begin_ingest_run(&self, start: &IngestRunStart) -> Result<IngestRun, StoreError>;

    /// Upserts a batch of products for `run` in one transaction: an unchanged product is not
    /// written; each inserted or changed one is recorded as a change of the run. Rejected rows
    /// are recorded with it.
    async fn apply_ingest_batch(
        &self,
        run: &IngestRun,
        products: &[ProductUpsert],
        rejected: &[RejectedRow],
    ) -> Result<BatchOutcome, StoreError>;

    /// One page of the products `run` inserted or changed, across all its attempts, by SKU:
    /// the first `limit` after `after`. Paged, because a run can change millions.
    async fn ingest_run_changes(
        &self,
        run: &IngestRun,
        after: Option<&Sku>,
        limit: u32,
    ) -> Result<Vec<ProductChange>, StoreError>;

    /// Records how far `run` has got, if it is still running.
    async fn record_run_progress(
        &self,
        run: &IngestRun,
        progress: &RunProgress,
    ) -> Result<(), StoreError>;

    /// Marks `run` finished with its totals.
    async fn finish_ingest_run(
        &self,
        run: &IngestRun,
        finish: &IngestRunFinish,
    ) -> Result<IngestRun, StoreError>;

    /// One page of the tenant's products, with their enrichment; deleted ones are left out.
    async fn list_products(
        &self,
        tenant: &TenantId,
        query: &ProductQuery,
    ) -> Result<Vec<ProductView>, StoreError>;

    /// Writes `product` for the tenant if `condition` holds, in one atomic step: creates it,
    /// restores a deleted one (its version keeps counting), or replaces its content (the
    /// version moves on only when the content hash changes). Enrichment and edits are kept.
    async fn put_product(
        &self,
        tenant: &TenantId,
        product: &ProductUpsert,
        condition: WriteCondition,
        at: DateTime<Utc>,
    ) -> Result<ProductWrite, StoreError>;

    /// Soft-deletes the tenant's product `sku` if it is live at `version`, in one atomic step;
    /// its version moves on and its enrichment and edits are kept.
    async fn delete_product(
        &self,
        tenant: &TenantId,
        sku: &Sku,
        version: i64,
        at: DateTime<Utc>,
    ) -> Result<ProductWrite, StoreError>;

    /// One product with its enrichment; a deleted one is `None`.
    async fn get_product(
        &self,
        tenant: &TenantId,
        sku: &Sku,
    ) -> Result<Option<ProductView>, StoreError>;

    /// Stores `enrichment` for the product, unless the product's content has moved on since
    /// (`content_hash` no longer current) or it is already enriched for that content and
    /// prompt version ([`EnrichmentRecord::save_over`]); one made before `replaces_before` is
    /// replaced all the same.
    async fn save_enrichment(
        &self,
        tenant: &TenantId,
        sku: &Sku,
        enrichment: &EnrichmentRecord,
        replaces_before: Option<DateTime<Utc>>,
    ) -> Result<SaveOutcome, StoreError>;

    /// Tokens the tenant's enrichments spent on `day` (UTC).
    async fn ai_tokens_spent(&self, tenant: &TenantId, day: NaiveDate) -> Result<u64, StoreError>;

    /// Adds `tokens` to what the tenant's enrichments spent on `day` (UTC).
    async fn add_ai_tokens(
        &self,
        tenant: &TenantId,
        day: NaiveDate,
        tokens: u64,
    ) -> Result<(), StoreError>;

    /// The tenants with products whose enrichment waits for token budget.
    async fn tenants_waiting_for_budget(&self) -> Result<Vec<TenantId>, StoreError>;

    /// Up to `limit` of the tenant's products whose enrichment waits for token budget, the
    /// longest waiting first.
    async fn enrichments_waiting_for_budget(
        &self,
        tenant: &TenantId,
        limit: u32,
    ) -> Result<Vec<WaitingEnrichment>, StoreError>;

    /// Up to `limit` live products, of every tenant, last changed after `after` and no later
    /// than `before`, with no enrichment (or stand-in) for their current content: their
    /// enrichment message was lost. The longest waiting first.
    async fn products_missing_enrichment(
        &self,
        after: DateTime<Utc>,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<WaitingEnrichment>, StoreError>;

    /// Begins batch enrichment run `start.id`, or finds it when it exists (a request repeated
    /// with its idempotency key): the stored run is returned either way.
    async fn start_enrichment_run(
        &self,
        start: &EnrichmentRunStart,
    ) -> Result<EnrichmentRun, StoreError>;

    /// The tenant's batch enrichment run `id`, with the tally of its slices done.
    async fn get_enrichment_run(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<EnrichmentRun>, StoreError>;

    /// One page of the tenant's batch enrichment runs, newest first (by start, then id), after
    /// `after`.
    async fn list_enrichment_runs(
        &self,
        tenant: &TenantId,
        after: Option<&EnrichmentRunCursor>,
        limit: u32,
    ) -> Result<Vec<EnrichmentRun>, StoreError>;

    /// Moves run `id`'s scan from `after` to `next` (`None`: the scan is over), adding the
    /// products and slices the step found; `false` (nothing written) when the scan is no longer
    /// at `after`, i.e. this step was done already.
    async fn advance_enrichment_run(
        &self,
        id: &str,
        after: Option<&str>,
        next: Option<&str>,
        found: (u64, u64),
    ) -> Result<bool, StoreError>;

    /// Records what the slice of run `id` ending at SKU `through` did, once: a repeated slice
    /// changes nothing.
    async fn record_enrichment_slice(
        &self,
        id: &str,
        through: &str,
        tally: &SliceTally,
    ) -> Result<(), StoreError>;

    /// One page of the tenant's runs, newest first (by start, then id), after `query.after`.
    async fn list_ingest_runs(
        &self,
        tenant: &TenantId,
        query: &RunQuery,
    ) -> Result<Vec<IngestRun>, StoreError>;

    /// The tenant's run `id`; another tenant's run is `None`.
    async fn get_ingest_run(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<IngestRun>, StoreError>;

    /// The tenant's run started with `run_key`, read without touching it (unlike
    /// [`Store::begin_ingest_run`], which clears a running run's rejected rows).
    async fn find_ingest_run(
        &self,
        tenant: &TenantId,
        run_key: &str,
    ) -> Result<Option<IngestRun>, StoreError>;

    /// One page of the rejected rows of the tenant's run `run_id`, by (line, column), after
    /// `after` when given. Another tenant's run has none.
    async fn list_ingest_errors(
        &self,
        tenant: &TenantId,
        run_id: &str,
        after: Option<(u64, String)>,
        limit: u32,
    ) -> Result<Vec<RejectedRow>, StoreError>;

    /// Stores mapping profile `name` for the tenant, replacing one of that name.
    async fn put_mapping_profile(
        &self,
        tenant: &TenantId,
        name: &str,
        body: &serde_json::Value,
    ) -> Result<(), StoreError>;

    /// The tenant's mapping profile `name`.
    async fn get_mapping_profile(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<Option<serde_json::Value>, StoreError>;

    /// The tenant's mapping profiles' names and when each was last stored, by name.
    async fn list_mapping_profiles(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError>;

    /// Deletes the tenant's mapping profile `name`; `false` when there was none.
    async fn delete_mapping_profile(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<bool, StoreError>;

    /// Stores the tenant's connection to `record.platform`, replacing one there was (keeping
    /// its `created_at` and counting up its `version`; the record's own are ignored). Answers
    /// the row as stored.
    async fn put_connection(
        &self,
        record: &ConnectionRecord,
    ) -> Result<ConnectionRecord, StoreError>;

    /// The tenant's connection to `platform`.
    async fn get_connection(
        &self,
        tenant: &TenantId,
        platform: Platform,
    ) -> Result<Option<ConnectionRecord>, StoreError>;

    /// The tenant's connections, by platform name.
    async fn list_connections(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<ConnectionRecord>, StoreError>;

    /// Deletes the tenant's connection to `platform`; `false` when there was none.
    async fn delete_connection(
        &self,
        tenant: &TenantId,
        platform: Platform,
    ) -> Result<bool, StoreError>;

    /// Every tenant's connections, for the scheduler.
    async fn all_connections(&self) -> Result<Vec<ConnectionRecord>, StoreError>;

    /// Stores `job` unless the tenant has a job with its id; answers the stored job and
    /// whether this call made it.
    async fn create_sync_job(&self, job: &SyncJob) -> Result<(SyncJob, bool), StoreError>;

    /// The tenant's job `id`.
    async fn get_sync_job(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<SyncJob>, StoreError>;

    /// One page of the tenant's jobs, newest first (by creation, then id), after `after`,
    /// only `platform`'s when given.
    async fn list_sync_jobs(
        &self,
        tenant: &TenantId,
        platform: Option<Platform>,
        after: Option<&SyncJobCursor>,
        limit: u32,
    ) -> Result<Vec<SyncJob>, StoreError>;

    /// Writes `job`'s status, progress, times and lease if the stored job is still at
    /// `job.version` (its version then moves on by one); `false`, writing nothing, when another
    /// delivery wrote it first.
    async fn save_sync_job(&self, job: &SyncJob) -> Result<bool, StoreError>;

    /// Claims `job`: writes it as [`Store::save_sync_job`] does, and only while no other job of
    /// its tenant, platform and kind is running, so one connection runs one job of a kind at a
    /// time (two would race on its cursor and push one product twice). `false`, writing
    /// nothing, when another delivery wrote the job first or another job runs.
    async fn claim_sync_job(&self, job: &SyncJob) -> Result<bool, StoreError>;

    /// The oldest queued job of the tenant's `platform` and `kind`: the one that runs next.
    async fn next_queued_sync_job(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
        kind: crate::connections::ObjectKind,
    ) -> Result<Option<String>, StoreError>;

    /// The stored cursor of the tenant's `platform` pull of `kind`.
    async fn sync_cursor(
        &self,
        tenant: &TenantId,
        platform: Platform,
        kind: ObjectKind,
    ) -> Result<Option<String>, StoreError>;

    /// Stores the cursor of the tenant's `platform` pull of `kind`.
    async fn put_sync_cursor(
        &self,
        tenant: &TenantId,
        platform: Platform,
        kind: ObjectKind,
        cursor: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The links of `skus` on `platform` (those that have one).
    async fn sync_links(
        &self,
        tenant: &TenantId,
        platform: Platform,
        skus: &[Sku],
    ) -> Result<Vec<SyncLink>, StoreError>;

    /// The links to remote record `remote_id` on `platform`.
    async fn sync_links_for_remote(
        &self,
        tenant: &TenantId,
        platform: Platform,
        remote_id: &str,
    ) -> Result<Vec<SyncLink>, StoreError>;

    /// One page of the primary links on `platform` (one per remote product), by SKU after
    /// `after`.
    async fn primary_sync_links(
        &self,
        tenant: &TenantId,
        platform: Platform,
        after: Option<&Sku>,
        limit: u32,
    ) -> Result<Vec<SyncLink>, StoreError>;

    /// Inserts or replaces `links` (keyed by tenant, platform and SKU) in one transaction.
    async fn put_sync_links(&self, links: &[SyncLink]) -> Result<(), StoreError>;

    /// Records what job `job_id` met, in one transaction: each problem lands in its entry
    /// ([`SyncProblem::issue_id`]), which is reopened if it was resolved and counts one more
    /// occurrence unless this job already counted.
    async fn record_sync_problems(
        &self,
        tenant: &TenantId,
        platform: Platform,
        job_id: &str,
        problems: &[SyncProblem],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// One page of the tenant's inbox, most recently met first.
    async fn list_sync_issues(
        &self,
        tenant: &TenantId,
        query: &IssueQuery,
    ) -> Result<Vec<SyncIssue>, StoreError>;

    /// The tenant's inbox entry `id`.
    async fn get_sync_issue(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<SyncIssue>, StoreError>;

    /// Sets entry `id`'s status (stamping or clearing `resolved_at`); `None` when the tenant
    /// has no such entry.
    async fn set_sync_issue_status(
        &self,
        tenant: &TenantId,
        id: &str,
        status: IssueStatus,
        at: DateTime<Utc>,
    ) -> Result<Option<SyncIssue>, StoreError>;

    /// One page of the tenant's orders by last change (then id), after `after`, with their
    /// lines: what an ERP push reads.
    async fn orders_changed_since(
        &self,
        tenant: &TenantId,
        after: Option<&OrderCursor>,
        limit: u32,
    ) -> Result<Vec<ChangedOrder>, StoreError>;

    /// Stores `video` unless the tenant has a video with its id; answers the stored video and
    /// whether this call made it (a repeated delivery gets the first one back, as it was made).
    async fn create_video(&self, video: &VideoRecord) -> Result<(VideoRecord, bool), StoreError>;

    /// The tenant's video `id`; another tenant's is `None`.
    async fn get_video(
        &self,
        tenant: &TenantId,
        id: Uuid,
    ) -> Result<Option<VideoRecord>, StoreError>;

    /// One page of the tenant's videos, newest first (by creation, then id, both descending),
    /// after `query.after`, only those with `query.sku` and `query.status` when given, at most
    /// `query.limit`.
    async fn list_videos(
        &self,
        tenant: &TenantId,
        query: &VideoQuery,
    ) -> Result<Vec<VideoRecord>, StoreError>;

    /// Writes every mutable field of `video` (blob name, etag, size, SKU, status, error,
    /// analysis, `updated_at`, `analyzed_at`, lease) if the stored video is still at
    /// `video.version` (its version then moves on by one); `false`, writing nothing, when
    /// another delivery wrote it first or the tenant has no such video.
    async fn save_video(&self, video: &VideoRecord) -> Result<bool, StoreError>;

    /// Upserts a batch of stock levels for `run` in one transaction. A level older than the
    /// stored one (both `as_of` given) is ignored, and one with the stored quantity and `as_of`
    /// is not written: both count as unchanged. Rejected rows are recorded with it.
    async fn apply_inventory_batch(
        &self,
        run: &IngestRun,
        levels: &[InventoryUpsert],
        rejected: &[RejectedRow],
    ) -> Result<BatchOutcome, StoreError>;

    /// Upserts a batch of orders for `run` in one transaction: an order whose
    /// [`OrderUpsert::content_hash`] is stored is not written; a changed one is updated and its
    /// lines replaced. The daily sales tables follow in the same transaction: a changed order's
    /// old version is taken out of its (tenant-local) day, channel and currency, the new one
    /// added, and rows left without orders deleted. Rejected rows are recorded with it.
    async fn apply_order_batch(
        &self,
        run: &IngestRun,
        orders: &[OrderUpsert],
        rejected: &[RejectedRow],
    ) -> Result<BatchOutcome, StoreError>;

    /// Locks enrichment fields a person edited, in one transaction: `fields` are merged into
    /// the product's locked fields and the `unlock` ones removed (see
    /// [`EnrichmentEdits::merged`]). Returns the locked fields that result; `None` when the
    /// tenant has no such product. The product's own content is not touched.
    async fn edit_enrichment(
        &self,
        tenant: &TenantId,
        sku: &Sku,
        fields: &serde_json::Map<String, serde_json::Value>,
        unlock: &[String],
        at: DateTime<Utc>,
    ) -> Result<Option<EnrichmentEdits>, StoreError>;
}
