//! Sync through the whole app: a connection to a mock Shopify that throttles, jobs started by
//! request and run from the `sync` queue by the local host, enrichment in between, webhooks.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use shared::sync::shopify::mock::{MockShopify, MockShopifyOptions, ProductEdit, Storm};
use shared::sync::webhooks::sign;

use crate::helpers::{TestApp, eventually};
use crate::ingest::problem;

pub(crate) const KEY: &str = "local-dev-key";
const WEBHOOK_SECRET: &str = "whsec_test_5f2b8c0e1d4a";

pub(crate) async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.api))
        .header("x-api-key", KEY);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    request.send().await.expect("request")
}

/// Connects the demo tenant to `mock` with these object directions.
async fn connect(app: &TestApp, mock: &MockShopify, objects: Value) {
    let body = json!({
        "shop_domain": mock.shop_domain(),
        "access_token": mock.token(),
        "webhook_secret": WEBHOOK_SECRET,
        "base_url": mock.base_url(),
        "objects": objects,
    });
    let response = call(
        app,
        reqwest::Method::PUT,
        "/connections/shopify",
        Some(body),
    )
    .await;
    assert!(
        response.status().is_success(),
        "{:?}",
        response.text().await
    );
}

/// Starts a products sync now; answers its job's id.
async fn start_products_sync(app: &TestApp) -> String {
    let response = call(
        app,
        reqwest::Method::POST,
        "/connections/shopify/sync",
        Some(json!({"kinds": ["products"]})),
    )
    .await;
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.expect("json");
    body["items"][0]["id"].as_str().expect("job id").to_owned()
}

/// Starts a products sync now and waits until it has ended; answers the job.
async fn sync_products(app: &TestApp) -> Value {
    let id = start_products_sync(app).await;
    finished(app, &id).await
}

pub(crate) async fn finished(app: &TestApp, id: &str) -> Value {
    eventually(120, "the sync job to end", || async {
        let job = app.get_json(&format!("/sync/jobs/{id}")).await;
        matches!(job["status"].as_str(), Some("succeeded" | "failed")).then_some(job)
    })
    .await
}

/// Every SKU the API lists, page by page.
pub(crate) async fn all_skus(app: &TestApp) -> Vec<String> {
    let mut skus = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/products?limit=200&cursor={c}"),
            None => "/products?limit=200".to_owned(),
        };
        let page = app.get_json(&path).await;
        for item in page["items"].as_array().expect("items") {
            skus.push(item["sku"].as_str().expect("sku").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return skus,
        }
    }
}

pub(crate) async fn product(app: &TestApp, sku: &str) -> Value {
    app.get_json(&format!("/products/{sku}")).await
}

/// Waits until `sku`'s enrichment describes its current content.
pub(crate) async fn enriched(app: &TestApp, sku: &str) -> Value {
    eventually(60, "the product's enrichment", || async {
        let product = product(app, sku).await;
        (product["enrichment"]["current"] == true).then_some(product)
    })
    .await
}

fn off_but_products(direction: &str) -> Value {
    json!({
        "products": {"direction": direction},
        "inventory": {"direction": "off"},
        "orders": {"direction": "off"},
    })
}

#[tokio::test]
async fn a_throttling_shop_of_2000_products_is_pulled_once_then_only_its_changes() {
    let mock = MockShopify::start(MockShopifyOptions::default()).await;
    let ids = mock.seed_products(2000, 2);
    // Besides the cost bucket the client waits on, a storm: the bucket drained by another
    // app (THROTTLED in a 200, twice) and a 429 with a fractional Retry-After.
    mock.queue_storm([
        Storm::Pass,
        Storm::Pass,
        Storm::Throttled,
        Storm::TooMany("0.2"),
        Storm::Pass,
        Storm::Throttled,
    ]);
    let app = TestApp::spawn().await;
    connect(&app, &mock, off_but_products("pull")).await;

    let first = sync_products(&app).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    let progress = &first["progress"];
    assert_eq!(progress["read"], 2000, "{first}");
    assert_eq!(progress["inserted"], 4000, "{first}");
    assert_eq!(progress["problems"], 0, "{first}");
    assert_eq!(mock.throttled(), 2);
    assert_eq!(mock.too_many_requests(), 1);
    assert_eq!(
        mock.early_retries(),
        0,
        "a retry came back before Retry-After"
    );
    let skus = all_skus(&app).await;
    let distinct: BTreeSet<&String> = skus.iter().collect();
    assert_eq!(skus.len(), 4000);
    assert_eq!(distinct.len(), 4000);
    assert!(distinct.contains(&"SHP-2000-2".to_owned()));

    // The merchant renames three products; the next run reads those and nothing else.
    for id in [&ids[10], &ids[500], &ids[1999]] {
        let edit = ProductEdit {
            title: Some(format!("Renamed {id}")),
            ..ProductEdit::default()
        };
        mock.edit_product(id, edit).expect("edited");
    }
    let requests_before = mock.requests();
    let second = sync_products(&app).await;
    assert_eq!(second["status"], "succeeded", "{second}");
    let progress = &second["progress"];
    assert_eq!(progress["read"], 3, "{second}");
    assert_eq!(progress["updated"], 6, "{second}");
    assert_eq!(progress["inserted"], 0, "{second}");
    assert!(
        mock.requests() - requests_before < 10,
        "an incremental run of 3 products took {} requests",
        mock.requests() - requests_before
    );
    let renamed = product(&app, "SHP-11-1").await;
    assert!(renamed["title"].as_str().unwrap().starts_with("Renamed"));
    assert_eq!(all_skus(&app).await.len(), 4000);
    app.stop().await;
}

#[tokio::test]
async fn two_jobs_started_at_once_run_one_after_the_other_and_push_each_product_once() {
    let mock = MockShopify::start(MockShopifyOptions::default()).await;
    let ids = mock.seed_products(60, 1);
    let app = TestApp::spawn().await;
    connect(&app, &mock, off_but_products("both")).await;
    let first = sync_products(&app).await;
    assert_eq!(first["progress"]["inserted"], 60, "{first}");
    for n in 1..=60 {
        enriched(&app, &format!("SHP-{n}-1")).await;
    }

    // Two people ask for a sync at the same moment: two jobs of one connection and kind.
    let (a, b) = tokio::join!(start_products_sync(&app), start_products_sync(&app));
    assert_ne!(a, b);
    let mut jobs = vec![finished(&app, &a).await, finished(&app, &b).await];
    assert!(jobs.iter().all(|j| j["status"] == "succeeded"), "{jobs:?}");
    jobs.sort_by_key(|j| j["started_at"].as_str().expect("started").to_owned());
    let (earlier, later) = (&jobs[0], &jobs[1]);
    assert!(
        later["started_at"].as_str() >= earlier["finished_at"].as_str(),
        "the two jobs overlapped: {jobs:?}"
    );
    // The first pushed every product; the second found them pushed.
    assert_eq!(earlier["progress"]["pushed"], 60, "{earlier}");
    assert_eq!(later["progress"]["pushed"], 0, "{later}");
    let updates = mock.updates();
    for id in &ids {
        let pushes = updates.iter().filter(|u| u["id"] == id.as_str()).count();
        assert_eq!(pushes, 1, "{id} was pushed {pushes} times");
    }
}

#[tokio::test]
async fn enriched_fields_go_back_changed_only_and_an_edit_on_shopify_is_never_overwritten() {
    let mock = MockShopify::start(MockShopifyOptions::default()).await;
    let ids = mock.seed_products(3, 1);
    // Product 1's description is messy HTML, which enrichment cleans; the others' are clean
    // already, so only their SEO fields differ from the enrichment.
    let messy = "<div><b>Soft</b>   cotton tee.<br><br>Machine   washable.</div>";
    let edit = ProductEdit {
        description_html: Some(messy.into()),
        ..ProductEdit::default()
    };
    mock.edit_product(&ids[0], edit).expect("edited");
    let app = TestApp::spawn().await;
    connect(&app, &mock, off_but_products("both")).await;

    let first = sync_products(&app).await;
    assert_eq!(first["progress"]["inserted"], 3, "{first}");
    assert_eq!(
        first["progress"]["pushed"], 0,
        "nothing is enriched yet: {first}"
    );
    let enrichment = enriched(&app, "SHP-1-1").await["enrichment"].clone();
    for sku in ["SHP-2-1", "SHP-3-1"] {
        enriched(&app, sku).await;
    }

    // The next run pushes each product's enriched description and SEO, and nothing else.
    let second = sync_products(&app).await;
    assert_eq!(second["progress"]["pushed"], 3, "{second}");
    let updates = mock.updates();
    assert_eq!(updates.len(), 3);
    let keys = |gid: &str| -> BTreeSet<String> {
        let input = updates.iter().find(|u| u["id"] == gid).expect("pushed");
        input.as_object().unwrap().keys().cloned().collect()
    };
    let all = BTreeSet::from(["id".to_owned(), "descriptionHtml".into(), "seo".into()]);
    let seo_only = BTreeSet::from(["id".to_owned(), "seo".into()]);
    assert_eq!(keys(&ids[0]), all, "{updates:?}");
    assert_eq!(keys(&ids[1]), seo_only, "{updates:?}");
    assert_eq!(keys(&ids[2]), seo_only, "{updates:?}");
    let first_update = updates.iter().find(|u| u["id"] == ids[0].as_str()).unwrap();
    assert_eq!(
        first_update["descriptionHtml"],
        enrichment["description_html"]
    );
    assert_eq!(first_update["seo"]["title"], enrichment["seo_title"]);
    // Our own push comes back as a change on Shopify: it is not taken as new source content.
    let source = product(&app, "SHP-1-1").await["description"].clone();
    assert_eq!(source, messy);

    // Nothing changed: nothing is pushed again.
    let third = sync_products(&app).await;
    assert_eq!(third["progress"]["pushed"], 0, "{third}");
    // Pulling our own push back (its description and SEO) changes no product: nothing to
    // enrich again.
    assert_eq!(third["progress"]["updated"], 0, "{third}");
    assert_eq!(mock.updates().len(), 3);

    // The merchant rewrites product 1's description on Shopify. The pull takes it as the new
    // source; its new enrichment is not pushed over the edit: a conflict is recorded instead.
    let edit = ProductEdit {
        description_html: Some("<p>Written by hand.</p>".into()),
        ..ProductEdit::default()
    };
    mock.edit_product(&ids[0], edit).expect("edited");
    let pulled = sync_products(&app).await;
    assert_eq!(pulled["progress"]["updated"], 1, "{pulled}");
    assert_eq!(
        product(&app, "SHP-1-1").await["description"],
        "<p>Written by hand.</p>"
    );
    enriched(&app, "SHP-1-1").await;
    let held = sync_products(&app).await;
    assert_eq!(held["progress"]["conflicts"], 1, "{held}");
    assert_eq!(held["progress"]["pushed"], 0, "{held}");
    assert_eq!(
        mock.updates().len(),
        3,
        "the merchant's edit was overwritten"
    );
    let inbox = app.get_json("/sync/issues?status=open").await;
    let items = inbox["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{inbox}");
    assert_eq!(items[0]["code"], "conflict");
    assert_eq!(items[0]["record"], ids[0].as_str());
    let issue = items[0]["id"].as_str().unwrap().to_owned();

    // Met again, the same conflict stays one entry.
    let again = sync_products(&app).await;
    assert_eq!(again["progress"]["conflicts"], 1, "{again}");
    let inbox = app.get_json("/sync/issues").await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 1, "{inbox}");
    assert_eq!(inbox["items"][0]["occurrences"], 2);

    // Resolved (keep the edit): later runs stay quiet and push nothing.
    let resolved = call(
        &app,
        reqwest::Method::POST,
        &format!("/sync/issues/{issue}/resolve"),
        None,
    )
    .await;
    assert_eq!(resolved.status(), 200);
    let quiet = sync_products(&app).await;
    assert_eq!(quiet["progress"]["conflicts"], 0, "{quiet}");
    assert_eq!(mock.updates().len(), 3);
    let open = app.get_json("/sync/issues?status=open").await;
    assert_eq!(open["items"].as_array().unwrap().len(), 0, "{open}");

    // A retry pushes ours over the edit, deliberately; the same request again (same
    // Idempotency-Key) finds that job and pushes nothing more.
    let retry = || {
        app.client
            .post(format!("{}/sync/issues/{issue}/retry", app.api))
            .header("x-api-key", KEY)
            .header("idempotency-key", "retry-1")
            .send()
    };
    let retried = retry().await.expect("request");
    assert_eq!(retried.status(), 202);
    let job: Value = retried.json().await.unwrap();
    let done = finished(&app, job["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["progress"]["pushed"], 1, "{done}");
    assert_eq!(mock.updates().len(), 4);
    let repeated = retry().await.expect("request");
    assert_eq!(repeated.status(), 202);
    let again: Value = repeated.json().await.unwrap();
    assert_eq!(again["id"], job["id"]);
    assert_eq!(again["status"], "succeeded");
    assert_eq!(mock.updates().len(), 4);
    app.stop().await;
}

/// Posts a Shopify webhook delivery signed with `secret`.
async fn deliver(
    app: &TestApp,
    topic: &str,
    delivery: &str,
    body: &Value,
    secret: &str,
) -> reqwest::Response {
    let bytes = body.to_string();
    app.client
        .post(format!("{}/webhooks/shopify?tenant=demo", app.api))
        .header("content-type", "application/json")
        .header("x-shopify-topic", topic)
        .header("x-shopify-shop-domain", "mock-shop.myshopify.com")
        .header("x-shopify-webhook-id", delivery)
        .header("x-shopify-hmac-sha256", sign(secret, bytes.as_bytes()))
        .body(bytes)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn webhooks_are_verified_deduplicated_and_run_as_targeted_jobs() {
    let mock = MockShopify::start(MockShopifyOptions::default()).await;
    let ids = mock.seed_products(3, 1);
    let app = TestApp::spawn().await;
    connect(&app, &mock, off_but_products("pull")).await;
    let first = sync_products(&app).await;
    assert_eq!(first["progress"]["inserted"], 3, "{first}");

    let number = |gid: &str| gid.rsplit('/').next().unwrap().parse::<u64>().unwrap();
    let update = json!({"id": number(&ids[1]), "admin_graphql_api_id": ids[1], "title": "x"});

    // A wrong signature (another secret, or the right one over other bytes) is a 401.
    let forged = deliver(&app, "products/update", "d-1", &update, "whsec_wrong").await;
    problem(forged, 401).await;
    let unsigned = app
        .client
        .post(format!("{}/webhooks/shopify?tenant=demo", app.api))
        .header("x-shopify-topic", "products/update")
        .header("x-shopify-shop-domain", "mock-shop.myshopify.com")
        .body(update.to_string())
        .send()
        .await
        .unwrap();
    problem(unsigned, 401).await;
    let jobs = app.get_json("/sync/jobs").await;
    assert_eq!(jobs["items"].as_array().unwrap().len(), 1, "{jobs}");

    // The merchant renames product 2; its webhook syncs just that product.
    let edit = ProductEdit {
        title: Some("Renamed by webhook".into()),
        ..ProductEdit::default()
    };
    mock.edit_product(&ids[1], edit).expect("edited");
    let accepted = deliver(&app, "products/update", "d-2", &update, WEBHOOK_SECRET).await;
    assert_eq!(accepted.status(), 200);
    let receipt: Value = accepted.json().await.unwrap();
    assert_eq!(receipt["accepted"], true);
    assert_eq!(receipt["duplicate"], false);
    let job = finished(&app, receipt["job"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["trigger"], "webhook");
    assert_eq!(job["progress"]["read"], 1, "{job}");
    assert_eq!(
        product(&app, "SHP-2-1").await["title"],
        "Renamed by webhook"
    );

    // The same delivery again makes nothing new.
    let replayed = deliver(&app, "products/update", "d-2", &update, WEBHOOK_SECRET).await;
    assert_eq!(replayed.status(), 200);
    let receipt: Value = replayed.json().await.unwrap();
    assert_eq!(receipt["duplicate"], true);
    let jobs = app.get_json("/sync/jobs").await;
    assert_eq!(jobs["items"].as_array().unwrap().len(), 2, "{jobs}");

    // A deletion archives the product: gone from the API, kept in the store.
    mock.delete_product(&ids[2]);
    let deleted = json!({"id": number(&ids[2])});
    let response = deliver(&app, "products/delete", "d-3", &deleted, WEBHOOK_SECRET).await;
    let receipt: Value = response.json().await.unwrap();
    let job = finished(&app, receipt["job"].as_str().unwrap()).await;
    assert_eq!(job["progress"]["archived"], 1, "{job}");
    let gone = app.get("/products/SHP-3-1", Some(KEY)).await;
    assert_eq!(gone.status(), 404);
    app.stop().await;
}
