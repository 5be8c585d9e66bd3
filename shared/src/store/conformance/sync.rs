//! The sync engine's store: jobs made once and claimed by compare-and-set, cursors, links and
//! the collapsing error inbox, each per tenant.

use chrono::{DateTime, Duration};
use serde_json::json;

use super::*;
use crate::connections::{ObjectKind, Platform};

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 9, minute, 0).unwrap() + Duration::milliseconds(250)
}

fn job(tenant_id: &TenantId, id: &str, platform: Platform, created: DateTime<Utc>) -> SyncJob {
    SyncJob::queued(
        tenant_id.clone(),
        id.into(),
        platform,
        ObjectKind::Products,
        SyncTrigger::Webhook,
        Some(SyncTargets {
            ids: vec!["gid://shopify/Product/1".into()],
            deleted: false,
            force_push: true,
        }),
        created,
    )
}

async fn tenants(store: &dyn Store) -> (TenantId, TenantId) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    store.ensure_tenant(&acme, "Acme").await.unwrap();
    (demo, acme)
}

pub(super) async fn a_sync_job_is_made_once_and_saved_only_at_the_version_it_was_read(
    store: &dyn Store,
) {
    let (demo, acme) = tenants(store).await;
    let first = job(&demo, "w-shopify-1", Platform::Shopify, at(0));
    let (stored, made) = store.create_sync_job(&first).await.unwrap();
    assert!(made);
    assert_eq!(stored, first);
    // A redelivered trigger makes nothing and gets the first job back, as it was made.
    let mut again = job(&demo, "w-shopify-1", Platform::WooCommerce, at(5));
    again.trigger = SyncTrigger::Manual;
    again.targets = None;
    let (stored, made) = store.create_sync_job(&again).await.unwrap();
    assert!(!made);
    assert_eq!(stored, first);
    assert_eq!(
        store.get_sync_job(&acme, "w-shopify-1").await.unwrap(),
        None
    );

    // Two deliveries read version 1 and both try to claim it: only the first wins.
    let mut claim = stored.clone();
    claim.status = SyncStatus::Running;
    claim.started_at = Some(at(1));
    claim.lease_until = Some(at(6));
    claim.progress.pages = 2;
    claim.progress.resume = Some("page-3".into());
    let mut rival = stored.clone();
    rival.status = SyncStatus::Failed;
    rival.progress.error = Some("late".into());
    assert!(store.save_sync_job(&claim).await.unwrap());
    assert!(!store.save_sync_job(&rival).await.unwrap());
    let saved = store.get_sync_job(&demo, "w-shopify-1").await.unwrap();
    let expected = SyncJob {
        version: 2,
        ..claim.clone()
    };
    assert_eq!(saved, Some(expected.clone()));
    // The winner goes on from the version it now holds; the other tenant's id is not touched.
    let mut done = expected;
    done.status = SyncStatus::Succeeded;
    done.finished_at = Some(at(3));
    done.lease_until = None;
    assert!(store.save_sync_job(&done).await.unwrap());
    let finished = store.get_sync_job(&demo, "w-shopify-1").await.unwrap();
    assert_eq!(
        finished.map(|j| (j.version, j.status)),
        Some((3, SyncStatus::Succeeded))
    );
    let other = SyncJob {
        tenant: acme,
        ..done
    };
    assert!(!store.save_sync_job(&other).await.unwrap());
}

/// `job` claimed: running, leased until `until`.
fn claimed(job: &SyncJob, until: DateTime<Utc>) -> SyncJob {
    SyncJob {
        status: SyncStatus::Running,
        started_at: Some(job.created_at),
        lease_until: Some(until),
        ..job.clone()
    }
}

pub(super) async fn one_job_of_a_connection_and_kind_is_claimed_at_a_time_and_the_oldest_waits_next(
    store: &dyn Store,
) {
    let (demo, acme) = tenants(store).await;
    let make = |tenant: &TenantId, id: &str, platform, kind, minute| {
        let mut job = job(tenant, id, platform, at(minute));
        job.kind = kind;
        job
    };
    let jobs = [
        make(&demo, "a", Platform::Shopify, ObjectKind::Products, 0),
        make(&demo, "c", Platform::Shopify, ObjectKind::Products, 2),
        make(&demo, "b", Platform::Shopify, ObjectKind::Products, 2),
        make(&demo, "orders", Platform::Shopify, ObjectKind::Orders, 0),
        make(&demo, "woo", Platform::WooCommerce, ObjectKind::Products, 0),
        make(&acme, "a", Platform::Shopify, ObjectKind::Products, 0),
    ];
    for job in &jobs {
        assert!(store.create_sync_job(job).await.unwrap().1);
    }
    let next = |tenant: TenantId, platform, kind| async move {
        store
            .next_queued_sync_job(&tenant, platform, kind)
            .await
            .unwrap()
    };
    let products = (Platform::Shopify, ObjectKind::Products);
    // The oldest queued job first; between two made at once, the smaller id.
    assert_eq!(
        next(demo.clone(), products.0, products.1).await.as_deref(),
        Some("a")
    );

    // `a` is claimed; `b` of the same connection and kind cannot be, even though its version
    // is right; the other kind, platform and tenant can.
    assert!(
        store
            .claim_sync_job(&claimed(&jobs[0], at(9)))
            .await
            .unwrap()
    );
    assert!(
        !store
            .claim_sync_job(&claimed(&jobs[2], at(9)))
            .await
            .unwrap()
    );
    assert_eq!(
        store.get_sync_job(&demo, "b").await.unwrap().as_ref(),
        Some(&jobs[2])
    );
    for other in &jobs[3..] {
        assert!(
            store.claim_sync_job(&claimed(other, at(9))).await.unwrap(),
            "{}",
            other.id
        );
    }
    // The running job claims itself again (its next slice, at its new version).
    let mut running = claimed(&jobs[0], at(9));
    running.version += 1;
    running.lease_until = None;
    assert!(store.save_sync_job(&running).await.unwrap());
    running.version += 1;
    running.lease_until = Some(at(12));
    assert!(store.claim_sync_job(&running).await.unwrap());
    running.version += 1;
    assert_eq!(
        next(demo.clone(), products.0, products.1).await.as_deref(),
        Some("b")
    );

    // Once it ends, `b` is next and can be claimed; then `c` waits for it.
    running.status = SyncStatus::Succeeded;
    running.lease_until = None;
    assert!(store.save_sync_job(&running).await.unwrap());
    assert!(
        store
            .claim_sync_job(&claimed(&jobs[2], at(13)))
            .await
            .unwrap()
    );
    assert_eq!(
        next(demo.clone(), products.0, products.1).await.as_deref(),
        Some("c")
    );
    assert!(
        !store
            .claim_sync_job(&claimed(&jobs[1], at(13)))
            .await
            .unwrap()
    );
    assert_eq!(next(acme, products.0, products.1).await, None);
}

fn ids(jobs: &[SyncJob]) -> Vec<&str> {
    jobs.iter().map(|j| j.id.as_str()).collect()
}

pub(super) async fn sync_jobs_are_listed_newest_first_a_page_at_a_time_per_platform(
    store: &dyn Store,
) {
    let (demo, acme) = tenants(store).await;
    for (id, platform, created) in [
        ("j1", Platform::Shopify, at(1)),
        ("j2", Platform::WooCommerce, at(2)),
        ("j3", Platform::Shopify, at(2)),
        ("j4", Platform::Shopify, at(3)),
    ] {
        let (_, made) = store
            .create_sync_job(&job(&demo, id, platform, created))
            .await
            .unwrap();
        assert!(made);
    }
    let page = store.list_sync_jobs(&demo, None, None, 2).await.unwrap();
    assert_eq!(
        ids(&page),
        ["j4", "j3"],
        "newest first, then by id, descending"
    );
    let after = (page[1].created_at, page[1].id.clone());
    let page = store
        .list_sync_jobs(&demo, None, Some(&after), 2)
        .await
        .unwrap();
    assert_eq!(ids(&page), ["j2", "j1"]);
    let after = (page[1].created_at, page[1].id.clone());
    let rest = store.list_sync_jobs(&demo, None, Some(&after), 2).await;
    assert!(rest.unwrap().is_empty());
    let shopify = store
        .list_sync_jobs(&demo, Some(Platform::Shopify), None, 10)
        .await
        .unwrap();
    assert_eq!(ids(&shopify), ["j4", "j3", "j1"]);
    let after = (at(2), "j3".to_owned());
    let shopify = store
        .list_sync_jobs(&demo, Some(Platform::Shopify), Some(&after), 10)
        .await
        .unwrap();
    assert_eq!(ids(&shopify), ["j1"]);
    assert!(
        store
            .list_sync_jobs(&acme, None, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub(super) async fn sync_cursors_are_stored_and_replaced_per_platform_kind_and_tenant(
    store: &dyn Store,
) {
    let (demo, acme) = tenants(store).await;
    let (shopify, products) = (Platform::Shopify, ObjectKind::Products);
    assert_eq!(
        store.sync_cursor(&demo, shopify, products).await.unwrap(),
        None
    );
    let first = r#"{"updated_at":"2026-04-01T09:00:00Z"}"#;
    store
        .put_sync_cursor(&demo, shopify, products, first, at(0))
        .await
        .unwrap();
    let read = store.sync_cursor(&demo, shopify, products).await.unwrap();
    assert_eq!(read.as_deref(), Some(first));
    let second = r#"{"updated_at":"2026-04-01T09:30:00Z"}"#;
    store
        .put_sync_cursor(&demo, shopify, products, second, at(30))
        .await
        .unwrap();
    let read = store.sync_cursor(&demo, shopify, products).await.unwrap();
    assert_eq!(read.as_deref(), Some(second), "a put replaces the cursor");
    let elsewhere = [
        (&demo, shopify, ObjectKind::Inventory),
        (&demo, Platform::WooCommerce, products),
        (&acme, shopify, products),
    ];
    for (tenant_id, platform, kind) in elsewhere {
        let read = store.sync_cursor(tenant_id, platform, kind).await.unwrap();
        assert_eq!(read, None, "{tenant_id:?} {platform:?} {kind:?}");
    }
}

fn link(tenant_id: &TenantId, sku: &str, remote: &str, primary: bool) -> SyncLink {
    SyncLink {
        tenant: tenant_id.clone(),
        platform: Platform::Shopify,
        sku: Sku::parse(sku).unwrap(),
        remote_id: remote.into(),
        remote_variant_id: Some(format!("{remote}/variant/{sku}")),
        primary,
        remote_hash: Some(owned_fields_hash(Some("Mug"), None, None)),
        pushed_hash: None,
        pushed_at: None,
        updated_at: at(0),
    }
}

fn skus(links: &[SyncLink]) -> Vec<&str> {
    links.iter().map(|l| l.sku.as_str()).collect()
}

fn sku_list(names: &[&str]) -> Vec<Sku> {
    names.iter().map(|s| Sku::parse(s).unwrap()).collect()
}

pub(super) async fn sync_links_are_replaced_and_found_by_sku_by_remote_and_as_primaries(
    store: &dyn Store,
) {
    let (demo, acme) = tenants(store).await;
    let links = [
        link(&demo, "A", "p1", true),
        link(&demo, "B", "p1", false),
        link(&demo, "C", "p2", true),
        link(&demo, "D", "p3", true),
    ];
    store.put_sync_links(&links).await.unwrap();
    let shopify = Platform::Shopify;
    let mut found = store
        .sync_links(&demo, shopify, &sku_list(&["C", "Z", "A"]))
        .await
        .unwrap();
    found.sort_by(|a, b| a.sku.cmp(&b.sku));
    assert_eq!(found, [links[0].clone(), links[2].clone()]);
    assert!(
        store
            .sync_links(&demo, shopify, &[])
            .await
            .unwrap()
            .is_empty()
    );
    let by_remote = store.sync_links_for_remote(&demo, shopify, "p1").await;
    assert_eq!(skus(&by_remote.unwrap()), ["A", "B"]);
    let page = store.primary_sync_links(&demo, shopify, None, 2).await;
    assert_eq!(skus(&page.unwrap()), ["A", "C"]);
    let after = Sku::parse("C").unwrap();
    let page = store
        .primary_sync_links(&demo, shopify, Some(&after), 2)
        .await;
    assert_eq!(skus(&page.unwrap()), ["D"]);

    // A put replaces the link whole: A moves to p2 as a variant, after a push.
    let mut moved = link(&demo, "A", "p2", false);
    moved.remote_variant_id = None;
    moved.pushed_hash = Some(owned_fields_hash(Some("Mug"), Some("Mug | Demo"), None));
    moved.pushed_at = Some(at(7));
    moved.updated_at = at(7);
    store
        .put_sync_links(std::slice::from_ref(&moved))
        .await
        .unwrap();
    let found = store.sync_links(&demo, shopify, &sku_list(&["A"])).await;
    assert_eq!(found.unwrap(), [moved]);
    let page = store.primary_sync_links(&demo, shopify, None, 10).await;
    assert_eq!(skus(&page.unwrap()), ["C", "D"]);
    let by_remote = store.sync_links_for_remote(&demo, shopify, "p2").await;
    assert_eq!(skus(&by_remote.unwrap()), ["A", "C"]);

    // Other platforms and tenants see none of it.
    let all = sku_list(&["A", "B", "C", "D"]);
    let woo = Platform::WooCommerce;
    assert!(store.sync_links(&demo, woo, &all).await.unwrap().is_empty());
    assert!(
        store
            .sync_links(&acme, shopify, &all)
            .await
            .unwrap()
            .is_empty()
    );
    let none = store.sync_links_for_remote(&acme, shopify, "p2").await;
    assert!(none.unwrap().is_empty());
    let none = store.primary_sync_links(&acme, shopify, None, 10).await;
    assert!(none.unwrap().is_empty());
}

pub(super) async fn a_batch_of_sync_links_lands_whole_or_not_at_all(store: &dyn Store) {
    let (demo, _) = tenants(store).await;
    // The second link names a tenant that does not exist: the first must not land either.
    let batch = [
        link(&demo, "E", "p9", true),
        link(&tenant("ghost"), "F", "p9", true),
    ];
    assert!(store.put_sync_links(&batch).await.is_err());
    let found = store
        .sync_links(&demo, Platform::Shopify, &sku_list(&["E"]))
        .await
        .unwrap();
    assert!(found.is_empty(), "{found:?}");
}

fn problem(record: &str, message: &str) -> SyncProblem {
    SyncProblem {
        kind: ObjectKind::Products,
        record: record.into(),
        code: "bad_price".into(),
        message: message.into(),
        detail: json!({"price": "-1.00"}),
    }
}

async fn issue(store: &dyn Store, tenant_id: &TenantId, id: &str) -> SyncIssue {
    store.get_sync_issue(tenant_id, id).await.unwrap().unwrap()
}

pub(super) async fn sync_problems_collapse_into_one_entry_counted_once_per_job(store: &dyn Store) {
    let (demo, acme) = tenants(store).await;
    let shopify = Platform::Shopify;
    let bad = problem("gid://shopify/Product/7", "The price is negative.");
    let id = bad.issue_id(shopify);
    // The same problem twice in one job, and the job redelivered: one occurrence.
    let twice = [bad.clone(), bad.clone()];
    store
        .record_sync_problems(&demo, shopify, "job-1", &twice, at(1))
        .await
        .unwrap();
    store
        .record_sync_problems(&demo, shopify, "job-1", &twice, at(2))
        .await
        .unwrap();
    let entry = issue(store, &demo, &id).await;
    let expected = SyncIssue {
        id: id.clone(),
        platform: shopify,
        kind: ObjectKind::Products,
        record: bad.record.clone(),
        code: "bad_price".into(),
        message: bad.message.clone(),
        detail: bad.detail.clone(),
        status: IssueStatus::Open,
        occurrences: 1,
        first_seen: at(1),
        last_seen: at(2),
        last_job: "job-1".into(),
        resolved_at: None,
    };
    assert_eq!(entry, expected);

    // Another job meets it again, with particulars that are not an object.
    let mut again = problem(&bad.record, "The price is still negative.");
    again.detail = json!(null);
    store
        .record_sync_problems(&demo, shopify, "job-2", &[again.clone()], at(3))
        .await
        .unwrap();
    let entry = issue(store, &demo, &id).await;
    assert_eq!(
        (entry.occurrences, entry.message.as_str(), &entry.detail),
        (2, again.message.as_str(), &json!(null))
    );
    assert_eq!((entry.first_seen, entry.last_seen), (at(1), at(3)));

    // Resolved, then met again: reopened, one more occurrence.
    let resolved = store
        .set_sync_issue_status(&demo, &id, IssueStatus::Resolved, at(4))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (resolved.status, resolved.resolved_at),
        (IssueStatus::Resolved, Some(at(4)))
    );
    store
        .record_sync_problems(&demo, shopify, "job-3", std::slice::from_ref(&bad), at(5))
        .await
        .unwrap();
    let entry = issue(store, &demo, &id).await;
    assert_eq!((entry.status, entry.resolved_at), (IssueStatus::Open, None));
    assert_eq!((entry.occurrences, entry.last_job.as_str()), (3, "job-3"));
    assert_eq!(entry.detail, bad.detail);
    sync_issue_status_is_set_for_its_tenant_only(store, &demo, &acme, &id).await;
}

async fn sync_issue_status_is_set_for_its_tenant_only(
    store: &dyn Store,
    demo: &TenantId,
    acme: &TenantId,
    id: &str,
) {
    let resolve = IssueStatus::Resolved;
    let missing = store.set_sync_issue_status(demo, "no-such-entry", resolve, at(6));
    assert_eq!(missing.await.unwrap(), None);
    let foreign = store.set_sync_issue_status(acme, id, resolve, at(6));
    assert_eq!(foreign.await.unwrap(), None);
    assert_eq!(store.get_sync_issue(acme, id).await.unwrap(), None);
    assert_eq!(issue(store, demo, id).await.status, IssueStatus::Open);
    let done = store.set_sync_issue_status(demo, id, resolve, at(7)).await;
    assert_eq!(done.unwrap().unwrap().resolved_at, Some(at(7)));
    let reopened = store.set_sync_issue_status(demo, id, IssueStatus::Open, at(8));
    let reopened = reopened.await.unwrap().unwrap();
    assert_eq!(
        (reopened.status, reopened.resolved_at),
        (IssueStatus::Open, None)
    );
}

fn issue_ids(issues: &[SyncIssue]) -> Vec<&str> {
    issues.iter().map(|i| i.id.as_str()).collect()
}

pub(super) async fn the_inbox_is_listed_newest_first_by_status_and_platform_a_page_at_a_time(
    store: &dyn Store,
) {
    let (demo, acme) = tenants(store).await;
    let (shopify, woo) = (Platform::Shopify, Platform::WooCommerce);
    // Two met at the same moment (ordered by id, descending), one later, one on another
    // platform later still.
    let (a, b) = (problem("r-a", "a"), problem("r-b", "b"));
    let (c, d) = (problem("r-c", "c"), problem("r-d", "d"));
    let record = |platform: Platform, problems: Vec<SyncProblem>, minute: u32| {
        let demo = demo.clone();
        async move {
            let job = format!("job-{minute}");
            let recorded = store.record_sync_problems(&demo, platform, &job, &problems, at(minute));
            recorded.await.unwrap();
        }
    };
    record(shopify, vec![a.clone(), b.clone()], 1).await;
    record(shopify, vec![c.clone()], 2).await;
    record(woo, vec![d.clone()], 3).await;
    let (a, b, c, d) = (
        a.issue_id(shopify),
        b.issue_id(shopify),
        c.issue_id(shopify),
        d.issue_id(woo),
    );
    let (first, second) = if a > b { (&a, &b) } else { (&b, &a) };
    store
        .set_sync_issue_status(&demo, &c, IssueStatus::Resolved, at(4))
        .await
        .unwrap();
    let list = |platform: Option<Platform>,
                status: Option<IssueStatus>,
                after: Option<(DateTime<Utc>, String)>,
                limit: u32| {
        let query = IssueQuery {
            platform,
            status,
            after,
            limit,
        };
        let demo = demo.clone();
        async move { store.list_sync_issues(&demo, &query).await.unwrap() }
    };
    let all = list(None, None, None, 10).await;
    assert_eq!(issue_ids(&all), [&d, &c, first, second]);
    // One at a time, each page going on from the last entry of the one before.
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = list(None, None, after.clone(), 1).await;
        let Some(last) = page.last() else { break };
        after = Some((last.last_seen, last.id.clone()));
        paged.extend(page);
    }
    assert_eq!(paged, all);
    let open = list(None, Some(IssueStatus::Open), None, 10).await;
    assert_eq!(issue_ids(&open), [&d, first, second]);
    let resolved = list(None, Some(IssueStatus::Resolved), None, 10).await;
    assert_eq!(issue_ids(&resolved), [&c]);
    let shopify_open = list(Some(shopify), Some(IssueStatus::Open), None, 1).await;
    assert_eq!(issue_ids(&shopify_open), [first]);
    let woo_only = list(Some(woo), None, None, 10).await;
    assert_eq!(issue_ids(&woo_only), [&d]);
    let query = IssueQuery {
        limit: 10,
        ..IssueQuery::default()
    };
    assert!(
        store
            .list_sync_issues(&acme, &query)
            .await
            .unwrap()
            .is_empty()
    );
}

pub(super) async fn orders_are_read_back_by_last_change_with_their_lines(store: &dyn Store) {
    let (demo, acme) = tenants(store).await;
    let run = start_kind(store, &demo, "orders-1", FeedKind::Orders).await;
    let batch = vec![
        super::feeds::order("B-2", &[("A", 1, 300), ("B", 2, 150)]),
        super::feeds::order("A-1", &[("C", 1, 999)]),
        super::feeds::order("C-3", &[("A", 3, 300)]),
    ];
    store.apply_order_batch(&run, &batch, &[]).await.unwrap();
    let theirs = start_kind(store, &acme, "orders-a", FeedKind::Orders).await;
    store
        .apply_order_batch(&theirs, &[super::feeds::order("Z-9", &[("Z", 1, 1)])], &[])
        .await
        .unwrap();

    // One batch writes one moment: its orders follow by id, two to a page.
    let first = store.orders_changed_since(&demo, None, 2).await.unwrap();
    let ids: Vec<&str> = first.iter().map(|c| c.order.order_id.as_str()).collect();
    assert_eq!(ids, ["A-1", "B-2"]);
    assert_eq!(
        first[1].order, batch[0],
        "the order comes back with its lines, in order"
    );
    let last = first.last().unwrap();
    let cursor = (last.updated_at, last.order.order_id.clone());
    let rest = store
        .orders_changed_since(&demo, Some(&cursor), 2)
        .await
        .unwrap();
    let ids: Vec<&str> = rest.iter().map(|c| c.order.order_id.as_str()).collect();
    assert_eq!(ids, ["C-3"]);

    // A changed order moves to the end.
    let later = start_kind(store, &demo, "orders-2", FeedKind::Orders).await;
    let changed = super::feeds::order("A-1", &[("C", 2, 999)]);
    store
        .apply_order_batch(&later, std::slice::from_ref(&changed), &[])
        .await
        .unwrap();
    let c3 = rest.last().unwrap();
    let after_c3 = (c3.updated_at, c3.order.order_id.clone());
    let moved = store
        .orders_changed_since(&demo, Some(&after_c3), 10)
        .await
        .unwrap();
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].order, changed);
    assert!(moved[0].updated_at >= c3.updated_at);
}
