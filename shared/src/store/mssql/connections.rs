//! Platform connections.

use tiberius::Row;

use super::config::Connection;
use super::rows::{exec, query, required_int, required_text, required_time, to_db_time};
use super::sql;
use crate::connections::Platform;
use crate::store::*;

/// Inserts or replaces the connection and reads it back, in the caller's transaction.
pub(super) async fn put(
    c: &mut Connection,
    record: &ConnectionRecord,
) -> Result<ConnectionRecord, StoreError> {
    let settings =
        serde_json::to_string(&record.settings).map_err(|e| StoreError::Database(e.to_string()))?;
    let (tenant, platform) = (record.tenant.as_str(), record.platform.as_str());
    let now = to_db_time(&record.updated_at);
    exec(
        c,
        sql::PUT_CONNECTION,
        &[
            &tenant,
            &platform,
            &settings,
            &record.secrets.as_str(),
            &now,
        ],
    )
    .await?;
    get(c, &record.tenant, record.platform)
        .await?
        .ok_or_else(|| StoreError::Database("the connection vanished as it was stored".into()))
}

/// The tenant's connection to `platform`.
pub(super) async fn get(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
) -> Result<Option<ConnectionRecord>, StoreError> {
    let rows = query(
        c,
        sql::GET_CONNECTION,
        &[&tenant.as_str(), &platform.as_str()],
    )
    .await?;
    rows.first().map(record).transpose()
}

/// The tenant's connections, by platform name.
pub(super) async fn list(
    c: &mut Connection,
    tenant: &TenantId,
) -> Result<Vec<ConnectionRecord>, StoreError> {
    let rows = query(c, sql::LIST_CONNECTIONS, &[&tenant.as_str()]).await?;
    rows.iter().map(record).collect()
}

/// Every tenant's connections, by tenant then platform.
pub(super) async fn all(c: &mut Connection) -> Result<Vec<ConnectionRecord>, StoreError> {
    let rows = query(c, sql::ALL_CONNECTIONS, &[]).await?;
    rows.iter().map(record).collect()
}

/// Deletes the tenant's connection to `platform`; `false` when there was none.
pub(super) async fn delete(
    c: &mut Connection,
    tenant: &TenantId,
    platform: Platform,
) -> Result<bool, StoreError> {
    let params: [&dyn tiberius::ToSql; 2] = [&tenant.as_str(), &platform.as_str()];
    Ok(exec(c, sql::DELETE_CONNECTION, &params).await? > 0)
}

fn record(row: &Row) -> Result<ConnectionRecord, StoreError> {
    let corrupt = |what: String| StoreError::Corrupt(format!("platform_connections: {what}"));
    let settings = required_text(row, 2, "platform_connections.settings")?;
    Ok(ConnectionRecord {
        tenant: tenant_from_db(&required_text(row, 0, "platform_connections.tenant_id")?)?,
        platform: required_text(row, 1, "platform_connections.platform")?
            .parse()
            .map_err(corrupt)?,
        settings: serde_json::from_str(&settings).map_err(|e| corrupt(e.to_string()))?,
        secrets: required_text(row, 3, "platform_connections.secrets")?,
        created_at: required_time(row, 4, "platform_connections.created_at")?,
        updated_at: required_time(row, 5, "platform_connections.updated_at")?,
        version: required_int(row, 6, "platform_connections.version")?,
    })
}
