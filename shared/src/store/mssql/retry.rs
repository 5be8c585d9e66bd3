//! Which failures are worth another try, and how long to wait before it. Azure SQL fails over,
//! throttles and moves databases between nodes; the documented answer is to redo the whole unit
//! of work after a short, growing, jittered pause.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use crate::store::StoreError;

/// How many times a unit of work runs at most.
const MAX_ATTEMPTS: u32 = 5;

/// The pause before the second attempt; it doubles for each one after.
const BASE_DELAY: Duration = Duration::from_millis(200);

/// No single pause is longer than this.
const MAX_DELAY: Duration = Duration::from_secs(4);

/// Once this much time has gone by since the first attempt, no more are made.
const RETRY_BUDGET: Duration = Duration::from_secs(10);

/// Whether the server error `number` is one Azure SQL documents as transient, or a deadlock.
pub fn is_transient(number: u32) -> bool {
    matches!(
        number,
        // The database is not currently available (failover, reconfiguration).
        40613
        // The service is busy.
        | 40501
        // The service had an error processing the request (failover).
        | 40197
        // Cannot process the request: not enough resources (elastic pools).
        | 49918
        // Cannot open the database requested by the login (often mid-failover).
        | 4060
        // Resource limits reached: sessions or workers.
        | 10928 | 10929
        // Chosen as the deadlock victim.
        | 1205
        // Lock request time out period exceeded: another transaction held the rows for
        // longer than the connection's `LOCK_TIMEOUT`.
        | 1222
    )
}

/// Maps a driver error: connection failures and the transient server errors say "try again",
/// the rest is the database refusing.
pub(super) fn map_error(error: tiberius::error::Error) -> StoreError {
    use tiberius::error::Error;
    match &error {
        Error::Io { .. } | Error::Routing { .. } => StoreError::Unavailable(error.to_string()),
        Error::Server(token) if is_transient(token.code()) => {
            StoreError::Unavailable(format!("{} (error {})", token.message(), token.code()))
        }
        Error::Server(token) => {
            StoreError::Database(format!("{} (error {})", token.message(), token.code()))
        }
        _ => StoreError::Database(error.to_string()),
    }
}

/// Whether to redo a unit of work that failed with `error` on attempt `attempt` (1-based),
/// `elapsed` after the first began, and after what pause: only transient failures are redone,
/// at most [`MAX_ATTEMPTS`] times in all and not past [`RETRY_BUDGET`].
pub(super) fn pause_before_retry(
    error: &StoreError,
    attempt: u32,
    elapsed: Duration,
    jitter: f64,
) -> Option<Duration> {
    if !error.is_transient() || attempt >= MAX_ATTEMPTS {
        return None;
    }
    let pause = backoff(attempt, jitter);
    (elapsed + pause <= RETRY_BUDGET).then_some(pause)
}

/// The pause after failed attempt `attempt` (1-based): exponential, capped, with "full jitter"
/// (`jitter` in `[0, 1)` picks a point between half the step and the whole of it) so that many
/// instances failed by the same failover do not come back in step.
pub(super) fn backoff(attempt: u32, jitter: f64) -> Duration {
    let step = BASE_DELAY
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(MAX_DELAY);
    step.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// A number in `[0, 1)` that differs from call to call; std's randomly keyed hasher is random
/// enough for spreading retries, and saves a dependency.
pub(super) fn jitter() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(u64::from(std::process::id()));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_sql_transient_errors_deadlocks_and_lock_timeouts_are_retried() {
        for number in [40613, 40501, 40197, 49918, 4060, 10928, 10929, 1205, 1222] {
            assert!(is_transient(number), "{number}");
        }
    }

    #[test]
    fn constraint_violations_and_login_failures_are_not_retried() {
        // Duplicate key, FK violation, login failed, invalid object name.
        for number in [2627, 547, 18456, 208, 0] {
            assert!(!is_transient(number), "{number}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_and_jitter_only_shortens_it() {
        assert_eq!(backoff(1, 1.0), Duration::from_millis(200));
        assert_eq!(backoff(1, 0.0), Duration::from_millis(100));
        assert_eq!(backoff(3, 0.0), Duration::from_millis(400));
        assert_eq!(backoff(10, 0.0), Duration::from_secs(2));
        assert!(backoff(30, 1.0) <= MAX_DELAY);
    }

    #[test]
    fn only_transient_failures_are_redone_and_only_while_the_budget_lasts() {
        let busy = StoreError::Unavailable("busy".into());
        let refused = StoreError::Database("duplicate key".into());
        assert_eq!(
            pause_before_retry(&busy, 1, Duration::ZERO, 0.0),
            Some(Duration::from_millis(100))
        );
        assert_eq!(pause_before_retry(&refused, 1, Duration::ZERO, 0.0), None);
        assert_eq!(
            pause_before_retry(&busy, MAX_ATTEMPTS, Duration::ZERO, 0.0),
            None
        );
        assert_eq!(pause_before_retry(&busy, 2, RETRY_BUDGET, 0.0), None);
    }

    #[test]
    fn jitter_stays_in_the_unit_interval() {
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }

    #[test]
    fn io_failures_are_unavailable_and_syntax_errors_are_not() {
        let io = tiberius::error::Error::Io {
            kind: std::io::ErrorKind::ConnectionReset,
            message: "reset".into(),
        };
        assert!(map_error(io).is_transient());
        let protocol = tiberius::error::Error::Protocol("bad".into());
        assert!(!map_error(protocol).is_transient());
    }
}
