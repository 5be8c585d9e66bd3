//! Shopify's cost-based leaky bucket as the client sees it, and the clock the client waits on.
//!
//! Every GraphQL response reports `extensions.cost.throttleStatus`: how many points the bucket
//! holds, how many are available now and how fast it refills. Before sending a query whose cost
//! exceeds what is available, the client waits until `available + restore_rate × t ≥ cost`
//! instead of spending a request on a certain `THROTTLED`.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Where the client reads the time and how it waits. Tests use a virtual clock so throttling
/// logic never sleeps for real; production uses tokio's.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Time since an arbitrary fixed origin.
    fn now(&self) -> Duration;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The real clock: tokio's timer, measured from when the clock was made.
#[derive(Debug)]
pub struct TokioClock {
    origin: tokio::time::Instant,
}

impl Default for TokioClock {
    fn default() -> Self {
        Self {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

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

/// Bounds on retrying: how many attempts one request gets, how long each may take and how
/// long the request may wait in total between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// Total time one request may spend waiting between attempts.
    pub max_total_wait: Duration,
    /// First back-off after a 5xx or timeout; doubled each time.
    pub base_backoff: Duration,
    /// How long one attempt may take before it counts as a timeout (and is retried).
    pub attempt_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            max_total_wait: Duration::from_secs(120),
            base_backoff: Duration::from_millis(500),
            attempt_timeout: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Back-off before attempt `attempt + 1` after a server error (attempt counts from 1).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        self.base_backoff
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(16)))
    }
}

/// `Retry-After` in seconds, fractional allowed (`"2.0"`, `"0.5"`); `None` when unreadable.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(3600.0)))
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

    #[test]
    fn retry_after_takes_fractional_seconds_and_refuses_nonsense() {
        assert_eq!(parse_retry_after("2.0"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.25"), Some(Duration::from_millis(250)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("soon"), None);
    }
}
