//! Checks of enrichments: saved once per content and prompt version, with their provenance; the
//! token tally per tenant and day; stand-ins waiting for budget; batch runs; fields a person
//! edited and locked.

use chrono::NaiveDate;
use serde_json::json;

use super::*;

pub(super) fn record(hash: &str, version: &str, waiting: bool) -> EnrichmentRecord {
    EnrichmentRecord {
        content_hash: hash.into(),
        prompt_version: version.into(),
        generated_by: "openai".into(),
        payload: json!({"title": "Mug"}),
        provenance: Provenance {
            model: Some("gpt-4o-mini-2024-07-18".into()),
            input_tokens: 600,
            output_tokens: 250,
            cost_usd: Some(0.00024),
            fallback_reason: waiting.then(|| "budget".to_owned()),
        },
        waiting_for_budget: waiting,
        created_at: Utc::now(),
    }
}

pub(super) async fn enrichments_are_saved_once_per_content(store: &dyn Store) {
    let demo = tenant("demo");
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    let run = start(store, &demo, "event-e").await;
    let mug = product("E", "Mug", "3.00");
    store
        .apply_ingest_batch(&run, std::slice::from_ref(&mug), &[])
        .await
        .unwrap();
    let sku = Sku::parse("E").unwrap();
    let hash = mug.content_hash.as_str();
    let save = |r: EnrichmentRecord| {
        let sku = sku.clone();
        let demo = demo.clone();
        async move { store.save_enrichment(&demo, &sku, &r, None).await.unwrap() }
    };
    assert_eq!(save(record("stale", "v1", false)).await, SaveOutcome::Stale);
    assert_eq!(save(record(hash, "v1", false)).await, SaveOutcome::Saved);
    assert_eq!(
        save(record(hash, "v1", false)).await,
        SaveOutcome::AlreadyCurrent
    );
    let view = store.get_product(&demo, &sku).await.unwrap().unwrap();
    let stored = view.enrichment.clone().unwrap();
    assert!(stored.is_current_for(&view, "v1"));
    assert!(!stored.is_current_for(&view, "v2"));
    assert_eq!(stored.provenance, record(hash, "v1", false).provenance);
    assert_eq!(stored.prompt_version, "v1");

    // A new prompt version is stored over the old one.
    assert_eq!(save(record(hash, "v2", false)).await, SaveOutcome::Saved);
    // A stand-in never replaces a current enrichment... but is replaced by one.
    assert_eq!(
        save(record(hash, "v2", true)).await,
        SaveOutcome::AlreadyCurrent
    );
    assert_eq!(save(record(hash, "v3", true)).await, SaveOutcome::Saved);
    let view = store.get_product(&demo, &sku).await.unwrap().unwrap();
    assert!(view.enrichment.as_ref().unwrap().waiting_for_budget);
    assert!(
        !view
            .enrichment
            .as_ref()
            .unwrap()
            .is_current_for(&view, "v3")
    );
    assert_eq!(save(record(hash, "v3", false)).await, SaveOutcome::Saved);
    // A forced run replaces a current enrichment made before it began, once.
    let run_start = Utc::now() + chrono::TimeDelta::seconds(1);
    let forced = EnrichmentRecord {
        created_at: run_start + chrono::TimeDelta::seconds(1),
        ..record(hash, "v3", false)
    };
    let outcome = store
        .save_enrichment(&demo, &sku, &forced, Some(run_start))
        .await
        .unwrap();
    assert_eq!(outcome, SaveOutcome::Saved);
    let outcome = store
        .save_enrichment(&demo, &sku, &forced, Some(run_start))
        .await
        .unwrap();
    assert_eq!(outcome, SaveOutcome::AlreadyCurrent);

    let missing = Sku::parse("NOPE").unwrap();
    assert_eq!(
        store
            .save_enrichment(&demo, &missing, &record("x", "v1", false), None)
            .await
            .unwrap(),
        SaveOutcome::Stale
    );
}

pub(super) async fn ai_tokens_are_tallied_and_waiting_enrichments_listed(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    let day = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
    let next = day.succ_opt().unwrap();
    for t in [&demo, &acme] {
        store.ensure_tenant(t, "T").await.unwrap();
    }
    assert_eq!(store.ai_tokens_spent(&demo, day).await.unwrap(), 0);
    store.add_ai_tokens(&demo, day, 850).await.unwrap();
    store.add_ai_tokens(&demo, day, 150).await.unwrap();
    store.add_ai_tokens(&demo, next, 7).await.unwrap();
    assert_eq!(store.ai_tokens_spent(&demo, day).await.unwrap(), 1000);
    assert_eq!(store.ai_tokens_spent(&demo, next).await.unwrap(), 7);
    assert_eq!(store.ai_tokens_spent(&acme, day).await.unwrap(), 0);

    let mut hashes = Vec::new();
    for (t, key, sku) in [(&demo, "event-w1", "W1"), (&acme, "event-w2", "W2")] {
        let run = start(store, t, key).await;
        let p = product(sku, "Waiting", "1.00");
        hashes.push(p.content_hash.clone());
        store.apply_ingest_batch(&run, &[p], &[]).await.unwrap();
    }
    let (w1, w2) = (Sku::parse("W1").unwrap(), Sku::parse("W2").unwrap());
    store
        .save_enrichment(&demo, &w1, &record(&hashes[0], "v1", true), None)
        .await
        .unwrap();
    let later = EnrichmentRecord {
        created_at: Utc::now() + chrono::TimeDelta::seconds(1),
        ..record(&hashes[1], "v1", true)
    };
    store
        .save_enrichment(&acme, &w2, &later, None)
        .await
        .unwrap();
    let tenants = store.tenants_waiting_for_budget().await.unwrap();
    assert_eq!(tenants, [acme.clone(), demo.clone()]);
    let waiting = store
        .enrichments_waiting_for_budget(&demo, 10)
        .await
        .unwrap();
    let found: Vec<(&str, &str)> = waiting
        .iter()
        .map(|w| (w.tenant.as_str(), w.sku.as_str()))
        .collect();
    assert_eq!(found, [("demo", "W1")]);
    assert_eq!(waiting[0].content_hash, hashes[0]);
    let two = Sku::parse("W3").unwrap();
    let run = start(store, &demo, "event-w3").await;
    let p = product("W3", "Waiting too", "1.00");
    let hash = p.content_hash.clone();
    store.apply_ingest_batch(&run, &[p], &[]).await.unwrap();
    let latest = EnrichmentRecord {
        created_at: Utc::now() + chrono::TimeDelta::seconds(2),
        ..record(&hash, "v1", true)
    };
    store
        .save_enrichment(&demo, &two, &latest, None)
        .await
        .unwrap();
    let waiting = store
        .enrichments_waiting_for_budget(&demo, 10)
        .await
        .unwrap();
    let skus: Vec<&str> = waiting.iter().map(|w| w.sku.as_str()).collect();
    assert_eq!(skus, ["W1", "W3"], "the longest waiting first");
    let first = store
        .enrichments_waiting_for_budget(&demo, 1)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    store
        .save_enrichment(&demo, &w1, &record(&hashes[0], "v1", false), None)
        .await
        .unwrap();
    let waiting = store
        .enrichments_waiting_for_budget(&demo, 10)
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].sku.as_str(), "W3");
    let acme_waiting = store
        .enrichments_waiting_for_budget(&acme, 10)
        .await
        .unwrap();
    assert_eq!(acme_waiting.len(), 1);
    assert_eq!(acme_waiting[0].sku.as_str(), "W2");
}

pub(super) async fn products_whose_enrichment_message_was_lost_are_found(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    for t in [&demo, &acme] {
        store.ensure_tenant(t, "T").await.unwrap();
    }
    let before_writes = Utc::now() - chrono::TimeDelta::seconds(1);
    let run = start(store, &demo, "event-lost").await;
    let (m1, m2) = (
        product("M1", "Mug", "1.00"),
        product("M2", "Mug two", "2.00"),
    );
    let m1_hash = m1.content_hash.clone();
    store
        .apply_ingest_batch(&run, &[m1, m2], &[])
        .await
        .unwrap();
    let run = start(store, &acme, "event-lost-acme").await;
    store
        .apply_ingest_batch(&run, &[product("A1", "Acme mug", "3.00")], &[])
        .await
        .unwrap();
    // M1 is enriched; a stand-in waiting for budget counts as enriched too (resumed elsewhere).
    let sku = |s: &str| Sku::parse(s).unwrap();
    store
        .save_enrichment(&demo, &sku("M1"), &record(&m1_hash, "v1", false), None)
        .await
        .unwrap();
    let now = Utc::now() + chrono::TimeDelta::seconds(1);
    let found = |list: Vec<WaitingEnrichment>| -> Vec<(String, String)> {
        let mut found: Vec<_> = list
            .into_iter()
            .map(|w| (w.tenant.to_string(), w.sku.to_string()))
            .collect();
        found.sort();
        found
    };
    let lost = store
        .products_missing_enrichment(before_writes, now, 10)
        .await
        .unwrap();
    assert_eq!(
        found(lost),
        [("acme".into(), "A1".into()), ("demo".into(), "M2".into())]
    );
    // Outside the window: nothing.
    let older = store
        .products_missing_enrichment(
            before_writes - chrono::TimeDelta::hours(1),
            before_writes,
            10,
        )
        .await
        .unwrap();
    assert!(older.is_empty(), "{older:?}");
    assert_eq!(
        store
            .products_missing_enrichment(before_writes, now, 1)
            .await
            .unwrap()
            .len(),
        1
    );
    // M1's content changes: its enrichment is for the old content, so it is missing again.
    let run = start(store, &demo, "event-lost-2").await;
    let changed = product("M1", "Mug", "1.50");
    let changed_hash = changed.content_hash.clone();
    store
        .apply_ingest_batch(&run, &[changed], &[])
        .await
        .unwrap();
    let now = Utc::now() + chrono::TimeDelta::seconds(1);
    let lost = store
        .products_missing_enrichment(before_writes, now, 10)
        .await
        .unwrap();
    let m1 = lost.iter().find(|w| w.sku.as_str() == "M1").expect("M1");
    assert_eq!(m1.content_hash, changed_hash);
    // A deleted product is not looked for.
    let m2 = store.get_product(&demo, &sku("M2")).await.unwrap().unwrap();
    store
        .delete_product(&demo, &sku("M2"), m2.version, Utc::now())
        .await
        .unwrap();
    let lost = store
        .products_missing_enrichment(before_writes, now + chrono::TimeDelta::seconds(1), 10)
        .await
        .unwrap();
    assert_eq!(
        found(lost),
        [("acme".into(), "A1".into()), ("demo".into(), "M1".into())]
    );
}

pub(super) async fn enrichment_runs_advance_once_and_count_slices_once(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    for t in [&demo, &acme] {
        store.ensure_tenant(t, "T").await.unwrap();
    }
    let start = EnrichmentRunStart {
        id: "run-1".into(),
        tenant: demo.clone(),
        filter: EnrichmentFilter {
            category: Some("Mugs".into()),
            ..EnrichmentFilter::default()
        },
        force: true,
        created_at: Utc::now(),
    };
    let run = store.start_enrichment_run(&start).await.unwrap();
    assert_eq!(
        (run.status(), run.force, run.cursor.as_deref()),
        ("scanning", true, None)
    );
    assert_eq!(run.filter, start.filter);
    let again = store
        .start_enrichment_run(&EnrichmentRunStart {
            force: false,
            ..start.clone()
        })
        .await
        .unwrap();
    assert!(again.force, "a repeated start finds the stored run");
    assert!(
        store
            .get_enrichment_run(&acme, "run-1")
            .await
            .unwrap()
            .is_none()
    );

    let step = |after: Option<&'static str>, next: Option<&'static str>| async move {
        store
            .advance_enrichment_run("run-1", after, next, (1000, 20))
            .await
            .unwrap()
    };
    assert!(step(None, Some("M-999")).await);
    assert!(
        !step(None, Some("M-999")).await,
        "a repeated step moves nothing"
    );
    assert!(step(Some("M-999"), None).await);
    assert!(!step(Some("M-999"), None).await);
    let run = store
        .get_enrichment_run(&demo, "run-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (run.matched, run.slices, run.status()),
        (2000, 40, "running")
    );
    assert!(run.queued_at.is_some());

    let tally = SliceTally {
        enriched: 45,
        already_current: 4,
        gone: 1,
    };
    store
        .record_enrichment_slice("run-1", "M-049", &tally)
        .await
        .unwrap();
    store
        .record_enrichment_slice("run-1", "M-049", &tally)
        .await
        .unwrap();
    let run = store
        .get_enrichment_run(&demo, "run-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (run.slices_done, run.enriched, run.already_current, run.gone),
        (1, 45, 4, 1)
    );
}

pub(super) async fn edited_fields_are_locked_per_product_and_tenant(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    for t in [&demo, &acme] {
        store.ensure_tenant(t, "T").await.unwrap();
    }
    let run = start(store, &demo, "event-l").await;
    store
        .apply_ingest_batch(&run, &[product("L", "Lamp", "20.00")], &[])
        .await
        .unwrap();
    let sku = Sku::parse("L").unwrap();
    let fields = |value: serde_json::Value| value.as_object().cloned().unwrap();
    let at = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap();
    let first = store
        .edit_enrichment(
            &demo,
            &sku,
            &fields(json!({"title": "Desk Lamp", "tags": ["lamp"]})),
            &[],
            at,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        json!(first.fields),
        json!({"title": "Desk Lamp", "tags": ["lamp"]})
    );

    // A second edit merges into the first; unlocking removes a field.
    let later = at + chrono::TimeDelta::minutes(5);
    let second = store
        .edit_enrichment(
            &demo,
            &sku,
            &fields(json!({"title": "Brass Desk Lamp", "seo_title": "Brass lamp"})),
            &["tags".to_owned()],
            later,
        )
        .await
        .unwrap()
        .unwrap();
    let expected = json!({"title": "Brass Desk Lamp", "seo_title": "Brass lamp"});
    assert_eq!(json!(second.fields), expected);
    assert_eq!(second.edited_at, later);

    // The product shows its edits, alone and in a listing.
    let view = store.get_product(&demo, &sku).await.unwrap().unwrap();
    assert_eq!(view.edits, Some(second.clone()));
    let query = ProductQuery {
        limit: 10,
        ..Default::default()
    };
    let listed = store.list_products(&demo, &query).await.unwrap();
    assert_eq!(listed[0].edits, Some(second));
    assert_eq!(
        view.content.title, "Lamp",
        "the product's own title is kept"
    );

    // Another tenant neither sees nor edits them; an unknown product has nothing to edit.
    assert_eq!(
        store
            .edit_enrichment(&acme, &sku, &fields(json!({"title": "X"})), &[], later)
            .await
            .unwrap(),
        None
    );
    assert!(store.get_product(&acme, &sku).await.unwrap().is_none());
    let missing = Sku::parse("NOPE").unwrap();
    assert_eq!(
        store
            .edit_enrichment(&demo, &missing, &fields(json!({"title": "X"})), &[], later)
            .await
            .unwrap(),
        None
    );
    let view = store.get_product(&demo, &sku).await.unwrap().unwrap();
    assert_eq!(json!(view.edits.unwrap().fields), expected);

    // A product without edits shows none.
    let run = start(store, &demo, "event-m").await;
    store
        .apply_ingest_batch(&run, &[product("M", "Mat", "5.00")], &[])
        .await
        .unwrap();
    let mat = Sku::parse("M").unwrap();
    assert_eq!(
        store.get_product(&demo, &mat).await.unwrap().unwrap().edits,
        None
    );
}

pub(super) async fn enrichment_runs_are_listed_newest_first_a_page_at_a_time(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    for t in [&demo, &acme] {
        store.ensure_tenant(t, "T").await.unwrap();
    }
    let at = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap();
    // Two runs share a start: the id breaks the tie.
    for (id, seconds, owner) in [
        ("a", 0, &demo),
        ("b", 1, &demo),
        ("c", 1, &demo),
        ("x", 2, &acme),
    ] {
        let start = EnrichmentRunStart {
            id: id.into(),
            tenant: owner.clone(),
            filter: EnrichmentFilter::default(),
            force: false,
            created_at: at + chrono::TimeDelta::seconds(seconds),
        };
        store.start_enrichment_run(&start).await.unwrap();
    }
    let first = store.list_enrichment_runs(&demo, None, 2).await.unwrap();
    let ids: Vec<&str> = first.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["c", "b"]);
    let cursor = EnrichmentRunCursor::after(&first[1]);
    let rest = store
        .list_enrichment_runs(&demo, Some(&cursor), 2)
        .await
        .unwrap();
    let ids: Vec<&str> = rest.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["a"]);
}
