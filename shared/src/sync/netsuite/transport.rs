//! The one network call: a JSON request under `{base}/services/rest/`, signed with OAuth 1.0a
//! token-based authentication (HMAC-SHA256, the account id as realm, the URL's query
//! parameters in the base string), never more in flight than the account allows, retried
//! on 429, concurrency-limit errors, 5xx and timeouts.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::Semaphore;
use url::Url;

use super::error::{CONCURRENCY_CODES, ErrorBody, NetSuiteError};
use crate::settings::Secret;
use crate::sync::oauth1::{OAuth1Signer, SignatureMethod};
use crate::sync::retry::{Again, Clock, RetryPolicy, parse_retry_after};

/// A 2xx answer: status, headers and the JSON body (`None` for 204 and empty bodies).
#[derive(Debug)]
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: Option<Value>,
}

/// Endpoint root, signer, concurrency limiter, clock and retry bounds.
#[derive(Debug)]
pub(super) struct Transport {
    http: reqwest::Client,
    /// `{base}/services/rest/`, ending in a slash so relative paths join under it.
    rest_root: Url,
    signer: OAuth1Signer,
    /// One permit per request in flight, shared by every clone of the client.
    permits: Arc<Semaphore>,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
}

/// The OAuth realm for an account id: upper case with `_` (`1234567_SB1`).
pub(super) fn realm(account_id: &str) -> String {
    account_id.trim().to_ascii_uppercase().replace('-', "_")
}

/// The production base URL for an account id: lower case with `-`
/// (`https://1234567-sb1.suitetalk.api.netsuite.com`).
pub(super) fn default_base_url(account_id: &str) -> String {
    let host = account_id.trim().to_ascii_lowercase().replace('_', "-");
    format!("https://{host}.suitetalk.api.netsuite.com")
}

/// The credentials of token-based authentication.
#[derive(Debug, Clone)]
pub(super) struct Credentials {
    pub(super) consumer_key: String,
    pub(super) consumer_secret: Secret,
    pub(super) token_id: String,
    pub(super) token_secret: Secret,
}

impl Transport {
    pub(super) fn new(
        account_id: &str,
        credentials: Credentials,
        max_concurrency: u32,
        base_url: Option<&str>,
        clock: Arc<dyn Clock>,
        retry: RetryPolicy,
    ) -> Result<Self, NetSuiteError> {
        let account = account_id.trim();
        let valid = !account.is_empty()
            && account
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(NetSuiteError::Config(format!(
                "account id `{account_id}` is not like 1234567 or 1234567_SB1"
            )));
        }
        if max_concurrency == 0 {
            return Err(NetSuiteError::Config(
                "max_concurrency must be at least 1".into(),
            ));
        }
        let base = base_url
            .map(str::to_owned)
            .unwrap_or_else(|| default_base_url(account));
        let rest_root = Url::parse(&format!("{}/services/rest/", base.trim_end_matches('/')))
            .map_err(|e| NetSuiteError::Config(format!("base URL: {e}")))?;
        let signer = OAuth1Signer::new(
            credentials.consumer_key,
            credentials.consumer_secret,
            SignatureMethod::HmacSha256,
        )
        .with_token(credentials.token_id, credentials.token_secret)
        .with_realm(realm(account))
        .with_version();
        let http = crate::connections::platform_http_client(
            retry.attempt_timeout,
            retry.attempt_timeout.min(Duration::from_secs(10)),
        )
        .map_err(|e| NetSuiteError::Config(e.to_string()))?;
        let permits = usize::try_from(max_concurrency)
            .map_err(|_| NetSuiteError::Config("max_concurrency out of range".into()))?;
        Ok(Self {
            http,
            rest_root,
            signer,
            permits: Arc::new(Semaphore::new(permits)),
            clock,
            retry,
        })
    }

    /// `method path?query` with extra headers and an optional JSON body, retried within the
    /// policy's bounds. Each attempt holds one concurrency permit; waits between attempts
    /// hold none, so other calls use the slot meanwhile.
    pub(super) async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        headers: &[(&'static str, &str)],
        body: Option<&Value>,
    ) -> Result<Answer, NetSuiteError> {
        let mut url = self
            .rest_root
            .join(path)
            .map_err(|e| NetSuiteError::Config(e.to_string()))?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut waited = Duration::ZERO;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let outcome = {
                let _permit = self
                    .permits
                    .acquire()
                    .await
                    .map_err(|e| NetSuiteError::Config(e.to_string()))?;
                self.attempt(&method, &url, headers, body).await?
            };
            let again = match outcome {
                Ok(answer) => return Ok(answer),
                Err(again) => again,
            };
            let why = again.why.clone();
            let delay = match self.retry.wait_after(attempts, waited, again) {
                Ok(delay) => delay,
                Err(gave_up) if gave_up.throttled => {
                    return Err(NetSuiteError::Throttled { attempts, waited });
                }
                Err(gave_up) => {
                    return Err(NetSuiteError::Unavailable {
                        attempts,
                        last: gave_up.last,
                    });
                }
            };
            tracing::warn!(path, attempts, ?delay, reason = %why, "retrying NetSuite call");
            waited += delay;
            self.clock.sleep(delay).await;
        }
    }

    /// One signed request: an answer, a final error, or why to try again.
    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        headers: &[(&'static str, &str)],
        body: Option<&Value>,
    ) -> Result<Result<Answer, Again>, NetSuiteError> {
        // A fresh nonce and timestamp per attempt: NetSuite refuses a reused nonce. The
        // query stays in the URL and in the base string, never in the header.
        let signed = self.signer.sign_now(method.as_str(), url, &[]);
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .header("authorization", signed.authorization_header())
            .header("accept", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                return Ok(Err(Again {
                    after: None,
                    why: format!("transport: {e}"),
                    throttled: false,
                }));
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let text = match response.text().await {
            Ok(text) => text,
            Err(e) => {
                return Ok(Err(Again {
                    after: None,
                    why: format!("reading body: {e}"),
                    throttled: false,
                }));
            }
        };
        if status.is_success() {
            let body = if text.trim().is_empty() {
                None
            } else {
                let json = headers
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_none_or(|v| v.contains("json"));
                if !json {
                    return Err(NetSuiteError::Decode(format!(
                        "HTTP {status} with a non-JSON body: {}",
                        clip(&text)
                    )));
                }
                Some(
                    serde_json::from_str(&text)
                        .map_err(|e| NetSuiteError::Decode(e.to_string()))?,
                )
            };
            return Ok(Ok(Answer {
                status,
                headers,
                body,
            }));
        }
        let parsed: Option<ErrorBody> = serde_json::from_str(&text).ok();
        let concurrency = parsed.as_ref().is_some_and(|b| {
            b.details
                .iter()
                .any(|d| CONCURRENCY_CODES.contains(&d.code.as_str()))
        });
        if status == StatusCode::TOO_MANY_REQUESTS || concurrency {
            return Ok(Err(Again {
                after: retry_after,
                why: format!("HTTP {status}: concurrency limit"),
                throttled: true,
            }));
        }
        if status.is_server_error() {
            return Ok(Err(Again {
                after: retry_after,
                why: format!("HTTP {status}"),
                throttled: false,
            }));
        }
        Err(error_for(status, &text, parsed))
    }
}

/// A non-retried failure: auth for 401/403, typed when the body is NetSuite's error shape.
fn error_for(status: StatusCode, text: &str, parsed: Option<ErrorBody>) -> NetSuiteError {
    let status_code = status.as_u16();
    match (status, parsed) {
        (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN, parsed) => {
            let (code, message) = parsed
                .and_then(|b| {
                    let title = b.title;
                    b.details
                        .into_iter()
                        .next()
                        .map(|d| (d.code, d.detail))
                        .or(Some(("HTTP_ERROR".into(), title)))
                })
                .unwrap_or_else(|| ("HTTP_ERROR".into(), clip(text)));
            NetSuiteError::Auth {
                status: status_code,
                code,
                message,
            }
        }
        (_, Some(body)) if !body.details.is_empty() => NetSuiteError::Api {
            status: status_code,
            details: body.details,
        },
        _ => NetSuiteError::Http {
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
    fn account_ids_give_the_realm_upper_case_and_the_host_lower_case() {
        assert_eq!(realm("1234567_sb1"), "1234567_SB1");
        assert_eq!(realm("1234567-SB1"), "1234567_SB1");
        assert_eq!(
            default_base_url("1234567_SB1"),
            "https://1234567-sb1.suitetalk.api.netsuite.com"
        );
        assert_eq!(
            default_base_url("1234567"),
            "https://1234567.suitetalk.api.netsuite.com"
        );
    }

    #[test]
    fn error_bodies_are_typed_and_other_bodies_kept_as_text() {
        let invalid_login = r#"{"type":"https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2","title":"Unauthorized","status":401,"o:errorDetails":[{"detail":"Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.","o:errorCode":"INVALID_LOGIN"}]}"#;
        let err = error_for(
            StatusCode::UNAUTHORIZED,
            invalid_login,
            serde_json::from_str(invalid_login).ok(),
        );
        assert!(
            matches!(&err, NetSuiteError::Auth { status: 401, code, .. } if code == "INVALID_LOGIN")
        );
        assert!(err.is_auth() && !err.is_retriable());

        let bad_param = r#"{"type":"x","title":"Bad Request","status":400,"o:errorDetails":[{"detail":"Invalid value for parameter offset.","o:errorQueryParam":"offset","o:errorCode":"INVALID_PARAMETER"}]}"#;
        let err = error_for(
            StatusCode::BAD_REQUEST,
            bad_param,
            serde_json::from_str(bad_param).ok(),
        );
        assert_eq!(err.codes(), vec!["INVALID_PARAMETER"]);
        assert!(err.to_string().contains("(offset)"), "{err}");
        assert!(!err.is_retriable() && !err.is_auth());

        let html = "<html>Bad gateway</html>";
        assert!(matches!(
            error_for(StatusCode::NOT_IMPLEMENTED, html, None),
            NetSuiteError::Http { status: 501, .. }
        ));
        assert!(error_for(StatusCode::FORBIDDEN, html, None).is_auth());
    }
}
