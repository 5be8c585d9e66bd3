//! A platform answering 5xx through `SyncPlatform`: a pull whose page keeps getting 500, 502
//! and 503 is retried within the client's bounds, then the delivery fails as transient with
//! the job left resumable where its last stored page ended; the next delivery, with the
//! platform healthy, finishes it with every SKU stored once.

use serde_json::{Value, json};
use shared::sync::shopify::mock::{MockShopify, MockShopifyOptions, Storm};

use super::{Handler, body_json, request, service_bus};

/// Connects the dev tenant to `shop`, products synced `direction` and nothing else.
async fn connect(h: &Handler, shop: &MockShopify, direction: &str) {
    let body = json!({
        "shop_domain": shop.shop_domain(),
        "access_token": shop.token(),
        "base_url": shop.base_url(),
        "objects": {
            "products": {"direction": direction},
            "inventory": {"direction": "off"},
            "orders": {"direction": "off"},
        },
    });
    put_connection(h, "shopify", body).await;
}

/// `PUT /api/connections/{platform}` with `body`.
pub async fn put_connection(h: &Handler, platform: &str, body: Value) {
    let mut put = request("PUT", &format!("connections/{platform}"), Some(body));
    put.params.insert("platform".into(), platform.into());
    let res = h.http("Connections", &put).await;
    assert!(
        matches!(res["statusCode"].as_str(), Some("200" | "201")),
        "{res}"
    );
}

/// Starts a products sync on Shopify: the job's id and the `sync` message for it.
async fn start_sync(h: &Handler) -> (String, String) {
    start_job(h, "shopify", "products").await
}

/// Starts a `kind` sync on `platform`: the job's id and the `sync` message for it.
pub async fn start_job(h: &Handler, platform: &str, kind: &str) -> (String, String) {
    let path = format!("connections/{platform}/sync");
    let mut post = request("POST", &path, Some(json!({"kinds": [kind]})));
    post.params.insert("platform".into(), platform.into());
    post.params.insert("action".into(), "sync".into());
    let payload = serde_json::to_value(shared::protocol::host::http_invocation(
        "req",
        &post,
        &shared::protocol::host::Sys::now("ConnectionActions"),
    ))
    .unwrap();
    let (status, result) = h.invoke("ConnectionActions", &payload).await;
    assert_eq!(status, 200, "{result}");
    let res = &result["Outputs"]["res"];
    assert_eq!(res["statusCode"], "202", "{res}");
    let id = body_json(res)["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let message = &result["Outputs"]["sync"][0];
    let message = message
        .as_str()
        .map_or_else(|| message.to_string(), str::to_owned);
    (id, message)
}

/// Delivers job `id`'s `message` for the `delivery`th time: the status the host sees.
pub async fn deliver(h: &Handler, id: &str, message: &str, delivery: u32) -> u16 {
    let payload = service_bus("SyncPlatform", message, id, delivery);
    h.invoke("SyncPlatform", &payload).await.0
}

/// The job as `GET /api/sync/jobs/{id}` shows it.
pub async fn job(h: &Handler, id: &str) -> Value {
    let mut get = request("GET", &format!("sync/jobs/{id}"), None);
    get.params.insert("collection".into(), "jobs".into());
    get.params.insert("id".into(), id.into());
    let res = h.http("SyncJobs", &get).await;
    assert_eq!(res["statusCode"], "200", "{res}");
    body_json(&res)
}

/// The dev tenant's stored Shopify products cursor.
fn stored_cursor(h: &Handler) -> String {
    let db = rusqlite::Connection::open(h.database()).unwrap();
    db.query_row(
        "SELECT position FROM sync_cursors
         WHERE tenant_id = 'demo' AND platform = 'shopify' AND kind = 'products'",
        [],
        |row| row.get(0),
    )
    .unwrap()
}

#[tokio::test]
async fn a_pull_that_keeps_getting_5xx_is_left_resumable_and_the_next_delivery_finishes_it_once() {
    let shop = MockShopify::start(MockShopifyOptions::default()).await;
    shop.seed_products(40, 1);
    let h = Handler::start(&[]).await;
    connect(&h, &shop, "pull").await;
    let (id, message) = start_sync(&h).await;
    // The shop query and the first page answer; every attempt at the second gets a 5xx.
    let errors = [500, 502, 503].into_iter().cycle().take(8);
    shop.queue_storm(
        [Storm::Pass, Storm::Pass]
            .into_iter()
            .chain(errors.map(|status| Storm::ServerError(status, "0.01"))),
    );

    let (status, _) = h
        .invoke(
            "SyncPlatform",
            &service_bus("SyncPlatform", &message, &id, 1),
        )
        .await;
    assert_eq!(status, 503, "the host delivers the job again");
    assert_eq!(
        shop.requests(),
        10,
        "eight attempts at the failing page, no more"
    );
    let paused = job(&h, &id).await;
    assert_eq!(paused["status"], "running", "{paused}");
    assert!(
        paused["progress"]["resume"].is_string(),
        "a checkpoint: {paused}"
    );
    // The connection's cursor moved with the stored page and no further.
    assert_eq!(
        Some(stored_cursor(&h)),
        paused["progress"]["cursor_to"].as_str().map(str::to_owned),
        "{paused}"
    );
    let landed = h.skus().await;
    assert_eq!(
        paused["progress"]["inserted"],
        json!(landed.len()),
        "{paused}"
    );
    assert!(!landed.is_empty() && landed.len() < 40, "{landed:?}");
    h.assert_healthy().await;

    let (status, result) = h
        .invoke(
            "SyncPlatform",
            &service_bus("SyncPlatform", &message, &id, 2),
        )
        .await;
    assert_eq!(status, 200, "{result}");
    let done = job(&h, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["progress"]["read"], 40, "{done}");
    assert_eq!(
        Some(stored_cursor(&h)),
        done["progress"]["cursor_to"].as_str().map(str::to_owned)
    );
    let skus = h.skus().await;
    let expected: Vec<String> = {
        let mut all: Vec<String> = (1..=40).map(|n| format!("SHP-{n}-1")).collect();
        all.sort();
        all
    };
    assert_eq!(skus, expected, "every SKU once");

    // Delivered once more, the finished job asks the shop nothing.
    let requests = shop.requests();
    let (status, _) = h
        .invoke(
            "SyncPlatform",
            &service_bus("SyncPlatform", &message, &id, 3),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(shop.requests(), requests);
    h.assert_healthy().await;
}

/// Runs a products sync to its end with the shop healthy: the job.
async fn sync_once(h: &Handler) -> Value {
    let (id, message) = start_sync(h).await;
    let (status, result) = h
        .invoke(
            "SyncPlatform",
            &service_bus("SyncPlatform", &message, &id, 1),
        )
        .await;
    assert_eq!(status, 200, "{result}");
    job(h, &id).await
}

#[tokio::test]
async fn a_push_that_keeps_getting_5xx_is_retried_later_and_each_product_is_pushed_once() {
    let shop = MockShopify::start(MockShopifyOptions::default()).await;
    let ids = shop.seed_products(3, 1);
    let h = Handler::start(&[]).await;
    connect(&h, &shop, "both").await;
    let first = sync_once(&h).await;
    assert_eq!(first["progress"]["inserted"], 3, "{first}");
    for sku in ["SHP-1-1", "SHP-2-1", "SHP-3-1"] {
        let body = json!({"tenant": "demo", "sku": sku, "content_hash": "x"}).to_string();
        let (status, _) = h
            .invoke(
                "EnrichProduct",
                &service_bus("EnrichProduct", &body, sku, 1),
            )
            .await;
        assert_eq!(status, 200);
    }

    // The incremental pull's three requests answer, then the first product's push (a read of
    // its current state, then the update) lands; every attempt at the second's gets a 5xx.
    let (id, message) = start_sync(&h).await;
    let passes = std::iter::repeat_n(Storm::Pass, 5);
    let errors = [502, 500, 503].into_iter().cycle().take(8);
    shop.queue_storm(passes.chain(errors.map(|status| Storm::ServerError(status, "0.01"))));
    let (status, _) = h
        .invoke(
            "SyncPlatform",
            &service_bus("SyncPlatform", &message, &id, 1),
        )
        .await;
    assert_eq!(status, 503, "the host delivers the job again");
    let pushed: Vec<Value> = shop.updates().iter().map(|u| u["id"].clone()).collect();
    assert_eq!(pushed, [json!(ids[0])], "only the push that was answered");
    let paused = job(&h, &id).await;
    assert_eq!(
        (
            paused["status"].clone(),
            paused["progress"]["stage"].clone()
        ),
        (json!("running"), json!("push")),
        "{paused}"
    );

    let (status, result) = h
        .invoke(
            "SyncPlatform",
            &service_bus("SyncPlatform", &message, &id, 2),
        )
        .await;
    assert_eq!(status, 200, "{result}");
    let done = job(&h, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let mut pushed: Vec<String> = shop
        .updates()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    pushed.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(pushed, expected, "each product pushed once");

    // Nothing changed since: a later run pushes nothing again.
    let later = sync_once(&h).await;
    assert_eq!(later["progress"]["pushed"], 0, "{later}");
    assert_eq!(shop.updates().len(), 3);
    h.assert_healthy().await;
}
