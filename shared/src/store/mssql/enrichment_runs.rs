//! Batch enrichment runs and the tally of their slices.

use tiberius::{Row, ToSql};

use super::config::Connection;
use super::rows::{exec, flag, int, query, required_text, required_time, text, time, to_db_time};
use super::sql;
use crate::store::*;

/// Inserts the run unless its id exists; returns the stored run. The caller holds the
/// transaction.
pub(super) async fn start(
    c: &mut Connection,
    start: &EnrichmentRunStart,
) -> Result<EnrichmentRun, StoreError> {
    let filter =
        serde_json::to_string(&start.filter).map_err(|e| StoreError::Database(e.to_string()))?;
    let created_at = to_db_time(&start.created_at);
    let params: [&dyn ToSql; 5] = [
        &start.id.as_str(),
        &start.tenant.as_str(),
        &filter,
        &start.force,
        &created_at,
    ];
    exec(c, sql::START_ENRICHMENT_RUN, &params).await?;
    get(c, &start.tenant, &start.id)
        .await?
        .ok_or_else(|| StoreError::Database(format!("run {} belongs to another tenant", start.id)))
}

/// The tenant's run `id`.
pub(super) async fn get(
    c: &mut Connection,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<EnrichmentRun>, StoreError> {
    let rows = query(c, &sql::get_enrichment_run(), &[&tenant.as_str(), &id]).await?;
    rows.first().map(read_run).transpose()
}

/// A page of the tenant's runs, newest first.
pub(super) async fn list(
    c: &mut Connection,
    tenant: &TenantId,
    after: Option<&EnrichmentRunCursor>,
    limit: u32,
) -> Result<Vec<EnrichmentRun>, StoreError> {
    let limit = i64::from(limit);
    let at = after.map(|cursor| to_db_time(&cursor.created_at));
    let id = after.map(|cursor| cursor.id.as_str());
    let params: [&dyn ToSql; 4] = [&limit, &tenant.as_str(), &at, &id];
    let rows = query(c, &sql::list_enrichment_runs(), &params).await?;
    rows.iter().map(read_run).collect()
}

/// Moves the scan from `after` to `next` if it is still at `after`.
pub(super) async fn advance(
    c: &mut Connection,
    id: &str,
    after: Option<&str>,
    next: Option<&str>,
    (matched, slices): (u64, u64),
) -> Result<bool, StoreError> {
    let (matched, slices) = (matched as i64, slices as i64);
    let now = to_db_time(&chrono::Utc::now());
    let params: [&dyn ToSql; 6] = [&id, &after, &next, &matched, &slices, &now];
    Ok(exec(c, sql::ADVANCE_ENRICHMENT_RUN, &params).await? == 1)
}

/// Records a slice's tally once.
pub(super) async fn record_slice(
    c: &mut Connection,
    id: &str,
    through: &str,
    tally: &SliceTally,
) -> Result<(), StoreError> {
    let counts = [tally.enriched, tally.already_current, tally.gone].map(|n| n as i64);
    let params: [&dyn ToSql; 5] = [&id, &through, &counts[0], &counts[1], &counts[2]];
    exec(c, sql::RECORD_ENRICHMENT_SLICE, &params).await?;
    Ok(())
}

fn read_run(row: &Row) -> Result<EnrichmentRun, StoreError> {
    if row.len() != sql::ENRICHMENT_RUN_COLUMNS {
        return Err(StoreError::Database(format!(
            "expected {} enrichment run columns, got {}",
            sql::ENRICHMENT_RUN_COLUMNS,
            row.len()
        )));
    }
    let count = |index, what| -> Result<u64, StoreError> {
        Ok(int(row, index, what)?.unwrap_or(0).max(0) as u64)
    };
    let filter = required_text(row, 2, "enrichment_runs.filter")?;
    Ok(EnrichmentRun {
        id: required_text(row, 0, "enrichment_runs.id")?,
        tenant: TenantId::parse(&required_text(row, 1, "enrichment_runs.tenant_id")?)
            .map_err(|e| StoreError::Corrupt(format!("enrichment run tenant: {e}")))?,
        filter: serde_json::from_str(&filter)
            .map_err(|e| StoreError::Corrupt(format!("enrichment run filter: {e}")))?,
        force: flag(row, 3, "enrichment_runs.force")?.unwrap_or(false),
        scanning: required_text(row, 4, "enrichment_runs.status")? == "scanning",
        cursor: text(row, 5, "enrichment_runs.cursor")?,
        matched: count(6, "enrichment_runs.matched")?,
        slices: count(7, "enrichment_runs.slices")?,
        created_at: required_time(row, 8, "enrichment_runs.created_at")?,
        queued_at: time(row, 9, "enrichment_runs.queued_at")?,
        slices_done: count(10, "slices_done")?,
        enriched: count(11, "enriched")?,
        already_current: count(12, "already_current")?,
        gone: count(13, "gone")?,
    })
}
