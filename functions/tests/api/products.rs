//! `Products`: authentication, tenant isolation, pagination and filters, through the local host.

use serde_json::Value;
use shared::auth::{Scope, api_key_record};
use shared::domain::TenantId;

use crate::helpers::{TestApp, eventually};

const FEED: &str = "sku,title,description,price,currency,quantity,brand,category\n\
    TS-001,Classic Cotton T-Shirt,Soft cotton tee,19.90,EUR,10,Northwind,Shirts\n\
    TS-002,Linen Shirt,Breezy linen shirt,49.00,EUR,4,Northwind,Shirts\n\
    MUG-01,Stoneware Mug,Hand-glazed mug,12.00,EUR,30,Clayworks,Kitchen\n\
    MUG-02,Enamel Mug,Camping mug,9.50,EUR,0,Clayworks,Kitchen\n\
    SOCK-1,Wool Socks,Merino socks,14.00,EUR,50,Northwind,Socks\n";

async fn app_with_products() -> TestApp {
    let app = TestApp::spawn().await;
    app.drop_feed("demo", "catalogue.csv", FEED.as_bytes());
    eventually(30, "five products", || async {
        let page = app.get_json("/products").await;
        (page["items"].as_array()?.len() == 5).then_some(())
    })
    .await;
    app
}

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem body");
    assert_eq!(body["status"], status);
    body
}

#[tokio::test]
async fn a_request_without_a_key_or_with_a_wrong_key_is_401_problem_json() {
    let app = TestApp::spawn().await;
    let missing = problem(app.get("/products", None).await, 401).await;
    assert!(
        missing["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("x-api-key")
    );
    problem(app.get("/products", Some("not-a-key")).await, 401).await;
    problem(app.get("/products/TS-001", Some("")).await, 401).await;
    app.stop().await;
}

#[tokio::test]
async fn another_tenant_sees_none_of_demo_s_products_and_gets_404_for_its_sku() {
    let app = app_with_products().await;
    let acme = TenantId::parse("acme").expect("tenant");
    app.state
        .store
        .ensure_tenant(&acme, "Acme")
        .await
        .expect("tenant");
    app.state
        .store
        .add_api_key(&api_key_record(
            &acme,
            "test",
            "acme-key",
            Scope::ALL.to_vec(),
            chrono::Utc::now(),
        ))
        .await
        .expect("key");

    problem(app.get("/products/TS-001", Some("acme-key")).await, 404).await;
    let response = app.get("/products", Some("acme-key")).await;
    let page: Value = response.json().await.expect("json");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0));
    let own = app.get_json("/products/TS-001").await;
    assert_eq!(own["title"], "Classic Cotton T-Shirt");
    assert_eq!(
        own["price"],
        serde_json::json!({"amount": "19.90", "currency": "EUR"})
    );
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_sku_is_404_problem_json() {
    let app = app_with_products().await;
    let body = problem(
        app.get("/products/NOPE-1", Some("local-dev-key")).await,
        404,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("NOPE-1")
    );
    app.stop().await;
}

#[tokio::test]
async fn pages_follow_the_cursor_to_the_end_without_gaps_or_repeats() {
    let app = app_with_products().await;
    let mut seen = Vec::new();
    let mut path = "/products?limit=2".to_owned();
    loop {
        let page = app.get_json(&path).await;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|p| p["sku"].as_str().unwrap_or_default().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/products?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, vec!["MUG-01", "MUG-02", "SOCK-1", "TS-001", "TS-002"]);
    app.stop().await;
}

#[tokio::test]
async fn filters_narrow_the_list() {
    let app = app_with_products().await;
    let skus = |page: Value| -> Vec<String> {
        page["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|p| p["sku"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        skus(app.get_json("/products?q=mug").await),
        vec!["MUG-01", "MUG-02"]
    );
    assert_eq!(
        skus(app.get_json("/products?category=Shirts").await),
        vec!["TS-001", "TS-002"]
    );
    assert_eq!(
        skus(app.get_json("/products?q=northwind&category=Socks").await),
        vec!["SOCK-1"]
    );
    assert_eq!(
        skus(
            app.get_json("/products?updated_since=2999-01-01T00:00:00Z")
                .await
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        skus(
            app.get_json("/products?updated_since=2000-01-01T00:00:00Z")
                .await
        )
        .len(),
        5
    );
    assert_eq!(
        skus(app.get_json("/products?q=100%25").await),
        Vec::<String>::new(),
        "% is literal"
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_query_parameters_are_400_problem_json_naming_them() {
    let app = TestApp::spawn().await;
    for (query, word) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("cursor=%%%", "cursor"),
        ("updated_since=yesterday", "updated_since"),
    ] {
        let body = problem(
            app.get(&format!("/products?{query}"), Some("local-dev-key"))
                .await,
            400,
        )
        .await;
        assert!(
            body["detail"].as_str().unwrap_or_default().contains(word),
            "{query}: {body}"
        );
    }
    app.stop().await;
}
