//! The daily rollups: kept by order ingestion, rebuilt from the orders on demand and when the
//! tenant's time zone changes; and the tenant's zone itself.

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{execute_cached, from_db_time, map_error, query_row_cached};
use crate::analytics::*;
use crate::store::*;

pub(super) fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

pub(super) fn parse_day(text: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| StoreError::Corrupt(format!("day `{text}`: {e}")))
}

/// The tenant's zone name, `None` when there is no such tenant.
pub(super) fn zone_name(c: &Connection, tenant: &str) -> Result<Option<String>, StoreError> {
    query_row_cached(
        c,
        "SELECT time_zone FROM tenants WHERE id = ?1",
        [tenant],
        |row| row.get(0),
    )
    .optional()
    .map_err(map_error)
}

/// The tenant's zone (UTC for an unknown tenant, whose orders cannot exist anyway).
pub(super) fn tenant_zone(c: &Connection, tenant: &str) -> Result<Tz, StoreError> {
    let name = zone_name(c, tenant)?.unwrap_or_else(|| DEFAULT_TIME_ZONE.to_owned());
    parse_time_zone(&name).ok_or_else(|| StoreError::Corrupt(format!("time zone `{name}`")))
}

/// What `order` counts for in the rollups, in `zone`.
pub(super) fn facts_of(order: &OrderUpsert, zone: Tz) -> OrderFacts {
    OrderFacts {
        day: local_day(zone, order.placed_at),
        channel: channel_key(order.channel.as_deref()),
        currency: order.currency.as_str().to_owned(),
        total_minor: order.total_minor,
        lines: order
            .lines
            .iter()
            .map(|l| (l.sku.as_str().to_owned(), l.quantity, l.unit_price_minor))
            .collect(),
    }
}

/// What the stored order `order_id` counts for in the rollups, in `zone`.
pub(super) fn stored_facts(
    c: &Connection,
    tenant: &str,
    order_id: &str,
    zone: Tz,
) -> Result<Option<OrderFacts>, StoreError> {
    let order: Option<(String, Option<String>, String, i64)> = query_row_cached(
        c,
        "SELECT placed_at, channel, currency, total_minor FROM orders
         WHERE tenant_id = ?1 AND order_id = ?2",
        params![tenant, order_id],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
    )
    .optional()
    .map_err(map_error)?;
    let Some((placed_at, channel, currency, total_minor)) = order else {
        return Ok(None);
    };
    let mut statement = c
        .prepare_cached(
            "SELECT sku, quantity, unit_price_minor FROM order_lines
             WHERE tenant_id = ?1 AND order_id = ?2 ORDER BY line_no",
        )
        .map_err(map_error)?;
    let lines = statement
        .query_map(params![tenant, order_id], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .map_err(map_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_error)?;
    Ok(Some(OrderFacts {
        day: local_day(zone, from_db_time(&placed_at)?),
        channel: channel_key(channel.as_deref()),
        currency,
        total_minor,
        lines,
    }))
}

/// Adds the signed `delta` to the tenant's rollups; rows left without orders go.
pub(super) fn apply_delta(c: &Connection, tenant: &str, delta: &Rollup) -> Result<(), StoreError> {
    for ((day, channel, currency), cell) in &delta.sales {
        let day = day_text(*day);
        execute_cached(
            c,
            "INSERT INTO daily_sales (tenant_id, day, channel, currency, orders, units,
                 items_minor, sales_minor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (tenant_id, day, channel, currency) DO UPDATE SET
                 orders = orders + excluded.orders, units = units + excluded.units,
                 items_minor = items_minor + excluded.items_minor,
                 sales_minor = sales_minor + excluded.sales_minor",
            params![
                tenant,
                day,
                channel,
                currency,
                cell.orders,
                cell.units,
                cell.items_minor,
                cell.sales_minor
            ],
        )
        .map_err(map_error)?;
        execute_cached(
            c,
            "DELETE FROM daily_sales WHERE tenant_id = ?1 AND day = ?2 AND channel = ?3
                 AND currency = ?4 AND orders <= 0",
            params![tenant, day, channel, currency],
        )
        .map_err(map_error)?;
    }
    for ((day, sku, channel, currency), cell) in &delta.items {
        let day = day_text(*day);
        execute_cached(
            c,
            "INSERT INTO daily_product_sales (tenant_id, day, sku, channel, currency, orders,
                 units, items_minor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (tenant_id, day, sku, channel, currency) DO UPDATE SET
                 orders = orders + excluded.orders, units = units + excluded.units,
                 items_minor = items_minor + excluded.items_minor",
            params![
                tenant,
                day,
                sku,
                channel,
                currency,
                cell.orders,
                cell.units,
                cell.items_minor
            ],
        )
        .map_err(map_error)?;
        execute_cached(
            c,
            "DELETE FROM daily_product_sales WHERE tenant_id = ?1 AND day = ?2 AND sku = ?3
                 AND channel = ?4 AND currency = ?5 AND orders <= 0",
            params![tenant, day, sku, channel, currency],
        )
        .map_err(map_error)?;
    }
    Ok(())
}

/// The tenant's rollups as its orders make them, in `zone`.
fn rollup_of_orders(c: &Connection, tenant: &str, zone: Tz) -> Result<Rollup, StoreError> {
    let mut orders: HashMap<String, OrderFacts> = HashMap::new();
    let mut statement = c
        .prepare(
            "SELECT order_id, placed_at, channel, currency, total_minor FROM orders
             WHERE tenant_id = ?1",
        )
        .map_err(map_error)?;
    let rows = statement
        .query_map([tenant], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, i64>(4)?,
            ))
        })
        .map_err(map_error)?;
    for row in rows {
        let (id, placed_at, channel, currency, total_minor) = row.map_err(map_error)?;
        let facts = OrderFacts {
            day: local_day(zone, from_db_time(&placed_at)?),
            channel: channel_key(channel.as_deref()),
            currency,
            total_minor,
            lines: Vec::new(),
        };
        orders.insert(id, facts);
    }
    let mut statement = c
        .prepare(
            "SELECT order_id, sku, quantity, unit_price_minor FROM order_lines
             WHERE tenant_id = ?1 ORDER BY order_id, line_no",
        )
        .map_err(map_error)?;
    let rows = statement
        .query_map([tenant], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })
        .map_err(map_error)?;
    for row in rows {
        let (id, sku, quantity, price) = row.map_err(map_error)?;
        if let Some(order) = orders.get_mut(&id) {
            order.lines.push((sku, quantity, price));
        }
    }
    let mut rollup = Rollup::default();
    for order in orders.values() {
        rollup.add(1, order);
    }
    Ok(rollup)
}

/// The tenant's rollups as stored.
fn stored_rollup(c: &Connection, tenant: &str) -> Result<Rollup, StoreError> {
    let mut rollup = Rollup::default();
    let mut statement = c
        .prepare(
            "SELECT day, channel, currency, orders, units, items_minor, sales_minor
             FROM daily_sales WHERE tenant_id = ?1",
        )
        .map_err(map_error)?;
    let rows = statement
        .query_map([tenant], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                SalesCell {
                    orders: row.get(3)?,
                    units: row.get(4)?,
                    items_minor: row.get(5)?,
                    sales_minor: row.get(6)?,
                },
            ))
        })
        .map_err(map_error)?;
    for row in rows {
        let (day, channel, currency, cell) = row.map_err(map_error)?;
        rollup
            .sales
            .insert((parse_day(&day)?, channel, currency), cell);
    }
    let mut statement = c
        .prepare(
            "SELECT day, sku, channel, currency, orders, units, items_minor
             FROM daily_product_sales WHERE tenant_id = ?1",
        )
        .map_err(map_error)?;
    let rows = statement
        .query_map([tenant], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                ItemCell {
                    orders: row.get(4)?,
                    units: row.get(5)?,
                    items_minor: row.get(6)?,
                },
            ))
        })
        .map_err(map_error)?;
    for row in rows {
        let (day, sku, channel, currency, cell) = row.map_err(map_error)?;
        rollup
            .items
            .insert((parse_day(&day)?, sku, channel, currency), cell);
    }
    Ok(rollup)
}

/// Rebuilds the tenant's rollups from its orders inside the caller's transaction, writing
/// only the rows that differ.
fn rebuild_in(c: &Connection, tenant: &str) -> Result<RollupOutcome, StoreError> {
    let zone = tenant_zone(c, tenant)?;
    let rebuilt = rollup_of_orders(c, tenant, zone)?;
    let stored = stored_rollup(c, tenant)?;
    let corrected = rebuilt.differences(&stored);
    if corrected > 0 {
        // The difference as a signed delta: what is stored goes, what the orders make comes.
        let mut delta = rebuilt.clone();
        for (key, cell) in &stored.sales {
            let entry = delta.sales.entry(key.clone()).or_default();
            entry.orders -= cell.orders;
            entry.units -= cell.units;
            entry.items_minor -= cell.items_minor;
            entry.sales_minor -= cell.sales_minor;
        }
        for (key, cell) in &stored.items {
            let entry = delta.items.entry(key.clone()).or_default();
            entry.orders -= cell.orders;
            entry.units -= cell.units;
            entry.items_minor -= cell.items_minor;
        }
        apply_delta(c, tenant, &delta.without_zeroes())?;
    }
    Ok(RollupOutcome {
        rows: rebuilt.rows(),
        corrected,
    })
}

/// Rebuilds the tenant's rollups in one transaction.
pub(super) fn rebuild(c: &mut Connection, tenant: &TenantId) -> Result<RollupOutcome, StoreError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_error)?;
    let outcome = rebuild_in(&tx, tenant.as_str())?;
    tx.commit().map_err(map_error)?;
    Ok(outcome)
}

/// Sets the tenant's zone and re-buckets its rollups, in one transaction.
pub(super) fn set_zone(
    c: &mut Connection,
    tenant: &TenantId,
    zone: Tz,
) -> Result<Option<RollupOutcome>, StoreError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_error)?;
    let updated = execute_cached(
        &tx,
        "UPDATE tenants SET time_zone = ?2 WHERE id = ?1",
        params![tenant.as_str(), zone.name()],
    )
    .map_err(map_error)?;
    if updated == 0 {
        return Ok(None);
    }
    let outcome = rebuild_in(&tx, tenant.as_str())?;
    tx.commit().map_err(map_error)?;
    Ok(Some(outcome))
}

/// The tenant's id, name and zone.
pub(super) fn get_tenant(
    c: &mut Connection,
    tenant: &TenantId,
) -> Result<Option<TenantView>, StoreError> {
    let found: Option<(String, String)> = query_row_cached(
        c,
        "SELECT name, time_zone FROM tenants WHERE id = ?1",
        [tenant.as_str()],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()
    .map_err(map_error)?;
    Ok(found.map(|(name, time_zone)| TenantView {
        id: tenant.clone(),
        name,
        time_zone,
    }))
}

/// Every tenant with at least one order.
pub(super) fn tenants_with_orders(c: &mut Connection) -> Result<Vec<TenantId>, StoreError> {
    let mut statement = c
        .prepare("SELECT id FROM tenants t WHERE EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = t.id) ORDER BY id")
        .map_err(map_error)?;
    let ids = statement
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(map_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_error)?;
    ids.iter()
        .map(|id| TenantId::parse(id).map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::{MIGRATIONS, SqliteStore};
    use super::*;

    fn exec(path: &std::path::Path, sql: &str) {
        rusqlite::Connection::open(path)
            .unwrap()
            .execute_batch(sql)
            .unwrap();
    }

    /// A database at migration 6 holding two orders of one UTC day (three lines, one SKU on
    /// two of them) and one of the next.
    fn database_with_orders_before_rollups(path: &std::path::Path) {
        exec(
            path,
            "CREATE TABLE schema_migrations (
                 version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        );
        for (version, name, sql) in &MIGRATIONS[..6] {
            exec(path, sql);
            exec(
                path,
                &format!(
                    "INSERT INTO schema_migrations VALUES ({version}, '{name}', \
                     '2024-05-01T10:00:00.000Z')"
                ),
            );
        }
        exec(
            path,
            "INSERT INTO tenants VALUES ('demo', 'Demo', '2024-05-01T10:00:00.000Z');
             INSERT INTO orders (tenant_id, order_id, placed_at, currency, total_minor,
                 content_hash, source_run, created_at, updated_at)
             VALUES ('demo', '1', '2024-05-01T10:00:00.000Z', 'EUR', 1000, 'h1', 'r', 'x', 'x'),
                    ('demo', '2', '2024-05-01T23:30:00.000Z', 'EUR', 300, 'h2', 'r', 'x', 'x'),
                    ('demo', '3', '2024-05-02T08:00:00.000Z', 'EUR', 500, 'h3', 'r', 'x', 'x');
             INSERT INTO order_lines VALUES ('demo', '1', 1, 'A', 2, 300),
                                            ('demo', '1', 2, 'A', 1, 300),
                                            ('demo', '1', 3, 'B', 1, 100),
                                            ('demo', '2', 1, 'A', 1, 300),
                                            ('demo', '3', 1, 'B', 5, 100);",
        );
    }

    #[tokio::test]
    async fn the_migration_backfills_the_rollups_a_rebuild_would_make() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        database_with_orders_before_rollups(&path);
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.migrate().await.unwrap(), MIGRATIONS.len() - 6);
        let demo = TenantId::parse("demo").unwrap();
        // daily_sales: 1 May, 2 May; daily_product_sales: 1 May A and B, 2 May B.
        let outcome = store.rebuild_daily_sales(&demo).await.unwrap();
        assert_eq!(
            outcome,
            RollupOutcome {
                rows: 5,
                corrected: 0
            }
        );
        let view = store.get_tenant(&demo).await.unwrap().unwrap();
        assert_eq!(view.time_zone, "UTC");
    }

    #[tokio::test]
    async fn a_rebuild_finds_and_repairs_rows_that_drifted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        database_with_orders_before_rollups(&path);
        let store = SqliteStore::open(&path).unwrap();
        store.migrate().await.unwrap();
        let demo = TenantId::parse("demo").unwrap();
        // One row wrong, one missing, one that no order makes.
        exec(
            &path,
            "UPDATE daily_sales SET sales_minor = 1 WHERE day = '2024-05-01';
             DELETE FROM daily_product_sales WHERE day = '2024-05-02';
             INSERT INTO daily_product_sales VALUES ('demo', '2024-04-01', 'Z', 'web', 'EUR',
                 1, 1, 1);",
        );
        let outcome = store.rebuild_daily_sales(&demo).await.unwrap();
        assert_eq!(
            outcome,
            RollupOutcome {
                rows: 5,
                corrected: 3
            }
        );
        let again = store.rebuild_daily_sales(&demo).await.unwrap();
        assert_eq!(
            again,
            RollupOutcome {
                rows: 5,
                corrected: 0
            }
        );
        let query = SalesQuery {
            range: DateRange::new("2024-04-01".parse().unwrap(), "2024-05-31".parse().unwrap())
                .unwrap(),
            granularity: Granularity::Month,
            group_by: None,
        };
        let report = store.sales(&demo, &query).await.unwrap();
        assert_eq!(report.points.len(), 1, "{report:?}");
        assert_eq!(
            (report.points[0].orders, report.points[0].sales_minor),
            (3, Some(1800))
        );
    }
}
