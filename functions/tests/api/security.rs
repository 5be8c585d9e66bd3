//! Security checks through the real app, named for the OWASP API Security Top 10 (2023) item
//! each proves. What is covered where:
//!
//! - **API1 object-level authorisation**: `security::tenants` (another tenant's key meets 404,
//!   never 403, for products, enrichment edits, ingestion runs, enrichment runs, sync jobs and
//!   issues, connection actions and videos, and nothing of the owner's changes); also
//!   `product_writes.rs` (every method on another tenant's SKU), `keys.rs` and
//!   `auth_matrix.rs` (another tenant's key id), `connections.rs` (another tenant's connection),
//!   `uploads.rs` and `read_urls.rs` (a signed URL for another tenant's folder).
//! - **API2 broken authentication**: `security::authentication` (credentials anywhere but
//!   `x-api-key` or a Bearer token, a key in the URL, Basic, a key sent as a Bearer token, a
//!   key's prefix, its stored hash, another case); also `auth_matrix.rs` (missing, wrong and
//!   revoked keys, expired, foreign, forged, `alg: none`, HS256-confusion and wrong-key tokens,
//!   rate limits) and `keys.rs`.
//! - **API3 property-level authorisation**: `security::properties` (tenant, id, version, source,
//!   timestamps and audit fields refused by name on products, connections, the tenant, keys,
//!   enrichment edits and uploads; no secret or key hash in any answer); also
//!   `product_writes.rs`, `connections.rs` and `keys.rs`.
//! - **API4 unrestricted resource consumption**: `security::resources` (every listing's page
//!   size, every body's limit as 413 problem+json, the question's length); also `products.rs`,
//!   `ask_endpoint.rs`, `ingest.rs` (the 32 MiB push), `enrichment_budget.rs` and
//!   `ai_provider.rs` (the daily token budget), `auth_matrix.rs` (rate limits).
//! - **API5 function-level authorisation**: `security::tenants` (every admin route refused to
//!   each non-admin scope, and the tenant unchanged); also `keys.rs`, `auth_matrix.rs`.
//! - **API6 unrestricted access to sensitive business flows**: does not apply as a separate
//!   check: the flows that cost money (enrichment, Ask) are bounded by the tenant's daily token
//!   budget (API4) and the rate limits; there is no purchase, sign-up or voucher flow.
//! - **API7 server-side request forgery**: `security::ssrf` (connection `base_url` and
//!   `site_url` in every spelling of link-local, redirects never followed, an `image_url`
//!   stored but never fetched); the hosted rules (loopback, private, CGNAT, unique-local, in
//!   decimal, hex and octal spellings too) and the check of what a name resolves to are unit
//!   tests beside `shared::connections::address`, because these tests run in local mode, where
//!   a loopback mock must stand in, and never reach a DNS server.
//! - **API8 security misconfiguration**: `security::config` (CORS never reflects an origin, a
//!   store failure says "internal error" and nothing of SQLite, no `Server` header, the
//!   security headers on errors); also `cors.rs`, `dependencies.rs` (a panic's 500).
//! - **API9 improper inventory management**: does not apply as a runtime check: one version
//!   of the API is served, and `openapi.rs` holds the description to every `function.json`.
//! - **API10 unsafe consumption of APIs**: `security::upstream` (a shop and an AI provider
//!   answering malformed JSON are errors, not crashes or trusted data); also `ai_provider.rs`
//!   (answers that break the schema, hallucinated attributes, refusals) and the platform
//!   clients' unit tests.
//! - Path traversal in blob names: `security::paths`; secrets never in logs:
//!   `security::logs`.

mod authentication;
mod config;
mod logs;
mod paths;
mod properties;
mod resources;
mod ssrf;
mod tenants;
mod upstream;

use reqwest::Method;
use serde_json::Value;
use shared::auth::{Scope, api_key_record};
use shared::domain::TenantId;

use crate::helpers::TestApp;

/// The local tenant `demo`'s key (every scope).
const DEV: &str = "local-dev-key";

/// Adds `tenant` (if new) with a key `key` holding `scopes`.
async fn add_key(app: &TestApp, tenant: &str, key: &str, scopes: Vec<Scope>) {
    let tenant = TenantId::parse(tenant).unwrap();
    app.state
        .store
        .ensure_tenant(&tenant, "Other")
        .await
        .unwrap();
    let record = api_key_record(&tenant, key, key, scopes, chrono::Utc::now());
    app.state.store.add_api_key(&record).await.unwrap();
}

/// An answer, read whole.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// The problem's detail, after checking the status and that it is problem+json.
    fn problem(&self, status: u16) -> String {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.headers["content-type"], "application/problem+json",
            "{}",
            self.text
        );
        let body = self.json();
        assert_eq!(body["status"], status, "{}", self.text);
        body["detail"].as_str().unwrap().to_owned()
    }
}

/// `method path` under the API with `key` (if any) and a JSON `body` (if any).
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<String>,
) -> Answer {
    call_as(app, method, path, key, "application/json", body).await
}

/// PUTs `connection` as the local tenant's Shopify connection.
async fn put_shopify(app: &TestApp, connection: &Value) -> Answer {
    let body = Some(connection.to_string());
    call(app, Method::PUT, "/connections/shopify", Some(DEV), body).await
}

/// Tests the local tenant's Shopify connection.
async fn test_shopify(app: &TestApp) -> Answer {
    call(
        app,
        Method::POST,
        "/connections/shopify/test",
        Some(DEV),
        None,
    )
    .await
}

/// [`call`] with the body's content type.
async fn call_as(
    app: &TestApp,
    method: Method,
    path: &str,
    key: Option<&str>,
    content_type: &str,
    body: Option<String>,
) -> Answer {
    let mut request = app.client.request(method, format!("{}{path}", app.api));
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    if let Some(body) = body {
        request = request.header("content-type", content_type).body(body);
    }
    let response = request.send().await.unwrap();
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        text: response.text().await.unwrap(),
    }
}
