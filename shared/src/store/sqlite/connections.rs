//! Platform connections.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{execute_cached, from_db_time, map_error, to_db_time};
use crate::connections::Platform;
use crate::store::*;

const COLUMNS: &str = "tenant_id, platform, settings, secrets, created_at, updated_at, version";

/// Inserts or replaces the connection; answers the stored row.
pub(super) fn put(
    c: &mut Connection,
    record: &ConnectionRecord,
) -> Result<ConnectionRecord, StoreError> {
    let settings =
        serde_json::to_string(&record.settings).map_err(|e| StoreError::Database(e.to_string()))?;
    let now = to_db_time(&record.updated_at);
    execute_cached(
        c,
        "INSERT INTO platform_connections
             (tenant_id, platform, settings, secrets, created_at, updated_at, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, 1)
         ON CONFLICT (tenant_id, platform) DO UPDATE SET settings = excluded.settings,
             secrets = excluded.secrets, updated_at = excluded.updated_at,
             version = platform_connections.version + 1",
        params![
            record.tenant.as_str(),
            record.platform.as_str(),
            settings,
            record.secrets,
            now
        ],
    )
    .map_err(map_error)?;
    get(c, &record.tenant, record.platform)?
        .ok_or_else(|| StoreError::Database("the connection vanished as it was stored".into()))
}

/// The tenant's connection to `platform`.
pub(super) fn get(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
) -> Result<Option<ConnectionRecord>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM platform_connections WHERE tenant_id = ?1 AND platform = ?2"
    );
    let raw = c
        .prepare_cached(&sql)
        .map_err(map_error)?
        .query_row(params![tenant.as_str(), platform.as_str()], raw_row)
        .optional()
        .map_err(map_error)?;
    raw.map(record).transpose()
}

/// The tenant's connections, by platform name.
pub(super) fn list(
    c: &mut Connection,
    tenant: &TenantId,
) -> Result<Vec<ConnectionRecord>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM platform_connections WHERE tenant_id = ?1 ORDER BY platform"
    );
    let mut statement = c.prepare_cached(&sql).map_err(map_error)?;
    let rows = statement
        .query_map([tenant.as_str()], raw_row)
        .map_err(map_error)?;
    rows.map(|row| record(row.map_err(map_error)?)).collect()
}

/// Every tenant's connections.
pub(super) fn all(c: &mut Connection) -> Result<Vec<ConnectionRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM platform_connections ORDER BY tenant_id, platform");
    let mut statement = c.prepare_cached(&sql).map_err(map_error)?;
    let rows = statement.query_map([], raw_row).map_err(map_error)?;
    rows.map(|row| record(row.map_err(map_error)?)).collect()
}

/// Deletes the tenant's connection to `platform`; `false` when there was none.
pub(super) fn delete(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
) -> Result<bool, StoreError> {
    let deleted = execute_cached(
        c,
        "DELETE FROM platform_connections WHERE tenant_id = ?1 AND platform = ?2",
        params![tenant.as_str(), platform.as_str()],
    )
    .map_err(map_error)?;
    Ok(deleted > 0)
}

type RawRow = (String, String, String, String, String, String, i64);

fn raw_row(row: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn record(raw: RawRow) -> Result<ConnectionRecord, StoreError> {
    let (tenant, platform, settings, secrets, created_at, updated_at, version) = raw;
    let corrupt = |what: String| StoreError::Corrupt(format!("platform_connections: {what}"));
    Ok(ConnectionRecord {
        tenant: TenantId::parse(&tenant).map_err(|e| corrupt(e.to_string()))?,
        platform: platform.parse().map_err(corrupt)?,
        settings: serde_json::from_str(&settings).map_err(|e| corrupt(e.to_string()))?,
        secrets,
        created_at: from_db_time(&created_at)?,
        updated_at: from_db_time(&updated_at)?,
        version,
    })
}
