//! The redelivery and crash harness (issue 9). For each trigger kind — a feed upload, the
//! enrichment messages it fans out, an HTTP write, a sync job, a video upload and timers — the
//! real `advisor` executable runs over a data directory; its work is delivered 1–5 times and the
//! process dies at chosen and random points, is restarted, and goes on. The end state must be
//! the one a single clean delivery leaves:
//! - **no lost and no doubled row**: every table, row by row ([`state::snapshot`]), with only
//!   the columns that differ between two clean runs masked (times, random ids, leases);
//! - **the same blobs** (reports, thumbnails), by name;
//! - **no doubled outbound call**: the Shopify pushes per product equal the clean run's
//!   exactly. An AI request cut short by a crash (its answer not yet saved) is asked again: no
//!   local transaction can close that window. So each product may see one more AI request per
//!   crash, and all products together at most [`AI_IN_FLIGHT`] more per crash; a duplicate
//!   delivery must add none (twenty products enriched twice would break the second bound).
//!
//! A trial: the app is set up cleanly, stopped, given its work, then started with a crash point
//! armed (`ADVISOR_CRASH_AT`, see `shared::crash`) or a kill timer. Each time the process dies
//! the harness lets time pass (message locks and work leases lapse, as they would), the first
//! time also sends every pending message again `deliveries − 1` times, and restarts it with the
//! next crash of the plan. When the work is done and every queue is empty with nothing
//! dead-lettered, the process is stopped and its state compared with the clean run's.
//!
//! Seeded and reproducible: `REDELIVERY_SEED` (default [`DEFAULT_SEED`], what CI runs) picks
//! each trial's deliveries, crash points, passes and kill times; `REDELIVERY_TRIALS` (default
//! 2) how many trials per kind. A failure names its seed, kind and trial.

mod advisor;
mod state;
mod work;

use std::collections::BTreeMap;
use std::time::Duration;

use self::advisor::{Advisor, Ended};
use self::work::{Kind, Mocks};

/// The seed CI runs with.
const DEFAULT_SEED: u64 = 20_261_202;

/// SplitMix64: small, and the same numbers on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// How one process start of a trial ends, if the work does not end first.
#[derive(Debug, Clone)]
enum Crash {
    /// At this armed crash point (`point:n`).
    At(String),
    /// Killed this long after it answered.
    KillAfter(Duration),
}

impl Crash {
    fn armed(&self) -> Option<&str> {
        match self {
            Crash::At(point) => Some(point),
            Crash::KillAfter(_) => None,
        }
    }
}

/// AI requests one process has in flight at most (`ADVISOR_AI_CONCURRENCY`'s default): a crash
/// can cut short, and so repeat, at most this many.
const AI_IN_FLIGHT: u32 = 4;

#[derive(Debug, Clone)]
struct Trial {
    deliveries: u32,
    crashes: Vec<Crash>,
}

impl Trial {
    /// The first crash is at a point that leaves work pending (so redelivery has something to
    /// send again); one or two more follow, at any point or at a random moment.
    fn draw(kind: Kind, rng: &mut Rng) -> Self {
        let deliveries = 1 + rng.below(5) as u32;
        let mut crashes = vec![Crash::At(format!(
            "{}:{}",
            rng.pick(kind.first_crashes()),
            1 + rng.below(2)
        ))];
        for _ in 0..1 + rng.below(2) {
            crashes.push(match rng.below(3) {
                0 => Crash::KillAfter(Duration::from_millis(rng.below(kind.busy_ms()))),
                _ => Crash::At(format!("{}:{}", rng.pick(kind.crashes()), 1 + rng.below(3))),
            });
        }
        Self {
            deliveries,
            crashes,
        }
    }
}

/// What a run left behind.
#[derive(Debug)]
struct Outcome {
    db: state::Snapshot,
    blobs: Vec<String>,
    calls: work::Calls,
    /// Crashes that happened (points reached, kills), in order.
    happened: Vec<String>,
}

/// Runs `kind` once under `trial` (no crash and one delivery for the clean run).
async fn run(kind: Kind, trial: &Trial) -> Outcome {
    // Kept when asked, to read the process logs (`stderr-N.log`) and the data after a failure.
    let dir = tempfile::Builder::new()
        .prefix("redelivery-")
        .tempdir()
        .expect("temp dir");
    let (path, _removed_on_drop) = match std::env::var_os("REDELIVERY_KEEP") {
        Some(_) => (dir.keep(), None),
        None => (dir.path().to_owned(), Some(dir)),
    };
    let mocks = Mocks::start(kind).await;
    let mut app = Advisor::new(&path, mocks.launch());
    app.start(None).await;
    kind.setup(&app, &mocks).await;
    let ended = wait_for_end(&mut app, kind, true, None, &mut Vec::new()).await;
    assert!(ended.is_none(), "{kind:?}: the setup crashed");
    app.kill();
    let before = mocks.calls();
    kind.stage(&app, &mocks, trial.deliveries);

    let mut happened = Vec::new();
    let mut plan = trial.crashes.iter();
    let mut crash = plan.next();
    app.start(crash.and_then(Crash::armed)).await;
    let mut work = vec![kind.spawn_work(&app, trial.deliveries)];
    let mut restarted = false;
    loop {
        let kill_at = match crash {
            Some(Crash::KillAfter(after)) => Some(tokio::time::Instant::now() + *after),
            _ => None,
        };
        let ended = wait_for_end(&mut app, kind, false, kill_at, &mut work).await;
        let Some(ended) = ended else { break };
        let what = crash.expect("a crash was planned");
        happened.push(match (&ended, what) {
            (Ended::CrashPoint, Crash::At(point)) => point.clone(),
            _ => format!("{what:?}"),
        });
        state::let_time_pass(&app.data_dir());
        if !restarted {
            state::duplicate_pending(&app.data_dir(), trial.deliveries - 1);
            restarted = true;
        }
        crash = plan.next();
        app.start(crash.and_then(Crash::armed)).await;
        work.extend(kind.after_restart(&app));
    }
    app.kill();
    let calls = mocks.calls().minus(&before);
    Outcome {
        db: state::snapshot(&app.data_dir()),
        blobs: state::blob_names(&app.blob_root()),
        calls,
        happened,
    }
}

/// Waits until the process dies (`Some`) or the setup's or the work's callers are done and
/// everything has settled.
async fn wait_for_end(
    app: &mut Advisor,
    kind: Kind,
    setup: bool,
    kill_at: Option<tokio::time::Instant>,
    work: &mut Vec<tokio::task::JoinHandle<()>>,
) -> Option<Ended> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = app.exited() {
            return Some(app.classify(status));
        }
        if kill_at.is_some_and(|at| tokio::time::Instant::now() >= at) {
            return Some(app.kill());
        }
        if let Some(index) = work.iter().position(|w| w.is_finished()) {
            work.swap_remove(index).await.expect("the work's requests");
        }
        if work.is_empty() && settled(app, kind, setup).await {
            return None;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{kind:?}: not settled after 120 s in {}; queues {:?}; {}",
            app.dir.display(),
            state::queue_depths(&app.data_dir()),
            app.stderr_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The work is done, no message waits, none is dead, and that stays so for a moment.
async fn settled(app: &mut Advisor, kind: Kind, setup: bool) -> bool {
    for _ in 0..3 {
        let (pending, dead) = state::queue_depths(&app.data_dir());
        assert_eq!(
            dead,
            0,
            "{kind:?}: dead-lettered: {:?}",
            state::dead_letters(&app.data_dir())
        );
        if pending > 0 || !kind.done(app, setup) || !app.running() {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    true
}

/// The same setup and work as `run`, with one delivery and no crash.
async fn clean(kind: Kind) -> Outcome {
    run(
        kind,
        &Trial {
            deliveries: 1,
            crashes: Vec::new(),
        },
    )
    .await
}

fn compare(kind: Kind, seed: u64, index: usize, trial: &Trial, clean: &Outcome, got: &Outcome) {
    let context = format!(
        "{kind:?}, seed {seed}, trial {index}: {trial:?}; crashes that happened: {:?}",
        got.happened
    );
    for (table, rows) in &clean.db {
        let other = got.db.get(table).expect("the same tables");
        if rows != other {
            let missing: Vec<_> = rows.iter().filter(|r| !other.contains(r)).take(3).collect();
            let extra: Vec<_> = other.iter().filter(|r| !rows.contains(r)).take(3).collect();
            panic!(
                "{context}\ntable {table}: {} rows clean, {} now\nonly in the clean run: \
                 {missing:#?}\nonly now: {extra:#?}",
                rows.len(),
                other.len()
            );
        }
    }
    assert_eq!(clean.blobs, got.blobs, "{context}: blobs differ");
    assert_eq!(
        clean.calls.pushes, got.calls.pushes,
        "{context}: platform pushes differ"
    );
    // A crash repeats the AI requests it cut short, at most one per product and at most
    // AI_IN_FLIGHT in all; a duplicate delivery must repeat none.
    let crashes = got.happened.len() as u32;
    let mut extra = 0;
    for (item, &n) in &got.calls.ai {
        let expected = clean.calls.ai.get(item).copied().unwrap_or(0);
        assert!(
            n >= expected && n <= expected + crashes,
            "{context}: {n} AI calls for {item}, {expected} in the clean run, {crashes} crash(es)"
        );
        extra += n - expected;
    }
    assert!(
        extra <= crashes * AI_IN_FLIGHT,
        "{context}: {extra} AI calls more than the clean run, more than {crashes} crash(es) can \
         have cut short"
    );
    for (item, &n) in &clean.calls.ai {
        assert!(
            got.calls.ai.get(item).copied().unwrap_or(0) >= n,
            "{context}: {item} lost its AI call(s) ({n} in the clean run)"
        );
    }
}

fn seed() -> u64 {
    std::env::var("REDELIVERY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

fn trials() -> usize {
    std::env::var("REDELIVERY_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
}

/// Runs `kind`'s trials against its clean run; answers every crash that happened, so the
/// caller can check the points were really reached.
async fn prove(kind: Kind) -> Vec<String> {
    let seed = seed();
    let mut rng = Rng(seed ^ kind as u64);
    let clean = clean(kind).await;
    assert!(clean.happened.is_empty());
    let mut happened = Vec::new();
    for index in 0..trials() {
        let trial = Trial::draw(kind, &mut rng);
        let got = run(kind, &trial).await;
        compare(kind, seed, index, &trial, &clean, &got);
        happened.extend(got.happened);
    }
    let mut by_point: BTreeMap<String, u32> = BTreeMap::new();
    for crash in &happened {
        *by_point.entry(crash.clone()).or_default() += 1;
    }
    eprintln!("{kind:?} (seed {seed}): crashes that happened: {by_point:?}");
    assert!(
        !happened.is_empty(),
        "{kind:?}: no planned crash happened, so nothing was proved"
    );
    happened
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_upload_and_its_enrichment_survive_redelivery_and_crashes() {
    prove(Kind::FeedUpload).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_write_retried_across_crashes_lands_and_is_enriched_once() {
    prove(Kind::HttpWrite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_job_survives_redelivery_and_crashes_without_a_doubled_push() {
    prove(Kind::SyncJob).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_upload_survives_redelivery_and_crashes() {
    prove(Kind::VideoUpload).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_fired_again_and_cut_short_make_their_work_once() {
    prove(Kind::Timer).await;
}
