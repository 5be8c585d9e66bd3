//! Crash points: named places where the process can be made to die on purpose, as a power cut
//! or an OOM kill would end it, so the redelivery harness (`functions/tests/api/redelivery.rs`)
//! can prove that work cut short at the worst moment is neither lost nor doubled.
//!
//! A crash point does nothing unless `ADVISOR_CRASH_AT` is set when the process starts. Its value
//! is `point:n` — die the `n`th time `point` is passed (`n` defaults to 1). A point is named
//! `area.moment` and may be narrowed to one function with `/`: `host.after_outputs/EnrichProduct`
//! matches only there, `host.after_outputs` matches in every function. Dying is
//! [`std::process::abort`]: no destructor runs, nothing is flushed, as with `kill -9`.
//!
//! The points, in the order work passes them:
//! - `watcher.raised`: the local host enqueued a BlobCreated event but has not yet recorded that
//!   it did (the event is raised again on restart).
//! - `ingest.batch_committed`: a feed batch is in the database, the run is not finished.
//! - `enrich.answered`: the AI answered and the tokens are counted; the result is not saved.
//! - `video.thumbnails_written`: the keyframe thumbnails are in Blob Storage, the record is not.
//! - `video.reviewed`: the AI reviewed the keyframes; the record is not saved.
//! - `sync.page_committed`: a pulled page is stored; its checkpoint is not.
//! - `sync.pushed`: a platform accepted a push; the job does not know yet.
//! - `host.after_handler/<Function>`: the handler answered (its database work is committed) and
//!   its output bindings (queue messages, blobs) have not been carried out.
//! - `host.after_outputs/<Function>`: the outputs are carried out; the message is not completed
//!   (or the HTTP caller has no answer yet).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable that arms one crash point.
pub const CRASH_AT: &str = "ADVISOR_CRASH_AT";

#[derive(Debug)]
struct Plan {
    point: String,
    nth: u32,
    passes: AtomicU32,
}

static PLAN: OnceLock<Option<Plan>> = OnceLock::new();

fn plan() -> Option<&'static Plan> {
    PLAN.get_or_init(|| {
        let value = std::env::var(CRASH_AT).ok()?;
        parse(&value)
    })
    .as_ref()
}

fn parse(value: &str) -> Option<Plan> {
    let (point, nth) = match value.rsplit_once(':') {
        Some((point, nth)) => (point, nth.trim().parse().ok()?),
        None => (value, 1),
    };
    let point = point.trim();
    (!point.is_empty() && nth > 0).then(|| Plan {
        point: point.to_owned(),
        nth,
        passes: AtomicU32::new(0),
    })
}

/// Passes the crash point `point`; dies here if it is the armed one and this is its `n`th pass.
pub fn point(point: &str) {
    if let Some(plan) = plan().filter(|plan| plan.point == point) {
        pass(plan);
    }
}

/// Passes the crash point `point` inside `function`: armed as `point` or `point/function`.
pub fn point_in(point: &str, function: &str) {
    let Some(plan) = plan() else { return };
    let matches = match plan.point.split_once('/') {
        Some((armed, only)) => armed == point && only == function,
        None => plan.point == point,
    };
    if matches {
        pass(plan);
    }
}

fn pass(plan: &Plan) {
    if plan.passes.fetch_add(1, Ordering::SeqCst) + 1 == plan.nth {
        eprintln!(
            "crash point {} reached (pass {}): aborting",
            plan.point, plan.nth
        );
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_names_a_point_and_the_pass_to_die_on() {
        let plan = parse("sync.page_committed:3").unwrap();
        assert_eq!((plan.point.as_str(), plan.nth), ("sync.page_committed", 3));
        let plan = parse("host.after_outputs/EnrichProduct").unwrap();
        assert_eq!(
            (plan.point.as_str(), plan.nth),
            ("host.after_outputs/EnrichProduct", 1)
        );
    }

    #[test]
    fn a_plan_that_cannot_be_read_arms_nothing() {
        assert!(parse("").is_none());
        assert!(parse("ingest.batch_committed:0").is_none());
        assert!(parse("ingest.batch_committed:x").is_none());
    }
}
