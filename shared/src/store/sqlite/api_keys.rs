//! Tenant API keys: stored by hash, listed without it, revoked and touched in place.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::pool::BUSY_TIMEOUT_MS;
use super::{from_db_time, map_error, query_row_cached, to_db_time};
use crate::store::*;

/// Stores `key`.
pub(super) fn add(c: &mut Connection, key: &ApiKeyRecord) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO api_keys (id, tenant_id, key_hash, name, created_at, scopes, prefix)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            key.id,
            key.tenant.as_str(),
            key.key_hash,
            key.name,
            to_db_time(&key.created_at),
            scopes_to_db(&key.scopes),
            key.prefix
        ],
    )
    .map_err(map_error)?;
    Ok(())
}

/// The key whose hash is `hash`.
pub(super) fn for_hash(c: &mut Connection, hash: &str) -> Result<Option<ApiKeyMatch>, StoreError> {
    let found: Option<(String, String, String, bool)> = c
        .query_row(
            "SELECT id, tenant_id, scopes, revoked_at IS NOT NULL FROM api_keys
             WHERE key_hash = ?1",
            [hash],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .optional()
        .map_err(map_error)?;
    found
        .map(|(id, tenant, scopes, revoked)| {
            Ok(ApiKeyMatch {
                id,
                tenant: tenant_from_db(&tenant)?,
                scopes: scopes_from_db(&scopes)?,
                revoked,
            })
        })
        .transpose()
}

type KeyRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// The tenant's keys, oldest first.
pub(super) fn list(c: &mut Connection, tenant: &TenantId) -> Result<Vec<ApiKeyView>, StoreError> {
    let mut statement = c
        .prepare(
            "SELECT id, name, prefix, scopes, created_at, last_used_at, revoked_at
             FROM api_keys WHERE tenant_id = ?1 ORDER BY created_at, id",
        )
        .map_err(map_error)?;
    let rows: Vec<KeyRow> = statement
        .query_map([tenant.as_str()], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
            ))
        })
        .map_err(map_error)?
        .collect::<Result<_, _>>()
        .map_err(map_error)?;
    rows.into_iter()
        .map(|(id, name, prefix, scopes, created, used, revoked)| {
            Ok(ApiKeyView {
                id,
                name,
                prefix,
                scopes: scopes_from_db(&scopes)?,
                created_at: from_db_time(&created)?,
                last_used_at: used.as_deref().map(from_db_time).transpose()?,
                revoked_at: revoked.as_deref().map(from_db_time).transpose()?,
            })
        })
        .collect()
}

/// Revokes the tenant's key `id`; whether the tenant has it.
pub(super) fn revoke(
    c: &mut Connection,
    tenant: &TenantId,
    id: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = c
        .execute(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?3)
             WHERE tenant_id = ?1 AND id = ?2",
            params![tenant.as_str(), id, to_db_time(&at)],
        )
        .map_err(map_error)?;
    Ok(changed > 0)
}

/// Whether key `id` has no use recorded within the interval before `at`, so [`touch`] would
/// write. An unknown key is not stale: there is nothing to record.
pub(super) fn is_stale(
    c: &mut Connection,
    id: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let stale_before = at - Duration::seconds(TOUCH_INTERVAL_SECONDS);
    query_row_cached(
        c,
        "SELECT 1 FROM api_keys WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at <= ?2)",
        params![id, to_db_time(&stale_before)],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
    .map_err(map_error)
}

/// Records a use of key `id` unless one was recorded within the interval.
pub(super) fn touch(c: &mut Connection, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
    let stale_before = at - Duration::seconds(TOUCH_INTERVAL_SECONDS);
    // Bookkeeping: behind another writer's long transaction it gives up at once rather than
    // hold every read with this key for the whole busy timeout (the caller only logs it).
    c.busy_timeout(TOUCH_BUSY_TIMEOUT).map_err(map_error)?;
    let touched = c.execute(
        "UPDATE api_keys SET last_used_at = ?2
         WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at <= ?3)",
        params![id, to_db_time(&at), to_db_time(&stale_before)],
    );
    c.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS.into()))
        .map_err(map_error)?;
    touched.map_err(map_error)?;
    Ok(())
}

/// How long recording a key's use waits for another writer before giving up.
const TOUCH_BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(50);
