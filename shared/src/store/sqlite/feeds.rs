//! Mapping profiles, stock levels and orders.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::ingest::record_rejected;
use super::rollups::{apply_delta, facts_of, stored_facts, tenant_zone};
use super::{execute_cached, from_db_time, map_error, query_row_cached, to_db_time};
use crate::analytics::Rollup;
use crate::store::*;

/// Stores profile `name`, replacing one of that name.
pub(super) fn put_profile(
    c: &mut Connection,
    tenant: &TenantId,
    name: &str,
    body: &serde_json::Value,
) -> Result<(), StoreError> {
    let body = serde_json::to_string(body).map_err(|e| StoreError::Database(e.to_string()))?;
    execute_cached(
        c,
        "INSERT INTO mapping_profiles (tenant_id, name, body, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (tenant_id, name) DO UPDATE SET body = excluded.body,
             updated_at = excluded.updated_at",
        params![tenant.as_str(), name, body, to_db_time(&Utc::now())],
    )
    .map_err(map_error)?;
    Ok(())
}

/// Profile `name`, parsed.
pub(super) fn get_profile(
    c: &mut Connection,
    tenant: &TenantId,
    name: &str,
) -> Result<Option<serde_json::Value>, StoreError> {
    let body: Option<String> = query_row_cached(
        c,
        "SELECT body FROM mapping_profiles WHERE tenant_id = ?1 AND name = ?2",
        params![tenant.as_str(), name],
        |row| row.get(0),
    )
    .optional()
    .map_err(map_error)?;
    body.map(|b| {
        serde_json::from_str(&b).map_err(|e| StoreError::Corrupt(format!("mapping profile: {e}")))
    })
    .transpose()
}

/// Deletes profile `name`; `false` when there was none.
pub(super) fn delete_profile(
    c: &mut Connection,
    tenant: &TenantId,
    name: &str,
) -> Result<bool, StoreError> {
    let deleted = execute_cached(
        c,
        "DELETE FROM mapping_profiles WHERE tenant_id = ?1 AND name = ?2",
        params![tenant.as_str(), name],
    )
    .map_err(map_error)?;
    Ok(deleted > 0)
}

/// The tenant's profiles by name.
pub(super) fn list_profiles(
    c: &mut Connection,
    tenant: &TenantId,
) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
    let mut statement = c
        .prepare("SELECT name, updated_at FROM mapping_profiles WHERE tenant_id = ?1 ORDER BY name")
        .map_err(map_error)?;
    let rows = statement
        .query_map([tenant.as_str()], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(map_error)?;
    rows.map(|row| {
        let (name, at) = row.map_err(map_error)?;
        Ok((name, from_db_time(&at)?))
    })
    .collect()
}

/// Upserts `levels` and records `rejected` for `run`, in one transaction.
pub(super) fn apply_inventory(
    c: &mut Connection,
    run: &IngestRun,
    levels: &[InventoryUpsert],
    rejected: &[RejectedRow],
) -> Result<BatchOutcome, StoreError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_error)?;
    let mut outcome = BatchOutcome::default();
    let now = to_db_time(&Utc::now());
    let tenant = run.tenant.as_str();
    for level in levels {
        let stored: Option<(i64, Option<String>)> = query_row_cached(
            &tx,
            "SELECT quantity, as_of FROM inventory_levels
                 WHERE tenant_id = ?1 AND sku = ?2 AND location = ?3",
            params![tenant, level.sku.as_str(), level.location],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(map_error)?;
        let as_of = level.as_of.as_ref().map(to_db_time);
        match &stored {
            // Older than what is stored (both dated), or exactly what is stored.
            Some((_, Some(stored_at))) if as_of.as_ref().is_some_and(|at| at < stored_at) => {
                outcome.unchanged += 1;
                continue;
            }
            Some((quantity, stored_at)) if *quantity == level.quantity && *stored_at == as_of => {
                outcome.unchanged += 1;
                continue;
            }
            Some(_) => outcome.updated += 1,
            None => outcome.inserted += 1,
        }
        execute_cached(
            &tx,
            "INSERT INTO inventory_levels (tenant_id, sku, location, quantity, as_of, source_run,
                 updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (tenant_id, sku, location) DO UPDATE SET quantity = excluded.quantity,
                 as_of = excluded.as_of, source_run = excluded.source_run,
                 updated_at = excluded.updated_at",
            params![
                tenant,
                level.sku.as_str(),
                level.location,
                level.quantity,
                as_of,
                run.id,
                now
            ],
        )
        .map_err(map_error)?;
    }
    record_rejected(&tx, run, rejected)?;
    tx.commit().map_err(map_error)?;
    Ok(outcome)
}

/// Upserts `orders` (lines replaced when an order changed) and records `rejected` for `run`,
/// in one transaction.
pub(super) fn apply_orders(
    c: &mut Connection,
    run: &IngestRun,
    orders: &[OrderUpsert],
    rejected: &[RejectedRow],
) -> Result<BatchOutcome, StoreError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_error)?;
    let mut outcome = BatchOutcome::default();
    let now = to_db_time(&Utc::now());
    let tenant = run.tenant.as_str();
    // Read once per batch: the zone only changes under a lock on the tenant's row that this
    // transaction would wait for.
    let zone = tenant_zone(&tx, tenant)?;
    let mut rollup = Rollup::default();
    for order in orders {
        let hash = order.content_hash();
        let stored: Option<String> = query_row_cached(
            &tx,
            "SELECT content_hash FROM orders WHERE tenant_id = ?1 AND order_id = ?2",
            params![tenant, order.order_id],
            |row| row.get(0),
        )
        .optional()
        .map_err(map_error)?;
        match stored {
            Some(stored) if stored == hash => {
                outcome.unchanged += 1;
                continue;
            }
            Some(_) => {
                outcome.updated += 1;
                if let Some(old) = stored_facts(&tx, tenant, &order.order_id, zone)? {
                    rollup.add(-1, &old);
                }
            }
            None => outcome.inserted += 1,
        }
        rollup.add(1, &facts_of(order, zone));
        execute_cached(
            &tx,
            "INSERT INTO orders (tenant_id, order_id, placed_at, currency, total_minor, tax_minor,
                 shipping_minor, customer_ref, content_hash, source_run, created_at, updated_at,
                 channel)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)
             ON CONFLICT (tenant_id, order_id) DO UPDATE SET placed_at = excluded.placed_at,
                 currency = excluded.currency, total_minor = excluded.total_minor,
                 tax_minor = excluded.tax_minor, shipping_minor = excluded.shipping_minor,
                 customer_ref = excluded.customer_ref, content_hash = excluded.content_hash,
                 source_run = excluded.source_run, updated_at = excluded.updated_at,
                 channel = excluded.channel",
            params![
                tenant,
                order.order_id,
                to_db_time(&order.placed_at),
                order.currency.as_str(),
                order.total_minor,
                order.tax_minor,
                order.shipping_minor,
                order.customer_ref,
                hash,
                run.id,
                now,
                order.channel
            ],
        )
        .map_err(map_error)?;
        execute_cached(
            &tx,
            "DELETE FROM order_lines WHERE tenant_id = ?1 AND order_id = ?2",
            params![tenant, order.order_id],
        )
        .map_err(map_error)?;
        for (i, line) in order.lines.iter().enumerate() {
            execute_cached(
                &tx,
                "INSERT INTO order_lines (tenant_id, order_id, line_no, sku, quantity,
                     unit_price_minor)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    tenant,
                    order.order_id,
                    i as i64 + 1,
                    line.sku.as_str(),
                    line.quantity,
                    line.unit_price_minor
                ],
            )
            .map_err(map_error)?;
        }
    }
    apply_delta(&tx, tenant, &rollup.without_zeroes())?;
    record_rejected(&tx, run, rejected)?;
    tx.commit().map_err(map_error)?;
    Ok(outcome)
}
