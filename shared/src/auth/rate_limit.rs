//! Token buckets, one per tenant and one per credential, kept in this process. Instances share
//! nothing, so a limit holds per instance: what it protects is the instance's own store pool
//! and CPU, which a burst from one caller must not take from the others.
//!
//! Time is passed in, so the arithmetic is tested without sleeping.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::settings::{RateLimit, RateLimitSettings};

/// The most buckets one map keeps; past it, the idle ones (full again) are dropped first.
const MAX_BUCKETS: usize = 10_000;

/// One bucket: `tokens` left as of `updated`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    fn full(limit: RateLimit, now: Instant) -> Self {
        Self {
            tokens: f64::from(limit.burst),
            updated: now,
        }
    }

    /// Refills for the time since the last update, capped at the burst.
    fn refill(&mut self, limit: RateLimit, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens =
            (self.tokens + elapsed * f64::from(limit.per_second)).min(f64::from(limit.burst));
        self.updated = now;
    }

    /// How long until one whole token is back.
    fn wait(&self, limit: RateLimit) -> Duration {
        Duration::from_secs_f64((1.0 - self.tokens).max(0.0) / f64::from(limit.per_second))
    }

    /// Whether it has refilled completely by `now`: forgetting it changes nothing.
    fn is_idle(&self, limit: RateLimit, now: Instant) -> bool {
        let mut copy = *self;
        copy.refill(limit, now);
        copy.tokens >= f64::from(limit.burst)
    }
}

/// The buckets of one kind (tenants, or credentials), bounded in number.
#[derive(Debug)]
struct Buckets {
    limit: RateLimit,
    buckets: HashMap<String, Bucket>,
}

impl Buckets {
    fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: HashMap::new(),
        }
    }

    /// The wait before `key` may go on, without taking a token.
    fn wait(&mut self, key: &str, now: Instant) -> Option<Duration> {
        if !self.limit.is_on() {
            return None;
        }
        let limit = self.limit;
        let bucket = self.bucket(key, now);
        (bucket.tokens < 1.0).then(|| bucket.wait(limit))
    }

    /// Takes one token from `key`'s bucket (which [`Buckets::wait`] said is there).
    fn take(&mut self, key: &str, now: Instant) {
        if self.limit.is_on() {
            self.bucket(key, now).tokens -= 1.0;
        }
    }

    fn bucket(&mut self, key: &str, now: Instant) -> &mut Bucket {
        let limit = self.limit;
        if !self.buckets.contains_key(key) && self.buckets.len() >= MAX_BUCKETS {
            self.evict(now);
        }
        let bucket = self
            .buckets
            .entry(key.to_owned())
            .or_insert_with(|| Bucket::full(limit, now));
        bucket.refill(limit, now);
        bucket
    }

    /// Drops the buckets that are full again; if every one is busy, the one idle longest goes,
    /// so memory stays bounded even under a flood of new keys.
    fn evict(&mut self, now: Instant) {
        let limit = self.limit;
        self.buckets.retain(|_, b| !b.is_idle(limit, now));
        if self.buckets.len() >= MAX_BUCKETS
            && let Some(oldest) = self
                .buckets
                .iter()
                .min_by_key(|(_, b)| b.updated)
                .map(|(k, _)| k.clone())
        {
            self.buckets.remove(&oldest);
        }
    }
}

/// The rate limits of this instance.
#[derive(Debug)]
pub struct RateLimiter {
    inner: Mutex<(Buckets, Buckets)>,
}

/// A request over its limit, and how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many requests: try again in {retry_after_seconds} s")]
pub struct RateLimited {
    /// Whole seconds, rounded up (at least 1), for `Retry-After`.
    pub retry_after_seconds: u32,
}

impl RateLimiter {
    /// Buckets shaped by `settings`.
    pub fn new(settings: &RateLimitSettings) -> Self {
        Self {
            inner: Mutex::new((
                Buckets::new(settings.tenant),
                Buckets::new(settings.credential),
            )),
        }
    }

    /// Admits one request of `tenant` made with `credential` at `now`, or says how long to
    /// wait. A refused request takes no token from either bucket, so a caller that waits as
    /// told gets through.
    pub fn check(&self, tenant: &str, credential: &str, now: Instant) -> Result<(), RateLimited> {
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (tenants, credentials) = &mut *guard;
        let wait = tenants
            .wait(tenant, now)
            .max(credentials.wait(credential, now));
        if let Some(wait) = wait {
            let seconds = wait.as_secs_f64().ceil().max(1.0);
            return Err(RateLimited {
                retry_after_seconds: seconds.min(f64::from(u32::MAX)) as u32,
            });
        }
        tenants.take(tenant, now);
        credentials.take(credential, now);
        Ok(())
    }

    /// How many buckets are held (tenants, credentials), for tests of the bound.
    pub fn held(&self) -> (usize, usize) {
        let guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (guard.0.buckets.len(), guard.1.buckets.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(tenant: (u32, u32), credential: (u32, u32)) -> RateLimiter {
        RateLimiter::new(&RateLimitSettings {
            tenant: RateLimit {
                per_second: tenant.0,
                burst: tenant.1,
            },
            credential: RateLimit {
                per_second: credential.0,
                burst: credential.1,
            },
        })
    }

    #[test]
    fn a_burst_passes_then_the_next_request_waits_for_one_token() {
        let limiter = limiter((0, 1), (2, 3));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check("demo", "k1", t0), Ok(()));
        }
        assert_eq!(
            limiter.check("demo", "k1", t0),
            Err(RateLimited {
                retry_after_seconds: 1
            })
        );
        // Half a second at 2/s brings one token back.
        let later = t0 + Duration::from_millis(500);
        assert_eq!(limiter.check("demo", "k1", later), Ok(()));
        assert!(limiter.check("demo", "k1", later).is_err());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let limiter = limiter((0, 1), (1, 1));
        let t0 = Instant::now();
        limiter.check("demo", "k", t0).unwrap();
        let err = limiter
            .check("demo", "k", t0 + Duration::from_millis(100))
            .unwrap_err();
        assert_eq!(err.retry_after_seconds, 1);
        let slow = self::limiter((0, 1), (0, 1));
        assert!(slow.check("demo", "k", t0).is_ok(), "0 turns limits off");
    }

    #[test]
    fn the_tenant_limit_holds_over_all_its_credentials_and_refusals_cost_nothing() {
        let limiter = limiter((1, 2), (100, 100));
        let t0 = Instant::now();
        assert!(limiter.check("demo", "a", t0).is_ok());
        assert!(limiter.check("demo", "b", t0).is_ok());
        assert!(limiter.check("demo", "c", t0).is_err());
        assert!(limiter.check("acme", "d", t0).is_ok(), "another tenant");
        // One second later exactly one token is back, because refusals took none.
        let later = t0 + Duration::from_secs(1);
        assert!(limiter.check("demo", "c", later).is_ok());
        assert!(limiter.check("demo", "c", later).is_err());
    }

    #[test]
    fn buckets_stay_bounded_under_a_flood_of_new_credentials() {
        let limiter = limiter((0, 1), (1, 1));
        let t0 = Instant::now();
        for i in 0..MAX_BUCKETS + 50 {
            limiter.check("demo", &format!("k{i}"), t0).unwrap();
        }
        assert!(limiter.held().1 <= MAX_BUCKETS);
        // Once they have refilled, the next newcomer sweeps the idle ones away.
        limiter
            .check("demo", "late", t0 + Duration::from_secs(2))
            .unwrap();
        assert_eq!(limiter.held().1, 1);
    }
}
