//! `/api/ingest/mappings/{name}`: a tenant's mapping profiles, and a push that uses one.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::ingest::{finished_run, problem, push};

async fn put_profile(app: &TestApp, name: &str, body: &str) -> reqwest::Response {
    app.client
        .put(format!("{}/ingest/mappings/{name}", app.api))
        .header("x-api-key", "local-dev-key")
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("request")
}

async fn delete_profile(app: &TestApp, name: &str) -> reqwest::Response {
    app.client
        .delete(format!("{}/ingest/mappings/{name}", app.api))
        .header("x-api-key", "local-dev-key")
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn a_mapping_profile_is_created_replaced_listed_read_and_deleted() {
    let app = TestApp::spawn().await;
    let first = json!({"columns": {"Artikel": "sku"}}).to_string();
    let created = put_profile(&app, "shopware", &first).await;
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["name"], "shopware");
    assert_eq!(body["profile"]["columns"]["Artikel"], "sku");
    let second = json!({"columns": {"Artikelnummer": "sku"}, "decimal_comma": true}).to_string();
    assert_eq!(put_profile(&app, "shopware", &second).await.status(), 200);
    assert_eq!(put_profile(&app, "default", &first).await.status(), 201);

    let one = app.get_json("/ingest/mappings/shopware").await;
    assert_eq!(one["profile"]["columns"], json!({"Artikelnummer": "sku"}));
    assert_eq!(one["profile"]["decimal_comma"], true);
    let list = app.get_json("/ingest/mappings?limit=1").await;
    assert_eq!(list["items"][0]["name"], "default");
    let cursor = list["next_cursor"].as_str().expect("a second page");
    let rest = app
        .get_json(&format!("/ingest/mappings?cursor={cursor}"))
        .await;
    assert_eq!(rest["items"][0]["name"], "shopware");
    assert!(rest["next_cursor"].is_null());

    assert_eq!(delete_profile(&app, "shopware").await.status(), 204);
    problem(delete_profile(&app, "shopware").await, 404).await;
    problem(
        app.get("/ingest/mappings/shopware", Some("local-dev-key"))
            .await,
        404,
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_profile_with_an_unknown_field_or_a_bad_value_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let detail = problem(put_profile(&app, "p1", r#"{"colums": {}}"#).await, 400).await;
    assert!(detail.contains("colums"), "{detail}");
    let detail = problem(
        put_profile(&app, "p1", r#"{"decimal_comma": "yes"}"#).await,
        400,
    )
    .await;
    assert!(detail.contains("decimal_comma"), "{detail}");
    let detail = problem(
        put_profile(&app, "p1", r#"{"max_bad_row_ratio": 2}"#).await,
        400,
    )
    .await;
    assert!(detail.contains("max_bad_row_ratio"), "{detail}");
    problem(put_profile(&app, "p1", "not json").await, 400).await;
    problem(put_profile(&app, "Bad_Name", "{}").await, 400).await;
    problem(put_profile(&app, "p1", "").await, 400).await;
    let list = app.get_json("/ingest/mappings").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
    app.stop().await;
}

#[tokio::test]
async fn a_push_naming_a_profile_maps_the_partner_s_columns() {
    let app = TestApp::spawn().await;
    let profile = json!({
        "columns": {"Artikelnummer": "sku", "Bezeichnung": "title"},
        "defaults": {"currency": "EUR"},
    });
    assert_eq!(
        put_profile(&app, "lieferant", &profile.to_string())
            .await
            .status(),
        201
    );
    let csv = "Artikelnummer,Bezeichnung,price\nDE-1,Kaffeebecher,9.90\n";
    let response = push(
        &app,
        "?kind=products&profile=lieferant",
        &[("content-type", "text/csv")],
        csv,
    )
    .await;
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["blob"]
            .as_str()
            .unwrap()
            .starts_with("ingest/demo/products/lieferant/push-"),
        "{body}"
    );
    let run = finished_run(&app, body["run_id"].as_str().unwrap()).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    let product = app.get_json("/products/DE-1").await;
    assert_eq!(product["title"], "Kaffeebecher");
    app.stop().await;
}
