//! `POST /api/ingest`: a feed pushed in the request body is accepted at once with its run, and
//! the blob's event continues that very run.

use std::io::Write;

use serde_json::Value;

use crate::helpers::{TestApp, eventually};

const PRODUCTS_CSV: &str = "sku,title,price,currency\n\
PUSH-1,Pushed Mug,12.50,EUR\n\
PUSH-2,Pushed Plate,8.00,EUR\n";

/// POSTs `body` to `/ingest{query}` with the dev key and these headers.
pub async fn push(
    app: &TestApp,
    query: &str,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/ingest{query}", app.api))
        .header("x-api-key", "local-dev-key");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(body).send().await.expect("request")
}

/// The run, once it has finished.
pub async fn finished_run(app: &TestApp, run_id: &str) -> Value {
    eventually(30, "the pushed run to finish", || async {
        let run = app.get_json(&format!("/ingest/runs/{run_id}")).await;
        (run["run"]["status"] != "running").then_some(run["run"].clone())
    })
    .await
}

/// Asserts `response` is a problem with `status`; returns its detail.
pub async fn problem(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.expect("problem body");
    body["detail"].as_str().unwrap_or_default().to_owned()
}

async fn accepted(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        location,
        format!("/api/ingest/runs/{}", body["run_id"].as_str().unwrap())
    );
    assert_eq!(body["links"]["run"], location.as_str());
    body
}

#[tokio::test]
async fn a_pushed_csv_is_accepted_at_once_and_its_event_finishes_the_same_run() {
    let app = TestApp::spawn().await;
    let response = push(
        &app,
        "?kind=products",
        &[("content-type", "text/csv")],
        PRODUCTS_CSV,
    )
    .await;
    let body = accepted(response).await;
    assert_eq!(body["status"], "running");
    let blob = body["blob"].as_str().unwrap();
    assert!(blob.starts_with("ingest/demo/products/push-"), "{blob}");
    assert!(blob.ends_with(".csv"), "{blob}");
    let run = finished_run(&app, body["run_id"].as_str().unwrap()).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["inserted"], 2, "{run}");
    let mug = app.get_json("/products/PUSH-1").await;
    assert_eq!(mug["title"], "Pushed Mug");
    let runs = app.get_json("/ingest/runs").await;
    assert_eq!(
        runs["items"].as_array().map(Vec::len),
        Some(1),
        "the event continued the push's run: {runs}"
    );
    app.stop().await;
}

#[tokio::test]
async fn pushed_json_ndjson_and_gzipped_feeds_land_with_their_kind_told_by_the_header() {
    let app = TestApp::spawn().await;
    let json = r#"[{"sku": "JSON-1", "title": "Json Mug", "price": "3.00", "currency": "EUR"}]"#;
    let body = accepted(push(&app, "", &[("content-type", "application/json")], json).await).await;
    assert!(
        body["blob"]
            .as_str()
            .unwrap()
            .starts_with("ingest/demo/auto/push-"),
        "{body}"
    );
    let run = finished_run(&app, body["run_id"].as_str().unwrap()).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["kind"], "products");

    let ndjson =
        "{\"sku\": \"ND-1\", \"title\": \"Nd Mug\"}\n{\"sku\": \"ND-2\", \"title\": \"Nd Bowl\"}\n";
    let body = accepted(
        push(
            &app,
            "?kind=products",
            &[("content-type", "application/x-ndjson")],
            ndjson,
        )
        .await,
    )
    .await;
    let run = finished_run(&app, body["run_id"].as_str().unwrap()).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["inserted"], 2, "{run}");

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"{\"sku\": \"GZ-1\", \"title\": \"Gz Mug\"}\n")
        .unwrap();
    let body = accepted(
        push(
            &app,
            "?kind=products&format=ndjson",
            &[
                ("content-type", "application/octet-stream"),
                ("content-encoding", "gzip"),
            ],
            gz.finish().unwrap(),
        )
        .await,
    )
    .await;
    assert!(
        body["blob"].as_str().unwrap().ends_with(".ndjson.gz"),
        "{body}"
    );
    let run = finished_run(&app, body["run_id"].as_str().unwrap()).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(app.get_json("/products/GZ-1").await["title"], "Gz Mug");
    app.stop().await;
}

#[tokio::test]
async fn a_push_that_is_not_a_feed_type_is_refused_with_415() {
    let app = TestApp::spawn().await;
    let detail = problem(
        push(&app, "", &[("content-type", "application/xml")], "<a/>").await,
        415,
    )
    .await;
    assert!(detail.contains("text/csv"), "{detail}");
    problem(
        push(
            &app,
            "",
            &[("content-type", "application/octet-stream")],
            "x",
        )
        .await,
        415,
    )
    .await;
    problem(
        push(
            &app,
            "",
            &[("content-type", "text/csv"), ("content-encoding", "br")],
            "x",
        )
        .await,
        415,
    )
    .await;
    assert!(app.get_json("/ingest/runs").await["items"][0].is_null());
    app.stop().await;
}

#[tokio::test]
async fn a_push_over_the_size_limit_is_refused_with_413_pointing_to_uploads() {
    let app = TestApp::spawn().await;
    let mut body = b"sku,title\n".to_vec();
    body.resize(32 * 1024 * 1024 + 1, b'a');
    let detail = problem(
        push(&app, "", &[("content-type", "text/csv")], body).await,
        413,
    )
    .await;
    assert!(detail.contains("POST /api/uploads"), "{detail}");
    app.stop().await;
}

#[tokio::test]
async fn an_empty_push_or_a_bad_kind_is_refused_and_starts_no_run() {
    let app = TestApp::spawn().await;
    problem(
        push(&app, "", &[("content-type", "text/csv")], "").await,
        400,
    )
    .await;
    problem(
        push(
            &app,
            "?kind=videos",
            &[("content-type", "text/csv")],
            PRODUCTS_CSV,
        )
        .await,
        400,
    )
    .await;
    let detail = problem(
        push(
            &app,
            "",
            &[("content-type", "text/csv"), ("content-encoding", "gzip")],
            PRODUCTS_CSV,
        )
        .await,
        400,
    )
    .await;
    assert!(detail.contains("octet-stream"), "{detail}");
    assert!(app.get_json("/ingest/runs").await["items"][0].is_null());
    app.stop().await;
}

#[tokio::test]
async fn a_push_repeated_with_its_idempotency_key_returns_the_same_run_and_lands_once() {
    let app = TestApp::spawn().await;
    let headers = [
        ("content-type", "text/csv"),
        ("idempotency-key", "order-42"),
    ];
    let first = accepted(push(&app, "?kind=products", &headers, PRODUCTS_CSV).await).await;
    let run_id = first["run_id"].as_str().unwrap().to_owned();
    finished_run(&app, &run_id).await;
    let again = accepted(push(&app, "?kind=products", &headers, PRODUCTS_CSV).await).await;
    assert_eq!(again["run_id"], run_id.as_str());
    assert_eq!(again["status"], "succeeded");
    assert_eq!(again["blob"], first["blob"]);
    let runs = app.get_json("/ingest/runs").await;
    assert_eq!(runs["items"].as_array().map(Vec::len), Some(1), "{runs}");
    let folder = app.blob_root().join("ingest/demo/products");
    assert_eq!(std::fs::read_dir(folder).unwrap().count(), 1, "one blob");
    // The same key for another kind of push is a mistake, not a repeat.
    problem(
        push(&app, "?kind=orders", &headers, PRODUCTS_CSV).await,
        409,
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_push_naming_an_unknown_mapping_profile_is_refused() {
    let app = TestApp::spawn().await;
    let detail = problem(
        push(
            &app,
            "?profile=nope",
            &[("content-type", "text/csv")],
            PRODUCTS_CSV,
        )
        .await,
        404,
    )
    .await;
    assert!(detail.contains("PUT /api/ingest/mappings/nope"), "{detail}");
    problem(
        push(
            &app,
            "?profile=../x",
            &[("content-type", "text/csv")],
            PRODUCTS_CSV,
        )
        .await,
        400,
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_push_whose_feed_cannot_be_stored_answers_503_and_its_run_says_it_failed() {
    let app = TestApp::spawn().await;
    // A file where the tenant's kind folder should be: the blob cannot be written.
    let folder = app.blob_root().join("ingest/demo/products");
    std::fs::create_dir_all(folder.parent().unwrap()).unwrap();
    std::fs::write(&folder, b"in the way").unwrap();
    let response = push(
        &app,
        "?kind=products",
        &[("content-type", "text/csv")],
        PRODUCTS_CSV,
    )
    .await;
    problem(response, 503).await;
    let runs = app.get_json("/ingest/runs").await;
    let run = &runs["items"][0];
    assert_eq!(run["status"], "failed", "{runs}");
    assert!(
        run["error"].as_str().unwrap().contains("push it again"),
        "{run}"
    );
    app.stop().await;
}

#[tokio::test]
async fn another_event_for_a_pushed_blob_finds_the_push_s_finished_run_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let response = push(
        &app,
        "?kind=products",
        &[("content-type", "text/csv")],
        PRODUCTS_CSV,
    )
    .await;
    let body = accepted(response).await;
    let run_id = body["run_id"].as_str().unwrap().to_owned();
    let first = finished_run(&app, &run_id).await;
    // The same blob's event again, under a new event id (Event Grid may deliver twice).
    let blob = body["blob"].as_str().unwrap().trim_start_matches("ingest/");
    let fixture = std::fs::read_to_string(
        crate::helpers::app_root().join("tests/fixtures/service-bus-blob-created.json"),
    )
    .unwrap();
    let mut invocation: Value = serde_json::from_str(&fixture).unwrap();
    let inner: String =
        serde_json::from_str(invocation["Data"]["message"].as_str().unwrap()).unwrap();
    let mut event: Value = serde_json::from_str(&inner).unwrap();
    event["subject"] = format!("/blobServices/default/containers/ingest/blobs/{blob}").into();
    event["id"] = uuid::Uuid::new_v4().to_string().into();
    invocation["Data"]["message"] = serde_json::to_string(&event.to_string()).unwrap().into();
    let response = app
        .client
        .post(format!("{}/IngestPartnerFile", app.handler_url))
        .json(&invocation)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert!(
        result["Logs"].to_string().contains("already handled"),
        "{result}"
    );
    let runs = app.get_json("/ingest/runs").await;
    assert_eq!(runs["items"].as_array().map(Vec::len), Some(1), "{runs}");
    let again = app.get_json(&format!("/ingest/runs/{run_id}")).await;
    assert_eq!(again["run"], first);
    app.stop().await;
}
