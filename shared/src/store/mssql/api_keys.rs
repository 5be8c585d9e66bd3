//! Tenant API keys: stored by hash, listed without it, revoked and touched in place.

use chrono::{DateTime, Duration, Utc};

use super::config::Connection;
use super::rows::{exec, query, required_text, required_time, time, to_db_time};
use super::sql;
use crate::store::*;

/// Stores `key`.
pub(super) async fn add(c: &mut Connection, key: &ApiKeyRecord) -> Result<(), StoreError> {
    let scopes = scopes_to_db(&key.scopes);
    let created = to_db_time(&key.created_at);
    let params: [&dyn tiberius::ToSql; 7] = [
        &key.id,
        &key.tenant.as_str(),
        &key.key_hash,
        &key.name,
        &created,
        &scopes,
        &key.prefix,
    ];
    exec(c, sql::ADD_API_KEY, &params).await.map(drop)
}

/// The key whose hash is `hash`.
pub(super) async fn for_hash(
    c: &mut Connection,
    hash: &str,
) -> Result<Option<ApiKeyMatch>, StoreError> {
    let rows = query(c, sql::KEY_FOR_HASH, &[&hash]).await?;
    rows.first()
        .map(|row| {
            Ok(ApiKeyMatch {
                id: required_text(row, 0, "api_keys.id")?,
                tenant: tenant_from_db(&required_text(row, 1, "api_keys.tenant_id")?)?,
                scopes: scopes_from_db(&required_text(row, 2, "api_keys.scopes")?)?,
                revoked: time(row, 3, "api_keys.revoked_at")?.is_some(),
            })
        })
        .transpose()
}

/// The tenant's keys, oldest first.
pub(super) async fn list(
    c: &mut Connection,
    tenant: &TenantId,
) -> Result<Vec<ApiKeyView>, StoreError> {
    let tenant = tenant.as_str();
    let rows = query(c, sql::LIST_API_KEYS, &[&tenant]).await?;
    rows.iter()
        .map(|row| {
            Ok(ApiKeyView {
                id: required_text(row, 0, "api_keys.id")?,
                name: required_text(row, 1, "api_keys.name")?,
                prefix: required_text(row, 2, "api_keys.prefix")?,
                scopes: scopes_from_db(&required_text(row, 3, "api_keys.scopes")?)?,
                created_at: required_time(row, 4, "api_keys.created_at")?,
                last_used_at: time(row, 5, "api_keys.last_used_at")?,
                revoked_at: time(row, 6, "api_keys.revoked_at")?,
            })
        })
        .collect()
}

/// Revokes the tenant's key `id`; whether the tenant has it.
pub(super) async fn revoke(
    c: &mut Connection,
    tenant: &TenantId,
    id: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let (tenant, at) = (tenant.as_str(), to_db_time(&at));
    Ok(exec(c, sql::REVOKE_API_KEY, &[&tenant, &id, &at]).await? > 0)
}

/// Records a use of key `id` unless one was recorded within the interval.
pub(super) async fn touch(
    c: &mut Connection,
    id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let stale_before = to_db_time(&(at - Duration::seconds(TOUCH_INTERVAL_SECONDS)));
    let at = to_db_time(&at);
    exec(c, sql::TOUCH_API_KEY, &[&id, &at, &stale_before])
        .await
        .map(drop)
}
