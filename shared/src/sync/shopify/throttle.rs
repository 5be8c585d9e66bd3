//! Shopify's cost-based leaky bucket as the client sees it (the clock and retry bounds it
//! shares with the other clients are in [`crate::sync::retry`]).
//!
//! Every GraphQL response reports `extensions.cost.throttleStatus`: how many points the bucket
//! holds, how many are available now and how fast it refills. Before sending a query whose cost
//! exceeds what is available, the client waits until `available + restore_rate × t ≥ cost`
//! instead of spending a request on a certain `THROTTLED`.

use std::time::Duration;

pub(crate) use crate::sync::retry::parse_retry_after;
pub use crate::sync::retry::{Clock, RetryPolicy, TokioClock};

/// `extensions.cost.throttleStatus` of the last response, and when it was read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleStatus {
    /// The bucket's size in points.
    pub maximum_available: f64,
    /// Points available when the response was made.
    pub currently_available: f64,
    /// Points restored per second.
    pub restore_rate: f64,
}

/// What the client knows about the bucket.
#[derive(Debug, Default)]
pub(super) struct Bucket {
    last: Option<(ThrottleStatus, Duration)>,
}

impl Bucket {
    /// Records the status a response reported at `now`.
    pub(super) fn observe(&mut self, status: ThrottleStatus, now: Duration) {
        self.last = Some((status, now));
    }

    /// How long to wait at `now` before a query costing `cost` fits; zero when it fits or when
    /// nothing is known yet (the first response tells).
    pub(super) fn wait_for(&self, cost: f64, now: Duration) -> Duration {
        let Some((status, at)) = self.last else {
            return Duration::ZERO;
        };
        // A query dearer than the whole bucket never fits; Shopify refuses it with
        // MAX_COST_EXCEEDED, so waiting would not help.
        let cost = cost.min(status.maximum_available);
        let elapsed = now.saturating_sub(at).as_secs_f64();
        let available = (status.currently_available + status.restore_rate * elapsed)
            .min(status.maximum_available);
        if available >= cost || status.restore_rate <= 0.0 {
            return Duration::ZERO;
        }
        Duration::from_secs_f64((cost - available) / status.restore_rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(available: f64) -> ThrottleStatus {
        ThrottleStatus {
            maximum_available: 1000.0,
            currently_available: available,
            restore_rate: 50.0,
        }
    }

    #[test]
    fn a_query_that_fits_waits_nothing_and_one_that_does_not_waits_for_the_refill() {
        let mut bucket = Bucket::default();
        assert_eq!(bucket.wait_for(500.0, Duration::ZERO), Duration::ZERO);
        bucket.observe(status(100.0), Duration::from_secs(10));
        assert_eq!(
            bucket.wait_for(100.0, Duration::from_secs(10)),
            Duration::ZERO
        );
        // 400 missing at 50/s: 8 s, of which 2 s have already passed.
        assert_eq!(
            bucket.wait_for(500.0, Duration::from_secs(12)),
            Duration::from_secs(6)
        );
        // Never more than a full bucket's refill.
        assert_eq!(
            bucket.wait_for(5000.0, Duration::from_secs(10)),
            Duration::from_secs(18)
        );
    }
}
