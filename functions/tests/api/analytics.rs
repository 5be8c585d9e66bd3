//! `Analytics`, `TenantSettings` and `RollupAnalytics`: feeds dropped through the local host
//! land in the daily rollups, and the reports answer exact figures from them, in the tenant's
//! own days.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use shared::protocol::TimerInfo;
use shared::protocol::host::{self, Sys};

use crate::helpers::{TestApp, eventually};
use crate::ingest::problem;

const PRODUCTS: &str = "sku,title,price,currency,category\n\
                        A,Alpha mug,3.00,EUR,Kitchen\n\
                        B,Beta cup,2.50,EUR,Kitchen\n\
                        C,Gamma lamp,10.00,EUR,Lighting\n";

const STOCK: &str =
    "SKU,Warehouse,Available\nA,Berlin DC,3\nA,Hamburg Store,2\nB,Berlin DC,100\nC,Berlin DC,0\n";

/// Four orders on fixed days (6 May is a Monday), one at 23:30 UTC on 30 June, and two in
/// the last days, for the low-stock window.
fn orders() -> String {
    let ago = |days| (Utc::now() - Duration::days(days)).format("%Y-%m-%dT12:00:00Z");
    format!(
        "order_id,placed_at,currency,total,channel,sku,quantity,unit_price\n\
         O1,2024-05-06T10:00:00Z,EUR,10.00,Web,A,2,3.00\n\
         O1,2024-05-06T10:00:00Z,EUR,10.00,Web,B,1,2.50\n\
         O2,2024-05-08T12:00:00Z,EUR,3.00,pos,A,1,3.00\n\
         O3,2024-05-31T09:00:00Z,EUR,12.00,web,C,1,10.00\n\
         O4,2024-06-03T08:00:00Z,EUR,10.00,,B,4,2.50\n\
         O5,2024-06-30T23:30:00Z,EUR,10.00,,C,1,10.00\n\
         R1,{},EUR,42.00,web,A,14,3.00\n\
         R2,{},EUR,17.50,web,B,7,2.50\n",
        ago(2),
        ago(3)
    )
}

async fn landed(app: &TestApp, stem: &str) {
    let report = eventually(30, "the ingestion report", || async {
        app.report("demo", stem)
    })
    .await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["counts"]["rejected"], 0, "{report}");
}

async fn app_with_sales() -> TestApp {
    let app = TestApp::spawn().await;
    app.drop_feed("demo", "products.csv", PRODUCTS.as_bytes());
    landed(&app, "products").await;
    app.drop_feed("demo", "inventory/levels.csv", STOCK.as_bytes());
    landed(&app, "inventory/levels").await;
    app.drop_feed("demo", "orders.csv", orders().as_bytes());
    landed(&app, "orders").await;
    app
}

/// (period, group, orders, units, items, sales) of each point of a report.
fn points(report: &Value) -> Vec<Value> {
    report["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            json!([
                p["period_start"],
                p["group"],
                p["orders"],
                p["units"],
                p["items_minor"],
                p["sales_minor"]
            ])
        })
        .collect()
}

const MAY_JUNE: &str = "from=2024-05-01&to=2024-06-29";

#[tokio::test]
async fn sales_answer_exact_figures_by_day_week_and_month_and_by_each_group() {
    let app = app_with_sales().await;
    let report = app.get_json(&format!("/analytics/sales?{MAY_JUNE}")).await;
    assert_eq!(report["time_zone"], "UTC");
    assert_eq!(report["granularity"], "day");
    assert_eq!(
        points(&report),
        vec![
            json!(["2024-05-06", null, 1, 3, 850, 1000]),
            json!(["2024-05-08", null, 1, 1, 300, 300]),
            json!(["2024-05-31", null, 1, 1, 1000, 1200]),
            json!(["2024-06-03", null, 1, 4, 1000, 1000]),
        ]
    );
    let total = &report["totals"][0];
    assert_eq!(
        (&total["currency"], &total["orders"], &total["units"]),
        (&json!("EUR"), &json!(4), &json!(9))
    );
    assert_eq!(
        (&total["sales_minor"], &total["sales"]),
        (&json!(3500), &json!("35.00"))
    );
    assert_eq!(
        (&total["items"], &total["exponent"]),
        (&json!("31.50"), &json!(2))
    );
    assert_eq!(report["points"][0]["items"], "8.50");

    let weeks = app
        .get_json(&format!("/analytics/sales?{MAY_JUNE}&granularity=week"))
        .await;
    assert_eq!(
        points(&weeks),
        vec![
            json!(["2024-05-06", null, 2, 4, 1150, 1300]),
            json!(["2024-05-27", null, 1, 1, 1000, 1200]),
            json!(["2024-06-03", null, 1, 4, 1000, 1000]),
        ]
    );
    let months = app
        .get_json(&format!(
            "/analytics/sales?{MAY_JUNE}&granularity=month&group_by=channel"
        ))
        .await;
    assert_eq!(
        points(&months),
        vec![
            json!(["2024-05-01", "pos", 1, 1, 300, 300]),
            json!(["2024-05-01", "web", 2, 4, 1850, 2200]),
            json!(["2024-06-01", "unknown", 1, 4, 1000, 1000]),
        ]
    );
    let products = app
        .get_json(&format!(
            "/analytics/sales?{MAY_JUNE}&granularity=month&group_by=product"
        ))
        .await;
    assert_eq!(
        points(&products),
        vec![
            json!(["2024-05-01", "A", 2, 3, 900, null]),
            json!(["2024-05-01", "B", 1, 1, 250, null]),
            json!(["2024-05-01", "C", 1, 1, 1000, null]),
            json!(["2024-06-01", "B", 1, 4, 1000, null]),
        ]
    );
    let categories = app
        .get_json(&format!(
            "/analytics/sales?{MAY_JUNE}&granularity=month&group_by=category"
        ))
        .await;
    assert_eq!(
        points(&categories),
        vec![
            json!(["2024-05-01", "Kitchen", 3, 4, 1150, null]),
            json!(["2024-05-01", "Lighting", 1, 1, 1000, null]),
            json!(["2024-06-01", "Kitchen", 1, 4, 1000, null]),
        ]
    );
    assert_eq!(
        categories["totals"][0]["orders"], 4,
        "totals count orders, not lines"
    );
    app.stop().await;
}

#[tokio::test]
async fn top_lists_rank_products_and_categories_by_revenue_or_units() {
    let app = app_with_sales().await;
    let top = app.get_json(&format!("/analytics/top?{MAY_JUNE}")).await;
    let ranked: Vec<Value> = top["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            json!([
                i["rank"],
                i["key"],
                i["label"],
                i["items_minor"],
                i["items"]
            ])
        })
        .collect();
    assert_eq!(
        ranked,
        vec![
            json!([1, "B", "Beta cup", 1250, "12.50"]),
            json!([2, "C", "Gamma lamp", 1000, "10.00"]),
            json!([3, "A", "Alpha mug", 900, "9.00"]),
        ]
    );
    let by_units = app
        .get_json(&format!("/analytics/top?{MAY_JUNE}&metric=units&limit=2"))
        .await;
    let keys: Vec<_> = by_units["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["key"].clone(), i["units"].clone()))
        .collect();
    assert_eq!(keys, vec![(json!("B"), json!(5)), (json!("A"), json!(3))]);
    let categories = app
        .get_json(&format!("/analytics/top?{MAY_JUNE}&by=category"))
        .await;
    let keys: Vec<_> = categories["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["key"].clone(), i["items_minor"].clone()))
        .collect();
    assert_eq!(
        keys,
        vec![
            (json!("Kitchen"), json!(2150)),
            (json!("Lighting"), json!(1000))
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn low_stock_lists_the_out_of_stock_then_the_fewest_days_of_cover() {
    let app = app_with_sales().await;
    let low = app.get_json("/analytics/low-stock").await;
    assert_eq!(
        (&low["lookback_days"], &low["threshold_days"]),
        (&json!(28), &json!(14))
    );
    assert_eq!(low["as_of"], Utc::now().format("%Y-%m-%d").to_string());
    let items = low["items"].as_array().unwrap();
    // C: none on hand. A: 5 on hand, 14 sold in 28 days, so 0.5 a day and 10 days of cover.
    // B: 100 on hand at 0.25 a day lasts 400 days.
    assert_eq!(items.len(), 2, "{low}");
    assert_eq!(
        (
            &items[0]["sku"],
            &items[0]["on_hand"],
            &items[0]["days_of_cover"]
        ),
        (&json!("C"), &json!(0), &Value::Null)
    );
    assert_eq!(
        (&items[1]["sku"], &items[1]["title"], &items[1]["on_hand"]),
        (&json!("A"), &json!("Alpha mug"), &json!(5))
    );
    assert_eq!(
        (
            &items[1]["units_sold"],
            &items[1]["daily_units"],
            &items[1]["days_of_cover"]
        ),
        (&json!(14), &json!(0.5), &json!(10.0))
    );
    let fewer = app
        .get_json("/analytics/low-stock?threshold_days=5&limit=1")
        .await;
    assert_eq!(fewer["items"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn bad_parameters_are_400s_naming_them_and_an_unknown_report_is_404() {
    let app = TestApp::spawn().await;
    let key = Some("local-dev-key");
    let cases = [
        ("/analytics/sales?granularity=hour", "`granularity`"),
        ("/analytics/sales?group_by=store", "`group_by`"),
        ("/analytics/sales?from=2024-13-01", "`from`"),
        ("/analytics/sales?to=yesterday", "`to`"),
        ("/analytics/sales?from=2024-05-02&to=2024-05-01", "`from`"),
        (
            "/analytics/sales?from=2023-01-01&to=2024-06-01",
            "at most 366",
        ),
        (
            "/analytics/sales?from=2018-01-01&to=2024-06-01&granularity=month",
            "at most 1830",
        ),
        ("/analytics/sales?form=2024-05-01", "`form`"),
        ("/analytics/top?limit=0", "`limit`"),
        ("/analytics/top?limit=101", "`limit`"),
        ("/analytics/top?by=brand", "`by`"),
        ("/analytics/top?metric=profit", "`metric`"),
        ("/analytics/low-stock?lookback_days=0", "`lookback_days`"),
        ("/analytics/low-stock?threshold_days=x", "`threshold_days`"),
        ("/analytics/low-stock?limit=501", "`limit`"),
    ];
    for (path, named) in cases {
        let detail = problem(app.get(path, key).await, 400).await;
        assert!(detail.contains(named), "{path}: {detail}");
    }
    let detail = problem(app.get("/analytics/forecast", key).await, 404).await;
    assert!(detail.contains("`forecast`"), "{detail}");
    assert_eq!(app.get("/analytics/sales", None).await.status(), 401);
    let month = app
        .get_json("/analytics/sales?from=2020-01-01&to=2024-12-31&granularity=month")
        .await;
    assert_eq!(month["points"], json!([]));
    app.stop().await;
}

async fn patch_zone(app: &TestApp, body: &str) -> reqwest::Response {
    app.client
        .patch(format!("{}/tenant", app.api))
        .header("x-api-key", "local-dev-key")
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

fn timer() -> Value {
    let info: TimerInfo = serde_json::from_value(json!({
        "Schedule": {"AdjustForDST": true}, "ScheduleStatus": null, "IsPastDue": false
    }))
    .unwrap();
    serde_json::to_value(host::timer_invocation(
        "timer",
        &info,
        &Sys::now("RollupAnalytics"),
    ))
    .unwrap()
}

#[tokio::test]
async fn a_tenant_time_zone_moves_a_late_utc_order_to_the_next_local_day() {
    let app = app_with_sales().await;
    let tenant = app.get_json("/tenant").await;
    assert_eq!(tenant["time_zone"], "UTC");
    assert_eq!(tenant["id"], "demo");
    let edge = "/analytics/sales?from=2024-06-30&to=2024-07-01";
    let days = |report: &Value| -> Vec<Value> {
        report["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["period_start"].clone())
            .collect()
    };
    assert_eq!(days(&app.get_json(edge).await), vec![json!("2024-06-30")]);

    let detail = problem(
        patch_zone(&app, r#"{"time_zone": "Mars/Olympus"}"#).await,
        400,
    )
    .await;
    assert!(detail.contains("`time_zone`"), "{detail}");
    let detail = problem(patch_zone(&app, r#"{"zone": "UTC"}"#).await, 400).await;
    assert!(detail.contains("zone"), "{detail}");
    let response = patch_zone(&app, r#"{"time_zone": "Europe/Berlin"}"#).await;
    assert_eq!(response.status(), 200);
    let changed: Value = response.json().await.unwrap();
    assert_eq!(changed["time_zone"], "Europe/Berlin");
    assert!(
        changed["rollup"]["corrected"].as_u64().unwrap() > 0,
        "{changed}"
    );
    // Again: the same effect once, nothing left to move.
    let again: Value = patch_zone(&app, r#"{"time_zone": "Europe/Berlin"}"#)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["rollup"]["corrected"], 0, "{again}");
    let report = app.get_json(edge).await;
    assert_eq!(report["time_zone"], "Europe/Berlin");
    assert_eq!(days(&report), vec![json!("2024-07-01")]);

    // The nightly rebuild finds what ingestion and the zone change kept: nothing to correct,
    // however often it runs.
    for _ in 0..2 {
        let response = app
            .client
            .post(format!("{}/RollupAnalytics", app.handler_url))
            .json(&timer())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let result: Value = response.json().await.unwrap();
        let logs = result["Logs"].to_string();
        assert!(
            logs.contains("1 tenants rebuilt") && logs.contains(" 0 corrected"),
            "{logs}"
        );
    }
    assert_eq!(days(&app.get_json(edge).await), vec![json!("2024-07-01")]);
    app.stop().await;
}
