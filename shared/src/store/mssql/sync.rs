//! The sync engine's rows: jobs, cursors, links and the error inbox, with the semantics of the
//! SQLite adapter's `sync` module.

use chrono::{DateTime, Utc};
use tiberius::{Row, ToSql};

use super::config::Connection;
use super::rows::{
    exec, flag, query, required_int, required_text, required_time, text, time, to_db_time,
};
use super::sql;
use crate::connections::{ObjectKind, Platform};
use crate::store::json_columns::{enum_text, json_text, parse_enum};
use crate::store::*;

fn corrupt(table: &str, what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{table}: {what}"))
}

/// Inserts `job` unless its id is taken, and reads the stored job back; answers it and whether
/// this call made it. The caller holds the transaction.
pub(super) async fn create_job(
    c: &mut Connection,
    job: &SyncJob,
) -> Result<(SyncJob, bool), StoreError> {
    let targets = job.targets.as_ref().map(json_text).transpose()?;
    let (trigger, status) = (enum_text(job.trigger), enum_text(job.status));
    let progress = json_text(&job.progress)?;
    let created = to_db_time(&job.created_at);
    let started = job.started_at.as_ref().map(to_db_time);
    let finished = job.finished_at.as_ref().map(to_db_time);
    let lease = job.lease_until.as_ref().map(to_db_time);
    let params: [&dyn ToSql; 13] = [
        &job.tenant.as_str(),
        &job.id.as_str(),
        &job.platform.as_str(),
        &job.kind.as_str(),
        &trigger,
        &targets,
        &status,
        &progress,
        &created,
        &started,
        &finished,
        &lease,
        &job.version,
    ];
    let made = exec(c, sql::CREATE_SYNC_JOB, &params).await? > 0;
    let stored = get_job(c, &job.tenant, &job.id)
        .await?
        .ok_or_else(|| StoreError::Database("the sync job vanished as it was stored".into()))?;
    Ok((stored, made))
}

/// The tenant's job `id`.
pub(super) async fn get_job(
    c: &mut Connection,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<SyncJob>, StoreError> {
    let rows = query(c, sql::GET_SYNC_JOB, &[&tenant.as_str(), &id]).await?;
    rows.first().map(read_job).transpose()
}

/// One page of the tenant's jobs, newest first.
pub(super) async fn list_jobs(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Option<Platform>,
    after: Option<&SyncJobCursor>,
    limit: u32,
) -> Result<Vec<SyncJob>, StoreError> {
    let limit = i64::from(limit);
    let platform = platform.map(Platform::as_str);
    let at = after.map(|(at, _)| to_db_time(at));
    let id = after.map(|(_, id)| id.as_str());
    let params: [&dyn ToSql; 5] = [&limit, &tenant.as_str(), &platform, &at, &id];
    let rows = query(c, sql::LIST_SYNC_JOBS, &params).await?;
    rows.iter().map(read_job).collect()
}

/// Writes `job` if it is still at its version; `false` when another writer moved it on.
pub(super) async fn save_job(c: &mut Connection, job: &SyncJob) -> Result<bool, StoreError> {
    write_job(c, job, false).await
}

/// Writes `job` if it is still at its version and no other job of its connection and kind
/// runs; `false` otherwise. One statement, whose check holds its locks until it commits.
pub(super) async fn claim_job(c: &mut Connection, job: &SyncJob) -> Result<bool, StoreError> {
    write_job(c, job, true).await
}

async fn write_job(c: &mut Connection, job: &SyncJob, alone: bool) -> Result<bool, StoreError> {
    let status = enum_text(job.status);
    let progress = json_text(&job.progress)?;
    let started = job.started_at.as_ref().map(to_db_time);
    let finished = job.finished_at.as_ref().map(to_db_time);
    let lease = job.lease_until.as_ref().map(to_db_time);
    let params: [&dyn ToSql; 10] = [
        &job.tenant.as_str(),
        &job.id.as_str(),
        &status,
        &progress,
        &started,
        &finished,
        &lease,
        &job.version,
        &job.platform.as_str(),
        &job.kind.as_str(),
    ];
    let (sql, params) = if alone {
        (sql::CLAIM_SYNC_JOB, &params[..])
    } else {
        (sql::SAVE_SYNC_JOB, &params[..8])
    };
    Ok(exec(c, sql, params).await? > 0)
}

/// The oldest queued job of the tenant's `platform` and `kind`.
pub(super) async fn next_queued_job(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
    kind: ObjectKind,
) -> Result<Option<String>, StoreError> {
    let params: [&dyn ToSql; 3] = [&tenant.as_str(), &platform.as_str(), &kind.as_str()];
    let rows = query(c, sql::NEXT_QUEUED_SYNC_JOB, &params).await?;
    rows.first()
        .map(|row| required_text(row, 0, "sync_jobs.id"))
        .transpose()
}

fn read_job(row: &Row) -> Result<SyncJob, StoreError> {
    let table = "sync_jobs";
    let targets = text(row, 5, "sync_jobs.targets")?;
    let progress = required_text(row, 7, "sync_jobs.progress")?;
    Ok(SyncJob {
        tenant: TenantId::parse(&required_text(row, 0, "sync_jobs.tenant_id")?)
            .map_err(|e| corrupt(table, e))?,
        id: required_text(row, 1, "sync_jobs.id")?,
        platform: required_text(row, 2, "sync_jobs.platform")?
            .parse()
            .map_err(|e| corrupt(table, e))?,
        kind: required_text(row, 3, "sync_jobs.kind")?
            .parse()
            .map_err(|e| corrupt(table, e))?,
        trigger: parse_enum(table, &required_text(row, 4, "sync_jobs.trigger")?)?,
        targets: targets
            .map(|t| serde_json::from_str(&t).map_err(|e| corrupt(table, e)))
            .transpose()?,
        status: parse_enum(table, &required_text(row, 6, "sync_jobs.status")?)?,
        progress: serde_json::from_str(&progress).map_err(|e| corrupt(table, e))?,
        created_at: required_time(row, 8, "sync_jobs.created_at")?,
        started_at: time(row, 9, "sync_jobs.started_at")?,
        finished_at: time(row, 10, "sync_jobs.finished_at")?,
        lease_until: time(row, 11, "sync_jobs.lease_until")?,
        version: required_int(row, 12, "sync_jobs.version")?,
    })
}

/// The stored cursor of the tenant's `platform` pull of `kind`.
pub(super) async fn cursor(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
    kind: ObjectKind,
) -> Result<Option<String>, StoreError> {
    let params: [&dyn ToSql; 3] = [&tenant.as_str(), &platform.as_str(), &kind.as_str()];
    let rows = query(c, sql::GET_SYNC_CURSOR, &params).await?;
    rows.first()
        .map(|row| required_text(row, 0, "sync_cursors.position"))
        .transpose()
}

/// Inserts or replaces the cursor.
pub(super) async fn put_cursor(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
    kind: ObjectKind,
    position: &str,
    at: &DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = to_db_time(at);
    let params: [&dyn ToSql; 5] = [
        &tenant.as_str(),
        &platform.as_str(),
        &kind.as_str(),
        &position,
        &at,
    ];
    exec(c, sql::PUT_SYNC_CURSOR, &params).await.map(drop)
}

/// The links of `skus` that have one, in their order, in one round trip.
pub(super) async fn links(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
    skus: &[Sku],
) -> Result<Vec<SyncLink>, StoreError> {
    if skus.is_empty() {
        return Ok(Vec::new());
    }
    let skus = json_text(&skus.iter().map(Sku::as_str).collect::<Vec<_>>())?;
    let params: [&dyn ToSql; 3] = [&tenant.as_str(), &platform.as_str(), &skus];
    let rows = query(c, &sql::sync_links_for_skus(), &params).await?;
    rows.iter().map(read_link).collect()
}

/// The links to one remote record, by SKU.
pub(super) async fn links_for_remote(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
    remote_id: &str,
) -> Result<Vec<SyncLink>, StoreError> {
    let params: [&dyn ToSql; 3] = [&tenant.as_str(), &platform.as_str(), &remote_id];
    let rows = query(c, &sql::sync_links_for_remote(), &params).await?;
    rows.iter().map(read_link).collect()
}

/// A page of primary links by SKU.
pub(super) async fn primary_links(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
    after: Option<&Sku>,
    limit: u32,
) -> Result<Vec<SyncLink>, StoreError> {
    let limit = i64::from(limit);
    let after = after.map(Sku::as_str);
    let params: [&dyn ToSql; 4] = [&limit, &tenant.as_str(), &platform.as_str(), &after];
    let rows = query(c, &sql::primary_sync_links(), &params).await?;
    rows.iter().map(read_link).collect()
}

/// Inserts or replaces each link. The caller holds the transaction, so all land or none.
pub(super) async fn put_links(c: &mut Connection, links: &[SyncLink]) -> Result<(), StoreError> {
    for link in links {
        let pushed_at = link.pushed_at.as_ref().map(to_db_time);
        let updated_at = to_db_time(&link.updated_at);
        let params: [&dyn ToSql; 10] = [
            &link.tenant.as_str(),
            &link.platform.as_str(),
            &link.sku.as_str(),
            &link.remote_id.as_str(),
            &link.remote_variant_id.as_deref(),
            &link.primary,
            &link.remote_hash.as_deref(),
            &link.pushed_hash.as_deref(),
            &pushed_at,
            &updated_at,
        ];
        exec(c, sql::PUT_SYNC_LINK, &params).await?;
    }
    Ok(())
}

fn read_link(row: &Row) -> Result<SyncLink, StoreError> {
    let table = "sync_links";
    Ok(SyncLink {
        tenant: TenantId::parse(&required_text(row, 0, "sync_links.tenant_id")?)
            .map_err(|e| corrupt(table, e))?,
        platform: required_text(row, 1, "sync_links.platform")?
            .parse()
            .map_err(|e| corrupt(table, e))?,
        sku: Sku::parse(&required_text(row, 2, "sync_links.sku")?)
            .map_err(|e| corrupt(table, e))?,
        remote_id: required_text(row, 3, "sync_links.remote_id")?,
        remote_variant_id: text(row, 4, "sync_links.remote_variant_id")?,
        primary: flag(row, 5, "sync_links.is_primary")?.unwrap_or(false),
        remote_hash: text(row, 6, "sync_links.remote_hash")?,
        pushed_hash: text(row, 7, "sync_links.pushed_hash")?,
        pushed_at: time(row, 8, "sync_links.pushed_at")?,
        updated_at: required_time(row, 9, "sync_links.updated_at")?,
    })
}

/// Records a job's problems in their inbox entries. The caller holds the transaction.
pub(super) async fn record_problems(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
    job_id: &str,
    problems: &[SyncProblem],
    at: &DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = to_db_time(at);
    for problem in problems {
        let id = problem.issue_id(platform);
        let detail = json_text(&problem.detail)?;
        let params: [&dyn ToSql; 10] = [
            &tenant.as_str(),
            &id,
            &platform.as_str(),
            &problem.kind.as_str(),
            &problem.record.as_str(),
            &problem.code.as_str(),
            &problem.message.as_str(),
            &detail,
            &at,
            &job_id,
        ];
        exec(c, sql::RECORD_SYNC_PROBLEM, &params).await?;
    }
    Ok(())
}

/// One page of the inbox, most recently met first.
pub(super) async fn list_issues(
    c: &mut Connection,
    tenant: &TenantId,
    wanted: &IssueQuery,
) -> Result<Vec<SyncIssue>, StoreError> {
    let limit = i64::from(wanted.limit);
    let platform = wanted.platform.map(Platform::as_str);
    let status = wanted.status.map(enum_text);
    let at = wanted.after.as_ref().map(|(at, _)| to_db_time(at));
    let id = wanted.after.as_ref().map(|(_, id)| id.as_str());
    let params: [&dyn ToSql; 6] = [&limit, &tenant.as_str(), &platform, &status, &at, &id];
    let rows = query(c, &sql::list_sync_issues(), &params).await?;
    rows.iter().map(read_issue).collect()
}

/// The tenant's inbox entry `id`.
pub(super) async fn get_issue(
    c: &mut Connection,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<SyncIssue>, StoreError> {
    let rows = query(c, &sql::get_sync_issue(), &[&tenant.as_str(), &id]).await?;
    rows.first().map(read_issue).transpose()
}

/// Sets an entry's status, stamping `resolved_at` when resolved and clearing it when reopened,
/// and reads it back; `None` when the tenant has no such entry. The caller holds the
/// transaction.
pub(super) async fn set_issue_status(
    c: &mut Connection,
    tenant: &TenantId,
    id: &str,
    status: IssueStatus,
    at: &DateTime<Utc>,
) -> Result<Option<SyncIssue>, StoreError> {
    let resolved_at = (status == IssueStatus::Resolved).then(|| to_db_time(at));
    let status = enum_text(status);
    let params: [&dyn ToSql; 4] = [&tenant.as_str(), &id, &status, &resolved_at];
    exec(c, sql::SET_SYNC_ISSUE_STATUS, &params).await?;
    get_issue(c, tenant, id).await
}

fn read_issue(row: &Row) -> Result<SyncIssue, StoreError> {
    let table = "sync_issues";
    let detail = required_text(row, 6, "sync_issues.detail")?;
    Ok(SyncIssue {
        id: required_text(row, 0, "sync_issues.id")?,
        platform: required_text(row, 1, "sync_issues.platform")?
            .parse()
            .map_err(|e| corrupt(table, e))?,
        kind: required_text(row, 2, "sync_issues.kind")?
            .parse()
            .map_err(|e| corrupt(table, e))?,
        record: required_text(row, 3, "sync_issues.record")?,
        code: required_text(row, 4, "sync_issues.code")?,
        message: required_text(row, 5, "sync_issues.message")?,
        detail: serde_json::from_str(&detail).map_err(|e| corrupt(table, e))?,
        status: parse_enum(table, &required_text(row, 7, "sync_issues.status")?)?,
        occurrences: required_int(row, 8, "sync_issues.occurrences")?,
        first_seen: required_time(row, 9, "sync_issues.first_seen")?,
        last_seen: required_time(row, 10, "sync_issues.last_seen")?,
        last_job: required_text(row, 11, "sync_issues.last_job")?,
        resolved_at: time(row, 12, "sync_issues.resolved_at")?,
    })
}

/// One page of the tenant's orders by last change, with their lines.
pub(super) async fn orders_changed(
    c: &mut Connection,
    tenant: &TenantId,
    after: Option<&OrderCursor>,
    limit: u32,
) -> Result<Vec<ChangedOrder>, StoreError> {
    let table = "orders";
    let limit = i64::from(limit);
    let at = after.map(|(at, _)| to_db_time(at));
    let id = after.map(|(_, id)| id.as_str());
    let params: [&dyn ToSql; 4] = [&limit, &tenant.as_str(), &at, &id];
    let rows = query(c, sql::ORDERS_CHANGED_SINCE, &params).await?;
    let mut orders = Vec::with_capacity(rows.len());
    for row in &rows {
        let currency = required_text(row, 2, table)?;
        orders.push(ChangedOrder {
            order: OrderUpsert {
                order_id: required_text(row, 0, table)?,
                placed_at: required_time(row, 1, table)?,
                currency: crate::domain::Currency::parse(&currency)
                    .map_err(|e| corrupt(table, e))?,
                total_minor: required_int(row, 3, table)?,
                tax_minor: super::rows::int(row, 4, table)?,
                shipping_minor: super::rows::int(row, 5, table)?,
                customer_ref: text(row, 6, table)?,
                channel: text(row, 7, table)?,
                lines: Vec::new(),
            },
            updated_at: required_time(row, 8, table)?,
        });
    }
    if orders.is_empty() {
        return Ok(orders);
    }
    let ids: Vec<&str> = orders.iter().map(|o| o.order.order_id.as_str()).collect();
    let ids = json_text(&ids)?;
    let lines = query(c, sql::LINES_OF_ORDERS, &[&tenant.as_str(), &ids]).await?;
    for row in &lines {
        let order_id = required_text(row, 0, "order_lines")?;
        let sku = required_text(row, 1, "order_lines")?;
        let line = OrderLineUpsert {
            sku: Sku::parse(&sku).map_err(|e| corrupt("order_lines", e))?,
            quantity: required_int(row, 2, "order_lines")?,
            unit_price_minor: required_int(row, 3, "order_lines")?,
        };
        if let Some(changed) = orders.iter_mut().find(|o| o.order.order_id == order_id) {
            changed.order.lines.push(line);
        }
    }
    Ok(orders)
}
