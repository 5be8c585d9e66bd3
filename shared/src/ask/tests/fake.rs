//! Fake sales data for the offline tests: fixed orders, answered the way the stores answer
//! (local days, per currency, groups, ranks), recording every query.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{Datelike, Duration, NaiveDate};

use crate::analytics::{
    CurrencyTotal, DateRange, Granularity, GroupBy, LowStockQuery, SalesData, SalesPoint,
    SalesQuery, SalesReport, StockAlert, TopBy, TopItem, TopMetric, TopQuery,
};
use crate::domain::TenantId;
use crate::store::StoreError;

/// (local day, channel, currency, order total, lines: (sku, title, category, units, value)).
type Order = (
    &'static str,
    &'static str,
    &'static str,
    i64,
    &'static [(&'static str, &'static str, &'static str, i64, i64)],
);

const ORDERS: &[Order] = &[
    (
        "2025-04-05",
        "web",
        "EUR",
        20_000,
        &[("SKU-B", "Mug", "Kitchen", 5, 20_000)],
    ),
    (
        "2026-01-15",
        "web",
        "EUR",
        7_000,
        &[("SKU-A", "Tee", "Apparel", 2, 7_000)],
    ),
    (
        "2026-04-10",
        "web",
        "EUR",
        10_000,
        &[("SKU-A", "Tee", "Apparel", 2, 8_000)],
    ),
    (
        "2026-05-20",
        "shop",
        "EUR",
        25_050,
        &[
            ("SKU-B", "Mug", "Kitchen", 5, 20_000),
            ("SKU-A", "Tee", "Apparel", 1, 4_000),
        ],
    ),
    (
        "2026-06-10",
        "shop",
        "EUR",
        2_000,
        &[("SKU-B", "Mug", "Kitchen", 1, 1_800)],
    ),
    (
        "2026-06-15",
        "web",
        "USD",
        5_000,
        &[("SKU-C", "Cap", "Apparel", 1, 4_500)],
    ),
    (
        "2026-07-03",
        "web",
        "EUR",
        3_000,
        &[("SKU-A", "Tee", "Apparel", 1, 3_000)],
    ),
    (
        "2026-07-20",
        "shop",
        "EUR",
        6_000,
        &[("SKU-B", "Mug", "Kitchen", 2, 6_000)],
    ),
];

/// Sales data from [`ORDERS`], recording every query it is asked.
pub struct FakeData {
    pub zone: String,
    pub asked: Mutex<Vec<String>>,
}

impl FakeData {
    pub fn new(zone: &str) -> Self {
        Self {
            zone: zone.into(),
            asked: Mutex::new(Vec::new()),
        }
    }

    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }

    fn orders(range: &DateRange) -> impl Iterator<Item = (NaiveDate, &'static Order)> {
        ORDERS.iter().filter_map(move |o| {
            let day = NaiveDate::parse_from_str(o.0, "%Y-%m-%d").unwrap();
            (range.from <= day && day <= range.to).then_some((day, o))
        })
    }
}

fn bucket(day: NaiveDate, g: Granularity) -> NaiveDate {
    match g {
        Granularity::Day => day,
        Granularity::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
        Granularity::Month => day.with_day(1).unwrap(),
    }
}

#[async_trait]
impl SalesData for FakeData {
    async fn tenant_time_zone(&self, _: &TenantId) -> Result<String, StoreError> {
        Ok(self.zone.clone())
    }

    async fn sales(&self, _: &TenantId, q: &SalesQuery) -> Result<SalesReport, StoreError> {
        self.asked.lock().unwrap().push(format!(
            "sales {}..{} {:?} {:?}",
            q.range.from, q.range.to, q.granularity, q.group_by
        ));
        let mut totals: BTreeMap<&str, CurrencyTotal> = BTreeMap::new();
        let mut points: BTreeMap<(NaiveDate, Option<String>, &str), SalesPoint> = BTreeMap::new();
        for (day, (_, channel, currency, total, lines)) in Self::orders(&q.range) {
            let t = totals.entry(currency).or_insert_with(|| CurrencyTotal {
                currency: currency.to_string(),
                orders: 0,
                units: 0,
                items_minor: 0,
                sales_minor: 0,
            });
            t.orders += 1;
            t.sales_minor += total;
            t.units += lines.iter().map(|l| l.3).sum::<i64>();
            t.items_minor += lines.iter().map(|l| l.4).sum::<i64>();
            let start = bucket(day, q.granularity);
            let groups: Vec<(Option<String>, i64, i64, Option<i64>)> = match q.group_by {
                None => vec![(
                    None,
                    lines.iter().map(|l| l.3).sum(),
                    lines.iter().map(|l| l.4).sum(),
                    Some(*total),
                )],
                Some(GroupBy::Channel) => vec![(
                    Some(channel.to_string()),
                    lines.iter().map(|l| l.3).sum(),
                    lines.iter().map(|l| l.4).sum(),
                    Some(*total),
                )],
                Some(GroupBy::Product) => lines
                    .iter()
                    .map(|l| (Some(l.0.to_string()), l.3, l.4, None))
                    .collect(),
                Some(GroupBy::Category) => lines
                    .iter()
                    .map(|l| (Some(l.2.to_string()), l.3, l.4, None))
                    .collect(),
            };
            for (group, units, items, sales) in groups {
                let p = points
                    .entry((start, group.clone(), currency))
                    .or_insert_with(|| SalesPoint {
                        period_start: start,
                        group,
                        currency: currency.to_string(),
                        orders: 0,
                        units: 0,
                        items_minor: 0,
                        sales_minor: sales.map(|_| 0),
                    });
                p.orders += 1;
                p.units += units;
                p.items_minor += items;
                p.sales_minor = p.sales_minor.zip(sales).map(|(a, b)| a + b);
            }
        }
        let mut totals: Vec<CurrencyTotal> = totals.into_values().collect();
        totals.sort_by_key(|t| std::cmp::Reverse(t.sales_minor));
        Ok(SalesReport {
            time_zone: self.zone.clone(),
            range: q.range,
            granularity: q.granularity,
            group_by: q.group_by,
            points: points.into_values().collect(),
            totals,
        })
    }

    async fn top(&self, _: &TenantId, q: &TopQuery) -> Result<Vec<TopItem>, StoreError> {
        self.asked.lock().unwrap().push(format!(
            "top {}..{} {:?} {:?} {}",
            q.range.from, q.range.to, q.by, q.metric, q.limit
        ));
        let mut items: BTreeMap<(String, &str), TopItem> = BTreeMap::new();
        for (_, (_, _, currency, _, lines)) in Self::orders(&q.range) {
            for (sku, title, category, units, value) in lines.iter() {
                let (key, label) = match q.by {
                    TopBy::Product => (sku.to_string(), title.to_string()),
                    TopBy::Category => (category.to_string(), category.to_string()),
                };
                let i = items
                    .entry((key.clone(), currency))
                    .or_insert_with(|| TopItem {
                        rank: 0,
                        key,
                        label: Some(label),
                        currency: currency.to_string(),
                        orders: 0,
                        units: 0,
                        items_minor: 0,
                    });
                i.orders += 1;
                i.units += units;
                i.items_minor += value;
            }
        }
        let mut items: Vec<TopItem> = items.into_values().collect();
        items.sort_by_key(|i| match q.metric {
            TopMetric::Revenue => -i.items_minor,
            TopMetric::Units => -i.units,
        });
        items.truncate(q.limit as usize);
        for (n, i) in items.iter_mut().enumerate() {
            i.rank = n as u32 + 1;
        }
        Ok(items)
    }

    async fn low_stock(
        &self,
        _: &TenantId,
        q: &LowStockQuery,
    ) -> Result<Vec<StockAlert>, StoreError> {
        self.asked.lock().unwrap().push(format!(
            "low_stock {} {} {} {}",
            q.as_of, q.lookback_days, q.threshold_days, q.limit
        ));
        let alert = |sku: &str, title: &str, on_hand, sold, cover| StockAlert {
            sku: sku.into(),
            title: Some(title.into()),
            on_hand,
            units_sold: sold,
            daily_units: sold as f64 / f64::from(q.lookback_days),
            days_of_cover: cover,
        };
        let all = [
            alert("SKU-B", "Mug", 0, 8, Some(0.0)),
            alert("SKU-A", "Tee", 3, 18, Some(5.0)),
            alert("SKU-C", "Cap", 40, 60, Some(20.0)),
        ];
        Ok(all
            .into_iter()
            .filter(|a| {
                a.on_hand <= 0 || a.days_of_cover.unwrap_or(f64::MAX) < f64::from(q.threshold_days)
            })
            .take(q.limit as usize)
            .collect())
    }
}
