//! A local Shopify for the client's tests: the GraphQL Admin endpoint with the documented
//! request and response shapes, over an in-memory shop, with the cost-based leaky bucket,
//! `THROTTLED` in a 200, 429s with fractional `Retry-After`, 503s and 401s.
//!
//! Time is a [`VirtualClock`] shared with the client: the client's waits advance it, and the
//! bucket refills from it, so throttled pulls finish at once and deterministically.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::throttle::Clock;

/// A clock that moves only when someone sleeps on it.
#[derive(Debug, Default)]
pub(super) struct VirtualClock {
    micros: AtomicU64,
}

impl Clock for VirtualClock {
    fn now(&self) -> Duration {
        Duration::from_micros(self.micros.load(Ordering::SeqCst))
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        self.micros.fetch_add(micros, Ordering::SeqCst);
        Box::pin(std::future::ready(()))
    }
}

/// A forced answer, for throttling storms.
#[derive(Debug, Clone, Copy)]
pub(super) enum Storm {
    /// Drain the bucket (another app spent it) and answer `THROTTLED` in a 200.
    Throttled,
    /// HTTP 429 with this `Retry-After`.
    TooMany(&'static str),
    /// HTTP 503.
    Unavailable,
    /// Answer normally.
    Pass,
    /// Hold the request for five real seconds (a hung connection), then 503.
    Stall,
}

/// A product of the mock shop.
#[derive(Debug, Clone)]
pub(super) struct MockProduct {
    pub(super) id: u64,
    pub(super) title: String,
    pub(super) description_html: String,
    pub(super) seo_title: Option<String>,
    pub(super) seo_description: Option<String>,
    pub(super) updated_at: DateTime<Utc>,
    pub(super) variants: Vec<MockVariant>,
}

/// A variant of the mock shop.
#[derive(Debug, Clone)]
pub(super) struct MockVariant {
    pub(super) id: u64,
    pub(super) sku: Option<String>,
    pub(super) price: String,
    pub(super) options: Vec<(String, String)>,
}

/// Everything the mock knows and records.
#[derive(Debug)]
pub(super) struct ShopState {
    pub(super) token: String,
    pub(super) products: Vec<MockProduct>,
    pub(super) deletions: Vec<(u64, DateTime<Utc>)>,
    /// Points per second restored; the Standard plan's 50 unless a test says otherwise.
    pub(super) restore_rate: f64,
    available: f64,
    refilled_at: Duration,
    pub(super) storm: VecDeque<Storm>,
    /// After a 429: the earliest moment a well-behaved client comes back.
    not_before: Option<Duration>,
    /// Requests that came back before their `Retry-After` was over.
    pub(super) early_retries: u32,
    pub(super) requests: u32,
    /// `THROTTLED` answers given because the bucket really was short (not forced).
    pub(super) natural_throttles: u32,
    /// Every `productUpdate` input, as sent.
    pub(super) updates: Vec<Value>,
    /// Render timestamps in this offset (REST-style) instead of `Z`.
    pub(super) offset: Option<FixedOffset>,
}

/// The bucket size (Standard plan) and the single-query limit.
const BUCKET: f64 = 1000.0;

/// A running mock shop.
pub(super) struct MockShop {
    pub(super) url: String,
    pub(super) clock: Arc<VirtualClock>,
    pub(super) state: Arc<Mutex<ShopState>>,
}

/// The version path the mock answers on.
pub(super) const VERSION: &str = super::API_VERSION;

impl MockShop {
    /// Starts a shop holding `products`, accepting `token`.
    pub(super) async fn start(token: &str, products: Vec<MockProduct>) -> Self {
        let clock = Arc::new(VirtualClock::default());
        let state = Arc::new(Mutex::new(ShopState {
            token: token.into(),
            products,
            deletions: Vec::new(),
            restore_rate: 50.0,
            available: BUCKET,
            refilled_at: Duration::ZERO,
            storm: VecDeque::new(),
            not_before: None,
            early_retries: 0,
            requests: 0,
            natural_throttles: 0,
            updates: Vec::new(),
            offset: None,
        }));
        let app = Router::new()
            .route("/admin/api/{version}/graphql.json", post(graphql))
            .with_state((state.clone(), clock.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, clock, state }
    }

    /// The state, for knobs and for reading what was recorded.
    pub(super) fn state(&self) -> std::sync::MutexGuard<'_, ShopState> {
        self.state.lock().unwrap()
    }
}

/// `count` products; every `tie` consecutive products share one `updatedAt`, each has two
/// sized variants `SKU-{n}-S` / `SKU-{n}-M`.
pub(super) fn catalogue(count: u64, tie: u64, start: DateTime<Utc>) -> Vec<MockProduct> {
    // Ids are not in updatedAt order, so a client paging by id would mix them up.
    (0..count)
        .map(|n| MockProduct {
            id: 1_000_000 + (n * 7919) % count,
            title: format!("Product {n}"),
            description_html: format!("<p>Product {n}</p>"),
            seo_title: None,
            seo_description: None,
            updated_at: start + chrono::Duration::seconds(i64::try_from(n / tie).unwrap()),
            variants: ["S", "M"]
                .iter()
                .enumerate()
                .map(|(i, size)| MockVariant {
                    id: 5_000_000 + n * 2 + i as u64,
                    sku: Some(format!("SKU-{n}-{size}")),
                    price: format!("{}.{:02}", 10 + n % 90, n % 100),
                    options: vec![("Size".into(), (*size).into())],
                })
                .collect(),
        })
        .collect()
}

type Shared = (Arc<Mutex<ShopState>>, Arc<VirtualClock>);

async fn graphql(
    State((state, clock)): State<Shared>,
    Path(version): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let stall = {
        let mut shop = state.lock().unwrap();
        let stall = matches!(shop.storm.front(), Some(Storm::Stall));
        if stall {
            shop.storm.pop_front();
            shop.requests += 1;
        }
        stall
    };
    if stall {
        tokio::time::sleep(Duration::from_secs(5)).await;
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    answer(&state, &clock, &version, &headers, &body)
}

/// The answer to one request that is not stalled.
fn answer(
    state: &Mutex<ShopState>,
    clock: &VirtualClock,
    version: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let mut shop = state.lock().unwrap();
    shop.requests += 1;
    let token = headers
        .get("X-Shopify-Access-Token")
        .and_then(|v| v.to_str().ok());
    if token != Some(shop.token.as_str()) {
        let message =
            "[API] Invalid API key or access token (unrecognized login or wrong password)";
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "errors": message })),
        )
            .into_response();
    }
    if version != VERSION {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    }
    let now = clock.now();
    if let Some(not_before) = shop.not_before.take()
        && now < not_before
    {
        shop.early_retries += 1;
    }
    shop.refill(now);
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return (StatusCode::BAD_REQUEST, "bad json").into_response();
    };
    let query = request["query"].as_str().unwrap_or_default().to_owned();
    let vars = request["variables"].clone();
    let requested = requested_cost(&query, &vars);
    match shop.storm.pop_front() {
        Some(Storm::Throttled) => {
            shop.available = 0.0;
            return throttled(&shop, requested);
        }
        Some(Storm::TooMany(after)) => {
            let wait = Duration::from_secs_f64(after.parse().unwrap());
            shop.not_before = Some(now + wait);
            let body = json!({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."});
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("Retry-After", after)],
                axum::Json(body),
            )
                .into_response();
        }
        Some(Storm::Unavailable) => {
            return (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response();
        }
        Some(Storm::Pass | Storm::Stall) | None => {}
    }
    if requested > BUCKET {
        let message = format!(
            "Query cost is {requested}, which exceeds the single query max cost limit (1000)."
        );
        return axum::Json(json!({"errors": [{"message": message, "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": 1000}}]})).into_response();
    }
    if shop.available + 1e-6 < requested {
        shop.natural_throttles += 1;
        return throttled(&shop, requested);
    }
    let (data, actual) = shop.run(&query, &vars, now);
    shop.available -= actual;
    axum::Json(json!({ "data": data, "extensions": shop.cost(requested, Some(actual)) }))
        .into_response()
}

fn throttled(shop: &ShopState, requested: f64) -> Response {
    axum::Json(json!({
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
        "extensions": shop.cost(requested, None),
    }))
    .into_response()
}

/// Shopify's rule of thumb: a connection costs 2 plus its page size times each node's cost.
fn requested_cost(query: &str, vars: &Value) -> f64 {
    let first = vars["first"].as_f64().unwrap_or(0.0);
    if query.contains("SyncProducts(") {
        2.0 + first * (3.0 + vars["variantsFirst"].as_f64().unwrap_or(0.0))
    } else if query.contains("SyncDeletionEvents(") {
        2.0 + first
    } else if query.contains("SyncProductUpdate(") {
        10.0
    } else {
        1.0
    }
}

impl ShopState {
    fn refill(&mut self, now: Duration) {
        let elapsed = now.saturating_sub(self.refilled_at).as_secs_f64();
        self.available = (self.available + self.restore_rate * elapsed).min(BUCKET);
        self.refilled_at = now;
    }

    fn cost(&self, requested: f64, actual: Option<f64>) -> Value {
        json!({"cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {"maximumAvailable": BUCKET, "currentlyAvailable": self.available - actual.unwrap_or(0.0), "restoreRate": self.restore_rate},
        }})
    }

    fn time(&self, at: DateTime<Utc>) -> String {
        match self.offset {
            Some(offset) => at
                .with_timezone(&offset)
                .to_rfc3339_opts(SecondsFormat::Secs, false),
            None => at.to_rfc3339_opts(SecondsFormat::Secs, true),
        }
    }

    /// Answers the operation named in `query`, with its actual cost.
    fn run(&mut self, query: &str, vars: &Value, now: Duration) -> (Value, f64) {
        if query.contains("SyncProducts(") {
            self.products(vars)
        } else if query.contains("SyncDeletionEvents(") {
            self.deletion_events(vars)
        } else if query.contains("SyncProductUpdate(") {
            (self.product_update(vars, now), 10.0)
        } else if query.contains("SyncShop") {
            (
                json!({"shop": {"currencyCode": "EUR", "ianaTimezone": "America/New_York"}}),
                1.0,
            )
        } else {
            panic!("mock Shopify does not know this query: {query}")
        }
    }

    fn products(&self, vars: &Value) -> (Value, f64) {
        let first = usize::try_from(vars["first"].as_u64().unwrap()).unwrap();
        let variants_first = usize::try_from(vars["variantsFirst"].as_u64().unwrap()).unwrap();
        let filter = vars["query"].as_str().map(|q| time_filter(q, "updated_at"));
        let after = vars["after"].as_str().map(decode_cursor);
        let mut matching: Vec<&MockProduct> = self
            .products
            .iter()
            .filter(|p| {
                filter
                    .is_none_or(|(strict, at)| p.updated_at > at || (!strict && p.updated_at == at))
            })
            .collect();
        // UPDATED_AT, id breaking ties: a stable total order, so cursors never skip or repeat.
        matching.sort_by_key(|p| (p.updated_at, p.id));
        let page: Vec<&MockProduct> = matching
            .iter()
            .filter(|p| after.is_none_or(|key| (p.updated_at, p.id) > key))
            .take(first)
            .copied()
            .collect();
        let has_next = page
            .last()
            .is_some_and(|last| matching.last().is_some_and(|end| end.id != last.id));
        let actual = 2.0
            + page
                .iter()
                .map(|p| 3.0 + p.variants.len().min(variants_first) as f64)
                .sum::<f64>();
        let nodes: Vec<Value> = page
            .iter()
            .map(|p| self.product_json(p, variants_first))
            .collect();
        let end_cursor = page.last().map(|p| encode_cursor(p.updated_at, p.id));
        let data = json!({"products": {"nodes": nodes, "pageInfo": {"hasNextPage": has_next, "endCursor": end_cursor}}});
        (data, actual)
    }

    fn product_json(&self, p: &MockProduct, variants_first: usize) -> Value {
        let variants: Vec<Value> = p.variants.iter().take(variants_first).map(|v| json!({
            "id": format!("gid://shopify/ProductVariant/{}", v.id),
            "sku": v.sku, "barcode": null, "price": v.price, "inventoryQuantity": 3,
            "selectedOptions": v.options.iter().map(|(n, val)| json!({"name": n, "value": val})).collect::<Vec<_>>(),
        })).collect();
        json!({
            "id": format!("gid://shopify/Product/{}", p.id),
            "title": p.title, "handle": format!("product-{}", p.id),
            "descriptionHtml": p.description_html, "vendor": "Acme", "productType": "Mugs",
            "status": "ACTIVE", "tags": ["kitchen"], "updatedAt": self.time(p.updated_at),
            "category": null,
            "seo": {"title": p.seo_title, "description": p.seo_description},
            "featuredMedia": {"preview": {"image": {"url": format!("https://cdn.shopify.com/s/files/{}.jpg", p.id)}}},
            "variants": {"nodes": variants, "pageInfo": {"hasNextPage": p.variants.len() > variants_first}},
        })
    }

    fn product_update(&mut self, vars: &Value, now: Duration) -> Value {
        let input = vars["product"].clone();
        self.updates.push(input.clone());
        let id = input["id"]
            .as_str()
            .and_then(|g| g.strip_prefix("gid://shopify/Product/"))
            .and_then(|n| n.parse::<u64>().ok());
        // The shop's wall clock: a day after the newest product was saved, plus virtual time.
        let origin =
            self.products.iter().map(|p| p.updated_at).max().unwrap() + chrono::Duration::days(1);
        let updated_at = origin + chrono::Duration::seconds(i64::try_from(now.as_secs()).unwrap());
        let Some(product) = self.products.iter_mut().find(|p| Some(p.id) == id) else {
            return json!({"productUpdate": {"product": null, "userErrors": [{"field": ["id"], "message": "Product does not exist"}]}});
        };
        if let Some(html) = input["descriptionHtml"].as_str() {
            product.description_html = html.into();
        }
        if let Some(title) = input["seo"]["title"].as_str() {
            product.seo_title = Some(title.into());
        }
        if let Some(description) = input["seo"]["description"].as_str() {
            product.seo_description = Some(description.into());
        }
        product.updated_at = updated_at;
        let (id, at) = (product.id, product.updated_at);
        json!({"productUpdate": {"product": {"id": format!("gid://shopify/Product/{id}"), "updatedAt": self.time(at)}, "userErrors": []}})
    }

    fn deletion_events(&self, vars: &Value) -> (Value, f64) {
        let first = usize::try_from(vars["first"].as_u64().unwrap()).unwrap();
        let filter = vars["query"]
            .as_str()
            .map(|q| time_filter(q, "occurred_at"));
        let start = vars["after"]
            .as_str()
            .map_or(0, |c| c.parse::<usize>().unwrap());
        let matching: Vec<(usize, &(u64, DateTime<Utc>))> = self
            .deletions
            .iter()
            .enumerate()
            .filter(|(_, (_, at))| {
                filter.is_none_or(|(strict, since)| *at > since || (!strict && *at == since))
            })
            .filter(|(i, _)| *i >= start)
            .collect();
        let page = &matching[..matching.len().min(first)];
        let nodes: Vec<Value> = page.iter().map(|(_, (id, at))| json!({"subjectId": format!("gid://shopify/Product/{id}"), "subjectType": "PRODUCT", "occurredAt": self.time(*at)})).collect();
        let end = page.last().map(|(i, _)| (i + 1).to_string());
        let data = json!({"deletionEvents": {"nodes": nodes, "pageInfo": {"hasNextPage": matching.len() > first, "endCursor": end}}});
        (data, 2.0 + page.len() as f64)
    }
}

/// `field:>='2025-01-01T00:00:00Z'` → (strict, moment). Only the forms the client sends.
fn time_filter(query: &str, field: &str) -> (bool, DateTime<Utc>) {
    let rest = query
        .strip_prefix(field)
        .and_then(|r| r.strip_prefix(':'))
        .unwrap();
    let (strict, quoted) = match rest.strip_prefix(">=") {
        Some(q) => (false, q),
        None => (true, rest.strip_prefix('>').unwrap()),
    };
    let at = quoted.trim_matches('\'').parse::<DateTime<Utc>>().unwrap();
    (strict, at)
}

fn encode_cursor(at: DateTime<Utc>, id: u64) -> String {
    STANDARD.encode(format!("{}:{id}", at.timestamp()))
}

fn decode_cursor(cursor: &str) -> (DateTime<Utc>, u64) {
    let text = String::from_utf8(STANDARD.decode(cursor).unwrap()).unwrap();
    let (at, id) = text.split_once(':').unwrap();
    (
        DateTime::from_timestamp(at.parse().unwrap(), 0).unwrap(),
        id.parse().unwrap(),
    )
}
