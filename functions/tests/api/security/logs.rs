//! Secrets never reach a log line: the app's logs, captured at debug level for our own crates
//! while a platform token, a webhook secret, API keys (good and wrong), Bearer tokens (good
//! and forged), a password in a URL and an OpenAI key are all in use — on the happy paths and the failing ones — hold none of
//! them.

use std::io::Write;
use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde_json::{Value, json};
use shared::sync::shopify::mock::{MockShopify, MockShopifyOptions};
use tracing_subscriber::EnvFilter;

use super::{DEV, call, put_shopify, test_shopify};
use crate::helpers::{TestApp, eventually};
use crate::mock_idp::{AUDIENCE, ISSUER, Jwks, claims, rsa_token};
use crate::mock_openai::{MockOpenAi, Reply, good_answer};

const OPENAI_KEY: &str = "sk-proj-5ecre7L0gSc4nK3y0000";
const WEBHOOK_SECRET: &str = "whsec_5ecre7L0gSc4nW3bh00k";
const WRONG_KEY: &str = "adv_5ecre7L0gSc4nWr0ngK3y000000000000000000";
const URL_PASSWORD: &str = "p4ss5ecre7L0gSc4n";

/// Where the captured log lines go.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Everything the test does that touches a secret: keys, a connection and its sync, a
/// webhook, enrichment by the provider (after one failure).
async fn use_every_secret(app: &TestApp, shop: &MockShopify, key: &mut String) {
    let made = call(
        app,
        Method::POST,
        "/keys",
        Some(DEV),
        Some(json!({"name": "logged", "scopes": ["read"]}).to_string()),
    )
    .await;
    assert_eq!(made.status, 201);
    *key = made.json()["key"].as_str().unwrap().to_owned();
    assert_eq!(
        call(app, Method::GET, "/products", Some(key), None)
            .await
            .status,
        200
    );
    assert_eq!(
        call(app, Method::GET, "/products", Some(WRONG_KEY), None)
            .await
            .status,
        401
    );
    let leaky = json!({"shop_domain": shop.shop_domain(), "access_token": shop.token(),
        "base_url": format!("https://admin:{URL_PASSWORD}@shop.example.com")});
    let refused = put_shopify(app, &leaky).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    let connection = json!({"shop_domain": shop.shop_domain(), "access_token": shop.token(),
        "webhook_secret": WEBHOOK_SECRET, "base_url": shop.base_url(),
        "objects": {"inventory": {"direction": "off"}, "orders": {"direction": "off"}}});
    let put = put_shopify(app, &connection).await;
    assert_eq!(put.status, 201, "{}", put.text);
    let tested = test_shopify(app).await;
    assert_eq!(tested.json()["ok"], true, "{}", tested.text);
    let started = call(
        app,
        Method::POST,
        "/connections/shopify/sync",
        Some(DEV),
        Some(json!({"kinds": ["products"]}).to_string()),
    )
    .await;
    assert_eq!(started.status, 202, "{}", started.text);
    let job = started.json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let finished = crate::sync::finished(app, &job).await;
    assert_eq!(finished["status"], "succeeded", "{finished}");
    let forged = app
        .client
        .post(format!("{}/webhooks/shopify?tenant=demo", app.api))
        .header("x-shopify-hmac-sha256", WEBHOOK_SECRET)
        .header("x-shopify-shop-domain", shop.shop_domain())
        .header("x-shopify-topic", "products/update")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    eventually(60, "a synced product enriched by the provider", || async {
        let page = app.get_json("/products?limit=1").await;
        let first: Value = page["items"].as_array()?.first()?.clone();
        let sku = first["sku"].as_str()?.to_owned();
        let product = app.get_json(&format!("/products/{sku}")).await;
        (product["enrichment"]["generated_by"] == "openai").then_some(())
    })
    .await;
}

#[tokio::test]
async fn no_secret_in_use_ever_reaches_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new("info,advisor=debug,shared=debug"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // The test's runtime runs every task of the app on this thread, so they all log here.
    let _guard = tracing::subscriber::set_default(subscriber);

    let shop = MockShopify::start(MockShopifyOptions::default()).await;
    shop.seed_products(3, 1);
    let provider = MockOpenAi::start(good_answer()).await;
    provider.script([Reply::Error(500, vec![])]);
    let base = format!("{}/v1", provider.url);
    let jwks = Jwks::start().await;
    let app = TestApp::spawn_with(&[
        ("OPENAI_BASE_URL", base.as_str()),
        ("OPENAI_API_KEY", OPENAI_KEY),
        ("ADVISOR_JWT_JWKS_URL", jwks.url.as_str()),
        ("ADVISOR_JWT_ISSUER", ISSUER),
        ("ADVISOR_JWT_AUDIENCE", AUDIENCE),
    ])
    .await;
    let mut key = String::new();
    use_every_secret(&app, &shop, &mut key).await;
    // Bearer tokens, a good one and one whose signature does not match its claims.
    let token = rsa_token(&claims("demo", &["user"]));
    let (head, _) = token.rsplit_once('.').unwrap();
    let forged = format!("{head}.c2lnbmF0dXJlLXRoYXQtZG9lcy1ub3QtbWF0Y2g");
    for (bearer, status) in [(&token, 200), (&forged, 401)] {
        let answer = app
            .client
            .get(format!("{}/products", app.api))
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), status);
    }
    app.stop().await;

    let logs = captured.text();
    // The capture saw the work: the connection test and the tenant on the invocation spans.
    assert!(logs.contains("connection tested"), "{logs}");
    assert!(logs.contains("demo"), "{logs}");
    assert!(provider.seen().len() >= 2, "the provider was called");
    for secret in [
        shop.token(),
        WEBHOOK_SECRET,
        key.as_str(),
        WRONG_KEY,
        DEV,
        OPENAI_KEY,
        URL_PASSWORD,
        token.as_str(),
        forged.as_str(),
        head,
    ] {
        assert!(!logs.contains(secret), "`{secret}` was logged:\n{logs}");
    }
}
