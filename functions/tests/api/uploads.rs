//! `POST /api/uploads`: one-blob upload URLs, served locally by the local host's signed `PUT`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, sample_feed};
use crate::ingest::problem;

async fn ask(app: &TestApp, key: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/uploads", app.api))
        .header("content-type", "application/json");
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    request
        .body(body.to_string())
        .send()
        .await
        .expect("request")
}

async fn upload_url(app: &TestApp, body: Value) -> Value {
    let response = ask(app, Some("local-dev-key"), body).await;
    assert_eq!(response.status(), 201);
    response.json().await.expect("json")
}

async fn put(app: &TestApp, url: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .put(url)
        .header("x-ms-blob-type", "BlockBlob")
        .body(body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn an_upload_url_takes_a_put_of_its_one_blob_and_the_feed_is_ingested() {
    let app = TestApp::spawn().await;
    let grant = upload_url(&app, json!({"filename": "catalog.csv", "kind": "products"})).await;
    assert_eq!(grant["method"], "PUT");
    assert_eq!(grant["headers"]["x-ms-blob-type"], "BlockBlob");
    assert_eq!(grant["container"], "ingest");
    assert_eq!(grant["blob"], "demo/products/catalog.csv");
    let url = grant["url"].as_str().unwrap();
    assert!(
        url.contains("/blobs/ingest/demo/products/catalog.csv?"),
        "{url}"
    );
    let expires: chrono::DateTime<chrono::Utc> =
        grant["expires_at"].as_str().unwrap().parse().unwrap();
    let ttl = expires - chrono::Utc::now();
    assert!(ttl <= chrono::Duration::minutes(15) && ttl > chrono::Duration::minutes(14));

    assert_eq!(put(&app, url, sample_feed()).await.status(), 201);
    let run = eventually(30, "the uploaded feed's run", || async {
        let runs = app.get_json("/ingest/runs").await;
        runs["items"]
            .as_array()
            .and_then(|items| items.first().cloned())
            .filter(|run| run["status"] != "running")
    })
    .await;
    assert_eq!(run["blob_name"], "demo/products/catalog.csv");
    assert_eq!(run["status"], "succeeded", "{run}");
    // A second PUT to the same URL replaces the blob, as Azure does.
    assert_eq!(
        put(&app, url, b"sku,title\nX-1,Replaced\n".to_vec())
            .await
            .status(),
        201
    );
    let stored = std::fs::read(app.blob_root().join("ingest/demo/products/catalog.csv")).unwrap();
    assert_eq!(stored, b"sku,title\nX-1,Replaced\n");
    // Without the blob type Azure insists on, the PUT is refused.
    let bare = app.client.put(url).body("x").send().await.unwrap();
    assert_eq!(bare.status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn a_tampered_expired_or_misdirected_upload_url_is_refused_with_403() {
    let app = TestApp::spawn().await;
    let grant = upload_url(&app, json!({"filename": "clip.mp4", "kind": "video"})).await;
    assert_eq!(grant["container"], "videos");
    assert_eq!(grant["blob"], "demo/clip.mp4");
    let url = grant["url"].as_str().unwrap().to_owned();
    let (head, sig) = url.split_once("sig=").unwrap();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    let tampered = format!("{head}sig={flipped}{}", &sig[1..]);
    let later = url.replacen("se=", "se=9", 1);
    let other_tenant = url.replace("/videos/demo/", "/videos/acme/");
    let other_container = url.replace("/blobs/videos/", "/blobs/ingest-reports/");
    for bad in [&tampered, &later, &other_tenant, &other_container] {
        assert_eq!(put(&app, bad, b"x".to_vec()).await.status(), 403, "{bad}");
    }
    assert!(!app.blob_root().join("videos/demo/clip.mp4").exists());
    assert!(!app.blob_root().join("videos/acme/clip.mp4").exists());

    let short = upload_url(
        &app,
        json!({"filename": "late.mp4", "kind": "video", "ttl_seconds": 1}),
    )
    .await;
    // The URL's expiry is in whole seconds of the wall clock the local host reads.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let response = put(&app, short["url"].as_str().unwrap(), b"x".to_vec()).await;
    let detail = problem(response, 403).await;
    assert!(detail.contains("expired"), "{detail}");
    app.stop().await;
}

#[tokio::test]
async fn upload_requests_with_bad_file_names_kinds_or_lifetimes_are_refused() {
    let app = TestApp::spawn().await;
    let long = "a".repeat(201);
    for (filename, kind) in [
        ("../x.csv", "products"),
        ("a/b.csv", "products"),
        ("a\\b.csv", "products"),
        (".hidden.csv", "products"),
        ("", "products"),
        (long.as_str(), "products"),
        ("tab\there.csv", "products"),
        ("push-1.csv", "products"),
        ("feed.csv", "reports"),
    ] {
        let response = ask(
            &app,
            Some("local-dev-key"),
            json!({"filename": filename, "kind": kind}),
        )
        .await;
        problem(response, 400).await;
    }
    let too_long = json!({"filename": "a.csv", "kind": "orders", "ttl_seconds": 3601});
    problem(ask(&app, Some("local-dev-key"), too_long).await, 400).await;
    let unknown = json!({"filename": "a.csv", "kind": "orders", "container": "x"});
    problem(ask(&app, Some("local-dev-key"), unknown).await, 400).await;
    app.stop().await;
}

#[tokio::test]
async fn the_push_mappings_and_uploads_endpoints_refuse_a_missing_or_wrong_api_key() {
    let app = TestApp::spawn().await;
    for key in [None, Some("wrong-key")] {
        let body = json!({"filename": "a.csv", "kind": "products"});
        problem(ask(&app, key, body).await, 401).await;
        let mut push = app
            .client
            .post(format!("{}/ingest", app.api))
            .header("content-type", "text/csv")
            .body("sku,title\nA,B\n");
        let mut mapping = app
            .client
            .put(format!("{}/ingest/mappings/p1", app.api))
            .body("{}");
        if let Some(key) = key {
            push = push.header("x-api-key", key);
            mapping = mapping.header("x-api-key", key);
        }
        problem(push.send().await.unwrap(), 401).await;
        problem(mapping.send().await.unwrap(), 401).await;
        problem(app.get("/ingest/mappings", key).await, 401).await;
    }
    assert!(app.get_json("/ingest/runs").await["items"][0].is_null());
    app.stop().await;
}
