//! WooCommerce and NetSuite answering 5xx through `SyncPlatform`: a WooCommerce pull whose
//! second page keeps failing is left resumable with its cursor unmoved, and a NetSuite push of
//! orders whose second sales order keeps failing is retried by the next delivery; either way
//! the healthy delivery finishes the work with nothing stored or pushed twice.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use shared::sync::netsuite::mock::{MockAccount, MockItem, MockNetSuite, Storm as NsStorm};
use shared::sync::woocommerce::mock::{MockWoo, MockWooOptions, Storm as WooStorm};

use super::platforms::{deliver, job, put_connection, start_job};
use super::{Handler, blob_created};

/// 500, 502 and 503 in turn, `count` of them.
fn server_errors(count: usize) -> impl Iterator<Item = u16> {
    [500, 502, 503].into_iter().cycle().take(count)
}

#[tokio::test]
async fn a_woocommerce_pull_that_keeps_getting_5xx_resumes_at_its_page_and_lands_every_sku_once() {
    let woo = MockWoo::start(MockWooOptions::default()).await;
    woo.seed_products(250, 0);
    let h = Handler::start(&[]).await;
    let body = json!({
        "site_url": woo.site_url(),
        "consumer_key": woo.consumer_key(),
        "consumer_secret": woo.consumer_secret(),
        "base_url": woo.base_url(),
        "objects": {
            "products": {"direction": "pull"},
            "inventory": {"direction": "off"},
            "orders": {"direction": "off"},
        },
    });
    put_connection(&h, "woocommerce", body).await;
    let (id, message) = start_job(&h, "woocommerce", "products").await;
    // The store's settings and the first page of 100 answer; every attempt at the second page
    // gets a 5xx.
    let passes = std::iter::repeat_n(WooStorm::Pass, 2);
    woo.queue_storm(passes.chain(server_errors(8).map(|s| WooStorm::ServerError(s, "0.01"))));

    assert_eq!(
        deliver(&h, &id, &message, 1).await,
        503,
        "the host delivers it again"
    );
    let paused = job(&h, &id).await;
    assert_eq!(paused["status"], "running", "{paused}");
    assert_eq!(paused["progress"]["inserted"], 100, "{paused}");
    assert_eq!(
        paused["progress"]["cursor_to"],
        Value::Null,
        "no cursor before the pull ends"
    );
    assert_eq!(h.skus().await.len(), 100);
    h.assert_healthy().await;

    assert_eq!(deliver(&h, &id, &message, 2).await, 200);
    let done = job(&h, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(
        (
            done["progress"]["read"].clone(),
            done["progress"]["inserted"].clone()
        ),
        (json!(250), json!(250)),
        "{done}"
    );
    assert!(done["progress"]["cursor_to"].is_string(), "{done}");
    let db = rusqlite::Connection::open(h.database()).unwrap();
    let (rows, skus): (i64, i64) = db
        .query_row(
            "SELECT count(*), count(DISTINCT sku) FROM products WHERE tenant_id = 'demo'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!((rows, skus), (250, 250));
}

fn account() -> MockAccount {
    MockAccount {
        realm: "1234567_SB1".into(),
        consumer_key: "ck_ns_4f1c9a7e2b6d".into(),
        consumer_secret: "cs_ns_8e3b5d0f7a21".into(),
        token_id: "tk_ns_1a2b3c4d5e6f".into(),
        token_secret: "ts_ns_9f8e7d6c5b4a".into(),
    }
}

/// Runs a `kind` job on NetSuite with the account healthy.
async fn netsuite_job(h: &Handler, kind: &str) -> Value {
    let (id, message) = start_job(h, "netsuite", kind).await;
    assert_eq!(deliver(h, &id, &message, 1).await, 200);
    job(h, &id).await
}

#[tokio::test]
async fn a_netsuite_order_push_that_keeps_getting_5xx_is_retried_and_each_order_goes_once() {
    let item = MockItem {
        id: 1001,
        itemid: Some("MUG-BLU-350".into()),
        displayname: Some("Blue mug".into()),
        baseprice: Some("12.50".into()),
        modified: Utc.with_ymd_and_hms(2026, 3, 8, 6, 0, 0).unwrap(),
        stock: vec![4.0],
    };
    let ns = MockNetSuite::start(account(), vec![item]).await.unwrap();
    let h = Handler::start(&[]).await;
    let a = account();
    let body = json!({
        "account_id": "1234567_sb1",
        "consumer_key": a.consumer_key,
        "consumer_secret": a.consumer_secret,
        "token_id": a.token_id,
        "token_secret": a.token_secret,
        "base_url": ns.url,
        "currency": "EUR",
        "default_customer_id": "4242",
        "time_zone": "UTC",
    });
    put_connection(&h, "netsuite", body).await;
    assert_eq!(netsuite_job(&h, "products").await["status"], "succeeded");
    let feed = "order_id,placed_at,currency,total,channel,sku,quantity,unit_price\n\
                W-1,2026-03-09T10:00:00Z,EUR,25.00,web,MUG-BLU-350,2,12.50\n\
                W-2,2026-03-09T11:00:00Z,EUR,12.50,web,MUG-BLU-350,1,12.50\n\
                W-3,2026-03-09T12:00:00Z,EUR,37.50,web,MUG-BLU-350,3,12.50\n";
    let path = h.data.path().join("blobs/ingest/demo/orders.csv");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, feed).unwrap();
    let event = blob_created(
        "IngestPartnerFile",
        "ingest",
        "demo/orders.csv",
        "\"0x1\"",
        feed.len() as u64,
        "orders-1",
    );
    assert_eq!(h.invoke("IngestPartnerFile", &event).await.0, 200);

    let (id, message) = start_job(&h, "netsuite", "orders").await;
    // The first order's push (its two requests) lands; every attempt at the second's fails.
    let passes = std::iter::repeat_n(NsStorm::Pass, 2);
    ns.state()
        .storm
        .extend(passes.chain(server_errors(8).map(|s| NsStorm::ServerError(s, "0.01"))));
    assert_eq!(
        deliver(&h, &id, &message, 1).await,
        503,
        "the host delivers it again"
    );
    let pushed: Vec<String> = ns
        .state()
        .sales_orders
        .iter()
        .map(|o| o.external_id.clone())
        .collect();
    assert_eq!(pushed, ["web-W-1"], "only the push that was answered");
    assert_eq!(job(&h, &id).await["status"], "running");
    h.assert_healthy().await;

    assert_eq!(deliver(&h, &id, &message, 2).await, 200);
    let done = job(&h, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let mut pushed: Vec<String> = ns
        .state()
        .sales_orders
        .iter()
        .map(|o| o.external_id.clone())
        .collect();
    pushed.sort();
    assert_eq!(pushed, ["web-W-1", "web-W-2", "web-W-3"], "each order once");
    let later = netsuite_job(&h, "orders").await;
    assert_eq!(later["progress"]["pushed"], 0, "{later}");
    assert_eq!(ns.state().sales_orders.len(), 3);
}
