//! Checks of what the feeds write: products with variants, stock levels and orders.

use chrono::Utc;

use super::*;
use crate::domain::ProductOption;

pub(super) async fn products_keep_their_parent_options_and_attributes(store: &dyn Store) {
    let demo = tenant("demo");
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    let run = start(store, &demo, "event-v").await;
    let mut variant = product("MUG-NAVY", "Mug, navy", "3.00");
    variant.content.parent = Some("MUG".into());
    variant.content.options = vec![ProductOption {
        name: "Colour".into(),
        value: "Navy".into(),
    }];
    variant.content.attributes = [("material".to_owned(), "stoneware".to_owned())].into();
    let variant = ProductUpsert::new(variant.content, None, "ingest:test.csv");
    let plain = product("PLATE", "Plate", "4.00");
    store
        .apply_ingest_batch(&run, &[variant.clone(), plain.clone()], &[])
        .await
        .unwrap();
    let stored = store
        .get_product(&demo, &variant.content.sku)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.content, variant.content);
    assert_eq!(stored.content_hash, variant.content_hash);
    let query = ProductQuery {
        limit: 10,
        ..ProductQuery::default()
    };
    let listed = store.list_products(&demo, &query).await.unwrap();
    let contents: Vec<_> = listed.into_iter().map(|p| p.content).collect();
    assert_eq!(
        contents,
        vec![variant.content.clone(), plain.content.clone()]
    );

    // Dropping the options is a change, and reads back as none.
    let mut bare = variant.content.clone();
    bare.options.clear();
    bare.attributes.clear();
    let bare = ProductUpsert::new(bare, None, "ingest:test.csv");
    let outcome = store
        .apply_ingest_batch(&run, std::slice::from_ref(&bare), &[])
        .await
        .unwrap();
    assert_eq!(outcome.updated, 1);
    let stored = store
        .get_product(&demo, &bare.content.sku)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.content, bare.content);
}

pub(super) fn level(
    sku: &str,
    location: &str,
    quantity: i64,
    hour: Option<u32>,
) -> InventoryUpsert {
    use chrono::TimeZone;
    InventoryUpsert {
        sku: Sku::parse(sku).unwrap(),
        location: location.into(),
        quantity,
        as_of: hour.map(|h| Utc.with_ymd_and_hms(2024, 5, 1, h, 0, 0).unwrap()),
    }
}

pub(super) fn counts(outcome: BatchOutcome) -> (u64, u64, u64) {
    (outcome.inserted, outcome.updated, outcome.unchanged)
}

pub(super) async fn stock_levels_move_forward_only_and_count_what_changed(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    store.ensure_tenant(&acme, "Acme").await.unwrap();
    let run = start_kind(store, &demo, "event-i1", FeedKind::Inventory).await;
    let batch = [
        level("A", "default", 5, Some(10)),
        level("A", "berlin", 2, Some(10)),
        level("B", "default", 1, None),
    ];
    let outcome = store
        .apply_inventory_batch(&run, &batch, &[rejected(4)])
        .await
        .unwrap();
    assert_eq!(counts(outcome), (3, 0, 0));
    let replay = store
        .apply_inventory_batch(&run, &batch, &[])
        .await
        .unwrap();
    assert_eq!(counts(replay), (0, 0, 3), "a replayed batch writes nothing");

    let run2 = start_kind(store, &demo, "event-i2", FeedKind::Inventory).await;
    let batch = [
        level("A", "default", 9, Some(9)),  // older: ignored
        level("A", "berlin", 2, Some(11)),  // same quantity, newer: written
        level("B", "default", 3, None),     // undated: written
        level("C", "default", 1, Some(10)), // new
        level("C", "default", 4, Some(12)), // repeated in the batch: the later one wins
    ];
    let outcome = store
        .apply_inventory_batch(&run2, &batch, &[])
        .await
        .unwrap();
    assert_eq!(counts(outcome), (1, 3, 1));
    let again = [
        level("A", "default", 5, Some(10)),
        level("C", "default", 4, Some(12)),
        level("C", "default", 3, Some(11)),
    ];
    let outcome = store
        .apply_inventory_batch(&run2, &again, &[])
        .await
        .unwrap();
    assert_eq!(
        counts(outcome),
        (0, 0, 3),
        "the older level was never stored"
    );
    let errors = store
        .list_ingest_errors(&demo, &run.id, None, 10)
        .await
        .unwrap();
    assert_eq!(errors, vec![rejected(4)]);

    let theirs = start_kind(store, &acme, "event-i1", FeedKind::Inventory).await;
    let outcome = store
        .apply_inventory_batch(&theirs, &[level("A", "default", 5, Some(10))], &[])
        .await
        .unwrap();
    assert_eq!(
        counts(outcome),
        (1, 0, 0),
        "another tenant's levels are its own"
    );
}

pub(super) fn order(id: &str, lines: &[(&str, i64, i64)]) -> OrderUpsert {
    use chrono::TimeZone;
    let lines: Vec<OrderLineUpsert> = lines
        .iter()
        .map(|(sku, quantity, price)| OrderLineUpsert {
            sku: Sku::parse(sku).unwrap(),
            quantity: *quantity,
            unit_price_minor: *price,
        })
        .collect();
    OrderUpsert {
        order_id: id.into(),
        placed_at: Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap(),
        currency: Currency::parse("EUR").unwrap(),
        total_minor: lines.iter().map(|l| l.quantity * l.unit_price_minor).sum(),
        tax_minor: Some(19),
        shipping_minor: None,
        customer_ref: Some("C-1".into()),
        channel: None,
        lines,
    }
}

pub(super) async fn orders_are_written_once_and_replaced_whole_when_they_change(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    store.ensure_tenant(&acme, "Acme").await.unwrap();
    let run = start_kind(store, &demo, "event-o1", FeedKind::Orders).await;
    let batch = [
        order("1001", &[("A", 2, 300), ("B", 1, 250)]),
        order("1002", &[("A", 1, 300)]),
    ];
    let outcome = store
        .apply_order_batch(&run, &batch, &[rejected(9)])
        .await
        .unwrap();
    assert_eq!(counts(outcome), (2, 0, 0));
    let replay = store.apply_order_batch(&run, &batch, &[]).await.unwrap();
    assert_eq!(counts(replay), (0, 0, 2), "a replayed batch writes nothing");

    let run2 = start_kind(store, &demo, "event-o2", FeedKind::Orders).await;
    let changed = [
        order("1001", &[("A", 3, 300)]),
        order("1002", &[("A", 1, 300)]),
        order("1003", &[("C", 1, 100)]),
        order("1003", &[("C", 2, 100)]),
    ];
    let outcome = store.apply_order_batch(&run2, &changed, &[]).await.unwrap();
    assert_eq!(counts(outcome), (1, 2, 1));
    let outcome = store
        .apply_order_batch(&run2, &changed[..1], &[])
        .await
        .unwrap();
    assert_eq!(counts(outcome), (0, 0, 1));
    let errors = store
        .list_ingest_errors(&demo, &run.id, None, 10)
        .await
        .unwrap();
    assert_eq!(errors, vec![rejected(9)]);

    let theirs = start_kind(store, &acme, "event-o1", FeedKind::Orders).await;
    let outcome = store.apply_order_batch(&theirs, &batch, &[]).await.unwrap();
    assert_eq!(
        counts(outcome),
        (2, 0, 0),
        "another tenant's orders are its own"
    );
}
