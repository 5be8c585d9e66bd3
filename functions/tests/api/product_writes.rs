//! `Products` writes through the local host: PUT, PATCH (merge patch) and DELETE with ETags,
//! If-Match / If-None-Match, soft delete and restore, tenant isolation, bad bodies, and the
//! enrichment a change owes.

use reqwest::Method;
use serde_json::{Value, json};
use shared::auth::{Scope, api_key_record};
use shared::domain::TenantId;
use shared::protocol::HttpRequest;
use shared::protocol::host::{self, Sys};

use crate::helpers::TestApp;

const KEY: &str = "local-dev-key";

/// An answer: status, `ETag`, `Location`, body (JSON or null).
struct Answer {
    status: u16,
    etag: Option<String>,
    location: Option<String>,
    body: Value,
}

/// Sends `method path` with the key, `headers` and a JSON `body`.
async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    key: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Answer {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app
        .client
        .request(method.clone(), format!("{}{path}", app.api))
        .header("x-api-key", key);
    if let Some(body) = body {
        let content_type = match method {
            Method::PATCH => "application/merge-patch+json",
            _ => "application/json",
        };
        if !headers.iter().any(|(name, _)| *name == "content-type") {
            request = request.header("content-type", content_type);
        }
        request = request.body(body.to_string());
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (status, etag, location) = (
        response.status().as_u16(),
        header("etag"),
        header("location"),
    );
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        etag,
        location,
        body,
    }
}

fn mug(price: &str) -> Value {
    json!({"title": "Stoneware Mug", "brand": "Clayworks", "quantity": 3,
        "price": {"amount": price, "currency": "EUR"}, "attributes": {"Material": "Clay"}})
}

fn detail(answer: &Answer) -> String {
    answer.body["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_product_is_created_replaced_patched_deleted_and_restored_with_its_etag() {
    let app = TestApp::spawn().await;
    let created = send(
        &app,
        "PUT",
        "/products/MUG-1",
        KEY,
        &[],
        Some(&mug("12.00")),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.etag.as_deref(), Some("\"v1\""));
    assert_eq!(created.location.as_deref(), Some("/api/products/MUG-1"));
    assert_eq!(
        (
            created.body["source"].as_str(),
            created.body["version"].as_i64()
        ),
        (Some("api"), Some(1))
    );

    let read = send(&app, "GET", "/products/MUG-1", KEY, &[], None).await;
    assert_eq!((read.status, read.etag.as_deref()), (200, Some("\"v1\"")));
    assert_eq!(
        read.body["price"],
        json!({"amount": "12.00", "currency": "EUR"})
    );
    let cached = [("if-none-match", "\"v1\"")];
    let not_modified = send(&app, "GET", "/products/MUG-1", KEY, &cached, None).await;
    assert_eq!(
        (not_modified.status, not_modified.etag.as_deref()),
        (304, Some("\"v1\""))
    );

    let v1 = [("if-match", "\"v1\"")];
    let same = send(
        &app,
        "PUT",
        "/products/MUG-1",
        KEY,
        &v1,
        Some(&mug("12.00")),
    )
    .await;
    assert_eq!(
        (same.status, same.etag.as_deref()),
        (200, Some("\"v1\"")),
        "no-op"
    );
    let replaced = send(
        &app,
        "PUT",
        "/products/MUG-1",
        KEY,
        &v1,
        Some(&mug("14.00")),
    )
    .await;
    assert_eq!(
        (replaced.status, replaced.etag.as_deref()),
        (200, Some("\"v2\""))
    );

    let patch = json!({"brand": null, "price": {"amount": "15.50"}, "description": "Glazed"});
    let v2 = [("if-match", "\"v2\"")];
    let patched = send(&app, "PATCH", "/products/MUG-1", KEY, &v2, Some(&patch)).await;
    assert_eq!(
        (patched.status, patched.etag.as_deref()),
        (200, Some("\"v3\""))
    );
    assert_eq!(patched.body["brand"], Value::Null, "null clears a field");
    assert_eq!(patched.body["price"]["amount"], "15.50");
    assert_eq!(patched.body["price"]["currency"], "EUR", "objects merge");
    assert_eq!(patched.body["description"], "Glazed");
    assert_eq!(patched.body["attributes"], json!({"Material": "Clay"}));

    let v3 = [("if-match", "\"v3\"")];
    let deleted = send(&app, "DELETE", "/products/MUG-1", KEY, &v3, None).await;
    assert_eq!(deleted.status, 204);
    let gone = send(&app, "GET", "/products/MUG-1", KEY, &[], None).await;
    assert_eq!(gone.status, 404);
    let listed = app.get_json("/products").await;
    assert_eq!(
        listed["items"],
        json!([]),
        "a deleted product is not listed"
    );
    let again = send(&app, "DELETE", "/products/MUG-1", KEY, &v3, None).await;
    assert_eq!(
        again.status, 404,
        "deleting twice finds nothing the second time"
    );

    let restored = send(&app, "PUT", "/products/MUG-1", KEY, &[], Some(&mug("9.00"))).await;
    assert_eq!(restored.status, 201, "a PUT restores a deleted product");
    assert_eq!(
        restored.etag.as_deref(),
        Some("\"v5\""),
        "old ETags never match again"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_stale_or_missing_if_match_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    send(
        &app,
        "PUT",
        "/products/MUG-1",
        KEY,
        &[],
        Some(&mug("12.00")),
    )
    .await;
    let v1 = [("if-match", "\"v1\"")];
    send(
        &app,
        "PUT",
        "/products/MUG-1",
        KEY,
        &v1,
        Some(&mug("13.00")),
    )
    .await;

    for (method, body) in [
        ("PUT", Some(mug("1.00"))),
        ("PATCH", Some(json!({"quantity": 0}))),
    ] {
        let stale = send(&app, method, "/products/MUG-1", KEY, &v1, body.as_ref()).await;
        assert_eq!(stale.status, 412, "{method} {}", stale.body);
        assert_eq!(
            stale.etag.as_deref(),
            Some("\"v2\""),
            "the current ETag is given"
        );
        let blind = send(&app, method, "/products/MUG-1", KEY, &[], body.as_ref()).await;
        assert_eq!(blind.status, 428, "{method} without If-Match");
        assert!(detail(&blind).contains("If-Match"), "{}", blind.body);
    }
    let stale = send(&app, "DELETE", "/products/MUG-1", KEY, &v1, None).await;
    assert_eq!((stale.status, stale.etag.as_deref()), (412, Some("\"v2\"")));
    let blind = send(&app, "DELETE", "/products/MUG-1", KEY, &[], None).await;
    assert_eq!(blind.status, 428);
    let foreign = [("if-match", "W/\"v2\"")];
    let weak = send(&app, "DELETE", "/products/MUG-1", KEY, &foreign, None).await;
    assert_eq!(weak.status, 412, "a weak tag never matches");

    let create_only = [("if-none-match", "*")];
    let exists = send(
        &app,
        "PUT",
        "/products/MUG-1",
        KEY,
        &create_only,
        Some(&mug("1.00")),
    )
    .await;
    assert_eq!(
        (exists.status, exists.etag.as_deref()),
        (412, Some("\"v2\""))
    );
    let fresh = send(
        &app,
        "PUT",
        "/products/MUG-2",
        KEY,
        &create_only,
        Some(&mug("1.00")),
    )
    .await;
    assert_eq!(fresh.status, 201);

    let current = app.get_json("/products/MUG-1").await;
    assert_eq!(
        (
            current["version"].as_i64(),
            current["price"]["amount"].as_str()
        ),
        (Some(2), Some("13.00")),
        "no refused request changed anything"
    );
    app.stop().await;
}

#[tokio::test]
async fn another_tenant_s_sku_is_not_found_by_any_method() {
    let app = TestApp::spawn().await;
    send(
        &app,
        "PUT",
        "/products/MUG-1",
        KEY,
        &[],
        Some(&mug("12.00")),
    )
    .await;
    let acme = TenantId::parse("acme").unwrap();
    app.state.store.ensure_tenant(&acme, "Acme").await.unwrap();
    let record = api_key_record(
        &acme,
        "t",
        "acme-key",
        Scope::ALL.to_vec(),
        chrono::Utc::now(),
    );
    app.state.store.add_api_key(&record).await.unwrap();

    let v1 = [("if-match", "\"v1\"")];
    let patch = json!({"quantity": 0});
    assert_eq!(
        send(&app, "GET", "/products/MUG-1", "acme-key", &[], None)
            .await
            .status,
        404
    );
    let patched = send(
        &app,
        "PATCH",
        "/products/MUG-1",
        "acme-key",
        &v1,
        Some(&patch),
    )
    .await;
    assert_eq!(patched.status, 404);
    let deleted = send(&app, "DELETE", "/products/MUG-1", "acme-key", &v1, None).await;
    assert_eq!(deleted.status, 404);
    // A conditional PUT expects a version acme does not have: refused as for any unknown SKU,
    // without an ETag, so nothing about demo's product shows.
    let put = send(
        &app,
        "PUT",
        "/products/MUG-1",
        "acme-key",
        &v1,
        Some(&mug("1.00")),
    )
    .await;
    assert_eq!((put.status, put.etag), (412, None));

    let own = app.get_json("/products/MUG-1").await;
    assert_eq!(
        (own["version"].as_i64(), own["quantity"].as_i64()),
        (Some(1), Some(3))
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_bodies_are_refused_with_what_is_wrong() {
    let app = TestApp::spawn().await;
    let smuggled = json!({"title": "Mug", "version": 9, "tenant": "acme", "source": "feed"});
    let answer = send(&app, "PUT", "/products/MUG-1", KEY, &[], Some(&smuggled)).await;
    assert_eq!(answer.status, 400);
    for field in ["version", "tenant", "source"] {
        assert!(detail(&answer).contains(field), "{}", answer.body);
    }
    let invalid = json!({"title": "", "price": {"amount": "1.234", "currency": "EUR"},
        "gtin": "123", "sku": "OTHER"});
    let answer = send(&app, "PUT", "/products/MUG-1", KEY, &[], Some(&invalid)).await;
    assert_eq!(answer.status, 400);
    for field in ["title", "price", "gtin", "sku"] {
        assert!(detail(&answer).contains(field), "{field}: {}", answer.body);
    }
    let not_an_object = send(&app, "PUT", "/products/MUG-1", KEY, &[], Some(&json!([1]))).await;
    assert_eq!(not_an_object.status, 400);
    let huge = json!({"title": "Mug", "description": "x".repeat(70_000)});
    assert_eq!(
        send(&app, "PUT", "/products/MUG-1", KEY, &[], Some(&huge))
            .await
            .status,
        413
    );

    send(&app, "PUT", "/products/MUG-1", KEY, &[], Some(&mug("2.00"))).await;
    let v1 = [("if-match", "\"v1\""), ("content-type", "application/json")];
    let wrong_type = send(&app, "PATCH", "/products/MUG-1", KEY, &v1, Some(&json!({}))).await;
    assert_eq!(wrong_type.status, 415, "a merge patch says so");
    let v1 = [("if-match", "\"v1\"")];
    let cleared = json!({"title": null});
    let answer = send(&app, "PATCH", "/products/MUG-1", KEY, &v1, Some(&cleared)).await;
    assert_eq!(answer.status, 400);
    assert!(detail(&answer).contains("title"));
    let star = [("if-match", "*")];
    let answer = send(
        &app,
        "PUT",
        "/products/MUG-1",
        KEY,
        &star,
        Some(&mug("2.00")),
    )
    .await;
    assert_eq!(
        answer.status, 400,
        "If-Match: * cannot prevent a lost update"
    );
    assert_eq!(app.get_json("/products/MUG-1").await["version"], 1);
    app.stop().await;
}

#[tokio::test]
async fn a_read_key_cannot_write() {
    let app = TestApp::spawn().await;
    let demo = TenantId::parse("demo").unwrap();
    let record = api_key_record(
        &demo,
        "r",
        "read-key",
        vec![Scope::Read],
        chrono::Utc::now(),
    );
    app.state.store.add_api_key(&record).await.unwrap();
    let answer = send(
        &app,
        "PUT",
        "/products/MUG-1",
        "read-key",
        &[],
        Some(&mug("1.00")),
    )
    .await;
    assert_eq!(answer.status, 403);
    assert!(detail(&answer).contains("write"));
    app.stop().await;
}

/// Invokes `Products` on the handler directly, as the host would, and returns its outputs.
async fn invoke_put(app: &TestApp, body: &Value, if_match: Option<&str>) -> Value {
    let mut request = HttpRequest {
        url: "http://localhost:7071/api/products/MUG-1".into(),
        method: "PUT".into(),
        body: Some(body.to_string()),
        ..HttpRequest::default()
    };
    request.params.insert("sku".into(), "MUG-1".into());
    let headers = [
        ("x-api-key", Some(KEY)),
        ("Content-Type", Some("application/json")),
        ("If-Match", if_match),
    ];
    for (name, value) in headers {
        if let Some(value) = value {
            request.headers.insert(name.into(), vec![value.into()]);
        }
    }
    let payload = host::http_invocation("req", &request, &Sys::now("Products"));
    let response = app
        .client
        .post(format!("{}/Products", app.handler_url))
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    result["Outputs"].clone()
}

#[tokio::test]
async fn a_change_queues_its_enrichment_and_an_unchanged_put_only_while_none_is_current() {
    let app = TestApp::spawn().await;
    let created = invoke_put(&app, &mug("12.00"), None).await;
    assert_eq!(created["res"]["statusCode"], "201");
    let messages = created["enrich"].as_array().expect("one enrich message");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["sku"], "MUG-1");
    assert_eq!(messages[0]["tenant"], "demo");

    // Not enriched yet (here nothing runs the message): a retried write queues it again, in
    // case the first write's process died before its message went out.
    let retried = invoke_put(&app, &mug("12.00"), Some("\"v1\"")).await;
    assert_eq!(retried["res"]["statusCode"], "200");
    assert_eq!(retried["enrich"][0]["sku"], "MUG-1", "{retried}");
    let (tenant, sku) = (TenantId::parse("demo").unwrap(), "MUG-1".parse().unwrap());
    shared::enrich::enrich_product(app.state.store.as_ref(), &app.state.ai, &tenant, &sku)
        .await
        .unwrap();
    let unchanged = invoke_put(&app, &mug("12.00"), Some("\"v1\"")).await;
    assert_eq!(unchanged["res"]["statusCode"], "200");
    assert!(unchanged.get("enrich").is_none(), "{unchanged}");

    let changed = invoke_put(&app, &mug("13.00"), Some("\"v1\"")).await;
    assert_eq!(changed["res"]["headers"]["ETag"], "\"v2\"");
    assert_eq!(changed["enrich"].as_array().map(Vec::len), Some(1));
    let refused = invoke_put(&app, &mug("14.00"), Some("\"v1\"")).await;
    assert_eq!(refused["res"]["statusCode"], "412");
    assert!(refused.get("enrich").is_none());
    app.stop().await;
}

#[tokio::test]
async fn a_retried_write_whose_change_is_already_there_succeeds_without_a_second_change() {
    let app = TestApp::spawn().await;
    send(
        &app,
        "PUT",
        "/products/MUG-1",
        KEY,
        &[],
        Some(&mug("12.00")),
    )
    .await;
    let v1 = [("if-match", "\"v1\"")];
    let first = send(
        &app,
        "PUT",
        "/products/MUG-1",
        KEY,
        &v1,
        Some(&mug("13.00")),
    )
    .await;
    assert_eq!((first.status, first.etag.as_deref()), (200, Some("\"v2\"")));

    // The first answer was lost; the client sends the same write again with the same ETag.
    let again = send(
        &app,
        "PUT",
        "/products/MUG-1",
        KEY,
        &v1,
        Some(&mug("13.00")),
    )
    .await;
    assert_eq!(
        (again.status, again.etag.as_deref()),
        (200, Some("\"v2\"")),
        "{}",
        again.body
    );

    let v2 = [("if-match", "\"v2\"")];
    let patch = json!({"quantity": 9});
    let patched = send(&app, "PATCH", "/products/MUG-1", KEY, &v2, Some(&patch)).await;
    assert_eq!(
        (patched.status, patched.etag.as_deref()),
        (200, Some("\"v3\""))
    );
    let repeated = send(&app, "PATCH", "/products/MUG-1", KEY, &v2, Some(&patch)).await;
    assert_eq!(
        (repeated.status, repeated.etag.as_deref()),
        (200, Some("\"v3\""))
    );

    // The same stale ETag with a different change is still a conflict.
    let other = send(
        &app,
        "PATCH",
        "/products/MUG-1",
        KEY,
        &v2,
        Some(&json!({"quantity": 1})),
    )
    .await;
    assert_eq!((other.status, other.etag.as_deref()), (412, Some("\"v3\"")));
    let current = app.get_json("/products/MUG-1").await;
    assert_eq!(
        (current["version"].as_i64(), current["quantity"].as_i64()),
        (Some(3), Some(9))
    );
    app.stop().await;
}
