//! `/api/keys`: an admin key makes, lists and revokes the tenant's keys; every endpoint asks
//! for its scope (401 without a valid key, 403 naming the missing scope).

use serde_json::{Value, json};
use shared::auth::{Scope, api_key_record};
use shared::domain::TenantId;

use crate::helpers::TestApp;
use crate::ingest::problem;

const ADMIN: &str = "local-dev-key";

/// POSTs `body` to `/keys` with `key`.
async fn post_key(app: &TestApp, key: Option<&str>, body: &str) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/keys", app.api))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    request.send().await.expect("request")
}

/// Makes a key with `scopes` through the API; returns the answer's body.
async fn create(app: &TestApp, name: &str, scopes: &[&str]) -> Value {
    let body = json!({"name": name, "scopes": scopes}).to_string();
    let response = post_key(app, Some(ADMIN), &body).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let created: Value = response.json().await.expect("json");
    assert_eq!(
        location,
        format!("/api/keys/{}", created["id"].as_str().expect("id"))
    );
    created
}

async fn delete_key(app: &TestApp, key: &str, id: &str) -> reqwest::Response {
    app.client
        .delete(format!("{}/keys/{id}", app.api))
        .header("x-api-key", key)
        .send()
        .await
        .expect("request")
}

async fn start_enrichment_run(app: &TestApp, key: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/enrichment/runs", app.api))
        .header("x-api-key", key)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn a_read_key_reads_every_endpoint_and_every_change_is_refused_naming_its_scope() {
    let app = TestApp::spawn().await;
    let created = create(&app, "dashboard", &["read"]).await;
    let key = created["key"].as_str().expect("key");
    assert!(key.starts_with("adv_") && key.len() == 44);
    assert_eq!(created["prefix"], &key[..8]);
    assert_eq!(created["scopes"], json!(["read"]));

    assert_eq!(app.get("/products", Some(key)).await.status(), 200);
    let detail = problem(start_enrichment_run(&app, key).await, 403).await;
    assert!(detail.contains("`write`"), "{detail}");
    let detail = problem(app.get("/keys", Some(key)).await, 403).await;
    assert!(detail.contains("`admin`"), "{detail}");
    for path in [
        "/ingest/runs",
        "/ingest/mappings",
        "/enrichment/runs",
        "/enrichment/budget",
    ] {
        assert_eq!(app.get(path, Some(key)).await.status(), 200, "GET {path}");
    }
    let changes = [
        (reqwest::Method::PUT, "/ingest/mappings/x", "ingest"),
        (reqwest::Method::DELETE, "/ingest/mappings/x", "ingest"),
        (reqwest::Method::POST, "/uploads", "ingest"),
        (reqwest::Method::POST, "/ingest", "ingest"),
        (reqwest::Method::PATCH, "/products/X/enrichment", "write"),
    ];
    for (method, path, scope) in changes {
        let response = app
            .client
            .request(method.clone(), format!("{}{path}", app.api))
            .header("x-api-key", key)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("request");
        let detail = problem(response, 403).await;
        assert!(detail.contains(&format!("`{scope}`")), "{method} {path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_ingest_key_can_push_a_feed_but_not_read_products() {
    let app = TestApp::spawn().await;
    let created = create(&app, "feed pusher", &["ingest"]).await;
    let key = created["key"].as_str().expect("key");
    let pushed = app
        .client
        .post(format!("{}/ingest", app.api))
        .header("x-api-key", key)
        .header("content-type", "text/csv")
        .body("sku,title,price,currency\nK-1,Key Mug,1.00,EUR\n")
        .send()
        .await
        .expect("request");
    assert_eq!(pushed.status(), 202);
    problem(app.get("/products", Some(key)).await, 403).await;
    app.stop().await;
}

#[tokio::test]
async fn the_listing_shows_prefix_scopes_and_last_use_but_never_the_key() {
    let app = TestApp::spawn().await;
    let created = create(&app, "reporting", &["write", "read", "read"]).await;
    let key = created["key"].as_str().expect("key").to_owned();
    assert_eq!(created["scopes"], json!(["read", "write"]));
    let listing = |app: &TestApp| {
        let client = app.client.clone();
        let url = format!("{}/keys", app.api);
        async move {
            let response = client
                .get(url)
                .header("x-api-key", ADMIN)
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), 200);
            response.text().await.expect("body")
        }
    };
    let before = listing(&app).await;
    assert!(!before.contains(&key), "the key is never listed");
    let body: Value = serde_json::from_str(&before).expect("json");
    let item = &body["items"][0];
    assert_eq!(item["id"], created["id"]);
    assert_eq!(item["name"], "reporting");
    assert_eq!(item["prefix"], &key[..8]);
    assert_eq!(item["scopes"], json!(["read", "write"]));
    assert_eq!(item["last_used_at"], Value::Null);
    assert_eq!(item["revoked_at"], Value::Null);
    assert!(item.get("key").is_none() && item.get("key_hash").is_none());

    assert_eq!(app.get("/products", Some(&key)).await.status(), 200);
    let after: Value = serde_json::from_str(&listing(&app).await).expect("json");
    assert!(after["items"][0]["last_used_at"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn a_revoked_key_is_refused_and_revoking_an_unknown_key_is_404() {
    let app = TestApp::spawn().await;
    let created = create(&app, "temporary", &["read"]).await;
    let (key, id) = (
        created["key"].as_str().expect("key"),
        created["id"].as_str().expect("id"),
    );
    assert_eq!(app.get("/products", Some(key)).await.status(), 200);
    assert_eq!(delete_key(&app, ADMIN, id).await.status(), 204);
    assert_eq!(
        delete_key(&app, ADMIN, id).await.status(),
        204,
        "revoking twice changes nothing"
    );
    problem(app.get("/products", Some(key)).await, 401).await;
    problem(delete_key(&app, ADMIN, "no-such-key").await, 404).await;
    let listed: Value = app.get_json("/keys").await;
    assert!(listed["items"][0]["revoked_at"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn no_key_or_a_wrong_key_is_401_and_bad_bodies_are_400() {
    let app = TestApp::spawn().await;
    problem(app.get("/keys", None).await, 401).await;
    problem(app.get("/products", Some("adv_wrong")).await, 401).await;
    problem(
        post_key(&app, None, r#"{"name":"a","scopes":["read"]}"#).await,
        401,
    )
    .await;

    let bad = [
        (r#"{"name":"","scopes":["read"]}"#, "name"),
        (r#"{"name":"a","scopes":[]}"#, "scopes"),
        (r#"{"name":"a","scopes":["root"]}"#, "root"),
        (r#"{"name":"a","scopes":["read"],"owner":"me"}"#, "owner"),
        (r#"{"scopes":["read"]}"#, "name"),
        ("not json", "body"),
    ];
    for (body, named) in bad {
        let detail = problem(post_key(&app, Some(ADMIN), body).await, 400).await;
        assert!(detail.contains(named), "{body}: {detail}");
    }
    let long = json!({"name": "x".repeat(101), "scopes": ["read"]}).to_string();
    problem(post_key(&app, Some(ADMIN), &long).await, 400).await;
    assert_eq!(app.get_json("/keys").await["items"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn another_tenant_s_key_is_404_and_an_admin_key_may_revoke_itself() {
    let app = TestApp::spawn().await;
    let acme = TenantId::parse("acme").expect("tenant");
    let store = &app.state.store;
    store.ensure_tenant(&acme, "Acme").await.expect("tenant");
    let record = api_key_record(
        &acme,
        "acme admin",
        "acme-admin-key",
        vec![Scope::Admin],
        chrono::Utc::now(),
    );
    store.add_api_key(&record).await.expect("key");

    problem(delete_key(&app, ADMIN, &record.id).await, 404).await;
    let listed: Value = app.get_json("/keys").await;
    assert_eq!(listed["items"], json!([]), "demo sees none of acme's keys");
    assert_eq!(app.get("/keys", Some("acme-admin-key")).await.status(), 200);

    assert_eq!(
        delete_key(&app, "acme-admin-key", &record.id)
            .await
            .status(),
        204
    );
    problem(app.get("/keys", Some("acme-admin-key")).await, 401).await;
    app.stop().await;
}

#[tokio::test]
async fn the_key_list_pages_oldest_first_with_a_cursor() {
    let app = TestApp::spawn().await;
    let mut made = Vec::new();
    for name in ["one", "two", "three"] {
        made.push(create(&app, name, &["read"]).await["id"].clone());
    }
    let mut seen = Vec::new();
    let mut query = String::from("/keys?limit=2");
    let mut pages = 0;
    loop {
        let page = app.get_json(&query).await;
        pages += 1;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2, "{page}");
        seen.extend(items.iter().map(|k| k["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("/keys?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    // Each key once; keys made in the same millisecond are ordered by id, so only the set
    // is certain.
    let sorted = |mut ids: Vec<Value>| {
        ids.sort_by_key(|id| id.as_str().unwrap().to_owned());
        ids
    };
    assert_eq!(sorted(seen), sorted(made));
    problem(app.get("/keys?cursor=nonsense", Some(ADMIN)).await, 400).await;
    problem(app.get("/keys?limit=0", Some(ADMIN)).await, 400).await;
    app.stop().await;
}
