//! The sync engine's rows: jobs, cursors, links and the error inbox.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{execute_cached, from_db_time, map_error, to_db_time};
use crate::connections::{ObjectKind, Platform};
use crate::store::json_columns::{enum_text, json_text, parse_enum};
use crate::store::*;

const JOB_COLUMNS: &str = "tenant_id, id, platform, kind, trigger, targets, status, progress, \
                           created_at, started_at, finished_at, lease_until, version";

fn corrupt(table: &str, what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{table}: {what}"))
}

fn optional_time(text: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    text.as_deref().map(from_db_time).transpose()
}

/// Inserts `job` unless its id is taken; answers the stored job and whether it was made.
pub(super) fn create_job(c: &mut Connection, job: &SyncJob) -> Result<(SyncJob, bool), StoreError> {
    let targets = job.targets.as_ref().map(json_text).transpose()?;
    let made = execute_cached(
        c,
        "INSERT INTO sync_jobs (tenant_id, id, platform, kind, trigger, targets, status, progress,
             created_at, started_at, finished_at, lease_until, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (tenant_id, id) DO NOTHING",
        params![
            job.tenant.as_str(),
            job.id,
            job.platform.as_str(),
            job.kind.as_str(),
            enum_text(job.trigger),
            targets,
            enum_text(job.status),
            json_text(&job.progress)?,
            to_db_time(&job.created_at),
            job.started_at.as_ref().map(to_db_time),
            job.finished_at.as_ref().map(to_db_time),
            job.lease_until.as_ref().map(to_db_time),
            job.version,
        ],
    )
    .map_err(map_error)?
        > 0;
    let stored = get_job(c, &job.tenant, &job.id)?
        .ok_or_else(|| StoreError::Database("the sync job vanished as it was stored".into()))?;
    Ok((stored, made))
}

/// The tenant's job `id`.
pub(super) fn get_job(
    c: &mut Connection,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<SyncJob>, StoreError> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM sync_jobs WHERE tenant_id = ?1 AND id = ?2");
    let raw = c
        .prepare_cached(&sql)
        .map_err(map_error)?
        .query_row(params![tenant.as_str(), id], raw_job)
        .optional()
        .map_err(map_error)?;
    raw.map(job).transpose()
}

/// One page of the tenant's jobs, newest first.
pub(super) fn list_jobs(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Option<Platform>,
    after: Option<&SyncJobCursor>,
    limit: u32,
) -> Result<Vec<SyncJob>, StoreError> {
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM sync_jobs
         WHERE tenant_id = ?1 AND (?2 IS NULL OR platform = ?2)
           AND (?3 IS NULL OR created_at < ?3 OR (created_at = ?3 AND id < ?4))
         ORDER BY created_at DESC, id DESC LIMIT ?5"
    );
    let mut statement = c.prepare_cached(&sql).map_err(map_error)?;
    let rows = statement
        .query_map(
            params![
                tenant.as_str(),
                platform.map(Platform::as_str),
                after.map(|(at, _)| to_db_time(at)),
                after.map(|(_, id)| id.as_str()),
                limit,
            ],
            raw_job,
        )
        .map_err(map_error)?;
    rows.map(|row| job(row.map_err(map_error)?)).collect()
}

/// Writes `job` if it is still at its version.
pub(super) fn save_job(c: &mut Connection, job: &SyncJob) -> Result<bool, StoreError> {
    write_job(c, job, false)
}

/// Writes `job` if it is still at its version and no other job of its connection and kind
/// runs. One statement on the one writer connection, so two claims cannot both pass.
pub(super) fn claim_job(c: &mut Connection, job: &SyncJob) -> Result<bool, StoreError> {
    write_job(c, job, true)
}

fn write_job(c: &mut Connection, job: &SyncJob, alone: bool) -> Result<bool, StoreError> {
    const SAVE: &str = "UPDATE sync_jobs SET status = ?3, progress = ?4, started_at = ?5,
             finished_at = ?6, lease_until = ?7, version = version + 1
         WHERE tenant_id = ?1 AND id = ?2 AND version = ?8";
    const CLAIM: &str = "UPDATE sync_jobs SET status = ?3, progress = ?4, started_at = ?5,
             finished_at = ?6, lease_until = ?7, version = version + 1
         WHERE tenant_id = ?1 AND id = ?2 AND version = ?8
           AND NOT EXISTS (SELECT 1 FROM sync_jobs AS other
                           WHERE other.tenant_id = ?1 AND other.platform = ?9
                             AND other.kind = ?10 AND other.status = 'running'
                             AND other.id <> ?2)";
    let (status, progress) = (enum_text(job.status), json_text(&job.progress)?);
    let started = job.started_at.as_ref().map(to_db_time);
    let finished = job.finished_at.as_ref().map(to_db_time);
    let lease = job.lease_until.as_ref().map(to_db_time);
    let values: [&dyn rusqlite::ToSql; 10] = [
        &job.tenant.as_str(),
        &job.id,
        &status,
        &progress,
        &started,
        &finished,
        &lease,
        &job.version,
        &job.platform.as_str(),
        &job.kind.as_str(),
    ];
    let (sql, values) = if alone {
        (CLAIM, &values[..])
    } else {
        (SAVE, &values[..8])
    };
    Ok(execute_cached(c, sql, values).map_err(map_error)? > 0)
}

/// The oldest queued job of the tenant's `platform` and `kind`.
pub(super) fn next_queued_job(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
    kind: ObjectKind,
) -> Result<Option<String>, StoreError> {
    c.prepare_cached(
        "SELECT id FROM sync_jobs
         WHERE tenant_id = ?1 AND platform = ?2 AND kind = ?3 AND status = 'queued'
         ORDER BY created_at, id LIMIT 1",
    )
    .map_err(map_error)?
    .query_row(
        params![tenant.as_str(), platform.as_str(), kind.as_str()],
        |row| row.get(0),
    )
    .optional()
    .map_err(map_error)
}

type RawJob = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

fn raw_job(row: &Row<'_>) -> rusqlite::Result<RawJob> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
        row.get(10)?,
        row.get(11)?,
        row.get(12)?,
    ))
}

fn job(raw: RawJob) -> Result<SyncJob, StoreError> {
    let (
        tenant,
        id,
        platform,
        kind,
        trigger,
        targets,
        status,
        progress,
        created,
        started,
        finished,
        lease,
        version,
    ) = raw;
    let table = "sync_jobs";
    Ok(SyncJob {
        tenant: TenantId::parse(&tenant).map_err(|e| corrupt(table, e))?,
        id,
        platform: platform.parse().map_err(|e| corrupt(table, e))?,
        kind: kind.parse().map_err(|e| corrupt(table, e))?,
        trigger: parse_enum(table, &trigger)?,
        targets: targets
            .map(|t| serde_json::from_str(&t).map_err(|e| corrupt(table, e)))
            .transpose()?,
        status: parse_enum(table, &status)?,
        progress: serde_json::from_str(&progress).map_err(|e| corrupt(table, e))?,
        created_at: from_db_time(&created)?,
        started_at: optional_time(started)?,
        finished_at: optional_time(finished)?,
        lease_until: optional_time(lease)?,
        version,
    })
}

/// The stored cursor.
pub(super) fn cursor(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
    kind: ObjectKind,
) -> Result<Option<String>, StoreError> {
    c.prepare_cached(
        "SELECT position FROM sync_cursors WHERE tenant_id = ?1 AND platform = ?2 AND kind = ?3",
    )
    .map_err(map_error)?
    .query_row(
        params![tenant.as_str(), platform.as_str(), kind.as_str()],
        |row| row.get(0),
    )
    .optional()
    .map_err(map_error)
}

/// Stores a cursor.
pub(super) fn put_cursor(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
    kind: ObjectKind,
    cursor: &str,
    at: &DateTime<Utc>,
) -> Result<(), StoreError> {
    execute_cached(
        c,
        "INSERT INTO sync_cursors (tenant_id, platform, kind, position, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (tenant_id, platform, kind) DO UPDATE SET position = excluded.position,
             updated_at = excluded.updated_at",
        params![
            tenant.as_str(),
            platform.as_str(),
            kind.as_str(),
            cursor,
            to_db_time(at)
        ],
    )
    .map_err(map_error)?;
    Ok(())
}

const LINK_COLUMNS: &str = "tenant_id, platform, sku, remote_id, remote_variant_id, is_primary, \
                            remote_hash, pushed_hash, pushed_at, updated_at";

/// The links of `skus`.
pub(super) fn links(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
    skus: &[Sku],
) -> Result<Vec<SyncLink>, StoreError> {
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM sync_links WHERE tenant_id = ?1 AND platform = ?2 AND sku = ?3"
    );
    let mut statement = c.prepare_cached(&sql).map_err(map_error)?;
    let mut found = Vec::new();
    for sku in skus {
        let raw = statement
            .query_row(
                params![tenant.as_str(), platform.as_str(), sku.as_str()],
                raw_link,
            )
            .optional()
            .map_err(map_error)?;
        if let Some(raw) = raw {
            found.push(link(raw)?);
        }
    }
    Ok(found)
}

/// The links to one remote record.
pub(super) fn links_for_remote(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
    remote_id: &str,
) -> Result<Vec<SyncLink>, StoreError> {
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM sync_links
         WHERE tenant_id = ?1 AND platform = ?2 AND remote_id = ?3 ORDER BY sku"
    );
    let mut statement = c.prepare_cached(&sql).map_err(map_error)?;
    let rows = statement
        .query_map(
            params![tenant.as_str(), platform.as_str(), remote_id],
            raw_link,
        )
        .map_err(map_error)?;
    rows.map(|row| link(row.map_err(map_error)?)).collect()
}

/// A page of primary links by SKU.
pub(super) fn primary_links(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
    after: Option<&Sku>,
    limit: u32,
) -> Result<Vec<SyncLink>, StoreError> {
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM sync_links
         WHERE tenant_id = ?1 AND platform = ?2 AND is_primary = 1 AND (?3 IS NULL OR sku > ?3)
         ORDER BY sku LIMIT ?4"
    );
    let mut statement = c.prepare_cached(&sql).map_err(map_error)?;
    let rows = statement
        .query_map(
            params![
                tenant.as_str(),
                platform.as_str(),
                after.map(Sku::as_str),
                limit
            ],
            raw_link,
        )
        .map_err(map_error)?;
    rows.map(|row| link(row.map_err(map_error)?)).collect()
}

/// Upserts links in one transaction.
pub(super) fn put_links(c: &mut Connection, links: &[SyncLink]) -> Result<(), StoreError> {
    let tx = c.transaction().map_err(map_error)?;
    for link in links {
        execute_cached(
            &tx,
            "INSERT INTO sync_links (tenant_id, platform, sku, remote_id, remote_variant_id,
                 is_primary, remote_hash, pushed_hash, pushed_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (tenant_id, platform, sku) DO UPDATE SET
                 remote_id = excluded.remote_id, remote_variant_id = excluded.remote_variant_id,
                 is_primary = excluded.is_primary, remote_hash = excluded.remote_hash,
                 pushed_hash = excluded.pushed_hash, pushed_at = excluded.pushed_at,
                 updated_at = excluded.updated_at",
            params![
                link.tenant.as_str(),
                link.platform.as_str(),
                link.sku.as_str(),
                link.remote_id,
                link.remote_variant_id,
                link.primary,
                link.remote_hash,
                link.pushed_hash,
                link.pushed_at.as_ref().map(to_db_time),
                to_db_time(&link.updated_at),
            ],
        )
        .map_err(map_error)?;
    }
    tx.commit().map_err(map_error)
}

type RawLink = (
    String,
    String,
    String,
    String,
    Option<String>,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

fn raw_link(row: &Row<'_>) -> rusqlite::Result<RawLink> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
    ))
}

fn link(raw: RawLink) -> Result<SyncLink, StoreError> {
    let (
        tenant,
        platform,
        sku,
        remote_id,
        variant,
        primary,
        remote_hash,
        pushed_hash,
        pushed_at,
        updated_at,
    ) = raw;
    let table = "sync_links";
    Ok(SyncLink {
        tenant: TenantId::parse(&tenant).map_err(|e| corrupt(table, e))?,
        platform: platform.parse().map_err(|e| corrupt(table, e))?,
        sku: Sku::parse(&sku).map_err(|e| corrupt(table, e))?,
        remote_id,
        remote_variant_id: variant,
        primary,
        remote_hash,
        pushed_hash,
        pushed_at: optional_time(pushed_at)?,
        updated_at: from_db_time(&updated_at)?,
    })
}

const ISSUE_COLUMNS: &str = "id, platform, kind, record, code, message, detail, status, \
                             occurrences, first_seen, last_seen, last_job, resolved_at";

/// Records a job's problems in their inbox entries.
pub(super) fn record_problems(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
    job_id: &str,
    problems: &[SyncProblem],
    at: &DateTime<Utc>,
) -> Result<(), StoreError> {
    let tx = c.transaction().map_err(map_error)?;
    for problem in problems {
        execute_cached(
            &tx,
            "INSERT INTO sync_issues (tenant_id, id, platform, kind, record, code, message, detail,
                 status, occurrences, first_seen, last_seen, last_job, resolved_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'open', 1, ?9, ?9, ?10, NULL)
             ON CONFLICT (tenant_id, id) DO UPDATE SET message = excluded.message,
                 detail = excluded.detail, status = 'open', resolved_at = NULL,
                 occurrences = sync_issues.occurrences
                     + CASE WHEN sync_issues.last_job = excluded.last_job THEN 0 ELSE 1 END,
                 last_seen = excluded.last_seen, last_job = excluded.last_job",
            params![
                tenant.as_str(),
                problem.issue_id(platform),
                platform.as_str(),
                problem.kind.as_str(),
                problem.record,
                problem.code,
                problem.message,
                json_text(&problem.detail)?,
                to_db_time(at),
                job_id,
            ],
        )
        .map_err(map_error)?;
    }
    tx.commit().map_err(map_error)
}

/// One page of the inbox.
pub(super) fn list_issues(
    c: &mut Connection,
    tenant: &TenantId,
    query: &IssueQuery,
) -> Result<Vec<SyncIssue>, StoreError> {
    let sql = format!(
        "SELECT {ISSUE_COLUMNS} FROM sync_issues
         WHERE tenant_id = ?1 AND (?2 IS NULL OR platform = ?2) AND (?3 IS NULL OR status = ?3)
           AND (?4 IS NULL OR last_seen < ?4 OR (last_seen = ?4 AND id < ?5))
         ORDER BY last_seen DESC, id DESC LIMIT ?6"
    );
    let mut statement = c.prepare_cached(&sql).map_err(map_error)?;
    let rows = statement
        .query_map(
            params![
                tenant.as_str(),
                query.platform.map(Platform::as_str),
                query.status.map(enum_text),
                query.after.as_ref().map(|(at, _)| to_db_time(at)),
                query.after.as_ref().map(|(_, id)| id.as_str()),
                query.limit,
            ],
            raw_issue,
        )
        .map_err(map_error)?;
    rows.map(|row| issue(row.map_err(map_error)?)).collect()
}

/// One inbox entry.
pub(super) fn get_issue(
    c: &mut Connection,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<SyncIssue>, StoreError> {
    let sql = format!("SELECT {ISSUE_COLUMNS} FROM sync_issues WHERE tenant_id = ?1 AND id = ?2");
    let raw = c
        .prepare_cached(&sql)
        .map_err(map_error)?
        .query_row(params![tenant.as_str(), id], raw_issue)
        .optional()
        .map_err(map_error)?;
    raw.map(issue).transpose()
}

/// Sets an entry's status.
pub(super) fn set_issue_status(
    c: &mut Connection,
    tenant: &TenantId,
    id: &str,
    status: IssueStatus,
    at: &DateTime<Utc>,
) -> Result<Option<SyncIssue>, StoreError> {
    let resolved_at = (status == IssueStatus::Resolved).then(|| to_db_time(at));
    execute_cached(
        c,
        "UPDATE sync_issues SET status = ?3, resolved_at = ?4 WHERE tenant_id = ?1 AND id = ?2",
        params![tenant.as_str(), id, enum_text(status), resolved_at],
    )
    .map_err(map_error)?;
    get_issue(c, tenant, id)
}

type RawIssue = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
);

fn raw_issue(row: &Row<'_>) -> rusqlite::Result<RawIssue> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
        row.get(10)?,
        row.get(11)?,
        row.get(12)?,
    ))
}

fn issue(raw: RawIssue) -> Result<SyncIssue, StoreError> {
    let (
        id,
        platform,
        kind,
        record,
        code,
        message,
        detail,
        status,
        occurrences,
        first,
        last,
        job,
        resolved,
    ) = raw;
    let table = "sync_issues";
    Ok(SyncIssue {
        id,
        platform: platform.parse().map_err(|e| corrupt(table, e))?,
        kind: kind.parse().map_err(|e| corrupt(table, e))?,
        record,
        code,
        message,
        detail: serde_json::from_str(&detail).map_err(|e| corrupt(table, e))?,
        status: parse_enum(table, &status)?,
        occurrences,
        first_seen: from_db_time(&first)?,
        last_seen: from_db_time(&last)?,
        last_job: job,
        resolved_at: optional_time(resolved)?,
    })
}

/// One page of the tenant's orders by last change, with their lines.
pub(super) fn orders_changed(
    c: &mut Connection,
    tenant: &TenantId,
    after: Option<&OrderCursor>,
    limit: u32,
) -> Result<Vec<ChangedOrder>, StoreError> {
    let table = "orders";
    let mut statement = c
        .prepare_cached(
            "SELECT order_id, placed_at, currency, total_minor, tax_minor, shipping_minor,
                 customer_ref, channel, updated_at
             FROM orders
             WHERE tenant_id = ?1
               AND (?2 IS NULL OR updated_at > ?2 OR (updated_at = ?2 AND order_id > ?3))
             ORDER BY updated_at, order_id LIMIT ?4",
        )
        .map_err(map_error)?;
    let rows = statement
        .query_map(
            params![
                tenant.as_str(),
                after.map(|(at, _)| to_db_time(at)),
                after.map(|(_, id)| id.as_str()),
                limit
            ],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, Option<i64>>(4)?,
                    row.get::<_, Option<i64>>(5)?,
                    row.get::<_, Option<String>>(6)?,
                    row.get::<_, Option<String>>(7)?,
                    row.get::<_, String>(8)?,
                ))
            },
        )
        .map_err(map_error)?;
    let mut orders = Vec::new();
    for row in rows {
        let (order_id, placed_at, currency, total, tax, shipping, customer, channel, updated) =
            row.map_err(map_error)?;
        orders.push(ChangedOrder {
            order: OrderUpsert {
                order_id,
                placed_at: from_db_time(&placed_at)?,
                currency: crate::domain::Currency::parse(&currency)
                    .map_err(|e| corrupt(table, e))?,
                total_minor: total,
                tax_minor: tax,
                shipping_minor: shipping,
                customer_ref: customer,
                channel,
                lines: Vec::new(),
            },
            updated_at: from_db_time(&updated)?,
        });
    }
    drop(statement);
    let mut lines = c
        .prepare_cached(
            "SELECT sku, quantity, unit_price_minor FROM order_lines
             WHERE tenant_id = ?1 AND order_id = ?2 ORDER BY line_no",
        )
        .map_err(map_error)?;
    for changed in &mut orders {
        let rows = lines
            .query_map(params![tenant.as_str(), changed.order.order_id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            })
            .map_err(map_error)?;
        for row in rows {
            let (sku, quantity, unit_price_minor) = row.map_err(map_error)?;
            changed.order.lines.push(OrderLineUpsert {
                sku: Sku::parse(&sku).map_err(|e| corrupt("order_lines", e))?,
                quantity,
                unit_price_minor,
            });
        }
    }
    Ok(orders)
}
