//! `EnrichmentRuns`: batch re-enrichment through the API, with the whole app running (the
//! run's scan and slices travel through the local host's `enrich` queue).

use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually};

const FEED: &[u8] = b"sku,title,category\n\
MUG-1,Stoneware Mug,Mugs\n\
MUG-2,Enamel Camping Mug,Mugs\n\
TEE-1,Organic Cotton Tee,Tees\n";

async fn post(app: &TestApp, body: &str, key: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/enrichment/runs", app.api))
        .header("x-api-key", "local-dev-key")
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    request.send().await.expect("request")
}

async fn all_enriched(app: &TestApp) -> Vec<Value> {
    eventually(30, "every product enriched", || async {
        let response = app.get("/products", Some("local-dev-key")).await;
        let page: Value = response.json().await.ok()?;
        let items = page["items"].as_array()?.clone();
        (items.len() == 3 && items.iter().all(|p| p["enrichment"]["current"] == true))
            .then_some(items)
    })
    .await
}

async fn finished(app: &TestApp, location: &str) -> Value {
    eventually(30, "the run finished", || async {
        let response = app
            .get(location.trim_start_matches("/api"), Some("local-dev-key"))
            .await;
        let run: Value = response.json().await.ok()?;
        (run["status"] == "finished").then_some(run)
    })
    .await
}

fn created(items: &[Value], sku: &str) -> Value {
    items.iter().find(|p| p["sku"] == sku).unwrap()["enrichment"]["created_at"].clone()
}

#[tokio::test]
async fn a_forced_run_redoes_the_filtered_products_and_reports_what_it_did() {
    let app = TestApp::spawn().await;
    app.drop_feed("demo", "catalogue.csv", FEED);
    let before = all_enriched(&app).await;

    let response = post(
        &app,
        r#"{"filter": {"category": "Mugs"}, "force": true}"#,
        None,
    )
    .await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let accepted: Value = response.json().await.unwrap();
    assert_eq!(accepted["status"], "scanning");
    assert_eq!(accepted["filter"], json!({"category": "Mugs"}));
    assert_eq!(
        location,
        format!("/api/enrichment/runs/{}", accepted["id"].as_str().unwrap())
    );

    let run = finished(&app, &location).await;
    assert_eq!(
        (
            &run["matched"],
            &run["enriched"],
            &run["already_current"],
            &run["slices_done"]
        ),
        (&json!(2), &json!(2), &json!(0), &json!(1)),
        "{run}"
    );
    let after = all_enriched(&app).await;
    assert_ne!(created(&after, "MUG-1"), created(&before, "MUG-1"));
    assert_eq!(created(&after, "TEE-1"), created(&before, "TEE-1"));

    // Without force, everything current costs nothing.
    let response = post(&app, "", None).await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let run = finished(&app, &location).await;
    assert_eq!(
        (&run["matched"], &run["already_current"]),
        (&json!(3), &json!(3)),
        "{run}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_repeated_request_finds_its_run_and_bad_requests_say_what_is_wrong() {
    let app = TestApp::spawn().await;
    let first: Value = post(&app, r#"{"force": true}"#, Some("k-1"))
        .await
        .json()
        .await
        .unwrap();
    let again: Value = post(&app, r#"{"force": true}"#, Some("k-1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["id"], again["id"]);
    let other = post(&app, r#"{"force": false}"#, Some("k-1")).await;
    assert_eq!(other.status(), 409);

    let long_category = format!(r#"{{"filter": {{"category": "{}"}}}}"#, "x".repeat(201));
    for (body, expected) in [
        (r#"{"filter": {"colour": "red"}}"#, "filter"),
        (r#"{"filter": {"generated_by": "gpt"}}"#, "generated_by"),
        (r#"{"force": "yes"}"#, "force"),
        (long_category.as_str(), "filter.category"),
        ("not json", "body"),
    ] {
        let response = post(&app, body, None).await;
        assert_eq!(response.status(), 400, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert!(
            problem["detail"].as_str().unwrap().contains(expected),
            "{body}: {problem}"
        );
    }
    let listed = app.get_json("/enrichment/runs?limit=1").await;
    assert_eq!(listed["items"][0]["id"], first["id"]);
    assert!(listed["next_cursor"].is_null(), "one run only: {listed}");
    let missing = app
        .get("/enrichment/runs/nope", Some("local-dev-key"))
        .await;
    assert_eq!(missing.status(), 404);
    let anonymous = app.get("/enrichment/runs/nope", None).await;
    assert_eq!(anonymous.status(), 401);
    app.stop().await;
}
