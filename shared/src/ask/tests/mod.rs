//! Offline answers to a fixed list of questions, against fixed data and a fixed now:
//! 2026-08-15T10:00Z, a Saturday, for a shop in Europe/Berlin.

use chrono::TimeZone;

use super::*;
use fake::FakeData;

mod fake;

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
        "Sales in Q2 2026: EUR 370.50 from 3 orders (9 units); USD 50.00 from 1 order (1 unit)."
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
         2. Apparel: EUR 30.00, 1 unit."
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
         web: USD 50.00 (1 unit)."
    );
}

#[tokio::test]
async fn low_stock_reads_the_threshold_and_names_the_products() {
    let (a, asked) = ask("Which products are running low?").await;
    assert_eq!(a.intent, "low_stock");
    assert_eq!(asked, ["low_stock 2026-08-15 28 14 20"]);
    assert_eq!(a.period, None);
    assert_eq!(
        a.answer,
        "2 products have less than 14 days of cover at the pace of the last 28 days: \
         Mug (SKU-B): out of stock; Tee (SKU-A): 3 on hand, about 5.0 days of cover."
    );
    let (a, asked) = ask("What will run out within 30 days?").await;
    assert_eq!(asked, ["low_stock 2026-08-15 28 30 20"]);
    assert!(a.answer.contains("Cap (SKU-C)"), "{}", a.answer);
}

#[tokio::test]
async fn no_period_means_the_last_30_days_and_says_so() {
    let (a, asked) = ask("how much did we sell").await;
    assert_eq!(asked, ["sales 2026-07-17..2026-08-15 Day None"]);
    assert_eq!(
        a.answer,
        "Sales in the last 30 days: EUR 60.00 from 1 order (2 units)."
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

#[tokio::test]
async fn the_answer_serialises_with_its_period_data_and_engine() {
    let (a, _) = ask("What were our sales in Q2?").await;
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["answered"], true);
    assert_eq!(json["intent"], "total_sales");
    assert_eq!(json["engine"], "offline");
    assert_eq!(
        json["period"],
        serde_json::json!({"label": "Q2 2026", "from": "2026-04-01", "to": "2026-06-30",
                           "time_zone": "Europe/Berlin"})
    );
    assert_eq!(json["compared_with"], serde_json::Value::Null);
    let data = &json["data"][0];
    assert_eq!(data["tool"], "sales_summary");
    assert_eq!(data["args"]["granularity"], "week");
    assert_eq!(data["report"]["totals"][0]["sales_minor"], 37_050);
}
