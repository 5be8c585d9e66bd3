//! API4 unrestricted resource consumption: every listing caps its page, every body its size
//! (413 problem+json, before anything is parsed or stored), and a question its length.

use reqwest::Method;
use serde_json::json;

use super::{DEV, call};
use crate::helpers::TestApp;

#[tokio::test]
async fn api4_every_listing_refuses_a_page_over_200() {
    let app = TestApp::spawn().await;
    for list in [
        "/products",
        "/ingest/runs",
        "/ingest/mappings",
        "/enrichment/runs",
        "/keys",
        "/sync/jobs",
        "/sync/issues",
        "/videos",
    ] {
        let at_most = call(
            &app,
            Method::GET,
            &format!("{list}?limit=200"),
            Some(DEV),
            None,
        )
        .await;
        assert_eq!(at_most.status, 200, "{list}: {}", at_most.text);
        for over in ["201", "4294967296", "-1"] {
            let path = format!("{list}?limit={over}");
            let detail = call(&app, Method::GET, &path, Some(DEV), None)
                .await
                .problem(400);
            assert!(
                detail.contains("limit") && detail.contains("200"),
                "{path}: {detail}"
            );
        }
    }
    app.stop().await;
}

/// A JSON object `{"field": "xxx…"}` of exactly `bytes` bytes.
fn padded(field: &str, bytes: usize) -> String {
    let frame = format!(r#"{{"{field}":""}}"#).len();
    json!({field: "x".repeat(bytes - frame)}).to_string()
}

#[tokio::test]
async fn api4_every_body_over_its_endpoint_s_limit_is_413_problem_json() {
    let app = TestApp::spawn().await;
    let kib = 1024;
    let endpoints = [
        (Method::POST, "/keys", "name", 4 * kib, "4 KiB"),
        (Method::POST, "/ask", "question", 4 * kib, "4 KiB"),
        (Method::POST, "/uploads", "filename", 4 * kib, "4 KiB"),
        (Method::PATCH, "/tenant", "time_zone", kib, "1 KiB"),
        (
            Method::POST,
            "/enrichment/runs",
            "category",
            16 * kib,
            "16 KiB",
        ),
        (
            Method::POST,
            "/connections/shopify/sync",
            "kinds",
            16 * kib,
            "16 KiB",
        ),
        (
            Method::PUT,
            "/ingest/mappings/big",
            "columns",
            64 * kib,
            "64 KiB",
        ),
        (
            Method::PATCH,
            "/products/MUG-1/enrichment",
            "set",
            64 * kib,
            "64 KiB",
        ),
        (
            Method::POST,
            "/webhooks/shopify?tenant=demo",
            "id",
            2 * kib * kib,
            "2 MiB",
        ),
    ];
    for (method, path, field, limit, words) in endpoints {
        let over = padded(field, limit + 1);
        assert_eq!(over.len(), limit + 1);
        let answer = call(&app, method.clone(), path, Some(DEV), Some(over)).await;
        let detail = answer.problem(413);
        assert!(detail.contains(words), "{method} {path}: {detail}");
        // At the limit, the size is no longer the reason.
        let at = call(
            &app,
            method.clone(),
            path,
            Some(DEV),
            Some(padded(field, limit)),
        )
        .await;
        assert_ne!(at.status, 413, "{method} {path}: {}", at.text);
    }
    assert_eq!(app.get_json("/keys").await["items"], json!([]));
    assert_eq!(app.get_json("/ingest/mappings").await["items"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn api4_a_question_is_limited_in_characters_not_bytes() {
    let app = TestApp::spawn().await;
    let ask = |question: String| {
        call(
            &app,
            Method::POST,
            "/ask",
            Some(DEV),
            Some(json!({"question": question}).to_string()),
        )
    };
    assert_eq!(ask("é".repeat(500)).await.status, 200);
    let detail = ask("é".repeat(501)).await.problem(400);
    assert!(detail.contains("500"), "{detail}");
    app.stop().await;
}
