//! The open-loop load driver: requests scheduled at a fixed rate by a pacer thread, answered on
//! a tokio runtime, each latency measured from the time the request was scheduled for.

use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use super::{millis, percentile};

/// Sends requests at a fixed rate, whatever the answers do.
pub struct Pacer<'a> {
    runtime: &'a Runtime,
    client: &'a reqwest::Client,
    key: &'a str,
}

/// What one run measured.
pub struct Phase {
    /// Every request's latency from its scheduled time, sorted.
    latencies: Vec<Duration>,
    /// Transport errors, timeouts and non-2xx answers.
    errors: u64,
    /// How late the pacer dispatched its latest request (the driver's own lag).
    pacer_lag: Duration,
    /// From the first scheduled request to the last answer.
    elapsed: Duration,
}

impl<'a> Pacer<'a> {
    /// A pacer sending with `client` on `runtime`, authenticated by the API key `key`.
    pub fn new(runtime: &'a Runtime, client: &'a reqwest::Client, key: &'a str) -> Self {
        Self {
            runtime,
            client,
            key,
        }
    }

    /// Sends `rate × seconds` GETs, cycling through `urls`, request *i* scheduled at
    /// `start + i / rate`. The pacer sleeps on an OS thread (tens of µs late, not tokio's 1 ms
    /// timer wheel) and hands each request to the runtime, so a slow answer never holds back
    /// the next request.
    pub fn run(&self, urls: &[String], rate: u32, seconds: u64) -> Phase {
        let total = u64::from(rate) * seconds;
        let start = Instant::now() + Duration::from_millis(10);
        let mut pacer_lag = Duration::ZERO;
        let mut requests = Vec::with_capacity(total as usize);
        for i in 0..total {
            let scheduled = start + Duration::from_nanos(i * 1_000_000_000 / u64::from(rate));
            let now = Instant::now();
            if scheduled > now {
                std::thread::sleep(scheduled - now);
            }
            pacer_lag = pacer_lag.max(Instant::now().saturating_duration_since(scheduled));
            let request = self
                .client
                .get(&urls[i as usize % urls.len()])
                .header("x-api-key", self.key);
            requests.push(self.runtime.spawn(answer(request, scheduled)));
        }
        let answers = self.runtime.block_on(futures::future::join_all(requests));
        let elapsed = start.elapsed();
        let mut latencies = Vec::with_capacity(answers.len());
        let mut errors = 0;
        for (latency, ok) in answers.into_iter().map(Result::unwrap) {
            latencies.push(latency);
            errors += u64::from(!ok);
        }
        latencies.sort();
        Phase {
            latencies,
            errors,
            pacer_lag,
            elapsed,
        }
    }
}

/// Sends one request and reads its whole body: its latency from `scheduled`, and whether it
/// succeeded.
async fn answer(request: reqwest::RequestBuilder, scheduled: Instant) -> (Duration, bool) {
    let ok = match request.send().await {
        Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
        Err(_) => false,
    };
    (scheduled.elapsed(), ok)
}

impl Phase {
    /// One line of figures under `name`.
    pub fn print(&self, name: &str) {
        let count = self.latencies.len();
        println!(
            "  {name:<32} {count} requests ({:.0}/s achieved): p50 {:.2} ms, p95 {:.2} ms, \
             p99 {:.2} ms, max {:.2} ms; {} errors; pacer lag ≤ {:.2} ms",
            count as f64 / self.elapsed.as_secs_f64(),
            millis(percentile(&self.latencies, 50.0)),
            millis(percentile(&self.latencies, 95.0)),
            millis(percentile(&self.latencies, 99.0)),
            millis(self.latencies[count - 1]),
            self.errors,
            millis(self.pacer_lag),
        );
    }
}
