//! Batch enrichment runs and the tally of their slices.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{from_db_time, map_error, to_db_time};
use crate::store::*;

const SELECT: &str = "SELECT r.id, r.tenant_id, r.filter, r.force, r.status, r.cursor, r.matched,
        r.slices, r.created_at, r.queued_at, COUNT(s.through), COALESCE(SUM(s.enriched), 0),
        COALESCE(SUM(s.already_current), 0), COALESCE(SUM(s.gone), 0)
    FROM enrichment_runs r
    LEFT JOIN enrichment_run_slices s ON s.run_id = r.id";

/// Inserts the run unless its id exists; returns the stored run.
pub(super) fn start(
    c: &mut Connection,
    start: &EnrichmentRunStart,
) -> Result<EnrichmentRun, StoreError> {
    let filter =
        serde_json::to_string(&start.filter).map_err(|e| StoreError::Database(e.to_string()))?;
    c.execute(
        "INSERT INTO enrichment_runs (id, tenant_id, filter, force, status, created_at)
         VALUES (?1, ?2, ?3, ?4, 'scanning', ?5) ON CONFLICT (id) DO NOTHING",
        params![
            start.id,
            start.tenant.as_str(),
            filter,
            start.force,
            to_db_time(&start.created_at)
        ],
    )
    .map_err(map_error)?;
    get(c, &start.tenant, &start.id)?
        .ok_or_else(|| StoreError::Database(format!("run {} belongs to another tenant", start.id)))
}

/// The tenant's run `id`.
pub(super) fn get(
    c: &mut Connection,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<EnrichmentRun>, StoreError> {
    c.query_row(
        &format!("{SELECT} WHERE r.tenant_id = ?1 AND r.id = ?2 GROUP BY r.id"),
        params![tenant.as_str(), id],
        read_run,
    )
    .optional()
    .map_err(map_error)?
    .map(RawRun::into_run)
    .transpose()
}

/// A page of the tenant's runs, newest first.
pub(super) fn list(
    c: &mut Connection,
    tenant: &TenantId,
    after: Option<&EnrichmentRunCursor>,
    limit: u32,
) -> Result<Vec<EnrichmentRun>, StoreError> {
    let (at, id) = match after {
        Some(cursor) => (
            Some(to_db_time(&cursor.created_at)),
            Some(cursor.id.as_str()),
        ),
        None => (None, None),
    };
    let mut statement = c
        .prepare(&format!(
            "{SELECT} WHERE r.tenant_id = ?1
                AND (?2 IS NULL OR r.created_at < ?2 OR (r.created_at = ?2 AND r.id < ?3))
             GROUP BY r.id ORDER BY r.created_at DESC, r.id DESC LIMIT ?4"
        ))
        .map_err(map_error)?;
    let rows = statement
        .query_map(params![tenant.as_str(), at, id, limit], read_run)
        .map_err(map_error)?;
    let mut runs = Vec::new();
    for row in rows {
        runs.push(row.map_err(map_error)?.into_run()?);
    }
    Ok(runs)
}

/// Moves the scan from `after` to `next` if it is still at `after`.
pub(super) fn advance(
    c: &mut Connection,
    id: &str,
    after: Option<&str>,
    next: Option<&str>,
    (matched, slices): (u64, u64),
) -> Result<bool, StoreError> {
    let queued_at = next.is_none().then(|| to_db_time(&chrono::Utc::now()));
    let changed = c
        .execute(
            "UPDATE enrichment_runs SET cursor = ?3, matched = matched + ?4,
                 slices = slices + ?5,
                 status = CASE WHEN ?3 IS NULL THEN 'queued' ELSE 'scanning' END,
                 queued_at = ?6
             WHERE id = ?1 AND status = 'scanning' AND cursor IS ?2",
            params![id, after, next, matched as i64, slices as i64, queued_at],
        )
        .map_err(map_error)?;
    Ok(changed == 1)
}

/// Records a slice's tally once.
pub(super) fn record_slice(
    c: &mut Connection,
    id: &str,
    through: &str,
    tally: &SliceTally,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO enrichment_run_slices (run_id, through, enriched, already_current, gone)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (run_id, through) DO NOTHING",
        params![
            id,
            through,
            tally.enriched as i64,
            tally.already_current as i64,
            tally.gone as i64
        ],
    )
    .map_err(map_error)?;
    Ok(())
}

struct RawRun {
    id: String,
    tenant: String,
    filter: String,
    force: bool,
    status: String,
    cursor: Option<String>,
    counts: [i64; 6],
    created_at: String,
    queued_at: Option<String>,
}

fn read_run(row: &Row<'_>) -> rusqlite::Result<RawRun> {
    Ok(RawRun {
        id: row.get(0)?,
        tenant: row.get(1)?,
        filter: row.get(2)?,
        force: row.get(3)?,
        status: row.get(4)?,
        cursor: row.get(5)?,
        counts: [
            row.get(6)?,
            row.get(7)?,
            row.get(10)?,
            row.get(11)?,
            row.get(12)?,
            row.get(13)?,
        ],
        created_at: row.get(8)?,
        queued_at: row.get(9)?,
    })
}

impl RawRun {
    fn into_run(self) -> Result<EnrichmentRun, StoreError> {
        let [
            matched,
            slices,
            slices_done,
            enriched,
            already_current,
            gone,
        ] = self.counts.map(|n| n.max(0) as u64);
        Ok(EnrichmentRun {
            tenant: TenantId::parse(&self.tenant)
                .map_err(|e| StoreError::Corrupt(format!("enrichment run tenant: {e}")))?,
            filter: serde_json::from_str(&self.filter)
                .map_err(|e| StoreError::Corrupt(format!("enrichment run filter: {e}")))?,
            force: self.force,
            scanning: self.status == "scanning",
            cursor: self.cursor,
            matched,
            slices,
            slices_done,
            enriched,
            already_current,
            gone,
            created_at: from_db_time(&self.created_at)?,
            queued_at: self.queued_at.as_deref().map(from_db_time).transpose()?,
            id: self.id,
        })
    }
}
