//! The cloud store: Azure SQL (or any SQL Server 2016+) through tiberius, with the same
//! observable behaviour as [`SqliteStore`](super::sqlite::SqliteStore): the conformance suite
//! runs against both.
//!
//! Every call is one unit of work on a pooled connection, most of them one transaction. A unit
//! that fails with a transient error (Azure SQL failover or throttling, a deadlock, a dropped
//! connection) is redone from the start on a fresh connection, a bounded number of times with
//! jittered exponential backoff; after that the call reports [`StoreError::Unavailable`].
//! All the T-SQL lives in [`sql`].

mod analytics;
mod api_keys;
mod config;
mod connections;
mod edits;
mod enrichment_runs;
mod feeds;
mod ingest;
mod pool;
mod product_writes;
mod products;
mod retry;
mod rows;
mod sql;
mod sync;
mod videos;

use std::sync::Arc;
use tokio::time::Instant;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

pub use self::config::{DEFAULT_MAX_CONNECTIONS, MssqlConfig, TokenSource};
pub use self::retry::is_transient;

use self::config::Connection;
use self::pool::Pool;
use self::retry::{jitter, map_error, pause_before_retry};
use self::rows::{exec, query, run_batch, to_db_time};
use super::*;
use crate::analytics::report;
use crate::analytics::{
    GroupBy, LowStockQuery, SalesData, SalesQuery, SalesReport, StockAlert, TopItem, TopQuery,
};

/// The Azure SQL store.
#[derive(Debug, Clone)]
pub struct MssqlStore {
    pool: Arc<Pool>,
}

impl MssqlStore {
    /// A store for `config`. Nothing connects until the first call.
    pub fn new(config: MssqlConfig) -> Self {
        Self {
            pool: Arc::new(Pool::new(config)),
        }
    }
}

/// Runs the unit of work `$work` (an expression using the connection `$c`) on a pooled
/// connection, redoing all of it while it fails transiently and the retry budget lasts. With
/// `transaction`, the work runs in a transaction committed when it succeeds; when it fails the
/// connection is closed, which rolls the transaction back on the server. A macro rather than a
/// function taking a closure, so the work can borrow the caller's arguments.
macro_rules! unit_of_work {
    ($store:expr, |$c:ident| $work:expr) => {
        unit_of_work!(@run $store, |$c| $work)
    };
    ($store:expr, transaction |$c:ident| $work:expr) => {
        unit_of_work!(@run $store, |$c| async {
            $c.begin_transaction().await.map_err(map_error)?;
            let value = $work.await?;
            $c.commit_transaction().await.map_err(map_error)?;
            Ok(value)
        })
    };
    (@run $store:expr, |$c:ident| $work:expr) => {{
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = async {
                let mut lease = $store.pool.lease().await?;
                let $c = &mut lease.connection;
                let result = $work.await;
                lease.release(result.is_ok());
                result
            }
            .await;
            match &result {
                Err(error) => match pause_before_retry(error, attempt, started.elapsed(), jitter())
                {
                    Some(pause) => {
                        $store.pool.discard_idle();
                        tracing::warn!(attempt, %error, ?pause, "Azure SQL unavailable, retrying");
                        tokio::time::sleep(pause).await;
                    }
                    None => break result,
                },
                Ok(_) => break result,
            }
        }
    }};
}

/// Applies migration `(version, name, script)` unless `schema_migrations` has it, under the
/// migration lock; returns whether it ran. The caller holds the transaction.
async fn apply_migration(
    c: &mut Connection,
    (version, name, script): (i64, &str, &str),
) -> Result<bool, StoreError> {
    lock_migrations(c).await?;
    if !query(c, sql::MIGRATION_APPLIED, &[&version])
        .await?
        .is_empty()
    {
        return Ok(false);
    }
    for batch in sql::migration_batches(script) {
        run_batch(c, &batch).await?;
    }
    let now = to_db_time(&Utc::now());
    exec(c, sql::RECORD_MIGRATION, &[&version, &name, &now]).await?;
    Ok(true)
}

/// Takes the migration lock for the current transaction; another instance migrating makes
/// this wait (up to a minute) rather than race it.
async fn lock_migrations(c: &mut Connection) -> Result<(), StoreError> {
    run_batch(c, sql::LOCK_MIGRATIONS).await?;
    let rows = query(c, sql::MIGRATION_LOCK_MODE, &[]).await?;
    let mode = match rows.first() {
        Some(row) => rows::text(row, 0, "applock mode")?,
        None => None,
    };
    if mode.as_deref() != Some("Exclusive") {
        return Err(StoreError::Unavailable(format!(
            "another instance is migrating (migration lock: {mode:?})"
        )));
    }
    Ok(())
}

#[async_trait]
impl SalesData for MssqlStore {
    async fn tenant_time_zone(&self, tenant: &TenantId) -> Result<String, StoreError> {
        let tenant = tenant.as_str();
        unit_of_work!(self, |c| analytics::zone_name(c, tenant))
    }

    async fn sales(
        &self,
        tenant: &TenantId,
        query: &SalesQuery,
    ) -> Result<SalesReport, StoreError> {
        let tenant = tenant.as_str();
        // One transaction, so the report's points and totals come from one state of the tables.
        unit_of_work!(
            self,
            transaction
                | c
                | async {
                    let zone = analytics::zone_name(c, tenant).await?;
                    let sales = analytics::sales_rows(c, tenant, query.range).await?;
                    let items = match query.group_by {
                        Some(GroupBy::Product | GroupBy::Category) => {
                            analytics::item_rows(c, tenant, query.range).await?
                        }
                        _ => Vec::new(),
                    };
                    Ok::<_, StoreError>(report::sales_report(zone, query, &sales, &items))
                }
        )
    }

    async fn top(&self, tenant: &TenantId, query: &TopQuery) -> Result<Vec<TopItem>, StoreError> {
        let tenant = tenant.as_str();
        unit_of_work!(self, |c| async {
            let totals = analytics::item_totals(c, tenant, query.range).await?;
            Ok::<_, StoreError>(report::top_items(query, &totals))
        })
    }

    async fn low_stock(
        &self,
        tenant: &TenantId,
        query: &LowStockQuery,
    ) -> Result<Vec<StockAlert>, StoreError> {
        let tenant = tenant.as_str();
        unit_of_work!(
            self,
            transaction
                | c
                | async {
                    let window = report::lookback_range(query);
                    let (stock, sold) = analytics::stock(c, tenant, window).await?;
                    Ok::<_, StoreError>(report::stock_alerts(query, stock, &sold))
                }
        )
    }
}

#[async_trait]
impl Store for MssqlStore {
    fn describe(&self) -> String {
        self.pool.config().description().to_owned()
    }

    async fn migrate(&self) -> Result<usize, StoreError> {
        unit_of_work!(
            self,
            transaction
                | c
                | async {
                    lock_migrations(c).await?;
                    run_batch(c, sql::CREATE_MIGRATIONS_TABLE).await
                }
        )?;
        let mut applied = 0;
        for &migration in sql::MIGRATIONS {
            let ran = unit_of_work!(self, transaction | c | apply_migration(c, migration))?;
            applied += usize::from(ran);
        }
        Ok(applied)
    }

    async fn check(&self) -> Result<(), StoreError> {
        unit_of_work!(self, |c| async {
            query(c, sql::CHECK, &[]).await.map(drop)
        })
    }

    async fn ensure_tenant(&self, id: &TenantId, name: &str) -> Result<(), StoreError> {
        let id = id.as_str();
        unit_of_work!(self, |c| async {
            let now = to_db_time(&Utc::now());
            exec(c, sql::ENSURE_TENANT, &[&id, &name, &now])
                .await
                .map(drop)
        })
    }

    async fn tenant_exists(&self, id: &TenantId) -> Result<bool, StoreError> {
        let id = id.as_str();
        unit_of_work!(self, |c| async {
            Ok(!query(c, sql::TENANT_EXISTS, &[&id]).await?.is_empty())
        })
    }

    async fn get_tenant(&self, id: &TenantId) -> Result<Option<TenantView>, StoreError> {
        unit_of_work!(self, |c| analytics::get_tenant(c, id))
    }

    async fn set_tenant_time_zone(
        &self,
        id: &TenantId,
        zone: Tz,
    ) -> Result<Option<RollupOutcome>, StoreError> {
        unit_of_work!(self, transaction | c | analytics::set_zone(c, id, zone))
    }

    async fn rebuild_daily_sales(&self, tenant: &TenantId) -> Result<RollupOutcome, StoreError> {
        unit_of_work!(self, transaction | c | analytics::rebuild(c, tenant))
    }

    async fn tenants_with_orders(&self) -> Result<Vec<TenantId>, StoreError> {
        unit_of_work!(self, |c| analytics::tenants_with_orders(c))
    }

    async fn add_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        unit_of_work!(self, |c| api_keys::add(c, key))
    }

    async fn key_for_hash(&self, key_hash: &str) -> Result<Option<ApiKeyMatch>, StoreError> {
        unit_of_work!(self, |c| api_keys::for_hash(c, key_hash))
    }

    async fn list_api_keys(&self, tenant: &TenantId) -> Result<Vec<ApiKeyView>, StoreError> {
        unit_of_work!(self, |c| api_keys::list(c, tenant))
    }

    async fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        unit_of_work!(self, |c| api_keys::revoke(c, tenant, id, at))
    }

    async fn touch_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        unit_of_work!(self, |c| api_keys::touch(c, id, at))
    }

    async fn begin_ingest_run(&self, start: &IngestRunStart) -> Result<IngestRun, StoreError> {
        unit_of_work!(self, transaction | c | ingest::begin_run(c, start))
    }

    async fn apply_ingest_batch(
        &self,
        run: &IngestRun,
        products: &[ProductUpsert],
        rejected: &[RejectedRow],
    ) -> Result<BatchOutcome, StoreError> {
        unit_of_work!(
            self,
            transaction | c | ingest::apply_batch(c, run, products, rejected)
        )
    }

    async fn ingest_run_changes(
        &self,
        run: &IngestRun,
        after: Option<&Sku>,
        limit: u32,
    ) -> Result<Vec<ProductChange>, StoreError> {
        let after = after.map(Sku::as_str);
        unit_of_work!(self, |c| ingest::run_changes(c, &run.id, after, limit))
    }

    async fn record_run_progress(
        &self,
        run: &IngestRun,
        progress: &RunProgress,
    ) -> Result<(), StoreError> {
        unit_of_work!(self, |c| ingest::record_progress(c, &run.id, progress))
    }

    async fn finish_ingest_run(
        &self,
        run: &IngestRun,
        finish: &IngestRunFinish,
    ) -> Result<IngestRun, StoreError> {
        unit_of_work!(self, transaction | c | ingest::finish_run(c, run, finish))
    }

    async fn list_products(
        &self,
        tenant: &TenantId,
        query: &ProductQuery,
    ) -> Result<Vec<ProductView>, StoreError> {
        unit_of_work!(self, |c| products::list(c, tenant, query))
    }

    async fn get_product(
        &self,
        tenant: &TenantId,
        sku: &Sku,
    ) -> Result<Option<ProductView>, StoreError> {
        unit_of_work!(self, |c| products::get(c, tenant, sku))
    }

    async fn put_product(
        &self,
        tenant: &TenantId,
        product: &ProductUpsert,
        condition: WriteCondition,
        at: DateTime<Utc>,
    ) -> Result<ProductWrite, StoreError> {
        unit_of_work!(
            self,
            transaction | c | product_writes::put(c, tenant, product, condition, at)
        )
    }

    async fn delete_product(
        &self,
        tenant: &TenantId,
        sku: &Sku,
        version: i64,
        at: DateTime<Utc>,
    ) -> Result<ProductWrite, StoreError> {
        unit_of_work!(
            self,
            transaction | c | product_writes::delete(c, tenant, sku, version, at)
        )
    }

    async fn save_enrichment(
        &self,
        tenant: &TenantId,
        sku: &Sku,
        enrichment: &EnrichmentRecord,
        replaces_before: Option<DateTime<Utc>>,
    ) -> Result<SaveOutcome, StoreError> {
        unit_of_work!(
            self,
            transaction | c | {
                products::save_enrichment(c, tenant, sku, enrichment, replaces_before)
            }
        )
    }

    async fn ai_tokens_spent(&self, tenant: &TenantId, day: NaiveDate) -> Result<u64, StoreError> {
        unit_of_work!(self, |c| products::ai_tokens_spent(c, tenant, day))
    }

    async fn add_ai_tokens(
        &self,
        tenant: &TenantId,
        day: NaiveDate,
        tokens: u64,
    ) -> Result<(), StoreError> {
        unit_of_work!(self, |c| products::add_ai_tokens(c, tenant, day, tokens))
    }

    async fn tenants_waiting_for_budget(&self) -> Result<Vec<TenantId>, StoreError> {
        unit_of_work!(self, |c| products::tenants_waiting_for_budget(c))
    }

    async fn enrichments_waiting_for_budget(
        &self,
        tenant: &TenantId,
        limit: u32,
    ) -> Result<Vec<WaitingEnrichment>, StoreError> {
        unit_of_work!(self, |c| products::enrichments_waiting_for_budget(
            c, tenant, limit
        ))
    }

    async fn products_missing_enrichment(
        &self,
        after: DateTime<Utc>,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<WaitingEnrichment>, StoreError> {
        unit_of_work!(self, |c| products::products_missing_enrichment(
            c, after, before, limit
        ))
    }

    async fn start_enrichment_run(
        &self,
        start: &EnrichmentRunStart,
    ) -> Result<EnrichmentRun, StoreError> {
        unit_of_work!(self, transaction | c | { enrichment_runs::start(c, start) })
    }

    async fn get_enrichment_run(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<EnrichmentRun>, StoreError> {
        unit_of_work!(self, |c| enrichment_runs::get(c, tenant, id))
    }

    async fn list_enrichment_runs(
        &self,
        tenant: &TenantId,
        after: Option<&EnrichmentRunCursor>,
        limit: u32,
    ) -> Result<Vec<EnrichmentRun>, StoreError> {
        unit_of_work!(self, |c| enrichment_runs::list(c, tenant, after, limit))
    }

    async fn advance_enrichment_run(
        &self,
        id: &str,
        after: Option<&str>,
        next: Option<&str>,
        found: (u64, u64),
    ) -> Result<bool, StoreError> {
        unit_of_work!(self, |c| enrichment_runs::advance(
            c, id, after, next, found
        ))
    }

    async fn record_enrichment_slice(
        &self,
        id: &str,
        through: &str,
        tally: &SliceTally,
    ) -> Result<(), StoreError> {
        unit_of_work!(self, |c| enrichment_runs::record_slice(
            c, id, through, tally
        ))
    }

    async fn list_ingest_runs(
        &self,
        tenant: &TenantId,
        query: &RunQuery,
    ) -> Result<Vec<IngestRun>, StoreError> {
        unit_of_work!(self, |c| ingest::list_runs(c, tenant, query))
    }

    async fn get_ingest_run(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<IngestRun>, StoreError> {
        unit_of_work!(self, |c| ingest::get_run(c, tenant, id))
    }

    async fn find_ingest_run(
        &self,
        tenant: &TenantId,
        run_key: &str,
    ) -> Result<Option<IngestRun>, StoreError> {
        unit_of_work!(self, |c| ingest::find_run(c, tenant, run_key))
    }

    async fn list_ingest_errors(
        &self,
        tenant: &TenantId,
        run_id: &str,
        after: Option<(u64, String)>,
        limit: u32,
    ) -> Result<Vec<RejectedRow>, StoreError> {
        unit_of_work!(self, |c| ingest::list_errors(
            c,
            tenant,
            run_id,
            after.as_ref(),
            limit
        ))
    }

    async fn put_mapping_profile(
        &self,
        tenant: &TenantId,
        name: &str,
        body: &serde_json::Value,
    ) -> Result<(), StoreError> {
        unit_of_work!(self, |c| feeds::put_profile(c, tenant, name, body))
    }

    async fn get_mapping_profile(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        unit_of_work!(self, |c| feeds::get_profile(c, tenant, name))
    }

    async fn list_mapping_profiles(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<(String, chrono::DateTime<Utc>)>, StoreError> {
        unit_of_work!(self, |c| feeds::list_profiles(c, tenant))
    }

    async fn delete_mapping_profile(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<bool, StoreError> {
        unit_of_work!(self, |c| feeds::delete_profile(c, tenant, name))
    }

    async fn put_connection(
        &self,
        record: &ConnectionRecord,
    ) -> Result<ConnectionRecord, StoreError> {
        unit_of_work!(self, transaction | c | connections::put(c, record))
    }

    async fn get_connection(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
    ) -> Result<Option<ConnectionRecord>, StoreError> {
        unit_of_work!(self, |c| connections::get(c, tenant, platform))
    }

    async fn list_connections(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<ConnectionRecord>, StoreError> {
        unit_of_work!(self, |c| connections::list(c, tenant))
    }

    async fn delete_connection(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
    ) -> Result<bool, StoreError> {
        unit_of_work!(self, |c| connections::delete(c, tenant, platform))
    }

    async fn orders_changed_since(
        &self,
        tenant: &TenantId,
        after: Option<&OrderCursor>,
        limit: u32,
    ) -> Result<Vec<ChangedOrder>, StoreError> {
        unit_of_work!(self, |c| sync::orders_changed(c, tenant, after, limit))
    }

    async fn all_connections(&self) -> Result<Vec<ConnectionRecord>, StoreError> {
        unit_of_work!(self, |c| connections::all(c))
    }

    async fn create_sync_job(&self, job: &SyncJob) -> Result<(SyncJob, bool), StoreError> {
        unit_of_work!(self, transaction | c | sync::create_job(c, job))
    }

    async fn get_sync_job(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<SyncJob>, StoreError> {
        unit_of_work!(self, |c| sync::get_job(c, tenant, id))
    }

    async fn list_sync_jobs(
        &self,
        tenant: &TenantId,
        platform: Option<crate::connections::Platform>,
        after: Option<&SyncJobCursor>,
        limit: u32,
    ) -> Result<Vec<SyncJob>, StoreError> {
        unit_of_work!(self, |c| sync::list_jobs(c, tenant, platform, after, limit))
    }

    async fn save_sync_job(&self, job: &SyncJob) -> Result<bool, StoreError> {
        unit_of_work!(self, |c| sync::save_job(c, job))
    }

    async fn claim_sync_job(&self, job: &SyncJob) -> Result<bool, StoreError> {
        unit_of_work!(self, |c| sync::claim_job(c, job))
    }

    async fn next_queued_sync_job(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
        kind: crate::connections::ObjectKind,
    ) -> Result<Option<String>, StoreError> {
        unit_of_work!(self, |c| sync::next_queued_job(c, tenant, platform, kind))
    }

    async fn sync_cursor(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
        kind: crate::connections::ObjectKind,
    ) -> Result<Option<String>, StoreError> {
        unit_of_work!(self, |c| sync::cursor(c, tenant, platform, kind))
    }

    async fn put_sync_cursor(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
        kind: crate::connections::ObjectKind,
        cursor: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        unit_of_work!(self, |c| sync::put_cursor(
            c, tenant, platform, kind, cursor, &at
        ))
    }

    async fn sync_links(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
        skus: &[Sku],
    ) -> Result<Vec<SyncLink>, StoreError> {
        unit_of_work!(self, |c| sync::links(c, tenant, platform, skus))
    }

    async fn sync_links_for_remote(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
        remote_id: &str,
    ) -> Result<Vec<SyncLink>, StoreError> {
        unit_of_work!(self, |c| sync::links_for_remote(
            c, tenant, platform, remote_id
        ))
    }

    async fn primary_sync_links(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
        after: Option<&Sku>,
        limit: u32,
    ) -> Result<Vec<SyncLink>, StoreError> {
        unit_of_work!(self, |c| sync::primary_links(
            c, tenant, platform, after, limit
        ))
    }

    async fn put_sync_links(&self, links: &[SyncLink]) -> Result<(), StoreError> {
        unit_of_work!(self, transaction | c | sync::put_links(c, links))
    }

    async fn record_sync_problems(
        &self,
        tenant: &TenantId,
        platform: crate::connections::Platform,
        job_id: &str,
        problems: &[SyncProblem],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        unit_of_work!(
            self,
            transaction | c | sync::record_problems(c, tenant, platform, job_id, problems, &at)
        )
    }

    async fn list_sync_issues(
        &self,
        tenant: &TenantId,
        query: &IssueQuery,
    ) -> Result<Vec<SyncIssue>, StoreError> {
        unit_of_work!(self, |c| sync::list_issues(c, tenant, query))
    }

    async fn get_sync_issue(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<SyncIssue>, StoreError> {
        unit_of_work!(self, |c| sync::get_issue(c, tenant, id))
    }

    async fn set_sync_issue_status(
        &self,
        tenant: &TenantId,
        id: &str,
        status: IssueStatus,
        at: DateTime<Utc>,
    ) -> Result<Option<SyncIssue>, StoreError> {
        unit_of_work!(
            self,
            transaction | c | sync::set_issue_status(c, tenant, id, status, &at)
        )
    }

    async fn create_video(&self, video: &VideoRecord) -> Result<(VideoRecord, bool), StoreError> {
        unit_of_work!(self, transaction | c | videos::create(c, video))
    }

    async fn get_video(
        &self,
        tenant: &TenantId,
        id: uuid::Uuid,
    ) -> Result<Option<VideoRecord>, StoreError> {
        unit_of_work!(self, |c| videos::get(c, tenant, id))
    }

    async fn list_videos(
        &self,
        tenant: &TenantId,
        query: &VideoQuery,
    ) -> Result<Vec<VideoRecord>, StoreError> {
        unit_of_work!(self, |c| videos::list(c, tenant, query))
    }

    async fn save_video(&self, video: &VideoRecord) -> Result<bool, StoreError> {
        unit_of_work!(self, |c| videos::save(c, video))
    }

    async fn apply_inventory_batch(
        &self,
        run: &IngestRun,
        levels: &[InventoryUpsert],
        rejected: &[RejectedRow],
    ) -> Result<BatchOutcome, StoreError> {
        unit_of_work!(
            self,
            transaction | c | feeds::apply_inventory(c, run, levels, rejected)
        )
    }

    async fn apply_order_batch(
        &self,
        run: &IngestRun,
        orders: &[OrderUpsert],
        rejected: &[RejectedRow],
    ) -> Result<BatchOutcome, StoreError> {
        unit_of_work!(
            self,
            transaction | c | feeds::apply_orders(c, run, orders, rejected)
        )
    }

    async fn edit_enrichment(
        &self,
        tenant: &TenantId,
        sku: &Sku,
        fields: &serde_json::Map<String, serde_json::Value>,
        unlock: &[String],
        at: chrono::DateTime<Utc>,
    ) -> Result<Option<EnrichmentEdits>, StoreError> {
        unit_of_work!(
            self,
            transaction | c | edits::edit_enrichment(c, tenant, sku, fields, unlock, at)
        )
    }
}

/// Test databases: each conformance run gets its own, dropped afterwards.
#[cfg(test)]
pub(crate) mod test_database {
    use super::*;

    /// A store on `master` of the server `ado` names: the database the string names may not
    /// exist, and is not where databases are created or dropped from.
    fn admin(ado: &str) -> Result<MssqlStore, StoreError> {
        let config = MssqlConfig::from_ado_string(ado)?
            .with_database("master")
            .max_connections(1);
        Ok(MssqlStore::new(config))
    }

    /// Creates a fresh database on the server `ado` names; returns its name and a config for it.
    pub(crate) async fn create(ado: &str) -> Result<(String, MssqlConfig), StoreError> {
        let admin = admin(ado)?;
        let name = format!("advisor_test_{}", uuid::Uuid::new_v4().simple());
        let statement = sql::create_database(&name);
        unit_of_work!(admin, |c| run_batch(c, &statement))?;
        let config = MssqlConfig::from_ado_string(ado)?.with_database(&name);
        Ok((name, config))
    }

    /// Drops database `name`, closing whatever sessions are still open on it.
    pub(crate) async fn drop(ado: &str, name: &str) -> Result<(), StoreError> {
        let admin = admin(ado)?;
        for statement in sql::drop_database(name) {
            unit_of_work!(admin, |c| run_batch(c, &statement))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    /// Fails every sign-in the way it is told to, counting them: one per connection attempt.
    #[derive(Debug)]
    struct FailingTokens {
        transient: bool,
        asked: AtomicU32,
    }

    #[async_trait]
    impl TokenSource for FailingTokens {
        async fn token(&self) -> Result<String, StoreError> {
            self.asked.fetch_add(1, Ordering::SeqCst);
            if self.transient {
                Err(StoreError::Unavailable("identity endpoint busy".into()))
            } else {
                Err(StoreError::Database("no such identity".into()))
            }
        }
    }

    fn store_with(transient: bool) -> (Arc<FailingTokens>, MssqlStore) {
        let tokens = Arc::new(FailingTokens {
            transient,
            asked: AtomicU32::new(0),
        });
        let config =
            MssqlConfig::with_token_source("127.0.0.1,9", "advisor", tokens.clone()).unwrap();
        (tokens, MssqlStore::new(config))
    }

    #[tokio::test(start_paused = true)]
    async fn a_unit_of_work_that_keeps_failing_transiently_is_tried_five_times_then_unavailable() {
        let (tokens, store) = store_with(true);
        let error = store.check().await.unwrap_err();
        assert!(error.is_transient(), "{error}");
        assert_eq!(tokens.asked.load(Ordering::SeqCst), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn a_unit_of_work_that_fails_for_good_is_not_retried() {
        let (tokens, store) = store_with(false);
        let error = store.tenant_exists(&TenantId::parse("demo").unwrap()).await;
        assert!(matches!(error, Err(StoreError::Database(_))));
        assert_eq!(tokens.asked.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_store_describes_its_server_without_secrets() {
        let (_, store) = store_with(true);
        assert_eq!(store.describe(), "Azure SQL 127.0.0.1:9/advisor");
    }
}
