//! The mock's authentication: HTTP Basic, or an OAuth 1.0a signature in the query checked by
//! recomputing it with the store's secret (so a wrong secret is a 401), within the
//! 15-minute timestamp window and with each nonce used once.

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use url::Url;

use super::{StoreState, wp_error};
use crate::settings::Secret;
use crate::sync::oauth1::{OAuth1Signer, SignatureMethod};

/// Basic over any scheme (the mock stands in for HTTPS too), or OAuth 1.0a query params.
pub(super) fn authenticate(
    state: &mut StoreState,
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
) -> Result<(), Box<Response>> {
    let refuse = |message: &str| {
        Err(Box::new(wp_error(
            StatusCode::UNAUTHORIZED,
            "woocommerce_rest_authentication_error",
            message,
        )))
    };
    if let Some(basic) = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
    {
        let expected = STANDARD.encode(format!("{}:{}", state.key, state.secret));
        if basic != expected {
            return refuse("Consumer secret is invalid.");
        }
        state.auth_seen.push("basic");
        return Ok(());
    }
    let oauth: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k.starts_with("oauth_"))
        .collect();
    let get = |name: &str| {
        oauth
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (Some(key), Some(nonce), Some(timestamp), Some(signature), Some(kind)) = (
        get("oauth_consumer_key"),
        get("oauth_nonce"),
        get("oauth_timestamp").and_then(|t| t.parse::<u64>().ok()),
        get("oauth_signature"),
        get("oauth_signature_method"),
    ) else {
        return Err(Box::new(wp_error(
            StatusCode::UNAUTHORIZED,
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot list resources.",
        )));
    };
    let method_kind = match kind.as_str() {
        "HMAC-SHA256" => SignatureMethod::HmacSha256,
        "HMAC-SHA1" => SignatureMethod::HmacSha1,
        _ => return refuse("Invalid signature method."),
    };
    if key != state.key {
        return refuse("Consumer key is invalid.");
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if now.abs_diff(timestamp) > 15 * 60 {
        return refuse("Invalid timestamp.");
    }
    let mut unsigned = url.clone();
    unsigned.set_query(None);
    let rest: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| !k.starts_with("oauth_"))
        .collect();
    if !rest.is_empty() {
        unsigned.query_pairs_mut().extend_pairs(&rest);
    }
    let signer = OAuth1Signer::new(key, Secret::new(state.secret.clone()), method_kind);
    let expected = signer.sign(method.as_str(), &unsigned, &[], &nonce, timestamp);
    if expected.signature() != signature {
        return refuse("Invalid signature - provided signature does not match.");
    }
    if !state.nonces.insert(nonce) {
        return refuse("Invalid nonce - nonce has already been used.");
    }
    state.auth_seen.push("oauth");
    Ok(())
}
