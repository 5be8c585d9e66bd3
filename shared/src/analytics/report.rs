//! Reports from the rows both stores read out of the daily tables: bucketing into weeks and
//! months, grouping, ranking and days of cover are done here once, so SQLite and Azure SQL
//! answer alike.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate};

use super::rollup::{ItemCell, SalesCell};
use super::*;

/// A `daily_sales` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesRow {
    /// The local day.
    pub day: NaiveDate,
    /// The channel.
    pub channel: String,
    /// The currency.
    pub currency: String,
    /// The figures.
    pub cell: SalesCell,
}

/// A SKU's sales on one day in one currency (its channels summed), with its current category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRow {
    /// The local day.
    pub day: NaiveDate,
    /// The SKU.
    pub sku: String,
    /// The product's current category (`""` when none or the product is gone).
    pub category: String,
    /// The currency.
    pub currency: String,
    /// The figures.
    pub cell: ItemCell,
}

/// A SKU's sales over a range in one currency, with its title and category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemTotal {
    /// The SKU.
    pub sku: String,
    /// The product's title, if it still exists.
    pub title: Option<String>,
    /// The product's current category (`""` when none).
    pub category: String,
    /// The currency.
    pub currency: String,
    /// The figures.
    pub cell: ItemCell,
}

/// A SKU's stock over every location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockRow {
    /// The SKU.
    pub sku: String,
    /// The product's title, if known.
    pub title: Option<String>,
    /// Units on hand.
    pub on_hand: i64,
}

/// The first day of the bucket `day` falls in.
pub fn period_start(day: NaiveDate, granularity: Granularity) -> NaiveDate {
    match granularity {
        Granularity::Day => day,
        Granularity::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
        Granularity::Month => day.with_day(1).unwrap_or(day),
    }
}

type PointKey = (NaiveDate, Option<String>, String);

/// The report for `query` from the range's `daily_sales` rows and (grouped by product or
/// category) its item rows.
pub fn sales_report(
    time_zone: String,
    query: &SalesQuery,
    sales: &[SalesRow],
    items: &[ItemRow],
) -> SalesReport {
    let mut points: BTreeMap<PointKey, SalesCell> = BTreeMap::new();
    let mut totals: BTreeMap<String, SalesCell> = BTreeMap::new();
    for row in sales {
        let total = totals.entry(row.currency.clone()).or_default();
        add_sales(total, &row.cell);
        let group = match query.group_by {
            None => None,
            Some(GroupBy::Channel) => Some(row.channel.clone()),
            Some(GroupBy::Product | GroupBy::Category) => continue,
        };
        let key = (
            period_start(row.day, query.granularity),
            group,
            row.currency.clone(),
        );
        add_sales(points.entry(key).or_default(), &row.cell);
    }
    for row in items {
        let group = match query.group_by {
            Some(GroupBy::Product) => row.sku.clone(),
            Some(GroupBy::Category) => row.category.clone(),
            _ => continue,
        };
        let key = (
            period_start(row.day, query.granularity),
            Some(group),
            row.currency.clone(),
        );
        let point = points.entry(key).or_default();
        point.orders += row.cell.orders;
        point.units += row.cell.units;
        point.items_minor += row.cell.items_minor;
    }
    let itemised = matches!(query.group_by, Some(GroupBy::Product | GroupBy::Category));
    let points = points
        .into_iter()
        .map(|((period_start, group, currency), cell)| SalesPoint {
            period_start,
            group,
            currency,
            orders: cell.orders.max(0) as u64,
            units: cell.units,
            items_minor: cell.items_minor,
            sales_minor: (!itemised).then_some(cell.sales_minor),
        })
        .collect();
    let mut totals: Vec<CurrencyTotal> = totals
        .into_iter()
        .map(|(currency, cell)| CurrencyTotal {
            currency,
            orders: cell.orders.max(0) as u64,
            units: cell.units,
            items_minor: cell.items_minor,
            sales_minor: cell.sales_minor,
        })
        .collect();
    totals.sort_by(|a, b| {
        b.sales_minor
            .cmp(&a.sales_minor)
            .then_with(|| a.currency.cmp(&b.currency))
    });
    SalesReport {
        time_zone,
        range: query.range,
        granularity: query.granularity,
        group_by: query.group_by,
        points,
        totals,
    }
}

fn add_sales(total: &mut SalesCell, cell: &SalesCell) {
    total.orders += cell.orders;
    total.units += cell.units;
    total.items_minor += cell.items_minor;
    total.sales_minor += cell.sales_minor;
}

/// The top list for `query` from the range's per-SKU totals. Entries are (key, currency)
/// pairs: amounts in different currencies are never added up.
pub fn top_items(query: &TopQuery, totals: &[ItemTotal]) -> Vec<TopItem> {
    let mut entries: BTreeMap<(String, String), (Option<String>, ItemCell)> = BTreeMap::new();
    for total in totals {
        let (key, label) = match query.by {
            TopBy::Product => (total.sku.clone(), total.title.clone()),
            TopBy::Category => (
                total.category.clone(),
                (!total.category.is_empty()).then(|| total.category.clone()),
            ),
        };
        let entry = entries
            .entry((key, total.currency.clone()))
            .or_insert_with(|| (label, ItemCell::default()));
        entry.1.orders += total.cell.orders;
        entry.1.units += total.cell.units;
        entry.1.items_minor += total.cell.items_minor;
    }
    let mut ranked: Vec<_> = entries.into_iter().collect();
    let measure = |cell: &ItemCell| match query.metric {
        TopMetric::Revenue => (cell.items_minor, cell.units),
        TopMetric::Units => (cell.units, cell.items_minor),
    };
    // Best first; ties by key then currency, so the order is stable.
    ranked.sort_by(|(ka, (_, a)), (kb, (_, b))| measure(b).cmp(&measure(a)).then(ka.cmp(kb)));
    ranked
        .into_iter()
        .take(query.limit as usize)
        .enumerate()
        .map(|(i, ((key, currency), (label, cell)))| TopItem {
            rank: i as u32 + 1,
            key,
            label,
            currency,
            orders: cell.orders.max(0) as u64,
            units: cell.units,
            items_minor: cell.items_minor,
        })
        .collect()
}

/// The low-stock alerts for `query` from every stocked SKU and the units each sold in the
/// look-back window: out of stock first, then fewest days of cover, then SKU.
pub fn stock_alerts(
    query: &LowStockQuery,
    stock: Vec<StockRow>,
    sold: &HashMap<String, i64>,
) -> Vec<StockAlert> {
    let days = f64::from(query.lookback_days.max(1));
    let threshold = f64::from(query.threshold_days);
    let mut alerts: Vec<StockAlert> = stock
        .into_iter()
        .filter_map(|row| {
            let units_sold = sold.get(&row.sku).copied().unwrap_or(0);
            let daily_units = units_sold as f64 / days;
            let days_of_cover =
                (daily_units > 0.0).then(|| row.on_hand.max(0) as f64 / daily_units);
            let low = row.on_hand <= 0 || days_of_cover.is_some_and(|d| d < threshold);
            low.then_some(StockAlert {
                sku: row.sku,
                title: row.title,
                on_hand: row.on_hand,
                units_sold,
                daily_units,
                days_of_cover,
            })
        })
        .collect();
    alerts.sort_by(|a, b| {
        let out = |x: &StockAlert| x.on_hand > 0;
        let cover = |x: &StockAlert| x.days_of_cover.unwrap_or(f64::INFINITY);
        out(a)
            .cmp(&out(b))
            .then(cover(a).total_cmp(&cover(b)))
            .then_with(|| a.sku.cmp(&b.sku))
    });
    alerts.truncate(query.limit as usize);
    alerts
}

/// The look-back window of `query`: the `lookback_days` days ending on `as_of`.
pub fn lookback_range(query: &LowStockQuery) -> DateRange {
    let days = i64::from(query.lookback_days.max(1));
    DateRange {
        from: query.as_of - Duration::days(days - 1),
        to: query.as_of,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        // 2024-05-15 is a Wednesday.
        assert_eq!(
            period_start(day("2024-05-15"), Granularity::Week),
            day("2024-05-13")
        );
        assert_eq!(
            period_start(day("2024-05-13"), Granularity::Week),
            day("2024-05-13")
        );
        assert_eq!(
            period_start(day("2024-05-19"), Granularity::Week),
            day("2024-05-13")
        );
        assert_eq!(
            period_start(day("2024-05-15"), Granularity::Month),
            day("2024-05-01")
        );
        assert_eq!(
            period_start(day("2024-05-15"), Granularity::Day),
            day("2024-05-15")
        );
    }

    #[test]
    fn out_of_stock_comes_first_then_the_least_cover() {
        let query = LowStockQuery {
            as_of: day("2024-05-28"),
            lookback_days: 10,
            threshold_days: 14,
            limit: 50,
        };
        let stock = vec![
            StockRow {
                sku: "A".into(),
                title: None,
                on_hand: 20,
            },
            StockRow {
                sku: "B".into(),
                title: None,
                on_hand: 0,
            },
            StockRow {
                sku: "C".into(),
                title: None,
                on_hand: 5,
            },
            StockRow {
                sku: "D".into(),
                title: None,
                on_hand: 500,
            },
            StockRow {
                sku: "E".into(),
                title: None,
                on_hand: 3,
            },
        ];
        let sold: HashMap<String, i64> = [("A", 20), ("C", 20), ("D", 10)]
            .map(|(s, n)| (s.to_owned(), n))
            .into();
        let alerts = stock_alerts(&query, stock, &sold);
        let skus: Vec<_> = alerts.iter().map(|a| a.sku.as_str()).collect();
        // A: 20 / 2 a day = 10 days; C: 2.5 days; D: 500 days; E sells nothing.
        assert_eq!(skus, ["B", "C", "A"]);
        assert_eq!(alerts[1].days_of_cover, Some(2.5));
        assert_eq!(alerts[0].days_of_cover, None);
    }
}
