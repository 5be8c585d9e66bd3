//! The client against the mock store: full and incremental pulls, ties across a page
//! boundary, both auth schemes, a wrong secret, push-back and storms.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveDateTime};

use super::map::product_rows;
use super::mock::{MockWoo, Storm, catalogue};
use super::*;
use crate::domain::Currency;

const KEY: &str = "ck_0123456789abcdef0123456789abcdef01234567";
const SECRET: &str = "cs_fedcba9876543210fedcba9876543210fedcba98";

fn start() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, 8)
        .unwrap()
        .and_hms_opt(6, 0, 0)
        .unwrap()
}

/// A client for `site` (its scheme picks the auth) sending to the mock.
fn client(store: &MockWoo, site: &str, secret: &str) -> WooClient {
    WooClient::with_clock(
        site,
        KEY,
        Secret::new(secret),
        Some(store.base_url()),
        store.clock.clone(),
        RetryPolicy::default(),
    )
    .unwrap()
}

/// Every page of a pull from `since`; the products and the cursor to store.
async fn pull(
    client: &WooClient,
    since: Option<WooCursor>,
) -> (Vec<WooProduct>, Option<WooCursor>) {
    let mut pull = Pull::new(since);
    let mut products = Vec::new();
    while let Some(page) = client.next_products(&mut pull).await.unwrap() {
        assert!(page.products.len() <= PER_PAGE as usize);
        products.extend(page.products);
    }
    assert!(pull.is_done());
    (products, pull.cursor())
}

fn ids(products: &[WooProduct]) -> Vec<u64> {
    products.iter().map(|p| p.id).collect()
}

#[tokio::test]
async fn a_full_pull_of_1000_products_maps_every_product_and_variation_exactly_once() {
    let store = MockWoo::start_virtual(KEY, SECRET, catalogue(1000, 7, start())).await;
    let client = client(&store, "https://shop.example", SECRET);
    let (products, cursor) = pull(&client, None).await;
    let distinct: HashSet<u64> = ids(&products).into_iter().collect();
    assert_eq!((products.len(), distinct.len()), (1000, 1000));
    let usd = Currency::parse("USD").unwrap();
    let mut skus = HashSet::new();
    for product in &products {
        let variations = if product.is_variable() {
            client.variations(product.id).await.unwrap()
        } else {
            Vec::new()
        };
        assert_eq!(variations.len(), product.variations.len());
        let mapped = product_rows(product, &variations, usd);
        assert!(mapped.problems.is_empty(), "{:?}", mapped.problems);
        for row in mapped.rows {
            assert!(
                skus.insert(row.sku.as_str().to_owned()),
                "{} twice",
                row.sku.as_str()
            );
        }
    }
    // 334 variable products with two variations each, 666 simple ones.
    assert_eq!(skus.len(), 334 * 2 + 666);
    assert_eq!(cursor.unwrap().id, 1099);
    let state = store.state();
    assert_eq!(state.list_requests, 10);
    assert!(
        state.auth_seen.iter().all(|a| *a == "basic"),
        "HTTPS uses Basic"
    );
}

#[tokio::test]
async fn a_second_pull_transfers_only_what_changed_since_the_cursor() {
    let store = MockWoo::start_virtual(KEY, SECRET, catalogue(300, 1, start())).await;
    let client = client(&store, "https://shop.example", SECRET);
    let (_, cursor) = pull(&client, None).await;
    let (again, unchanged) = pull(&client, cursor).await;
    assert_eq!((again.len(), unchanged), (0, cursor));
    let later = start() + chrono::Duration::hours(2);
    // The next run is a minute after those changes, by the site's clock.
    store.state().now = later + chrono::Duration::minutes(1);
    for product in store
        .state()
        .products
        .iter_mut()
        .filter(|p| [105, 250, 160].contains(&p.id))
    {
        product.modified_gmt = later;
    }
    let (changed, next) = pull(&client, cursor).await;
    assert_eq!(ids(&changed), vec![105, 160, 250]);
    assert_eq!(
        next,
        Some(WooCursor {
            modified_gmt: later,
            id: 250
        })
    );
}

#[tokio::test]
async fn products_sharing_the_cursor_timestamp_across_a_page_boundary_are_neither_lost_nor_doubled()
{
    // 250 products changed in the same second: three pages of one timestamp.
    let store = MockWoo::start_virtual(KEY, SECRET, catalogue(250, 1000, start())).await;
    let client = client(&store, "https://shop.example", SECRET);
    let (all, cursor) = pull(&client, None).await;
    assert_eq!(all.len(), 250);
    assert_eq!(
        cursor,
        Some(WooCursor {
            modified_gmt: start(),
            id: 349
        })
    );
    // A cursor stored in the middle of the tie (an earlier pull saw ids up to 249): the
    // rest of the tie comes, once, across the page boundary.
    let mid = WooCursor {
        modified_gmt: start(),
        id: 249,
    };
    let (rest, _) = pull(&client, Some(mid)).await;
    assert_eq!(ids(&rest), (250..350).collect::<Vec<_>>());
}

#[tokio::test]
async fn plain_http_signs_with_oauth_in_the_query_and_a_wrong_secret_fails_after_one_request() {
    let store = MockWoo::start_virtual(KEY, SECRET, catalogue(150, 3, start())).await;
    let (products, _) = pull(&client(&store, "http://shop.example", SECRET), None).await;
    assert_eq!(products.len(), 150);
    assert!(store.state().auth_seen.iter().all(|a| *a == "oauth"));
    let before = store.state().requests;

    let wrong = client(&store, "http://shop.example", "cs_wrong");
    let err = wrong.next_products(&mut Pull::new(None)).await.unwrap_err();
    assert!(err.is_auth() && !err.is_retriable(), "{err}");
    assert!(
        err.to_string()
            .contains("woocommerce_rest_authentication_error")
    );
    let basic = client(&store, "https://shop.example", "cs_wrong");
    assert!(basic.variations(100).await.unwrap_err().is_auth());
    assert_eq!(
        store.state().requests,
        before + 2,
        "auth errors are not retried"
    );
}

#[tokio::test]
async fn an_update_sends_only_the_changed_fields_and_a_missing_product_is_a_typed_error() {
    let store = MockWoo::start_virtual(KEY, SECRET, catalogue(3, 1, start())).await;
    let client = client(&store, "https://shop.example", SECRET);
    let (products, _) = pull(&client, None).await;
    let current = &products[1];
    let wanted = EnrichedFields {
        description: Some(current.description.clone()),
        short_description: Some("<p>Soft cotton.</p>".into()),
    };
    let changes = ProductChanges::between(current, &wanted).unwrap();
    let updated = client.update_product(current.id, &changes).await.unwrap();
    assert_eq!(updated.short_description, "<p>Soft cotton.</p>");
    assert!(updated.date_modified_gmt > current.date_modified_gmt);
    let same = EnrichedFields {
        description: Some(updated.description.clone()),
        short_description: None,
    };
    assert_eq!(ProductChanges::between(&updated, &same), None);
    assert_eq!(
        store.state().updates,
        vec![(
            current.id,
            serde_json::json!({"short_description": "<p>Soft cotton.</p>"})
        )]
    );
    let err = client.update_product(9999, &changes).await.unwrap_err();
    assert!(
        matches!(&err, WooError::Api { status: 404, code, .. } if code == "woocommerce_rest_product_invalid_id"),
        "{err}"
    );
}

#[tokio::test]
async fn storms_of_429_and_503_are_waited_out_honouring_retry_after() {
    let store = MockWoo::start_virtual(KEY, SECRET, catalogue(250, 2, start())).await;
    store.state().storm.extend([
        Storm::TooMany("2"),
        Storm::Unavailable,
        Storm::TooMany("3"),
        Storm::Unavailable,
    ]);
    let client = client(&store, "http://shop.example", SECRET);
    let (products, _) = pull(&client, None).await;
    assert_eq!(products.len(), 250);
    // Retry-After 2 s, back-off 1 s (after attempt 2), Retry-After 3 s, back-off 4 s.
    assert_eq!(store.clock.now(), std::time::Duration::from_secs(10));
    assert_eq!(store.state().list_requests, 3);

    store
        .state()
        .storm
        .extend(std::iter::repeat_n(Storm::TooMany("1"), 20));
    let err = client
        .next_products(&mut Pull::new(None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, WooError::Throttled { attempts: 8, .. }) && err.is_retriable(),
        "{err}"
    );
}

#[tokio::test]
async fn orders_are_pulled_incrementally_and_sales_map_with_the_woocommerce_channel() {
    use super::mock::MockOrder;
    use super::orders::{OrderProblem, order_upsert};

    let store = MockWoo::start_virtual(KEY, SECRET, Vec::new()).await;
    store.state().now = start() + chrono::Duration::days(1);
    store.state().orders = (0..150)
        .map(|n| MockOrder {
            id: 1000 + n,
            status: if n == 7 { "cancelled" } else { "completed" }.into(),
            modified_gmt: start() + chrono::Duration::seconds(i64::try_from(n / 60).unwrap()),
            sku: format!("SKU-{n}"),
        })
        .collect();
    let client = client(&store, "https://shop.example", SECRET);
    let mut pull = Pull::new(None);
    let mut orders = Vec::new();
    while let Some(page) = client.next_orders(&mut pull).await.unwrap() {
        assert_eq!(page.total, 150);
        orders.extend(page.orders);
    }
    assert_eq!(orders.len(), 150);
    let (upsert, problems) = order_upsert(&orders[0]).unwrap();
    assert_eq!(upsert.order_id, "1000");
    assert_eq!(upsert.channel.as_deref(), Some("woocommerce"));
    assert_eq!(upsert.currency.as_str(), "EUR");
    assert_eq!(
        (upsert.total_minor, upsert.tax_minor, upsert.shipping_minor),
        (2497, Some(399), Some(499))
    );
    assert_eq!(upsert.customer_ref, None, "guest");
    assert_eq!(upsert.placed_at.to_rfc3339(), "2026-03-08T06:00:00+00:00");
    assert_eq!(upsert.lines.len(), 1);
    assert_eq!(
        (
            upsert.lines[0].sku.as_str(),
            upsert.lines[0].quantity,
            upsert.lines[0].unit_price_minor
        ),
        ("SKU-0", 2, 999)
    );
    assert!(matches!(problems[..], [OrderProblem::LineLeftOut(1000, _)]));
    assert_eq!(
        order_upsert(&orders[7]).unwrap_err(),
        OrderProblem::NotASale(1007, "cancelled".into())
    );

    // Only the order changed since the cursor comes again.
    store.state().orders[3].modified_gmt = start() + chrono::Duration::hours(1);
    let mut again = Pull::new(pull.cursor());
    let mut changed = Vec::new();
    while let Some(page) = client.next_orders(&mut again).await.unwrap() {
        changed.extend(page.orders);
    }
    assert_eq!(changed.iter().map(|o| o.id).collect::<Vec<_>>(), vec![1003]);
}

#[tokio::test]
async fn a_product_with_more_variations_than_a_page_gets_them_all() {
    let mut products = catalogue(1, 1, start());
    products[0].variations = (0..150).map(|n| (70_000 + n, format!("BIG-{n}"))).collect();
    let store = MockWoo::start_virtual(KEY, SECRET, products).await;
    let variations = client(&store, "http://shop.example", SECRET)
        .variations(100)
        .await
        .unwrap();
    let distinct: HashSet<u64> = variations.iter().map(|v| v.id).collect();
    assert_eq!((variations.len(), distinct.len()), (150, 150));
    assert_eq!(store.state().requests, 2);
}

#[tokio::test]
async fn the_public_mock_serves_seeded_products_merchant_edits_trash_and_records_puts() {
    use super::mock::{MockWoo, MockWooOptions};

    let store = MockWoo::start(MockWooOptions::default()).await;
    let simple = store.seed_products(5, 0);
    let variable = store.seed_products(2, 3);
    let client = store.client();
    let (products, cursor) = pull(&client, None).await;
    assert_eq!(ids(&products), [simple.clone(), variable.clone()].concat());
    let variations = client.variations(variable[1]).await.unwrap();
    let skus: Vec<&str> = variations.iter().map(|v| v.sku.as_str()).collect();
    assert_eq!(skus, ["WOO-7-1", "WOO-7-2", "WOO-7-3"]);
    assert_eq!(products[0].sku, "WOO-1");

    let edited_at = store
        .edit_product(simple[2], "<p>Merchant's words</p>")
        .unwrap();
    let (changed, next) = pull(&client, cursor).await;
    assert_eq!(ids(&changed), vec![simple[2]]);
    // Read in the second of the edit, the cursor may stay just before it (the tie window).
    assert!(next > cursor && next.unwrap().modified_gmt <= edited_at);

    let wanted = EnrichedFields {
        description: Some("<p>Enriched</p>".into()),
        short_description: None,
    };
    let changes = ProductChanges::between(&changed[0], &wanted).unwrap();
    let updated = client.update_product(simple[2], &changes).await.unwrap();
    assert!(updated.date_modified_gmt > edited_at);
    assert_eq!(
        store.updates(),
        vec![(
            simple[2],
            serde_json::json!({"description": "<p>Enriched</p>"})
        )]
    );

    assert!(store.delete_product(simple[0]));
    let (after_delete, _) = pull(&client, None).await;
    assert_eq!(after_delete.len(), 6);
    assert_eq!(store.trashed(), vec![simple[0]]);
    assert_eq!(store.product_ids().len(), 6);
}

#[tokio::test]
async fn the_public_mock_answers_the_store_currency_and_single_products_as_documented() {
    use super::mock::{MockWoo, MockWooOptions};

    let store = MockWoo::start(MockWooOptions::default()).await;
    let ids = store.seed_products(2, 0);
    let variable = store.seed_products(1, 2);
    let client = store.client();
    assert_eq!(client.currency().await.unwrap().as_str(), "EUR");

    let one = client.product(ids[1]).await.unwrap().expect("listed");
    assert_eq!((one.id, one.sku.as_str()), (ids[1], "WOO-2"));
    let (listed, _) = pull(&client, None).await;
    assert_eq!(Some(&one), listed.iter().find(|p| p.id == ids[1]));
    let parent = client.product(variable[0]).await.unwrap().expect("listed");
    assert!(parent.is_variable());
    assert_eq!(parent.variations.len(), 2);

    assert!(store.delete_product(ids[0]));
    let trashed = client.product(ids[0]).await.unwrap().expect("still shown");
    assert_eq!(trashed.status, "trash");
    assert_eq!(client.product(9999).await.unwrap(), None);
}

#[tokio::test]
async fn a_bulk_edit_ties_products_to_one_second_that_an_id_ordered_pull_reads_once() {
    use super::mock::{MockWoo, MockWooOptions};

    let store = MockWoo::start(MockWooOptions::default()).await;
    let seeded = store.seed_products(230, 0);
    let client = store.client();
    let (_, cursor) = pull(&client, None).await;
    let tied: Vec<u64> = seeded.iter().copied().step_by(2).collect();
    let at = store.touch_products(&tied);
    let (changed, next) = pull(&client, cursor).await;
    assert_eq!(ids(&changed), tied);
    assert!(changed.iter().all(|p| p.date_modified_gmt == at));
    // Again: nothing, or (read in the tie's own second) the tie once more, never in part.
    let (again, _) = pull(&client, next).await;
    assert!(again.is_empty() || ids(&again) == tied, "{:?}", ids(&again));
}

#[tokio::test]
async fn a_product_changed_in_the_cursor_second_after_the_pull_read_it_is_read_next_time() {
    // One product a second; the site's clock stands at the newest one's second while the
    // pull runs.
    let store = MockWoo::start_virtual(KEY, SECRET, catalogue(150, 1, start())).await;
    let newest = start() + chrono::Duration::seconds(149);
    store.state().now = newest;
    let client = client(&store, "https://shop.example", SECRET);
    let (all, cursor) = pull(&client, None).await;
    assert_eq!(all.len(), 150);
    // Later in that same second the merchant saves product 103, which the first page read.
    store
        .state()
        .products
        .iter_mut()
        .find(|p| p.id == 103)
        .unwrap()
        .modified_gmt = newest;
    // The next run comes later: 103 is not lost, and the newest product, sharing its second,
    // comes again (the tie window).
    store.state().now = newest + chrono::Duration::seconds(5);
    let (next, after) = pull(&client, cursor).await;
    assert_eq!(ids(&next), vec![103, 249]);
    let (quiet, _) = pull(&client, after).await;
    assert_eq!(ids(&quiet), Vec::<u64>::new());
}

#[tokio::test]
async fn a_product_edited_behind_the_page_being_read_is_not_lost() {
    // 250 products over three pages; the site's clock two seconds past the newest.
    let store = MockWoo::start_virtual(KEY, SECRET, catalogue(250, 1, start())).await;
    let newest = start() + chrono::Duration::seconds(249);
    store.state().now = newest + chrono::Duration::seconds(2);
    let client = client(&store, "https://shop.example", SECRET);
    let mut first = Pull::new(None);
    client.next_products(&mut first).await.unwrap();
    // While page 2 is fetched, the merchant saves 105 (page 1, read) then 349 (page 3).
    let edit = |id: u64, seconds: i64| {
        let mut state = store.state();
        state.now = newest + chrono::Duration::seconds(seconds);
        let at = state.now;
        state
            .products
            .iter_mut()
            .find(|p| p.id == id)
            .unwrap()
            .modified_gmt = at;
    };
    edit(105, 3);
    edit(349, 4);
    while client.next_products(&mut first).await.unwrap().is_some() {}
    store.state().now = newest + chrono::Duration::minutes(5);
    let (next, _) = pull(&client, first.cursor()).await;
    assert_eq!(ids(&next), vec![105, 349]);
}
