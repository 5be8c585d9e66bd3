//! NetSuite through the whole app: items and stock pulled from a mock account that checks
//! every OAuth 1.0a signature, and our orders pushed as sales orders upserted by external id.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use shared::sync::netsuite::mock::{MockAccount, MockItem, MockNetSuite};

use crate::helpers::{TestApp, eventually};

const KEY: &str = "local-dev-key";

fn account() -> MockAccount {
    MockAccount {
        realm: "1234567_SB1".into(),
        consumer_key: "ck_ns_4f1c9a7e2b6d".into(),
        consumer_secret: "cs_ns_8e3b5d0f7a21".into(),
        token_id: "tk_ns_1a2b3c4d5e6f".into(),
        token_secret: "ts_ns_9f8e7d6c5b4a".into(),
    }
}

fn item(id: u64, sku: &str, price: &str, stock: &[f64]) -> MockItem {
    MockItem {
        id,
        itemid: Some(sku.into()),
        displayname: Some(format!("ERP name of {sku}")),
        baseprice: Some(price.into()),
        modified: Utc.with_ymd_and_hms(2026, 3, 8, 6, 0, 0).unwrap(),
        stock: stock.to_vec(),
    }
}

async fn call(app: &TestApp, method: reqwest::Method, path: &str, body: Value) -> Value {
    let response = app
        .client
        .request(method, format!("{}{path}", app.api))
        .header("x-api-key", KEY)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

async fn connect(app: &TestApp, mock: &MockNetSuite, token_secret: &str) {
    let account = account();
    call(
        app,
        reqwest::Method::PUT,
        "/connections/netsuite",
        json!({
            "account_id": "1234567_sb1",
            "consumer_key": account.consumer_key,
            "consumer_secret": account.consumer_secret,
            "token_id": account.token_id,
            "token_secret": token_secret,
            "base_url": mock.url,
            "currency": "EUR",
            "default_customer_id": "4242",
            "time_zone": "UTC",
        }),
    )
    .await;
}

/// Runs a NetSuite job of `kind` now and answers it once it has ended.
async fn sync(app: &TestApp, kind: &str) -> Value {
    let started = call(
        app,
        reqwest::Method::POST,
        "/connections/netsuite/sync",
        json!({"kinds": [kind]}),
    )
    .await;
    let id = started["items"][0]["id"].as_str().unwrap().to_owned();
    eventually(60, "the NetSuite job to end", || async {
        let job = app.get_json(&format!("/sync/jobs/{id}")).await;
        matches!(job["status"].as_str(), Some("succeeded" | "failed")).then_some(job)
    })
    .await
}

async fn landed(app: &TestApp, stem: &str) {
    let report = eventually(30, "the ingestion report", || async {
        app.report("demo", stem)
    })
    .await;
    assert_eq!(report["status"], "succeeded", "{report}");
}

#[tokio::test]
async fn items_and_stock_come_from_netsuite_and_orders_go_to_it_once() {
    let items = vec![
        item(1001, "MUG-BLU-350", "12.50", &[4.0, 3.0]),
        item(1002, "TEA-EARL-100", "6.90", &[10.0]),
    ];
    let mock = MockNetSuite::start(account(), items).await.expect("mock");
    let app = TestApp::spawn().await;

    // A wrong token secret: the check says the credentials were refused.
    connect(&app, &mock, "ts_ns_wrong_secret").await;
    let test = call(
        &app,
        reqwest::Method::POST,
        "/connections/netsuite/test",
        json!({}),
    )
    .await;
    assert_eq!(test["ok"], false, "{test}");
    assert_eq!(test["credentials_refused"], true, "{test}");
    connect(&app, &mock, &account().token_secret).await;
    let test = call(
        &app,
        reqwest::Method::POST,
        "/connections/netsuite/test",
        json!({}),
    )
    .await;
    assert_eq!(test["ok"], true, "{test}");

    // Items: new products land whole, priced in the connection's currency.
    let products = sync(&app, "products").await;
    assert_eq!(products["status"], "succeeded", "{products}");
    assert_eq!(products["progress"]["inserted"], 2, "{products}");
    let mug = app.get_json("/products/MUG-BLU-350").await;
    assert_eq!(mug["title"], "ERP name of MUG-BLU-350");
    assert_eq!(mug["price"]["amount"], "12.50", "{mug}");
    assert_eq!(mug["price"]["currency"], "EUR", "{mug}");

    // Stock: summed over locations, one level per SKU.
    let stock = sync(&app, "inventory").await;
    assert_eq!(stock["status"], "succeeded", "{stock}");
    assert_eq!(stock["progress"]["inserted"], 2, "{stock}");

    // A price change in NetSuite moves only the price of a product the shop also describes.
    mock.state().items[0].baseprice = Some("13.00".into());
    mock.state().items[0].modified = Utc::now();
    mock.state().items[0].displayname = Some("A name the shop does not use".into());
    let again = sync(&app, "products").await;
    assert_eq!(again["progress"]["updated"], 1, "{again}");
    let mug = app.get_json("/products/MUG-BLU-350").await;
    assert_eq!(mug["price"]["amount"], "13.00", "{mug}");
    assert_eq!(
        mug["title"], "ERP name of MUG-BLU-350",
        "the ERP owns only price and stock"
    );

    // Orders: each goes once as a sales order; a changed order updates it, never doubles it;
    // an order with a SKU NetSuite does not know waits in the inbox.
    let feed = "order_id,placed_at,currency,total,channel,sku,quantity,unit_price\n\
                W-1,2026-03-09T10:00:00Z,EUR,25.00,web,MUG-BLU-350,2,12.50\n\
                W-2,2026-03-09T11:00:00Z,EUR,9.00,web,UNKNOWN-SKU,1,9.00\n";
    app.drop_feed("demo", "orders.csv", feed.as_bytes());
    landed(&app, "orders").await;
    let pushed = sync(&app, "orders").await;
    assert_eq!(pushed["status"], "succeeded", "{pushed}");
    assert_eq!(pushed["progress"]["pushed"], 1, "{pushed}");
    assert_eq!(pushed["progress"]["problems"], 1, "{pushed}");
    assert_eq!(mock.state().sales_orders.len(), 1);
    let inbox = app.get_json("/sync/issues?platform=netsuite").await;
    assert_eq!(inbox["items"][0]["code"], "unknown_skus", "{inbox}");
    assert_eq!(inbox["items"][0]["record"], "W-2", "{inbox}");

    let nothing_new = sync(&app, "orders").await;
    assert_eq!(nothing_new["progress"]["read"], 0, "{nothing_new}");

    let changed = "order_id,placed_at,currency,total,channel,sku,quantity,unit_price\n\
                   W-1,2026-03-09T10:00:00Z,EUR,37.50,web,MUG-BLU-350,3,12.50\n";
    app.drop_feed("demo", "orders-changed.csv", changed.as_bytes());
    landed(&app, "orders-changed").await;
    let updated = sync(&app, "orders").await;
    assert_eq!(updated["progress"]["pushed"], 1, "{updated}");
    let orders = mock.state().sales_orders.clone();
    assert_eq!(
        orders.len(),
        1,
        "a replayed order made a second sales order"
    );
    assert_eq!(orders[0].lines.len(), 1);
    assert_eq!(orders[0].lines[0]["quantity"], 3);
    app.stop().await;
}
