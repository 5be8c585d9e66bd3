//! `Health`: anonymous, and honest about each adapter.

use serde_json::Value;

use crate::helpers::TestApp;

#[tokio::test]
async fn health_answers_without_credentials_and_reports_every_adapter() {
    let app = TestApp::spawn().await;
    let response = app.get("/health", None).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    for part in ["store", "blobs", "ai", "connections"] {
        assert_eq!(body[part]["ok"], true, "{part}: {body}");
        assert!(
            body[part]["adapter"]
                .as_str()
                .is_some_and(|a| !a.is_empty())
        );
    }
    assert!(
        body["ai"]["adapter"]
            .as_str()
            .unwrap_or_default()
            .contains("offline")
    );
    app.stop().await;
}

#[tokio::test]
async fn health_only_answers_get() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(format!("{}/health", app.api))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 405);
    app.stop().await;
}

#[tokio::test]
async fn every_http_answer_carries_its_request_id_and_the_security_headers() {
    let app = TestApp::spawn().await;
    for (path, key, status) in [
        ("/health", None, 200),
        ("/products", Some("local-dev-key"), 200),
        ("/products", None, 401),
        ("/products/NOPE", Some("local-dev-key"), 404),
    ] {
        let response = app.get(path, key).await;
        assert_eq!(response.status(), status, "{path}");
        let headers = response.headers();
        let id = headers["x-request-id"].to_str().unwrap();
        assert!(
            uuid::Uuid::parse_str(id).is_ok(),
            "{path}: request id `{id}`"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn the_request_id_is_the_host_s_invocation_id() {
    let app = TestApp::spawn().await;
    let request = shared::protocol::HttpRequest {
        url: "http://localhost:7071/api/health".into(),
        method: "GET".into(),
        ..shared::protocol::HttpRequest::default()
    };
    let payload = shared::protocol::host::http_invocation(
        "req",
        &request,
        &shared::protocol::host::Sys::now("Health"),
    );
    let response = app
        .client
        .post(format!("{}/Health", app.handler_url))
        .header(
            "x-azure-functions-invocationid",
            "5a1f8b52-0000-4000-8000-000000000001",
        )
        .json(&payload)
        .send()
        .await
        .unwrap();
    let result: Value = response.json().await.unwrap();
    assert_eq!(
        result["Outputs"]["res"]["headers"]["X-Request-Id"],
        "5a1f8b52-0000-4000-8000-000000000001"
    );
    app.stop().await;
}
