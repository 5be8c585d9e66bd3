//! Mapping profiles, stock levels and orders. Level and order batches go as product batches
//! do (see [`super::ingest`]): bulk-copied into session staging tables, written with one
//! set-based `MERGE` per round, inside the caller's transaction.

use chrono::{DateTime, Utc};
use tiberius::{IntoSql, TokenRow};

use super::analytics;
use super::config::Connection;
use super::ingest::{one_row, record_rejected, rounds_by};
use super::retry::map_error;
use super::rows::{exec, int, query, required_text, required_time, run_batch, to_db_time};
use super::sql;
use crate::store::*;

/// Stores profile `name`, replacing one of that name.
pub(super) async fn put_profile(
    c: &mut Connection,
    tenant: &TenantId,
    name: &str,
    body: &serde_json::Value,
) -> Result<(), StoreError> {
    let body = serde_json::to_string(body).map_err(|e| StoreError::Database(e.to_string()))?;
    let now = to_db_time(&Utc::now());
    let tenant = tenant.as_str();
    exec(c, sql::PUT_PROFILE, &[&tenant, &name, &body, &now]).await?;
    Ok(())
}

/// Profile `name`, parsed.
pub(super) async fn get_profile(
    c: &mut Connection,
    tenant: &TenantId,
    name: &str,
) -> Result<Option<serde_json::Value>, StoreError> {
    let rows = query(c, sql::GET_PROFILE, &[&tenant.as_str(), &name]).await?;
    rows.first()
        .map(|row| {
            let body = required_text(row, 0, "mapping_profiles.body")?;
            serde_json::from_str(&body)
                .map_err(|e| StoreError::Corrupt(format!("mapping profile: {e}")))
        })
        .transpose()
}

/// Deletes profile `name`; `false` when there was none.
pub(super) async fn delete_profile(
    c: &mut Connection,
    tenant: &TenantId,
    name: &str,
) -> Result<bool, StoreError> {
    Ok(exec(c, sql::DELETE_PROFILE, &[&tenant.as_str(), &name]).await? > 0)
}

/// The tenant's profiles by name.
pub(super) async fn list_profiles(
    c: &mut Connection,
    tenant: &TenantId,
) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
    let rows = query(c, sql::LIST_PROFILES, &[&tenant.as_str()]).await?;
    rows.iter()
        .map(|row| {
            Ok((
                required_text(row, 0, "mapping_profiles.name")?,
                required_time(row, 1, "mapping_profiles.updated_at")?,
            ))
        })
        .collect()
}

/// Runs `statements` one by one, outside `sp_executesql` (they create or drop `#temp` tables).
async fn run_all(c: &mut Connection, statements: &[&str]) -> Result<(), StoreError> {
    for statement in statements {
        run_batch(c, statement).await?;
    }
    Ok(())
}

/// Adds what one round's `MERGE` did (its count query's row) to `outcome`.
async fn count_round(
    c: &mut Connection,
    count: &str,
    round_len: usize,
    outcome: &mut BatchOutcome,
) -> Result<(), StoreError> {
    let counts = one_row(query(c, count, &[]).await?, "the counts")?;
    let inserted = int(&counts, 0, "inserted")?.unwrap_or(0).max(0) as u64;
    let updated = int(&counts, 1, "updated")?.unwrap_or(0).max(0) as u64;
    outcome.inserted += inserted;
    outcome.updated += updated;
    outcome.unchanged += (round_len as u64).saturating_sub(inserted + updated);
    Ok(())
}

/// Writes `levels` and records `rejected` for `run`; the caller holds the transaction.
pub(super) async fn apply_inventory(
    c: &mut Connection,
    run: &IngestRun,
    levels: &[InventoryUpsert],
    rejected: &[RejectedRow],
) -> Result<BatchOutcome, StoreError> {
    run_all(c, &sql::DROP_LEVEL_STAGING).await?;
    run_all(
        c,
        &[
            sql::CREATE_LEVELS,
            sql::CREATE_LEVEL_CHANGES,
            sql::CREATE_REJECTED,
        ],
    )
    .await?;
    let tenant = run.tenant.as_str();
    let now = to_db_time(&Utc::now());
    let mut outcome = BatchOutcome::default();
    // A repeated (SKU, location) goes to a later round, as for products.
    for round in rounds_by(levels, |l| (l.sku.as_str(), l.location.as_str())) {
        run_all(c, &sql::CLEAR_LEVEL_ROUND).await?;
        let mut bulk = c.bulk_insert(sql::LEVELS_TABLE).await.map_err(map_error)?;
        for level in &round {
            let mut row = TokenRow::with_capacity(4);
            row.push(level.sku.as_str().into_sql());
            row.push(level.location.as_str().into_sql());
            row.push(level.quantity.into_sql());
            row.push(level.as_of.as_ref().map(to_db_time).into_sql());
            bulk.send(row).await.map_err(map_error)?;
        }
        bulk.finalize().await.map_err(map_error)?;
        exec(c, sql::MERGE_LEVELS, &[&tenant, &run.id, &now]).await?;
        count_round(c, sql::COUNT_LEVEL_CHANGES, round.len(), &mut outcome).await?;
    }
    record_rejected(c, &run.id, rejected).await?;
    run_all(c, &sql::DROP_LEVEL_STAGING).await?;
    Ok(outcome)
}

/// Writes `orders` (lines replaced when an order changed) and records `rejected` for `run`;
/// the caller holds the transaction.
pub(super) async fn apply_orders(
    c: &mut Connection,
    run: &IngestRun,
    orders: &[OrderUpsert],
    rejected: &[RejectedRow],
) -> Result<BatchOutcome, StoreError> {
    run_all(c, &sql::DROP_ORDER_STAGING).await?;
    run_all(
        c,
        &[
            sql::CREATE_ORDERS,
            sql::CREATE_ORDER_LINES,
            sql::CREATE_ORDER_CHANGES,
            sql::CREATE_REJECTED,
            sql::CREATE_SALES_DELTA,
            sql::CREATE_ITEMS_DELTA,
        ],
    )
    .await?;
    let tenant = run.tenant.as_str();
    // Read once per batch, its row locked: a rebuild or zone change of this tenant waits.
    let zone = analytics::lock_tenant_zone(c, tenant).await?;
    analytics::stage_zone(c, zone).await?;
    let now = to_db_time(&Utc::now());
    let mut outcome = BatchOutcome::default();
    // A repeated order id goes to a later round: the later version wins, as in SQLite.
    for round in rounds_by(orders, |o| o.order_id.as_str()) {
        run_all(c, &sql::CLEAR_ORDER_ROUND).await?;
        stage_orders(c, &round).await?;
        // An empty bulk copy is not sent: a round may hold only orders without lines.
        if round.iter().any(|o| !o.lines.is_empty()) {
            stage_order_lines(c, &round).await?;
        }
        // The changing orders' stored versions leave the rollups before they are overwritten.
        exec(c, sql::TAKE_OLD_SALES, &[&tenant]).await?;
        exec(c, sql::TAKE_OLD_ITEMS, &[&tenant]).await?;
        exec(c, sql::MERGE_ORDERS, &[&tenant, &run.id, &now]).await?;
        exec(c, sql::DELETE_CHANGED_LINES, &[&tenant]).await?;
        exec(c, sql::INSERT_CHANGED_LINES, &[&tenant]).await?;
        exec(c, sql::ADD_NEW_SALES, &[&tenant]).await?;
        exec(c, sql::ADD_NEW_ITEMS, &[&tenant]).await?;
        count_round(c, sql::COUNT_ORDER_CHANGES, round.len(), &mut outcome).await?;
    }
    for statement in [
        sql::APPLY_SALES_DELTA,
        sql::DELETE_EMPTY_SALES,
        sql::APPLY_ITEMS_DELTA,
        sql::DELETE_EMPTY_ITEMS,
    ] {
        exec(c, statement, &[&tenant]).await?;
    }
    record_rejected(c, &run.id, rejected).await?;
    run_all(c, &sql::DROP_ORDER_STAGING).await?;
    Ok(outcome)
}

/// Bulk-copies one round of orders into `#orders`, columns in [`sql::CREATE_ORDERS`]'s order.
async fn stage_orders(c: &mut Connection, round: &[&OrderUpsert]) -> Result<(), StoreError> {
    let mut bulk = c.bulk_insert(sql::ORDERS_TABLE).await.map_err(map_error)?;
    for order in round {
        let mut row = TokenRow::with_capacity(9);
        row.push(order.order_id.as_str().into_sql());
        row.push(to_db_time(&order.placed_at).into_sql());
        row.push(order.currency.as_str().into_sql());
        row.push(order.total_minor.into_sql());
        row.push(order.tax_minor.into_sql());
        row.push(order.shipping_minor.into_sql());
        row.push(order.customer_ref.as_deref().into_sql());
        row.push(order.content_hash().into_sql());
        row.push(order.channel.as_deref().into_sql());
        bulk.send(row).await.map_err(map_error)?;
    }
    bulk.finalize().await.map_err(map_error)?;
    Ok(())
}

/// Bulk-copies the round's lines into `#order_lines`, numbered from 1 per order.
async fn stage_order_lines(c: &mut Connection, round: &[&OrderUpsert]) -> Result<(), StoreError> {
    let mut bulk = c
        .bulk_insert(sql::ORDER_LINES_TABLE)
        .await
        .map_err(map_error)?;
    for order in round {
        for (i, line) in order.lines.iter().enumerate() {
            let mut row = TokenRow::with_capacity(5);
            row.push(order.order_id.as_str().into_sql());
            row.push((i as i64 + 1).into_sql());
            row.push(line.sku.as_str().into_sql());
            row.push(line.quantity.into_sql());
            row.push(line.unit_price_minor.into_sql());
            bulk.send(row).await.map_err(map_error)?;
        }
    }
    bulk.finalize().await.map_err(map_error)?;
    Ok(())
}
