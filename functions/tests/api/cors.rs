//! CORS: refused unless the origin is named in `ADVISOR_CORS_ORIGINS`, answered before any
//! function runs, the same for every HTTP function.

use reqwest::Method;

use crate::helpers::TestApp;

const SHOP: &str = "https://shop.example.com";

async fn preflight(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, format!("{}{path}", app.api))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "PATCH")
        .header("Access-Control-Request-Headers", "x-api-key, if-match")
        .send()
        .await
        .expect("preflight")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn a_named_origin_gets_its_preflight_and_may_read_answers() {
    let app = TestApp::spawn_with(&[(
        "ADVISOR_CORS_ORIGINS",
        "https://shop.example.com, http://localhost:5173",
    )])
    .await;

    let granted = preflight(&app, "/products/SKU-1/enrichment", SHOP).await;
    assert_eq!(granted.status(), 204);
    assert_eq!(header(&granted, "access-control-allow-origin"), Some(SHOP));
    assert!(
        header(&granted, "access-control-allow-methods")
            .unwrap()
            .contains("PATCH")
    );
    let allowed_headers = header(&granted, "access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for needed in ["x-api-key", "if-match", "authorization", "content-type"] {
        assert!(
            allowed_headers.contains(needed),
            "{needed} in {allowed_headers}"
        );
    }
    assert_eq!(header(&granted, "vary"), Some("Origin"));

    let answer = app
        .client
        .get(format!("{}/products", app.api))
        .header("Origin", SHOP)
        .header("x-api-key", "local-dev-key")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(header(&answer, "access-control-allow-origin"), Some(SHOP));
    assert!(
        header(&answer, "access-control-expose-headers")
            .unwrap()
            .contains("ETag")
    );

    // An error answer carries the grant too, or the app could not read why it failed.
    let refused = app
        .client
        .get(format!("{}/products", app.api))
        .header("Origin", SHOP)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(header(&refused, "access-control-allow-origin"), Some(SHOP));
    app.stop().await;
}

#[tokio::test]
async fn any_other_origin_is_refused_and_nothing_is_allowed_by_default() {
    let named = TestApp::spawn_with(&[("ADVISOR_CORS_ORIGINS", SHOP)]).await;
    let refused = preflight(&named, "/products", "https://evil.example").await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        header(&refused, "content-type"),
        Some("application/problem+json")
    );
    assert_eq!(header(&refused, "access-control-allow-origin"), None);
    let answer = named
        .client
        .get(format!("{}/products", named.api))
        .header("Origin", "https://evil.example")
        .header("x-api-key", "local-dev-key")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&answer, "access-control-allow-origin"), None);
    named.stop().await;

    let default = TestApp::spawn().await;
    let refused = preflight(&default, "/products", SHOP).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(header(&refused, "access-control-allow-origin"), None);
    default.stop().await;
}
