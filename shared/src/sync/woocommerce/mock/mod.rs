//! A local WooCommerce: `/wp-json/wc/v3/products`, one product, its variations,
//! `PUT /products/{id}`, `/orders` and the store's currency (`/data/currencies/current`, EUR)
//! over an in-memory store, with the documented pagination headers,
//! `modified_after` compared strictly to the second (site-local at UTC-3 unless
//! `dates_are_gmt=true`), Basic auth and OAuth 1.0a query signatures checked by recomputing
//! them, WP error bodies, and queued 429/503 storms.
//!
//! [`MockWoo::start`] (with the `mock-platforms` feature, for the function app's tests) serves
//! on a real listener with wall-clock modification times; this crate's own tests start it
//! with a virtual clock for the client's waits.
//!
//! From a test in `functions/tests/`:
//!
//! ```text
//! let store = MockWoo::start(MockWooOptions::default()).await;
//! let ids = store.seed_products(1500, 0);          // simple products WOO-1 … WOO-1500
//! // connect: site_url(), consumer_key(), consumer_secret(), base_url = base_url(); sync; then
//! store.edit_product(ids[4], "<p>Merchant's words</p>");
//! store.delete_product(ids[5]);
//! assert_eq!(store.updates(), [(ids[2], json!({"description": "…"}))]);
//! ```
//!
//! This is test support: a request it cannot make sense of panics the request's task, which
//! fails the test that sent it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDateTime};
use serde_json::{Value, json};
use url::Url;

mod api;
mod auth;
mod render;

pub use api::MockWooOptions;

use super::DATE_FORMAT;
#[cfg(test)]
use crate::sync::retry::VirtualClock;
use auth::authenticate;
use render::{
    find, invalid_after, list_products, modified_filter, paged, render, render_order, site_time,
};

/// A forced answer to the next request, for storms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storm {
    /// HTTP 429 with this `Retry-After`.
    TooMany(&'static str),
    /// HTTP 503 with a host's HTML page.
    Unavailable,
    /// This 5xx status (500, 502, 503 …) with a host's HTML page and this `Retry-After`, so
    /// tests through the real clock wait out a storm of server errors in milliseconds.
    ServerError(u16, &'static str),
    /// Answer normally (so a storm can hit a later request).
    Pass,
}

/// A product of the mock store.
#[derive(Debug, Clone)]
pub(super) struct MockProduct {
    pub(super) id: u64,
    pub(super) sku: String,
    pub(super) description: String,
    pub(super) short_description: String,
    pub(super) modified_gmt: NaiveDateTime,
    /// `(id, sku)` of each variation; empty for a simple product.
    pub(super) variations: Vec<(u64, String)>,
}

/// An order of the mock store: one line of two units of `sku`, paid 2 × 9.99 in EUR (24.97
/// with 3.99 tax and 4.99 shipping), and a line without a SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockOrder {
    /// The order id.
    pub id: u64,
    /// `processing`, `completed`, `cancelled` …
    pub status: String,
    /// Creation and last change, GMT.
    pub modified_gmt: NaiveDateTime,
    /// The SKU of its line.
    pub sku: String,
}

/// Everything the mock knows and records.
#[derive(Debug)]
pub(super) struct StoreState {
    pub(super) key: String,
    pub(super) secret: String,
    pub(super) products: Vec<MockProduct>,
    pub(super) orders: Vec<MockOrder>,
    pub(super) storm: VecDeque<Storm>,
    /// Every request, answered or not.
    pub(super) requests: u32,
    /// Requests to the product list.
    pub(super) list_requests: u32,
    /// `"basic"` or `"oauth"`, per authenticated request.
    pub(super) auth_seen: Vec<&'static str>,
    pub(super) nonces: HashSet<String>,
    /// `(product id, body)` of every PUT.
    pub(super) updates: Vec<(u64, Value)>,
    /// What a PUT sets `date_modified_gmt` to, unless `wall_clock`.
    pub(super) now: NaiveDateTime,
    /// Stamp changes with the wall clock (to the second) instead of `now`.
    wall_clock: bool,
    /// Ids of products moved to the trash.
    pub(super) trashed: Vec<MockProduct>,
}

/// A running mock store.
pub struct MockWoo {
    url: String,
    key: String,
    secret: String,
    /// The clock a client under test waits on (the server itself needs none).
    #[cfg(test)]
    pub(super) clock: Arc<VirtualClock>,
    state: Arc<Mutex<StoreState>>,
}

impl std::fmt::Debug for MockWoo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockWoo").field("url", &self.url).finish()
    }
}

/// The site's time zone in the docs example: UTC-3.
const SITE_OFFSET_HOURS: i64 = -3;

impl MockWoo {
    /// Starts a store holding `products`, accepting `key`/`secret`; PUTs stamp an hour after
    /// the newest product.
    #[cfg(test)]
    pub(super) async fn start_virtual(key: &str, secret: &str, products: Vec<MockProduct>) -> Self {
        let now = products
            .iter()
            .map(|p| p.modified_gmt)
            .max()
            .unwrap_or_default();
        let mut state = StoreState::new(key, secret, false);
        state.products = products;
        state.now = now + Duration::hours(1);
        let mut store = Self::serve(state).await;
        store.clock = Arc::new(VirtualClock::default());
        store
    }

    /// Binds `127.0.0.1:0` and serves `state` in the background.
    async fn serve(state: StoreState) -> Self {
        let (key, secret) = (state.key.clone(), state.secret.clone());
        let state = Arc::new(Mutex::new(state));
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url,
            key,
            secret,
            #[cfg(test)]
            clock: Arc::new(VirtualClock::default()),
            state,
        }
    }

    /// The state, for knobs and for reading what was recorded.
    #[cfg(test)]
    pub(super) fn state(&self) -> std::sync::MutexGuard<'_, StoreState> {
        self.state.lock().unwrap()
    }
}

impl StoreState {
    fn new(key: &str, secret: &str, wall_clock: bool) -> Self {
        Self {
            key: key.into(),
            secret: secret.into(),
            products: Vec::new(),
            orders: Vec::new(),
            storm: VecDeque::new(),
            requests: 0,
            list_requests: 0,
            auth_seen: Vec::new(),
            nonces: HashSet::new(),
            updates: Vec::new(),
            now: NaiveDateTime::default(),
            wall_clock,
            trashed: Vec::new(),
        }
    }

    /// A new `date_modified_gmt` for a record last changed at `previous`.
    pub(super) fn stamp(&self, previous: NaiveDateTime) -> NaiveDateTime {
        if !self.wall_clock {
            return self.now;
        }
        let now = chrono::Utc::now().naive_utc();
        let now = now - Duration::nanoseconds(i64::from(now.and_utc().timestamp_subsec_nanos()));
        now.max(previous + Duration::seconds(1))
    }
}

/// `count` products; every `tie` consecutive ones share one `date_modified_gmt`; every third
/// is variable with two variations (`SKU-{n}-S`, `SKU-{n}-M`).
#[cfg(test)]
pub(super) fn catalogue(count: u64, tie: u64, start: NaiveDateTime) -> Vec<MockProduct> {
    (0..count)
        .map(|n| MockProduct {
            id: 100 + n,
            sku: if n % 3 == 0 {
                String::new()
            } else {
                format!("SKU-{n}")
            },
            description: format!("<p>Product {n}</p>"),
            short_description: String::new(),
            modified_gmt: start + Duration::seconds(i64::try_from(n / tie).unwrap()),
            variations: if n % 3 == 0 {
                vec![
                    (50_000 + n * 2, format!("SKU-{n}-S")),
                    (50_001 + n * 2, format!("SKU-{n}-M")),
                ]
            } else {
                Vec::new()
            },
        })
        .collect()
}

fn wp_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"code": code, "message": message, "data": {"status": status.as_u16()}});
    (status, axum::Json(body)).into_response()
}

/// WooCommerce's answer for a product id it does not hold (never created, or deleted for
/// good).
fn invalid_id() -> Response {
    wp_error(
        StatusCode::NOT_FOUND,
        "woocommerce_rest_product_invalid_id",
        "Invalid ID.",
    )
}

async fn handle(
    State(state): State<Arc<Mutex<StoreState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = state.lock().unwrap();
    let mut response = respond(&mut state, method, uri, headers, body);
    // On the virtual clock the site's `Date` is its own clock, never behind a stamp it gave
    // (on the wall clock the server sets `Date` itself).
    if !state.wall_clock {
        let newest = state
            .products
            .iter()
            .map(|p| p.modified_gmt)
            .chain(state.orders.iter().map(|o| o.modified_gmt))
            .fold(state.now, NaiveDateTime::max);
        let date = newest.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        response.headers_mut().insert("date", date.parse().unwrap());
    }
    response
}

fn respond(
    state: &mut StoreState,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.requests += 1;
    if let Some(storm) = state.storm.pop_front().filter(|s| *s != Storm::Pass) {
        return match storm {
            Storm::Pass => unreachable!("filtered out above"),
            Storm::TooMany(after) => (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", after)],
                "slow down",
            )
                .into_response(),
            Storm::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "<html><body>503 Service Unavailable</body></html>",
            )
                .into_response(),
            Storm::ServerError(status, after) => (
                StatusCode::from_u16(status).unwrap(),
                [("retry-after", after)],
                "<html><body>Error establishing a database connection</body></html>",
            )
                .into_response(),
        };
    }
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let url = Url::parse(&format!("http://{host}{uri}")).unwrap();
    if let Err(response) = authenticate(state, &method, &url, &headers) {
        return *response;
    }
    let query: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| !k.starts_with("oauth_"))
        .collect();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let path: Vec<&str> = url
        .path()
        .trim_start_matches("/wp-json/wc/v3/")
        .split('/')
        .collect();
    match (method, path.as_slice()) {
        (Method::GET, ["products"]) => {
            state.list_requests += 1;
            list_products(state, &param)
        }
        (Method::GET, ["orders"]) => {
            let Some((gmt, after)) = modified_filter(&param) else {
                return invalid_after();
            };
            let mut orders: Vec<&MockOrder> = state
                .orders
                .iter()
                .filter(|o| after.is_none_or(|after| site_time(o.modified_gmt, gmt) > after))
                .collect();
            orders.sort_by_key(|o| o.id);
            paged(orders.into_iter().map(render_order).collect(), &param)
        }
        (Method::GET, ["products", id]) => match find(state, id) {
            Some(product) => axum::Json(render(product)).into_response(),
            None => match state.trashed.iter().find(|p| p.id.to_string() == *id) {
                Some(product) => {
                    let mut shown = render(product);
                    shown["status"] = json!("trash");
                    axum::Json(shown).into_response()
                }
                None => invalid_id(),
            },
        },
        // The store's currency, as `GET /data/currencies/current` documents it.
        (Method::GET, ["data", "currencies", "current"]) => {
            axum::Json(json!({"code": "EUR", "name": "Euro", "symbol": "&euro;"})).into_response()
        }
        (Method::GET, ["products", id, "variations"]) => {
            let Some(product) = find(state, id) else {
                return invalid_id();
            };
            let items: Vec<Value> = product
                .variations
                .iter()
                .map(|(id, sku)| json!({"id": id, "sku": sku, "price": "12.50", "stock_quantity": 4,
                    "image": null, "attributes": [{"id": 1, "name": "Size", "option": sku.rsplit('-').next()}]}))
                .collect();
            paged(items, &param)
        }
        (Method::PUT, ["products", id]) => {
            let Some(id) = id
                .parse::<u64>()
                .ok()
                .filter(|id| state.products.iter().any(|p| p.id == *id))
            else {
                return invalid_id();
            };
            let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) else {
                return wp_error(
                    StatusCode::BAD_REQUEST,
                    "rest_invalid_json",
                    "Invalid JSON body passed.",
                );
            };
            state.updates.push((id, Value::Object(fields.clone())));
            let previous = find(state, &id.to_string()).unwrap().modified_gmt;
            let now = state.stamp(previous);
            let product = state.products.iter_mut().find(|p| p.id == id).unwrap();
            if let Some(text) = fields.get("description").and_then(Value::as_str) {
                product.description = text.into();
            }
            if let Some(text) = fields.get("short_description").and_then(Value::as_str) {
                product.short_description = text.into();
            }
            product.modified_gmt = now;
            axum::Json(render(product)).into_response()
        }
        _ => wp_error(
            StatusCode::NOT_FOUND,
            "rest_no_route",
            "No route was found matching the URL and request method.",
        ),
    }
}
