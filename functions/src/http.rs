//! What every tenant-facing HTTP function shares: who is calling, and how an answer (or any
//! error, as problem+json) goes back to the host. One place, so that the way callers are
//! authenticated changes for every endpoint at once.

use chrono::Utc;
use shared::auth::{API_KEY_HEADER, Caller, Scope, authenticate_api_key};
use shared::protocol::{HttpRequest, HttpResponse, InvocationResponse};

use crate::app::AppState;
use crate::problem::ApiError;

/// The caller, from its credentials, if it may act with `scope`: 401 for missing, unknown or
/// revoked credentials, 403 naming `scope` when the key lacks it. The tenant is recorded on
/// the invocation's span so every log line of the call carries it (the key never is), and the
/// key's use is recorded (at most once a minute; a failure to record it fails nothing).
pub async fn authenticate(
    state: &AppState,
    http: &HttpRequest,
    scope: Scope,
) -> Result<Caller, ApiError> {
    let caller = authenticate_api_key(
        state.store.as_ref(),
        state.settings.dev_credentials.as_ref(),
        http.header(API_KEY_HEADER),
    )
    .await?;
    tracing::Span::current().record("tenant", caller.tenant.as_str());
    if let Some(key_id) = &caller.key_id
        && let Err(error) = state.store.touch_api_key(key_id, Utc::now()).await
    {
        tracing::warn!(%error, key_id, "the key's last use could not be recorded");
    }
    if !caller.allows(scope) {
        return Err(ApiError::forbidden(format!(
            "this API key lacks the `{scope}` scope this request needs"
        )));
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
    let bytes = http
        .body_bytes()
        .map_err(|_| ApiError::bad_request("the body is not valid base64"))?
        .unwrap_or_default();
    if bytes.is_empty() {
        return Err(ApiError::bad_request(format!(
            "the body is empty: send {expected}"
        )));
    }
    if bytes.len() > max_bytes {
        return Err(ApiError::payload_too_large(too_large));
    }
    Ok(bytes)
}
