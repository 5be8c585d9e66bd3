//! `POST /api/ask` through the whole app, offline: orders dropped as a feed, the tenant in
//! Berlin, and "What were our sales in Q2?" answered with the right total for the right days.

use chrono::{Datelike, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually};
use crate::ingest::problem;

/// The Q2 the app means: the most recent one that has started, in Berlin (near enough: the
/// test does not run in the first hours of 1 April).
fn q2_year() -> i32 {
    let today = Utc::now().date_naive();
    let year = today.year();
    if today >= NaiveDate::from_ymd_opt(year, 4, 1).unwrap() {
        year
    } else {
        year - 1
    }
}

async fn ask(app: &TestApp, body: Value) -> reqwest::Response {
    app.client
        .post(format!("{}/ask", app.api))
        .header("x-api-key", "local-dev-key")
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn what_were_our_sales_in_q2_is_the_total_of_the_orders_placed_in_berlins_q2() {
    let app = TestApp::spawn().await;
    let zone = app
        .client
        .patch(format!("{}/tenant", app.api))
        .header("x-api-key", "local-dev-key")
        .json(&json!({"time_zone": "Europe/Berlin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(zone.status(), 200);

    // 22:30 UTC on 31 March is 1 April in Berlin (in Q2); 22:30 UTC on 30 June is 1 July
    // (not in Q2). A JPY order is reported apart, never added to the euros.
    let y = q2_year();
    let orders = format!(
        "order_id,placed_at,currency,total,sku,quantity,unit_price\n\
         Q1,{y}-03-31T21:30:00Z,EUR,1000.00,A,1,1000.00\n\
         Q2a,{y}-03-31T22:30:00Z,EUR,120.50,A,1,100.00\n\
         Q2b,{y}-05-15T10:00:00Z,EUR,79.45,B,3,20.00\n\
         Q2c,{y}-06-30T21:00:00Z,EUR,10.05,A,1,10.05\n\
         Q2y,{y}-05-01T03:00:00Z,JPY,1500,B,1,1500\n\
         Q3,{y}-06-30T22:30:00Z,EUR,500.00,A,1,500.00\n"
    );
    app.drop_feed("demo", "orders.csv", orders.as_bytes());
    let report = eventually(30, "the order feed's report", || async {
        app.report("demo", "orders")
    })
    .await;
    assert_eq!(report["status"], "succeeded", "{report}");

    let response = ask(&app, json!({"question": "What were our sales in Q2?"})).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["answered"], true, "{answer}");
    assert_eq!(answer["engine"], "offline");
    assert_eq!(answer["period"]["from"], format!("{y}-04-01"), "{answer}");
    assert_eq!(answer["period"]["to"], format!("{y}-06-30"), "{answer}");
    assert_eq!(answer["period"]["time_zone"], "Europe/Berlin");
    let text = answer["answer"].as_str().unwrap();
    // 120.50 + 79.45 + 10.05 = 210.00 over three orders, and JPY 1,500 apart.
    assert!(text.contains("EUR 210.00"), "{text}");
    assert!(text.contains("JPY 1,500"), "{text}");
    assert!(!text.contains("1,210") && !text.contains("710"), "{text}");
    let totals = &answer["data"][0]["report"]["totals"];
    let eur = totals
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["currency"] == "EUR")
        .unwrap();
    assert_eq!(eur["sales_minor"], 21000, "{answer}");
    assert_eq!(eur["orders"], 3, "{answer}");
    app.stop().await;
}

#[tokio::test]
async fn a_question_it_cannot_answer_says_so_and_a_bad_body_is_a_400() {
    let app = TestApp::spawn().await;
    let response = ask(&app, json!({"question": "What is the meaning of life?"})).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["answered"], false, "{answer}");
    assert!(
        answer["answer"]
            .as_str()
            .unwrap()
            .starts_with("I can't answer"),
        "{answer}"
    );

    problem(ask(&app, json!({"question": "   "})).await, 400).await;
    problem(ask(&app, json!({"question": "x".repeat(501)})).await, 400).await;
    problem(ask(&app, json!({"q": "sales?"})).await, 400).await;
    let trailing = app
        .client
        .post(format!("{}/ask", app.api))
        .header("x-api-key", "local-dev-key")
        .header("content-type", "application/json")
        .body(r#"{"question": "sales?"} {"question": "again"}"#)
        .send()
        .await
        .unwrap();
    problem(trailing, 400).await;
    let anonymous = app
        .client
        .post(format!("{}/ask", app.api))
        .json(&json!({"question": "sales?"}))
        .send()
        .await
        .unwrap();
    problem(anonymous, 401).await;
    app.stop().await;
}
