//! `EnrichmentBudget` and `ResumeEnrichment`: a tenant sees its AI token budget, and products
//! that waited for it are queued again once it has room.

use serde_json::Value;
use shared::protocol::TimerInfo;
use shared::protocol::host::{self, Sys};

use crate::helpers::TestApp;
use crate::mock_openai::{MockOpenAi, good_answer};

fn timer() -> Value {
    let info: TimerInfo = serde_json::from_value(serde_json::json!({
        "Schedule": {"AdjustForDST": true}, "ScheduleStatus": null, "IsPastDue": false
    }))
    .unwrap();
    serde_json::to_value(host::timer_invocation(
        "timer",
        &info,
        &Sys::now("ResumeEnrichment"),
    ))
    .unwrap()
}

/// Invokes `ResumeEnrichment` on the handler, as the host's timer would.
async fn run_timer(app: &TestApp) -> reqwest::Response {
    app.client
        .post(format!("{}/ResumeEnrichment", app.handler_url))
        .json(&timer())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_offline_engine_spends_no_tokens_and_resumes_nothing() {
    let app = TestApp::spawn().await;
    let budget = app.get_json("/enrichment/budget").await;
    assert_eq!(budget["daily_tokens"], Value::Null);
    assert_eq!(
        (&budget["spent_tokens"], &budget["exhausted"]),
        (&0.into(), &false.into())
    );
    let anonymous = app.get("/enrichment/budget", None).await;
    assert_eq!(anonymous.status(), 401);

    let response = run_timer(&app).await;
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert!(result["Outputs"].get("enrich").is_none(), "{result}");
    app.stop().await;
}

#[tokio::test]
async fn a_spent_budget_shows_and_the_timer_leaves_waiting_products_while_it_is_spent() {
    let mock = MockOpenAi::start(good_answer()).await;
    let base = format!("{}/v1", mock.url);
    // 850 tokens per answer: the first product spends the day's 800.
    let app = TestApp::spawn_with(&[
        ("OPENAI_BASE_URL", base.as_str()),
        ("ADVISOR_AI_DAILY_TOKENS", "800"),
        ("ADVISOR_AI_CONCURRENCY", "1"),
    ])
    .await;
    app.drop_feed(
        "demo",
        "two.csv",
        b"sku,title\nA-1,ACME ORGANIC COTTON TEE - NAVY BLUE\nA-2,ACME TEE - RED\n",
    );
    let budget = crate::helpers::eventually(30, "the budget spent", || async {
        let response = app.get("/enrichment/budget", Some("local-dev-key")).await;
        let budget: Value = response.json().await.ok()?;
        (budget["exhausted"] == true).then_some(budget)
    })
    .await;
    assert_eq!(budget["daily_tokens"], 800);
    assert_eq!(budget["spent_tokens"], 850);
    let waiting = crate::helpers::eventually(30, "one product waiting", || async {
        let response = app.get("/products", Some("local-dev-key")).await;
        let page: Value = response.json().await.ok()?;
        let items = page["items"].as_array()?.clone();
        let waiting: Vec<Value> = items
            .into_iter()
            .filter(|p| p["enrichment"]["waiting_for_budget"] == true)
            .collect();
        (waiting.len() == 1).then_some(waiting)
    })
    .await;
    assert_eq!(waiting[0]["enrichment"]["generated_by"], "offline");
    assert_eq!(mock.seen().len(), 1);

    // Still spent: the timer queues nothing.
    let response = run_timer(&app).await;
    let result: Value = response.json().await.unwrap();
    assert!(result["Outputs"].get("enrich").is_none(), "{result}");
    app.stop().await;
}

/// A product stored `minutes_ago` whose enrichment message never went out.
async fn stored_without_its_message(app: &TestApp, sku: &str, minutes_ago: i64) {
    use shared::domain::{ProductContent, Sku, TenantId};
    use shared::store::{ProductUpsert, WriteCondition};
    let content = ProductContent {
        sku: Sku::parse(sku).unwrap(),
        title: format!("Mug {sku}"),
        description: None,
        price: None,
        quantity: Some(1),
        brand: None,
        category: None,
        gtin: None,
        image_url: None,
        parent: None,
        options: Vec::new(),
        attributes: Default::default(),
    };
    let at = chrono::Utc::now() - chrono::TimeDelta::minutes(minutes_ago);
    app.state
        .store
        .put_product(
            &TenantId::parse("demo").unwrap(),
            &ProductUpsert::new(content, None, "api"),
            WriteCondition::Absent,
            at,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_product_whose_enrichment_message_was_lost_is_queued_again_by_the_timer() {
    let app = TestApp::spawn().await;
    // Both written, neither message sent (the process died in between): the older one is
    // taken for lost, the one written a minute ago may still be on its way.
    stored_without_its_message(&app, "LOST-1", 11).await;
    stored_without_its_message(&app, "NEW-1", 1).await;
    let response = run_timer(&app).await;
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    let queued: Vec<&str> = result["Outputs"]["enrich"]
        .as_array()
        .expect("enrich messages")
        .iter()
        .map(|m| m["sku"].as_str().unwrap())
        .collect();
    assert_eq!(queued, ["LOST-1"], "{result}");
    app.stop().await;
}
