//! API1 (object-level) and API5 (function-level) authorisation: what one tenant owns is not
//! found by another, and admin routes are refused to every other scope.

use reqwest::Method;
use serde_json::{Value, json};
use shared::auth::Scope;
use shared::connections::{ObjectKind, Platform};
use shared::domain::TenantId;
use shared::store::SyncProblem;
use shared::sync::shopify::mock::{MockShopify, MockShopifyOptions};

use super::{Answer, DEV, add_key, call, put_shopify};
use crate::helpers::{TestApp, eventually};

const OTHER: &str = "acme-all-scopes-key";

/// Asserts that `other`'s answer for `owned` says no more than its answer for an id nobody
/// has: both 404 problem+json, the same sentence once the id is taken out.
fn same_as_missing(for_owned: &Answer, owned: &str, for_missing: &Answer, missing: &str) {
    let owned_detail = for_owned.problem(404);
    let missing_detail = for_missing.problem(404);
    assert_eq!(
        owned_detail.replace(owned, "{id}"),
        missing_detail.replace(missing, "{id}")
    );
    assert!(!owned_detail.contains("demo"), "{owned_detail}");
}

/// Demo's objects: (ingestion run, enrichment run, sync job, sync issue, video).
async fn demo_objects(app: &TestApp) -> (String, String, String, String, String) {
    let put = call(
        app,
        Method::PUT,
        "/products/MUG-1",
        Some(DEV),
        Some(json!({"title": "Mug", "quantity": 3}).to_string()),
    )
    .await;
    assert_eq!(put.status, 201, "{}", put.text);
    let push = app
        .client
        .post(format!("{}/ingest?kind=products", app.api))
        .header("x-api-key", DEV)
        .header("content-type", "text/csv")
        .body("sku,title\nCUP-1,Cup\n")
        .send()
        .await
        .unwrap();
    assert_eq!(push.status(), 202);
    let run: Value = push.json().await.unwrap();
    let enrichment = call(
        app,
        Method::POST,
        "/enrichment/runs",
        Some(DEV),
        Some("{}".into()),
    )
    .await;
    assert_eq!(enrichment.status, 202, "{}", enrichment.text);
    // A shop that answers, so demo's job ends at once and nothing waits on it.
    let mock = MockShopify::start(MockShopifyOptions::default()).await;
    let shop = json!({"shop_domain": mock.shop_domain(), "access_token": mock.token(),
        "base_url": mock.base_url(), "objects": {"inventory": {"direction": "off"},
        "orders": {"direction": "off"}}});
    let connected = put_shopify(app, &shop).await;
    assert_eq!(connected.status, 201, "{}", connected.text);
    let jobs = call(
        app,
        Method::POST,
        "/connections/shopify/sync",
        Some(DEV),
        None,
    )
    .await;
    assert_eq!(jobs.status, 202, "{}", jobs.text);
    let job = jobs.json()["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        crate::sync::finished(app, &job).await["status"],
        "succeeded"
    );
    let problem = SyncProblem {
        kind: ObjectKind::Products,
        record: "gid://shopify/Product/1".into(),
        code: "missing_sku".into(),
        message: "the variant has no SKU".into(),
        detail: json!({}),
    };
    let demo = TenantId::parse("demo").unwrap();
    app.state
        .store
        .record_sync_problems(
            &demo,
            Platform::Shopify,
            "job-1",
            std::slice::from_ref(&problem),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    app.drop_blob("videos", "demo", "clip.mp4", b"sku,title\nnot,a video\n");
    let video = eventually(60, "the video's failed record", || async {
        let page = app.get_json("/videos").await;
        let first = page["items"].as_array()?.first()?.clone();
        (first["status"] == "failed").then_some(first)
    })
    .await;
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    (
        text(&run["run_id"]),
        text(&enrichment.json()["id"]),
        job,
        problem.issue_id(Platform::Shopify),
        text(&video["id"]),
    )
}

#[tokio::test]
async fn api1_another_tenant_finds_none_of_demo_s_objects_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (run, enrichment_run, job, issue, video) = demo_objects(&app).await;
    add_key(&app, "acme", OTHER, Scope::ALL.to_vec()).await;
    let missing = "00000000-0000-4000-8000-000000000000";
    for (path, method) in [
        ("/ingest/runs/{id}", Method::GET),
        ("/enrichment/runs/{id}", Method::GET),
        ("/sync/jobs/{id}", Method::GET),
        ("/sync/issues/{id}", Method::GET),
        ("/sync/issues/{id}/resolve", Method::POST),
        ("/sync/issues/{id}/retry", Method::POST),
        ("/videos/{id}", Method::GET),
    ] {
        let owned = match path.split('/').nth(1).unwrap() {
            "ingest" => &run,
            "enrichment" => &enrichment_run,
            "videos" => &video,
            _ if path.starts_with("/sync/jobs") => &job,
            _ => &issue,
        };
        let for_owned = call(
            &app,
            method.clone(),
            &path.replace("{id}", owned),
            Some(OTHER),
            None,
        )
        .await;
        let for_missing = call(
            &app,
            method.clone(),
            &path.replace("{id}", missing),
            Some(OTHER),
            None,
        )
        .await;
        same_as_missing(&for_owned, owned, &for_missing, missing);
    }
    // Lists hold none of demo's objects.
    for list in [
        "/ingest/runs",
        "/enrichment/runs",
        "/sync/jobs",
        "/sync/issues",
        "/videos",
        "/connections",
    ] {
        let answer = call(&app, Method::GET, list, Some(OTHER), None).await;
        assert_eq!(answer.status, 200, "{list}");
        assert_eq!(answer.json()["items"], json!([]), "{list}: {}", answer.text);
    }
    // Demo's product's enrichment and demo's connection's actions are not acme's to use.
    let edit = json!({"set": {"title": "Taken over"}}).to_string();
    let patched = call(
        &app,
        Method::PATCH,
        "/products/MUG-1/enrichment",
        Some(OTHER),
        Some(edit),
    )
    .await;
    patched.problem(404);
    for action in ["test", "sync"] {
        let path = format!("/connections/shopify/{action}");
        call(&app, Method::POST, &path, Some(OTHER), None)
            .await
            .problem(404);
    }
    // A PUT of the same platform makes acme's own connection; demo's stays as it was.
    let before = app.get_json("/connections/shopify").await;
    let own = json!({"shop_domain": "acme-own.myshopify.com", "access_token": "shpat_acme0000000"});
    let put = call(
        &app,
        Method::PUT,
        "/connections/shopify",
        Some(OTHER),
        Some(own.to_string()),
    )
    .await;
    assert_eq!(put.status, 201, "{}", put.text);
    assert_eq!(app.get_json("/connections/shopify").await, before);
    // Nothing of demo's changed.
    let product = app.get_json("/products/MUG-1").await;
    assert_eq!(product["version"], 1);
    assert_ne!(product["enrichment"]["title"], "Taken over", "{product}");
    let issue_now = app.get_json(&format!("/sync/issues/{issue}")).await;
    assert_eq!(issue_now["status"], "open", "{issue_now}");
    let jobs = app.get_json("/sync/jobs").await;
    assert_eq!(jobs["items"].as_array().unwrap().len(), 1, "{jobs}");
    app.stop().await;
}

#[tokio::test]
async fn api5_admin_routes_are_refused_to_every_other_scope_and_change_nothing() {
    let app = TestApp::spawn().await;
    for (key, scope) in [
        ("r-key", Scope::Read),
        ("w-key", Scope::Write),
        ("i-key", Scope::Ingest),
    ] {
        add_key(&app, "demo", key, vec![scope]).await;
    }
    let connection =
        json!({"shop_domain": "acme.myshopify.com", "access_token": "shpat_0123456789abcdef"});
    let admin_routes = [
        (Method::GET, "/keys", None),
        (
            Method::POST,
            "/keys",
            Some(json!({"name": "mine", "scopes": ["admin"]})),
        ),
        (Method::DELETE, "/keys/some-id", None),
        (
            Method::PATCH,
            "/tenant",
            Some(json!({"time_zone": "Asia/Tokyo"})),
        ),
        (Method::PUT, "/connections/shopify", Some(connection)),
        (Method::DELETE, "/connections/shopify", None),
        (Method::POST, "/connections/shopify/sync", None),
        (Method::POST, "/connections/shopify/test", None),
    ];
    for key in ["r-key", "w-key", "i-key"] {
        for (method, path, body) in &admin_routes {
            let answer = call(
                &app,
                method.clone(),
                path,
                Some(key),
                body.as_ref().map(Value::to_string),
            )
            .await;
            let detail = answer.problem(403);
            assert!(
                detail.contains("`admin`"),
                "{key} {method} {path}: {detail}"
            );
        }
    }
    let keys = app.get_json("/keys").await;
    assert_eq!(
        keys["items"].as_array().unwrap().len(),
        3,
        "no key made: {keys}"
    );
    assert_eq!(app.get_json("/tenant").await["time_zone"], "UTC");
    assert_eq!(app.get_json("/connections").await["items"], json!([]));
    app.stop().await;
}
