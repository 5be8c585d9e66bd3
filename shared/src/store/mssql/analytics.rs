//! The daily rollups on Azure SQL: kept by order batches with set-based statements over the
//! batch's staging tables, rebuilt from the orders, and read by the analytics queries. Local
//! days come from the tenant's UTC offset periods, bulk-copied into `#zone_periods`, because
//! SQL Server's `AT TIME ZONE` does not know IANA names.

use std::collections::HashMap;

use chrono::NaiveDate;
use tiberius::{IntoSql, Row, TokenRow};

use super::config::Connection;
use super::ingest::one_row;
use super::retry::map_error;
use super::rows::{exec, int, query, required_int, required_text, run_batch, text, to_db_time};
use super::sql;
use crate::analytics::report::{ItemRow, ItemTotal, SalesRow, StockRow};
use crate::analytics::*;
use crate::store::*;

fn day(row: &Row, index: usize) -> Result<NaiveDate, StoreError> {
    row.try_get::<NaiveDate, _>(index)
        .map_err(|e| StoreError::Corrupt(format!("day: {e}")))?
        .ok_or_else(|| StoreError::Corrupt("day is NULL".into()))
}

fn parse_zone(name: &str) -> Result<Tz, StoreError> {
    parse_time_zone(name).ok_or_else(|| StoreError::Corrupt(format!("time zone `{name}`")))
}

/// The tenant's zone, its row locked until the transaction ends (UTC for an unknown tenant).
pub(super) async fn lock_tenant_zone(c: &mut Connection, tenant: &str) -> Result<Tz, StoreError> {
    let rows = query(c, sql::LOCK_TENANT_ZONE, &[&tenant]).await?;
    match rows.first() {
        Some(row) => parse_zone(&required_text(row, 0, "tenants.time_zone")?),
        None => Ok(Tz::UTC),
    }
}

/// Creates `#zone_periods` (dropped first by the caller) and copies `zone`'s periods into it.
pub(super) async fn stage_zone(c: &mut Connection, zone: Tz) -> Result<(), StoreError> {
    run_batch(c, sql::CREATE_ZONE_PERIODS).await?;
    let mut bulk = c
        .bulk_insert(sql::ZONE_PERIODS_TABLE)
        .await
        .map_err(map_error)?;
    for period in offset_periods(zone) {
        let mut row = TokenRow::with_capacity(3);
        row.push(to_db_time(&period.starts_at).into_sql());
        row.push(to_db_time(&period.ends_at).into_sql());
        row.push(period.offset_seconds.into_sql());
        bulk.send(row).await.map_err(map_error)?;
    }
    bulk.finalize().await.map_err(map_error)?;
    Ok(())
}

/// Rebuilds the tenant's rollups from its orders inside the caller's transaction, which has
/// locked the tenant's row; `zone` is its zone.
async fn rebuild_in(
    c: &mut Connection,
    tenant: &str,
    zone: Tz,
) -> Result<RollupOutcome, StoreError> {
    for statement in sql::DROP_REBUILD_STAGING {
        run_batch(c, statement).await?;
    }
    stage_zone(c, zone).await?;
    run_batch(c, sql::CREATE_REBUILT_SALES).await?;
    run_batch(c, sql::CREATE_REBUILT_ITEMS).await?;
    exec(c, sql::REBUILD_SALES, &[&tenant]).await?;
    exec(c, sql::REBUILD_ITEMS, &[&tenant]).await?;
    let counts = one_row(
        query(c, sql::COUNT_REBUILD_DIFFERENCES, &[&tenant]).await?,
        "the rebuild's differences",
    )?;
    let rows = required_int(&counts, 0, "rows")?.max(0) as u64;
    let corrected = required_int(&counts, 1, "corrected")?.max(0) as u64;
    if corrected > 0 {
        for statement in sql::REPLACE_ROLLUPS {
            exec(c, statement, &[&tenant]).await?;
        }
    }
    for statement in sql::DROP_REBUILD_STAGING {
        run_batch(c, statement).await?;
    }
    Ok(RollupOutcome { rows, corrected })
}

/// Rebuilds the tenant's rollups; the caller holds the transaction.
pub(super) async fn rebuild(
    c: &mut Connection,
    tenant: &TenantId,
) -> Result<RollupOutcome, StoreError> {
    let tenant = tenant.as_str();
    let zone = lock_tenant_zone(c, tenant).await?;
    rebuild_in(c, tenant, zone).await
}

/// Sets the tenant's zone and re-buckets its rollups; the caller holds the transaction.
pub(super) async fn set_zone(
    c: &mut Connection,
    tenant: &TenantId,
    zone: Tz,
) -> Result<Option<RollupOutcome>, StoreError> {
    let tenant = tenant.as_str();
    if exec(c, sql::SET_TENANT_ZONE, &[&tenant, &zone.name()]).await? == 0 {
        return Ok(None);
    }
    rebuild_in(c, tenant, zone).await.map(Some)
}

/// The tenant's id, name and zone.
pub(super) async fn get_tenant(
    c: &mut Connection,
    tenant: &TenantId,
) -> Result<Option<TenantView>, StoreError> {
    let rows = query(c, sql::GET_TENANT, &[&tenant.as_str()]).await?;
    rows.first()
        .map(|row| {
            Ok(TenantView {
                id: tenant.clone(),
                name: required_text(row, 0, "tenants.name")?,
                time_zone: required_text(row, 1, "tenants.time_zone")?,
            })
        })
        .transpose()
}

/// Every tenant with at least one order.
pub(super) async fn tenants_with_orders(c: &mut Connection) -> Result<Vec<TenantId>, StoreError> {
    let rows = query(c, sql::TENANTS_WITH_ORDERS, &[]).await?;
    rows.iter()
        .map(|row| {
            let id = required_text(row, 0, "tenants.id")?;
            TenantId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect()
}

/// The tenant's zone name (UTC when it has none).
pub(super) async fn zone_name(c: &mut Connection, tenant: &str) -> Result<String, StoreError> {
    let rows = query(c, sql::TENANT_ZONE, &[&tenant]).await?;
    Ok(match rows.first() {
        Some(row) => required_text(row, 0, "tenants.time_zone")?,
        None => DEFAULT_TIME_ZONE.to_owned(),
    })
}

fn amount(row: &Row, index: usize, what: &str) -> Result<i64, StoreError> {
    Ok(int(row, index, what)?.unwrap_or(0))
}

/// The tenant's `daily_sales` rows in `range`.
pub(super) async fn sales_rows(
    c: &mut Connection,
    tenant: &str,
    range: DateRange,
) -> Result<Vec<SalesRow>, StoreError> {
    let rows = query(c, sql::SALES_ROWS, &[&tenant, &range.from, &range.to]).await?;
    rows.iter()
        .map(|row| {
            Ok(SalesRow {
                day: day(row, 0)?,
                channel: required_text(row, 1, "channel")?,
                currency: required_text(row, 2, "currency")?,
                cell: SalesCell {
                    orders: amount(row, 3, "orders")?,
                    units: amount(row, 4, "units")?,
                    items_minor: amount(row, 5, "items_minor")?,
                    sales_minor: amount(row, 6, "sales_minor")?,
                },
            })
        })
        .collect()
}

fn item_cell(row: &Row, first: usize) -> Result<ItemCell, StoreError> {
    Ok(ItemCell {
        orders: amount(row, first, "orders")?,
        units: amount(row, first + 1, "units")?,
        items_minor: amount(row, first + 2, "items_minor")?,
    })
}

/// Each SKU's sales per day and currency in `range`.
pub(super) async fn item_rows(
    c: &mut Connection,
    tenant: &str,
    range: DateRange,
) -> Result<Vec<ItemRow>, StoreError> {
    let rows = query(c, sql::ITEM_ROWS, &[&tenant, &range.from, &range.to]).await?;
    rows.iter()
        .map(|row| {
            Ok(ItemRow {
                day: day(row, 0)?,
                sku: required_text(row, 1, "sku")?,
                category: text(row, 2, "category")?.unwrap_or_default(),
                currency: required_text(row, 3, "currency")?,
                cell: item_cell(row, 4)?,
            })
        })
        .collect()
}

/// Each SKU's sales per currency over `range`.
pub(super) async fn item_totals(
    c: &mut Connection,
    tenant: &str,
    range: DateRange,
) -> Result<Vec<ItemTotal>, StoreError> {
    let rows = query(c, sql::ITEM_TOTALS, &[&tenant, &range.from, &range.to]).await?;
    rows.iter()
        .map(|row| {
            Ok(ItemTotal {
                sku: required_text(row, 0, "sku")?,
                title: text(row, 1, "title")?,
                category: text(row, 2, "category")?.unwrap_or_default(),
                currency: required_text(row, 3, "currency")?,
                cell: item_cell(row, 4)?,
            })
        })
        .collect()
}

/// Every stocked SKU's units on hand, and the units each SKU sold in `window`.
pub(super) async fn stock(
    c: &mut Connection,
    tenant: &str,
    window: DateRange,
) -> Result<(Vec<StockRow>, HashMap<String, i64>), StoreError> {
    let rows = query(c, sql::STOCK_ROWS, &[&tenant]).await?;
    let stock = rows
        .iter()
        .map(|row| {
            Ok(StockRow {
                sku: required_text(row, 0, "sku")?,
                title: text(row, 1, "title")?,
                on_hand: amount(row, 2, "on_hand")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let rows = query(c, sql::UNITS_SOLD, &[&tenant, &window.from, &window.to]).await?;
    let sold = rows
        .iter()
        .map(|row| Ok((required_text(row, 0, "sku")?, amount(row, 1, "units")?)))
        .collect::<Result<HashMap<_, _>, StoreError>>()?;
    Ok((stock, sold))
}
