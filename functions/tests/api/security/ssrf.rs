//! API7 server-side request forgery: a connection's `base_url` or `site_url` never reaches a
//! link-local address (the metadata endpoint) however the address is spelled, a platform's
//! redirect is never followed, and a product's `image_url` is data the app never fetches.
//! These tests run in local mode, where a loopback mock may stand in; the hosted rules
//! (loopback, private, CGNAT, unique-local refused too) are unit tests in
//! `shared::connections::address`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use reqwest::Method;
use serde_json::json;

use super::{DEV, call, put_shopify, test_shopify};
use crate::helpers::{TestApp, eventually};

/// Spellings of 169.254.169.254 (and link-local IPv6) that a URL parser may accept.
const LINK_LOCAL: &[&str] = &[
    "http://169.254.169.254/latest",
    "http://2852039166/",
    "http://0xa9fea9fe/",
    "http://0251.0376.0251.0376/",
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://169.254.43518/",
    "http://169.254.169.254./",
    "http://%31%36%39.254.169.254/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "https://169.254.169.254:443/metadata/identity",
];

#[tokio::test]
async fn api7_no_connection_url_reaches_link_local_however_it_is_spelled() {
    let app = TestApp::spawn().await;
    for url in LINK_LOCAL {
        let shop = json!({"shop_domain": "acme.myshopify.com",
            "access_token": "shpat_0123456789abcdef", "base_url": url});
        let answer = put_shopify(&app, &shop).await;
        let detail = answer.problem(400);
        assert!(detail.contains("`base_url`"), "{url}: {detail}");
        let woo = json!({"site_url": url, "consumer_key": "ck_0123456789",
            "consumer_secret": "cs_0123456789"});
        let answer = call(
            &app,
            Method::PUT,
            "/connections/woocommerce",
            Some(DEV),
            Some(woo.to_string()),
        )
        .await;
        let detail = answer.problem(400);
        assert!(detail.contains("`site_url`"), "{url}: {detail}");
    }
    assert_eq!(app.get_json("/connections").await["items"], json!([]));
    app.stop().await;
}

/// A server on loopback that counts its requests and answers each with `answer`.
async fn server(
    answer: impl Fn() -> axum::response::Response + Clone + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        let answer = answer.clone();
        async move { answer() }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hits)
}

#[tokio::test]
async fn api7_a_platform_s_redirect_is_never_followed() {
    let (inside, inside_hits) = server(|| (StatusCode::OK, "{\"data\": {}}").into_response()).await;
    let target = format!("{inside}/latest/meta-data/iam/security-credentials/");
    let (outside, outside_hits) = server(move || {
        (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, target.clone())],
            "",
        )
            .into_response()
    })
    .await;
    let app = TestApp::spawn().await;
    let shop = json!({"shop_domain": "acme.myshopify.com",
        "access_token": "shpat_0123456789abcdef", "base_url": outside});
    let made = put_shopify(&app, &shop).await;
    assert_eq!(made.status, 201, "{}", made.text);
    let tested = test_shopify(&app).await;
    assert_eq!(tested.status, 200, "{}", tested.text);
    let body = tested.json();
    assert_eq!(body["ok"], false, "{body}");
    assert_eq!(body["credentials_refused"], false, "{body}");
    assert_eq!(
        body["message"], "shopify: Shopify answered HTTP 307: ",
        "{body}"
    );
    assert_eq!(outside_hits.load(Ordering::SeqCst), 1);
    assert_eq!(
        inside_hits.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
    app.stop().await;
}

#[tokio::test]
async fn api7_an_image_url_is_stored_as_data_and_never_fetched() {
    let (images, hits) = server(|| (StatusCode::OK, "not an image").into_response()).await;
    let app = TestApp::spawn().await;
    let image = format!("{images}/latest/meta-data/mug.jpg");
    let mug = json!({"title": "Stoneware Mug", "description": "A mug.", "image_url": image});
    let put = call(
        &app,
        Method::PUT,
        "/products/MUG-1",
        Some(DEV),
        Some(mug.to_string()),
    )
    .await;
    assert_eq!(put.status, 201, "{}", put.text);
    let feed = format!("sku,title,image_url\nCUP-1,Cup,{images}/cup.jpg\n");
    app.drop_feed("demo", "cups.csv", feed.as_bytes());
    for sku in ["MUG-1", "CUP-1"] {
        let product = eventually(30, "the product enriched", || async {
            let response = app.get(&format!("/products/{sku}"), Some(DEV)).await;
            let product: serde_json::Value = response.json().await.ok()?;
            (product["enrichment"]["current"] == true).then_some(product)
        })
        .await;
        assert!(
            product["image_url"].as_str().unwrap().starts_with(&images),
            "{product}"
        );
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the app fetched an image_url"
    );
    app.stop().await;
}
