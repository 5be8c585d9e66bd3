//! `Products`: authentication, tenant isolation, pagination, sorting and filters, through the
//! local host.

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
        ("sort=price", "sort"),
        ("in_stock=maybe", "in_stock"),
        ("min_price=5", "currency"),
        ("currency=XYZ&max_price=1", "currency"),
        ("currency=EUR&min_price=abc", "min_price"),
        ("currency=EUR&max_price=1.234", "max_price"),
        ("currency=EUR&min_price=5&max_price=1", "min_price"),
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

#[tokio::test]
async fn brand_stock_and_price_filters_combine() {
    let app = app_with_products().await;
    let skus = |page: Value| -> String {
        let items = page["items"].as_array().cloned().unwrap_or_default();
        let skus: Vec<&str> = items.iter().filter_map(|p| p["sku"].as_str()).collect();
        skus.join(" ")
    };
    let get = |query: &'static str| {
        let app = &app;
        async move { skus(app.get_json(&format!("/products?{query}")).await) }
    };
    assert_eq!(get("brand=Northwind").await, "SOCK-1 TS-001 TS-002");
    assert_eq!(get("in_stock=false").await, "MUG-02");
    assert_eq!(get("in_stock=true&brand=Clayworks").await, "MUG-01");
    assert_eq!(
        get("currency=EUR&min_price=12&max_price=19.90").await,
        "MUG-01 SOCK-1 TS-001"
    );
    assert_eq!(get("currency=USD").await, "", "no price is in dollars");
    assert_eq!(
        get("brand=Northwind&in_stock=true&currency=eur&max_price=20&sort=-title").await,
        "SOCK-1 TS-001"
    );
    app.stop().await;
}

/// Seven products from one feed: every one changed at the same moment, titles in pairs.
const TIES: &str = "sku,title,price,currency,quantity\n\
    P-5,Mug,5.00,EUR,1\n\
    P-2,Cup,2.00,EUR,1\n\
    P-7,Mug,7.00,EUR,1\n\
    P-1,Bowl,1.00,EUR,1\n\
    P-4,Cup,4.00,EUR,1\n\
    P-6,Plate,6.00,EUR,1\n\
    P-3,Mug,3.00,EUR,1\n";

async fn app_with_ties() -> TestApp {
    let app = TestApp::spawn().await;
    app.drop_feed("demo", "ties.csv", TIES.as_bytes());
    eventually(30, "seven products", || async {
        let page = app.get_json("/products").await;
        (page["items"].as_array()?.len() == 7).then_some(())
    })
    .await;
    app
}

/// Every SKU of the listing `query`, `limit` at a time, following the cursor; `between` runs
/// after each page.
async fn page_through<F, Fut>(app: &TestApp, query: &str, limit: u32, mut between: F) -> Vec<String>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page_number in 0..100 {
        let mut path = format!("/products?limit={limit}&{query}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = app.get_json(&path).await;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= limit as usize);
        seen.extend(items.iter().map(|p| p["sku"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        between(page_number).await;
    }
    seen
}

#[tokio::test]
async fn every_sort_order_pages_through_ties_in_order_of_sku() {
    let app = app_with_ties().await;
    let expected = [
        ("sort=sku", "P-1 P-2 P-3 P-4 P-5 P-6 P-7"),
        ("sort=-sku", "P-7 P-6 P-5 P-4 P-3 P-2 P-1"),
        ("sort=title", "P-1 P-2 P-4 P-3 P-5 P-7 P-6"),
        ("sort=-title", "P-6 P-7 P-5 P-3 P-4 P-2 P-1"),
        ("sort=updated_at", "P-1 P-2 P-3 P-4 P-5 P-6 P-7"),
        ("sort=-updated_at", "P-7 P-6 P-5 P-4 P-3 P-2 P-1"),
    ];
    for (query, order) in expected {
        for limit in [1, 2, 3] {
            let seen = page_through(&app, query, limit, |_| async {}).await;
            assert_eq!(seen.join(" "), order, "{query} limit={limit}");
        }
    }
    app.stop().await;
}

async fn put(app: &TestApp, sku: &str, title: &str) {
    let response = app
        .client
        .put(format!("{}/products/{sku}", app.api))
        .header("x-api-key", "local-dev-key")
        .header("content-type", "application/json")
        .body(serde_json::json!({"title": title}).to_string())
        .send()
        .await
        .expect("put");
    assert_eq!(response.status(), 201, "PUT {sku}");
}

#[tokio::test]
async fn pages_stay_stable_while_products_are_inserted_between_them() {
    let app = app_with_ties().await;
    let original: Vec<String> = (1..=7).map(|n| format!("P-{n}")).collect();
    let orders = [
        ("sort=sku", ("A-", "Z-")),
        ("sort=-sku", ("Z-", "A-")),
        ("sort=title", ("A-", "Z-")),
        ("sort=-updated_at", ("", "")),
        ("sort=updated_at", ("", "")),
    ];
    for (run, (query, (before, after))) in orders.into_iter().enumerate() {
        // Between pages: one product that sorts before the cursor and one after it (by SKU
        // and title; a new product is always the latest change).
        let seen = page_through(&app, query, 2, |page| {
            let app = &app;
            async move {
                // Three rounds: inserts after the cursor keep a listing growing as it is read.
                if page < 3 {
                    put(app, &format!("{before}{run}-{page}-b"), "Aardvark").await;
                    put(app, &format!("{after}{run}-{page}-a"), "Zebra").await;
                }
            }
        })
        .await;
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            seen.len(),
            "{query}: no product twice: {seen:?}"
        );
        for sku in &original {
            let times = seen.iter().filter(|s| *s == sku).count();
            assert_eq!(times, 1, "{query}: {sku} seen once: {seen:?}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_cursor_only_continues_the_sort_and_filters_it_was_made_for() {
    let app = app_with_ties().await;
    let first = app.get_json("/products?limit=2&sort=title&q=mug").await;
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let same = format!("/products?limit=3&sort=title&q=mug&cursor={cursor}");
    assert_eq!(
        app.get_json(&same).await["items"].as_array().map(Vec::len),
        Some(1)
    );
    for other in [
        format!("/products?sort=sku&q=mug&cursor={cursor}"),
        format!("/products?sort=-title&q=mug&cursor={cursor}"),
        format!("/products?sort=title&cursor={cursor}"),
        format!("/products?sort=title&q=mug&in_stock=true&cursor={cursor}"),
    ] {
        let body = problem(app.get(&other, Some("local-dev-key")).await, 400).await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("cursor"),
            "{other}: {body}"
        );
    }
    app.stop().await;
}
