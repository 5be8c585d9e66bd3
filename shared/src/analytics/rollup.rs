//! The daily rollups in memory: what one order adds to (or, gone or changed, takes from)
//! `daily_sales` and `daily_product_sales`, and how a rebuild is compared with what was stored.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::TenantId;

/// The channel an order without one is counted under (in the tables and in reports).
pub const UNKNOWN_CHANNEL: &str = "unknown";

/// `daily_sales`' key: (day, channel, currency).
pub type SalesKey = (NaiveDate, String, String);
/// `daily_product_sales`' key: (day, SKU, channel, currency).
pub type ItemKey = (NaiveDate, String, String, String);

/// One `daily_sales` row's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SalesCell {
    /// Orders.
    pub orders: i64,
    /// Units over their lines.
    pub units: i64,
    /// Their lines' value.
    pub items_minor: i64,
    /// Their totals.
    pub sales_minor: i64,
}

/// One `daily_product_sales` row's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ItemCell {
    /// Orders with at least one line of the SKU.
    pub orders: i64,
    /// Units of the SKU.
    pub units: i64,
    /// Those lines' value.
    pub items_minor: i64,
}

/// One order as the rollups see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFacts {
    /// Its local day.
    pub day: NaiveDate,
    /// Its channel ([`UNKNOWN_CHANNEL`] when none).
    pub channel: String,
    /// Its currency.
    pub currency: String,
    /// Its total.
    pub total_minor: i64,
    /// Its lines: (SKU, quantity, unit price).
    pub lines: Vec<(String, i64, i64)>,
}

/// The channel stored for an order's `channel`.
pub fn channel_key(channel: Option<&str>) -> String {
    channel
        .filter(|c| !c.is_empty())
        .unwrap_or(UNKNOWN_CHANNEL)
        .to_owned()
}

/// Both tables' rows for some orders, or (signed) the change some orders make to them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollup {
    /// `daily_sales`.
    pub sales: BTreeMap<SalesKey, SalesCell>,
    /// `daily_product_sales`.
    pub items: BTreeMap<ItemKey, ItemCell>,
}

impl Rollup {
    /// Adds `order` (`sign` 1) or takes it away (`sign` -1).
    pub fn add(&mut self, sign: i64, order: &OrderFacts) {
        let key = (order.day, order.channel.clone(), order.currency.clone());
        let cell = self.sales.entry(key).or_default();
        cell.orders += sign;
        cell.sales_minor += sign * order.total_minor;
        let mut per_sku: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        for (sku, quantity, unit_price) in &order.lines {
            let value = quantity.saturating_mul(*unit_price);
            cell.units += sign * quantity;
            cell.items_minor += sign * value;
            let entry = per_sku.entry(sku).or_default();
            entry.0 += quantity;
            entry.1 += value;
        }
        for (sku, (units, value)) in per_sku {
            let key = (
                order.day,
                sku.to_owned(),
                order.channel.clone(),
                order.currency.clone(),
            );
            let cell = self.items.entry(key).or_default();
            cell.orders += sign;
            cell.units += sign * units;
            cell.items_minor += sign * value;
        }
    }

    /// Drops the entries a change left at nothing (an order taken away and put back as it was).
    pub fn without_zeroes(mut self) -> Self {
        self.sales.retain(|_, c| *c != SalesCell::default());
        self.items.retain(|_, c| *c != ItemCell::default());
        self
    }

    /// How many rows of `stored` differ from these (missing, extra or other figures).
    pub fn differences(&self, stored: &Rollup) -> u64 {
        fn count<K: Ord, V: PartialEq>(a: &BTreeMap<K, V>, b: &BTreeMap<K, V>) -> u64 {
            let changed_or_missing = a.iter().filter(|(k, v)| b.get(*k) != Some(*v)).count();
            let extra = b.keys().filter(|k| !a.contains_key(*k)).count();
            (changed_or_missing + extra) as u64
        }
        count(&self.sales, &stored.sales) + count(&self.items, &stored.items)
    }

    /// How many rows these are.
    pub fn rows(&self) -> u64 {
        (self.sales.len() + self.items.len()) as u64
    }
}

/// What a rebuild of a tenant's daily tables found.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct RollupOutcome {
    /// Rows the tables hold now (both tables).
    pub rows: u64,
    /// Rows that were missing, extra or wrong before (0 when ingestion kept them right).
    pub corrected: u64,
}

/// A tenant as `GET /api/tenant` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TenantView {
    /// Its id.
    pub id: TenantId,
    /// Its name.
    pub name: String,
    /// Its IANA time zone.
    pub time_zone: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(day: u32, lines: &[(&str, i64, i64)]) -> OrderFacts {
        OrderFacts {
            day: NaiveDate::from_ymd_opt(2024, 5, day).unwrap(),
            channel: channel_key(None),
            currency: "EUR".into(),
            total_minor: 1000,
            lines: lines
                .iter()
                .map(|(s, q, p)| (s.to_string(), *q, *p))
                .collect(),
        }
    }

    #[test]
    fn an_order_with_two_lines_of_one_sku_counts_once_for_it() {
        let mut rollup = Rollup::default();
        rollup.add(1, &order(1, &[("A", 1, 100), ("A", 2, 100), ("B", 1, 50)]));
        let day = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
        let a = rollup.items[&(day, "A".into(), "unknown".into(), "EUR".into())];
        assert_eq!(
            a,
            ItemCell {
                orders: 1,
                units: 3,
                items_minor: 300
            }
        );
        let all = rollup.sales[&(day, "unknown".into(), "EUR".into())];
        assert_eq!(
            all,
            SalesCell {
                orders: 1,
                units: 4,
                items_minor: 350,
                sales_minor: 1000
            }
        );
    }

    #[test]
    fn taking_an_order_away_leaves_nothing_and_differences_are_counted() {
        let mut rollup = Rollup::default();
        rollup.add(1, &order(1, &[("A", 1, 100)]));
        let kept = rollup.clone();
        rollup.add(-1, &order(1, &[("A", 1, 100)]));
        let rollup = rollup.without_zeroes();
        assert_eq!(rollup.rows(), 0);
        assert_eq!(kept.differences(&rollup), 2);
        assert_eq!(kept.differences(&kept), 0);
    }
}
