//! What every platform client shares about waiting: the clock it reads and sleeps on (a
//! virtual one in tests), the bounds on retrying, and reading `Retry-After`.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

#[cfg(any(test, feature = "mock-platforms"))]
use std::sync::atomic::{AtomicU64, Ordering};

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
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.base_backoff
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(16)))
    }
}

/// `Retry-After` in seconds, fractional allowed (`"2.0"`, `"0.5"`); `None` when unreadable.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(3600.0)))
}

/// Why a failed attempt is worth repeating.
#[derive(Debug)]
pub(crate) struct Again {
    /// The answer's `Retry-After`, if readable.
    pub(crate) after: Option<Duration>,
    /// What went wrong, for the log and the final error.
    pub(crate) why: String,
    /// Throttling (a 429, a concurrency limit) rather than a server or transport failure.
    pub(crate) throttled: bool,
}

/// A call whose retries ran out: whether it was throttling, and the last reason.
#[derive(Debug)]
pub(crate) struct GaveUp {
    pub(crate) throttled: bool,
    pub(crate) last: String,
}

impl RetryPolicy {
    /// After failed attempt number `attempts`, having waited `waited` so far: how long to wait
    /// before the next (its `Retry-After`, else the back-off), or why to stop.
    pub(crate) fn wait_after(
        &self,
        attempts: u32,
        waited: Duration,
        again: Again,
    ) -> Result<Duration, GaveUp> {
        let delay = again.after.unwrap_or_else(|| self.backoff(attempts));
        if attempts >= self.max_attempts || waited + delay > self.max_total_wait {
            return Err(GaveUp {
                throttled: again.throttled,
                last: again.why,
            });
        }
        Ok(delay)
    }
}

/// A clock that moves only when someone sleeps on it: the mocks' tests wait without waiting.
#[cfg(any(test, feature = "mock-platforms"))]
#[derive(Debug, Default)]
pub struct VirtualClock {
    micros: AtomicU64,
}

#[cfg(any(test, feature = "mock-platforms"))]
impl Clock for VirtualClock {
    fn now(&self) -> Duration {
        Duration::from_micros(self.micros.load(Ordering::SeqCst))
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        self.micros.fetch_add(micros, Ordering::SeqCst);
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_fractional_seconds_and_refuses_nonsense() {
        assert_eq!(parse_retry_after("2.0"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.25"), Some(Duration::from_millis(250)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("soon"), None);
    }
}
