//! Ingestion runs and their batches.

use chrono::Utc;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params, params_from_iter};

use super::{execute_cached, from_db_time, map_error, query_row_cached, to_db_time};
use crate::domain::Sku;
use crate::ingest::record::FeedKind;
use crate::store::json_columns;
use crate::store::*;

const RUN_COLUMNS: &str = "id, tenant_id, blob_name, status, rows_total, rejected, error, \
                           report_blob, started_at, finished_at, kind, format, inserted, updated, \
                           unchanged";

pub(super) fn begin_run(
    c: &mut Connection,
    start: &IngestRunStart,
) -> Result<IngestRun, StoreError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_error)?;
    execute_cached(
        &tx,
        "INSERT INTO ingest_runs (id, tenant_id, run_key, blob_name, kind, status, started_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6)
         ON CONFLICT (tenant_id, run_key) DO NOTHING",
        params![
            uuid::Uuid::new_v4().to_string(),
            start.tenant.as_str(),
            start.run_key,
            start.blob_name,
            start.kind.as_str(),
            to_db_time(&Utc::now())
        ],
    )
    .map_err(map_error)?;
    let mut run = query_row_cached(
        &tx,
        &format!("SELECT {RUN_COLUMNS} FROM ingest_runs WHERE tenant_id = ?1 AND run_key = ?2"),
        params![start.tenant.as_str(), start.run_key],
        read_run,
    )
    .map_err(map_error)??;
    if run.status == RunStatus::Running {
        // A run found still running is being redone: its rejected rows and progress are
        // recorded afresh, so what an interrupted attempt recorded (a read failure mid-file)
        // does not linger.
        execute_cached(
            &tx,
            "DELETE FROM ingest_errors WHERE run_id = ?1",
            [&run.id],
        )
        .map_err(map_error)?;
        record_progress(&tx, &run.id, &RunProgress::default())?;
        run.set_progress(&RunProgress::default());
    }
    tx.commit().map_err(map_error)?;
    Ok(run)
}

fn read_run(row: &Row<'_>) -> rusqlite::Result<Result<IngestRun, StoreError>> {
    let tenant: String = row.get(1)?;
    let status: String = row.get(3)?;
    let started: String = row.get(8)?;
    let finished: Option<String> = row.get(9)?;
    let kind: String = row.get(10)?;
    let counts: [i64; 5] = [
        row.get(4)?,
        row.get(5)?,
        row.get(12)?,
        row.get(13)?,
        row.get(14)?,
    ];
    let [rows_total, rejected, inserted, updated, unchanged] = counts.map(|n| n.max(0) as u64);
    let (id, blob_name, error, report_blob) = (row.get(0)?, row.get(2)?, row.get(6)?, row.get(7)?);
    let format = row.get(11)?;
    Ok((|| {
        Ok(IngestRun {
            id,
            tenant: TenantId::parse(&tenant).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            blob_name,
            kind: FeedKind::from_path_segment(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("run kind `{kind}`")))?,
            format,
            status: RunStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("run status `{status}`")))?,
            rows_total,
            rejected,
            inserted,
            updated,
            unchanged,
            error,
            report_blob,
            started_at: from_db_time(&started)?,
            finished_at: finished.as_deref().map(from_db_time).transpose()?,
        })
    })())
}

/// One page of the tenant's runs, newest first.
pub(super) fn list_runs(
    c: &mut Connection,
    tenant: &TenantId,
    query: &RunQuery,
) -> Result<Vec<IngestRun>, StoreError> {
    let mut sql = format!("SELECT {RUN_COLUMNS} FROM ingest_runs WHERE tenant_id = ?");
    let mut args: Vec<SqlValue> = vec![tenant.as_str().to_owned().into()];
    if let Some(after) = &query.after {
        sql.push_str(" AND (started_at < ? OR (started_at = ? AND id < ?))");
        let at = to_db_time(&after.started_at);
        args.extend([at.clone().into(), at.into(), after.id.clone().into()]);
    }
    if let Some(status) = query.status {
        sql.push_str(" AND status = ?");
        args.push(status.as_str().to_owned().into());
    }
    sql.push_str(" ORDER BY started_at DESC, id DESC LIMIT ?");
    args.push(i64::from(query.limit).into());
    let mut statement = c.prepare(&sql).map_err(map_error)?;
    let rows = statement
        .query_map(params_from_iter(args), read_run)
        .map_err(map_error)?;
    rows.map(|row| row.map_err(map_error)?).collect()
}

/// The tenant's run `id`.
pub(super) fn get_run(
    c: &mut Connection,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<IngestRun>, StoreError> {
    query_row_cached(
        c,
        &format!("SELECT {RUN_COLUMNS} FROM ingest_runs WHERE tenant_id = ?1 AND id = ?2"),
        params![tenant.as_str(), id],
        read_run,
    )
    .optional()
    .map_err(map_error)?
    .transpose()
}

/// The tenant's run started with `run_key`.
pub(super) fn find_run(
    c: &mut Connection,
    tenant: &TenantId,
    run_key: &str,
) -> Result<Option<IngestRun>, StoreError> {
    query_row_cached(
        c,
        &format!("SELECT {RUN_COLUMNS} FROM ingest_runs WHERE tenant_id = ?1 AND run_key = ?2"),
        params![tenant.as_str(), run_key],
        read_run,
    )
    .optional()
    .map_err(map_error)?
    .transpose()
}

/// One page of the rejected rows of the tenant's run `run_id`, by (line, column).
pub(super) fn list_errors(
    c: &mut Connection,
    tenant: &TenantId,
    run_id: &str,
    after: Option<&(u64, String)>,
    limit: u32,
) -> Result<Vec<RejectedRow>, StoreError> {
    let (line, column) = match after {
        Some((line, column)) => (Some(*line as i64), Some(column.as_str())),
        None => (None, None),
    };
    // A row-value comparison in its own statement, so SQLite seeks the key instead of
    // scanning the run's errors for every page.
    let sql = if line.is_some() {
        "SELECT e.line, e.column_name, e.value, e.reason
         FROM ingest_errors e JOIN ingest_runs r ON r.id = e.run_id
         WHERE r.tenant_id = ?1 AND e.run_id = ?2 AND (e.line, e.column_name) > (?3, ?4)
         ORDER BY e.line, e.column_name LIMIT ?5"
    } else {
        "SELECT e.line, e.column_name, e.value, e.reason
         FROM ingest_errors e JOIN ingest_runs r ON r.id = e.run_id
         WHERE r.tenant_id = ?1 AND e.run_id = ?2 AND ?3 IS NULL AND ?4 IS NULL
         ORDER BY e.line, e.column_name LIMIT ?5"
    };
    let mut statement = c.prepare_cached(sql).map_err(map_error)?;
    let rows = statement
        .query_map(
            params![tenant.as_str(), run_id, line, column, i64::from(limit)],
            |row| {
                Ok(RejectedRow {
                    line: row.get::<_, i64>(0)?.max(0) as u64,
                    column: row.get(1)?,
                    value: row.get(2)?,
                    reason: row.get(3)?,
                })
            },
        )
        .map_err(map_error)?;
    rows.map(|row| row.map_err(map_error)).collect()
}

pub(super) fn apply_batch(
    c: &mut Connection,
    run: &IngestRun,
    products: &[ProductUpsert],
    rejected: &[RejectedRow],
) -> Result<BatchOutcome, StoreError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_error)?;
    let mut outcome = BatchOutcome::default();
    let now = to_db_time(&Utc::now());
    for product in products {
        match upsert_product(&tx, run, product, &now)? {
            None => outcome.unchanged += 1,
            Some(change) => {
                if change == "inserted" {
                    outcome.inserted += 1;
                } else {
                    outcome.updated += 1;
                }
                execute_cached(
                    &tx,
                    "INSERT INTO ingest_run_changes (run_id, sku, content_hash, change)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (run_id, sku) DO UPDATE SET content_hash = excluded.content_hash",
                    params![
                        run.id,
                        product.content.sku.as_str(),
                        product.content_hash,
                        change
                    ],
                )
                .map_err(map_error)?;
            }
        }
    }
    record_rejected(&tx, run, rejected)?;
    tx.commit().map_err(map_error)?;
    Ok(outcome)
}

/// Records `rejected` for `run`, keeping the first rejection of a cell.
pub(super) fn record_rejected(
    tx: &rusqlite::Transaction<'_>,
    run: &IngestRun,
    rejected: &[RejectedRow],
) -> Result<(), StoreError> {
    for row in rejected {
        execute_cached(
            tx,
            "INSERT OR IGNORE INTO ingest_errors (run_id, line, column_name, value, reason)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![run.id, row.line as i64, row.column, row.value, row.reason],
        )
        .map_err(map_error)?;
    }
    Ok(())
}

/// Writes `product` unless its content is already stored or the partner changed it before the
/// stored version (older rows never overwrite newer ones); returns the kind of change. A
/// product the merchant deleted stays deleted and counts as unchanged: feeds re-export the
/// whole catalogue, so a restoring feed would undo every delete by the next export. A new
/// product takes one statement (the common case of a first import); a known one a failed
/// insert, which is a key probe, and an update whose `WHERE` skips an unchanged or older row.
/// (One upsert with `RETURNING` was a tenth slower on the ingestion benchmark.)
fn upsert_product(
    tx: &rusqlite::Transaction<'_>,
    run: &IngestRun,
    upsert: &ProductUpsert,
    now: &str,
) -> Result<Option<&'static str>, StoreError> {
    let p = &upsert.content;
    let price_minor = p.price.as_ref().map(|m| m.minor());
    let currency = p.price.as_ref().map(|m| m.currency().as_str());
    let source_updated_at = upsert.source_updated_at.as_ref().map(to_db_time);
    let gtin = p.gtin.as_ref().map(|g| g.as_str());
    let (options, attributes) = json_columns::product_json(p)?;
    let values = params![
        run.tenant.as_str(),
        p.sku.as_str(),
        p.title,
        p.description,
        price_minor,
        currency,
        p.quantity,
        p.brand,
        p.category,
        gtin,
        p.image_url,
        upsert.source,
        source_updated_at,
        upsert.content_hash,
        now,
        p.parent,
        options,
        attributes
    ];
    let inserted = execute_cached(
        tx,
        "INSERT INTO products (tenant_id, sku, title, description, price_minor, currency, quantity,
             brand, category, gtin, image_url, source, source_updated_at, content_hash, version,
             created_at, updated_at, parent, options, attributes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 1, ?15, ?15, ?16,
             ?17, ?18)
         ON CONFLICT (tenant_id, sku) DO NOTHING",
        values,
    )
    .map_err(map_error)?;
    if inserted == 1 {
        return Ok(Some("inserted"));
    }
    let updated = execute_cached(
        tx,
        "UPDATE products SET
             title = ?3, description = ?4, price_minor = ?5, currency = ?6, quantity = ?7,
             brand = ?8, category = ?9, gtin = ?10, image_url = ?11, source = ?12,
             source_updated_at = ?13, content_hash = ?14, version = version + 1,
             updated_at = ?15, parent = ?16, options = ?17, attributes = ?18
         WHERE tenant_id = ?1 AND sku = ?2 AND content_hash <> ?14 AND deleted_at IS NULL
             AND (source_updated_at IS NULL OR ?13 IS NULL OR ?13 >= source_updated_at)",
        values,
    )
    .map_err(map_error)?;
    Ok((updated == 1).then_some("updated"))
}

pub(super) fn run_changes(
    c: &mut Connection,
    run_id: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<ProductChange>, StoreError> {
    // Two statements rather than `(?2 IS NULL OR sku > ?2)`, which would keep SQLite from
    // seeking the key and make paging through a large run quadratic.
    let sql = match after {
        Some(_) => {
            "SELECT sku, content_hash, change FROM ingest_run_changes
             WHERE run_id = ?1 AND sku > ?2 ORDER BY sku LIMIT ?3"
        }
        None => {
            "SELECT sku, content_hash, change FROM ingest_run_changes
             WHERE run_id = ?1 AND ?2 IS NULL ORDER BY sku LIMIT ?3"
        }
    };
    let mut statement = c.prepare_cached(sql).map_err(map_error)?;
    let rows = statement
        .query_map(params![run_id, after, limit], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })
        .map_err(map_error)?;
    let mut changes = Vec::new();
    for row in rows {
        let (sku, content_hash, change) = row.map_err(map_error)?;
        changes.push(ProductChange {
            sku: Sku::parse(&sku).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            content_hash,
            inserted: change == "inserted",
        });
    }
    Ok(changes)
}

/// Records a running run's progress; a finished run is left as it is.
pub(super) fn record_progress(
    c: &Connection,
    run_id: &str,
    progress: &RunProgress,
) -> Result<(), StoreError> {
    execute_cached(
        c,
        "UPDATE ingest_runs SET rows_total = ?2, rejected = ?3, inserted = ?4, updated = ?5,
             unchanged = ?6
         WHERE id = ?1 AND status = 'running'",
        params![
            run_id,
            progress.rows_total as i64,
            progress.rejected as i64,
            progress.inserted as i64,
            progress.updated as i64,
            progress.unchanged as i64
        ],
    )
    .map_err(map_error)?;
    Ok(())
}

pub(super) fn finish_run(
    c: &mut Connection,
    run: &IngestRun,
    finish: &IngestRunFinish,
) -> Result<IngestRun, StoreError> {
    execute_cached(
        c,
        "UPDATE ingest_runs SET status = ?2, rows_total = ?3, rejected = ?4, error = ?5,
             report_blob = ?6, finished_at = ?7, format = ?8, inserted = ?9, updated = ?10,
             unchanged = ?11, kind = ?12
         WHERE id = ?1",
        params![
            run.id,
            finish.status.as_str(),
            finish.rows_total as i64,
            finish.rejected as i64,
            finish.error,
            finish.report_blob,
            to_db_time(&Utc::now()),
            finish.format,
            finish.inserted as i64,
            finish.updated as i64,
            finish.unchanged as i64,
            finish.kind.as_str()
        ],
    )
    .map_err(map_error)?;
    query_row_cached(
        c,
        &format!("SELECT {RUN_COLUMNS} FROM ingest_runs WHERE id = ?1"),
        [&run.id],
        read_run,
    )
    .map_err(map_error)?
}
