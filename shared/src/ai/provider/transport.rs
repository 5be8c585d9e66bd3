//! How requests to the provider travel: a tower service under async-openai's client that sends
//! each request with a timeout and retries rate limits (429), server errors (5xx), timeouts
//! and connection failures with exponential back-off and jitter, honouring the server's
//! `retry-after-ms` or `Retry-After` (seconds, possibly fractional, or an HTTP date). The whole
//! wait is bounded, so a queue message's lock outlives its retries; what is still failing then
//! goes back to the queue.
//!
//! For Azure OpenAI without a key, each attempt carries a fresh Entra ID token instead of the
//! `api-key` header.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Response, StatusCode};

use crate::azure::AzureCredential;

/// The scope of a token for Azure OpenAI.
pub const COGNITIVE_SERVICES_SCOPE: &str = "https://cognitiveservices.azure.com/.default";

/// When to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first back-off when the server names no delay; doubled on each attempt.
    pub base_delay: Duration,
    /// The longest back-off of our own choosing.
    pub max_delay: Duration,
    /// The most time spent waiting between attempts of one request: a server asking for more
    /// is not waited for, and the request fails as transient.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
            max_total_wait: Duration::from_secs(60),
        }
    }
}

/// The service async-openai sends through.
#[derive(Clone)]
pub struct Transport {
    client: reqwest::Client,
    policy: RetryPolicy,
    entra: Option<Arc<AzureCredential>>,
}

impl Transport {
    /// A transport over `client` (which carries the per-attempt timeout); with `entra`, each
    /// attempt authenticates with a token from it instead of an `api-key`.
    pub fn new(
        client: reqwest::Client,
        policy: RetryPolicy,
        entra: Option<Arc<AzureCredential>>,
    ) -> Self {
        Self {
            client,
            policy,
            entra,
        }
    }
}

type ResponseFuture = Pin<Box<dyn Future<Output = Result<Response, OpenAIError>> + Send>>;

impl tower::Service<HttpRequestFactory> for Transport {
    type Response = Response;
    type Error = OpenAIError;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: HttpRequestFactory) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.send(request).await })
    }
}

impl Transport {
    async fn send(&self, factory: HttpRequestFactory) -> Result<Response, OpenAIError> {
        let mut waited = Duration::ZERO;
        let mut attempt = 1;
        loop {
            let request = self.authorise(factory.build().await?).await?;
            let outcome = self.client.execute(request).await;
            let Some(delay) = self.retry_delay(&outcome, attempt) else {
                return outcome.map_err(OpenAIError::Reqwest);
            };
            if attempt >= self.policy.max_attempts || waited + delay > self.policy.max_total_wait {
                return outcome.map_err(OpenAIError::Reqwest);
            }
            tracing::warn!(
                attempt,
                delay_ms = delay.as_millis() as u64,
                outcome = %describe(&outcome),
                "AI provider request failed; retrying"
            );
            tokio::time::sleep(delay).await;
            waited += delay;
            attempt += 1;
        }
    }

    async fn authorise(
        &self,
        mut request: reqwest::Request,
    ) -> Result<reqwest::Request, OpenAIError> {
        // async-openai sends `Bearer ` with nothing after it when there is no key; a local
        // server that needs none gets no Authorization header at all.
        let empty_bearer = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("bearer"));
        if empty_bearer {
            request.headers_mut().remove(AUTHORIZATION);
        }
        if let Some(entra) = &self.entra {
            let token = entra
                .token(COGNITIVE_SERVICES_SCOPE)
                .await
                .map_err(|e| OpenAIError::Boxed(Box::new(e)))?;
            let value = HeaderValue::from_str(&format!("Bearer {}", token.secret.expose()))
                .map_err(|e| OpenAIError::Boxed(Box::new(e)))?;
            let headers = request.headers_mut();
            headers.remove("api-key");
            headers.insert(AUTHORIZATION, value);
        }
        Ok(request)
    }

    /// How long to wait before the next attempt, or `None` when the outcome is final.
    fn retry_delay(
        &self,
        outcome: &Result<Response, reqwest::Error>,
        attempt: u32,
    ) -> Option<Duration> {
        match outcome {
            Ok(response) if retryable(response.status()) => Some(
                server_delay(response.headers())
                    .map(|d| d + d.mul_f64(0.1 * random_fraction()))
                    .unwrap_or_else(|| self.backoff(attempt)),
            ),
            Ok(_) => None,
            Err(e) if e.is_timeout() || e.is_connect() => Some(self.backoff(attempt)),
            Err(_) => None,
        }
    }

    /// Exponential back-off with "equal jitter": between half and all of base·2ⁿ⁻¹.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .policy
            .base_delay
            .saturating_mul(1 << attempt.saturating_sub(1).min(16))
            .min(self.policy.max_delay);
        exp.mul_f64(0.5 + 0.5 * random_fraction())
    }
}

fn retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
}

/// The delay the server asks for: Azure's `retry-after-ms`, else `Retry-After` as seconds
/// (fractions allowed) or as an HTTP date.
pub fn server_delay(headers: &HeaderMap) -> Option<Duration> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return seconds(ms / 1000.0);
    }
    let value = header(RETRY_AFTER.as_str())?;
    if let Ok(secs) = value.parse::<f64>() {
        return seconds(secs);
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = (at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_milliseconds();
    seconds(secs.max(0) as f64 / 1000.0)
}

fn seconds(secs: f64) -> Option<Duration> {
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

/// Uniform in [0, 1), from the operating system's randomness (uuid v4 draws it).
fn random_fraction() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u64_pair().0 >> 11;
    bits as f64 / (1u64 << 53) as f64
}

fn describe(outcome: &Result<Response, reqwest::Error>) -> String {
    match outcome {
        Ok(response) => response.status().to_string(),
        Err(e) if e.is_timeout() => "timed out".into(),
        Err(e) => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_may_be_whole_or_fractional_seconds_or_milliseconds() {
        assert_eq!(
            server_delay(&headers(&[("retry-after", "1")])),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            server_delay(&headers(&[("retry-after", "0.25")])),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            server_delay(&headers(&[
                ("retry-after-ms", "1500"),
                ("retry-after", "9")
            ])),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(server_delay(&headers(&[("retry-after", "-3")])), None);
        assert_eq!(server_delay(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(server_delay(&headers(&[])), None);
    }

    #[test]
    fn retry_after_may_be_an_http_date() {
        let at = chrono::Utc::now() + chrono::TimeDelta::seconds(30);
        let value = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let delay = server_delay(&headers(&[("retry-after", &value)])).unwrap();
        assert!(
            delay > Duration::from_secs(28) && delay <= Duration::from_secs(30),
            "{delay:?}"
        );
        let past = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(
            server_delay(&headers(&[("retry-after", past)])),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn backoff_doubles_within_its_jitter_and_stops_at_the_cap() {
        let transport = Transport::new(reqwest::Client::new(), RetryPolicy::default(), None);
        for attempt in 1..=8 {
            let full = Duration::from_millis(500)
                .saturating_mul(1 << (attempt - 1))
                .min(Duration::from_secs(20));
            let delay = transport.backoff(attempt);
            assert!(
                delay >= full / 2 && delay <= full,
                "attempt {attempt}: {delay:?}"
            );
        }
    }

    #[derive(Debug)]
    struct FakeEntraId;

    #[async_trait::async_trait]
    impl azure_core::credentials::TokenCredential for FakeEntraId {
        async fn get_token(
            &self,
            scopes: &[&str],
            _: Option<azure_core::credentials::TokenRequestOptions<'_>>,
        ) -> azure_core::Result<azure_core::credentials::AccessToken> {
            assert_eq!(scopes, [COGNITIVE_SERVICES_SCOPE]);
            Ok(azure_core::credentials::AccessToken::new(
                "entra-token",
                azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
            ))
        }
    }

    #[tokio::test]
    async fn without_a_key_azure_requests_carry_an_entra_id_token_instead_of_an_api_key() {
        let entra = AzureCredential::from_token_credential(Arc::new(FakeEntraId), "fake");
        let client = reqwest::Client::new();
        let transport = Transport::new(
            client.clone(),
            RetryPolicy::default(),
            Some(Arc::new(entra)),
        );
        let request = client
            .post("http://127.0.0.1:9/openai/deployments/d/chat/completions")
            .header("api-key", "")
            .build()
            .unwrap();
        let request = transport.authorise(request).await.unwrap();
        assert!(request.headers().get("api-key").is_none());
        assert_eq!(request.headers()[AUTHORIZATION], "Bearer entra-token");
    }

    #[tokio::test]
    async fn an_empty_bearer_is_not_sent_to_a_server_that_needs_no_key() {
        let client = reqwest::Client::new();
        let transport = Transport::new(client.clone(), RetryPolicy::default(), None);
        let request = client
            .post("http://127.0.0.1:9/v1/chat/completions")
            .header(AUTHORIZATION, "Bearer ")
            .build()
            .unwrap();
        let request = transport.authorise(request).await.unwrap();
        assert!(request.headers().get(AUTHORIZATION).is_none());
    }

    #[test]
    fn only_rate_limits_timeouts_and_server_errors_are_retried() {
        for (status, retry) in [
            (429, true),
            (408, true),
            (500, true),
            (503, true),
            (400, false),
            (401, false),
            (404, false),
        ] {
            assert_eq!(
                retryable(StatusCode::from_u16(status).unwrap()),
                retry,
                "{status}"
            );
        }
    }
}
