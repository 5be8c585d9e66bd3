//! `EnrichProduct`, driven with raw Service Bus invocations as the host sends them.

use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually};

pub(crate) fn enrich_invocation(body: &str, delivery_count: u32) -> Value {
    let message_id = uuid::Uuid::new_v4().simple().to_string();
    crate::failures::service_bus("EnrichProduct", body, &message_id, delivery_count)
}

pub(crate) async fn post(app: &TestApp, payload: &Value) -> reqwest::Response {
    app.client
        .post(format!("{}/EnrichProduct", app.handler_url))
        .json(payload)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn a_repeated_enrichment_message_changes_nothing() {
    let app = TestApp::spawn().await;
    app.drop_feed(
        "demo",
        "one.csv",
        b"sku,title\nONE-1,WOOL SCARF IN NAVY BLUE\n",
    );
    let product = eventually(30, "the product enriched", || async {
        let response = app.get("/products/ONE-1", Some("local-dev-key")).await;
        let product: Value = response.json().await.ok()?;
        (product["enrichment"]["current"] == true).then_some(product)
    })
    .await;
    let body =
        json!({"tenant": "demo", "sku": "ONE-1", "content_hash": "whatever-was-sent"}).to_string();
    for delivery in 1..=3 {
        let response = post(&app, &enrich_invocation(&body, delivery)).await;
        assert_eq!(response.status(), 200);
        let result: Value = response.json().await.expect("json");
        assert!(
            result["Logs"][0]
                .as_str()
                .unwrap_or_default()
                .contains("1 already current"),
            "{result}"
        );
    }
    let again = app.get_json("/products/ONE-1").await;
    assert_eq!(
        again["enrichment"]["created_at"],
        product["enrichment"]["created_at"]
    );
    assert_eq!(again["version"], product["version"]);
    app.stop().await;
}

#[tokio::test]
async fn a_message_for_a_product_that_does_not_exist_completes_without_effect() {
    let app = TestApp::spawn().await;
    let body = json!({"tenant": "demo", "sku": "GHOST", "content_hash": "x"}).to_string();
    let response = post(&app, &enrich_invocation(&body, 1)).await;
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.expect("json");
    assert!(
        result["Logs"][0]
            .as_str()
            .unwrap_or_default()
            .contains("1 gone")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_message_that_is_not_an_enrichment_request_is_refused_with_its_json_path() {
    let app = TestApp::spawn().await;
    for (body, path) in [
        (json!({"tenant": "demo"}).to_string(), "Data.message(body)"),
        (
            json!({"tenant": "Not A Tenant!", "sku": "A", "content_hash": "x"}).to_string(),
            "Data.message(body).tenant",
        ),
        ("not json at all".to_owned(), "Data.message(body)"),
    ] {
        let response = post(&app, &enrich_invocation(&body, 1)).await;
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.expect("json");
        assert!(
            error["error"].as_str().unwrap_or_default().contains(path),
            "{body}: {error}"
        );
    }
    app.stop().await;
}
