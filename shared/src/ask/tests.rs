//! Offline answers to a fixed list of questions, against fixed data and a fixed now:
//! 2026-08-15T10:00Z, a Saturday, for a shop in Europe/Berlin.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{Datelike, Duration, TimeZone};

use super::*;
use crate::analytics::{
    CurrencyTotal, Granularity, GroupBy, LowStockQuery, SalesPoint, SalesQuery, SalesReport,
    StockAlert, TopBy, TopItem, TopMetric, TopQuery,
};

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
pub(super) struct FakeData {
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
        totals.sort_by(|a, b| b.sales_minor.cmp(&a.sales_minor));
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

pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 8, 15, 10, 0, 0).unwrap()
}

fn tenant() -> TenantId {
    TenantId::parse("acme").unwrap()
}

async fn ask(q: &str) -> (Answer, Vec<String>) {
    let data = FakeData::new("Europe/Berlin");
    let answer = answer(&AiEngine::Offline, None, &data, &tenant(), q, now())
        .await
        .unwrap();
    (answer, data.asked())
}

fn days(p: &Option<AnswerPeriod>) -> (String, String, String) {
    let p = p.as_ref().unwrap();
    (p.from.to_string(), p.to.to_string(), p.label.clone())
}

fn triple(from: &str, to: &str, label: &str) -> (String, String, String) {
    (from.into(), to.into(), label.into())
}

#[tokio::test]
async fn sales_in_q2_are_this_years_q2_with_every_currency_apart() {
    let (a, asked) = ask("What were our sales in Q2?").await;
    assert!(a.answered);
    assert_eq!(a.intent, "total_sales");
    assert_eq!(a.engine, "offline");
    assert_eq!(
        days(&a.period),
        triple("2026-04-01", "2026-06-30", "Q2 2026")
    );
    assert_eq!(a.period.as_ref().unwrap().time_zone, "Europe/Berlin");
    assert_eq!(asked, ["sales 2026-04-01..2026-06-30 Week None"]);
    assert_eq!(
        a.answer,
        "Sales in Q2 2026: EUR 370.50 from 3 orders (9 units); USD 50.00 from 1 orders (1 units)."
    );
    assert_eq!(a.data.len(), 1);
}

#[tokio::test]
async fn units_questions_lead_with_units() {
    let (a, asked) = ask("How many units did we sell last month?").await;
    assert_eq!(asked, ["sales 2026-07-01..2026-07-31 Day None"]);
    assert_eq!(
        a.answer,
        "Units sold in July 2026: 3 units in 2 orders (EUR 90.00)."
    );
}

#[tokio::test]
async fn a_comparison_runs_two_queries_and_says_the_change() {
    let (a, asked) = ask("Sales last month compared with the month before").await;
    assert_eq!(a.intent, "sales_comparison");
    assert_eq!(
        asked,
        [
            "sales 2026-07-01..2026-07-31 Day None",
            "sales 2026-06-01..2026-06-30 Day None"
        ]
    );
    assert_eq!(
        days(&a.compared_with),
        triple("2026-06-01", "2026-06-30", "June 2026")
    );
    assert_eq!(
        a.answer,
        "Sales in July 2026 compared with June 2026: EUR 90.00 vs EUR 20.00 — up EUR 70.00 \
         (+350.0%); USD 0.00 vs USD 50.00 — down USD 50.00 (-100.0%)."
    );
}

#[tokio::test]
async fn a_comparison_with_last_year_takes_the_same_days() {
    let (a, asked) = ask("revenue in Q2 vs last year").await;
    assert_eq!(asked[1], "sales 2025-04-01..2025-06-30 Week None");
    assert!(
        a.answer
            .contains("EUR 370.50 vs EUR 200.00 — up EUR 170.50"),
        "{}",
        a.answer
    );
}

#[tokio::test]
async fn top_categories_last_month_rank_by_revenue() {
    let (a, asked) = ask("Top 5 categories last month").await;
    assert_eq!(a.intent, "top_items");
    assert_eq!(asked, ["top 2026-07-01..2026-07-31 Category Revenue 5"]);
    assert_eq!(
        a.answer,
        "Top 2 categories by revenue in July 2026: 1. Kitchen: EUR 60.00, 2 units; \
         2. Apparel: EUR 30.00, 1 units."
    );
}

#[tokio::test]
async fn top_products_by_units_name_the_products() {
    let (a, asked) = ask("top 3 products by units sold in Q2").await;
    assert_eq!(asked, ["top 2026-04-01..2026-06-30 Product Units 3"]);
    assert!(a.answer.starts_with("Top 3 products by units sold in Q2 2026: 1. Mug (SKU-B): EUR 218.00, 6 units; 2. Tee (SKU-A)"), "{}", a.answer);
}

#[tokio::test]
async fn sales_by_channel_split_the_orders_totals() {
    let (a, asked) = ask("sales by channel in Q2").await;
    assert_eq!(a.intent, "sales_by");
    assert_eq!(asked, ["sales 2026-04-01..2026-06-30 Week Some(Channel)"]);
    assert_eq!(
        a.answer,
        "Sales by channel in Q2 2026: shop: EUR 270.50 (7 units); web: EUR 100.00 (2 units); \
         web: USD 50.00 (1 units)."
    );
}

#[tokio::test]
async fn low_stock_reads_the_threshold_and_names_the_products() {
    let (a, asked) = ask("Which products are running low?").await;
    assert_eq!(a.intent, "low_stock");
    assert_eq!(asked, ["low_stock 2026-08-15 30 14 20"]);
    assert_eq!(a.period, None);
    assert_eq!(
        a.answer,
        "2 products have less than 14 days of cover at the pace of the last 30 days: \
         Mug (SKU-B): out of stock; Tee (SKU-A): 3 on hand, about 5.0 days of cover."
    );
    let (a, asked) = ask("What will run out within 30 days?").await;
    assert_eq!(asked, ["low_stock 2026-08-15 30 30 20"]);
    assert!(a.answer.contains("Cap (SKU-C)"), "{}", a.answer);
}

#[tokio::test]
async fn no_period_means_the_last_30_days_and_says_so() {
    let (a, asked) = ask("how much did we sell").await;
    assert_eq!(asked, ["sales 2026-07-17..2026-08-15 Day None"]);
    assert_eq!(
        a.answer,
        "Sales in the last 30 days: EUR 60.00 from 1 orders (2 units)."
    );
    assert!(
        a.notes.iter().any(|n| n.contains("no period was named")),
        "{:?}",
        a.notes
    );
}

#[tokio::test]
async fn a_period_not_over_is_cut_at_today_and_says_so() {
    let (a, asked) = ask("revenue this year").await;
    assert_eq!(asked, ["sales 2026-01-01..2026-08-15 Month None"]);
    assert_eq!(
        days(&a.period),
        triple("2026-01-01", "2026-08-15", "2026 to date")
    );
    assert!(
        a.notes
            .iter()
            .any(|n| n.contains("up to today (2026-08-15)")),
        "{:?}",
        a.notes
    );
}

#[tokio::test]
async fn a_period_without_sales_says_there_were_none() {
    let (a, _) = ask("sales in March 2025").await;
    assert!(a.answered);
    assert_eq!(a.answer, "No sales in March 2025.");
}

#[tokio::test]
async fn questions_it_cannot_answer_are_answered_not_failed() {
    for q in [
        "What's the weather in Berlin?",
        "Which customers spent the most?",
    ] {
        let (a, asked) = ask(q).await;
        assert!(!a.answered, "{q}");
        assert_eq!(a.intent, "unknown");
        assert!(a.answer.starts_with("I can't answer"), "{q}: {}", a.answer);
        assert!(
            a.answer.contains("Top 5 categories last month"),
            "{}",
            a.answer
        );
        assert!(asked.is_empty(), "{q}: {asked:?}");
    }
}

#[tokio::test]
async fn empty_and_overlong_questions_are_refused() {
    let data = FakeData::new("UTC");
    for q in ["", "   ", &"x".repeat(501)] {
        let err = answer(&AiEngine::Offline, None, &data, &tenant(), q, now())
            .await
            .unwrap_err();
        assert!(matches!(err, AskError::InvalidQuestion(_)), "{err}");
        assert!(!err.is_transient());
    }
    let ok = answer(
        &AiEngine::Offline,
        None,
        &data,
        &tenant(),
        &"é".repeat(500),
        now(),
    )
    .await;
    assert!(ok.is_ok());
}

#[tokio::test]
async fn today_is_the_tenants_local_day() {
    // 22:30 UTC on 30 June is already 1 July in Berlin, still 30 June in New York.
    let late = Utc.with_ymd_and_hms(2026, 6, 30, 22, 30, 0).unwrap();
    let berlin = FakeData::new("Europe/Berlin");
    let a = answer(
        &AiEngine::Offline,
        None,
        &berlin,
        &tenant(),
        "sales yesterday",
        late,
    )
    .await
    .unwrap();
    assert_eq!(days(&a.period).0, "2026-06-30");
    let ny = FakeData::new("America/New_York");
    let a = answer(
        &AiEngine::Offline,
        None,
        &ny,
        &tenant(),
        "sales yesterday",
        late,
    )
    .await
    .unwrap();
    assert_eq!(days(&a.period).0, "2026-06-29");
    let unknown = FakeData::new("Mars/Olympus");
    let a = answer(
        &AiEngine::Offline,
        None,
        &unknown,
        &tenant(),
        "sales yesterday",
        late,
    )
    .await
    .unwrap();
    assert_eq!(days(&a.period).0, "2026-06-29");
    assert!(a.notes[0].contains("unknown"), "{:?}", a.notes);
}
