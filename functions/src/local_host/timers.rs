//! Fires timer triggers on their NCRONTAB schedule, as the host's timer extension does: one
//! occurrence at a time (a slow run delays the next, never overlaps it), `runOnStartup`, the
//! schedule monitor's `ScheduleStatus`, and the function's retry policy.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use shared::protocol::TimerInfo;
use shared::protocol::host::{self, Sys};
use shared::protocol::timer::{ScheduleStatus, TimerSchedule};
use shared::schedule::Schedule;
use tokio_util::sync::CancellationToken;

use super::clock::Clock;
use super::definitions::{FunctionDef, RetryPolicy};
use super::invoker::Invoker;

/// An occurrence that starts this late is past due.
const PAST_DUE_AFTER_SECONDS: i64 = 1;

/// One timer function's schedule loop.
#[derive(Debug, Clone)]
pub struct TimerRunner {
    /// The function.
    pub function: Arc<FunctionDef>,
    /// Its trigger binding name.
    pub binding: String,
    /// Its schedule.
    pub schedule: Schedule,
    /// Fire once at start.
    pub run_on_startup: bool,
    /// Whether `ScheduleStatus` is sent.
    pub use_monitor: bool,
    /// Retries after a failure.
    pub retry: Option<RetryPolicy>,
    /// The handler.
    pub invoker: Invoker,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

impl TimerRunner {
    /// Runs until `shutdown`; an occurrence already firing finishes first.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut last = None;
        if self.run_on_startup {
            let now = self.clock.now();
            self.fire(now, last).await;
            last = Some(now);
        }
        loop {
            let Some(next) = self.schedule.next_after(self.clock.now()) else {
                tracing::warn!(function = %self.function.name, schedule = %self.schedule, "the schedule has no further occurrence");
                return;
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.clock.sleep_until(next) => {}
            }
            self.fire(next, last).await;
            last = Some(next);
        }
    }

    /// Invokes the function once now, outside its schedule (the admin call).
    pub async fn fire_now(&self) {
        self.fire(self.clock.now(), None).await;
    }

    /// Invokes the function for `occurrence`, retrying as its policy says.
    async fn fire(&self, occurrence: DateTime<Utc>, last: Option<DateTime<Utc>>) {
        let attempts = 1 + self.retry.map_or(0, |r| r.max_retries);
        for attempt in 0..attempts {
            let mut request = host::timer_invocation(
                &self.binding,
                &self.timer_info(occurrence, last),
                &Sys::now(&self.function.name),
            );
            if let Some(policy) = self.retry {
                request.metadata.insert(
                    "RetryContext".into(),
                    json!({"RetryCount": attempt, "MaxRetryCount": policy.max_retries, "Exception": null}),
                );
            }
            match self.invoker.invoke(&self.function, &request).await {
                Ok(_) => return,
                Err(error) => {
                    tracing::warn!(function = %self.function.name, attempt, %error, "timer invocation failed");
                }
            }
            if let Some(policy) = self.retry.filter(|_| attempt + 1 < attempts) {
                let delay = backoff(policy, attempt);
                let wake = self.clock.now() + chrono::Duration::from_std(delay).unwrap_or_default();
                self.clock.sleep_until(wake).await;
            }
        }
        tracing::error!(function = %self.function.name, %occurrence, "timer occurrence failed; waiting for the next one");
    }

    fn timer_info(&self, occurrence: DateTime<Utc>, last: Option<DateTime<Utc>>) -> TimerInfo {
        let now = self.clock.now();
        let schedule_status = self.use_monitor.then(|| ScheduleStatus {
            // Before the first occurrence the monitor reports DateTime.MinValue.
            last: last.unwrap_or_else(|| {
                Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0)
                    .single()
                    .unwrap_or(now)
            }),
            next: self.schedule.next_after(occurrence).unwrap_or(occurrence),
            last_updated: now,
        });
        TimerInfo {
            schedule: TimerSchedule {
                adjust_for_dst: self.schedule.adjusts_for_dst(),
            },
            schedule_status,
            is_past_due: (now - occurrence).num_seconds() > PAST_DUE_AFTER_SECONDS,
        }
    }
}

/// The delay before retry `attempt + 1`: fixed, or doubling up to the maximum.
fn backoff(policy: RetryPolicy, attempt: u32) -> std::time::Duration {
    let factor = 2u32.saturating_pow(attempt.min(20));
    policy
        .delay
        .saturating_mul(factor)
        .min(policy.max_delay)
        .max(policy.delay.min(policy.max_delay))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn backoff_is_fixed_or_doubles_up_to_its_maximum() {
        let fixed = RetryPolicy {
            max_retries: 3,
            delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(5),
        };
        assert_eq!(backoff(fixed, 2), Duration::from_secs(5));
        let exp = RetryPolicy {
            max_retries: 5,
            delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(6),
        };
        let delays: Vec<u64> = (0..5).map(|a| backoff(exp, a).as_secs()).collect();
        assert_eq!(delays, vec![1, 2, 4, 6, 6]);
    }
}
