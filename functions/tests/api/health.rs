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
    for part in ["store", "blobs", "ai"] {
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
