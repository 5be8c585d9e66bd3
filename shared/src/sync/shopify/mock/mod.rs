//! A local Shopify for the client's tests: the GraphQL Admin endpoint with the documented
//! request and response shapes, over an in-memory shop, with the cost-based leaky bucket,
//! `THROTTLED` in a 200, 429s with fractional `Retry-After`, 503s and 401s.
//!
//! Time is a [`VirtualClock`] shared with the client: the client's waits advance it, and the
//! bucket refills from it, so throttled pulls finish at once and deterministically.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod ops;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::sync::retry::Clock;
pub(super) use crate::sync::retry::VirtualClock;

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
}
