//! The analytics queries: the reports' rows read from the daily rollups, then shaped by
//! [`crate::analytics::report`].

use std::collections::HashMap;

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::rollups::{day_text, parse_day, zone_name};
use super::{SqliteStore, map_error};
use crate::analytics::report::{self, ItemRow, ItemTotal, SalesRow, StockRow};
use crate::analytics::*;
use crate::store::*;

fn sales_rows(c: &Connection, tenant: &str, range: DateRange) -> Result<Vec<SalesRow>, StoreError> {
    let mut statement = c
        .prepare_cached(
            "SELECT day, channel, currency, orders, units, items_minor, sales_minor
             FROM daily_sales WHERE tenant_id = ?1 AND day BETWEEN ?2 AND ?3",
        )
        .map_err(map_error)?;
    let rows = statement
        .query_map(
            params![tenant, day_text(range.from), day_text(range.to)],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    SalesCell {
                        orders: row.get(3)?,
                        units: row.get(4)?,
                        items_minor: row.get(5)?,
                        sales_minor: row.get(6)?,
                    },
                ))
            },
        )
        .map_err(map_error)?;
    rows.map(|row| {
        let (day, channel, currency, cell) = row.map_err(map_error)?;
        Ok(SalesRow {
            day: parse_day(&day)?,
            channel,
            currency,
            cell,
        })
    })
    .collect()
}

fn item_rows(c: &Connection, tenant: &str, range: DateRange) -> Result<Vec<ItemRow>, StoreError> {
    let mut statement = c
        .prepare_cached(
            "SELECT d.day, d.sku, COALESCE(p.category, ''), d.currency, SUM(d.orders),
                 SUM(d.units), SUM(d.items_minor)
             FROM daily_product_sales d
             LEFT JOIN products p ON p.tenant_id = d.tenant_id AND p.sku = d.sku
             WHERE d.tenant_id = ?1 AND d.day BETWEEN ?2 AND ?3
             GROUP BY d.day, d.sku, d.currency",
        )
        .map_err(map_error)?;
    let rows = statement
        .query_map(
            params![tenant, day_text(range.from), day_text(range.to)],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    ItemCell {
                        orders: row.get(4)?,
                        units: row.get(5)?,
                        items_minor: row.get(6)?,
                    },
                ))
            },
        )
        .map_err(map_error)?;
    rows.map(|row| {
        let (day, sku, category, currency, cell) = row.map_err(map_error)?;
        Ok(ItemRow {
            day: parse_day(&day)?,
            sku,
            category,
            currency,
            cell,
        })
    })
    .collect()
}

fn item_totals(
    c: &Connection,
    tenant: &str,
    range: DateRange,
) -> Result<Vec<ItemTotal>, StoreError> {
    let mut statement = c
        .prepare_cached(
            "SELECT d.sku, p.title, COALESCE(p.category, ''), d.currency, SUM(d.orders),
                 SUM(d.units), SUM(d.items_minor)
             FROM daily_product_sales d
             LEFT JOIN products p ON p.tenant_id = d.tenant_id AND p.sku = d.sku
             WHERE d.tenant_id = ?1 AND d.day BETWEEN ?2 AND ?3
             GROUP BY d.sku, d.currency",
        )
        .map_err(map_error)?;
    let rows = statement
        .query_map(
            params![tenant, day_text(range.from), day_text(range.to)],
            |row| {
                Ok(ItemTotal {
                    sku: row.get(0)?,
                    title: row.get(1)?,
                    category: row.get(2)?,
                    currency: row.get(3)?,
                    cell: ItemCell {
                        orders: row.get(4)?,
                        units: row.get(5)?,
                        items_minor: row.get(6)?,
                    },
                })
            },
        )
        .map_err(map_error)?;
    rows.collect::<Result<_, _>>().map_err(map_error)
}

fn stock(
    c: &Connection,
    tenant: &str,
    window: DateRange,
) -> Result<(Vec<StockRow>, HashMap<String, i64>), StoreError> {
    let mut statement = c
        .prepare_cached(
            "SELECT i.sku, p.title, SUM(i.quantity)
             FROM inventory_levels i
             LEFT JOIN products p ON p.tenant_id = i.tenant_id AND p.sku = i.sku
             WHERE i.tenant_id = ?1
             GROUP BY i.sku",
        )
        .map_err(map_error)?;
    let stock = statement
        .query_map([tenant], |row| {
            Ok(StockRow {
                sku: row.get(0)?,
                title: row.get(1)?,
                on_hand: row.get(2)?,
            })
        })
        .map_err(map_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_error)?;
    let mut statement = c
        .prepare_cached(
            "SELECT sku, SUM(units) FROM daily_product_sales
             WHERE tenant_id = ?1 AND day BETWEEN ?2 AND ?3 GROUP BY sku",
        )
        .map_err(map_error)?;
    let sold = statement
        .query_map(
            params![tenant, day_text(window.from), day_text(window.to)],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)),
        )
        .map_err(map_error)?
        .collect::<Result<HashMap<_, _>, _>>()
        .map_err(map_error)?;
    Ok((stock, sold))
}

#[async_trait]
impl SalesData for SqliteStore {
    async fn tenant_time_zone(&self, tenant: &TenantId) -> Result<String, StoreError> {
        let tenant = tenant.to_string();
        self.pool
            .read(move |c| {
                Ok(zone_name(c, &tenant)?.unwrap_or_else(|| DEFAULT_TIME_ZONE.to_owned()))
            })
            .await
    }

    async fn sales(
        &self,
        tenant: &TenantId,
        query: &SalesQuery,
    ) -> Result<SalesReport, StoreError> {
        let (tenant, query) = (tenant.to_string(), query.clone());
        self.pool
            .read(move |c| {
                let tx = c.transaction().map_err(map_error)?;
                let zone = zone_name(&tx, &tenant)?.unwrap_or_else(|| DEFAULT_TIME_ZONE.into());
                let sales = sales_rows(&tx, &tenant, query.range)?;
                let items = match query.group_by {
                    Some(GroupBy::Product | GroupBy::Category) => {
                        item_rows(&tx, &tenant, query.range)?
                    }
                    _ => Vec::new(),
                };
                Ok(report::sales_report(zone, &query, &sales, &items))
            })
            .await
    }

    async fn top(&self, tenant: &TenantId, query: &TopQuery) -> Result<Vec<TopItem>, StoreError> {
        let (tenant, query) = (tenant.to_string(), query.clone());
        self.pool
            .read(move |c| {
                let totals = item_totals(c, &tenant, query.range)?;
                Ok(report::top_items(&query, &totals))
            })
            .await
    }

    async fn low_stock(
        &self,
        tenant: &TenantId,
        query: &LowStockQuery,
    ) -> Result<Vec<StockAlert>, StoreError> {
        let (tenant, query) = (tenant.to_string(), query.clone());
        self.pool
            .read(move |c| {
                let tx = c.transaction().map_err(map_error)?;
                let (stock, sold) = stock(&tx, &tenant, report::lookback_range(&query))?;
                Ok(report::stock_alerts(&query, stock, &sold))
            })
            .await
    }
}
