//! Checks of the runs API's reads (runs, their rejected rows) and of mapping profiles.

use serde_json::json;

use super::*;

pub(super) async fn runs_are_listed_newest_first_a_page_at_a_time(store: &dyn Store) {
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
                kind: started[1].kind,
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

pub(super) async fn rejected_rows_are_listed_by_line_and_column_a_page_at_a_time(
    store: &dyn Store,
) {
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

pub(super) async fn mapping_profiles_are_replaced_by_name_per_tenant(store: &dyn Store) {
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

pub(super) async fn a_mapping_profile_is_deleted_for_its_tenant_only(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    store.ensure_tenant(&acme, "Acme").await.unwrap();
    let body = json!({"columns": {"Artikel": "sku"}});
    for t in [&demo, &acme] {
        store
            .put_mapping_profile(t, "shopware", &body)
            .await
            .unwrap();
    }
    assert!(
        store
            .delete_mapping_profile(&demo, "shopware")
            .await
            .unwrap()
    );
    assert_eq!(
        store.get_mapping_profile(&demo, "shopware").await.unwrap(),
        None
    );
    assert!(
        !store
            .delete_mapping_profile(&demo, "shopware")
            .await
            .unwrap(),
        "a second delete finds nothing"
    );
    assert_eq!(
        store.get_mapping_profile(&acme, "shopware").await.unwrap(),
        Some(body),
        "another tenant's profile of that name stays"
    );
}

pub(super) async fn a_run_is_found_by_its_key_without_being_touched(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    store.ensure_tenant(&acme, "Acme").await.unwrap();
    let start = IngestRunStart {
        tenant: demo.clone(),
        run_key: "push:1".into(),
        blob_name: "demo/products/push-1.csv".into(),
        kind: FeedKind::Products,
    };
    assert_eq!(store.find_ingest_run(&demo, "push:1").await.unwrap(), None);
    let run = store.begin_ingest_run(&start).await.unwrap();
    let bad = RejectedRow {
        line: 2,
        column: "price".into(),
        value: "-1".into(),
        reason: "negative".into(),
    };
    store.apply_ingest_batch(&run, &[], &[bad]).await.unwrap();
    assert_eq!(
        store.find_ingest_run(&demo, "push:1").await.unwrap(),
        Some(run.clone())
    );
    assert_eq!(
        store
            .list_ingest_errors(&demo, &run.id, None, 10)
            .await
            .unwrap()
            .len(),
        1,
        "finding a running run keeps its rejected rows"
    );
    assert_eq!(store.find_ingest_run(&acme, "push:1").await.unwrap(), None);
}

pub(super) async fn a_running_run_shows_its_progress_until_it_finishes(store: &dyn Store) {
    let demo = tenant("demo");
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    let run = start(store, &demo, "event-1").await;
    let progress = RunProgress {
        rows_total: 40_000,
        rejected: 12,
        inserted: 1_500,
        updated: 30,
        unchanged: 470,
    };
    store.record_run_progress(&run, &progress).await.unwrap();
    let seen = store.get_ingest_run(&demo, &run.id).await.unwrap().unwrap();
    assert_eq!(seen.status, RunStatus::Running);
    assert_eq!(
        (
            seen.rows_total,
            seen.rejected,
            seen.inserted,
            seen.updated,
            seen.unchanged
        ),
        (40_000, 12, 1_500, 30, 470)
    );
    // A redelivery redoes the run from the start: its progress starts again too.
    let redone = start(store, &demo, "event-1").await;
    assert_eq!(
        (redone.id.as_str(), redone.rows_total),
        (run.id.as_str(), 0)
    );
    let seen = store.get_ingest_run(&demo, &run.id).await.unwrap().unwrap();
    assert_eq!((seen.rows_total, seen.rejected, seen.inserted), (0, 0, 0));
    // Finished, the totals are final: late progress does not move them.
    store.finish_ingest_run(&run, &finish(2)).await.unwrap();
    store.record_run_progress(&run, &progress).await.unwrap();
    let done = store.get_ingest_run(&demo, &run.id).await.unwrap().unwrap();
    assert_eq!((done.status, done.rows_total), (RunStatus::Succeeded, 2));
}
