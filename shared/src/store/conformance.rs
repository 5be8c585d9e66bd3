//! What every [`Store`] must do, written against the trait so each backend runs the same
//! checks. SQLite runs them here; Azure SQL too when `ADVISOR_TEST_MSSQL` names a server.

use chrono::Utc;
use serde_json::json;

use super::*;
use crate::domain::{Currency, Money, ProductContent, ProductOption};
use crate::ingest::record::FeedKind;

fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

fn product(sku: &str, title: &str, price: &str) -> ProductUpsert {
    let content = ProductContent {
        sku: Sku::parse(sku).unwrap(),
        title: title.into(),
        description: None,
        price: Some(Money::parse(price, Currency::parse("EUR").unwrap()).unwrap()),
        quantity: Some(1),
        brand: None,
        category: Some("Kitchen".into()),
        gtin: None,
        image_url: None,
        parent: None,
        options: Vec::new(),
        attributes: Default::default(),
    };
    ProductUpsert::new(content, None, "ingest:test.csv")
}

fn rejected(line: u64) -> RejectedRow {
    RejectedRow {
        line,
        column: "price".into(),
        value: "-1".into(),
        reason: "price must not be negative".into(),
    }
}

async fn start(store: &dyn Store, tenant_id: &TenantId, key: &str) -> IngestRun {
    let start = IngestRunStart {
        tenant: tenant_id.clone(),
        run_key: key.into(),
        blob_name: "demo/test.csv".into(),
        kind: FeedKind::Products,
    };
    store.begin_ingest_run(&start).await.unwrap()
}

async fn start_kind(
    store: &dyn Store,
    tenant_id: &TenantId,
    key: &str,
    kind: FeedKind,
) -> IngestRun {
    let start = IngestRunStart {
        tenant: tenant_id.clone(),
        run_key: key.into(),
        blob_name: format!("demo/{kind}/{key}.csv"),
        kind,
    };
    store.begin_ingest_run(&start).await.unwrap()
}

fn finish(rows: u64) -> IngestRunFinish {
    IngestRunFinish {
        status: RunStatus::Succeeded,
        format: Some("csv (,)".into()),
        rows_total: rows,
        rejected: 0,
        inserted: rows,
        updated: 0,
        unchanged: 0,
        error: None,
        report_blob: "demo/test.report.json".into(),
    }
}

async fn upserts_write_only_what_changed(store: &dyn Store) {
    let demo = tenant("demo");
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    let run = start(store, &demo, "event-1").await;
    let batch = [product("A", "Mug", "3.00"), product("B", "Cup", "2.00")];
    let outcome = store.apply_ingest_batch(&run, &batch, &[]).await.unwrap();
    assert_eq!(
        (outcome.inserted, outcome.updated, outcome.unchanged),
        (2, 0, 0)
    );
    store.finish_ingest_run(&run, &finish(2)).await.unwrap();

    let run = start(store, &demo, "event-2").await;
    let batch = [product("A", "Mug", "3.00"), product("B", "Cup", "2.50")];
    let outcome = store.apply_ingest_batch(&run, &batch, &[]).await.unwrap();
    assert_eq!(
        (outcome.inserted, outcome.updated, outcome.unchanged),
        (0, 1, 1)
    );
    let changes = store.ingest_run_changes(&run).await.unwrap();
    assert_eq!(
        changes
            .iter()
            .map(|c| (c.sku.as_str(), c.inserted))
            .collect::<Vec<_>>(),
        vec![("B", false)]
    );
    let b = store
        .get_product(&demo, &Sku::parse("B").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (b.version, b.content.price.unwrap().amount_string()),
        (2, "2.50".to_owned())
    );
}

async fn a_redelivered_run_is_found_and_a_redone_one_keeps_its_changes(store: &dyn Store) {
    let demo = tenant("demo");
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    let run = start(store, &demo, "event-x").await;
    store
        .apply_ingest_batch(&run, &[product("C", "Plate", "4.00")], &[rejected(3)])
        .await
        .unwrap();
    // The attempt crashes here; the redelivery finds the same run, still running.
    let again = start(store, &demo, "event-x").await;
    assert_eq!(
        (again.id.as_str(), again.status),
        (run.id.as_str(), RunStatus::Running)
    );
    let outcome = store
        .apply_ingest_batch(&again, &[product("C", "Plate", "4.00")], &[])
        .await
        .unwrap();
    assert_eq!(
        outcome.unchanged, 1,
        "what landed before the crash is not written twice"
    );
    let changes = store.ingest_run_changes(&again).await.unwrap();
    assert_eq!(
        changes.len(),
        1,
        "but the run still owes its enrichment message"
    );
    let done = store.finish_ingest_run(&again, &finish(1)).await.unwrap();
    assert_eq!(done.status, RunStatus::Succeeded);
    let replay = start(store, &demo, "event-x").await;
    assert_eq!(
        replay.status,
        RunStatus::Succeeded,
        "a finished run is returned as it is"
    );
}

async fn enrichments_are_saved_once_per_content(store: &dyn Store) {
    let demo = tenant("demo");
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    let run = start(store, &demo, "event-e").await;
    let mug = product("E", "Mug", "3.00");
    store
        .apply_ingest_batch(&run, std::slice::from_ref(&mug), &[])
        .await
        .unwrap();
    let sku = Sku::parse("E").unwrap();
    let record = |hash: &str| EnrichmentRecord {
        content_hash: hash.into(),
        generated_by: "offline".into(),
        payload: json!({"title": "Mug"}),
        created_at: Utc::now(),
    };
    assert_eq!(
        store
            .save_enrichment(&demo, &sku, &record("stale"))
            .await
            .unwrap(),
        SaveOutcome::Stale
    );
    assert_eq!(
        store
            .save_enrichment(&demo, &sku, &record(&mug.content_hash))
            .await
            .unwrap(),
        SaveOutcome::Saved
    );
    assert_eq!(
        store
            .save_enrichment(&demo, &sku, &record(&mug.content_hash))
            .await
            .unwrap(),
        SaveOutcome::AlreadyCurrent
    );
    let view = store.get_product(&demo, &sku).await.unwrap().unwrap();
    assert!(view.enrichment.as_ref().unwrap().is_current_for(&view));
    let missing = Sku::parse("NOPE").unwrap();
    assert_eq!(
        store
            .save_enrichment(&demo, &missing, &record("x"))
            .await
            .unwrap(),
        SaveOutcome::Stale
    );
}

async fn tenants_never_see_each_other(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    store.ensure_tenant(&acme, "Acme").await.unwrap();
    store
        .add_api_key(&acme, "test", "hash-of-acme-key")
        .await
        .unwrap();
    assert_eq!(
        store.tenant_for_key_hash("hash-of-acme-key").await.unwrap(),
        Some(acme.clone())
    );
    assert_eq!(store.tenant_for_key_hash("unknown").await.unwrap(), None);
    let run = start(store, &demo, "event-t").await;
    store
        .apply_ingest_batch(&run, &[product("T", "Demo only", "1.00")], &[])
        .await
        .unwrap();
    let sku = Sku::parse("T").unwrap();
    assert!(store.get_product(&acme, &sku).await.unwrap().is_none());
    let query = ProductQuery {
        limit: 10,
        ..ProductQuery::default()
    };
    assert!(store.list_products(&acme, &query).await.unwrap().is_empty());
    assert!(!store.list_products(&demo, &query).await.unwrap().is_empty());
}

async fn products_keep_their_parent_options_and_attributes(store: &dyn Store) {
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

async fn runs_are_listed_newest_first_a_page_at_a_time(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    store.ensure_tenant(&acme, "Acme").await.unwrap();
    let kinds = [
        FeedKind::Products,
        FeedKind::Inventory,
        FeedKind::Orders,
        FeedKind::Products,
        FeedKind::Inventory,
    ];
    let mut started = Vec::new();
    for (i, kind) in kinds.into_iter().enumerate() {
        let run = start_kind(store, &demo, &format!("event-r{i}"), kind).await;
        assert_eq!((run.kind, run.status), (kind, RunStatus::Running));
        started.push(run);
    }
    let rejected_run = store
        .finish_ingest_run(
            &started[1],
            &IngestRunFinish {
                status: RunStatus::Rejected,
                format: Some("csv (;)".into()),
                rows_total: 10,
                rejected: 6,
                inserted: 0,
                updated: 0,
                unchanged: 0,
                error: Some("too many bad rows".into()),
                report_blob: "demo/inventory/event-r1.report.json".into(),
            },
        )
        .await
        .unwrap();
    let done = store
        .finish_ingest_run(&started[2], &finish(3))
        .await
        .unwrap();
    assert_eq!(
        (
            done.format.as_deref(),
            done.inserted,
            done.updated,
            done.unchanged
        ),
        (Some("csv (,)"), 3, 0, 0)
    );
    assert_eq!(
        (
            rejected_run.status,
            rejected_run.kind,
            rejected_run.rejected
        ),
        (RunStatus::Rejected, FeedKind::Inventory, 6)
    );

    let all_query = RunQuery {
        limit: 100,
        ..RunQuery::default()
    };
    let all = store.list_ingest_runs(&demo, &all_query).await.unwrap();
    assert_eq!(all.len(), 5);
    let mut expected = all.clone();
    expected.sort_by(|a, b| (b.started_at, &b.id).cmp(&(a.started_at, &a.id)));
    assert_eq!(all, expected, "newest first, ties by id");
    assert!(all.contains(&rejected_run) && all.contains(&done));

    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let query = RunQuery {
            after: after.clone(),
            limit: 2,
            status: None,
        };
        let page = store.list_ingest_runs(&demo, &query).await.unwrap();
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some(RunCursor::after(last));
        paged.extend(page);
    }
    assert_eq!(paged, all, "pages add up to the whole list");

    let rejected_only = RunQuery {
        status: Some(RunStatus::Rejected),
        ..all_query.clone()
    };
    let found = store.list_ingest_runs(&demo, &rejected_only).await.unwrap();
    assert_eq!(found, vec![rejected_run.clone()]);
    let running = RunQuery {
        status: Some(RunStatus::Running),
        ..all_query.clone()
    };
    assert_eq!(
        store.list_ingest_runs(&demo, &running).await.unwrap().len(),
        3
    );

    assert_eq!(
        store.get_ingest_run(&demo, &rejected_run.id).await.unwrap(),
        Some(rejected_run.clone())
    );
    assert_eq!(
        store.get_ingest_run(&acme, &rejected_run.id).await.unwrap(),
        None
    );
    assert_eq!(
        store.get_ingest_run(&demo, "no-such-run").await.unwrap(),
        None
    );
    assert!(
        store
            .list_ingest_runs(&acme, &all_query)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn rejected_rows_are_listed_by_line_and_column_a_page_at_a_time(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    store.ensure_tenant(&acme, "Acme").await.unwrap();
    let run = start(store, &demo, "event-rows").await;
    let cell = |line, column: &str| RejectedRow {
        column: column.into(),
        ..rejected(line)
    };
    let rows = [
        cell(7, "price"),
        cell(3, "title"),
        cell(3, "price"),
        cell(5, ""),
    ];
    store.apply_ingest_batch(&run, &[], &rows).await.unwrap();
    let page = |after: Option<(u64, String)>, limit| {
        let (demo, run_id) = (demo.clone(), run.id.clone());
        async move {
            store
                .list_ingest_errors(&demo, &run_id, after, limit)
                .await
                .unwrap()
                .into_iter()
                .map(|r| (r.line, r.column))
                .collect::<Vec<_>>()
        }
    };
    let all = vec![
        (3, "price".to_owned()),
        (3, "title".to_owned()),
        (5, String::new()),
        (7, "price".to_owned()),
    ];
    assert_eq!(page(None, 100).await, all);
    assert_eq!(page(None, 2).await, all[..2].to_vec());
    assert_eq!(page(Some(all[1].clone()), 2).await, all[2..].to_vec());
    assert_eq!(page(Some(all[3].clone()), 2).await, vec![]);
    let stored = store
        .list_ingest_errors(&demo, &run.id, None, 1)
        .await
        .unwrap();
    assert_eq!(stored, vec![cell(3, "price")]);
    assert!(
        store
            .list_ingest_errors(&acme, &run.id, None, 100)
            .await
            .unwrap()
            .is_empty(),
        "another tenant's run has no rows to show"
    );
}

async fn mapping_profiles_are_replaced_by_name_per_tenant(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    store.ensure_tenant(&acme, "Acme").await.unwrap();
    let first = json!({"columns": {"Artikel": "sku"}, "delimiter": ";"});
    let second = json!({"columns": {"Artikelnummer": "sku"}});
    store
        .put_mapping_profile(&demo, "shopware", &first)
        .await
        .unwrap();
    store
        .put_mapping_profile(&demo, "akeneo", &first)
        .await
        .unwrap();
    let before = store.list_mapping_profiles(&demo).await.unwrap();
    store
        .put_mapping_profile(&demo, "shopware", &second)
        .await
        .unwrap();
    assert_eq!(
        store.get_mapping_profile(&demo, "shopware").await.unwrap(),
        Some(second)
    );
    let after = store.list_mapping_profiles(&demo).await.unwrap();
    let names: Vec<&str> = after.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["akeneo", "shopware"]);
    assert!(after[1].1 >= before[1].1, "updated_at moves on");
    assert_eq!(
        store.get_mapping_profile(&demo, "none").await.unwrap(),
        None
    );
    assert_eq!(
        store.get_mapping_profile(&acme, "shopware").await.unwrap(),
        None
    );
    assert!(store.list_mapping_profiles(&acme).await.unwrap().is_empty());
}

fn level(sku: &str, location: &str, quantity: i64, hour: Option<u32>) -> InventoryUpsert {
    use chrono::TimeZone;
    InventoryUpsert {
        sku: Sku::parse(sku).unwrap(),
        location: location.into(),
        quantity,
        as_of: hour.map(|h| Utc.with_ymd_and_hms(2024, 5, 1, h, 0, 0).unwrap()),
    }
}

fn counts(outcome: BatchOutcome) -> (u64, u64, u64) {
    (outcome.inserted, outcome.updated, outcome.unchanged)
}

async fn stock_levels_move_forward_only_and_count_what_changed(store: &dyn Store) {
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

fn order(id: &str, lines: &[(&str, i64, i64)]) -> OrderUpsert {
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
        lines,
    }
}

async fn orders_are_written_once_and_replaced_whole_when_they_change(store: &dyn Store) {
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

/// Runs every check on a fresh SQLite store each.
mod sqlite {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    async fn fresh() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        assert_eq!(store.migrate().await.unwrap(), 2);
        assert_eq!(store.migrate().await.unwrap(), 0, "migrations apply once");
        (dir, store)
    }

    #[tokio::test]
    async fn upserts_write_only_what_changed_on_sqlite() {
        let (_dir, store) = fresh().await;
        upserts_write_only_what_changed(&store).await;
    }

    #[tokio::test]
    async fn a_redelivered_run_is_found_and_a_redone_one_keeps_its_changes_on_sqlite() {
        let (_dir, store) = fresh().await;
        a_redelivered_run_is_found_and_a_redone_one_keeps_its_changes(&store).await;
    }

    #[tokio::test]
    async fn enrichments_are_saved_once_per_content_on_sqlite() {
        let (_dir, store) = fresh().await;
        enrichments_are_saved_once_per_content(&store).await;
    }

    #[tokio::test]
    async fn tenants_never_see_each_other_on_sqlite() {
        let (_dir, store) = fresh().await;
        tenants_never_see_each_other(&store).await;
    }

    #[tokio::test]
    async fn products_keep_their_parent_options_and_attributes_on_sqlite() {
        let (_dir, store) = fresh().await;
        products_keep_their_parent_options_and_attributes(&store).await;
    }

    #[tokio::test]
    async fn runs_are_listed_newest_first_a_page_at_a_time_on_sqlite() {
        let (_dir, store) = fresh().await;
        runs_are_listed_newest_first_a_page_at_a_time(&store).await;
    }

    #[tokio::test]
    async fn rejected_rows_are_listed_by_line_and_column_a_page_at_a_time_on_sqlite() {
        let (_dir, store) = fresh().await;
        rejected_rows_are_listed_by_line_and_column_a_page_at_a_time(&store).await;
    }

    #[tokio::test]
    async fn mapping_profiles_are_replaced_by_name_per_tenant_on_sqlite() {
        let (_dir, store) = fresh().await;
        mapping_profiles_are_replaced_by_name_per_tenant(&store).await;
    }

    #[tokio::test]
    async fn stock_levels_move_forward_only_and_count_what_changed_on_sqlite() {
        let (_dir, store) = fresh().await;
        stock_levels_move_forward_only_and_count_what_changed(&store).await;
    }

    #[tokio::test]
    async fn orders_are_written_once_and_replaced_whole_when_they_change_on_sqlite() {
        let (_dir, store) = fresh().await;
        orders_are_written_once_and_replaced_whole_when_they_change(&store).await;
    }
}

/// Runs every check on a fresh SQL Server database each, when `ADVISOR_TEST_MSSQL` holds an
/// ADO.NET connection string (e.g. `server=tcp:localhost,1433;user=sa;password=…;
/// TrustServerCertificate=true`). Each test creates `advisor_test_<uuid>` and drops it after,
/// even when the check fails.
mod mssql {
    use std::future::Future;

    use super::*;
    use crate::store::mssql::{MssqlStore, test_database};

    const VARIABLE: &str = "ADVISOR_TEST_MSSQL";

    /// Runs `check` on a fresh database, or says why it did not.
    async fn on_fresh_database<F, Fut>(test: &str, check: F)
    where
        F: FnOnce(MssqlStore) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let Ok(ado) = std::env::var(VARIABLE) else {
            eprintln!(
                "{test}: skipped, {VARIABLE} is not set (an ADO.NET connection string to a SQL Server)"
            );
            return;
        };
        let (name, config) = test_database::create(&ado).await.unwrap();
        let store = MssqlStore::new(config);
        // A panic inside the spawned task is caught, so the database is dropped either way.
        let outcome = tokio::spawn({
            let store = store.clone();
            let checked = check(store.clone());
            async move {
                assert_eq!(store.migrate().await.unwrap(), 2);
                assert_eq!(store.migrate().await.unwrap(), 0, "migrations apply once");
                checked.await;
            }
        })
        .await;
        drop(store);
        test_database::drop(&ado, &name).await.unwrap();
        if let Err(failure) = outcome {
            std::panic::resume_unwind(failure.into_panic());
        }
    }

    #[tokio::test]
    async fn upserts_write_only_what_changed_on_mssql() {
        on_fresh_database(
            "upserts_write_only_what_changed_on_mssql",
            |store| async move {
                upserts_write_only_what_changed(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn a_redelivered_run_is_found_and_a_redone_one_keeps_its_changes_on_mssql() {
        on_fresh_database(
            "a_redelivered_run_is_found_and_a_redone_one_keeps_its_changes_on_mssql",
            |store| async move {
                a_redelivered_run_is_found_and_a_redone_one_keeps_its_changes(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn enrichments_are_saved_once_per_content_on_mssql() {
        on_fresh_database(
            "enrichments_are_saved_once_per_content_on_mssql",
            |store| async move {
                enrichments_are_saved_once_per_content(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn tenants_never_see_each_other_on_mssql() {
        on_fresh_database(
            "tenants_never_see_each_other_on_mssql",
            |store| async move {
                tenants_never_see_each_other(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn products_keep_their_parent_options_and_attributes_on_mssql() {
        on_fresh_database(
            "products_keep_their_parent_options_and_attributes_on_mssql",
            |store| async move {
                products_keep_their_parent_options_and_attributes(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn runs_are_listed_newest_first_a_page_at_a_time_on_mssql() {
        on_fresh_database(
            "runs_are_listed_newest_first_a_page_at_a_time_on_mssql",
            |store| async move {
                runs_are_listed_newest_first_a_page_at_a_time(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn rejected_rows_are_listed_by_line_and_column_a_page_at_a_time_on_mssql() {
        on_fresh_database(
            "rejected_rows_are_listed_by_line_and_column_a_page_at_a_time_on_mssql",
            |store| async move {
                rejected_rows_are_listed_by_line_and_column_a_page_at_a_time(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn mapping_profiles_are_replaced_by_name_per_tenant_on_mssql() {
        on_fresh_database(
            "mapping_profiles_are_replaced_by_name_per_tenant_on_mssql",
            |store| async move {
                mapping_profiles_are_replaced_by_name_per_tenant(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn stock_levels_move_forward_only_and_count_what_changed_on_mssql() {
        on_fresh_database(
            "stock_levels_move_forward_only_and_count_what_changed_on_mssql",
            |store| async move {
                stock_levels_move_forward_only_and_count_what_changed(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn orders_are_written_once_and_replaced_whole_when_they_change_on_mssql() {
        on_fresh_database(
            "orders_are_written_once_and_replaced_whole_when_they_change_on_mssql",
            |store| async move {
                orders_are_written_once_and_replaced_whole_when_they_change(&store).await;
            },
        )
        .await;
    }
}
