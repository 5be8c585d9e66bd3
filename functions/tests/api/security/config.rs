//! API8 security misconfiguration: CORS never reflects an origin it was not given (nor grants
//! credentials), and errors — a failing store's 500, an unknown route — say nothing of the
//! internals and carry the security headers, with no `Server` banner.

use reqwest::Method;

use super::{DEV, call};
use crate::helpers::TestApp;

const SHOP: &str = "https://shop.example.com";

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, format!("{}/products", app.api))
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap()
}

async fn read_from(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .get(format!("{}/products", app.api))
        .header("origin", origin)
        .header("x-api-key", DEV)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn api8_cors_never_reflects_a_near_miss_origin_and_never_allows_credentials() {
    let app = TestApp::spawn_with(&[("ADVISOR_CORS_ORIGINS", SHOP)]).await;
    for origin in [
        "null",
        "https://shop.example.com.evil.example",
        "https://evil-shop.example.com",
        "https://evil.shop.example.com",
        "http://shop.example.com",
        "https://shop.example.com:8443",
        "https://shop.example.co",
    ] {
        let refused = preflight(&app, origin).await;
        assert_eq!(refused.status(), 403, "{origin}");
        assert!(
            refused
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{origin}"
        );
        let answer = read_from(&app, origin).await;
        assert_eq!(answer.status(), 200, "{origin}");
        assert!(
            answer
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{origin}"
        );
    }
    let granted = read_from(&app, SHOP).await;
    assert_eq!(granted.headers()["access-control-allow-origin"], SHOP);
    assert!(
        granted
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    app.stop().await;

    let public = TestApp::spawn_with(&[("ADVISOR_CORS_ORIGINS", "*")]).await;
    // Any origin may read, as `*` says; the grant names it (with `Vary: Origin`, so no cache
    // hands it to another), and credentials are never allowed: keys travel in headers the
    // app's own code sets, never as cookies a browser would add.
    let answer = read_from(&public, "https://evil.example").await;
    assert_eq!(
        answer.headers()["access-control-allow-origin"],
        "https://evil.example"
    );
    assert_eq!(answer.headers()["vary"], "Origin");
    assert!(
        answer
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    public.stop().await;
}

/// Asserts that an answer names no server software.
fn no_banner(headers: &reqwest::header::HeaderMap, what: &str) {
    for banner in ["server", "x-powered-by", "x-aspnet-version"] {
        assert!(headers.get(banner).is_none(), "{what}: {banner}");
    }
}

/// Asserts the headers every answer of a function carries, and no banner.
fn hardened(headers: &reqwest::header::HeaderMap, what: &str) {
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(headers["referrer-policy"], "no-referrer", "{what}");
    assert!(headers.contains_key("content-security-policy"), "{what}");
    assert!(headers.contains_key("strict-transport-security"), "{what}");
    assert!(headers.contains_key("x-request-id"), "{what}");
    no_banner(headers, what);
}

#[tokio::test]
async fn api8_a_failing_store_answers_internal_error_without_its_internals() {
    let app = TestApp::spawn().await;
    let db_path = app.data_dir.path().join("advisor.db");
    let db = rusqlite::Connection::open(&db_path).unwrap();
    db.execute_batch("DROP TABLE products").unwrap();
    drop(db);
    let answer = call(&app, Method::GET, "/products", Some(DEV), None).await;
    assert_eq!(answer.problem(500), "internal error");
    assert_eq!(answer.json()["title"], "Internal server error");
    hardened(&answer.headers, "500");
    let lower = answer.text.to_lowercase();
    let data_dir = app.data_dir.path().to_string_lossy().to_lowercase();
    for internal in [
        "sqlite",
        "table",
        "products",
        "rusqlite",
        "panicked",
        ".rs:",
        data_dir.as_str(),
    ] {
        assert!(!lower.contains(internal), "{internal} in {}", answer.text);
    }
    let unknown = call(&app, Method::GET, "/no-such-route", Some(DEV), None).await;
    assert_eq!(unknown.status, 404);
    // No function answers an unknown route (the host does, as Azure's does), but it names
    // no software either.
    no_banner(&unknown.headers, "404");
    let refused = call(&app, Method::GET, "/products", None, None).await;
    refused.problem(401);
    hardened(&refused.headers, "401");
    app.stop().await;
}
