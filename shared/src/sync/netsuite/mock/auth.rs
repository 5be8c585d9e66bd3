//! The mock's token-based authentication, checked as NetSuite does: the `Authorization:
//! OAuth …` header's realm must be the account id exactly (upper case, `_SB1`), the method
//! HMAC-SHA256, the consumer key and token known, the timestamp recent, the nonce unused,
//! and the signature equal to one recomputed from the received URL (its query included)
//! and every received `oauth_*` parameter with the account's secrets.

use axum::http::{HeaderMap, Method};
use url::Url;

use super::MockState;
use crate::settings::Secret;
use crate::sync::oauth1::{OAuth1Signer, SignatureMethod, base_string};

/// How far a timestamp may be from the mock's clock (NetSuite allows a few minutes).
const MAX_SKEW_SECONDS: u64 = 300;

/// `Ok` when the request is signed by the account's token; `Err` says why (for the log;
/// NetSuite itself only ever answers INVALID_LOGIN).
pub(super) fn authenticate(
    state: &mut MockState,
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
) -> Result<(), String> {
    let header = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .ok_or("no Authorization header")?;
    let params = parse_header(header).ok_or("not an OAuth header")?;
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let account = &state.account;
    if get("realm") != Some(account.realm.as_str()) {
        return Err(format!("realm {:?} is not {}", get("realm"), account.realm));
    }
    if get("oauth_signature_method") != Some("HMAC-SHA256") {
        return Err("signature method is not HMAC-SHA256".into());
    }
    if get("oauth_consumer_key") != Some(account.consumer_key.as_str()) {
        return Err("unknown consumer key".into());
    }
    if get("oauth_token") != Some(account.token_id.as_str()) {
        return Err("unknown token".into());
    }
    let timestamp: u64 = get("oauth_timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or("no timestamp")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    if now.abs_diff(timestamp) > MAX_SKEW_SECONDS {
        return Err("stale timestamp".into());
    }
    let nonce = get("oauth_nonce").ok_or("no nonce")?.to_owned();
    let signature = get("oauth_signature").ok_or("no signature")?.to_owned();
    // Every received parameter but realm and the signature, with the URL's query.
    let mut signed: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    signed.extend(
        params
            .iter()
            .filter(|(k, _)| k.starts_with("oauth_") && k != "oauth_signature")
            .cloned(),
    );
    let base = base_string(method.as_str(), url, &signed);
    let signer = OAuth1Signer::new(
        account.consumer_key.clone(),
        Secret::new(account.consumer_secret.clone()),
        SignatureMethod::HmacSha256,
    )
    .with_token(
        account.token_id.clone(),
        Secret::new(account.token_secret.clone()),
    );
    if signer.signature_of(&base) != signature {
        return Err("signature mismatch".into());
    }
    if !state.nonces.insert(nonce) {
        return Err("nonce reused".into());
    }
    Ok(())
}

/// `OAuth realm="…", oauth_x="…"` as decoded `(name, value)` pairs.
fn parse_header(header: &str) -> Option<Vec<(String, String)>> {
    let rest = header.strip_prefix("OAuth ")?;
    rest.split(',')
        .map(|part| {
            let (name, value) = part.trim().split_once('=')?;
            let value = value.strip_prefix('"')?.strip_suffix('"')?;
            Some((decode(name.trim())?, decode(value)?))
        })
        .collect()
}

/// Percent-decoding (RFC 3986; `+` is a plus).
pub(super) fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_research_vector_verifies_and_a_header_parses() {
        // NETSUITE.md §2: the GET known-answer vector.
        let url = Url::parse(
            "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/inventoryItem?limit=2&offset=0",
        )
        .unwrap();
        let signer = OAuth1Signer::new(
            "ck_ns_4f1c9a7e2b6d",
            Secret::new("cs_ns_8e3b5d0f7a21"),
            SignatureMethod::HmacSha256,
        )
        .with_token("tk_ns_1a2b3c4d5e6f", Secret::new("ts_ns_9f8e7d6c5b4a"))
        .with_realm("1234567_SB1")
        .with_version();
        let signed = signer.sign(
            "GET",
            &url,
            &[],
            "aXJvbmljYWxseU5vdFJhbmRvbQ",
            1_741_716_000,
        );
        assert_eq!(
            signed.signature(),
            "82DCZE39bx/ZyKFqDrXJEfLVJuHD40bQKSUWxFa+zkA="
        );
        let post = Url::parse(
            "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/query/v1/suiteql?limit=2&offset=0",
        )
        .unwrap();
        let signed_post = signer.sign(
            "POST",
            &post,
            &[],
            "aXJvbmljYWxseU5vdFJhbmRvbQ",
            1_741_716_000,
        );
        assert_eq!(
            signed_post.signature(),
            "dThuWq8PyO8+3s8x6Yzl8gMQENamcjhV/Xm1Oi9RJjs="
        );
        let parsed = parse_header(&signed.authorization_header()).unwrap();
        assert_eq!(parsed[0], ("realm".into(), "1234567_SB1".into()));
        assert!(parsed.contains(&(
            "oauth_signature".into(),
            "82DCZE39bx/ZyKFqDrXJEfLVJuHD40bQKSUWxFa+zkA=".into()
        )));
        assert!(!signed.authorization_header().contains("limit"));
    }
}
