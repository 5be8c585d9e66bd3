//! The authentication matrix, through the real app: API keys and Bearer JWTs checked against a
//! JWKS served by a tiny server in the test (an RSA and an EC P-256 key, test-only fixtures),
//! every refusal as problem+json with the status it should have, every 401 with its
//! `WWW-Authenticate` challenge, and the per-instance rate limits.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use shared::auth::{Scope, api_key_record};
use shared::domain::TenantId;

use crate::helpers::TestApp;
use crate::mock_idp::{
    AUDIENCE, ISSUER, Jwks, RSA_KID, claims, ec_key, ec_token, now, raw_token, rsa_key, rsa_token,
};

const DEV_KEY: &str = "local-dev-key";

/// The app, trusting tokens from `jwks_url`, with `extra` settings.
async fn spawn(jwks_url: &str, extra: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![
        ("ADVISOR_JWT_JWKS_URL", jwks_url),
        ("ADVISOR_JWT_ISSUER", ISSUER),
        ("ADVISOR_JWT_AUDIENCE", AUDIENCE),
    ];
    settings.extend_from_slice(extra);
    TestApp::spawn_with(&settings).await
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app.client.request(method, format!("{}{path}", app.api));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

async fn get_with_token(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    let bearer = format!("Bearer {token}");
    send(
        app,
        reqwest::Method::GET,
        path,
        &[("authorization", &bearer)],
    )
    .await
}

/// Asserts a problem+json answer with `status`; returns its detail and its challenge.
async fn problem(response: reqwest::Response, status: u16) -> (String, Option<String>) {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    (
        body["detail"].as_str().unwrap_or_default().to_owned(),
        challenge,
    )
}

/// Asserts a 401 whose challenge says `invalid_token`; returns the detail.
async fn invalid_token(response: reqwest::Response) -> String {
    let (detail, challenge) = problem(response, 401).await;
    assert_eq!(
        challenge.as_deref(),
        Some(r#"Bearer realm="advisor", error="invalid_token""#),
        "{detail}"
    );
    detail
}

/// Adds tenant `acme` with an admin key `acme-admin-key`.
async fn add_acme(app: &TestApp) {
    let acme = TenantId::parse("acme").unwrap();
    app.state.store.ensure_tenant(&acme, "Acme").await.unwrap();
    let record = api_key_record(
        &acme,
        "acme admin",
        "acme-admin-key",
        vec![Scope::Admin],
        chrono::Utc::now(),
    );
    app.state.store.add_api_key(&record).await.unwrap();
}

/// Makes a key for `demo` through the API; returns (id, key).
async fn make_key(app: &TestApp, scopes: &[&str]) -> (String, String) {
    let response = app
        .client
        .post(format!("{}/keys", app.api))
        .header("x-api-key", DEV_KEY)
        .json(&json!({"name": "matrix", "scopes": scopes}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    (
        body["id"].as_str().unwrap().to_owned(),
        body["key"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn missing_wrong_and_revoked_api_keys_are_401_with_a_bearer_challenge() {
    let jwks = Jwks::start().await;
    let app = spawn(&jwks.url, &[]).await;
    let plain = Some(r#"Bearer realm="advisor""#.to_owned());
    let (detail, challenge) = problem(app.get("/products", None).await, 401).await;
    assert!(
        detail.contains("x-api-key") && detail.contains("Bearer"),
        "{detail}"
    );
    assert_eq!(challenge, plain);
    let (_, challenge) = problem(app.get("/products", Some("adv_wrong")).await, 401).await;
    assert_eq!(challenge, plain);

    let (id, key) = make_key(&app, &["read"]).await;
    assert_eq!(app.get("/products", Some(&key)).await.status(), 200);
    let demo = TenantId::parse("demo").unwrap();
    assert!(
        app.state
            .store
            .revoke_api_key(&demo, &id, chrono::Utc::now())
            .await
            .unwrap()
    );
    let (_, challenge) = problem(app.get("/products", Some(&key)).await, 401).await;
    assert_eq!(challenge, plain);
    assert_eq!(jwks.fetches(), 0, "API keys never need the JWKS");
    app.stop().await;
}

#[tokio::test]
async fn valid_rsa_and_ec_tokens_read_and_an_audience_list_that_names_this_api_is_accepted() {
    let jwks = Jwks::start().await;
    let app = spawn(&jwks.url, &[]).await;
    let user = claims("demo", &["user"]);
    assert_eq!(
        get_with_token(&app, "/products", &rsa_token(&user))
            .await
            .status(),
        200
    );
    assert_eq!(
        get_with_token(&app, "/products", &ec_token(&user))
            .await
            .status(),
        200
    );
    let mut listed = user.clone();
    listed["aud"] = json!(["api://someone-else", AUDIENCE]);
    assert_eq!(
        get_with_token(&app, "/products", &rsa_token(&listed))
            .await
            .status(),
        200
    );
    assert_eq!(jwks.fetches(), 1, "the key set is fetched once and cached");
    app.stop().await;
}

#[tokio::test]
async fn expired_foreign_and_forged_tokens_are_401_invalid_token() {
    let jwks = Jwks::start().await;
    let app = spawn(&jwks.url, &[]).await;
    let valid = claims("demo", &["admin"]);
    let with = |name: &str, value: Value| {
        let mut changed = valid.clone();
        changed[name] = value;
        changed
    };
    let expired = with("exp", json!(now() - 120));
    let detail = invalid_token(get_with_token(&app, "/products", &rsa_token(&expired)).await).await;
    assert!(detail.contains("expired"), "{detail}");
    let detail = invalid_token(
        get_with_token(
            &app,
            "/products",
            &rsa_token(&with("aud", json!("api://other"))),
        )
        .await,
    )
    .await;
    assert!(detail.contains("aud"), "{detail}");
    let detail = invalid_token(
        get_with_token(
            &app,
            "/products",
            &ec_token(&with("iss", json!("https://evil"))),
        )
        .await,
    )
    .await;
    assert!(detail.contains("issuer"), "{detail}");
    let future = with("nbf", json!(now() + 600));
    invalid_token(get_with_token(&app, "/products", &rsa_token(&future)).await).await;
    let mut no_exp = valid.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    invalid_token(get_with_token(&app, "/products", &rsa_token(&no_exp)).await).await;

    // A signature that does not match: the RSA token's claims swapped for admin of acme.
    let genuine = rsa_token(&valid);
    let parts: Vec<&str> = genuine.split('.').collect();
    let swapped = URL_SAFE_NO_PAD.encode(with("tenant", json!("acme")).to_string());
    let forged = format!("{}.{swapped}.{}", parts[0], parts[2]);
    let detail = invalid_token(get_with_token(&app, "/products", &forged).await).await;
    assert!(detail.contains("signature"), "{detail}");

    // `alg: none`, and HS256 "signed" with the RSA key's public modulus as the secret.
    let none = raw_token(&json!({"alg": "none", "kid": RSA_KID}), &valid, b"");
    invalid_token(get_with_token(&app, "/products", &none).await).await;
    let jwk = Jwk::from_encoding_key(&rsa_key(), Algorithm::RS256).unwrap();
    let public = serde_json::to_vec(&jwk).unwrap();
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(RSA_KID.into());
    let confused = jsonwebtoken::encode(&hs, &valid, &EncodingKey::from_secret(&public)).unwrap();
    invalid_token(get_with_token(&app, "/products", &confused).await).await;
    // An ES256 header on the RSA key's id: the key decides the algorithm.
    let mut es = Header::new(Algorithm::ES256);
    es.kid = Some(RSA_KID.into());
    let mismatched = jsonwebtoken::encode(&es, &valid, &ec_key()).unwrap();
    invalid_token(get_with_token(&app, "/products", &mismatched).await).await;
    invalid_token(get_with_token(&app, "/products", "not.a.jwt").await).await;

    // A valid token for a tenant that does not exist says no more than any other 401.
    let ghost = rsa_token(&claims("ghost", &["admin"]));
    let detail = invalid_token(get_with_token(&app, "/products", &ghost).await).await;
    assert!(!detail.contains("ghost"), "{detail}");
    app.stop().await;
}

#[tokio::test]
async fn a_burst_of_unknown_kids_fetches_the_key_set_once() {
    let jwks = Jwks::start().await;
    let app = spawn(&jwks.url, &[]).await;
    let valid = claims("demo", &["user"]);
    let tokens: Vec<String> = (0..12)
        .map(|i| {
            let mut header = Header::new(Algorithm::RS256);
            header.kid = Some(format!("made-up-{i}"));
            jsonwebtoken::encode(&header, &valid, &rsa_key()).unwrap()
        })
        .collect();
    let answers =
        futures::future::join_all(tokens.iter().map(|t| get_with_token(&app, "/products", t)))
            .await;
    for answer in answers {
        let detail = invalid_token(answer).await;
        assert!(detail.contains("signing key"), "{detail}");
    }
    // And a second burst within the minute fetches nothing more.
    for token in &tokens[..4] {
        invalid_token(get_with_token(&app, "/products", token).await).await;
    }
    assert_eq!(jwks.fetches(), 1);
    app.stop().await;
}

#[tokio::test]
async fn roles_decide_the_scopes_and_another_tenant_s_resource_is_404() {
    let jwks = Jwks::start().await;
    let app = spawn(&jwks.url, &[]).await;
    add_acme(&app).await;
    let user = rsa_token(&claims("demo", &["user"]));
    let (detail, challenge) = problem(get_with_token(&app, "/keys", &user).await, 403).await;
    assert!(detail.contains("`admin`"), "{detail}");
    assert_eq!(
        challenge.as_deref(),
        Some(r#"Bearer realm="advisor", error="insufficient_scope""#)
    );
    let nobody = rsa_token(&claims("demo", &["reader", "Admin"]));
    let (detail, _) = problem(get_with_token(&app, "/products", &nobody).await, 403).await;
    assert!(detail.contains("role"), "{detail}");
    let admin = ec_token(&claims("demo", &["admin"]));
    assert_eq!(get_with_token(&app, "/keys", &admin).await.status(), 200);

    // Demo's key, as acme sees it: with acme's admin key, and with an acme admin token.
    let (demo_key_id, _) = make_key(&app, &["read"]).await;
    let path = format!("/keys/{demo_key_id}");
    let by_key = send(
        &app,
        reqwest::Method::DELETE,
        &path,
        &[("x-api-key", "acme-admin-key")],
    )
    .await;
    problem(by_key, 404).await;
    let acme_admin = format!("Bearer {}", rsa_token(&claims("acme", &["admin"])));
    let by_token = send(
        &app,
        reqwest::Method::DELETE,
        &path,
        &[("authorization", &acme_admin)],
    )
    .await;
    problem(by_token, 404).await;
    app.stop().await;
}

#[tokio::test]
async fn a_read_key_on_a_write_endpoint_is_403_and_its_use_is_not_recorded() {
    let jwks = Jwks::start().await;
    let app = spawn(&jwks.url, &[]).await;
    let (id, key) = make_key(&app, &["read"]).await;
    let refused = send(
        &app,
        reqwest::Method::POST,
        "/enrichment/runs",
        &[("x-api-key", &key), ("content-type", "application/json")],
    )
    .await;
    let (detail, _) = problem(refused, 403).await;
    assert!(detail.contains("`write`"), "{detail}");
    let demo = TenantId::parse("demo").unwrap();
    let last_use = |keys: Vec<shared::store::ApiKeyView>| {
        keys.into_iter()
            .find(|k| k.id == id)
            .map(|k| k.last_used_at)
    };
    let keys = app.state.store.list_api_keys(&demo).await.unwrap();
    assert_eq!(last_use(keys), Some(None), "a refused request is no use");
    assert_eq!(app.get("/products", Some(&key)).await.status(), 200);
    let keys = app.state.store.list_api_keys(&demo).await.unwrap();
    assert!(matches!(last_use(keys), Some(Some(_))));
    app.stop().await;
}

#[tokio::test]
async fn an_api_key_and_a_bearer_token_at_once_are_400() {
    let jwks = Jwks::start().await;
    let app = spawn(&jwks.url, &[]).await;
    let bearer = format!("Bearer {}", rsa_token(&claims("demo", &["user"])));
    let both = send(
        &app,
        reqwest::Method::GET,
        "/products",
        &[("x-api-key", DEV_KEY), ("authorization", &bearer)],
    )
    .await;
    let (detail, _) = problem(both, 400).await;
    assert!(detail.contains("not both"), "{detail}");
    app.stop().await;
}

#[tokio::test]
async fn an_unreachable_identity_provider_is_503_not_401() {
    // A port that was free a moment ago: nothing listens there now.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/keys", closed.local_addr().unwrap());
    drop(closed);
    let app = spawn(&url, &[]).await;
    let response = get_with_token(&app, "/products", &rsa_token(&claims("demo", &["user"]))).await;
    assert!(response.headers().contains_key("retry-after"));
    problem(response, 503).await;
    // API keys do not depend on the provider.
    assert_eq!(app.get("/products", Some(DEV_KEY)).await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_caller_over_its_rate_limit_gets_429_with_retry_after_in_whole_seconds() {
    let jwks = Jwks::start().await;
    let app = spawn(
        &jwks.url,
        &[
            ("ADVISOR_RATE_LIMIT_KEY_PER_SECOND", "1"),
            ("ADVISOR_RATE_LIMIT_KEY_BURST", "2"),
            ("ADVISOR_RATE_LIMIT_TENANT_PER_SECOND", "1"),
            ("ADVISOR_RATE_LIMIT_TENANT_BURST", "3"),
        ],
    )
    .await;
    let token = rsa_token(&claims("demo", &["user"]));
    for _ in 0..2 {
        assert_eq!(
            get_with_token(&app, "/products", &token).await.status(),
            200
        );
    }
    let limited = get_with_token(&app, "/products", &token).await;
    assert_eq!(limited.headers()["retry-after"], "1");
    problem(limited, 429).await;
    // Another credential of the same tenant has its own bucket, but shares the tenant's.
    assert_eq!(app.get("/products", Some(DEV_KEY)).await.status(), 200);
    problem(app.get("/products", Some(DEV_KEY)).await, 429).await;
    app.stop().await;
}

#[tokio::test]
async fn a_repeated_key_request_with_an_idempotency_key_names_the_same_key_without_its_secret() {
    let app = TestApp::spawn().await;
    let post = |body: Value, idempotency: &'static str| {
        app.client
            .post(format!("{}/keys", app.api))
            .header("x-api-key", DEV_KEY)
            .header("idempotency-key", idempotency)
            .json(&body)
            .send()
    };
    let body = json!({"name": "ci", "scopes": ["read"]});
    let first = post(body.clone(), "make-ci-key").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert!(first["key"].is_string());
    let again = post(body.clone(), "make-ci-key").await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["cache-control"], "no-store");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["prefix"], first["prefix"]);
    assert!(again.get("key").is_none(), "the secret is shown once");
    let other = post(json!({"name": "ci", "scopes": ["write"]}), "make-ci-key")
        .await
        .unwrap();
    assert_eq!(other.status(), 409);
    let fresh = post(body, "another-key").await.unwrap();
    assert_eq!(fresh.status(), 201);
    let listed: Value = app
        .client
        .get(format!("{}/keys", app.api))
        .header("x-api-key", DEV_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(2));
    app.stop().await;
}
