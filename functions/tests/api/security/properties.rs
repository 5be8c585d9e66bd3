//! API3 property-level authorisation: every field an answer shows that is not the client's to
//! set is refused by name when sent back (products, connections, the tenant, keys, enrichment
//! edits, uploads), and no answer carries a secret or a key's hash.

use reqwest::Method;
use serde_json::{Value, json};
use shared::auth::hash_api_key;

use super::{DEV, call, call_as, put_shopify};
use crate::helpers::{TestApp, eventually};

/// The product fields a client may write (README, "Writing products").
const PRODUCT_FIELDS: &[&str] = &[
    "sku",
    "title",
    "description",
    "price",
    "quantity",
    "brand",
    "category",
    "gtin",
    "image_url",
    "parent",
    "options",
    "attributes",
];

/// The Shopify connection fields a client may write.
const SHOPIFY_FIELDS: &[&str] = &[
    "shop_domain",
    "access_token",
    "webhook_secret",
    "base_url",
    "objects",
];

/// The keys of `shown` (an object) that are not in `writable`.
fn read_only(shown: &Value, writable: &[&str]) -> Vec<String> {
    let fields: Vec<String> = shown
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !writable.contains(&k.as_str()))
        .cloned()
        .collect();
    assert!(!fields.is_empty(), "{shown}");
    fields
}

/// `body` with `field` set to what `shown` holds (or a string when that is null).
fn with_field(body: &Value, shown: &Value, field: &str) -> String {
    let mut body = body.clone();
    body[field] = match &shown[field] {
        Value::Null => json!("smuggled"),
        other => other.clone(),
    };
    body.to_string()
}

#[tokio::test]
async fn api3_no_read_only_product_field_can_be_written_by_put_or_patch() {
    let app = TestApp::spawn().await;
    let mug = json!({"title": "Mug", "quantity": 3});
    let created = call(
        &app,
        Method::PUT,
        "/products/MUG-1",
        Some(DEV),
        Some(mug.to_string()),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    // Once its enrichment is in, the product no longer changes by itself.
    let shown = eventually(30, "the product enriched", || async {
        let product = app.get_json("/products/MUG-1").await;
        (product["enrichment"]["current"] == true).then_some(product)
    })
    .await;
    let smuggled = read_only(&shown, PRODUCT_FIELDS);
    for field in [
        "version",
        "source",
        "created_at",
        "updated_at",
        "enrichment",
    ] {
        assert!(
            smuggled.contains(&field.to_owned()),
            "{field} not shown: {shown}"
        );
    }
    for field in &smuggled {
        let body = with_field(&mug, &shown, field);
        let put = app
            .client
            .put(format!("{}/products/MUG-1", app.api))
            .header("x-api-key", DEV)
            .header("if-match", "\"v1\"")
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 400, "PUT with {field}");
        let detail: Value = put.json().await.unwrap();
        assert!(
            detail["detail"].as_str().unwrap().contains(field.as_str()),
            "{detail}"
        );
        let patch = app
            .client
            .patch(format!("{}/products/MUG-1", app.api))
            .header("x-api-key", DEV)
            .header("if-match", "\"v1\"")
            .header("content-type", "application/merge-patch+json")
            .body(with_field(&json!({}), &shown, field))
            .send()
            .await
            .unwrap();
        assert_eq!(patch.status(), 400, "PATCH with {field}");
        let detail: Value = patch.json().await.unwrap();
        assert!(
            detail["detail"].as_str().unwrap().contains(field.as_str()),
            "{detail}"
        );
    }
    assert_eq!(
        app.get_json("/products/MUG-1").await,
        shown,
        "nothing changed"
    );
    app.stop().await;
}

#[tokio::test]
async fn api3_no_read_only_connection_tenant_key_edit_or_upload_field_can_be_written() {
    let app = TestApp::spawn().await;
    let shop =
        json!({"shop_domain": "acme.myshopify.com", "access_token": "shpat_0123456789abcdef"});
    let made = put_shopify(&app, &shop).await;
    assert_eq!(made.status, 201, "{}", made.text);
    let shown = made.json();
    let smuggled = read_only(&shown, SHOPIFY_FIELDS);
    for field in ["version", "created_at", "updated_at", "secrets"] {
        assert!(
            smuggled.contains(&field.to_owned()),
            "{field} not shown: {shown}"
        );
    }
    for field in &smuggled {
        let body = with_field(&shop, &shown, field);
        let answer = call(
            &app,
            Method::PUT,
            "/connections/shopify",
            Some(DEV),
            Some(body),
        )
        .await;
        let detail = answer.problem(400);
        assert!(detail.contains(&format!("`{field}`")), "{field}: {detail}");
    }
    let tenant = app.get_json("/tenant").await;
    let zone = json!({"time_zone": "UTC"});
    for field in read_only(&tenant, &["time_zone"]) {
        let body = with_field(&zone, &tenant, &field);
        let detail = call(&app, Method::PATCH, "/tenant", Some(DEV), Some(body))
            .await
            .problem(400);
        assert!(detail.contains(&field), "{field}: {detail}");
    }
    let key = json!({"name": "k", "scopes": ["read"]});
    for field in [
        "id",
        "tenant",
        "prefix",
        "key",
        "created_at",
        "last_used_at",
        "revoked_at",
    ] {
        let body = with_field(&key, &json!({}), field);
        let detail = call(&app, Method::POST, "/keys", Some(DEV), Some(body))
            .await
            .problem(400);
        assert!(detail.contains(field), "{field}: {detail}");
    }
    let upload = json!({"filename": "a.csv", "kind": "products"});
    for field in ["tenant", "container", "blob", "url", "expires_at"] {
        let body = with_field(&upload, &json!({}), field);
        let detail = call(&app, Method::POST, "/uploads", Some(DEV), Some(body))
            .await
            .problem(400);
        assert!(detail.contains(field), "{field}: {detail}");
    }
    let mug = json!({"title": "Mug"}).to_string();
    call(&app, Method::PUT, "/products/MUG-1", Some(DEV), Some(mug)).await;
    for field in ["generated_by", "locked", "edits", "provenance"] {
        let body = json!({"set": {"title": "Mine"}, field: "human"}).to_string();
        let answer = call_as(
            &app,
            Method::PATCH,
            "/products/MUG-1/enrichment",
            Some(DEV),
            "application/json",
            Some(body),
        )
        .await;
        let detail = answer.problem(400);
        assert!(detail.contains(field), "{field}: {detail}");
    }
    assert_eq!(app.get_json("/connections/shopify").await, shown);
    assert_eq!(app.get_json("/tenant").await, tenant);
    assert_eq!(app.get_json("/keys").await["items"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn api3_no_answer_carries_a_connection_secret_or_an_api_key_or_its_hash() {
    let app = TestApp::spawn().await;
    let secrets = [
        "shpat_5ecre7a11ce0000",
        "whsec_5ecre7b0b00000",
        "ck_5ecre7c4r0100000",
        "cs_5ecre7d4ve000000",
        "ck_ns_5ecre7e11e000",
        "cs_ns_5ecre7f4ye000",
        "tk_ns_5ecre7a4a0000",
        "ts_ns_5ecre7b3a0000",
    ];
    let bodies = [
        (
            "shopify",
            json!({"shop_domain": "acme.myshopify.com", "access_token": secrets[0],
            "webhook_secret": secrets[1]}),
        ),
        (
            "woocommerce",
            json!({"site_url": "https://shop.example.com", "consumer_key": secrets[2],
            "consumer_secret": secrets[3]}),
        ),
        (
            "netsuite",
            json!({"account_id": "1234567", "consumer_key": secrets[4],
            "consumer_secret": secrets[5], "token_id": secrets[6], "token_secret": secrets[7]}),
        ),
    ];
    let mut answers = Vec::new();
    for (platform, body) in bodies {
        let path = format!("/connections/{platform}");
        let answer = call(&app, Method::PUT, &path, Some(DEV), Some(body.to_string())).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        answers.push(answer.text);
    }
    let made = call(
        &app,
        Method::POST,
        "/keys",
        Some(DEV),
        Some(json!({"name": "k", "scopes": ["read"]}).to_string()),
    )
    .await;
    assert_eq!(made.status, 201);
    let key = made.json()["key"].as_str().unwrap().to_owned();
    for path in [
        "/connections",
        "/connections/shopify",
        "/connections/woocommerce",
        "/connections/netsuite",
        "/keys",
        "/tenant",
        "/openapi.json",
    ] {
        let answer = call(&app, Method::GET, path, Some(&key), None).await;
        answers.push(answer.text);
    }
    let listed = call(&app, Method::GET, "/keys", Some(DEV), None).await;
    assert_eq!(listed.status, 200);
    answers.push(listed.text);
    let hash = hash_api_key(&key);
    for text in &answers {
        for secret in secrets.iter().copied().chain([key.as_str(), hash.as_str()]) {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    app.stop().await;
}
