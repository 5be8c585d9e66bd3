//! `/api/connections`: an admin connects Shopify, WooCommerce and NetSuite; secrets are sealed
//! at rest, never answered, and kept when a replace leaves them out.

use serde_json::{Value, json};
use shared::auth::{Scope, api_key_record};
use shared::domain::TenantId;

use crate::helpers::TestApp;
use crate::ingest::problem;

const ADMIN: &str = "local-dev-key";
const TOKEN: &str = "shpat_0123456789abcdef0123456789abcdef";

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, format!("{}/connections{path}", app.api))
        .header("x-api-key", key);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    request.send().await.expect("request")
}

async fn put(app: &TestApp, platform: &str, key: &str, body: Value) -> reqwest::Response {
    send(
        app,
        reqwest::Method::PUT,
        &format!("/{platform}"),
        key,
        Some(body),
    )
    .await
}

async fn get(app: &TestApp, path: &str, key: &str) -> reqwest::Response {
    send(app, reqwest::Method::GET, path, key, None).await
}

fn shopify(domain: &str) -> Value {
    json!({"shop_domain": domain, "access_token": TOKEN})
}

/// A key of `tenant` with `scopes`, stored directly.
async fn key_for(app: &TestApp, tenant: &str, key: &str, scopes: Vec<Scope>) {
    let tenant = TenantId::parse(tenant).expect("tenant");
    app.state
        .store
        .ensure_tenant(&tenant, "Other")
        .await
        .expect("tenant");
    let record = api_key_record(&tenant, key, key, scopes, chrono::Utc::now());
    app.state.store.add_api_key(&record).await.expect("key");
}

#[tokio::test]
async fn a_shopify_connection_is_created_replaced_shown_and_deleted_without_its_secret() {
    let app = TestApp::spawn().await;
    let created = put(&app, "shopify", ADMIN, shopify("acme.myshopify.com")).await;
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["location"], "/api/connections/shopify");
    let text = created.text().await.expect("body");
    assert!(!text.contains(TOKEN), "{text}");
    let body: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(body["platform"], "shopify");
    assert_eq!(body["shop_domain"], "acme.myshopify.com");
    assert_eq!(body["secrets"], json!({"access_token": "set"}));
    assert_eq!(body["objects"]["orders"]["direction"], "pull");

    // A replace that leaves the token out keeps it, and changes the schedule.
    let change = json!({"shop_domain": "acme.myshopify.com",
        "objects": {"orders": {"every_minutes": 30}}});
    let replaced = put(&app, "shopify", ADMIN, change).await;
    assert_eq!(replaced.status(), 200);
    let body: Value = replaced.json().await.expect("json");
    assert_eq!(body["objects"]["orders"]["every_minutes"], 30);
    assert_eq!(body["version"], 2);
    let tenant = TenantId::parse("demo").expect("tenant");
    let stored = app
        .state
        .store
        .get_connection(&tenant, shared::connections::Platform::Shopify)
        .await
        .expect("store")
        .expect("row");
    let key = app.state.credentials.as_ref().expect("local key");
    let plain = key
        .open(&tenant, stored.platform, &stored.secrets)
        .expect("opens");
    assert!(String::from_utf8(plain).expect("utf-8").contains(TOKEN));

    let listed: Value = get(&app, "", ADMIN).await.json().await.expect("json");
    assert_eq!(listed["items"].as_array().expect("items").len(), 1);
    let shown = get(&app, "/shopify", ADMIN).await;
    assert_eq!(shown.status(), 200);
    assert!(!shown.text().await.expect("body").contains(TOKEN));

    let deleted = send(&app, reqwest::Method::DELETE, "/shopify", ADMIN, None).await;
    assert_eq!(deleted.status(), 204);
    problem(get(&app, "/shopify", ADMIN).await, 404).await;
    problem(
        send(&app, reqwest::Method::DELETE, "/shopify", ADMIN, None).await,
        404,
    )
    .await;
}

#[tokio::test]
async fn the_stored_row_holds_no_plaintext_secret() {
    let app = TestApp::spawn().await;
    let body = json!({"account_id": "1234567_sb1", "consumer_key": "ck_ns_4f1c9a7e2b6d",
        "consumer_secret": "cs_ns_8e3b5d0f7a21", "token_id": "tk_ns_1a2b3c4d5e6f",
        "token_secret": "ts_ns_9f8e7d6c5b4a", "max_concurrency": 10});
    let created = put(&app, "netsuite", ADMIN, body).await;
    assert_eq!(created.status(), 201);
    let shown: Value = created.json().await.expect("json");
    assert_eq!(shown["account_id"], "1234567_SB1");
    assert_eq!(shown["max_concurrency"], 10);
    let db = rusqlite::Connection::open(app.data_dir.path().join("advisor.db")).expect("db");
    let (settings, secrets): (String, String) = db
        .query_row(
            "SELECT settings, secrets FROM platform_connections WHERE platform = 'netsuite'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("row");
    assert!(secrets.starts_with("v1:"), "{secrets}");
    for secret in [
        "ck_ns_4f1c9a7e2b6d",
        "cs_ns_8e3b5d0f7a21",
        "tk_ns_1a2b3c4d5e6f",
        "ts_ns_9f8e7d6c5b4a",
    ] {
        assert!(
            !secrets.contains(secret) && !settings.contains(secret),
            "{secret} stored in clear"
        );
    }
}

#[tokio::test]
async fn another_tenants_connection_is_not_found() {
    let app = TestApp::spawn().await;
    assert_eq!(
        put(&app, "shopify", ADMIN, shopify("acme.myshopify.com"))
            .await
            .status(),
        201
    );
    key_for(
        &app,
        "other",
        "other-admin-key",
        vec![Scope::Admin, Scope::Read],
    )
    .await;
    problem(get(&app, "/shopify", "other-admin-key").await, 404).await;
    let listed: Value = get(&app, "", "other-admin-key")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["items"], json!([]));
    problem(
        send(
            &app,
            reqwest::Method::DELETE,
            "/shopify",
            "other-admin-key",
            None,
        )
        .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn a_read_only_key_can_look_but_not_connect() {
    let app = TestApp::spawn().await;
    assert_eq!(
        put(&app, "shopify", ADMIN, shopify("acme.myshopify.com"))
            .await
            .status(),
        201
    );
    key_for(&app, "demo", "demo-read-key", vec![Scope::Read]).await;
    assert_eq!(get(&app, "/shopify", "demo-read-key").await.status(), 200);
    problem(
        put(
            &app,
            "shopify",
            "demo-read-key",
            shopify("acme.myshopify.com"),
        )
        .await,
        403,
    )
    .await;
    problem(
        send(
            &app,
            reqwest::Method::DELETE,
            "/shopify",
            "demo-read-key",
            None,
        )
        .await,
        403,
    )
    .await;
}

#[tokio::test]
async fn bad_requests_are_refused_with_what_to_change() {
    let app = TestApp::spawn().await;
    let detail = problem(
        put(&app, "magento", ADMIN, shopify("acme.myshopify.com")).await,
        404,
    )
    .await;
    assert!(detail.contains("magento"), "{detail}");
    let mut body = shopify("acme.myshopify.com");
    body["site_url"] = json!("https://x.example.com");
    body["colour"] = json!("red");
    let detail = problem(put(&app, "shopify", ADMIN, body).await, 400).await;
    assert!(
        detail.contains("`colour`") && detail.contains("`site_url`"),
        "{detail}"
    );
    let detail = problem(
        put(
            &app,
            "shopify",
            ADMIN,
            json!({"shop_domain": "acme.myshopify.com"}),
        )
        .await,
        400,
    )
    .await;
    assert!(detail.contains("access_token"), "{detail}");
    let woo = json!({"site_url": "https://shop.example.com", "consumer_key": "ck_0123456789",
        "consumer_secret": "cs_0123456789", "base_url": "http://169.254.169.254/latest"});
    let detail = problem(put(&app, "woocommerce", ADMIN, woo).await, 400).await;
    assert!(
        detail.contains("base_url") && !detail.contains("cs_0123456789"),
        "{detail}"
    );
    let detail = problem(put(&app, "shopify", ADMIN, json!([1])).await, 400).await;
    assert!(detail.contains("object"), "{detail}");
    let big = json!({"shop_domain": "x".repeat(17 * 1024)});
    problem(put(&app, "shopify", ADMIN, big).await, 413).await;
}

#[tokio::test]
async fn a_loopback_mock_may_stand_in_locally() {
    let app = TestApp::spawn().await;
    let mut body = shopify("acme.myshopify.com");
    body["base_url"] = json!("http://127.0.0.1:9999");
    let created = put(&app, "shopify", ADMIN, body).await;
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.expect("json");
    assert_eq!(body["base_url"], "http://127.0.0.1:9999/");
}

#[tokio::test]
async fn a_repeated_put_replaces_with_the_same_connection() {
    let app = TestApp::spawn().await;
    let body = json!({"site_url": "https://shop.example.com", "consumer_key": "ck_0123456789",
        "consumer_secret": "cs_0123456789"});
    let first: Value = put(&app, "woocommerce", ADMIN, body.clone())
        .await
        .json()
        .await
        .expect("json");
    let again = put(&app, "woocommerce", ADMIN, body).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["site_url"], first["site_url"]);
    assert_eq!(again["objects"], first["objects"]);
    assert_eq!(again["created_at"], first["created_at"]);
    let listed: Value = get(&app, "", ADMIN).await.json().await.expect("json");
    assert_eq!(listed["items"].as_array().expect("items").len(), 1);
}

#[tokio::test]
async fn secrets_that_no_longer_open_must_all_be_sent_again() {
    let app = TestApp::spawn().await;
    let tenant = TenantId::parse("demo").expect("tenant");
    let now = chrono::Utc::now();
    let record = shared::store::ConnectionRecord {
        tenant,
        platform: shared::connections::Platform::Shopify,
        settings: json!({"shop_domain": "acme.myshopify.com", "objects":
            shared::connections::Objects::defaults(shared::connections::Platform::Shopify)}),
        secrets: "v1:c2VhbGVkIHdpdGggYW5vdGhlciBrZXkgbG9uZyBhZ28".into(),
        created_at: now,
        updated_at: now,
        version: 0,
    };
    app.state.store.put_connection(&record).await.expect("row");
    let detail = problem(
        put(
            &app,
            "shopify",
            ADMIN,
            json!({"shop_domain": "acme.myshopify.com"}),
        )
        .await,
        409,
    )
    .await;
    assert!(detail.contains("send every secret again"), "{detail}");
    assert_eq!(
        put(&app, "shopify", ADMIN, shopify("acme.myshopify.com"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_webhook_secret_is_optional_shown_as_set_and_kept_by_a_replace() {
    let app = TestApp::spawn().await;
    let plain = put(&app, "shopify", ADMIN, shopify("acme.myshopify.com")).await;
    let body: Value = plain.json().await.expect("json");
    assert_eq!(body["secrets"], json!({"access_token": "set"}));
    assert_eq!(body["webhooks"], false);

    let mut with_secret = shopify("acme.myshopify.com");
    with_secret["webhook_secret"] = json!("whsec_0123456789abcdef");
    let stored = put(&app, "shopify", ADMIN, with_secret).await;
    let text = stored.text().await.expect("body");
    assert!(!text.contains("whsec_0123456789abcdef"), "{text}");
    let body: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        body["secrets"],
        json!({"access_token": "set", "webhook_secret": "set"})
    );

    // A replace that sends neither secret keeps both.
    let kept = put(
        &app,
        "shopify",
        ADMIN,
        json!({"shop_domain": "acme.myshopify.com"}),
    )
    .await;
    let body: Value = kept.json().await.expect("json");
    assert_eq!(body["webhooks"], true, "{body}");
    assert_eq!(
        body["secrets"],
        json!({"access_token": "set", "webhook_secret": "set"})
    );
    app.stop().await;
}
