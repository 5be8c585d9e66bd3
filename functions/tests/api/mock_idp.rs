//! A stand-in identity provider for the auth tests: a JWKS server on a free port (counting
//! the times the key set is fetched) for two test-only keys, an RSA key and an EC P-256 key,
//! and tokens signed with them the way Entra ID signs its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// Test-only keys, never used anywhere else: an RSA key (PKCS#1 DER) and a P-256 key (PKCS#8).
pub const RSA_PRIVATE_KEY: &[u8] =
    include_bytes!("fixtures/test_only_jwt_rsa_private_key.pkcs1.der");
pub const EC_PRIVATE_KEY: &[u8] =
    include_bytes!("fixtures/test_only_jwt_ec_p256_private_key.pkcs8.der");
pub const RSA_KID: &str = "test-rsa-1";
pub const EC_KID: &str = "test-ec-1";
pub const ISSUER: &str = "https://login.example.test/directory/v2.0";
pub const AUDIENCE: &str = "api://advisor-tests";

/// A JWKS server on a free port, counting the times the key set is fetched.
pub struct Jwks {
    pub url: String,
    fetches: Arc<AtomicUsize>,
}

impl Jwks {
    pub async fn start() -> Self {
        let mut rsa = Jwk::from_encoding_key(&rsa_key(), Algorithm::RS256).unwrap();
        rsa.common.key_id = Some(RSA_KID.into());
        let mut ec = Jwk::from_encoding_key(&ec_key(), Algorithm::ES256).unwrap();
        ec.common.key_id = Some(EC_KID.into());
        let body = serde_json::to_string(&JwkSet {
            keys: vec![rsa, ec],
        })
        .unwrap();
        let fetches = Arc::new(AtomicUsize::new(0));
        let counter = fetches.clone();
        let app = axum::Router::new().route(
            "/keys",
            axum::routing::get(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                let body = body.clone();
                async move { ([("content-type", "application/json")], body) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/keys", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, fetches }
    }

    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

pub fn rsa_key() -> EncodingKey {
    EncodingKey::from_rsa_der(RSA_PRIVATE_KEY)
}

pub fn ec_key() -> EncodingKey {
    EncodingKey::from_ec_der(EC_PRIVATE_KEY)
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Valid claims for `tenant` with `roles`.
pub fn claims(tenant: &str, roles: &[&str]) -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "tenant": tenant, "roles": roles,
        "iat": now(), "nbf": now() - 10, "exp": now() + 600,
    })
}

pub fn rsa_token(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(RSA_KID.into());
    jsonwebtoken::encode(&header, claims, &rsa_key()).unwrap()
}

pub fn ec_token(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(EC_KID.into());
    jsonwebtoken::encode(&header, claims, &ec_key()).unwrap()
}

/// A token with a hand-written header, signed with nothing or with `signature`.
pub fn raw_token(header: &Value, claims: &Value, signature: &[u8]) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.{}",
        part(header),
        part(claims),
        URL_SAFE_NO_PAD.encode(signature)
    )
}
