//! The identity provider's signing keys (a JWKS), fetched over HTTPS and cached.
//!
//! The cache lives as long as the provider's `Cache-Control: max-age` says (within bounds; an
//! hour without one). A token signed with a key we do not know yet (the provider rotated)
//! refreshes it early, but at most once a minute, so a stream of made-up `kid`s cannot make us
//! hammer the provider; concurrent refreshes wait for the one in flight. When a refresh fails,
//! the keys we had keep working; with none at all, the caller is told to try again later.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::{Mutex, RwLock};
use tokio::time::Instant;

/// How long keys are kept when the provider says nothing.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(3600);
/// The shortest and longest a provider's `max-age` is honoured for.
const MAX_AGE_BOUNDS: (Duration, Duration) = (Duration::from_secs(60), Duration::from_secs(86_400));
/// The least time between two refreshes that an unknown `kid` causes.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(60);
/// After a failed fetch, the least time before the next try.
const FAILURE_BACKOFF: Duration = Duration::from_secs(5);
/// One fetch's time limit.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest key set read; Entra's is a few kilobytes.
const MAX_JWKS_BYTES: usize = 512 * 1024;

/// Why no key could be found for a token.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    /// The provider publishes no usable key with this `kid`.
    #[error("the token's signing key `{0}` is not one of the issuer's keys")]
    UnknownKey(String),
    /// The keys could not be fetched and none are cached: try again later.
    #[error("the issuer's signing keys cannot be fetched right now")]
    Unavailable,
}

/// One usable public key and what it may verify.
#[derive(Debug)]
pub struct VerifyingKey {
    /// The key itself.
    pub key: DecodingKey,
    /// The algorithms it may verify: its family's, narrowed to its curve or to its `alg`.
    pub algorithms: Vec<Algorithm>,
}

#[derive(Debug, Default)]
struct Cached {
    keys: HashMap<String, Arc<VerifyingKey>>,
    expires_at: Option<Instant>,
    last_attempt: Option<(Instant, bool)>,
    generation: u64,
}

impl Cached {
    /// Whether a fetch may start now: the keys expired (or never came), or `kid` is unknown
    /// and the last refresh is a minute old; never within the back-off after a failure.
    fn may_fetch(&self, kid: &str, now: Instant) -> bool {
        let since = |at: Instant| now.saturating_duration_since(at);
        match self.last_attempt {
            None => true,
            Some((at, false)) => since(at) >= FAILURE_BACKOFF,
            Some((at, true)) => {
                let expired = self.expires_at.is_none_or(|e| now >= e);
                expired || (!self.keys.contains_key(kid) && since(at) >= MIN_REFRESH_INTERVAL)
            }
        }
    }

    fn lookup(&self, kid: &str) -> Result<Arc<VerifyingKey>, JwksError> {
        match self.keys.get(kid) {
            Some(key) => Ok(key.clone()),
            None if self.keys.is_empty() => Err(JwksError::Unavailable),
            None => Err(JwksError::UnknownKey(kid.to_owned())),
        }
    }
}

/// The cached key set of one provider.
#[derive(Debug)]
pub struct JwksCache {
    url: url::Url,
    http: reqwest::Client,
    cached: RwLock<Cached>,
    refreshing: Mutex<()>,
}

impl JwksCache {
    /// A cache of the keys at `url`; nothing is fetched until a token needs a key.
    pub fn new(url: url::Url) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().timeout(FETCH_TIMEOUT).build()?;
        Ok(Self {
            url,
            http,
            cached: RwLock::new(Cached::default()),
            refreshing: Mutex::new(()),
        })
    }

    /// The key with id `kid`, fetching the set first when it is stale or lacks the key.
    pub async fn key(&self, kid: &str) -> Result<Arc<VerifyingKey>, JwksError> {
        let generation = {
            let cached = self.cached.read().await;
            if !cached.may_fetch(kid, Instant::now()) {
                return cached.lookup(kid);
            }
            cached.generation
        };
        let _one_at_a_time = self.refreshing.lock().await;
        {
            // Whoever held the lock before us fetched already: use what they got.
            let cached = self.cached.read().await;
            if cached.generation != generation || !cached.may_fetch(kid, Instant::now()) {
                return cached.lookup(kid);
            }
        }
        let fetched = self.fetch().await;
        let mut cached = self.cached.write().await;
        let now = Instant::now();
        cached.generation += 1;
        match fetched {
            Ok((keys, max_age)) => {
                cached.keys = keys;
                cached.expires_at = Some(now + max_age);
                cached.last_attempt = Some((now, true));
            }
            Err(error) => {
                tracing::warn!(%error, url = %self.url, "the JWKS could not be fetched");
                cached.last_attempt = Some((now, false));
            }
        }
        cached.lookup(kid)
    }

    /// One fetch: the usable keys by `kid`, and how long to keep them.
    async fn fetch(&self) -> Result<(HashMap<String, Arc<VerifyingKey>>, Duration), String> {
        let response = self
            .http
            .get(self.url.clone())
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.to_string())?;
        if response
            .content_length()
            .is_some_and(|n| n > MAX_JWKS_BYTES as u64)
        {
            return Err("the key set is too large".into());
        }
        let max_age = max_age(
            response
                .headers()
                .get(reqwest::header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
        );
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        if bytes.len() > MAX_JWKS_BYTES {
            return Err("the key set is too large".into());
        }
        let keys = parse_jwks(&bytes)?;
        tracing::info!(keys = keys.len(), url = %self.url, "JWKS fetched");
        Ok((keys, max_age))
    }
}

/// The `max-age` of a `Cache-Control` value, within bounds; the default without one.
fn max_age(cache_control: Option<&str>) -> Duration {
    let Some(value) = cache_control else {
        return DEFAULT_MAX_AGE;
    };
    let seconds = value.split(',').find_map(|directive| {
        let (name, seconds) = directive.trim().split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| seconds.trim().trim_matches('"').parse::<u64>().ok())?
    });
    match seconds {
        Some(s) => Duration::from_secs(s).clamp(MAX_AGE_BOUNDS.0, MAX_AGE_BOUNDS.1),
        None => DEFAULT_MAX_AGE,
    }
}

/// The usable signing keys of a JWKS document. A key that cannot be read, has no `kid`, is
/// meant for encryption, or is symmetric (a secret has no place in a public set, and
/// accepting one would let anyone sign) is skipped rather than failing the whole set.
pub fn parse_jwks(bytes: &[u8]) -> Result<HashMap<String, Arc<VerifyingKey>>, String> {
    #[derive(serde::Deserialize)]
    struct Set {
        keys: Vec<serde_json::Value>,
    }
    let set: Set = serde_json::from_slice(bytes).map_err(|e| format!("not a JWKS: {e}"))?;
    Ok(set
        .keys
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            let key = verifying_key(&jwk)?;
            Some((kid, Arc::new(key)))
        })
        .collect())
}

fn verifying_key(jwk: &Jwk) -> Option<VerifyingKey> {
    if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
        return None;
    }
    let family: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => vec![Algorithm::RS256, Algorithm::RS384, Algorithm::RS512],
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => vec![Algorithm::ES256],
            EllipticCurve::P384 => vec![Algorithm::ES384],
            _ => return None,
        },
        AlgorithmParameters::OctetKey(_) | AlgorithmParameters::OctetKeyPair(_) => return None,
    };
    let named = jwk
        .common
        .key_algorithm
        .map(|a| a.to_string().parse::<Algorithm>());
    let algorithms = match named {
        None => family,
        Some(Ok(alg)) if family.contains(&alg) => vec![alg],
        Some(_) => return None,
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(VerifyingKey { key, algorithms })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_honoured_within_bounds_and_defaults_to_an_hour() {
        assert_eq!(max_age(None), DEFAULT_MAX_AGE);
        assert_eq!(
            max_age(Some("public, max-age=7200")),
            Duration::from_secs(7200)
        );
        assert_eq!(max_age(Some("max-age=0")), Duration::from_secs(60));
        assert_eq!(
            max_age(Some("max-age=9999999")),
            Duration::from_secs(86_400)
        );
        assert_eq!(max_age(Some("no-cache")), DEFAULT_MAX_AGE);
    }

    #[test]
    fn symmetric_encryption_and_unnamed_keys_are_skipped_and_rsa_and_ec_kept() {
        let jwks = serde_json::json!({"keys": [
            {"kty": "oct", "kid": "secret", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "rsa", "use": "sig", "alg": "RS256", "n": "AQAB", "e": "AQAB",
             "x5c": ["..."], "issuer": "https://login.example"},
            {"kty": "EC", "kid": "ec", "crv": "P-256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "kid": "mismatch", "alg": "RS256", "crv": "P-256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "weird", "kid": "future"}
        ]});
        let keys = parse_jwks(jwks.to_string().as_bytes()).unwrap();
        let mut kids: Vec<_> = keys.keys().cloned().collect();
        kids.sort();
        assert_eq!(kids, ["ec", "rsa"]);
        assert_eq!(keys["rsa"].algorithms, [Algorithm::RS256]);
        assert_eq!(keys["ec"].algorithms, [Algorithm::ES256]);
        assert!(parse_jwks(b"[]").is_err());
    }

    #[tokio::test]
    async fn an_unreachable_provider_with_nothing_cached_is_unavailable_not_unknown() {
        // Port 9 on loopback: nothing listens, the connection is refused at once.
        let cache = JwksCache::new("http://127.0.0.1:9/keys".parse().unwrap()).unwrap();
        assert!(matches!(cache.key("k").await, Err(JwksError::Unavailable)));
        // Within the back-off nothing is fetched; the answer stays the same.
        assert!(matches!(cache.key("k").await, Err(JwksError::Unavailable)));
    }
}
