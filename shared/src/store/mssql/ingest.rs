//! Ingestion runs and their batches. A batch is bulk-copied into a session staging table and
//! written with one set-based `MERGE`, inside the caller's transaction.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use tiberius::{IntoSql, Row, TokenRow};

use super::config::Connection;
use super::retry::map_error;
use super::rows::{
    exec, int, query, required_int, required_text, required_time, run_batch, text, time, to_db_time,
};
use super::sql;
use crate::domain::Sku;
use crate::ingest::record::FeedKind;
use crate::store::json_columns;
use crate::store::*;

/// Finds or starts the run for `start.run_key`; a run still running has its rejected rows
/// cleared, to be recorded again by the redo.
pub(super) async fn begin_run(
    c: &mut Connection,
    start: &IngestRunStart,
) -> Result<IngestRun, StoreError> {
    let id = uuid::Uuid::new_v4().to_string();
    let tenant = start.tenant.as_str();
    let now = to_db_time(&Utc::now());
    let kind = start.kind.as_str();
    let params: [&dyn tiberius::ToSql; 6] =
        [&id, &tenant, &start.run_key, &start.blob_name, &now, &kind];
    exec(c, sql::INSERT_RUN, &params).await?;
    let rows = query(c, sql::RUN_BY_KEY, &[&tenant, &start.run_key]).await?;
    let mut run = read_run(one_row(rows, "the run just begun")?)?;
    if run.status == RunStatus::Running {
        exec(c, sql::CLEAR_RUN_ERRORS, &[&run.id]).await?;
        record_progress(c, &run.id, &RunProgress::default()).await?;
        run.set_progress(&RunProgress::default());
    }
    Ok(run)
}

/// Records a running run's progress; a finished run is left as it is.
pub(super) async fn record_progress(
    c: &mut Connection,
    run_id: &str,
    progress: &RunProgress,
) -> Result<(), StoreError> {
    let [rows_total, rejected, inserted, updated, unchanged] = [
        progress.rows_total,
        progress.rejected,
        progress.inserted,
        progress.updated,
        progress.unchanged,
    ]
    .map(|n| n as i64);
    let params: [&dyn tiberius::ToSql; 6] = [
        &run_id,
        &rows_total,
        &rejected,
        &inserted,
        &updated,
        &unchanged,
    ];
    exec(c, sql::RECORD_RUN_PROGRESS, &params).await?;
    Ok(())
}

/// The single row a statement must return; none is an error, as rusqlite's `query_row` has it.
pub(super) fn one_row(rows: Vec<Row>, what: &str) -> Result<Row, StoreError> {
    rows.into_iter()
        .next()
        .ok_or_else(|| StoreError::Database(format!("no row for {what}")))
}

fn read_run(row: Row) -> Result<IngestRun, StoreError> {
    let [
        id,
        tenant,
        blob_name,
        status,
        rows_total,
        rejected,
        error,
        report_blob,
        started,
        finished,
        kind,
        format,
        inserted,
        updated,
        unchanged,
    ] = sql::RUN_COLUMNS_ORDER;
    let tenant = required_text(&row, 1, tenant)?;
    let status = required_text(&row, 3, status)?;
    let kind = required_text(&row, 10, kind)?;
    let count = |index, what| Ok::<_, StoreError>(required_int(&row, index, what)?.max(0) as u64);
    Ok(IngestRun {
        id: required_text(&row, 0, id)?,
        tenant: TenantId::parse(&tenant).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        blob_name: required_text(&row, 2, blob_name)?,
        kind: FeedKind::from_path_segment(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("run kind `{kind}`")))?,
        format: text(&row, 11, format)?,
        status: RunStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("run status `{status}`")))?,
        rows_total: count(4, rows_total)?,
        rejected: count(5, rejected)?,
        inserted: count(12, inserted)?,
        updated: count(13, updated)?,
        unchanged: count(14, unchanged)?,
        error: text(&row, 6, error)?,
        report_blob: text(&row, 7, report_blob)?,
        started_at: required_time(&row, 8, started)?,
        finished_at: time(&row, 9, finished)?,
    })
}

/// Writes `products` and records `rejected` for `run`; the caller holds the transaction.
pub(super) async fn apply_batch(
    c: &mut Connection,
    run: &IngestRun,
    products: &[ProductUpsert],
    rejected: &[RejectedRow],
) -> Result<BatchOutcome, StoreError> {
    for statement in sql::DROP_STAGING {
        run_batch(c, statement).await?;
    }
    for statement in [sql::CREATE_BATCH, sql::CREATE_CHANGES, sql::CREATE_REJECTED] {
        run_batch(c, statement).await?;
    }
    let tenant = run.tenant.as_str();
    let now = to_db_time(&Utc::now());
    let mut outcome = BatchOutcome::default();
    for round in rounds(products) {
        for statement in sql::CLEAR_ROUND {
            run_batch(c, statement).await?;
        }
        stage_products(c, &round).await?;
        exec(c, sql::MERGE_PRODUCTS, &[&tenant, &now]).await?;
        let counts = one_row(query(c, sql::COUNT_CHANGES, &[]).await?, "the counts")?;
        let inserted = int(&counts, 0, "inserted")?.unwrap_or(0).max(0) as u64;
        let updated = int(&counts, 1, "updated")?.unwrap_or(0).max(0) as u64;
        outcome.inserted += inserted;
        outcome.updated += updated;
        outcome.unchanged += (round.len() as u64).saturating_sub(inserted + updated);
        exec(c, sql::RECORD_CHANGES, &[&run.id]).await?;
    }
    record_rejected(c, &run.id, rejected).await?;
    for statement in sql::DROP_STAGING {
        run_batch(c, statement).await?;
    }
    Ok(outcome)
}

/// Splits a batch so no round holds a SKU twice: round k holds each SKU's k-th upsert. Applied
/// in order, the rounds do what SQLite's row-by-row upsert does when a feed repeats a SKU
/// (the later row wins, and each change counts), while a `MERGE` may touch a row only once.
fn rounds(products: &[ProductUpsert]) -> Vec<Vec<&ProductUpsert>> {
    rounds_by(products, |p| p.content.sku.as_str())
}

/// [`rounds`] for any record keyed by `key`: round k holds each key's k-th record.
pub(super) fn rounds_by<'a, T, K, F>(records: &'a [T], key: F) -> Vec<Vec<&'a T>>
where
    K: std::hash::Hash + Eq,
    F: Fn(&'a T) -> K,
{
    let mut seen: HashMap<K, usize> = HashMap::new();
    let mut rounds: Vec<Vec<&T>> = Vec::new();
    for record in records {
        let occurrence = seen.entry(key(record)).or_insert(0);
        if rounds.len() <= *occurrence {
            rounds.push(Vec::new());
        }
        if let Some(round) = rounds.get_mut(*occurrence) {
            round.push(record);
        }
        *occurrence += 1;
    }
    rounds
}

/// Stages `rejected` (the first per cell) and records it for `run_id`; `#rejected` must exist.
pub(super) async fn record_rejected(
    c: &mut Connection,
    run_id: &str,
    rejected: &[RejectedRow],
) -> Result<(), StoreError> {
    let rejected = first_per_cell(rejected);
    if !rejected.is_empty() {
        stage_rejected(c, &rejected).await?;
        exec(c, sql::RECORD_REJECTED, &[&run_id]).await?;
    }
    Ok(())
}

/// The first rejected row per (line, column), as SQLite's `INSERT OR IGNORE` keeps it.
fn first_per_cell(rejected: &[RejectedRow]) -> Vec<&RejectedRow> {
    let mut seen = HashSet::new();
    rejected
        .iter()
        .filter(|row| seen.insert((row.line, row.column.as_str())))
        .collect()
}

/// Bulk-copies one round into `#batch`, columns in [`sql::CREATE_BATCH`]'s order.
async fn stage_products(c: &mut Connection, round: &[&ProductUpsert]) -> Result<(), StoreError> {
    let mut bulk = c.bulk_insert(sql::BATCH_TABLE).await.map_err(map_error)?;
    for upsert in round {
        bulk.send(product_row(upsert)?).await.map_err(map_error)?;
    }
    bulk.finalize().await.map_err(map_error)?;
    Ok(())
}

fn product_row(upsert: &ProductUpsert) -> Result<TokenRow<'_>, StoreError> {
    let p = &upsert.content;
    let (options, attributes) = json_columns::product_json(p)?;
    let mut row = TokenRow::with_capacity(16);
    row.push(p.sku.as_str().into_sql());
    row.push(p.title.as_str().into_sql());
    row.push(p.description.as_deref().into_sql());
    row.push(p.price.as_ref().map(|m| m.minor()).into_sql());
    row.push(p.price.as_ref().map(|m| m.currency().as_str()).into_sql());
    row.push(p.quantity.into_sql());
    row.push(p.brand.as_deref().into_sql());
    row.push(p.category.as_deref().into_sql());
    row.push(p.gtin.as_ref().map(|g| g.as_str()).into_sql());
    row.push(p.image_url.as_deref().into_sql());
    row.push(upsert.source.as_str().into_sql());
    row.push(upsert.source_updated_at.as_ref().map(to_db_time).into_sql());
    row.push(upsert.content_hash.as_str().into_sql());
    row.push(p.parent.as_deref().into_sql());
    row.push(options.into_sql());
    row.push(attributes.into_sql());
    Ok(row)
}

/// Bulk-copies the rejected rows into `#rejected`.
async fn stage_rejected(c: &mut Connection, rejected: &[&RejectedRow]) -> Result<(), StoreError> {
    let mut bulk = c
        .bulk_insert(sql::REJECTED_TABLE)
        .await
        .map_err(map_error)?;
    for row in rejected {
        let mut token = TokenRow::with_capacity(4);
        token.push((row.line as i64).into_sql());
        token.push(row.column.as_str().into_sql());
        token.push(row.value.as_str().into_sql());
        token.push(row.reason.as_str().into_sql());
        bulk.send(token).await.map_err(map_error)?;
    }
    bulk.finalize().await.map_err(map_error)?;
    Ok(())
}

/// The products `run_id` inserted or changed, by SKU.
pub(super) async fn run_changes(
    c: &mut Connection,
    run_id: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<ProductChange>, StoreError> {
    let limit = i64::from(limit);
    let statement = match after {
        Some(_) => sql::RUN_CHANGES_AFTER,
        None => sql::RUN_CHANGES,
    };
    let rows = query(c, statement, &[&run_id, &after, &limit]).await?;
    rows.iter()
        .map(|row| {
            let sku = required_text(row, 0, "ingest_run_changes.sku")?;
            Ok(ProductChange {
                sku: Sku::parse(&sku).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                content_hash: required_text(row, 1, "ingest_run_changes.content_hash")?,
                inserted: required_text(row, 2, "ingest_run_changes.change")? == "inserted",
            })
        })
        .collect()
}

/// Marks `run` finished; the caller holds the transaction.
pub(super) async fn finish_run(
    c: &mut Connection,
    run: &IngestRun,
    finish: &IngestRunFinish,
) -> Result<IngestRun, StoreError> {
    let (status, rows_total, rejected) = (
        finish.status.as_str(),
        finish.rows_total as i64,
        finish.rejected as i64,
    );
    let now = to_db_time(&Utc::now());
    let [inserted, updated, unchanged] =
        [finish.inserted, finish.updated, finish.unchanged].map(|n| n as i64);
    let kind = finish.kind.as_str();
    let params: [&dyn tiberius::ToSql; 12] = [
        &run.id,
        &status,
        &rows_total,
        &rejected,
        &finish.error,
        &finish.report_blob,
        &now,
        &finish.format,
        &inserted,
        &updated,
        &unchanged,
        &kind,
    ];
    exec(c, sql::FINISH_RUN, &params).await?;
    read_run(one_row(
        query(c, sql::RUN_BY_ID, &[&run.id]).await?,
        "the run",
    )?)
}

/// One page of the tenant's runs, newest first.
pub(super) async fn list_runs(
    c: &mut Connection,
    tenant: &TenantId,
    q: &RunQuery,
) -> Result<Vec<IngestRun>, StoreError> {
    let tenant = tenant.as_str();
    let after = q
        .after
        .as_ref()
        .map(|a| (to_db_time(&a.started_at), a.id.as_str()));
    let status = q.status.map(RunStatus::as_str);
    let limit = i64::from(q.limit);
    // In the order list_runs numbers them: tenant, the cursor, the status, the limit.
    let mut params: Vec<&dyn tiberius::ToSql> = vec![&tenant];
    if let Some((at, id)) = &after {
        params.push(at);
        params.push(id);
    }
    if let Some(status) = &status {
        params.push(status);
    }
    params.push(&limit);
    let sql = sql::list_runs(after.is_some(), status.is_some());
    let rows = query(c, &sql, &params).await?;
    rows.into_iter().map(read_run).collect()
}

/// The tenant's run `id`.
pub(super) async fn get_run(
    c: &mut Connection,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<IngestRun>, StoreError> {
    let rows = query(c, sql::RUN_OF_TENANT, &[&tenant.as_str(), &id]).await?;
    rows.into_iter().next().map(read_run).transpose()
}

/// The tenant's run started with `run_key`.
pub(super) async fn find_run(
    c: &mut Connection,
    tenant: &TenantId,
    run_key: &str,
) -> Result<Option<IngestRun>, StoreError> {
    let rows = query(c, sql::RUN_BY_KEY, &[&tenant.as_str(), &run_key]).await?;
    rows.into_iter().next().map(read_run).transpose()
}

/// One page of the rejected rows of the tenant's run, by (line, column).
pub(super) async fn list_errors(
    c: &mut Connection,
    tenant: &TenantId,
    run_id: &str,
    after: Option<&(u64, String)>,
    limit: u32,
) -> Result<Vec<RejectedRow>, StoreError> {
    let (tenant, limit) = (tenant.as_str(), i64::from(limit));
    let rows = match after {
        None => query(c, sql::LIST_ERRORS, &[&tenant, &run_id, &limit]).await?,
        Some((line, column)) => {
            let line = *line as i64;
            let params: [&dyn tiberius::ToSql; 5] = [&tenant, &run_id, &limit, &line, column];
            query(c, sql::LIST_ERRORS_AFTER, &params).await?
        }
    };
    rows.iter()
        .map(|row| {
            Ok(RejectedRow {
                line: required_int(row, 0, "ingest_errors.line")?.max(0) as u64,
                column: required_text(row, 1, "ingest_errors.column_name")?,
                value: required_text(row, 2, "ingest_errors.value")?,
                reason: required_text(row, 3, "ingest_errors.reason")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ProductContent;

    fn upsert(sku: &str, title: &str) -> ProductUpsert {
        let content = ProductContent {
            sku: Sku::parse(sku).unwrap(),
            title: title.into(),
            description: None,
            price: None,
            quantity: None,
            brand: None,
            category: None,
            gtin: None,
            image_url: None,
            parent: None,
            options: Vec::new(),
            attributes: Default::default(),
        };
        ProductUpsert::new(content, None, "test")
    }

    #[test]
    fn a_repeated_sku_goes_to_a_later_round_in_feed_order() {
        let batch = [
            upsert("A", "1"),
            upsert("B", "1"),
            upsert("A", "2"),
            upsert("A", "3"),
        ];
        let rounds = rounds(&batch);
        let titles: Vec<Vec<&str>> = rounds
            .iter()
            .map(|r| r.iter().map(|p| p.content.title.as_str()).collect())
            .collect();
        assert_eq!(titles, vec![vec!["1", "1"], vec!["2"], vec!["3"]]);
        assert!(super::rounds(&[]).is_empty());
    }

    #[test]
    fn the_first_rejection_of_a_cell_is_kept() {
        let row = |line, column: &str, reason: &str| RejectedRow {
            line,
            column: column.into(),
            value: String::new(),
            reason: reason.into(),
        };
        let rejected = [
            row(3, "price", "first"),
            row(3, "price", "second"),
            row(3, "", "row"),
        ];
        let kept: Vec<&str> = first_per_cell(&rejected)
            .iter()
            .map(|r| r.reason.as_str())
            .collect();
        assert_eq!(kept, vec!["first", "row"]);
    }
}
