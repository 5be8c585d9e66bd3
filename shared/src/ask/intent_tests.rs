use super::*;

fn today() -> NaiveDate {
    d("2026-08-15")
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn ok(q: &str) -> Plan {
    plan(q, today()).unwrap_or_else(|e| panic!("{q}: {e}"))
}

fn days(p: &Option<Period>) -> (NaiveDate, NaiveDate) {
    let p = p.as_ref().unwrap();
    (p.range.from, p.range.to)
}

#[test]
fn total_sales_questions_are_understood_in_many_wordings() {
    for q in [
        "What were our sales in Q2?",
        "revenue in Q2",
        "How much did we sell in Q2?",
        "Q2 turnover",
    ] {
        let p = ok(q);
        assert_eq!(
            p.intent,
            Intent::TotalSales {
                measure: Measure::Revenue
            },
            "{q}"
        );
        assert_eq!(days(&p.period), (d("2026-04-01"), d("2026-06-30")), "{q}");
        assert_eq!(p.compared_with, None, "{q}");
    }
}

#[test]
fn units_wording_asks_for_units() {
    for q in [
        "How many units did we sell last month?",
        "units sold in March",
    ] {
        assert_eq!(
            ok(q).intent,
            Intent::TotalSales {
                measure: Measure::Units
            },
            "{q}"
        );
    }
}

#[test]
fn no_period_uses_the_last_30_days() {
    let p = ok("how much did we sell");
    assert_eq!(days(&p.period), (d("2026-07-17"), d("2026-08-15")));
    assert!(p.period.unwrap().note.is_some());
}

#[test]
fn comparisons_name_the_earlier_period() {
    let p = ok("Sales last month compared with the month before");
    assert_eq!(p.intent.name(p.compared_with.is_some()), "sales_comparison");
    assert_eq!(days(&p.period), (d("2026-07-01"), d("2026-07-31")));
    assert_eq!(days(&p.compared_with), (d("2026-06-01"), d("2026-06-30")));

    let p = ok("revenue in Q2 vs last year");
    assert_eq!(days(&p.period), (d("2026-04-01"), d("2026-06-30")));
    assert_eq!(days(&p.compared_with), (d("2025-04-01"), d("2025-06-30")));

    let p = ok("Q2 vs Q1 sales");
    assert_eq!(
        p.intent,
        Intent::TotalSales {
            measure: Measure::Revenue
        }
    );
    assert_eq!(days(&p.period), (d("2026-04-01"), d("2026-06-30")));
    assert_eq!(days(&p.compared_with), (d("2026-01-01"), d("2026-03-31")));

    let p = ok("revenue this month vs the same month last year");
    assert_eq!(days(&p.compared_with), (d("2025-08-01"), d("2025-08-15")));

    let p = ok("Q2 sales versus Q1");
    assert_eq!(days(&p.compared_with), (d("2026-01-01"), d("2026-03-31")));

    let p = ok("compare sales in March with February");
    assert_eq!(days(&p.period), (d("2026-03-01"), d("2026-03-31")));
    assert_eq!(days(&p.compared_with), (d("2026-02-01"), d("2026-02-28")));

    let p = ok("how did revenue change this month?");
    assert_eq!(days(&p.period), (d("2026-08-01"), d("2026-08-15")));
    assert_eq!(days(&p.compared_with), (d("2026-07-01"), d("2026-07-15")));
}

#[test]
fn splits_by_channel_category_and_product() {
    let by = |q: &str| match ok(q).intent {
        Intent::SalesBy { group_by, .. } => group_by,
        other => panic!("{q}: {other:?}"),
    };
    assert_eq!(by("sales by channel last month"), GroupBy::Channel);
    assert_eq!(by("revenue per category in Q2"), GroupBy::Category);
    assert_eq!(
        by("how much did each product sell this week"),
        GroupBy::Product
    );
    assert_eq!(by("which channels sold best"), GroupBy::Channel);
}

#[test]
fn top_lists_read_what_how_many_and_by_what() {
    let p = ok("Top 5 categories last month");
    assert_eq!(
        p.intent,
        Intent::TopItems {
            by: TopBy::Category,
            metric: TopMetric::Revenue,
            limit: 5
        }
    );
    assert_eq!(days(&p.period), (d("2026-07-01"), d("2026-07-31")));
    assert_eq!(
        ok("top ten products by units sold this year").intent,
        Intent::TopItems {
            by: TopBy::Product,
            metric: TopMetric::Units,
            limit: 10
        }
    );
    assert_eq!(
        ok("best-selling products").intent,
        Intent::TopItems {
            by: TopBy::Product,
            metric: TopMetric::Revenue,
            limit: DEFAULT_TOP
        }
    );
    match ok("top 500 products").intent {
        Intent::TopItems { limit, .. } => assert_eq!(limit, 100),
        other => panic!("{other:?}"),
    }
}

#[test]
fn low_stock_questions_read_their_thresholds() {
    let low = |q: &str| ok(q).intent;
    assert_eq!(
        low("Which products are running low?"),
        Intent::LowStock {
            lookback_days: 28,
            threshold_days: 14
        }
    );
    assert_eq!(
        low("What will run out within 10 days?"),
        Intent::LowStock {
            lookback_days: 28,
            threshold_days: 10
        }
    );
    assert_eq!(
        low("what is low on stock with less than 2 weeks of cover based on the last 60 days"),
        Intent::LowStock {
            lookback_days: 60,
            threshold_days: 14
        }
    );
    assert_eq!(ok("what is out of stock").period, None);
}

#[test]
fn questions_it_cannot_answer_say_what_it_can() {
    for q in [
        "What is the weather in Berlin?",
        "Who are our best customers?",
        "Which products sold the least?",
        "What is our profit margin?",
        "hello",
    ] {
        let why = plan(q, today()).unwrap_err();
        assert!(why.starts_with("I can't answer"), "{q}: {why}");
        assert!(why.contains("running low"), "{q}: {why}");
    }
}

#[test]
fn a_period_in_the_future_cannot_be_answered() {
    let why = plan("sales in 2027", today()).unwrap_err();
    assert!(why.contains("has not started"), "{why}");
}
