//! The one network call — `POST {base}/admin/api/{version}/graphql.json` — wrapped in the retry
//! and throttling decisions that every operation shares.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ShopifyError;
use super::throttle::{Bucket, Clock, RetryPolicy, ThrottleStatus, parse_retry_after};
use crate::settings::Secret;

/// `extensions.cost` of a response: what the query cost and what is left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryCost {
    /// The cost Shopify reserved before running the query.
    pub requested: f64,
    /// What it really cost (`null` when the query was throttled).
    pub actual: Option<f64>,
    /// The bucket after the query.
    pub throttle: ThrottleStatus,
}

/// The GraphQL envelope.
#[derive(Debug, Deserialize)]
struct Envelope {
    data: Option<Value>,
    #[serde(default)]
    errors: Option<Value>,
    #[serde(default)]
    extensions: Option<Extensions>,
}

#[derive(Debug, Deserialize)]
struct Extensions {
    cost: Option<RawCost>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCost {
    requested_query_cost: f64,
    actual_query_cost: Option<f64>,
    throttle_status: RawThrottle,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawThrottle {
    maximum_available: f64,
    currently_available: f64,
    restore_rate: f64,
}

/// What one attempt came to.
enum Attempt {
    Done(Value, Option<QueryCost>),
    /// Worth another try; the text says why.
    Again(Retry, String),
}

/// Why an attempt is worth repeating, which decides how long to wait.
enum Retry {
    /// A `THROTTLED` body: the bucket, just observed, says how long.
    Bucket,
    /// A 429: its `Retry-After`, if readable.
    TooMany(Option<Duration>),
    /// A 5xx, timeout or dropped connection: its `Retry-After`, else exponential back-off.
    Server(Option<Duration>),
}

/// The GraphQL transport: endpoint, token, clock, retry bounds and what it knows of the bucket.
#[derive(Debug)]
pub(super) struct Transport {
    http: reqwest::Client,
    endpoint: String,
    token: Secret,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    bucket: Bucket,
    /// The last `requestedQueryCost` per operation: the estimate for its next call.
    estimates: HashMap<&'static str, f64>,
}

impl Transport {
    pub(super) fn new(
        endpoint: String,
        token: Secret,
        clock: Arc<dyn Clock>,
        retry: RetryPolicy,
    ) -> Result<Self, ShopifyError> {
        let http = crate::connections::platform_http_client(
            retry.attempt_timeout,
            retry.attempt_timeout.min(Duration::from_secs(10)),
        )
        .map_err(|e| ShopifyError::Config(e.to_string()))?;
        Ok(Self {
            http,
            endpoint,
            token,
            clock,
            retry,
            state: Mutex::default(),
        })
    }

    pub(super) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Runs `query` named `operation` with `variables`, waiting for the bucket first and
    /// retrying what a retry can fix, and decodes `data` as `T`.
    pub(super) async fn execute<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        query: &str,
        variables: Value,
    ) -> Result<(T, Option<QueryCost>), ShopifyError> {
        let body = serde_json::json!({ "query": query, "variables": variables });
        let mut waited = Duration::ZERO;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let wait = self.wait_before(operation);
            if !wait.is_zero() {
                waited += wait;
                self.clock.sleep(wait).await;
            }
            let (retry, why) = match self.attempt(operation, &body).await? {
                Attempt::Done(data, cost) => {
                    let data = serde_path_to_error::deserialize(data)
                        .map_err(|e| ShopifyError::Decode(e.to_string()))?;
                    return Ok((data, cost));
                }
                Attempt::Again(retry, why) => (retry, why),
            };
            let throttled = !matches!(retry, Retry::Server(_));
            let delay = self.delay(operation, retry, attempts);
            let pending = delay + self.wait_before(operation);
            tracing::warn!(operation, attempts, ?pending, reason = %why, "retrying Shopify call");
            if attempts >= self.retry.max_attempts || waited + pending > self.retry.max_total_wait {
                return Err(if throttled {
                    ShopifyError::Throttled { attempts, waited }
                } else {
                    ShopifyError::Unavailable {
                        attempts,
                        last: why,
                    }
                });
            }
            if !delay.is_zero() {
                waited += delay;
                self.clock.sleep(delay).await;
            }
        }
    }

    /// How long to wait after attempt number `attempts` of `operation` asked for `retry`,
    /// besides what the bucket says.
    fn delay(&self, operation: &'static str, retry: Retry, attempts: u32) -> Duration {
        match retry {
            // The bucket wait happens at the top of the loop, from the status just observed;
            // without one (no cost reported) fall back to the base back-off.
            Retry::Bucket if !self.wait_before(operation).is_zero() => Duration::ZERO,
            Retry::Bucket => self.retry.base_backoff,
            Retry::TooMany(after) => after.unwrap_or(self.retry.base_backoff),
            Retry::Server(after) => after.unwrap_or_else(|| self.retry.backoff(attempts)),
        }
    }

    /// How long the bucket says to wait before `operation` fits.
    fn wait_before(&self, operation: &'static str) -> Duration {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let estimate = state.estimates.get(operation).copied().unwrap_or(0.0);
        state.bucket.wait_for(estimate, self.clock.now())
    }

    /// Remembers the cost a response reported.
    fn observe(&self, operation: &'static str, cost: &QueryCost) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.bucket.observe(cost.throttle, self.clock.now());
        state.estimates.insert(operation, cost.requested);
    }

    /// One request and what to do about its answer.
    async fn attempt(
        &self,
        operation: &'static str,
        body: &Value,
    ) -> Result<Attempt, ShopifyError> {
        let sent = self
            .http
            .post(&self.endpoint)
            .header("X-Shopify-Access-Token", self.token.expose())
            .json(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) if e.is_timeout() || e.is_connect() || e.is_request() => {
                return Ok(Attempt::Again(
                    Retry::Server(None),
                    format!("transport: {e}"),
                ));
            }
            Err(e) => {
                return Err(ShopifyError::Unavailable {
                    attempts: 1,
                    last: e.to_string(),
                });
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let text = match response.text().await {
            Ok(text) => text,
            Err(e) => {
                return Ok(Attempt::Again(
                    Retry::Server(None),
                    format!("reading body: {e}"),
                ));
            }
        };
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(ShopifyError::Auth {
                status: status.as_u16(),
                message: clip(&text),
            }),
            StatusCode::TOO_MANY_REQUESTS => Ok(Attempt::Again(
                Retry::TooMany(retry_after),
                "HTTP 429".into(),
            )),
            s if s.is_server_error() => Ok(Attempt::Again(
                Retry::Server(retry_after),
                format!("HTTP {s}"),
            )),
            s if s.is_success() => self.read_envelope(operation, &text),
            s => Err(ShopifyError::Http {
                status: s.as_u16(),
                body: clip(&text),
            }),
        }
    }

    /// Reads a 200: data, a body-level THROTTLED, or a typed error.
    fn read_envelope(&self, operation: &'static str, text: &str) -> Result<Attempt, ShopifyError> {
        let envelope: Envelope =
            serde_json::from_str(text).map_err(|e| ShopifyError::Decode(e.to_string()))?;
        let cost = envelope.extensions.and_then(|x| x.cost).map(|c| QueryCost {
            requested: c.requested_query_cost,
            actual: c.actual_query_cost,
            throttle: ThrottleStatus {
                maximum_available: c.throttle_status.maximum_available,
                currently_available: c.throttle_status.currently_available,
                restore_rate: c.throttle_status.restore_rate,
            },
        });
        if let Some(cost) = &cost {
            self.observe(operation, cost);
        }
        if let Some(errors) = envelope.errors.as_ref().and_then(Value::as_array) {
            let code = |e: &Value| {
                e.pointer("/extensions/code")
                    .and_then(Value::as_str)
                    .unwrap_or("UNKNOWN")
                    .to_owned()
            };
            let message = errors
                .iter()
                .filter_map(|e| e.get("message").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("; ");
            let first = errors.first().map(code).unwrap_or_else(|| "UNKNOWN".into());
            if errors.iter().any(|e| code(e) == "THROTTLED") {
                return Ok(Attempt::Again(Retry::Bucket, "THROTTLED".into()));
            }
            if first == "ACCESS_DENIED" {
                return Err(ShopifyError::Auth {
                    status: 200,
                    message,
                });
            }
            if !errors.is_empty() {
                return Err(ShopifyError::GraphQl {
                    code: first,
                    message,
                });
            }
        }
        match envelope.data {
            Some(data) if !data.is_null() => Ok(Attempt::Done(data, cost)),
            _ => Err(ShopifyError::Decode("no data and no errors".into())),
        }
    }
}

/// The start of a body, for an error message.
fn clip(text: &str) -> String {
    text.chars().take(300).collect()
}
