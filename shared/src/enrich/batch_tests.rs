use chrono::Utc;

use super::*;
use crate::domain::{ProductContent, Sku};
use crate::ingest::record::FeedKind;
use crate::store::sqlite::SqliteStore;
use crate::store::{IngestRunStart, ProductUpsert};

const PRODUCTS: usize = 2_100;

async fn catalogue() -> (tempfile::TempDir, SqliteStore, TenantId) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    store.migrate().await.unwrap();
    let tenant = TenantId::parse("acme").unwrap();
    store.ensure_tenant(&tenant, "Acme").await.unwrap();
    let start = IngestRunStart {
        tenant: tenant.clone(),
        run_key: "event-1".into(),
        blob_name: "acme/products.csv".into(),
        kind: FeedKind::Products,
    };
    let run = store.begin_ingest_run(&start).await.unwrap();
    let products: Vec<ProductUpsert> = (0..PRODUCTS)
        .map(|i| {
            let content = ProductContent {
                sku: Sku::parse(&format!("SKU-{i:05}")).unwrap(),
                title: format!("Stoneware mug number {i}"),
                description: None,
                price: None,
                quantity: None,
                brand: None,
                category: Some(if i % 3 == 0 { "Mugs" } else { "Plates" }.into()),
                gtin: None,
                image_url: None,
                parent: None,
                options: Vec::new(),
                attributes: Default::default(),
            };
            ProductUpsert::new(content, None, "test")
        })
        .collect();
    store
        .apply_ingest_batch(&run, &products, &[])
        .await
        .unwrap();
    (dir, store, tenant)
}

fn begin(tenant: &TenantId, filter: EnrichmentFilter, force: bool) -> EnrichmentRunStart {
    EnrichmentRunStart {
        id: uuid::Uuid::new_v4().to_string(),
        tenant: tenant.clone(),
        filter,
        force,
        created_at: Utc::now(),
    }
}

/// Delivers every message (each twice, as the queue may), scans first, until none is left.
async fn deliver_all(store: &dyn Store, first: EnrichRequest) -> u64 {
    let engine = AiEngine::Offline;
    let mut queue = vec![first];
    let mut delivered = 0;
    while let Some(request) = queue.pop() {
        for _ in 0..2 {
            let tally = crate::enrich::handle(store, &engine, &request)
                .await
                .unwrap();
            delivered += 1;
            if delivered % 2 == 1 {
                queue.extend(tally.pages);
            }
        }
    }
    delivered
}

#[tokio::test]
async fn a_run_scans_page_by_page_and_counts_each_product_once_despite_redelivery() {
    let (_dir, store, tenant) = catalogue().await;
    let (run, first) = start(&store, &begin(&tenant, EnrichmentFilter::default(), false))
        .await
        .unwrap();
    assert_eq!(run.status(), "scanning");
    let Some(EnrichRequest::BatchScan(first_scan)) = first.clone() else {
        panic!("a first scan step")
    };
    // One step, twice: the same messages both times, counted once.
    let once = scan(&store, &first_scan).await.unwrap();
    let twice = scan(&store, &first_scan).await.unwrap();
    assert_eq!(once, twice);
    assert_eq!(
        once.len(),
        1000 / SLICE_PRODUCTS + 1,
        "20 slices and the next step"
    );
    let after_one = store
        .get_enrichment_run(&tenant, &run.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((after_one.matched, after_one.slices), (1000, 20));

    let (_, again) = start(&store, &begin(&tenant, EnrichmentFilter::default(), false))
        .await
        .unwrap();
    deliver_all(&store, again.unwrap()).await;
    deliver_all(&store, first.unwrap()).await;
    let done = store
        .get_enrichment_run(&tenant, &run.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status(), "finished", "{done:?}");
    // The last step delivered again after the run finished still sends its slices (its first
    // messages may have been lost), and counts nothing twice.
    let last = BatchScan {
        after: Some("SKU-01999".into()),
        ..first_scan.clone()
    };
    let resent = scan(&store, &last).await.unwrap();
    assert_eq!(resent.len(), 2, "100 products in 2 slices, no next step");
    let again = store
        .get_enrichment_run(&tenant, &run.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.matched, again.slices), (done.matched, done.slices));
    assert_eq!(
        (done.matched, done.slices, done.slices_done),
        (PRODUCTS as u64, 42, 42)
    );
    assert_eq!(
        done.enriched + done.already_current,
        PRODUCTS as u64,
        "{done:?}"
    );
    assert_eq!(done.gone, 0);
}

#[tokio::test]
async fn a_forced_run_redoes_only_its_filtered_products_once() {
    let (_dir, store, tenant) = catalogue().await;
    let everything = begin(&tenant, EnrichmentFilter::default(), false);
    let (_, first) = start(&store, &everything).await.unwrap();
    deliver_all(&store, first.unwrap()).await;
    let sku = |i: usize| Sku::parse(&format!("SKU-{i:05}")).unwrap();
    let before = |i| {
        let store = &store;
        let tenant = &tenant;
        async move {
            let p = store.get_product(tenant, &sku(i)).await.unwrap().unwrap();
            p.enrichment.unwrap().created_at
        }
    };
    let (mug_before, plate_before) = (before(0).await, before(1).await);

    let mugs = EnrichmentFilter {
        category: Some("Mugs".into()),
        ..EnrichmentFilter::default()
    };
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let forced = begin(&tenant, mugs, true);
    let (run, first) = start(&store, &forced).await.unwrap();
    deliver_all(&store, first.unwrap()).await;
    let done = store
        .get_enrichment_run(&tenant, &run.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.matched, 700);
    assert_eq!((done.enriched, done.already_current), (700, 0), "{done:?}");
    assert!(before(0).await > mug_before, "a mug was redone");
    assert_eq!(before(1).await, plate_before, "a plate was not");
}

#[tokio::test]
async fn a_filter_on_the_engine_keeps_only_products_it_enriched() {
    let (_dir, store, tenant) = catalogue().await;
    let filter = EnrichmentFilter {
        generated_by: Some("openai".into()),
        ..EnrichmentFilter::default()
    };
    let (run, first) = start(&store, &begin(&tenant, filter, false)).await.unwrap();
    deliver_all(&store, first.unwrap()).await;
    let done = store
        .get_enrichment_run(&tenant, &run.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (done.matched, done.slices, done.status()),
        (0, 0, "finished")
    );
}
