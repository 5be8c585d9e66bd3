//! The engine's promises, kept against a real SQLite store and the local mock Shopify and
//! WooCommerce: a crash mid-sync resumed without duplicates, a message delivered twice at
//! once done once, a throttling storm outlasting the client's retries, the schedule's slots
//! and sweep, shop time zones, deletions caught up without a webhook, orders and stock per
//! location, field ownership, a refused token, and WooCommerce pulls and webhook work.
//!
//! The function app's tests (`functions/tests/api/sync.rs`) go through the whole host; these
//! drive [`run`] and [`schedule`] directly, so they can stop a job between two pages, put its
//! row back as a crash would leave it and race two deliveries.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use super::*;
use crate::connections::{
    ConnectionSecrets, ConnectionSettings, ObjectSync, Objects, seal_secrets,
};
use crate::domain::{Currency, Money, ProductContent, Sku};
use crate::store::sqlite::SqliteStore;
use crate::store::{
    ConnectionRecord, IssueQuery, IssueStatus, ProductQuery, ProductUpsert, SyncTargets,
    SyncTrigger,
};
use crate::sync::shopify::mock::{
    MockLineItem, MockOrder, MockShopify, MockShopifyOptions, ProductEdit, Storm,
};
use crate::sync::woocommerce::mock::{MockWoo, MockWooOptions};

thread_local! {
    /// The slice this test thread's deliveries work for, when a test wants a shorter one.
    static TEST_SLICE: Cell<Option<Duration>> = const { Cell::new(None) };
}

/// How long a delivery works in these tests: [`SLICE`], unless the test (on its own thread)
/// asked for [`one_page_per_delivery`].
pub(super) fn slice() -> Duration {
    TEST_SLICE.with(Cell::get).unwrap_or(SLICE)
}

/// Makes every delivery on this thread hand on after its first page: the slice is over at
/// once, and the engine looks at the time only after a page is stored.
fn one_page_per_delivery() {
    TEST_SLICE.with(|slice| slice.set(Some(Duration::ZERO)));
}

/// A store, a tenant connected to a mock shop, and the key its secrets are sealed with.
struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    store: SqliteStore,
    key: CredentialsKey,
    tenant: TenantId,
    shop: MockShopify,
}

fn objects(products: Direction, inventory: Direction, orders: Direction) -> Objects {
    Objects {
        products: ObjectSync {
            direction: products,
            every_minutes: 60,
        },
        inventory: ObjectSync {
            direction: inventory,
            every_minutes: 30,
        },
        orders: ObjectSync {
            direction: orders,
            every_minutes: 15,
        },
    }
}

fn pull_only(kind: ObjectKind) -> Objects {
    let direction = |k| {
        if k == kind {
            Direction::Pull
        } else {
            Direction::Off
        }
    };
    objects(
        direction(ObjectKind::Products),
        direction(ObjectKind::Inventory),
        direction(ObjectKind::Orders),
    )
}

/// A fresh store and a mock shop of `products` products (two variants each), the tenant
/// connected to it with `objects` and access token `token` (`None`: the one it accepts).
async fn fixture_with(products: u64, objects: Objects, token: Option<&str>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = SqliteStore::open(&path).unwrap();
    store.migrate().await.unwrap();
    let tenant = TenantId::parse("acme").unwrap();
    store.ensure_tenant(&tenant, "Acme").await.unwrap();
    let shop = MockShopify::start(MockShopifyOptions::default()).await;
    shop.seed_products(products, 2);
    let key = CredentialsKey::from_bytes(&[7; 32]).unwrap();
    let fixture = Fixture {
        _dir: dir,
        path,
        store,
        key,
        tenant,
        shop,
    };
    let token = token.unwrap_or(fixture.shop.token()).to_owned();
    let settings = ConnectionSettings {
        shop_domain: Some(fixture.shop.shop_domain().into()),
        site_url: None,
        account_id: None,
        max_concurrency: None,
        time_zone: None,
        currency: None,
        default_customer_id: None,
        base_url: Some(fixture.shop.base_url().into()),
        objects,
        webhooks: false,
    };
    let secrets = ConnectionSecrets(BTreeMap::from([("access_token".to_owned(), token)]));
    fixture
        .put_connection(Platform::Shopify, &settings, &secrets)
        .await;
    fixture
}

async fn fixture(products: u64, objects: Objects) -> Fixture {
    fixture_with(products, objects, None).await
}

impl Fixture {
    async fn put_connection(
        &self,
        platform: Platform,
        settings: &ConnectionSettings,
        secrets: &ConnectionSecrets,
    ) {
        let now = Utc::now();
        let record = ConnectionRecord {
            tenant: self.tenant.clone(),
            platform,
            settings: serde_json::to_value(settings).unwrap(),
            secrets: seal_secrets(&self.key, &self.tenant, platform, secrets).unwrap(),
            created_at: now,
            updated_at: now,
            version: 0,
        };
        self.store.put_connection(&record).await.unwrap();
    }

    /// Makes Shopify job `id` of `kind` (queued now) and the message that runs it.
    async fn job(&self, id: &str, kind: ObjectKind) -> SyncMessage {
        self.job_on(Platform::Shopify, id, kind).await
    }

    /// Makes job `id` of `kind` on `platform` (queued now) and the message that runs it.
    async fn job_on(&self, platform: Platform, id: &str, kind: ObjectKind) -> SyncMessage {
        self.new_job(platform, id, kind, None).await
    }

    /// Makes job `id` of `kind` on `platform` (queued now), targeted at `targets` when given
    /// (as a webhook would), and the message that runs it.
    async fn new_job(
        &self,
        platform: Platform,
        id: &str,
        kind: ObjectKind,
        targets: Option<SyncTargets>,
    ) -> SyncMessage {
        let trigger = match &targets {
            Some(_) => SyncTrigger::Webhook,
            None => SyncTrigger::Manual,
        };
        let job = SyncJob::queued(
            self.tenant.clone(),
            id.to_owned(),
            platform,
            kind,
            trigger,
            targets,
            Utc::now(),
        );
        let (_, made) = self.store.create_sync_job(&job).await.unwrap();
        assert!(made, "job {id} already existed");
        SyncMessage {
            tenant: self.tenant.clone(),
            job_id: id.to_owned(),
        }
    }

    async fn deliver(&self, message: &SyncMessage) -> Outcome {
        run(&self.store, &self.key, message, Utc::now())
            .await
            .unwrap()
    }

    /// Delivers `message`, and each message a delivery hands on, until the job ends.
    async fn run_to_end(&self, message: &SyncMessage) -> (SyncJob, Outcome) {
        for _ in 0..100 {
            let outcome = self.deliver(message).await;
            match &outcome.next {
                Some(next) => assert_eq!(next, message),
                None => return (self.stored_job(message).await, outcome),
            }
        }
        panic!("job {} never ended", message.job_id);
    }

    async fn stored_job(&self, message: &SyncMessage) -> SyncJob {
        self.store
            .get_sync_job(&self.tenant, &message.job_id)
            .await
            .unwrap()
            .unwrap()
    }

    /// A job run from start to end, asserted to have succeeded.
    async fn sync(&self, id: &str, kind: ObjectKind) -> SyncJob {
        let message = self.job(id, kind).await;
        let (job, outcome) = self.run_to_end(&message).await;
        assert_eq!(job.status, SyncStatus::Succeeded, "{outcome:?} {job:?}");
        job
    }

    /// A products job on `platform` run from start to end, asserted to have succeeded.
    async fn sync_on(&self, platform: Platform, id: &str) -> SyncJob {
        let message = self.job_on(platform, id, ObjectKind::Products).await;
        let (job, outcome) = self.run_to_end(&message).await;
        assert_eq!(job.status, SyncStatus::Succeeded, "{outcome:?} {job:?}");
        job
    }

    /// The SKUs of every live product.
    async fn skus(&self) -> Vec<String> {
        let query = ProductQuery {
            limit: 10_000,
            ..ProductQuery::default()
        };
        self.store
            .list_products(&self.tenant, &query)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.content.sku.to_string())
            .collect()
    }

    async fn product(&self, sku: &str) -> Option<crate::store::ProductView> {
        self.store
            .get_product(&self.tenant, &Sku::parse(sku).unwrap())
            .await
            .unwrap()
    }

    /// The stored cursor of `kind`'s pull, as text.
    async fn cursor(&self, kind: ObjectKind) -> Option<String> {
        self.store
            .sync_cursor(&self.tenant, Platform::Shopify, kind)
            .await
            .unwrap()
    }

    /// The moment in the stored time cursor of `kind`.
    async fn cursor_time(&self, kind: ObjectKind) -> Option<DateTime<Utc>> {
        let text = self.cursor(kind).await?;
        serde_json::from_str::<TimeCursor>(&text)
            .unwrap()
            .updated_at
    }

    /// Stock levels stored, by (location, SKU): read straight from the database, as no store
    /// method lists them.
    fn levels(&self) -> BTreeMap<(String, String), i64> {
        let db = rusqlite::Connection::open(&self.path).unwrap();
        let mut statement = db
            .prepare("SELECT location, sku, quantity FROM inventory_levels WHERE tenant_id = ?1")
            .unwrap();
        statement
            .query_map([self.tenant.as_str()], |row| {
                Ok(((row.get(0)?, row.get(1)?), row.get(2)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// What the job's ingestion run recorded, across all its deliveries: (inserted, updated).
    async fn run_changes(&self, job: &SyncJob) -> (u64, u64) {
        let run = begin_run(&self.store, job).await.unwrap();
        let (_, inserted, updated) = crate::ingest::enrichment_pages(&self.store, &run)
            .await
            .unwrap();
        (inserted, updated)
    }
}

/// `SHP-{n}-{v}` for products 1..=count, variants 1 and 2.
fn seeded_skus(count: u64) -> BTreeSet<String> {
    (1..=count)
        .flat_map(|n| (1..=2).map(move |v| format!("SHP-{n}-{v}")))
        .collect()
}

#[tokio::test]
async fn a_crash_between_a_stored_page_and_its_checkpoint_resumes_without_duplicates() {
    one_page_per_delivery();
    let fx = fixture(100, pull_only(ObjectKind::Products)).await;
    let message = fx.job("crash", ObjectKind::Products).await;

    // First delivery: one page of 15 products, then the job hands itself on.
    let first = fx.deliver(&message).await;
    assert_eq!(first.next.as_ref(), Some(&message), "{}", first.summary);
    assert!(first.enrich.is_empty());
    let after_page_1 = fx.stored_job(&message).await;
    assert_eq!(after_page_1.status, SyncStatus::Running);
    assert_eq!(
        after_page_1.lease_until, None,
        "a handed-on job holds no lease"
    );
    assert_eq!(after_page_1.progress.pages, 1);
    assert_eq!(after_page_1.progress.inserted, 30);
    assert!(after_page_1.progress.resume.is_some());
    let cursor_1 = fx.cursor_time(ObjectKind::Products).await.unwrap();
    assert_eq!(fx.skus().await.len(), 30);

    // Second delivery stores page 2 and moves the cursor ...
    fx.deliver(&message).await;
    let cursor_2 = fx.cursor_time(ObjectKind::Products).await.unwrap();
    assert!(cursor_2 > cursor_1);
    assert_eq!(fx.skus().await.len(), 60);

    // ... and "crashes" before its checkpoint: the job row is as page 1 left it, while page
    // 2's products and the cursor it moved stay stored.
    let mut crashed = after_page_1.clone();
    crashed.version = fx.stored_job(&message).await.version;
    // The crashed runner held the job: its lease runs three more minutes.
    let held_until = Utc::now() + chrono::Duration::minutes(3);
    crashed.lease_until = Some(held_until);
    assert!(fx.store.save_sync_job(&crashed).await.unwrap());
    let crashed = fx.stored_job(&message).await;

    // A delivery while the lease holds does nothing.
    let held = run(&fx.store, &fx.key, &message, Utc::now()).await.unwrap();
    assert!(held.summary.contains("held"), "{}", held.summary);
    assert!(held.next.is_none() && held.enrich.is_empty());
    assert_eq!(
        fx.stored_job(&message).await,
        crashed,
        "a held job is not written"
    );
    assert_eq!(fx.skus().await.len(), 60);

    // Once the lease is over, a delivery takes over: it re-reads page 2 (stored already:
    // nothing new) and goes on from there.
    let late = held_until + chrono::Duration::seconds(1);
    let takeover = run(&fx.store, &fx.key, &message, late).await.unwrap();
    assert_eq!(
        takeover.next.as_ref(),
        Some(&message),
        "{}",
        takeover.summary
    );
    let retaken = fx.stored_job(&message).await;
    assert_eq!(retaken.progress.pages, 2);
    assert_eq!(
        retaken.progress.inserted, 30,
        "page 2 was stored before the crash"
    );
    assert_eq!(retaken.progress.unchanged, 30);
    assert_eq!(fx.skus().await.len(), 60);
    let mut cursors = vec![
        cursor_1,
        cursor_2,
        fx.cursor_time(ObjectKind::Products).await.unwrap(),
    ];
    assert_eq!(
        cursors[2], cursor_2,
        "re-reading a page does not move the cursor"
    );

    let mut last = takeover;
    while last.next.is_some() {
        last = fx.deliver(&message).await;
        cursors.push(fx.cursor_time(ObjectKind::Products).await.unwrap());
    }
    assert!(
        cursors.windows(2).all(|w| w[0] <= w[1]),
        "the cursor moved back: {cursors:?}"
    );
    let job = fx.stored_job(&message).await;
    assert_eq!(job.status, SyncStatus::Succeeded, "{}", last.summary);
    let p = &job.progress;
    assert_eq!((p.pages, p.read), (7, 100), "{p:?}");
    // The page read again after the crash found its products stored, yet they count as new:
    // the split comes from the run's changes, across every delivery.
    assert_eq!((p.inserted, p.updated, p.unchanged), (200, 0, 0), "{p:?}");
    assert_eq!(p.resume, None);
    let skus = fx.skus().await;
    let distinct: BTreeSet<String> = skus.iter().cloned().collect();
    assert_eq!(skus.len(), 200);
    assert_eq!(distinct, seeded_skus(100));
    // Across all its deliveries the job's run recorded each product once, as new.
    assert_eq!(fx.run_changes(&job).await, (200, 0));
    assert!(!last.enrich.is_empty());

    // A second delivery of the finished job does nothing but hand the same enrichment
    // messages out again.
    let again = fx.deliver(&message).await;
    assert!(again.summary.contains("already"), "{}", again.summary);
    assert!(again.next.is_none());
    assert_eq!(again.enrich, last.enrich);
    assert_eq!(fx.stored_job(&message).await, job);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_delivered_twice_at_once_is_worked_once() {
    let fx = Arc::new(fixture(40, pull_only(ObjectKind::Products)).await);
    let message = fx.job("twice", ObjectKind::Products).await;
    let start = Arc::new(tokio::sync::Barrier::new(2));
    let deliveries: Vec<_> = (0..2)
        .map(|_| {
            let (fx, message, start) = (fx.clone(), message.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                run(&fx.store, &fx.key, &message, Utc::now()).await.unwrap()
            })
        })
        .collect();
    let mut summaries = Vec::new();
    for delivery in deliveries {
        let outcome = delivery.await.unwrap();
        assert!(outcome.next.is_none());
        summaries.push(outcome.summary);
    }
    let done = summaries.iter().filter(|s| s.contains(" done: ")).count();
    let turned_away = summaries
        .iter()
        .filter(|s| {
            s.contains("claimed by another delivery")
                || s.contains("held by another")
                || s.contains("already Succeeded")
        })
        .count();
    assert_eq!((done, turned_away), (1, 1), "{summaries:?}");
    let job = fx.stored_job(&message).await;
    assert_eq!(job.status, SyncStatus::Succeeded);
    assert_eq!((job.progress.read, job.progress.inserted), (40, 80));
    assert_eq!(job.progress.unchanged, 0, "nothing was read twice");
    assert_eq!(fx.skus().await.len(), 80);
    assert_eq!(fx.run_changes(&job).await, (80, 0));
}

#[tokio::test]
async fn one_job_of_a_kind_runs_per_connection_and_the_one_ending_hands_on_to_the_next() {
    let fx = fixture(
        40,
        objects(Direction::Pull, Direction::Off, Direction::Pull),
    )
    .await;
    one_page_per_delivery();
    let first = fx.job("first", ObjectKind::Products).await;
    let second = fx.job("second", ObjectKind::Products).await;
    let orders = fx.job("orders", ObjectKind::Orders).await;

    // `first` stores a page and hands itself on: between its slices it is still running.
    let outcome = fx.deliver(&first).await;
    assert_eq!(outcome.next.as_ref(), Some(&first));
    assert_eq!(
        outcome.waiting, None,
        "a job that goes on hands on to no other"
    );
    // So `second` waits, queued and untouched, while a job of another kind runs.
    let outcome = fx.deliver(&second).await;
    assert!(outcome.summary.contains("waits"), "{}", outcome.summary);
    assert!(outcome.next.is_none() && outcome.waiting.is_none());
    let waiting = fx.stored_job(&second).await;
    assert_eq!(
        (waiting.status, waiting.progress.pages),
        (SyncStatus::Queued, 0)
    );
    let (job, _) = fx.run_to_end(&orders).await;
    assert_eq!(job.status, SyncStatus::Succeeded, "{job:?}");

    // `first` ends and hands on to `second`, which reads only what changed since.
    let (job, outcome) = fx.run_to_end(&first).await;
    assert_eq!(job.status, SyncStatus::Succeeded);
    assert_eq!(outcome.waiting.as_ref(), Some(&second));
    assert_eq!(job.progress.read, 40);
    let (job, outcome) = fx.run_to_end(&second).await;
    assert_eq!(job.status, SyncStatus::Succeeded);
    assert_eq!(outcome.waiting, None, "no job is left waiting");
    assert!(job.progress.read < 40, "{:?}", job.progress);
    assert_eq!(job.progress.inserted, 0);

    // A message for `first` delivered again hands on again (its first hand-on may have been
    // lost with its delivery's outputs): to `third`, made since and waiting.
    let third = fx.job("third", ObjectKind::Products).await;
    let again = fx.deliver(&first).await;
    assert!(
        again.summary.contains("already Succeeded"),
        "{}",
        again.summary
    );
    assert_eq!(again.waiting.as_ref(), Some(&third));
}

#[tokio::test]
async fn the_schedule_makes_each_due_job_once_per_slot_and_sweeps_lost_ones() {
    // Products hourly, orders every 15 minutes, stock off.
    let fx = fixture(0, objects(Direction::Pull, Direction::Off, Direction::Pull)).await;
    let t0 = Utc.with_ymd_and_hms(2026, 3, 8, 10, 0, 0).unwrap();
    let at = |minutes: i64| t0 + chrono::Duration::minutes(minutes);
    let products = scheduled_job_id(Platform::Shopify, ObjectKind::Products, 60, t0);
    let orders = scheduled_job_id(Platform::Shopify, ObjectKind::Orders, 15, t0);
    let ids = |outcome: &ScheduleOutcome| -> Vec<String> {
        outcome.messages.iter().map(|m| m.job_id.clone()).collect()
    };

    let first = schedule(&fx.store, t0).await.unwrap();
    assert_eq!((first.made, first.swept), (2, 0));
    assert_eq!(ids(&first), [products.clone(), orders.clone()]);
    assert!(first.messages.iter().all(|m| m.tenant == fx.tenant));
    assert!(first.unreadable.is_empty());

    // The timer fires again in the same slot: nothing new, nothing sent.
    let again = schedule(&fx.store, at(1)).await.unwrap();
    assert_eq!((again.made, again.swept), (0, 0));
    assert!(again.messages.is_empty());
    let jobs = fx
        .store
        .list_sync_jobs(&fx.tenant, None, None, 50)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 2);
    assert!(
        jobs.iter().all(|j| j.kind != ObjectKind::Inventory),
        "a kind that is off gets no job"
    );
    assert!(jobs.iter().all(|j| j.trigger == SyncTrigger::Schedule));

    // The products job is running (its lease ran out at minute 14); the orders job is done.
    let mut running = fx
        .store
        .get_sync_job(&fx.tenant, &products)
        .await
        .unwrap()
        .unwrap();
    running.status = SyncStatus::Running;
    running.started_at = Some(at(2));
    running.lease_until = Some(at(14));
    assert!(fx.store.save_sync_job(&running).await.unwrap());
    let mut done = fx
        .store
        .get_sync_job(&fx.tenant, &orders)
        .await
        .unwrap()
        .unwrap();
    done.status = SyncStatus::Succeeded;
    done.finished_at = Some(at(3));
    assert!(fx.store.save_sync_job(&done).await.unwrap());

    // Minute 15: the orders slot turns, the products one does not; the products lease ran
    // out only a minute ago, so its runner may still be finishing a page.
    let orders_2 = scheduled_job_id(Platform::Shopify, ObjectKind::Orders, 15, at(15));
    assert_ne!(orders_2, orders);
    let tick = schedule(&fx.store, at(15)).await.unwrap();
    assert_eq!((tick.made, tick.swept), (1, 0));
    assert_eq!(ids(&tick), std::slice::from_ref(&orders_2));

    // Minute 20: the products lease ran out six minutes ago (more than a lease): its runner
    // died, so the job is sent again. The new orders job has waited five minutes only.
    let tick = schedule(&fx.store, at(20)).await.unwrap();
    assert_eq!((tick.made, tick.swept), (0, 1));
    assert_eq!(ids(&tick), std::slice::from_ref(&products));

    // Minute 26: the orders job has waited eleven minutes queued: its message was lost.
    let tick = schedule(&fx.store, at(26)).await.unwrap();
    assert_eq!((tick.made, tick.swept), (0, 2));
    let sent: BTreeSet<String> = ids(&tick).into_iter().collect();
    assert_eq!(sent, BTreeSet::from([products.clone(), orders_2.clone()]));

    // Next hour: both slots turn.
    let tick = schedule(&fx.store, at(60)).await.unwrap();
    assert_eq!(tick.made, 2);
    let sent: BTreeSet<String> = ids(&tick).into_iter().collect();
    assert!(sent.contains(&scheduled_job_id(
        Platform::Shopify,
        ObjectKind::Products,
        60,
        at(60)
    )));
    assert!(sent.contains(&scheduled_job_id(
        Platform::Shopify,
        ObjectKind::Orders,
        15,
        at(60)
    )));
    assert!(
        !sent.contains(&done.id),
        "a finished job is never sent again"
    );
}

#[test]
fn scheduled_job_ids_name_epoch_aligned_slots() {
    let t0 = Utc.with_ymd_and_hms(2026, 3, 8, 10, 0, 0).unwrap();
    let minute = t0.timestamp() / 60;
    let id = |every, at| scheduled_job_id(Platform::Shopify, ObjectKind::Orders, every, at);
    assert_eq!(id(15, t0), format!("s-shopify-orders-{minute}"));
    // Every moment of a slot names its first minute.
    let last_second = t0 + chrono::Duration::seconds(15 * 60 - 1);
    assert_eq!(id(15, last_second), id(15, t0));
    assert_eq!(
        id(15, t0 + chrono::Duration::minutes(15)),
        format!("s-shopify-orders-{}", minute + 15)
    );
    assert_eq!(
        id(15, t0 + chrono::Duration::minutes(7)),
        format!("s-shopify-orders-{minute}")
    );
    // Slots count from the epoch, not from the hour: 7-minute slots cross hours.
    let seven = id(7, t0);
    assert_eq!(seven, format!("s-shopify-orders-{}", minute / 7 * 7));
    // A zero interval is taken as one minute.
    assert_eq!(id(0, t0 + chrono::Duration::seconds(59)), id(1, t0));
    assert_ne!(id(0, t0 + chrono::Duration::seconds(60)), id(0, t0));
    // Kinds and platforms never share an id.
    assert_ne!(
        scheduled_job_id(Platform::Shopify, ObjectKind::Products, 15, t0),
        id(15, t0)
    );
    assert_ne!(
        scheduled_job_id(Platform::WooCommerce, ObjectKind::Orders, 15, t0),
        id(15, t0)
    );
}

#[tokio::test]
async fn times_in_the_shops_zone_read_as_the_same_instants_and_the_cursor_is_utc() {
    let fx = fixture(30, pull_only(ObjectKind::Products)).await;
    let ids = fx.shop.product_ids();
    fx.shop
        .render_times_in(FixedOffset::west_opt(5 * 3600).unwrap());

    let full = fx.sync("tz-1", ObjectKind::Products).await;
    assert_eq!((full.progress.read, full.progress.inserted), (30, 60));
    let text = fx.cursor(ObjectKind::Products).await.unwrap();
    let stored: serde_json::Value = serde_json::from_str(&text).unwrap();
    let newest = stored["updated_at"].as_str().unwrap();
    assert!(newest.ends_with('Z'), "the cursor is not in UTC: {text}");
    // The newest seeded product changed an hour ago: read in the wrong zone it would be
    // five hours off.
    let newest: DateTime<Utc> = newest.parse().unwrap();
    let age = Utc::now() - newest;
    assert!(
        age > chrono::Duration::minutes(59) && age < chrono::Duration::minutes(62),
        "cursor {newest} is {age} old"
    );
    assert_eq!(full.progress.cursor_to.as_deref(), Some(text.as_str()));

    // The merchant renames two products (the newest and an old one); the next pull reads
    // exactly those two.
    let mut edited = Vec::new();
    for id in [&ids[3], &ids[29]] {
        let edit = ProductEdit {
            title: Some(format!("Renamed {id}")),
            ..ProductEdit::default()
        };
        edited.push(fx.shop.edit_product(id, edit).unwrap());
    }
    let incremental = fx.sync("tz-2", ObjectKind::Products).await;
    let p = &incremental.progress;
    assert_eq!((p.read, p.inserted, p.updated), (2, 0, 4), "{p:?}");
    assert_eq!(p.cursor_from.as_deref(), Some(text.as_str()));
    let moved = fx.cursor_time(ObjectKind::Products).await.unwrap();
    assert_eq!(Some(moved), edited.iter().max().copied());
    assert!(fx.cursor(ObjectKind::Products).await.unwrap().contains('Z'));
    let renamed = fx.product("SHP-4-2").await.unwrap();
    assert!(renamed.content.title.starts_with("Renamed"), "{renamed:?}");
    assert_eq!(fx.skus().await.len(), 60);
}

#[tokio::test]
async fn a_deletion_without_a_webhook_is_archived_by_the_next_run() {
    let fx = fixture(20, pull_only(ObjectKind::Products)).await;
    let ids = fx.shop.product_ids();
    // Early in a second, so the deletion below falls in the second the first job started
    // in (Shopify stamps events to the second).
    while Utc::now().timestamp_subsec_millis() > 200 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let first = fx.sync("del-1", ObjectKind::Products).await;
    assert_eq!(first.progress.archived, 0);
    assert_eq!(fx.skus().await.len(), 40);

    // Product 5 is deleted on Shopify and no webhook arrives.
    assert!(fx.shop.delete_product(&ids[4]));
    let second = fx.sync("del-2", ObjectKind::Products).await;
    assert_eq!(second.progress.archived, 2, "{:?}", second.progress);
    for sku in ["SHP-5-1", "SHP-5-2"] {
        assert!(fx.product(sku).await.is_none(), "{sku} is still live");
    }
    assert_eq!(fx.skus().await.len(), 38);
    assert!(fx.product("SHP-6-1").await.is_some());

    // Later runs neither archive it again nor bring it back.
    let third = fx.sync("del-3", ObjectKind::Products).await;
    assert_eq!(third.progress.archived, 0);
    assert!(fx.product("SHP-5-1").await.is_none());
    assert_eq!(fx.skus().await.len(), 38);
    let cursor: TimeCursor =
        serde_json::from_str(&fx.cursor(ObjectKind::Products).await.unwrap()).unwrap();
    assert!(cursor.deleted_at.is_some() && cursor.updated_at.is_some());
}

/// Now, to the second, as Shopify stamps its records.
fn this_second() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap()
}

/// Order `#{number}` paid `hours_ago` hours ago for two units of `sku`.
fn order(number: u64, sku: &str, hours_ago: i64) -> MockOrder {
    MockOrder::paid(
        number,
        sku,
        this_second() - chrono::Duration::hours(hours_ago),
    )
}

#[tokio::test]
async fn orders_land_once_cancelled_ones_are_skipped_and_lines_without_sku_go_to_the_inbox() {
    let fx = fixture(0, pull_only(ObjectKind::Orders)).await;
    // 20 sales over three pages of 8, a cancelled order and one with a custom line.
    let mut orders: Vec<MockOrder> = (1..=20)
        .map(|n| {
            order(
                1000 + n,
                &format!("SHP-{n}-1"),
                48 - i64::try_from(n).unwrap(),
            )
        })
        .collect();
    let mut cancelled = order(2001, "SHP-1-1", 10);
    cancelled.cancelled_at = Some(this_second() - chrono::Duration::hours(9));
    cancelled.updated_at = this_second() - chrono::Duration::hours(9);
    orders.push(cancelled);
    let mut custom = order(2002, "SHP-2-1", 8);
    custom.lines.push(MockLineItem {
        sku: None,
        quantity: 1,
        current_quantity: 1,
        discounted_total: "5.00".into(),
    });
    orders.push(custom);
    fx.shop.seed_orders(orders);

    let first = fx.sync("orders-1", ObjectKind::Orders).await;
    let p = &first.progress;
    assert_eq!(
        (p.read, p.inserted, p.skipped, p.problems),
        (22, 21, 1, 1),
        "{p:?}"
    );
    assert_eq!(p.pages, 3);
    let stored = fx
        .store
        .orders_changed_since(&fx.tenant, None, 100)
        .await
        .unwrap();
    assert_eq!(stored.len(), 21);
    let ids: BTreeSet<&str> = stored.iter().map(|o| o.order.order_id.as_str()).collect();
    assert_eq!(ids.len(), 21);
    let issues = fx
        .store
        .list_sync_issues(
            &fx.tenant,
            &IssueQuery {
                limit: 10,
                ..IssueQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].code, "line_left_out");
    assert_eq!(issues[0].record, "#2002");
    assert_eq!(issues[0].status, IssueStatus::Open);

    // A replayed delivery of the finished job does nothing.
    let message = SyncMessage {
        tenant: fx.tenant.clone(),
        job_id: "orders-1".into(),
    };
    let replay = fx.deliver(&message).await;
    assert!(replay.summary.contains("already"), "{}", replay.summary);
    assert!(replay.enrich.is_empty(), "orders go to no enrichment");

    // A job that reads every order again (the cursor wound back) changes nothing.
    fx.store
        .put_sync_cursor(
            &fx.tenant,
            Platform::Shopify,
            ObjectKind::Orders,
            "{}",
            Utc::now(),
        )
        .await
        .unwrap();
    let again = fx.sync("orders-2", ObjectKind::Orders).await;
    let p = &again.progress;
    assert_eq!(
        (p.read, p.inserted, p.updated, p.unchanged),
        (22, 0, 0, 21),
        "{p:?}"
    );
    assert_eq!(p.skipped, 1);
    assert_eq!(
        fx.store
            .orders_changed_since(&fx.tenant, None, 100)
            .await
            .unwrap()
            .len(),
        21
    );
    // The daily sales the replay kept (in the same transactions) are exact: rebuilding them
    // from the orders corrects nothing.
    let rebuilt = fx.store.rebuild_daily_sales(&fx.tenant).await.unwrap();
    assert_eq!(rebuilt.corrected, 0, "{rebuilt:?}");
    assert!(rebuilt.rows > 0);
    let issues = fx
        .store
        .list_sync_issues(
            &fx.tenant,
            &IssueQuery {
                limit: 10,
                ..IssueQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(issues.len(), 1, "the same line is one inbox entry");
    assert_eq!(issues[0].occurrences, 2);
}

#[tokio::test]
async fn stock_is_read_per_location_and_a_change_at_one_after_another_was_read_is_kept() {
    one_page_per_delivery();
    let fx = fixture(3, pull_only(ObjectKind::Inventory)).await;
    let a1 = fx.shop.set_inventory("SHP-1-1", "Warehouse A", 5);
    let b1 = fx.shop.set_inventory("SHP-1-2", "Store B", 7);
    let (a, b) = (
        "gid://shopify/Location/80001".to_owned(),
        "gid://shopify/Location/80002".to_owned(),
    );
    let first = fx.sync("stock-1", ObjectKind::Inventory).await;
    assert_eq!(
        (
            first.progress.read,
            first.progress.inserted,
            first.progress.pages
        ),
        (2, 2, 2)
    );
    let levels = fx.levels();
    assert_eq!(levels.len(), 2, "{levels:?}");
    assert_eq!(levels[&("Warehouse A".into(), "SHP-1-1".into())], 5);
    assert_eq!(levels[&("Store B".into(), "SHP-1-2".into())], 7);

    // The next job reads location A, and only then does A change, and B after it.
    let message = fx.job("stock-2", ObjectKind::Inventory).await;
    let outcome = fx.deliver(&message).await;
    assert!(outcome.next.is_some(), "{}", outcome.summary);
    let a2 = fx.shop.set_inventory("SHP-1-1", "Warehouse A", 9);
    // Shopify stamps levels to the second: B's change comes a second later.
    while Utc::now() < a2 + chrono::Duration::seconds(1) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let b2 = fx.shop.set_inventory("SHP-1-2", "Store B", 8);
    assert!(a1 < a2 && a2 < b2 && b1 < b2);
    let (job, _) = fx.run_to_end(&message).await;
    assert_eq!(job.status, SyncStatus::Succeeded);
    let levels = fx.levels();
    assert_eq!(levels[&("Warehouse A".into(), "SHP-1-1".into())], 5);
    assert_eq!(levels[&("Store B".into(), "SHP-1-2".into())], 8);
    // Each location keeps its own moment: A's is what A showed when it was read, not B's.
    let cursor: serde_json::Value =
        serde_json::from_str(&fx.cursor(ObjectKind::Inventory).await.unwrap()).unwrap();
    let moment = |location: &str| -> DateTime<Utc> {
        cursor["locations"][location]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!((moment(&a), moment(&b)), (a1, b2), "{cursor}");

    // So the next run still finds A's change.
    let third = fx.sync("stock-3", ObjectKind::Inventory).await;
    assert!(third.progress.read >= 1);
    let levels = fx.levels();
    assert_eq!(levels[&("Warehouse A".into(), "SHP-1-1".into())], 9);
    assert_eq!(levels[&("Store B".into(), "SHP-1-2".into())], 8);
    assert_eq!(levels.len(), 2);
}

#[tokio::test]
async fn with_netsuite_owning_price_and_stock_a_shop_pull_keeps_them_but_takes_the_title() {
    let fx = fixture(2, pull_only(ObjectKind::Products)).await;
    let ids = fx.shop.product_ids();
    // NetSuite has stored SHP-1-1 already, with its price and stock.
    let erp_run = fx
        .store
        .begin_ingest_run(&IngestRunStart {
            tenant: fx.tenant.clone(),
            run_key: "netsuite-items".into(),
            blob_name: "sync/netsuite/products/1".into(),
            kind: FeedKind::Products,
        })
        .await
        .unwrap();
    let erp_price = Money::parse("99.00", Currency::parse("EUR").unwrap()).unwrap();
    let content = ProductContent {
        sku: Sku::parse("SHP-1-1").unwrap(),
        title: "ITEM 1 (ERP name)".into(),
        description: None,
        price: Some(erp_price),
        quantity: Some(42),
        brand: None,
        category: None,
        gtin: None,
        image_url: None,
        parent: None,
        options: Vec::new(),
        attributes: BTreeMap::new(),
    };
    fx.store
        .apply_ingest_batch(
            &erp_run,
            &[ProductUpsert::new(content, None, "netsuite")],
            &[],
        )
        .await
        .unwrap();
    let mut netsuite = ConnectionSettings {
        shop_domain: None,
        site_url: None,
        account_id: Some("1234567".into()),
        max_concurrency: Some(5),
        time_zone: None,
        currency: None,
        default_customer_id: None,
        base_url: None,
        objects: Objects::defaults(Platform::NetSuite),
        webhooks: false,
    };
    assert!(netsuite.objects.products.direction.pulls());
    assert!(netsuite.objects.inventory.direction.pulls());
    let secrets = ConnectionSecrets(BTreeMap::from([("token_id".to_owned(), "t".to_owned())]));
    fx.put_connection(Platform::NetSuite, &netsuite, &secrets)
        .await;

    let job = fx.sync("own-1", ObjectKind::Products).await;
    assert_eq!(job.progress.read, 2);
    let known = fx.product("SHP-1-1").await.unwrap();
    assert_eq!(known.content.title, "Product 1", "the shop owns the title");
    assert_eq!(
        known.content.price,
        Some(erp_price),
        "NetSuite owns the price"
    );
    assert_eq!(known.content.quantity, Some(42), "NetSuite owns the stock");
    // A product NetSuite has not stored takes the shop's.
    let new = fx.product("SHP-1-2").await.unwrap();
    assert_eq!(
        new.content.price.map(|m| m.amount_string()).as_deref(),
        Some("11.10")
    );
    assert_eq!(new.content.quantity, Some(3));

    // Once NetSuite no longer pulls products or stock, the shop's values win.
    netsuite.objects.products.direction = Direction::Off;
    netsuite.objects.inventory.direction = Direction::Off;
    fx.put_connection(Platform::NetSuite, &netsuite, &secrets)
        .await;
    let edit = ProductEdit {
        title: Some("Product 1, renamed".into()),
        ..ProductEdit::default()
    };
    fx.shop.edit_product(&ids[0], edit).unwrap();
    fx.sync("own-2", ObjectKind::Products).await;
    let known = fx.product("SHP-1-1").await.unwrap();
    assert_eq!(known.content.title, "Product 1, renamed");
    assert_eq!(
        known.content.price.map(|m| m.amount_string()).as_deref(),
        Some("11.05")
    );
    assert_eq!(known.content.quantity, Some(3));
}

#[tokio::test]
async fn a_refused_token_fails_the_job_once_with_shopifys_message_and_stores_nothing() {
    let fx = fixture_with(5, pull_only(ObjectKind::Products), Some("shpat_wrong")).await;
    let message = fx.job("auth", ObjectKind::Products).await;
    // Not an error for the host: redelivering would only be refused again.
    let outcome = fx.deliver(&message).await;
    assert!(outcome.next.is_none() && outcome.enrich.is_empty());
    assert!(outcome.summary.contains("failed"), "{}", outcome.summary);
    let job = fx.stored_job(&message).await;
    assert_eq!(job.status, SyncStatus::Failed);
    assert!(job.finished_at.is_some() && job.lease_until.is_none());
    let error = job.progress.error.clone().unwrap();
    assert!(
        error.contains("Invalid API key or access token"),
        "the platform's message is kept: {error}"
    );
    assert_eq!(fx.shop.requests(), 1, "a refused token is not retried");
    assert!(fx.skus().await.is_empty());
    assert_eq!(fx.cursor(ObjectKind::Products).await, None);
    assert_eq!(job.progress.pages, 0);

    // Delivered again, the failed job stays as it is and Shopify is not asked again.
    let again = fx.deliver(&message).await;
    assert!(again.summary.contains("already"), "{}", again.summary);
    assert_eq!(fx.shop.requests(), 1);
    assert_eq!(fx.stored_job(&message).await, job);
}

#[tokio::test]
async fn a_shop_that_stays_throttled_leaves_the_job_to_a_later_delivery_which_resumes_it() {
    let fx = fixture(40, pull_only(ObjectKind::Products)).await;
    let message = fx.job("storm", ObjectKind::Products).await;
    // The shop and page 1 answer; page 2 gets a 429 on every one of the client's attempts.
    fx.shop.queue_storm(
        [Storm::Pass, Storm::Pass]
            .into_iter()
            .chain(std::iter::repeat_n(Storm::TooMany("0.01"), 8)),
    );
    let error = run(&fx.store, &fx.key, &message, Utc::now())
        .await
        .unwrap_err();
    assert!(
        error.is_transient(),
        "the host should deliver again: {error}"
    );
    assert_eq!(fx.shop.too_many_requests(), 8);
    let paused = fx.stored_job(&message).await;
    assert_eq!(paused.status, SyncStatus::Running);
    assert_eq!(paused.lease_until, None, "the next delivery need not wait");
    assert_eq!((paused.progress.pages, paused.progress.inserted), (1, 30));
    assert!(paused.progress.resume.is_some() && paused.progress.error.is_none());
    assert_eq!(fx.skus().await.len(), 30);

    // Its runner is gone, so the timer's sweep sends it again too.
    let swept = schedule(&fx.store, Utc::now()).await.unwrap();
    assert!(swept.messages.contains(&message), "{swept:?}");

    // The next delivery goes on from page 2.
    let (job, _) = fx.run_to_end(&message).await;
    assert_eq!(job.status, SyncStatus::Succeeded);
    let p = &job.progress;
    assert_eq!(
        (p.pages, p.read, p.inserted, p.unchanged),
        (3, 40, 80, 0),
        "{p:?}"
    );
    assert_eq!(fx.skus().await.len(), 80);
}

/// Connects the fixture's tenant to `woo` (products pulled).
async fn connect_woo(fx: &Fixture, woo: &MockWoo) {
    let settings = ConnectionSettings {
        shop_domain: None,
        site_url: Some(woo.site_url().into()),
        account_id: None,
        max_concurrency: None,
        time_zone: None,
        currency: None,
        default_customer_id: None,
        base_url: Some(woo.base_url().into()),
        objects: pull_only(ObjectKind::Products),
        webhooks: false,
    };
    let secrets = ConnectionSecrets(BTreeMap::from([
        ("consumer_key".to_owned(), woo.consumer_key().to_owned()),
        (
            "consumer_secret".to_owned(),
            woo.consumer_secret().to_owned(),
        ),
    ]));
    fx.put_connection(Platform::WooCommerce, &settings, &secrets)
        .await;
}

#[tokio::test]
async fn a_woocommerce_pull_resumes_at_its_page_and_stores_its_cursor_only_at_the_end() {
    one_page_per_delivery();
    // The tenant's Shopify connection is off; its WooCommerce store has 250 simple products.
    let fx = fixture(0, pull_only(ObjectKind::Orders)).await;
    let woo = MockWoo::start(MockWooOptions::default()).await;
    let ids = woo.seed_products(250, 0);
    connect_woo(&fx, &woo).await;
    let cursor = || async {
        fx.store
            .sync_cursor(&fx.tenant, Platform::WooCommerce, ObjectKind::Products)
            .await
            .unwrap()
    };
    let message = fx
        .job_on(Platform::WooCommerce, "woo-1", ObjectKind::Products)
        .await;

    let first = fx.deliver(&message).await;
    assert!(
        first.next.is_some(),
        "{} {:?}",
        first.summary,
        fx.stored_job(&message).await
    );
    let after_page_1 = fx.stored_job(&message).await;
    assert_eq!(after_page_1.progress.inserted, 100);
    // Pages go by id, not time: no cursor is safe before the pull is over.
    assert_eq!(cursor().await, None);
    assert!(fx.deliver(&message).await.next.is_some());
    assert_eq!(fx.skus().await.len(), 200);
    assert_eq!(cursor().await, None);

    // A crash before page 2's checkpoint: the job row goes back to page 1's.
    let mut crashed = after_page_1;
    crashed.version = fx.stored_job(&message).await.version;
    assert!(fx.store.save_sync_job(&crashed).await.unwrap());
    let (job, _) = fx.run_to_end(&message).await;
    assert_eq!(job.status, SyncStatus::Succeeded);
    let p = &job.progress;
    assert_eq!((p.pages, p.read), (3, 250), "{p:?}");
    assert_eq!((p.inserted, p.updated, p.unchanged), (250, 0, 0), "{p:?}");
    let skus: BTreeSet<String> = fx.skus().await.into_iter().collect();
    assert_eq!(skus, (1..=250).map(|n| format!("WOO-{n}")).collect());
    assert_eq!(fx.run_changes(&job).await, (250, 0));
    let stored = cursor().await.unwrap();
    assert!(stored.contains(&ids[249].to_string()), "{stored}");

    // The next pull reads only what changed since.
    woo.edit_product(ids[17], "<p>Rewritten by the merchant.</p>")
        .unwrap();
    let next = fx
        .job_on(Platform::WooCommerce, "woo-2", ObjectKind::Products)
        .await;
    let (job, _) = fx.run_to_end(&next).await;
    let p = &job.progress;
    assert_eq!((p.read, p.inserted, p.updated), (1, 0, 1), "{p:?}");
    let edited = fx.product("WOO-18").await.unwrap();
    assert_eq!(
        edited.content.description.as_deref(),
        Some("<p>Rewritten by the merchant.</p>")
    );
}

#[tokio::test]
async fn woocommerce_webhook_work_reads_archives_and_reports_just_the_named_products() {
    let fx = fixture(0, pull_only(ObjectKind::Orders)).await;
    let woo = MockWoo::start(MockWooOptions::default()).await;
    let ids = woo.seed_products(4, 0);
    connect_woo(&fx, &woo).await;
    fx.sync_on(Platform::WooCommerce, "woo-full").await;
    assert_eq!(fx.skus().await.len(), 4);
    let targets = |ids: Vec<String>, deleted| SyncTargets {
        ids,
        deleted,
        force_push: false,
    };

    // product.updated for product 2, product.updated for product 3 which is in the trash by
    // the time it is read, product.deleted for product 1, and an id that is not one.
    woo.edit_product(ids[1], "<p>New words</p>").unwrap();
    assert!(woo.delete_product(ids[2]));
    let named = vec![ids[1].to_string(), ids[2].to_string(), "abc".to_owned()];
    let updated = fx
        .new_job(
            Platform::WooCommerce,
            "hook-1",
            ObjectKind::Products,
            Some(targets(named, false)),
        )
        .await;
    let (job, _) = fx.run_to_end(&updated).await;
    assert_eq!(job.status, SyncStatus::Succeeded);
    let p = &job.progress;
    assert_eq!(
        (p.read, p.updated, p.archived, p.problems),
        (1, 1, 1, 1),
        "{p:?}"
    );
    assert_eq!(
        fx.product("WOO-2")
            .await
            .unwrap()
            .content
            .description
            .as_deref(),
        Some("<p>New words</p>")
    );
    assert!(fx.product("WOO-3").await.is_none());
    let issues = fx
        .store
        .list_sync_issues(
            &fx.tenant,
            &IssueQuery {
                limit: 10,
                ..IssueQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(issues.len(), 1);
    assert_eq!(
        (issues[0].code.as_str(), issues[0].record.as_str()),
        ("bad_id", "abc")
    );

    let deleted = fx
        .new_job(
            Platform::WooCommerce,
            "hook-2",
            ObjectKind::Products,
            Some(targets(vec![ids[0].to_string()], true)),
        )
        .await;
    let (job, _) = fx.run_to_end(&deleted).await;
    assert_eq!(job.progress.archived, 1);
    assert_eq!(
        job.progress.read, 0,
        "a deletion is archived without asking the store"
    );
    assert!(fx.product("WOO-1").await.is_none());
    let mut left = fx.skus().await;
    left.sort();
    assert_eq!(left, ["WOO-2", "WOO-4"]);

    // The same webhook delivered again makes no second change.
    let again = fx.deliver(&updated).await;
    assert!(again.summary.contains("already"), "{}", again.summary);
    assert_eq!(fx.skus().await.len(), 2);
}

#[tokio::test]
async fn an_order_with_more_lines_than_a_page_reads_is_read_alone_and_stored_whole() {
    let fx = fixture(0, pull_only(ObjectKind::Orders)).await;
    let mut big = order(3001, "SHP-1-1", 5);
    big.lines = (1..=25)
        .map(|n| MockLineItem {
            sku: Some(format!("SHP-{n}-1")),
            quantity: 1,
            current_quantity: 1,
            discounted_total: "1.00".into(),
        })
        .collect();
    big.total = "25.00".into();
    fx.shop.seed_orders([order(3000, "SHP-9-1", 6), big]);
    let job = fx.sync("big-order", ObjectKind::Orders).await;
    let p = &job.progress;
    assert_eq!((p.read, p.inserted, p.problems), (2, 2, 0), "{p:?}");
    let stored = fx
        .store
        .orders_changed_since(&fx.tenant, None, 10)
        .await
        .unwrap();
    let whole = stored
        .iter()
        .find(|o| o.order.lines.len() > 1)
        .expect("the big order");
    assert_eq!(whole.order.lines.len(), 25, "{:?}", whole.order);
}

#[tokio::test]
async fn a_shop_stock_job_stores_nothing_while_netsuite_owns_stock_and_says_why() {
    let fx = fixture(1, pull_only(ObjectKind::Inventory)).await;
    fx.shop.set_inventory("SHP-1-1", "Warehouse A", 5);
    let netsuite = ConnectionSettings {
        shop_domain: None,
        site_url: None,
        account_id: Some("1234567".into()),
        max_concurrency: Some(5),
        time_zone: None,
        currency: None,
        default_customer_id: None,
        base_url: None,
        objects: Objects::defaults(Platform::NetSuite),
        webhooks: false,
    };
    let secrets = ConnectionSecrets(BTreeMap::from([("token_id".to_owned(), "t".to_owned())]));
    fx.put_connection(Platform::NetSuite, &netsuite, &secrets)
        .await;
    let job = fx.sync("erp-stock", ObjectKind::Inventory).await;
    assert!(
        job.progress
            .note
            .as_deref()
            .is_some_and(|n| n.contains("NetSuite owns stock")),
        "{:?}",
        job.progress
    );
    assert_eq!((job.progress.read, job.progress.pages), (0, 0));
    assert!(fx.levels().is_empty());
    assert_eq!(fx.cursor(ObjectKind::Inventory).await, None);
}

#[tokio::test]
async fn a_connection_whose_settings_cannot_be_read_is_reported_and_the_others_still_run() {
    let fx = fixture(0, pull_only(ObjectKind::Orders)).await;
    let other = TenantId::parse("globex").unwrap();
    fx.store.ensure_tenant(&other, "Globex").await.unwrap();
    let now = Utc::now();
    let broken = ConnectionRecord {
        tenant: other.clone(),
        platform: Platform::Shopify,
        settings: serde_json::json!({"objects": "every hour"}),
        secrets: String::new(),
        created_at: now,
        updated_at: now,
        version: 0,
    };
    fx.store.put_connection(&broken).await.unwrap();
    let outcome = schedule(&fx.store, now).await.unwrap();
    assert_eq!(outcome.unreadable.len(), 1, "{outcome:?}");
    assert!(
        outcome.unreadable[0].starts_with("globex/shopify"),
        "{outcome:?}"
    );
    assert_eq!(outcome.made, 1);
    assert_eq!(outcome.messages.len(), 1);
    assert_eq!(outcome.messages[0].tenant, fx.tenant);
    assert_eq!(
        outcome.messages[0].job_id,
        scheduled_job_id(Platform::Shopify, ObjectKind::Orders, 15, now)
    );
}

#[tokio::test]
async fn a_product_trashed_mid_pull_on_woocommerce_hides_no_other() {
    one_page_per_delivery();
    let fx = fixture(0, pull_only(ObjectKind::Orders)).await;
    let woo = MockWoo::start(MockWooOptions::default()).await;
    let ids = woo.seed_products(250, 0);
    connect_woo(&fx, &woo).await;
    let message = fx
        .job_on(Platform::WooCommerce, "woo-trash", ObjectKind::Products)
        .await;
    assert!(fx.deliver(&message).await.next.is_some());
    assert_eq!(fx.skus().await.len(), 100);
    // Product 51 (on page 1, read) goes to the trash: product 101, first on page 2 until
    // now, moves to page 1.
    assert!(woo.delete_product(ids[50]));
    let (job, _) = fx.run_to_end(&message).await;
    assert_eq!(job.status, SyncStatus::Succeeded);
    let skus: BTreeSet<String> = fx.skus().await.into_iter().collect();
    assert!(skus.contains("WOO-101"), "product 101 was skipped");
    assert_eq!(skus, (1..=250).map(|n| format!("WOO-{n}")).collect());
    assert_eq!(fx.run_changes(&job).await, (250, 0));
}
