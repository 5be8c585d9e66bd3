//! Checks of products written over the API: conditional writes that refuse a stale version,
//! soft deletes that hide a product and keep its enrichment, feeds that leave a deleted
//! product deleted, and listings sorted and filtered, paged by keyset positions.

use chrono::Duration;

use super::*;

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap() + Duration::minutes(minute)
}

fn api(sku: &str, title: &str, price: &str) -> ProductUpsert {
    let mut upsert = product(sku, title, price);
    upsert.source = "api".into();
    upsert
}

fn done(write: ProductWrite) -> (WriteChange, Option<ProductView>) {
    match write {
        ProductWrite::Done { change, product } => (change, product.map(|p| *p)),
        other => panic!("expected the write to be done, got {other:?}"),
    }
}

fn failed(current: Option<i64>) -> ProductWrite {
    ProductWrite::ConditionFailed { current }
}

pub(super) async fn conditional_writes_create_replace_and_refuse_stale_versions(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    store.ensure_tenant(&acme, "Acme").await.unwrap();
    let mug = api("MUG", "Mug", "3.00");
    let ours = &demo;
    let put = |upsert: ProductUpsert, condition, minute| async move {
        store
            .put_product(ours, &upsert, condition, at(minute))
            .await
            .unwrap()
    };

    let (change, created) = done(put(mug.clone(), WriteCondition::Absent, 0).await);
    let created = created.unwrap();
    assert_eq!(change, WriteChange::Created);
    assert_eq!((created.version, created.source.as_str()), (1, "api"));
    assert_eq!(created.content, mug.content);
    assert_eq!(created.updated_at, at(0));
    assert_eq!(
        put(mug.clone(), WriteCondition::Absent, 1).await,
        failed(Some(1)),
        "create-only refuses a live product"
    );

    let (change, same) = done(put(mug.clone(), WriteCondition::Version(1), 2).await);
    assert_eq!(change, WriteChange::Unchanged);
    assert_eq!(
        same.unwrap().updated_at,
        at(0),
        "an unchanged write writes nothing"
    );

    let dearer = api("MUG", "Mug", "4.00");
    let (change, updated) = done(put(dearer.clone(), WriteCondition::Version(1), 3).await);
    let updated = updated.unwrap();
    assert_eq!(change, WriteChange::Updated);
    assert_eq!((updated.version, updated.created_at), (2, at(0)));
    assert_eq!(updated.content_hash, dearer.content_hash);

    let cheaper = api("MUG", "Mug", "2.00");
    assert_eq!(
        put(cheaper.clone(), WriteCondition::Version(1), 4).await,
        failed(Some(2)),
        "a stale version writes nothing"
    );
    assert_eq!(
        put(mug.clone(), WriteCondition::Version(1), 4).await,
        failed(Some(2)),
        "a stale version with content equal to the current one is refused too"
    );
    let stored = store.get_product(&demo, &mug.content.sku).await.unwrap();
    assert_eq!(stored.unwrap().content_hash, dearer.content_hash);
    assert_eq!(
        put(api("NEW", "New", "1.00"), WriteCondition::Version(1), 5).await,
        failed(None),
        "a version expected of a product never stored fails with none"
    );
    let theirs = store
        .put_product(&acme, &cheaper, WriteCondition::Version(2), at(6))
        .await
        .unwrap();
    assert_eq!(
        theirs,
        failed(None),
        "another tenant's product is not there"
    );
    assert!(
        store
            .get_product(&acme, &mug.content.sku)
            .await
            .unwrap()
            .is_none()
    );
}

pub(super) async fn a_deleted_product_is_hidden_kept_from_feeds_and_restored_by_a_write(
    store: &dyn Store,
) {
    let demo = tenant("demo");
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    let mug = api("MUG", "Mug", "3.00");
    let sku = mug.content.sku.clone();
    store
        .put_product(&demo, &mug, WriteCondition::Absent, at(0))
        .await
        .unwrap();
    let enrichment = record(&mug.content_hash, "v1", false);
    store
        .save_enrichment(&demo, &sku, &enrichment, None)
        .await
        .unwrap();

    assert_eq!(
        store.delete_product(&demo, &sku, 7, at(1)).await.unwrap(),
        failed(Some(1))
    );
    let (change, gone) = done(store.delete_product(&demo, &sku, 1, at(1)).await.unwrap());
    assert_eq!((change, gone), (WriteChange::Deleted, None));
    assert!(store.get_product(&demo, &sku).await.unwrap().is_none());
    let listed = store
        .list_products(
            &demo,
            &ProductQuery {
                limit: 10,
                ..ProductQuery::default()
            },
        )
        .await
        .unwrap();
    assert!(listed.is_empty(), "a deleted product is not listed");
    assert_eq!(
        store.delete_product(&demo, &sku, 2, at(2)).await.unwrap(),
        failed(None),
        "a deleted product cannot be deleted again"
    );
    let edit = serde_json::Map::new();
    assert_eq!(
        store
            .edit_enrichment(&demo, &sku, &edit, &[], at(2))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .put_product(&demo, &mug, WriteCondition::Version(2), at(2))
            .await
            .unwrap(),
        failed(None),
        "a deleted product has no version to match"
    );

    // The feed sends it again, changed: it stays deleted.
    let run = start(store, &demo, "event-1").await;
    let feed = product("MUG", "Mug", "5.00");
    let outcome = store.apply_ingest_batch(&run, &[feed], &[]).await.unwrap();
    assert_eq!(
        (outcome.inserted, outcome.updated, outcome.unchanged),
        (0, 0, 1)
    );
    assert!(store.get_product(&demo, &sku).await.unwrap().is_none());

    let (change, back) = done(
        store
            .put_product(&demo, &mug, WriteCondition::Absent, at(3))
            .await
            .unwrap(),
    );
    let back = back.unwrap();
    assert_eq!(change, WriteChange::Restored);
    assert_eq!(back.version, 3, "the version counts on across the delete");
    assert_eq!(back.content_hash, mug.content_hash);
    let kept = back.enrichment.expect("the enrichment is kept");
    assert_eq!(
        (kept.content_hash, kept.payload),
        (enrichment.content_hash, enrichment.payload)
    );
}

/// Six products with equal titles and equal change times, so every order leans on the SKU.
async fn catalogue(store: &dyn Store, demo: &TenantId) {
    let rows = [
        ("A", "Mug", 1, Some(5), Some("Oak"), "3.00"),
        ("B", "Cup", 1, Some(0), Some("Oak"), "2.00"),
        ("C", "Mug", 0, None, None, "9.00"),
        ("D", "Bowl", 2, Some(-1), Some("Elm"), "12.50"),
        ("E", "Cup", 0, Some(3), None, "4.00"),
        ("F", "Mug", 2, Some(2), Some("Oak"), "3.50"),
    ];
    for (sku, title, minute, quantity, brand, price) in rows {
        let mut upsert = api(sku, title, price);
        upsert.content.quantity = quantity;
        upsert.content.brand = brand.map(str::to_owned);
        let upsert = ProductUpsert::new(upsert.content, None, "api");
        store
            .put_product(demo, &upsert, WriteCondition::Absent, at(minute))
            .await
            .unwrap();
    }
}

/// Every SKU of the listing, paged two at a time.
async fn paged(store: &dyn Store, demo: &TenantId, query: &ProductQuery) -> Vec<String> {
    let mut skus = Vec::new();
    let mut after = None;
    loop {
        let page_query = ProductQuery {
            limit: 2,
            after: after.clone(),
            ..query.clone()
        };
        let page = store.list_products(demo, &page_query).await.unwrap();
        skus.extend(page.iter().map(|p| p.content.sku.as_str().to_owned()));
        match page.last() {
            Some(last) if page.len() == 2 => {
                after = Some(ProductPosition::of(last, query.sort.field));
            }
            _ => return skus,
        }
    }
}

pub(super) async fn listings_sort_filter_and_page_by_position(store: &dyn Store) {
    let demo = tenant("demo");
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    catalogue(store, &demo).await;
    let sorted = |field, descending| ProductQuery {
        sort: ProductSort { field, descending },
        ..ProductQuery::default()
    };
    let expected = [
        (SortField::Sku, false, "ABCDEF"),
        (SortField::Sku, true, "FEDCBA"),
        (SortField::Title, false, "DBEACF"),
        (SortField::Title, true, "FCAEBD"),
        (SortField::UpdatedAt, false, "CEABDF"),
        (SortField::UpdatedAt, true, "FDBAEC"),
    ];
    for (field, descending, order) in expected {
        let skus = paged(store, &demo, &sorted(field, descending)).await;
        assert_eq!(skus.concat(), order, "{field:?} descending={descending}");
    }

    let ours = &demo;
    let filtered = |query: ProductQuery| async move { paged(store, ours, &query).await.concat() };
    let base = ProductQuery::default();
    let brand = ProductQuery {
        brand: Some("Oak".into()),
        ..base.clone()
    };
    assert_eq!(filtered(brand).await, "ABF");
    let in_stock = ProductQuery {
        in_stock: Some(true),
        ..base.clone()
    };
    assert_eq!(filtered(in_stock).await, "AEF");
    let out_of_stock = ProductQuery {
        in_stock: Some(false),
        ..base.clone()
    };
    assert_eq!(
        filtered(out_of_stock).await,
        "BD",
        "an unknown quantity is neither"
    );
    let eur = Currency::parse("EUR").unwrap();
    let range = |min, max| ProductQuery {
        price: Some(PriceRange {
            currency: eur,
            min_minor: min,
            max_minor: max,
        }),
        ..base.clone()
    };
    assert_eq!(filtered(range(Some(300), Some(400))).await, "AEF");
    assert_eq!(filtered(range(Some(900), None)).await, "CD");
    assert_eq!(filtered(range(None, Some(200))).await, "B");
    let dollars = ProductQuery {
        price: Some(PriceRange {
            currency: Currency::parse("USD").unwrap(),
            min_minor: None,
            max_minor: None,
        }),
        ..base.clone()
    };
    assert_eq!(
        filtered(dollars).await,
        "",
        "prices in another currency never match"
    );
    let combined = ProductQuery {
        brand: Some("Oak".into()),
        in_stock: Some(true),
        sort: ProductSort {
            field: SortField::Title,
            descending: true,
        },
        ..range(Some(300), None)
    };
    assert_eq!(filtered(combined).await, "FA");
}
