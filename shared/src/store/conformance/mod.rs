//! What every [`Store`] must do, written against the trait so each backend runs the same
//! checks. SQLite runs them here; Azure SQL too when `ADVISOR_TEST_MSSQL` names a server.

use chrono::{TimeZone, Utc};

mod analytics;
mod connections;
mod enrichments;
mod feeds;
mod keys;
mod product_writes;
mod runs;
mod sync;
mod videos;

use super::*;
use crate::domain::{Currency, Money, ProductContent};
use crate::ingest::record::FeedKind;

use self::analytics::*;
use self::connections::*;
use self::enrichments::*;
use self::feeds::*;
use self::keys::*;
use self::product_writes::*;
use self::runs::*;
use self::sync::*;
use self::videos::*;

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
        kind: FeedKind::Products,
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
    // The run's changes come in pages by SKU.
    let first = store.ingest_run_changes(&run, None, 1).await.unwrap();
    assert_eq!(first.len(), 1);
    let rest = store
        .ingest_run_changes(&run, Some(&first[0].sku), 10)
        .await
        .unwrap();
    assert_eq!(
        first
            .iter()
            .chain(&rest)
            .map(|c| c.sku.as_str())
            .collect::<Vec<_>>(),
        vec!["A", "B"]
    );
    store.finish_ingest_run(&run, &finish(2)).await.unwrap();

    let run = start(store, &demo, "event-2").await;
    let batch = [product("A", "Mug", "3.00"), product("B", "Cup", "2.50")];
    let outcome = store.apply_ingest_batch(&run, &batch, &[]).await.unwrap();
    assert_eq!(
        (outcome.inserted, outcome.updated, outcome.unchanged),
        (0, 1, 1)
    );
    let changes = store.ingest_run_changes(&run, None, 1000).await.unwrap();
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

async fn an_older_row_never_overwrites_a_newer_one(store: &dyn Store) {
    let demo = tenant("demo");
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    let at = |day: u32| Some(Utc.with_ymd_and_hms(2025, 3, day, 10, 0, 0).unwrap());
    let dated = |title: &str, price: &str, day: u32| {
        let upsert = product("A", title, price);
        ProductUpsert::new(upsert.content, at(day), "ingest:test.csv")
    };
    let run = start(store, &demo, "event-1").await;
    store
        .apply_ingest_batch(&run, &[dated("Mug", "3.00", 10)], &[])
        .await
        .unwrap();
    // A partner re-sends last week's export: it changes nothing.
    let run = start(store, &demo, "event-2").await;
    let outcome = store
        .apply_ingest_batch(&run, &[dated("Old mug", "2.00", 3)], &[])
        .await
        .unwrap();
    assert_eq!(
        (outcome.inserted, outcome.updated, outcome.unchanged),
        (0, 0, 1)
    );
    assert!(
        store
            .ingest_run_changes(&run, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let a = store
        .get_product(&demo, &Sku::parse("A").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((a.content.title.as_str(), a.version), ("Mug", 1));
    // The same moment or later, or a row without a time, does change it.
    let run = start(store, &demo, "event-3").await;
    let outcome = store
        .apply_ingest_batch(&run, &[dated("New mug", "3.50", 10)], &[])
        .await
        .unwrap();
    assert_eq!(outcome.updated, 1);
    let outcome = store
        .apply_ingest_batch(&run, &[product("A", "Undated mug", "3.50")], &[])
        .await
        .unwrap();
    assert_eq!(outcome.updated, 1);
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
    let changes = store.ingest_run_changes(&again, None, 1000).await.unwrap();
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

async fn tenants_never_see_each_other(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    store.ensure_tenant(&acme, "Acme").await.unwrap();
    let key = crate::auth::api_key_record(
        &acme,
        "test",
        "acme-key",
        vec![crate::auth::Scope::Read],
        Utc::now(),
    );
    store.add_api_key(&key).await.unwrap();
    assert_eq!(
        store.tenant_for_key_hash(&key.key_hash).await.unwrap(),
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

/// Runs every check on a fresh SQLite store each.
mod sqlite {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    async fn fresh() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        assert_eq!(
            store.migrate().await.unwrap(),
            crate::store::sqlite::MIGRATIONS.len()
        );
        assert_eq!(store.migrate().await.unwrap(), 0, "migrations apply once");
        (dir, store)
    }

    #[tokio::test]
    async fn upserts_write_only_what_changed_on_sqlite() {
        let (_dir, store) = fresh().await;
        upserts_write_only_what_changed(&store).await;
    }

    #[tokio::test]
    async fn a_running_run_shows_its_progress_until_it_finishes_on_sqlite() {
        let (_dir, store) = fresh().await;
        a_running_run_shows_its_progress_until_it_finishes(&store).await;
    }

    #[tokio::test]
    async fn an_older_row_never_overwrites_a_newer_one_on_sqlite() {
        let (_dir, store) = fresh().await;
        an_older_row_never_overwrites_a_newer_one(&store).await;
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
    async fn ai_tokens_are_tallied_and_waiting_enrichments_listed_on_sqlite() {
        let (_dir, store) = fresh().await;
        ai_tokens_are_tallied_and_waiting_enrichments_listed(&store).await;
    }

    #[tokio::test]
    async fn products_whose_enrichment_message_was_lost_are_found_on_sqlite() {
        let (_dir, store) = fresh().await;
        products_whose_enrichment_message_was_lost_are_found(&store).await;
    }

    #[tokio::test]
    async fn edited_fields_are_locked_per_product_and_tenant_on_sqlite() {
        let (_dir, store) = fresh().await;
        edited_fields_are_locked_per_product_and_tenant(&store).await;
    }

    #[tokio::test]
    async fn enrichment_runs_are_listed_newest_first_a_page_at_a_time_on_sqlite() {
        let (_dir, store) = fresh().await;
        enrichment_runs_are_listed_newest_first_a_page_at_a_time(&store).await;
    }

    #[tokio::test]
    async fn enrichment_runs_advance_once_and_count_slices_once_on_sqlite() {
        let (_dir, store) = fresh().await;
        enrichment_runs_advance_once_and_count_slices_once(&store).await;
    }

    #[tokio::test]
    async fn api_keys_are_found_listed_and_revoked_per_tenant_on_sqlite() {
        let (_dir, store) = fresh().await;
        api_keys_are_found_listed_and_revoked_per_tenant(&store).await;
    }

    #[tokio::test]
    async fn a_key_use_is_recorded_at_most_once_a_minute_on_sqlite() {
        let (_dir, store) = fresh().await;
        a_key_use_is_recorded_at_most_once_a_minute(&store).await;
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
    async fn connections_are_put_replaced_listed_and_deleted_per_tenant_on_sqlite() {
        let (_dir, store) = fresh().await;
        connections_are_put_replaced_listed_and_deleted_per_tenant(&store).await;
    }

    #[tokio::test]
    async fn mapping_profiles_are_replaced_by_name_per_tenant_on_sqlite() {
        let (_dir, store) = fresh().await;
        mapping_profiles_are_replaced_by_name_per_tenant(&store).await;
    }

    #[tokio::test]
    async fn a_run_is_found_by_its_key_without_being_touched_on_sqlite() {
        let (_dir, store) = fresh().await;
        a_run_is_found_by_its_key_without_being_touched(&store).await;
    }

    #[tokio::test]
    async fn a_mapping_profile_is_deleted_for_its_tenant_only_on_sqlite() {
        let (_dir, store) = fresh().await;
        a_mapping_profile_is_deleted_for_its_tenant_only(&store).await;
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

    #[tokio::test]
    async fn daily_sales_equal_a_rebuild_after_inserts_changes_and_replays_on_sqlite() {
        let (_dir, store) = fresh().await;
        daily_sales_equal_a_rebuild_after_inserts_changes_and_replays(&store).await;
    }

    #[tokio::test]
    async fn days_are_the_tenants_local_days_and_a_new_zone_rebuckets_them_on_sqlite() {
        let (_dir, store) = fresh().await;
        days_are_the_tenants_local_days_and_a_new_zone_rebuckets_them(&store).await;
    }

    #[tokio::test]
    async fn conditional_writes_create_replace_and_refuse_stale_versions_on_sqlite() {
        let (_dir, store) = fresh().await;
        conditional_writes_create_replace_and_refuse_stale_versions(&store).await;
    }

    #[tokio::test]
    async fn a_deleted_product_is_hidden_kept_from_feeds_and_restored_by_a_write_on_sqlite() {
        let (_dir, store) = fresh().await;
        a_deleted_product_is_hidden_kept_from_feeds_and_restored_by_a_write(&store).await;
    }

    #[tokio::test]
    async fn listings_sort_filter_and_page_by_position_on_sqlite() {
        let (_dir, store) = fresh().await;
        listings_sort_filter_and_page_by_position(&store).await;
    }

    #[tokio::test]
    async fn orders_are_read_back_by_last_change_with_their_lines_on_sqlite() {
        let (_dir, store) = fresh().await;
        orders_are_read_back_by_last_change_with_their_lines(&store).await;
    }

    #[tokio::test]
    async fn a_sync_job_is_made_once_and_saved_only_at_the_version_it_was_read_on_sqlite() {
        let (_dir, store) = fresh().await;
        a_sync_job_is_made_once_and_saved_only_at_the_version_it_was_read(&store).await;
    }

    #[tokio::test]
    async fn one_job_of_a_connection_and_kind_is_claimed_at_a_time_and_the_oldest_waits_next_on_sqlite()
     {
        let (_dir, store) = fresh().await;
        one_job_of_a_connection_and_kind_is_claimed_at_a_time_and_the_oldest_waits_next(&store)
            .await;
    }

    #[tokio::test]
    async fn sync_jobs_are_listed_newest_first_a_page_at_a_time_per_platform_on_sqlite() {
        let (_dir, store) = fresh().await;
        sync_jobs_are_listed_newest_first_a_page_at_a_time_per_platform(&store).await;
    }

    #[tokio::test]
    async fn sync_cursors_are_stored_and_replaced_per_platform_kind_and_tenant_on_sqlite() {
        let (_dir, store) = fresh().await;
        sync_cursors_are_stored_and_replaced_per_platform_kind_and_tenant(&store).await;
    }

    #[tokio::test]
    async fn sync_links_are_replaced_and_found_by_sku_by_remote_and_as_primaries_on_sqlite() {
        let (_dir, store) = fresh().await;
        sync_links_are_replaced_and_found_by_sku_by_remote_and_as_primaries(&store).await;
    }

    #[tokio::test]
    async fn a_batch_of_sync_links_lands_whole_or_not_at_all_on_sqlite() {
        let (_dir, store) = fresh().await;
        a_batch_of_sync_links_lands_whole_or_not_at_all(&store).await;
    }

    #[tokio::test]
    async fn sync_problems_collapse_into_one_entry_counted_once_per_job_on_sqlite() {
        let (_dir, store) = fresh().await;
        sync_problems_collapse_into_one_entry_counted_once_per_job(&store).await;
    }

    #[tokio::test]
    async fn the_inbox_is_listed_newest_first_by_status_and_platform_a_page_at_a_time_on_sqlite() {
        let (_dir, store) = fresh().await;
        the_inbox_is_listed_newest_first_by_status_and_platform_a_page_at_a_time(&store).await;
    }

    #[tokio::test]
    async fn every_tenants_connections_are_listed_by_tenant_then_platform_on_sqlite() {
        let (_dir, store) = fresh().await;
        every_tenants_connections_are_listed_by_tenant_then_platform(&store).await;
    }

    #[tokio::test]
    async fn a_video_is_made_once_and_saved_only_at_the_version_it_was_read_on_sqlite() {
        let (_dir, store) = fresh().await;
        a_video_is_made_once_and_saved_only_at_the_version_it_was_read(&store).await;
    }

    #[tokio::test]
    async fn videos_are_listed_newest_first_a_page_at_a_time_by_sku_and_status_on_sqlite() {
        let (_dir, store) = fresh().await;
        videos_are_listed_newest_first_a_page_at_a_time_by_sku_and_status(&store).await;
    }

    #[tokio::test]
    async fn a_full_video_analysis_is_read_back_exactly_as_it_was_written_on_sqlite() {
        let (_dir, store) = fresh().await;
        a_full_video_analysis_is_read_back_exactly_as_it_was_written(&store).await;
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
                assert_eq!(
                    store.migrate().await.unwrap(),
                    crate::store::sqlite::MIGRATIONS.len()
                );
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
    async fn a_running_run_shows_its_progress_until_it_finishes_on_mssql() {
        on_fresh_database(
            "a_running_run_shows_its_progress_until_it_finishes_on_mssql",
            |store| async move {
                a_running_run_shows_its_progress_until_it_finishes(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn an_older_row_never_overwrites_a_newer_one_on_mssql() {
        on_fresh_database(
            "an_older_row_never_overwrites_a_newer_one_on_mssql",
            |store| async move {
                an_older_row_never_overwrites_a_newer_one(&store).await;
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
    async fn edited_fields_are_locked_per_product_and_tenant_on_mssql() {
        on_fresh_database(
            "edited_fields_are_locked_per_product_and_tenant_on_mssql",
            |store| async move {
                edited_fields_are_locked_per_product_and_tenant(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn enrichment_runs_are_listed_newest_first_a_page_at_a_time_on_mssql() {
        on_fresh_database(
            "enrichment_runs_are_listed_newest_first_a_page_at_a_time_on_mssql",
            |store| async move {
                enrichment_runs_are_listed_newest_first_a_page_at_a_time(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn enrichment_runs_advance_once_and_count_slices_once_on_mssql() {
        on_fresh_database(
            "enrichment_runs_advance_once_and_count_slices_once_on_mssql",
            |store| async move {
                enrichment_runs_advance_once_and_count_slices_once(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn products_whose_enrichment_message_was_lost_are_found_on_mssql() {
        on_fresh_database(
            "products_whose_enrichment_message_was_lost_are_found_on_mssql",
            |store| async move {
                products_whose_enrichment_message_was_lost_are_found(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn ai_tokens_are_tallied_and_waiting_enrichments_listed_on_mssql() {
        on_fresh_database(
            "ai_tokens_are_tallied_and_waiting_enrichments_listed_on_mssql",
            |store| async move {
                ai_tokens_are_tallied_and_waiting_enrichments_listed(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn api_keys_are_found_listed_and_revoked_per_tenant_on_mssql() {
        on_fresh_database(
            "api_keys_are_found_listed_and_revoked_per_tenant_on_mssql",
            |store| async move {
                api_keys_are_found_listed_and_revoked_per_tenant(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn a_key_use_is_recorded_at_most_once_a_minute_on_mssql() {
        on_fresh_database(
            "a_key_use_is_recorded_at_most_once_a_minute_on_mssql",
            |store| async move {
                a_key_use_is_recorded_at_most_once_a_minute(&store).await;
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
    async fn connections_are_put_replaced_listed_and_deleted_per_tenant_on_mssql() {
        on_fresh_database(
            "connections_are_put_replaced_listed_and_deleted_per_tenant_on_mssql",
            |store| async move {
                connections_are_put_replaced_listed_and_deleted_per_tenant(&store).await;
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
    async fn a_run_is_found_by_its_key_without_being_touched_on_mssql() {
        on_fresh_database(
            "a_run_is_found_by_its_key_without_being_touched_on_mssql",
            |store| async move {
                a_run_is_found_by_its_key_without_being_touched(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn a_mapping_profile_is_deleted_for_its_tenant_only_on_mssql() {
        on_fresh_database(
            "a_mapping_profile_is_deleted_for_its_tenant_only_on_mssql",
            |store| async move {
                a_mapping_profile_is_deleted_for_its_tenant_only(&store).await;
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

    #[tokio::test]
    async fn daily_sales_equal_a_rebuild_after_inserts_changes_and_replays_on_mssql() {
        on_fresh_database(
            "daily_sales_equal_a_rebuild_after_inserts_changes_and_replays_on_mssql",
            |store| async move {
                daily_sales_equal_a_rebuild_after_inserts_changes_and_replays(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn conditional_writes_create_replace_and_refuse_stale_versions_on_mssql() {
        on_fresh_database(
            "conditional_writes_create_replace_and_refuse_stale_versions_on_mssql",
            |store| async move {
                conditional_writes_create_replace_and_refuse_stale_versions(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn days_are_the_tenants_local_days_and_a_new_zone_rebuckets_them_on_mssql() {
        on_fresh_database(
            "days_are_the_tenants_local_days_and_a_new_zone_rebuckets_them_on_mssql",
            |store| async move {
                days_are_the_tenants_local_days_and_a_new_zone_rebuckets_them(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn a_deleted_product_is_hidden_kept_from_feeds_and_restored_by_a_write_on_mssql() {
        on_fresh_database(
            "a_deleted_product_is_hidden_kept_from_feeds_and_restored_by_a_write_on_mssql",
            |store| async move {
                a_deleted_product_is_hidden_kept_from_feeds_and_restored_by_a_write(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn listings_sort_filter_and_page_by_position_on_mssql() {
        on_fresh_database(
            "listings_sort_filter_and_page_by_position_on_mssql",
            |store| async move {
                listings_sort_filter_and_page_by_position(&store).await;
            },
        )
        .await;
    }
    #[tokio::test]
    async fn orders_are_read_back_by_last_change_with_their_lines_on_mssql() {
        on_fresh_database(
            "orders_are_read_back_by_last_change_with_their_lines_on_mssql",
            |store| async move {
                orders_are_read_back_by_last_change_with_their_lines(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn a_sync_job_is_made_once_and_saved_only_at_the_version_it_was_read_on_mssql() {
        on_fresh_database(
            "a_sync_job_is_made_once_and_saved_only_at_the_version_it_was_read_on_mssql",
            |store| async move {
                a_sync_job_is_made_once_and_saved_only_at_the_version_it_was_read(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn one_job_of_a_connection_and_kind_is_claimed_at_a_time_and_the_oldest_waits_next_on_mssql()
     {
        on_fresh_database(
            "one_job_of_a_connection_and_kind_is_claimed_at_a_time_and_the_oldest_waits_next_on_mssql",
            |store| async move {
                one_job_of_a_connection_and_kind_is_claimed_at_a_time_and_the_oldest_waits_next(
                    &store,
                )
                .await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn sync_jobs_are_listed_newest_first_a_page_at_a_time_per_platform_on_mssql() {
        on_fresh_database(
            "sync_jobs_are_listed_newest_first_a_page_at_a_time_per_platform_on_mssql",
            |store| async move {
                sync_jobs_are_listed_newest_first_a_page_at_a_time_per_platform(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn sync_cursors_are_stored_and_replaced_per_platform_kind_and_tenant_on_mssql() {
        on_fresh_database(
            "sync_cursors_are_stored_and_replaced_per_platform_kind_and_tenant_on_mssql",
            |store| async move {
                sync_cursors_are_stored_and_replaced_per_platform_kind_and_tenant(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn sync_links_are_replaced_and_found_by_sku_by_remote_and_as_primaries_on_mssql() {
        on_fresh_database(
            "sync_links_are_replaced_and_found_by_sku_by_remote_and_as_primaries_on_mssql",
            |store| async move {
                sync_links_are_replaced_and_found_by_sku_by_remote_and_as_primaries(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn a_batch_of_sync_links_lands_whole_or_not_at_all_on_mssql() {
        on_fresh_database(
            "a_batch_of_sync_links_lands_whole_or_not_at_all_on_mssql",
            |store| async move {
                a_batch_of_sync_links_lands_whole_or_not_at_all(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn sync_problems_collapse_into_one_entry_counted_once_per_job_on_mssql() {
        on_fresh_database(
            "sync_problems_collapse_into_one_entry_counted_once_per_job_on_mssql",
            |store| async move {
                sync_problems_collapse_into_one_entry_counted_once_per_job(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn the_inbox_is_listed_newest_first_by_status_and_platform_a_page_at_a_time_on_mssql() {
        on_fresh_database(
            "the_inbox_is_listed_newest_first_by_status_and_platform_a_page_at_a_time_on_mssql",
            |store| async move {
                the_inbox_is_listed_newest_first_by_status_and_platform_a_page_at_a_time(&store)
                    .await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn every_tenants_connections_are_listed_by_tenant_then_platform_on_mssql() {
        on_fresh_database(
            "every_tenants_connections_are_listed_by_tenant_then_platform_on_mssql",
            |store| async move {
                every_tenants_connections_are_listed_by_tenant_then_platform(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn a_video_is_made_once_and_saved_only_at_the_version_it_was_read_on_mssql() {
        on_fresh_database(
            "a_video_is_made_once_and_saved_only_at_the_version_it_was_read_on_mssql",
            |store| async move {
                a_video_is_made_once_and_saved_only_at_the_version_it_was_read(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn videos_are_listed_newest_first_a_page_at_a_time_by_sku_and_status_on_mssql() {
        on_fresh_database(
            "videos_are_listed_newest_first_a_page_at_a_time_by_sku_and_status_on_mssql",
            |store| async move {
                videos_are_listed_newest_first_a_page_at_a_time_by_sku_and_status(&store).await;
            },
        )
        .await;
    }

    #[tokio::test]
    async fn a_full_video_analysis_is_read_back_exactly_as_it_was_written_on_mssql() {
        on_fresh_database(
            "a_full_video_analysis_is_read_back_exactly_as_it_was_written_on_mssql",
            |store| async move {
                a_full_video_analysis_is_read_back_exactly_as_it_was_written(&store).await;
            },
        )
        .await;
    }
}
