//! What every tenant-facing HTTP function shares: who is calling, and how an answer (or any
//! error, as problem+json) goes back to the host. One place, so that the way callers are
//! authenticated changes for every endpoint at once.

use chrono::Utc;
use sha2::{Digest, Sha256};
use shared::auth::{API_KEY_HEADER, AUTHORIZATION_HEADER, Caller, Credential, Presented, Scope};
use shared::domain::TenantId;
use shared::protocol::{HttpRequest, HttpResponse, InvocationResponse};
use uuid::Uuid;

use crate::app::AppState;
use crate::problem::ApiError;

/// The caller, from its credentials, if it may act with `scope`: 400 for an API key and a
/// Bearer token at once; 401 (with a `WWW-Authenticate` challenge) for missing, unknown or
/// revoked credentials and untrusted tokens; 503 when the identity provider's keys cannot be
/// fetched; 429 (with `Retry-After`) over this instance's rate limits; 403 naming `scope` when
/// the credentials lack it. The tenant is recorded on the invocation's span so every log line
/// of the call carries it (credentials never are). A key's use is recorded only once the
/// request is let through (at most once a minute; a failure to record it fails nothing).
pub async fn authenticate(
    state: &AppState,
    http: &HttpRequest,
    scope: Scope,
) -> Result<Caller, ApiError> {
    let presented = Presented {
        api_key: http.header(API_KEY_HEADER),
        authorization: http.header(AUTHORIZATION_HEADER),
    };
    let caller = state
        .auth
        .authenticate(state.store.as_ref(), &state.settings, presented)
        .await?;
    tracing::Span::current().record("tenant", caller.tenant.as_str());
    if let Err(limited) = state.auth.admit(&caller, std::time::Instant::now()) {
        tracing::info!(credential = %caller.credential_id(), "rate limit reached");
        return Err(ApiError::too_many_requests(limited.retry_after_seconds));
    }
    if !caller.allows(scope) {
        return Err(match caller.credential {
            Credential::Token { .. } => ApiError::insufficient_scope(format!(
                "this token's roles do not grant the `{scope}` scope this request needs"
            )),
            _ => ApiError::forbidden(format!(
                "this API key lacks the `{scope}` scope this request needs"
            )),
        });
    }
    if let Some(key_id) = caller.key_id()
        && let Err(error) = state.store.touch_api_key(key_id, Utc::now()).await
    {
        tracing::warn!(%error, key_id, "the key's last use could not be recorded");
    }
    Ok(caller)
}

/// The scope a request with `method` needs on an endpoint whose reads need `read` and whose
/// changes need `change`.
pub fn scope_for(http: &HttpRequest, change: Scope) -> Scope {
    if http.method.eq_ignore_ascii_case("GET") || http.method.eq_ignore_ascii_case("HEAD") {
        Scope::Read
    } else {
        change
    }
}

/// The invocation's answer: the response, or the error as problem+json, in the `res` binding.
pub fn respond(result: Result<HttpResponse, ApiError>) -> InvocationResponse {
    InvocationResponse::empty().with_http("res", result.unwrap_or_else(ApiError::into_response))
}

/// The request's body: decoded, not empty, and at most `max_bytes`. `expected` says what to
/// send instead of nothing; `too_large` words the limit.
pub fn body(
    http: &HttpRequest,
    max_bytes: usize,
    expected: &str,
    too_large: &str,
) -> Result<Vec<u8>, ApiError> {
    optional_body(http, max_bytes, too_large)?
        .ok_or_else(|| ApiError::bad_request(format!("the body is empty: send {expected}")))
}

/// The request's body when it has one: decoded and at most `max_bytes`; `None` when empty.
pub fn optional_body(
    http: &HttpRequest,
    max_bytes: usize,
    too_large: &str,
) -> Result<Option<Vec<u8>>, ApiError> {
    let bytes = http
        .body_bytes()
        .map_err(|_| ApiError::bad_request("the body is not valid base64"))?
        .unwrap_or_default();
    if bytes.len() > max_bytes {
        return Err(ApiError::payload_too_large(too_large));
    }
    Ok((!bytes.is_empty()).then_some(bytes))
}

/// `bytes` as the JSON of a `T`, and nothing after it: a wrong field is a 400 naming its path.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut reader)
        .map_err(|e| ApiError::bad_request(format!("the body at `{}`: {}", e.path(), e.inner())))?;
    reader
        .end()
        .map_err(|e| ApiError::bad_request(format!("the body is not valid: {e}")))?;
    Ok(value)
}

/// The longest `Idempotency-Key` accepted.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// The request's `Idempotency-Key`, if it sends one: 1 to 255 visible ASCII characters.
pub fn idempotency_key(http: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(key) = http.header("idempotency-key") else {
        return Ok(None);
    };
    let valid = (1..=MAX_IDEMPOTENCY_KEY_LEN).contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_graphic());
    valid.then(|| Some(key.to_owned())).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Idempotency-Key is 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"
        ))
    })
}

/// The id that `key` from `tenant` stands for among the requests of one `purpose`: the same
/// three always give the same id; another tenant's same key, or another purpose's, another.
pub fn idempotent_id(purpose: &str, tenant: &TenantId, key: &str) -> Uuid {
    let digest = Sha256::digest(format!("{purpose}\n{tenant}\n{key}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idempotency_key_gives_one_id_per_tenant_and_purpose() {
        let (demo, acme) = (
            TenantId::parse("demo").unwrap(),
            TenantId::parse("acme").unwrap(),
        );
        let id = |purpose, tenant, key| idempotent_id(purpose, tenant, key);
        assert_eq!(id("p", &demo, "k1"), id("p", &demo, "k1"));
        assert_ne!(id("p", &demo, "k1"), id("p", &demo, "k2"));
        assert_ne!(id("p", &demo, "k1"), id("p", &acme, "k1"));
        assert_ne!(id("p", &demo, "k1"), id("q", &demo, "k1"));
    }
}
