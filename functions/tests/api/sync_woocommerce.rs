//! WooCommerce sync through the whole app: a connection to a mock WooCommerce, jobs started by
//! request and run from the `sync` queue by the local host, enrichment pushed back, orders
//! into the sales tables, and the signed webhook.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use reqwest::Method;
use serde_json::{Value, json};
use shared::sync::webhooks::sign;
use shared::sync::woocommerce::mock::{MockOrder, MockWoo, MockWooOptions};

use crate::helpers::TestApp;
use crate::ingest::problem;
use crate::sync::{KEY, all_skus, call, enriched, finished, product};

const WEBHOOK_SECRET: &str = "wc_webhook_secret_7c1e4a";

/// Connects the demo tenant to `mock` with `consumer_secret` and these object directions.
async fn connect(app: &TestApp, mock: &MockWoo, consumer_secret: &str, objects: Value) {
    let body = json!({
        "site_url": mock.site_url(),
        "consumer_key": mock.consumer_key(),
        "consumer_secret": consumer_secret,
        "webhook_secret": WEBHOOK_SECRET,
        "base_url": mock.base_url(),
        "objects": objects,
    });
    let response = call(app, Method::PUT, "/connections/woocommerce", Some(body)).await;
    assert!(
        response.status().is_success(),
        "{:?}",
        response.text().await
    );
}

/// Starts a sync of `kind` now and waits until it has ended; answers the job.
async fn sync(app: &TestApp, kind: &str) -> Value {
    let response = call(
        app,
        Method::POST,
        "/connections/woocommerce/sync",
        Some(json!({ "kinds": [kind] })),
    )
    .await;
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.expect("json");
    let id = body["items"][0]["id"].as_str().expect("job id").to_owned();
    finished(app, &id).await
}

fn directions(products: &str, orders: &str) -> Value {
    json!({
        "products": {"direction": products},
        "inventory": {"direction": "off"},
        "orders": {"direction": orders},
    })
}

async fn test_connection(app: &TestApp) -> Value {
    let response = call(app, Method::POST, "/connections/woocommerce/test", None).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

#[tokio::test]
async fn the_connection_test_accepts_the_right_keys_and_says_a_wrong_secret_is_refused() {
    let mock = MockWoo::start(MockWooOptions::default()).await;
    mock.seed_products(2, 0);
    let app = TestApp::spawn().await;
    connect(
        &app,
        &mock,
        mock.consumer_secret(),
        directions("pull", "off"),
    )
    .await;
    let checked = test_connection(&app).await;
    assert_eq!(checked["ok"], true, "{checked}");
    assert_eq!(checked["credentials_refused"], false, "{checked}");
    assert!(
        checked["message"]
            .as_str()
            .unwrap()
            .contains("currency EUR"),
        "{checked}"
    );

    let wrong = "cs_wrong000000000000000000000000000000000";
    connect(&app, &mock, wrong, directions("pull", "off")).await;
    let requests = mock.requests();
    let refused = test_connection(&app).await;
    assert_eq!(refused["ok"], false, "{refused}");
    assert_eq!(refused["credentials_refused"], true, "{refused}");
    assert!(!refused.to_string().contains(wrong), "{refused}");
    assert_eq!(mock.requests() - requests, 1, "a refusal is not retried");
    app.stop().await;
}

#[tokio::test]
async fn a_default_connection_syncs_products_and_orders_and_has_no_stock_job_to_fail() {
    let mock = MockWoo::start(MockWooOptions::default()).await;
    mock.seed_products(2, 0);
    let app = TestApp::spawn().await;
    let body = json!({
        "site_url": mock.site_url(),
        "consumer_key": mock.consumer_key(),
        "consumer_secret": mock.consumer_secret(),
        "base_url": mock.base_url(),
    });
    let mut stock = body.clone();
    stock["objects"] = json!({"inventory": {"direction": "pull"}});
    let refused = call(&app, Method::PUT, "/connections/woocommerce", Some(stock)).await;
    let detail = problem(refused, 400).await;
    assert!(detail.contains("objects.inventory"), "{detail}");
    let created = call(&app, Method::PUT, "/connections/woocommerce", Some(body)).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(
        created["objects"]["inventory"]["direction"], "off",
        "{created}"
    );

    // Everything the connection syncs, started at once: every job succeeds.
    let started = call(&app, Method::POST, "/connections/woocommerce/sync", None).await;
    assert_eq!(started.status(), 202);
    let started: Value = started.json().await.unwrap();
    let mut kinds = BTreeSet::new();
    for item in started["items"].as_array().unwrap() {
        let job = finished(&app, item["id"].as_str().unwrap()).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        kinds.insert(job["kind"].as_str().unwrap().to_owned());
    }
    assert_eq!(kinds, BTreeSet::from(["orders".into(), "products".into()]));
    app.stop().await;
}

#[tokio::test]
async fn a_pull_lands_every_sku_once_with_ties_across_pages_then_reads_only_changes() {
    let mock = MockWoo::start(MockWooOptions::default()).await;
    // 150 simple products (WOO-1 … WOO-150) and 20 variable ones of three variations each
    // (WOO-151-1 … WOO-170-3): 170 products on two pages, 210 SKUs.
    let simple = mock.seed_products(150, 0);
    let variable = mock.seed_products(20, 3);
    let app = TestApp::spawn().await;
    connect(
        &app,
        &mock,
        mock.consumer_secret(),
        directions("pull", "off"),
    )
    .await;

    let first = sync(&app, "products").await;
    assert_eq!(first["status"], "succeeded", "{first}");
    let progress = &first["progress"];
    assert_eq!(progress["read"], 170, "{first}");
    assert_eq!(progress["inserted"], 210, "{first}");
    assert_eq!(progress["problems"], 0, "{first}");
    assert_eq!(progress["pages"], 2, "{first}");
    let skus = all_skus(&app).await;
    let distinct: BTreeSet<&String> = skus.iter().collect();
    assert_eq!((skus.len(), distinct.len()), (210, 210));
    assert!(distinct.contains(&"WOO-170-3".to_owned()));
    let row = product(&app, "WOO-151-2").await;
    assert_eq!(row["price"]["amount"], "12.50", "{row}");
    assert_eq!(row["price"]["currency"], "EUR", "{row}");

    // The merchant rewrites one description, then bulk-edits 130 products: they all share
    // one `date_modified_gmt`, and by id they straddle the page boundary.
    mock.edit_product(simple[5], "<p>Rewritten by the merchant.</p>")
        .expect("edited");
    let tied: Vec<u64> = simple[..130].to_vec();
    mock.touch_products(&tied);
    let before = mock.requests();
    let second = sync(&app, "products").await;
    assert_eq!(second["status"], "succeeded", "{second}");
    let progress = &second["progress"];
    assert_eq!(progress["read"], 130, "{second}");
    assert_eq!(progress["pages"], 2, "{second}");
    assert_eq!(progress["inserted"], 0, "{second}");
    assert_eq!(progress["updated"], 1, "{second}");
    // The currency and two pages of simple products: no variations were read.
    assert_eq!(mock.requests() - before, 3);
    assert_eq!(
        product(&app, "WOO-6").await["description"],
        "<p>Rewritten by the merchant.</p>"
    );

    // Nothing changed: nothing is read, or (when the last run read in the tie's own second,
    // when more could have changed unseen) that second's products once more, never in part.
    let third = sync(&app, "products").await;
    let again = third["progress"]["read"].as_u64().unwrap();
    assert!(again == 0 || again == 130, "{third}");
    assert_eq!(third["progress"]["updated"], 0, "{third}");
    assert_eq!(third["progress"]["inserted"], 0, "{third}");

    // One variable product changes: its three rows, besides at most that tie window.
    mock.edit_product(variable[0], "<p>New fabric.</p>")
        .expect("edited");
    let fourth = sync(&app, "products").await;
    let read = fourth["progress"]["read"].as_u64().unwrap();
    assert!(read == 1 || read == 131, "{fourth}");
    assert_eq!(fourth["progress"]["updated"], 3, "{fourth}");
    assert_eq!(
        product(&app, "WOO-151-3").await["description"],
        "<p>New fabric.</p>"
    );
    assert_eq!(all_skus(&app).await.len(), 210);
    app.stop().await;
}

#[tokio::test]
async fn an_enriched_description_goes_back_only_where_it_differs_and_an_edit_is_never_overwritten()
{
    let mock = MockWoo::start(MockWooOptions::default()).await;
    let ids = mock.seed_products(3, 0);
    // Product 1's description is messy HTML, which enrichment cleans; the others' are clean
    // paragraphs already, which enrichment leaves as they are.
    let messy = "<div><b>Soft</b>   cotton tee.<br><br>Machine   washable.</div>";
    mock.edit_product(ids[0], messy).expect("edited");
    let app = TestApp::spawn().await;
    connect(
        &app,
        &mock,
        mock.consumer_secret(),
        directions("both", "off"),
    )
    .await;

    let first = sync(&app, "products").await;
    assert_eq!(first["progress"]["inserted"], 3, "{first}");
    assert_eq!(
        first["progress"]["pushed"], 0,
        "nothing is enriched yet: {first}"
    );
    let enrichment = enriched(&app, "WOO-1").await["enrichment"].clone();
    for sku in ["WOO-2", "WOO-3"] {
        enriched(&app, sku).await;
    }

    // The next run PUTs product 1's description, alone, and nothing for the clean ones.
    let second = sync(&app, "products").await;
    assert_eq!(second["status"], "succeeded", "{second}");
    assert_eq!(second["progress"]["pushed"], 1, "{second}");
    let updates = mock.updates();
    assert_eq!(updates.len(), 1, "{updates:?}");
    let (id, body) = &updates[0];
    assert_eq!(*id, ids[0]);
    let fields: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(fields, ["description"], "{body}");
    assert_eq!(body["description"], enrichment["description_html"]);
    assert_ne!(body["description"], messy);

    // Our PUT comes back as a change: it is not taken as new source content, nor pushed again.
    let third = sync(&app, "products").await;
    assert_eq!(third["progress"]["read"], 1, "{third}");
    assert_eq!(third["progress"]["pushed"], 0, "{third}");
    assert_eq!(product(&app, "WOO-1").await["description"], messy);
    assert_eq!(mock.updates().len(), 1);

    // The merchant rewrites product 1 in WooCommerce after our push: the pull takes it as
    // the new source, and its new enrichment is held back as a conflict.
    let by_hand = "<div>Written   by <b>hand</b>.</div>";
    mock.edit_product(ids[0], by_hand).expect("edited");
    let pulled = sync(&app, "products").await;
    assert_eq!(pulled["progress"]["updated"], 1, "{pulled}");
    assert_eq!(product(&app, "WOO-1").await["description"], by_hand);
    enriched(&app, "WOO-1").await;
    let held = sync(&app, "products").await;
    assert_eq!(held["progress"]["conflicts"], 1, "{held}");
    assert_eq!(held["progress"]["pushed"], 0, "{held}");
    assert_eq!(
        mock.updates().len(),
        1,
        "the merchant's edit was overwritten"
    );
    let inbox = app.get_json("/sync/issues?status=open").await;
    let items = inbox["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{inbox}");
    assert_eq!(items[0]["code"], "conflict");
    assert_eq!(items[0]["record"], ids[0].to_string());
    app.stop().await;
}

fn order(id: u64, status: &str, at: &str, sku: &str) -> MockOrder {
    MockOrder {
        id,
        status: status.into(),
        modified_gmt: NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S").unwrap(),
        sku: sku.into(),
    }
}

#[tokio::test]
async fn orders_that_are_sales_land_under_the_woocommerce_channel_and_the_rest_are_skipped() {
    let mock = MockWoo::start(MockWooOptions::default()).await;
    mock.seed_orders([
        order(501, "processing", "2024-05-06T10:00:00", "WOO-1"),
        order(502, "completed", "2024-05-07T23:30:00", "WOO-2"),
        order(503, "pending", "2024-05-08T09:00:00", "WOO-1"),
        order(504, "cancelled", "2024-05-09T09:00:00", "WOO-2"),
    ]);
    let app = TestApp::spawn().await;
    connect(
        &app,
        &mock,
        mock.consumer_secret(),
        directions("off", "pull"),
    )
    .await;

    let job = sync(&app, "orders").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let progress = &job["progress"];
    assert_eq!(progress["read"], 4, "{job}");
    assert_eq!(progress["inserted"], 2, "{job}");
    assert_eq!(progress["skipped"], 2, "{job}");

    let report = app
        .get_json("/analytics/sales?from=2024-05-01&to=2024-05-31&group_by=channel")
        .await;
    let groups: BTreeSet<&str> = report["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, BTreeSet::from(["woocommerce"]), "{report}");
    let total = &report["totals"][0];
    assert_eq!(total["currency"], "EUR", "{report}");
    assert_eq!(total["orders"], 2, "{report}");
    assert_eq!(total["units"], 4, "{report}");
    assert_eq!(total["sales_minor"], 2 * 2497, "{report}");

    // Run again: nothing changed, nothing is stored twice.
    let again = sync(&app, "orders").await;
    assert_eq!(again["progress"]["read"], 0, "{again}");
    let report = app
        .get_json("/analytics/sales?from=2024-05-01&to=2024-05-31")
        .await;
    assert_eq!(report["totals"][0]["orders"], 2, "{report}");
    app.stop().await;
}

/// Posts a WooCommerce delivery of `body` signed with `secret`; no topic makes it a ping.
async fn deliver(
    app: &TestApp,
    topic: Option<&str>,
    delivery: &str,
    body: &str,
    secret: &str,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/webhooks/woocommerce?tenant=demo", app.api))
        .header("x-wc-webhook-source", "https://mock-woo.example/")
        .header("x-wc-webhook-delivery-id", delivery)
        .header("x-wc-webhook-signature", sign(secret, body.as_bytes()));
    request = match topic {
        Some(topic) => request
            .header("content-type", "application/json")
            .header("x-wc-webhook-topic", topic),
        None => request.header("content-type", "application/x-www-form-urlencoded"),
    };
    request.body(body.to_owned()).send().await.expect("request")
}

async fn job_count(app: &TestApp) -> usize {
    let jobs = app.get_json("/sync/jobs").await;
    jobs["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn woocommerce_webhooks_are_verified_deduplicated_and_run_as_targeted_jobs() {
    let mock = MockWoo::start(MockWooOptions::default()).await;
    let ids = mock.seed_products(3, 0);
    let app = TestApp::spawn().await;
    connect(
        &app,
        &mock,
        mock.consumer_secret(),
        directions("pull", "off"),
    )
    .await;
    let first = sync(&app, "products").await;
    assert_eq!(first["progress"]["inserted"], 3, "{first}");

    let update = json!({"id": ids[1], "name": "Product", "type": "simple"}).to_string();
    let forged = deliver(&app, Some("product.updated"), "9001", &update, "wrong").await;
    let detail = problem(forged, 401).await;
    assert!(detail.contains("X-WC-Webhook-Signature") || detail.contains("signature"));
    assert_eq!(job_count(&app).await, 1);

    // The merchant changes product 2; its webhook re-reads just that product.
    mock.edit_product(ids[1], "<p>Changed in WooCommerce.</p>")
        .expect("edited");
    let accepted = deliver(
        &app,
        Some("product.updated"),
        "9002",
        &update,
        WEBHOOK_SECRET,
    )
    .await;
    assert_eq!(accepted.status(), 200);
    let receipt: Value = accepted.json().await.unwrap();
    assert_eq!(receipt["accepted"], true, "{receipt}");
    assert_eq!(receipt["duplicate"], false, "{receipt}");
    let job = finished(&app, receipt["job"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["trigger"], "webhook");
    assert_eq!(job["progress"]["read"], 1, "{job}");
    assert_eq!(
        product(&app, "WOO-2").await["description"],
        "<p>Changed in WooCommerce.</p>"
    );

    // The same delivery again makes nothing new.
    let replayed = deliver(
        &app,
        Some("product.updated"),
        "9002",
        &update,
        WEBHOOK_SECRET,
    )
    .await;
    assert_eq!(replayed.status(), 200);
    let receipt: Value = replayed.json().await.unwrap();
    assert_eq!(receipt["duplicate"], true, "{receipt}");
    assert_eq!(job_count(&app).await, 2);

    // A deletion archives the product: gone from the API.
    mock.edit_product(ids[2], "<p>Last words.</p>")
        .expect("edited");
    mock.delete_product(ids[2]);
    let deleted = json!({"id": ids[2]}).to_string();
    let response = deliver(
        &app,
        Some("product.deleted"),
        "9003",
        &deleted,
        WEBHOOK_SECRET,
    )
    .await;
    let receipt: Value = response.json().await.unwrap();
    let job = finished(&app, receipt["job"].as_str().unwrap()).await;
    assert_eq!(job["progress"]["archived"], 1, "{job}");
    assert_eq!(app.get("/products/WOO-3", Some(KEY)).await.status(), 404);
    // A late `product.updated` (it was edited just before it was trashed) finds it in the
    // trash: it stays archived, its last edit not taken.
    let late = json!({"id": ids[2]}).to_string();
    let response = deliver(&app, Some("product.updated"), "9005", &late, WEBHOOK_SECRET).await;
    let receipt: Value = response.json().await.unwrap();
    let job = finished(&app, receipt["job"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["progress"]["read"], 0, "{job}");
    assert_eq!(job["progress"]["updated"], 0, "{job}");
    assert_eq!(app.get("/products/WOO-3", Some(KEY)).await.status(), 404);

    // WooCommerce pings a new webhook with a form body and no topic: 200, nothing queued.
    let ping = deliver(&app, None, "9004", "webhook_id=12", WEBHOOK_SECRET).await;
    assert_eq!(ping.status(), 200);
    let receipt: Value = ping.json().await.unwrap();
    assert_eq!(receipt["accepted"], false, "{receipt}");
    assert_eq!(job_count(&app).await, 4);
    app.stop().await;
}
