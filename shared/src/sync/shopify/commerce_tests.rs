//! The client against the mock shop for one product, orders and inventory levels, and the
//! public real-clock mock the function app's tests use.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use super::inventory::{InventoryProblem, inventory_upserts};
use super::mock::{MockLineItem, MockOrder, MockShopify, MockShopifyOptions, ProductEdit, Storm};
use super::orders::{LINES_PER_ORDER, ORDERS_PER_PAGE, OrderProblem, order_upsert};
use super::*;

const TOKEN: &str = "shpat_test_token";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 8, 6, 0, 0).unwrap()
}

fn client(shop: &MockShopify) -> ShopifyClient {
    ShopifyClient::with_clock(
        "acme.myshopify.com",
        Secret::new(TOKEN),
        API_VERSION,
        Some(shop.base_url()),
        shop.clock.clone(),
        RetryPolicy::default(),
    )
    .unwrap()
}

async fn all_orders(
    client: &ShopifyClient,
    since: Option<DateTime<Utc>>,
) -> Vec<orders::ShopifyOrder> {
    let mut orders = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = client.orders_page(since, after.as_deref()).await.unwrap();
        assert!(page.orders.len() <= ORDERS_PER_PAGE as usize);
        orders.extend(page.orders);
        match page.next {
            Some(next) => after = Some(next),
            None => return orders,
        }
    }
}

/// Twenty orders three minutes apart from `start()`, #1001 … #1020.
fn twenty_orders() -> Vec<MockOrder> {
    (1..=20)
        .map(|n| {
            MockOrder::paid(
                1000 + n,
                &format!("SKU-{n}"),
                start() + chrono::Duration::minutes(3 * i64::try_from(n).unwrap()),
            )
        })
        .collect()
}

#[tokio::test]
async fn orders_are_pulled_across_pages_in_utc_and_cancelled_test_and_skuless_ones_are_reported() {
    let shop = MockShopify::start_virtual(TOKEN, Vec::new()).await;
    let mut orders = twenty_orders();
    orders[2].cancelled_at = Some(start() + chrono::Duration::hours(1));
    orders[4].lines.push(MockLineItem {
        sku: None,
        quantity: 1,
        current_quantity: 1,
        discounted_total: "5.00".into(),
    });
    orders[6].test = true;
    // Older than 60 days: Shopify does not show it without read_all_orders.
    let mut old = MockOrder::paid(900, "SKU-OLD", start() - chrono::Duration::days(90));
    old.updated_at = start();
    orders.push(old);
    shop.seed_orders(orders);
    // The shop renders times in its own offset (New York, EST): read as UTC all the same.
    shop.render_times_in(FixedOffset::west_opt(5 * 3600).unwrap());
    let client = client(&shop);

    let pulled = all_orders(&client, None).await;
    let names: Vec<&str> = pulled.iter().map(|o| o.name.as_str()).collect();
    let expected: Vec<String> = (1001..=1020).map(|n| format!("#{n}")).collect();
    assert_eq!(
        names, expected,
        "every visible order once, oldest change first"
    );
    assert!(shop.state().requests >= 3, "20 orders take three pages");

    let (upsert, problems) = order_upsert(&pulled[0]).unwrap();
    assert_eq!(upsert.order_id, "#1001");
    assert_eq!(upsert.placed_at, start() + chrono::Duration::minutes(3));
    assert_eq!(upsert.placed_at.to_rfc3339(), "2026-03-08T06:03:00+00:00");
    assert_eq!(upsert.channel.as_deref(), Some("shopify"));
    assert_eq!(
        (
            upsert.currency.as_str(),
            upsert.total_minor,
            upsert.tax_minor,
            upsert.shipping_minor
        ),
        ("EUR", 2497, Some(399), Some(499))
    );
    let line = &upsert.lines[0];
    assert_eq!(
        (line.sku.as_str(), line.quantity, line.unit_price_minor),
        ("SKU-1", 2, 999)
    );
    assert_eq!(problems, vec![]);

    assert!(
        matches!(order_upsert(&pulled[2]), Err(OrderProblem::NotASale(name, _)) if name == "#1003")
    );
    assert!(
        matches!(order_upsert(&pulled[6]), Err(OrderProblem::NotASale(name, why)) if name == "#1007" && why.contains("test"))
    );
    let (with_custom_line, problems) = order_upsert(&pulled[4]).unwrap();
    assert_eq!(
        with_custom_line.lines.len(),
        1,
        "the line without a SKU is not invented"
    );
    assert!(
        matches!(&problems[..], [OrderProblem::LineLeftOut(name, why)] if name == "#1005" && why.contains("no SKU"))
    );

    // Only the order changed since the cursor comes again, with the one the overlap re-reads.
    let cursor = pulled.iter().map(|o| o.updated_at).max().unwrap();
    shop.state().orders[10].updated_at = cursor + chrono::Duration::minutes(30);
    let again: BTreeSet<String> = all_orders(&client, Some(cursor))
        .await
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(
        again,
        BTreeSet::from(["#1011".to_owned(), "#1020".to_owned()])
    );
}

#[tokio::test]
async fn an_order_with_more_lines_than_a_page_is_read_alone_and_an_unknown_one_is_none() {
    let shop = MockShopify::start_virtual(TOKEN, Vec::new()).await;
    let mut big = MockOrder::paid(2001, "SKU-0", start());
    big.lines = (0..LINES_PER_ORDER + 5)
        .map(|n| MockLineItem {
            sku: Some(format!("SKU-{n}")),
            quantity: 3,
            current_quantity: if n == 0 { 0 } else { 3 },
            discounted_total: "10.00".into(),
        })
        .collect();
    let gid = big.gid();
    shop.seed_orders([big]);
    let client = client(&shop);
    let page = client.orders_page(None, None).await.unwrap();
    assert_eq!(
        order_upsert(&page.orders[0]).unwrap_err(),
        OrderProblem::LinesTruncated("#2001".into())
    );
    let alone = client.order(&gid).await.unwrap().unwrap();
    let (upsert, problems) = order_upsert(&alone).unwrap();
    assert_eq!(upsert.lines.len(), LINES_PER_ORDER as usize + 4);
    // 10.00 for three units: 3.33 each, to the cent.
    assert_eq!(upsert.lines[0].unit_price_minor, 333);
    assert!(
        matches!(&problems[..], [OrderProblem::LineLeftOut(_, why)] if why.contains("removed"))
    );
    assert_eq!(client.order("gid://shopify/Order/1").await.unwrap(), None);
}

#[tokio::test]
async fn a_product_is_read_by_id_and_an_unknown_id_is_none() {
    let shop = MockShopify::start_virtual(TOKEN, mock::catalogue(3, 1, start())).await;
    let client = client(&shop);
    let page = client.products_page(None, None).await.unwrap();
    let wanted = &page.products[1];
    let one = client.product(&wanted.id).await.unwrap();
    assert_eq!(
        one.as_ref(),
        Some(wanted),
        "the same fields as a products page"
    );
    assert_eq!(
        client.product("gid://shopify/Product/42").await.unwrap(),
        None
    );
    // A variant's inventoryQuantity is its levels' sum across locations.
    let sku = wanted.variants.nodes[0].sku.clone().unwrap();
    shop.set_inventory(&sku, "Main warehouse", 5);
    shop.set_inventory(&sku, "Shop floor", -1);
    let again = client.product(&wanted.id).await.unwrap().unwrap();
    assert_eq!(again.variants.nodes[0].inventory_quantity, Some(4), "5 − 1");
    shop.set_inventory(&sku, "Shop floor", 6);
    let again = client.product(&wanted.id).await.unwrap().unwrap();
    assert_eq!(again.variants.nodes[0].inventory_quantity, Some(11));
}

#[tokio::test]
async fn inventory_levels_are_pulled_across_pages_per_location_and_incrementally() {
    let shop = MockShopify::start_virtual(TOKEN, Vec::new()).await;
    for n in 0..450 {
        shop.set_inventory(&format!("SKU-{n}"), "Main warehouse", n - 5);
        // One level a second: the virtual clock moves, nothing waits.
        shop.clock.sleep(Duration::from_secs(1)).await;
    }
    shop.set_inventory("SKU-0", "Shop floor", 2);
    {
        let mut state = shop.state();
        let mut skuless = state.levels[0].clone();
        (skuless.item, skuless.sku) = (99, None);
        state.levels.push(skuless);
    }
    let client = client(&shop);
    let locations = client.locations().await.unwrap();
    let names: Vec<&str> = locations.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["Main warehouse", "Shop floor"]);

    let pull = |since| {
        let (client, location) = (&client, &locations[0]);
        async move {
            let mut levels = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let page = client
                    .inventory_levels_page(&location.id, since, after.as_deref())
                    .await
                    .unwrap();
                assert!(page.levels.len() <= inventory::LEVELS_PER_PAGE as usize);
                levels.extend(page.levels);
                match page.next {
                    Some(next) => after = Some(next),
                    None => return levels,
                }
            }
        }
    };
    let levels = pull(None).await;
    let (rows, problems) = inventory_upserts(&locations[0], &levels);
    assert_eq!(rows.len(), 450);
    let skus: HashSet<&str> = rows.iter().map(|r| r.sku.as_str()).collect();
    assert_eq!(skus.len(), 450, "each level once across three pages");
    let first = rows.iter().find(|r| r.sku.as_str() == "SKU-0").unwrap();
    assert_eq!(
        (first.location.as_str(), first.quantity),
        ("Main warehouse", -5)
    );
    assert!(matches!(&problems[..], [InventoryProblem::MissingSku(item)] if item.ends_with("/99")));

    let cursor = levels.iter().map(|l| l.updated_at).max().unwrap();
    shop.clock.sleep(Duration::from_secs(600)).await;
    shop.set_inventory("SKU-7", "Main warehouse", 70);
    shop.set_inventory("SKU-300", "Main warehouse", 0);
    let again = pull(Some(cursor)).await;
    let (rows, _) = inventory_upserts(&locations[0], &again);
    let changed: Vec<(&str, i64)> = rows
        .iter()
        .filter(|r| r.as_of > Some(cursor))
        .map(|r| (r.sku.as_str(), r.quantity))
        .collect();
    assert_eq!(changed, [("SKU-7", 70), ("SKU-300", 0)]);
    // Besides them, only the overlap: levels changed in the two minutes before the cursor.
    let window = cursor - chrono::Duration::seconds(120);
    assert!(again.iter().all(|l| l.updated_at >= window));
    assert_eq!(again.len(), 2 + 121);
}

/// Every page of products on the real clock.
async fn pull_all(client: &ShopifyClient, since: Option<DateTime<Utc>>) -> Vec<ShopifyProduct> {
    let mut products = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = client.products_page(since, after.as_deref()).await.unwrap();
        products.extend(page.products);
        match page.next {
            Some(next) => after = Some(next),
            None => return products,
        }
    }
}

#[tokio::test]
async fn the_public_mock_serves_a_2000_product_pull_exactly_once_under_real_throttling() {
    let shop = MockShopify::start(MockShopifyOptions::default()).await;
    let seeded = shop.seed_products(2000, 2);
    shop.queue_storm([
        Storm::Pass,
        Storm::Throttled,
        Storm::Pass,
        Storm::TooMany("0.05"),
        Storm::Throttled,
    ]);
    let products = pull_all(&shop.client(), None).await;
    let ids: BTreeSet<&str> = products.iter().map(|p| p.id.as_str()).collect();
    assert_eq!((products.len(), ids.len()), (2000, 2000));
    assert_eq!(ids, seeded.iter().map(String::as_str).collect());
    let skus: HashSet<&str> = products
        .iter()
        .flat_map(|p| &p.variants.nodes)
        .filter_map(|v| v.sku.as_deref())
        .collect();
    assert_eq!(skus.len(), 4000);
    assert!(skus.contains("SHP-1-1") && skus.contains("SHP-2000-2"));
    assert!(shop.throttled() >= 2, "{}", shop.throttled());
    assert_eq!((shop.too_many_requests(), shop.early_retries()), (1, 0));
}

#[tokio::test]
async fn the_public_mock_records_merchant_edits_deletions_and_pushed_fields() {
    let shop = MockShopify::start(MockShopifyOptions::default()).await;
    let ids = shop.seed_products(5, 1);
    let client = shop.client();
    let first = pull_all(&client, None).await;
    let cursor = first.iter().map(|p| p.updated_at).max().unwrap();

    let edited_at = shop
        .edit_product(
            &ids[1],
            ProductEdit {
                title: Some("Renamed by the merchant".into()),
                ..ProductEdit::default()
            },
        )
        .unwrap();
    assert!(edited_at > cursor);
    let changed = pull_all(&client, Some(cursor)).await;
    let changed_ids: BTreeSet<&str> = changed.iter().map(|p| p.id.as_str()).collect();
    // The edit, and the newest seeded product the two-minute overlap re-reads.
    assert_eq!(
        changed_ids,
        BTreeSet::from([ids[1].as_str(), ids[4].as_str()])
    );
    let renamed = client.product(&ids[1]).await.unwrap().unwrap();
    assert_eq!(
        (renamed.title.as_str(), renamed.updated_at),
        ("Renamed by the merchant", edited_at)
    );

    let wanted = EnrichedFields {
        seo_title: Some("Enriched".into()),
        ..EnrichedFields::default()
    };
    let changes = ProductChanges::between(&renamed, &wanted).unwrap();
    client.update_product(&changes).await.unwrap();
    assert_eq!(
        shop.updates(),
        vec![serde_json::json!({"id": ids[1], "seo": {"title": "Enriched"}})]
    );

    assert!(shop.delete_product(&ids[3]));
    assert!(!shop.delete_product(&ids[3]));
    assert_eq!(client.product(&ids[3]).await.unwrap(), None);
    let events = client
        .deletion_events_page(Some(cursor), None)
        .await
        .unwrap()
        .events;
    assert_eq!(
        events
            .iter()
            .map(|e| e.subject_id.as_str())
            .collect::<Vec<_>>(),
        [ids[3].as_str()]
    );
    assert_eq!(shop.product_ids().len(), 4);
}
