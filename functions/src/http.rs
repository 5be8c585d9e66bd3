//! What every tenant-facing HTTP function shares: who is calling, and how an answer (or any
//! error, as problem+json) goes back to the host. One place, so that the way callers are
//! authenticated changes for every endpoint at once.

use shared::auth::{API_KEY_HEADER, authenticate_api_key};
use shared::domain::TenantId;
use shared::protocol::{HttpRequest, HttpResponse, InvocationResponse};

use crate::app::AppState;
use crate::problem::ApiError;

/// The caller's tenant, from its credentials; recorded on the invocation's span so every log
/// line of the call carries it.
pub async fn authenticate(state: &AppState, http: &HttpRequest) -> Result<TenantId, ApiError> {
    let tenant = authenticate_api_key(
        state.store.as_ref(),
        state.settings.dev_credentials.as_ref(),
        http.header(API_KEY_HEADER),
    )
    .await?;
    tracing::Span::current().record("tenant", tenant.as_str());
    Ok(tenant)
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
