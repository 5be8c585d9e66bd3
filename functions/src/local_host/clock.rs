//! Time for the local host's timers, injectable so tests can move it by hand instead of
//! sleeping.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::watch;

/// A source of the current time that can also wait until a time.
#[async_trait]
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
    /// Returns once `now() >= at`.
    async fn sleep_until(&self, at: DateTime<Utc>);
}

/// The wall clock.
#[derive(Debug, Default)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    async fn sleep_until(&self, at: DateTime<Utc>) {
        // Re-checked after waking: the wall clock may have been adjusted while asleep.
        loop {
            let left = at - Utc::now();
            let Ok(left) = left.to_std() else { return };
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left).await;
        }
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock {
    now: watch::Sender<DateTime<Utc>>,
    guard: Mutex<()>,
    sleepers: AtomicUsize,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: watch::channel(start).0,
            guard: Mutex::new(()),
            sleepers: AtomicUsize::new(0),
        }
    }

    /// How many tasks wait on this clock now, so a test can move it only once they do.
    pub fn sleepers(&self) -> usize {
        self.sleepers.load(Ordering::SeqCst)
    }

    /// Moves the clock to `to` (never backwards), waking whoever waits for a time up to it.
    pub fn set(&self, to: DateTime<Utc>) {
        let _serial = self.guard.lock().unwrap_or_else(|p| p.into_inner());
        self.now.send_if_modified(|now| {
            let moved = to > *now;
            if moved {
                *now = to;
            }
            moved
        });
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.borrow()
    }

    async fn sleep_until(&self, at: DateTime<Utc>) {
        let mut receiver = self.now.subscribe();
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        // `wait_for` checks the current value first, so a time already passed returns at once.
        let _ = receiver.wait_for(|now| *now >= at).await;
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
    }
}
