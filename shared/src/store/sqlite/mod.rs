//! The embedded store: SQLite through rusqlite (bundled), one file, versioned migrations.

mod analytics;
mod api_keys;
mod connections;
mod edits;
mod enrichment_runs;
mod feeds;
mod ingest;
mod pool;
mod product_list;
mod product_writes;
mod products;
mod rollups;
mod sync;
mod videos;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{ErrorCode, OptionalExtension, params};

use self::pool::Pool;
use super::*;

/// Migrations in order; the number is the version recorded in `schema_migrations`.
pub(in crate::store) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "feeds",
        include_str!("../../../migrations/sqlite/0002_feeds.sql"),
    ),
    (
        3,
        "ai",
        include_str!("../../../migrations/sqlite/0003_ai.sql"),
    ),
    (
        4,
        "edits",
        include_str!("../../../migrations/sqlite/0004_edits.sql"),
    ),
    (
        5,
        "enrichment_runs",
        include_str!("../../../migrations/sqlite/0005_enrichment_runs.sql"),
    ),
    (
        6,
        "api_keys",
        include_str!("../../../migrations/sqlite/0006_api_keys.sql"),
    ),
    (
        7,
        "analytics",
        include_str!("../../../migrations/sqlite/0007_analytics.sql"),
    ),
    (
        8,
        "product_lifecycle",
        include_str!("../../../migrations/sqlite/0008_product_lifecycle.sql"),
    ),
    (
        9,
        "connections",
        include_str!("../../../migrations/sqlite/0009_connections.sql"),
    ),
    (
        10,
        "sync",
        include_str!("../../../migrations/sqlite/0010_sync.sql"),
    ),
    (
        11,
        "video_insights",
        include_str!("../../../migrations/sqlite/0011_video_insights.sql"),
    ),
    (
        12,
        "sync_one_job_per_kind",
        include_str!("../../../migrations/sqlite/0012_sync_one_job_per_kind.sql"),
    ),
];

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: Arc<Pool>,
    description: String,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            pool: Pool::open(path, 4, 4)?,
            description: format!("SQLite {}", path.display()),
        })
    }
}

/// Maps a rusqlite error: busy and locked databases are transient, the rest is not.
pub(crate) fn map_error(error: rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::CannotOpen) => {
            StoreError::Unavailable(error.to_string())
        }
        _ => StoreError::Database(error.to_string()),
    }
}

/// Times are stored as fixed-width RFC 3339 text so text order is time order.
pub(crate) fn to_db_time(time: &DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Reads a stored time.
pub(crate) fn from_db_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("time `{text}`: {e}")))
}

/// Applies the pending migrations with foreign keys off, as SQLite's procedure for rebuilding a
/// table others reference asks (0002 rebuilds `ingest_runs`); each migration's keys are
/// checked before it commits, and they are turned back on whatever happened.
fn apply_migrations(connection: &mut rusqlite::Connection) -> Result<usize, StoreError> {
    connection
        .execute_batch("PRAGMA foreign_keys = OFF")
        .map_err(map_error)?;
    let applied = apply_pending(connection);
    let restored = connection
        .execute_batch("PRAGMA foreign_keys = ON")
        .map_err(map_error);
    let applied = applied?;
    restored?;
    Ok(applied)
}

fn apply_pending(connection: &mut rusqlite::Connection) -> Result<usize, StoreError> {
    connection
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )
        .map_err(map_error)?;
    let mut applied = 0;
    for (version, name, sql) in MIGRATIONS {
        let tx = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(map_error)?;
        let done: Option<i64> = tx
            .query_row(
                "SELECT version FROM schema_migrations WHERE version = ?1",
                [version],
                |row| row.get(0),
            )
            .optional()
            .map_err(map_error)?;
        if done.is_none() {
            tx.execute_batch(sql).map_err(map_error)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                params![version, name, to_db_time(&Utc::now())],
            )
            .map_err(map_error)?;
            let broken: Option<String> = tx
                .query_row("PRAGMA foreign_key_check", [], |row| row.get(0))
                .optional()
                .map_err(map_error)?;
            if let Some(table) = broken {
                return Err(StoreError::Database(format!(
                    "migration {version} {name} leaves a broken foreign key in `{table}`"
                )));
            }
            applied += 1;
        }
        tx.commit().map_err(map_error)?;
    }
    Ok(applied)
}

#[async_trait]
impl Store for SqliteStore {
    fn describe(&self) -> String {
        self.description.clone()
    }

    async fn migrate(&self) -> Result<usize, StoreError> {
        self.pool.write(apply_migrations).await
    }

    async fn check(&self) -> Result<(), StoreError> {
        self.pool
            .read(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(map_error))
            .await
    }

    async fn ensure_tenant(&self, id: &TenantId, name: &str) -> Result<(), StoreError> {
        let (id, name) = (id.to_string(), name.to_owned());
        self.pool
            .write(move |c| {
                c.execute(
                    "INSERT INTO tenants (id, name, created_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (id) DO NOTHING",
                    params![id, name, to_db_time(&Utc::now())],
                )
                .map_err(map_error)?;
                Ok(())
            })
            .await
    }

    async fn tenant_exists(&self, id: &TenantId) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.pool
            .read(move |c| {
                c.query_row("SELECT 1 FROM tenants WHERE id = ?1", [id], |_| Ok(()))
                    .optional()
                    .map(|found| found.is_some())
                    .map_err(map_error)
            })
            .await
    }

    async fn get_tenant(&self, id: &TenantId) -> Result<Option<TenantView>, StoreError> {
        let id = id.clone();
        self.pool.read(move |c| rollups::get_tenant(c, &id)).await
    }

    async fn set_tenant_time_zone(
        &self,
        id: &TenantId,
        zone: Tz,
    ) -> Result<Option<RollupOutcome>, StoreError> {
        let id = id.clone();
        self.pool
            .write(move |c| rollups::set_zone(c, &id, zone))
            .await
    }

    async fn rebuild_daily_sales(&self, tenant: &TenantId) -> Result<RollupOutcome, StoreError> {
        let tenant = tenant.clone();
        self.pool.write(move |c| rollups::rebuild(c, &tenant)).await
    }

    async fn tenants_with_orders(&self) -> Result<Vec<TenantId>, StoreError> {
        self.pool.read(rollups::tenants_with_orders).await
    }

    async fn add_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        let key = key.clone();
        self.pool.write(move |c| api_keys::add(c, &key)).await
    }

    async fn key_for_hash(&self, key_hash: &str) -> Result<Option<ApiKeyMatch>, StoreError> {
        let hash = key_hash.to_owned();
        self.pool.read(move |c| api_keys::for_hash(c, &hash)).await
    }

    async fn list_api_keys(&self, tenant: &TenantId) -> Result<Vec<ApiKeyView>, StoreError> {
        let tenant = tenant.clone();
        self.pool.read(move |c| api_keys::list(c, &tenant)).await
    }

    async fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (tenant, id) = (tenant.clone(), id.to_owned());
        self.pool
            .write(move |c| api_keys::revoke(c, &tenant, &id, at))
            .await
    }

    async fn touch_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        // Every request with a key comes here. Most find the key touched within the minute
        // and write nothing, so they only read; the rest take a write connection only if one
        // is free, rather than queue behind writers that may be waiting on a lock.
        let owned = id.to_owned();
        if !self
            .pool
            .read(move |c| api_keys::is_stale(c, &owned, at))
            .await?
        {
            return Ok(());
        }
        let id = id.to_owned();
        self.pool
            .try_write(move |c| api_keys::touch(c, &id, at))
            .await
    }

    async fn begin_ingest_run(&self, start: &IngestRunStart) -> Result<IngestRun, StoreError> {
        let start = start.clone();
        self.pool.write(move |c| ingest::begin_run(c, &start)).await
    }

    async fn apply_ingest_batch(
        &self,
        run: &IngestRun,
        products: &[ProductUpsert],
        rejected: &[RejectedRow],
    ) -> Result<BatchOutcome, StoreError> {
        let (run, products, rejected) = (run.clone(), products.to_vec(), rejected.to_vec());
        self.pool
            .write(move |c| ingest::apply_batch(c, &run, &products, &rejected))
            .await
    }

    async fn ingest_run_changes(
        &self,
        run: &IngestRun,
        after: Option<&Sku>,
        limit: u32,
    ) -> Result<Vec<ProductChange>, StoreError> {
        let run_id = run.id.clone();
        let after = after.map(|sku| sku.as_str().to_owned());
        self.pool
            .read(move |c| ingest::run_changes(c, &run_id, after.as_deref(), limit))
            .await
    }

    async fn record_run_progress(
        &self,
        run: &IngestRun,
        progress: &RunProgress,
    ) -> Result<(), StoreError> {
        let (id, progress) = (run.id.clone(), *progress);
        self.pool
            .write(move |c| ingest::record_progress(c, &id, &progress))
            .await
    }

    async fn finish_ingest_run(
        &self,
        run: &IngestRun,
        finish: &IngestRunFinish,
    ) -> Result<IngestRun, StoreError> {
        let (run, finish) = (run.clone(), finish.clone());
        self.pool
            .write(move |c| ingest::finish_run(c, &run, &finish))
            .await
    }

    async fn list_products(
        &self,
        tenant: &TenantId,
        query: &ProductQuery,
    ) -> Result<Vec<ProductView>, StoreError> {
        let (tenant, query) = (tenant.clone(), query.clone());
        self.pool
            .read(move |c| product_list::list(c, &tenant, &query))
            .await
    }

    async fn get_product(
        &self,
        tenant: &TenantId,
        sku: &Sku,
    ) -> Result<Option<ProductView>, StoreError> {
        let (tenant, sku) = (tenant.clone(), sku.clone());
        self.pool
            .read(move |c| products::get(c, &tenant, &sku))
            .await
    }

    async fn put_product(
        &self,
        tenant: &TenantId,
        product: &ProductUpsert,
        condition: WriteCondition,
        at: DateTime<Utc>,
    ) -> Result<ProductWrite, StoreError> {
        let (tenant, product) = (tenant.clone(), product.clone());
        self.pool
            .write(move |c| product_writes::put(c, &tenant, &product, condition, &at))
            .await
    }

    async fn delete_product(
        &self,
        tenant: &TenantId,
        sku: &Sku,
        version: i64,
        at: DateTime<Utc>,
    ) -> Result<ProductWrite, StoreError> {
        let (tenant, sku) = (tenant.clone(), sku.clone());
        self.pool
            .write(move |c| product_writes::delete(c, &tenant, &sku, version, &at))
            .await
    }

    async fn save_enrichment(
        &self,
        tenant: &TenantId,
        sku: &Sku,
        enrichment: &EnrichmentRecord,
        replaces_before: Option<DateTime<Utc>>,
    ) -> Result<SaveOutcome, StoreError> {
        let (tenant, sku, enrichment) = (tenant.clone(), sku.clone(), enrichment.clone());
        self.pool
            .write(move |c| {
                products::save_enrichment(c, &tenant, &sku, &enrichment, replaces_before)
            })
            .await
    }

    async fn ai_tokens_spent(&self, tenant: &TenantId, day: NaiveDate) -> Result<u64, StoreError> {
        let (tenant, day) = (tenant.clone(), day.format("%Y-%m-%d").to_string());
        self.pool
            .read(move |c| products::ai_tokens_spent(c, &tenant, &day))
            .await
    }

    async fn add_ai_tokens(
        &self,
        tenant: &TenantId,
        day: NaiveDate,
        tokens: u64,
    ) -> Result<(), StoreError> {
        let (tenant, day) = (tenant.clone(), day.format("%Y-%m-%d").to_string());
        self.pool
            .write(move |c| products::add_ai_tokens(c, &tenant, &day, tokens))
            .await
    }

    async fn tenants_waiting_for_budget(&self) -> Result<Vec<TenantId>, StoreError> {
        self.pool.read(products::tenants_waiting_for_budget).await
    }

    async fn enrichments_waiting_for_budget(
        &self,
        tenant: &TenantId,
        limit: u32,
    ) -> Result<Vec<WaitingEnrichment>, StoreError> {
        let tenant = tenant.clone();
        self.pool
            .read(move |c| products::enrichments_waiting_for_budget(c, &tenant, limit))
            .await
    }

    async fn products_missing_enrichment(
        &self,
        after: DateTime<Utc>,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<WaitingEnrichment>, StoreError> {
        self.pool
            .read(move |c| products::products_missing_enrichment(c, after, before, limit))
            .await
    }

    async fn start_enrichment_run(
        &self,
        start: &EnrichmentRunStart,
    ) -> Result<EnrichmentRun, StoreError> {
        let start = start.clone();
        self.pool
            .write(move |c| enrichment_runs::start(c, &start))
            .await
    }

    async fn get_enrichment_run(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<EnrichmentRun>, StoreError> {
        let (tenant, id) = (tenant.clone(), id.to_owned());
        self.pool
            .read(move |c| enrichment_runs::get(c, &tenant, &id))
            .await
    }

    async fn list_enrichment_runs(
        &self,
        tenant: &TenantId,
        after: Option<&EnrichmentRunCursor>,
        limit: u32,
    ) -> Result<Vec<EnrichmentRun>, StoreError> {
        let (tenant, after) = (tenant.clone(), after.cloned());
        self.pool
            .read(move |c| enrichment_runs::list(c, &tenant, after.as_ref(), limit))
            .await
    }

    async fn advance_enrichment_run(
        &self,
        id: &str,
        after: Option<&str>,
        next: Option<&str>,
        found: (u64, u64),
    ) -> Result<bool, StoreError> {
        let (id, after, next) = (
            id.to_owned(),
            after.map(str::to_owned),
            next.map(str::to_owned),
        );
        self.pool
            .write(move |c| {
                enrichment_runs::advance(c, &id, after.as_deref(), next.as_deref(), found)
            })
            .await
    }

    async fn record_enrichment_slice(
        &self,
        id: &str,
        through: &str,
        tally: &SliceTally,
    ) -> Result<(), StoreError> {
        let (id, through, tally) = (id.to_owned(), through.to_owned(), *tally);
        self.pool
            .write(move |c| enrichment_runs::record_slice(c, &id, &through, &tally))
            .await
    }

    async fn list_ingest_runs(
        &self,
        tenant: &TenantId,
        query: &RunQuery,
    ) -> Result<Vec<IngestRun>, StoreError> {
        let (tenant, query) = (tenant.clone(), query.clone());
        self.pool
            .read(move |c| ingest::list_runs(c, &tenant, &query))
            .await
    }

    async fn get_ingest_run(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<IngestRun>, StoreError> {
        let (tenant, id) = (tenant.clone(), id.to_owned());
        self.pool
            .read(move |c| ingest::get_run(c, &tenant, &id))
            .await
    }

    async fn find_ingest_run(
        &self,
        tenant: &TenantId,
        run_key: &str,
    ) -> Result<Option<IngestRun>, StoreError> {
        let (tenant, run_key) = (tenant.clone(), run_key.to_owned());
        self.pool
            .read(move |c| ingest::find_run(c, &tenant, &run_key))
            .await
    }

    async fn list_ingest_errors(
        &self,
        tenant: &TenantId,
        run_id: &str,
        after: Option<(u64, String)>,
        limit: u32,
    ) -> Result<Vec<RejectedRow>, StoreError> {
        let (tenant, run_id) = (tenant.clone(), run_id.to_owned());
        self.pool
            .read(move |c| ingest::list_errors(c, &tenant, &run_id, after.as_ref(), limit))
            .await
    }

    async fn put_mapping_profile(
        &self,
        tenant: &TenantId,
        name: &str,
        body: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let (tenant, name, body) = (tenant.clone(), name.to_owned(), body.clone());
        self.pool
            .write(move |c| feeds::put_profile(c, &tenant, &name, &body))
            .await
    }

    async fn get_mapping_profile(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let (tenant, name) = (tenant.clone(), name.to_owned());
        self.pool
            .read(move |c| feeds::get_profile(c, &tenant, &name))
            .await
    }

    async fn list_mapping_profiles(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        let tenant = tenant.clone();
        self.pool
            .read(move |c| feeds::list_profiles(c, &tenant))
            .await
    }

    async fn delete_mapping_profile(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<bool, StoreError> {
        let (tenant, name) = (tenant.clone(), name.to_owned());
        self.pool
            .write(move |c| feeds::delete_profile(c, &tenant, &name))
            .await
    }

    async fn apply_inventory_batch(
        &self,
        run: &IngestRun,
        levels: &[InventoryUpsert],
        rejected: &[RejectedRow],
    ) -> Result<BatchOutcome, StoreError> {
        let (run, levels, rejected) = (run.clone(), levels.to_vec(), rejected.to_vec());
        self.pool
            .write(move |c| feeds::apply_inventory(c, &run, &levels, &rejected))
            .await
    }

    async fn apply_order_batch(
        &self,
        run: &IngestRun,
        orders: &[OrderUpsert],
        rejected: &[RejectedRow],
    ) -> Result<BatchOutcome, StoreError> {
        let (run, orders, rejected) = (run.clone(), orders.to_vec(), rejected.to_vec());
        self.pool
            .write(move |c| feeds::apply_orders(c, &run, &orders, &rejected))
            .await
    }

    async fn edit_enrichment(
        &self,
        tenant: &TenantId,
        sku: &Sku,
        fields: &serde_json::Map<String, serde_json::Value>,
        unlock: &[String],
        at: DateTime<Utc>,
    ) -> Result<Option<EnrichmentEdits>, StoreError> {
        let (tenant, sku, fields, unlock) =
            (tenant.clone(), sku.clone(), fields.clone(), unlock.to_vec());
        self.pool
            .write(move |c| edits::edit_enrichment(c, &tenant, &sku, &fields, &unlock, at))
            .await
    }

    async fn put_connection(
        &self,
        record: &ConnectionRecord,
    ) -> Result<ConnectionRecord, StoreError> {
        let record = record.clone();
        self.pool.write(move |c| connections::put(c, &record)).await
    }

    async fn get_connection(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
    ) -> Result<Option<ConnectionRecord>, StoreError> {
        let tenant = tenant.clone();
        self.pool
            .read(move |c| connections::get(c, &tenant, platform))
            .await
    }

    async fn list_connections(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<ConnectionRecord>, StoreError> {
        let tenant = tenant.clone();
        self.pool.read(move |c| connections::list(c, &tenant)).await
    }

    async fn delete_connection(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
    ) -> Result<bool, StoreError> {
        let tenant = tenant.clone();
        self.pool
            .write(move |c| connections::delete(c, &tenant, platform))
            .await
    }

    async fn orders_changed_since(
        &self,
        tenant: &TenantId,
        after: Option<&OrderCursor>,
        limit: u32,
    ) -> Result<Vec<ChangedOrder>, StoreError> {
        let (tenant, after) = (tenant.clone(), after.cloned());
        self.pool
            .read(move |c| sync::orders_changed(c, &tenant, after.as_ref(), limit))
            .await
    }

    async fn all_connections(&self) -> Result<Vec<ConnectionRecord>, StoreError> {
        self.pool.read(connections::all).await
    }

    async fn create_sync_job(&self, job: &SyncJob) -> Result<(SyncJob, bool), StoreError> {
        let job = job.clone();
        self.pool.write(move |c| sync::create_job(c, &job)).await
    }

    async fn get_sync_job(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<SyncJob>, StoreError> {
        let (tenant, id) = (tenant.clone(), id.to_owned());
        self.pool
            .read(move |c| sync::get_job(c, &tenant, &id))
            .await
    }

    async fn list_sync_jobs(
        &self,
        tenant: &TenantId,
        platform: Option<crate::connections::Platform>,
        after: Option<&SyncJobCursor>,
        limit: u32,
    ) -> Result<Vec<SyncJob>, StoreError> {
        let (tenant, after) = (tenant.clone(), after.cloned());
        self.pool
            .read(move |c| sync::list_jobs(c, &tenant, platform, after.as_ref(), limit))
            .await
    }

    async fn save_sync_job(&self, job: &SyncJob) -> Result<bool, StoreError> {
        let job = job.clone();
        self.pool.write(move |c| sync::save_job(c, &job)).await
    }

    async fn claim_sync_job(&self, job: &SyncJob) -> Result<bool, StoreError> {
        let job = job.clone();
        self.pool.write(move |c| sync::claim_job(c, &job)).await
    }

    async fn next_queued_sync_job(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
        kind: crate::connections::ObjectKind,
    ) -> Result<Option<String>, StoreError> {
        let tenant = tenant.clone();
        self.pool
            .read(move |c| sync::next_queued_job(c, &tenant, platform, kind))
            .await
    }

    async fn sync_cursor(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
        kind: crate::connections::ObjectKind,
    ) -> Result<Option<String>, StoreError> {
        let tenant = tenant.clone();
        self.pool
            .read(move |c| sync::cursor(c, &tenant, platform, kind))
            .await
    }

    async fn put_sync_cursor(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
        kind: crate::connections::ObjectKind,
        cursor: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (tenant, cursor) = (tenant.clone(), cursor.to_owned());
        self.pool
            .write(move |c| sync::put_cursor(c, &tenant, platform, kind, &cursor, &at))
            .await
    }

    async fn sync_links(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
        skus: &[Sku],
    ) -> Result<Vec<SyncLink>, StoreError> {
        let (tenant, skus) = (tenant.clone(), skus.to_vec());
        self.pool
            .read(move |c| sync::links(c, &tenant, platform, &skus))
            .await
    }

    async fn sync_links_for_remote(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
        remote_id: &str,
    ) -> Result<Vec<SyncLink>, StoreError> {
        let (tenant, remote_id) = (tenant.clone(), remote_id.to_owned());
        self.pool
            .read(move |c| sync::links_for_remote(c, &tenant, platform, &remote_id))
            .await
    }

    async fn primary_sync_links(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
        after: Option<&Sku>,
        limit: u32,
    ) -> Result<Vec<SyncLink>, StoreError> {
        let (tenant, after) = (tenant.clone(), after.cloned());
        self.pool
            .read(move |c| sync::primary_links(c, &tenant, platform, after.as_ref(), limit))
            .await
    }

    async fn put_sync_links(&self, links: &[SyncLink]) -> Result<(), StoreError> {
        let links = links.to_vec();
        self.pool.write(move |c| sync::put_links(c, &links)).await
    }

    async fn record_sync_problems(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
        job_id: &str,
        problems: &[SyncProblem],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if problems.is_empty() {
            return Ok(());
        }
        let (tenant, job_id, problems) = (tenant.clone(), job_id.to_owned(), problems.to_vec());
        self.pool
            .write(move |c| sync::record_problems(c, &tenant, platform, &job_id, &problems, &at))
            .await
    }

    async fn list_sync_issues(
        &self,
        tenant: &TenantId,
        query: &IssueQuery,
    ) -> Result<Vec<SyncIssue>, StoreError> {
        let (tenant, query) = (tenant.clone(), query.clone());
        self.pool
            .read(move |c| sync::list_issues(c, &tenant, &query))
            .await
    }

    async fn get_sync_issue(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<SyncIssue>, StoreError> {
        let (tenant, id) = (tenant.clone(), id.to_owned());
        self.pool
            .read(move |c| sync::get_issue(c, &tenant, &id))
            .await
    }

    async fn set_sync_issue_status(
        &self,
        tenant: &TenantId,
        id: &str,
        status: IssueStatus,
        at: DateTime<Utc>,
    ) -> Result<Option<SyncIssue>, StoreError> {
        let (tenant, id) = (tenant.clone(), id.to_owned());
        self.pool
            .write(move |c| sync::set_issue_status(c, &tenant, &id, status, &at))
            .await
    }

    async fn create_video(&self, video: &VideoRecord) -> Result<(VideoRecord, bool), StoreError> {
        let video = video.clone();
        self.pool.write(move |c| videos::create(c, &video)).await
    }

    async fn get_video(
        &self,
        tenant: &TenantId,
        id: uuid::Uuid,
    ) -> Result<Option<VideoRecord>, StoreError> {
        let tenant = tenant.clone();
        self.pool.read(move |c| videos::get(c, &tenant, id)).await
    }

    async fn list_videos(
        &self,
        tenant: &TenantId,
        query: &VideoQuery,
    ) -> Result<Vec<VideoRecord>, StoreError> {
        let (tenant, query) = (tenant.clone(), query.clone());
        self.pool
            .read(move |c| videos::list(c, &tenant, &query))
            .await
    }

    async fn save_video(&self, video: &VideoRecord) -> Result<bool, StoreError> {
        let video = video.clone();
        self.pool.write(move |c| videos::save(c, &video)).await
    }
}

/// `Connection::execute` through the statement cache: feeds run the same few statements per
/// row, and preparing each one every time costs more than running it.
pub(super) fn execute_cached<P: rusqlite::Params>(
    c: &rusqlite::Connection,
    sql: &str,
    params: P,
) -> rusqlite::Result<usize> {
    c.prepare_cached(sql)?.execute(params)
}

/// `Connection::query_row` through the statement cache.
pub(super) fn query_row_cached<T, P, F>(
    c: &rusqlite::Connection,
    sql: &str,
    params: P,
    f: F,
) -> rusqlite::Result<T>
where
    P: rusqlite::Params,
    F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
{
    c.prepare_cached(sql)?.query_row(params, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database left at migration 1 with a finished run, its change and a rejected row.
    fn database_at_version_1(path: &Path) {
        let db = rusqlite::Connection::open(path).unwrap();
        db.execute_batch(
            "CREATE TABLE schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )
        .unwrap();
        db.execute_batch(MIGRATIONS[0].2).unwrap();
        db.execute_batch(
            "INSERT INTO schema_migrations VALUES (1, 'init', '2024-05-01T10:00:00.000Z');
             INSERT INTO tenants VALUES ('demo', 'Demo', '2024-05-01T10:00:00.000Z');
             INSERT INTO ingest_runs (id, tenant_id, run_key, blob_name, status, rows_total,
                 rejected, report_blob, started_at, finished_at)
             VALUES ('run-1', 'demo', 'event-1', 'demo/a.csv', 'succeeded', 2, 1,
                 'demo/a.report.json', '2024-05-01T10:00:00.000Z', '2024-05-01T10:00:01.000Z');
             INSERT INTO ingest_run_changes VALUES ('run-1', 'A', 'hash', 'inserted');
             INSERT INTO ingest_errors VALUES ('run-1', 3, 'price', '-1', 'negative');
             INSERT INTO products (tenant_id, sku, title, source, content_hash, version,
                 created_at, updated_at)
             VALUES ('demo', 'A', 'Mug', 'ingest:a.csv', 'hash', 1,
                 '2024-05-01T10:00:00.000Z', '2024-05-01T10:00:00.000Z');
             INSERT INTO enrichments VALUES ('demo', 'A', 'hash', 'offline', '{\"title\":\"Mug\"}',
                 '2024-05-01T10:00:01.000Z');
             INSERT INTO api_keys (id, tenant_id, key_hash, name, created_at)
             VALUES ('key-1', 'demo', 'hash-1', 'old', '2024-05-01T10:00:00.000Z');",
        )
        .unwrap();
    }

    #[tokio::test]
    async fn later_migrations_keep_the_runs_and_enrichments_of_a_database_already_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        database_at_version_1(&path);
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.migrate().await.unwrap(), MIGRATIONS.len() - 1);
        let demo = TenantId::parse("demo").unwrap();
        // Migration 3: an enrichment made before prompt versions is kept, and is current for
        // no version, so the next request for it enriches it again.
        let sku = Sku::parse("A").unwrap();
        let product = store.get_product(&demo, &sku).await.unwrap().unwrap();
        let enrichment = product.enrichment.clone().unwrap();
        assert_eq!(enrichment.payload["title"], "Mug");
        assert_eq!(
            (
                enrichment.prompt_version.as_str(),
                enrichment.waiting_for_budget
            ),
            ("", false)
        );
        assert_eq!(enrichment.provenance, Provenance::default());
        assert!(!enrichment.is_current_for(&product, crate::ai::OFFLINE_VERSION));
        let run = store.get_ingest_run(&demo, "run-1").await.unwrap().unwrap();
        assert_eq!(
            (
                run.kind,
                run.status,
                run.rows_total,
                run.inserted,
                run.format.as_deref()
            ),
            (
                crate::ingest::record::FeedKind::Products,
                RunStatus::Succeeded,
                2,
                0,
                None
            )
        );
        assert_eq!(
            store
                .ingest_run_changes(&run, None, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        let errors = store
            .list_ingest_errors(&demo, "run-1", None, 10)
            .await
            .unwrap();
        assert_eq!(errors.len(), 1);
        // Migration 6: a key made before scopes may do everything but manage keys.
        let key = store.key_for_hash("hash-1").await.unwrap().unwrap();
        assert_eq!(
            key.scopes,
            [
                crate::auth::Scope::Read,
                crate::auth::Scope::Write,
                crate::auth::Scope::Ingest
            ]
        );
        assert!(!key.revoked);
        let listed = store.list_api_keys(&demo).await.unwrap();
        assert_eq!(
            (listed[0].prefix.as_str(), listed[0].last_used_at),
            ("", None)
        );
        // Foreign keys are on again, and still point at the rebuilt table.
        let orphan = store
            .pool
            .write(|c| {
                c.execute(
                    "INSERT INTO ingest_errors VALUES ('no-such-run', 1, '', '', '')",
                    [],
                )
                .map_err(map_error)
            })
            .await;
        assert!(orphan.is_err(), "{orphan:?}");
    }
}
