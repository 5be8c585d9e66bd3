//! The one network call: a JSON request to `{base}/wp-json/wc/v3/…` with the credentials
//! WooCommerce documents for the scheme (Basic over HTTPS, a one-legged OAuth 1.0a signature
//! in the query over plain HTTP), retried on 429, 5xx and timeouts.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::WooError;
use crate::settings::Secret;
use crate::sync::oauth1::{OAuth1Signer, SignatureMethod};
use crate::sync::retry::{Again, Clock, RetryPolicy, parse_retry_after};

/// How requests are authenticated.
#[derive(Debug)]
enum Auth {
    /// HTTPS: `Authorization: Basic ck:cs`.
    Basic { key: String, secret: Secret },
    /// Plain HTTP: `oauth_*` parameters in the query string.
    OAuth(OAuth1Signer),
}

/// A 2xx answer: its headers and body.
pub(super) struct Answer {
    pub(super) headers: HeaderMap,
    pub(super) body: Value,
}

impl Again {
    fn server(why: String, after: Option<Duration>) -> Self {
        Self {
            after,
            why,
            throttled: false,
        }
    }
}

/// A WP REST error body.
#[derive(Debug, Deserialize)]
struct WpError {
    code: String,
    message: String,
}

/// Endpoint root, credentials, clock and retry bounds.
#[derive(Debug)]
pub(super) struct Transport {
    http: reqwest::Client,
    /// `{base}/wp-json/wc/v3/`, ending in a slash so relative paths join under it.
    api_root: Url,
    auth: Auth,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
}

impl Transport {
    /// Authentication follows `site_url`'s scheme; requests go to `base_url` (a test's mock)
    /// when given, else to the site.
    pub(super) fn new(
        site_url: &str,
        base_url: Option<&str>,
        consumer_key: &str,
        consumer_secret: Secret,
        clock: Arc<dyn Clock>,
        retry: RetryPolicy,
    ) -> Result<Self, WooError> {
        let site = Url::parse(site_url).map_err(|e| WooError::Config(format!("site URL: {e}")))?;
        let auth = match site.scheme() {
            "https" => Auth::Basic {
                key: consumer_key.to_owned(),
                secret: consumer_secret,
            },
            "http" => Auth::OAuth(OAuth1Signer::new(
                consumer_key,
                consumer_secret,
                SignatureMethod::HmacSha256,
            )),
            other => return Err(WooError::Config(format!("unsupported scheme {other}"))),
        };
        let base = base_url.unwrap_or(site_url).trim_end_matches('/');
        let api_root = Url::parse(&format!("{base}/wp-json/wc/v3/"))
            .map_err(|e| WooError::Config(format!("base URL: {e}")))?;
        let http = crate::connections::platform_http_client(
            retry.attempt_timeout,
            retry.attempt_timeout.min(Duration::from_secs(10)),
        )
        .map_err(|e| WooError::Config(e.to_string()))?;
        Ok(Self {
            http,
            api_root,
            auth,
            clock,
            retry,
        })
    }

    /// `method path?query` with an optional JSON body, retried within the policy's bounds.
    pub(super) async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Answer, WooError> {
        let mut url = self
            .api_root
            .join(path)
            .map_err(|e| WooError::Config(e.to_string()))?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut waited = Duration::ZERO;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let again = match self.attempt(&method, &url, body).await? {
                Ok(answer) => return Ok(answer),
                Err(again) => again,
            };
            let why = again.why.clone();
            let delay = match self.retry.wait_after(attempts, waited, again) {
                Ok(delay) => delay,
                Err(gave_up) if gave_up.throttled => {
                    return Err(WooError::Throttled { attempts, waited });
                }
                Err(gave_up) => {
                    return Err(WooError::Unavailable {
                        attempts,
                        last: gave_up.last,
                    });
                }
            };
            tracing::warn!(path, attempts, ?delay, reason = %why, "retrying WooCommerce call");
            waited += delay;
            self.clock.sleep(delay).await;
        }
    }

    /// One request: an answer, a final error, or why to try again.
    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&Value>,
    ) -> Result<Result<Answer, Again>, WooError> {
        let request = match &self.auth {
            Auth::Basic { key, secret } => self
                .http
                .request(method.clone(), url.clone())
                .basic_auth(key, Some(secret.expose())),
            Auth::OAuth(signer) => {
                // A fresh nonce and timestamp per attempt: WooCommerce refuses a reused nonce.
                let signed = signer.sign_now(method.as_str(), url, &[]);
                let mut url = url.clone();
                url.query_pairs_mut().extend_pairs(&signed.oauth_params);
                self.http.request(method.clone(), url)
            }
        };
        let request = match body {
            Some(body) => request.json(body),
            None => request,
        };
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Ok(Err(Again::server(format!("transport: {e}"), None))),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let text = match response.text().await {
            Ok(text) => text,
            Err(e) => return Ok(Err(Again::server(format!("reading body: {e}"), None))),
        };
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Ok(Err(Again {
                after: retry_after,
                why: "HTTP 429".into(),
                throttled: true,
            }));
        }
        if status.is_server_error() {
            return Ok(Err(Again::server(format!("HTTP {status}"), retry_after)));
        }
        if status.is_success() {
            let body = serde_json::from_str(&text).map_err(|e| WooError::Decode(e.to_string()))?;
            return Ok(Ok(Answer { headers, body }));
        }
        Err(error_for(status, &text))
    }
}

/// A non-retried failure: auth for 401/403, typed when the body is a WP error.
fn error_for(status: StatusCode, text: &str) -> WooError {
    let wp: Option<WpError> = serde_json::from_str(text).ok();
    let status_code = status.as_u16();
    match (status, wp) {
        (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN, wp) => {
            let (code, message) = wp
                .map(|w| (w.code, w.message))
                .unwrap_or_else(|| ("http_error".into(), clip(text)));
            WooError::Auth {
                status: status_code,
                code,
                message,
            }
        }
        (_, Some(wp)) => WooError::Api {
            status: status_code,
            code: wp.code,
            message: wp.message,
        },
        (_, None) => WooError::Http {
            status: status_code,
            body: clip(text),
        },
    }
}

/// The start of a body, for an error message.
fn clip(text: &str) -> String {
    text.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wp_error_bodies_are_typed_and_other_bodies_kept_as_text() {
        let wp = r#"{"code":"rest_invalid_param","message":"Invalid parameter(s): per_page","data":{"status":400}}"#;
        assert!(matches!(
            error_for(StatusCode::BAD_REQUEST, wp),
            WooError::Api { status: 400, code, .. } if code == "rest_invalid_param"
        ));
        let stripped = error_for(StatusCode::FORBIDDEN, "<html>Forbidden</html>");
        assert!(
            matches!(&stripped, WooError::Auth { status: 403, code, .. } if code == "http_error")
        );
        assert!(stripped.is_auth() && !stripped.is_retriable());
        assert!(matches!(
            error_for(StatusCode::NOT_IMPLEMENTED, "<html>501</html>"),
            WooError::Http { status: 501, .. }
        ));
    }
}
