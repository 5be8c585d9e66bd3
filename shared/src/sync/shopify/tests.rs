//! The client against the mock shop: pulls under throttling, incremental pulls, storms,
//! auth failures, push-back, deletions and time zones.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use super::map::{ProblemKind, product_rows};
use super::mock::{MockShopify, Storm, catalogue};
use super::*;

const TOKEN: &str = "shpat_test_token";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 8, 6, 0, 0).unwrap()
}

fn client(shop: &MockShopify, token: &str) -> ShopifyClient {
    ShopifyClient::with_clock(
        "acme.myshopify.com",
        Secret::new(token),
        API_VERSION,
        Some(shop.base_url()),
        shop.clock.clone(),
        RetryPolicy::default(),
    )
    .unwrap()
}

/// Every page from `since`, as the engine would walk them.
async fn pull(client: &ShopifyClient, since: Option<DateTime<Utc>>) -> Vec<ShopifyProduct> {
    let mut products = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = client.products_page(since, after.as_deref()).await.unwrap();
        assert!(page.products.len() <= PRODUCTS_PER_PAGE as usize);
        products.extend(page.products);
        match page.next {
            Some(next) => after = Some(next),
            None => return products,
        }
    }
}

fn assert_each_once(products: &[ShopifyProduct], expected: usize) {
    let ids: HashSet<&str> = products.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(products.len(), expected, "products returned");
    assert_eq!(ids.len(), expected, "distinct product ids");
}

#[tokio::test]
async fn a_full_pull_of_a_throttling_2000_product_shop_returns_every_product_once() {
    let shop = MockShopify::start_virtual(TOKEN, catalogue(2000, 7, start())).await;
    let client = client(&shop, TOKEN);
    let info = client.shop().await.unwrap();
    let products = pull(&client, None).await;
    assert_each_once(&products, 2000);
    let skus: Vec<String> = products
        .iter()
        .flat_map(|p| product_rows(p, info.currency).rows)
        .map(|row| row.sku.as_str().to_owned())
        .collect();
    let distinct: HashSet<&String> = skus.iter().collect();
    assert_eq!((skus.len(), distinct.len()), (4000, 4000));
    assert!(
        products.windows(2).all(
            |w| (w[0].updated_at, &w[0].id) <= (w[1].updated_at, &w[1].id)
                || w[0].updated_at < w[1].updated_at
        ),
        "oldest change first"
    );
    // 134 pages asking ~800 points each from a 1,000-point bucket refilling at 50/s: the
    // client had to wait for the bucket, and did so before asking rather than after a refusal.
    assert!(shop.clock.now() > std::time::Duration::from_secs(100));
    assert_eq!(shop.state().natural_throttles, 0);
}

#[tokio::test]
async fn a_second_pull_returns_only_the_changes_and_the_overlap_window_each_once() {
    let shop = MockShopify::start_virtual(TOKEN, catalogue(2000, 7, start())).await;
    let client = client(&shop, TOKEN);
    let first = pull(&client, None).await;
    let cursor = first.iter().map(|p| p.updated_at).max().unwrap();
    let changed = [1_000_005_u64, 1_000_017, 1_001_999];
    {
        let mut state = shop.state();
        for product in state
            .products
            .iter_mut()
            .filter(|p| changed.contains(&p.id))
        {
            product.updated_at = cursor + chrono::Duration::minutes(5);
        }
    }
    let second = pull(&client, Some(cursor)).await;
    let ids: BTreeSet<String> = second.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids.len(), second.len(), "no product twice");
    let window_start = cursor - chrono::Duration::from_std(OVERLAP).unwrap();
    let overlap: BTreeSet<String> = shop
        .state()
        .products
        .iter()
        .filter(|p| p.updated_at >= window_start && p.updated_at <= cursor)
        .map(|p| format!("gid://shopify/Product/{}", p.id))
        .collect();
    let expected: BTreeSet<String> = changed
        .iter()
        .map(|id| format!("gid://shopify/Product/{id}"))
        .chain(overlap.iter().cloned())
        .collect();
    assert_eq!(ids, expected);
    // The ids the overlap re-reads: the last two minutes before the cursor, here 840-odd
    // products because the mock saved seven per second. Upserts by id make them no-ops.
    assert!(overlap.len() > 800, "{}", overlap.len());
    assert_eq!(second.len(), changed.len() + overlap.len());
}

#[tokio::test]
async fn a_throttling_storm_of_throttled_bodies_429s_and_503s_completes() {
    let shop = MockShopify::start_virtual(TOKEN, catalogue(300, 4, start())).await;
    shop.state().storm.extend([
        Storm::TooMany("0.5"),
        Storm::Throttled,
        Storm::Pass,
        Storm::Unavailable,
        Storm::TooMany("1.25"),
        Storm::Pass,
        Storm::Throttled,
        Storm::Unavailable,
        Storm::TooMany("2.0"),
    ]);
    let client = client(&shop, TOKEN);
    let products = pull(&client, None).await;
    assert_each_once(&products, 300);
    let state = shop.state();
    assert!(state.storm.is_empty());
    assert_eq!(
        state.early_retries, 0,
        "Retry-After honoured to the fraction"
    );
    // After each THROTTLED (bucket drained to 0) the client came back only once the bucket
    // had refilled enough, or the mock would have counted a throttle of its own.
    assert_eq!(state.natural_throttles, 0);
}

#[tokio::test]
async fn server_errors_are_retried_with_growing_back_off_then_reported_as_retriable() {
    let shop = MockShopify::start_virtual(TOKEN, catalogue(10, 1, start())).await;
    shop.state().storm.extend([Storm::Unavailable; 20]);
    let err = client(&shop, TOKEN).shop().await.unwrap_err();
    assert!(
        matches!(err, ShopifyError::Unavailable { attempts: 8, .. }),
        "{err:?}"
    );
    assert!(err.is_retriable());
    // 0.5 + 1 + 2 + 4 + 8 + 16 + 32 seconds between the eight attempts.
    assert_eq!(shop.clock.now(), std::time::Duration::from_millis(63_500));
}

#[tokio::test]
async fn a_request_that_times_out_is_retried() {
    let shop = MockShopify::start_virtual(TOKEN, catalogue(5, 1, start())).await;
    shop.state().storm.push_back(Storm::Stall);
    let retry = RetryPolicy {
        attempt_timeout: std::time::Duration::from_millis(200),
        ..RetryPolicy::default()
    };
    let client = ShopifyClient::with_clock(
        "acme.myshopify.com",
        Secret::new(TOKEN),
        API_VERSION,
        Some(shop.base_url()),
        shop.clock.clone(),
        retry,
    )
    .unwrap();
    let page = client.products_page(None, None).await.unwrap();
    assert_eq!(page.products.len(), 5);
    assert_eq!(shop.state().requests, 2);
    // One base back-off on the virtual clock after the timeout.
    assert_eq!(shop.clock.now(), std::time::Duration::from_millis(500));
}

#[tokio::test]
async fn a_storm_that_outlasts_the_retry_bounds_is_a_retriable_throttled_error() {
    let shop = MockShopify::start_virtual(TOKEN, catalogue(10, 1, start())).await;
    shop.state().storm.extend([Storm::TooMany("1.5"); 20]);
    let err = client(&shop, TOKEN)
        .products_page(None, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ShopifyError::Throttled { attempts: 8, .. }),
        "{err:?}"
    );
    assert!(err.is_retriable());
    assert_eq!(shop.state().requests, 8);
}

#[tokio::test]
async fn a_wrong_token_is_an_auth_error_without_retries() {
    let shop = MockShopify::start_virtual(TOKEN, catalogue(10, 1, start())).await;
    let err = client(&shop, "shpat_wrong")
        .products_page(None, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ShopifyError::Auth { status: 401, .. }),
        "{err:?}"
    );
    assert!(err.is_auth() && !err.is_retriable());
    assert_eq!(shop.state().requests, 1);
}

#[tokio::test]
async fn product_update_sends_only_the_changed_fields_and_never_variants() {
    let mut products = catalogue(3, 1, start());
    products[0].description_html = "<p>old</p>".into();
    products[0].seo_title = Some("Mug".into());
    let shop = MockShopify::start_virtual(TOKEN, products).await;
    let client = client(&shop, TOKEN);
    let current = pull(&client, None).await;
    let mug = current
        .iter()
        .find(|p| p.description_html == "<p>old</p>")
        .unwrap();
    let wanted = EnrichedFields {
        description_html: Some("<p>Hand-thrown stoneware mug.</p>".into()),
        seo_title: Some("Mug".into()),
        seo_description: Some("A hand-thrown mug".into()),
    };
    let changes = ProductChanges::between(mug, &wanted).unwrap();
    let updated_at = client.update_product(&changes).await.unwrap();
    let sent = shop.state().updates.clone();
    assert_eq!(
        sent,
        vec![serde_json::json!({
            "id": mug.id,
            "descriptionHtml": "<p>Hand-thrown stoneware mug.</p>",
            "seo": {"description": "A hand-thrown mug"},
        })]
    );
    assert!(updated_at > mug.updated_at);
    // Pulled again, nothing is left to push.
    let again = pull(&client, None).await;
    let mug = again.iter().find(|p| p.id == mug.id).unwrap();
    assert_eq!(mug.updated_at, updated_at);
    assert_eq!(ProductChanges::between(mug, &wanted), None);
}

#[tokio::test]
async fn product_update_user_errors_are_typed() {
    let shop = MockShopify::start_virtual(TOKEN, catalogue(1, 1, start())).await;
    let changes = ProductChanges {
        id: "gid://shopify/Product/42".into(),
        description_html: Some("<p>x</p>".into()),
        seo_title: None,
        seo_description: None,
    };
    let err = client(&shop, TOKEN)
        .update_product(&changes)
        .await
        .unwrap_err();
    let ShopifyError::UserErrors(errors) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(errors[0].field, Some(vec!["id".to_owned()]));
    assert!(!err.is_retriable());
}

#[tokio::test]
async fn a_variant_without_a_sku_is_reported_not_invented() {
    let mut products = catalogue(1, 1, start());
    products[0].variants[1].sku = None;
    let shop = MockShopify::start_virtual(TOKEN, products).await;
    let client = client(&shop, TOKEN);
    let currency = client.shop().await.unwrap().currency;
    let pulled = pull(&client, None).await;
    let mapped = product_rows(&pulled[0], currency);
    assert_eq!(mapped.rows.len(), 1);
    assert_eq!(mapped.rows[0].sku.as_str(), "SKU-0-S");
    assert_eq!(mapped.rows[0].price.unwrap().amount_string(), "10.00");
    assert_eq!(mapped.rows[0].parent.as_deref(), Some("product-1000000"));
    assert_eq!(mapped.problems.len(), 1);
    assert_eq!(mapped.problems[0].kind, ProblemKind::MissingSku);
    assert_eq!(
        mapped.problems[0].variant_id.as_deref(),
        Some("gid://shopify/ProductVariant/5000001")
    );
}

#[tokio::test]
async fn timestamps_in_the_shop_offset_are_read_as_utc() {
    let shop = MockShopify::start_virtual(TOKEN, catalogue(4, 1, start())).await;
    shop.state().offset = FixedOffset::west_opt(5 * 3600);
    let pulled = pull(&client(&shop, TOKEN), None).await;
    let times: Vec<DateTime<Utc>> = pulled.iter().map(|p| p.updated_at).collect();
    let expected: Vec<DateTime<Utc>> = (0..4)
        .map(|n| start() + chrono::Duration::seconds(n))
        .collect();
    assert_eq!(times, expected);
}

#[tokio::test]
async fn deletion_events_are_paged_and_filtered_by_time() {
    let shop = MockShopify::start_virtual(TOKEN, catalogue(1, 1, start())).await;
    shop.state().deletions = (0..150)
        .map(|n| {
            (
                2_000_000 + n,
                start() + chrono::Duration::seconds(i64::try_from(n).unwrap()),
            )
        })
        .collect();
    let client = client(&shop, TOKEN);
    let mut events = Vec::new();
    let mut after: Option<String> = None;
    let since = start() + chrono::Duration::seconds(9);
    loop {
        let page = client
            .deletion_events_page(Some(since), after.as_deref())
            .await
            .unwrap();
        events.extend(page.events);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(events.len(), 140);
    assert_eq!(events[0].subject_id, "gid://shopify/Product/2000010");
    assert!(
        events
            .iter()
            .all(|e| e.occurred_at > since && e.subject_type == "PRODUCT")
    );
}

#[test]
fn the_endpoint_is_built_from_a_myshopify_domain_and_a_dated_version() {
    let endpoint = super::endpoint("acme.myshopify.com", API_VERSION, None).unwrap();
    assert_eq!(
        endpoint,
        format!("https://acme.myshopify.com/admin/api/{API_VERSION}/graphql.json")
    );
    assert!(super::endpoint("acme.com", API_VERSION, None).is_err());
    assert!(super::endpoint("acme.myshopify.com", "latest", None).is_err());
}
