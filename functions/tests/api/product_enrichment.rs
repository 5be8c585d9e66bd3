//! `ProductEnrichment`: a person's edits of an enrichment are locked and outlive every later
//! enrichment until unlocked; bad edits are refused naming the field; other tenants' and
//! unknown SKUs are not found. Through the local host, with the offline engine.

use serde_json::{Value, json};
use shared::auth::{Scope, api_key_record};
use shared::domain::TenantId;

use crate::helpers::{TestApp, eventually};

const KEY: &str = "local-dev-key";

async fn patch(app: &TestApp, sku: &str, key: &str, body: String) -> reqwest::Response {
    app.client
        .patch(format!("{}/products/{sku}/enrichment", app.api))
        .header("x-api-key", key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request")
}

async fn patch_ok(app: &TestApp, sku: &str, body: Value) -> Value {
    let response = patch(app, sku, KEY, body.to_string()).await;
    assert_eq!(response.status(), 200, "PATCH {body}");
    response.json().await.expect("json")
}

/// Drops a feed with the lamp described as `description`, and waits until its enrichment is
/// current and made from that description.
async fn lamp_enriched_with(app: &TestApp, feed: &str, description: &str) -> Value {
    let csv = format!("sku,title,description\nLAMP-1,BRASS DESK LAMP,{description}\n");
    app.drop_feed("demo", feed, csv.as_bytes());
    eventually(30, "the lamp enriched from its new description", || async {
        let response = app.get("/products/LAMP-1", Some(KEY)).await;
        let product: Value = response.json().await.ok()?;
        let enrichment = &product["enrichment"];
        let html = enrichment["description_html"].as_str()?;
        (enrichment["current"] == true && html.contains(description)).then_some(product)
    })
    .await
}

#[tokio::test]
async fn an_edited_field_is_locked_through_re_enrichment_until_it_is_unlocked() {
    let app = TestApp::spawn().await;
    let first = lamp_enriched_with(&app, "one.csv", "A brass lamp for the desk.").await;
    let engine_title = first["enrichment"]["title"].clone();

    let edit =
        json!({"set": {"title": "  Hand-Picked Brass Lamp ", "tags": ["Brass", "Desk  lamp"]}});
    let edited = patch_ok(&app, "LAMP-1", edit.clone()).await;
    assert_eq!(edited["enrichment"]["title"], "Hand-Picked Brass Lamp");
    assert_eq!(edited["enrichment"]["tags"], json!(["brass", "desk lamp"]));
    assert_eq!(edited["enrichment"]["locked"], json!(["title", "tags"]));
    assert_eq!(edited["edits"]["fields"]["title"], "Hand-Picked Brass Lamp");
    assert_eq!(
        edited["title"], "BRASS DESK LAMP",
        "the merchant's own title"
    );
    assert_eq!(
        edited["enrichment"]["seo_title"], first["enrichment"]["seo_title"],
        "fields not edited keep the engine's values"
    );
    // The product reads back as the edit answered, and the same edit again changes nothing.
    let read = app.get_json("/products/LAMP-1").await;
    assert_eq!(read["enrichment"], edited["enrichment"]);
    let again = patch_ok(&app, "LAMP-1", edit).await;
    assert_eq!(again["enrichment"], edited["enrichment"]);
    assert_eq!(again["edits"]["fields"], edited["edits"]["fields"]);

    // New content: a new enrichment, which keeps the person's fields.
    let second = lamp_enriched_with(&app, "two.csv", "A brass lamp with a linen shade.").await;
    let enrichment = &second["enrichment"];
    assert_eq!(enrichment["title"], "Hand-Picked Brass Lamp");
    assert_eq!(enrichment["tags"], json!(["brass", "desk lamp"]));
    assert_eq!(enrichment["locked"], json!(["title", "tags"]));
    assert_ne!(
        enrichment["description_html"],
        first["enrichment"]["description_html"]
    );
    assert_ne!(enrichment["created_at"], first["enrichment"]["created_at"]);

    // Unlocked, the title is the engine's again from the next enrichment on.
    let unlocked = patch_ok(&app, "LAMP-1", json!({"unlock": ["title"]})).await;
    assert_eq!(unlocked["enrichment"]["locked"], json!(["tags"]));
    assert_eq!(
        unlocked["edits"]["fields"],
        json!({"tags": ["brass", "desk lamp"]})
    );
    let third = lamp_enriched_with(&app, "three.csv", "A brass lamp with a green shade.").await;
    assert_eq!(third["enrichment"]["title"], engine_title);
    assert_eq!(third["enrichment"]["tags"], json!(["brass", "desk lamp"]));
    assert_eq!(third["enrichment"]["locked"], json!(["tags"]));
    app.stop().await;
}

#[tokio::test]
async fn category_and_attribute_edits_are_stored_in_their_canonical_form() {
    let app = TestApp::spawn().await;
    lamp_enriched_with(&app, "one.csv", "A brass lamp for the desk.").await;
    let edited = patch_ok(
        &app,
        "LAMP-1",
        json!({"set": {
            "category": {"path": "apparel & accessories > clothing > clothing tops"},
            "attributes": [{"name": "color", "value": "brass"}],
            "description_html": "<p>Bright.</p><script>x</script>",
            "meta_description": null
        }}),
    )
    .await;
    let enrichment = &edited["enrichment"];
    assert_eq!(
        enrichment["category"],
        json!({"id": "gid://shopify/TaxonomyCategory/aa-1-13",
               "path": "Apparel & Accessories > Clothing > Clothing Tops", "confidence": 1.0})
    );
    assert_eq!(
        enrichment["attributes"],
        json!([{"name": "color", "value": "brass", "source": "edited"}])
    );
    assert_eq!(
        enrichment["description_html"],
        "<p>Bright.</p>&lt;script&gt;x&lt;/script&gt;"
    );
    assert_eq!(enrichment["meta_description"], Value::Null);
    assert_eq!(
        enrichment["locked"],
        json!([
            "description_html",
            "meta_description",
            "category",
            "attributes"
        ])
    );
    // The locked category is the one the category filter finds.
    let page = app
        .get_json("/products?category=Apparel%20%26%20Accessories%20%3E%20Clothing%20%3E%20Clothing%20Tops")
        .await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    app.stop().await;
}

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    response.json().await.expect("problem body")
}

#[tokio::test]
async fn an_edit_that_is_not_valid_is_400_problem_json_naming_the_field() {
    let app = TestApp::spawn().await;
    let long_title = "x".repeat(151);
    for (body, names) in [
        (json!({"set": {"price": "3.00"}}).to_string(), "`price`"),
        (json!({"set": {"title": long_title}}).to_string(), "`title`"),
        (
            json!({"set": {"category": {"path": "Toys > Robots > Laser Sharks"}}}).to_string(),
            "`category`",
        ),
        (json!({"unlock": ["quality"]}).to_string(), "`quality`"),
        (
            json!({"set": {"title": "A"}, "lock": []}).to_string(),
            "`lock`",
        ),
        (json!({}).to_string(), "empty"),
        ("title=Lamp".to_owned(), "not valid"),
        (String::new(), "empty"),
    ] {
        let error = problem(patch(&app, "LAMP-1", KEY, body.clone()).await, 400).await;
        let detail = error["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(names), "{body}: {detail}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_sku_or_another_tenant_s_is_404_and_nothing_is_locked() {
    let app = TestApp::spawn().await;
    app.drop_feed("demo", "one.csv", b"sku,title\nLAMP-1,BRASS DESK LAMP\n");
    eventually(30, "the lamp stored", || async {
        let response = app.get("/products/LAMP-1", Some(KEY)).await;
        (response.status() == 200).then_some(())
    })
    .await;
    let acme = TenantId::parse("acme").expect("tenant");
    let store = &app.state.store;
    store.ensure_tenant(&acme, "Acme").await.expect("tenant");
    store
        .add_api_key(&api_key_record(
            &acme,
            "test",
            "acme-key",
            Scope::ALL.to_vec(),
            chrono::Utc::now(),
        ))
        .await
        .expect("key");
    let edit = json!({"set": {"title": "Mine"}}).to_string();

    let error = problem(patch(&app, "LAMP-1", "acme-key", edit.clone()).await, 404).await;
    assert!(
        error["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("LAMP-1")
    );
    problem(patch(&app, "NOPE-1", KEY, edit).await, 404).await;
    let lamp = app.get_json("/products/LAMP-1").await;
    assert_eq!(lamp["edits"], Value::Null);
    app.stop().await;
}
