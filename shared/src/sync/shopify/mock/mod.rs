//! A local Shopify: the GraphQL Admin endpoint with the documented request and response
//! shapes over an in-memory shop — products, one product by id, `productUpdate`, deletion
//! events, orders, locations and inventory levels — with the cost-based leaky bucket,
//! `THROTTLED` in a 200, 429s with fractional `Retry-After`, 503s and 401s.
//!
//! Two ways to run it:
//! - [`MockShopify::start`] (with the `mock-platforms` feature, for the function app's
//!   tests): a real listener on `127.0.0.1:0` and the real clock, so the app under test
//!   talks to it over HTTP exactly as it would to Shopify. Throttling is real but fast: the
//!   defaults ([`MockShopifyOptions::default`]) are a 1,000-point bucket refilling at 4,000
//!   points a second, so a 2,000-product pull (134 pages of 797 requested points) waits on
//!   the bucket about 2.6 s in all; [`Storm`]s add `THROTTLED` answers (each drains the
//!   bucket: a 0.2 s wait) and 429s (`Retry-After: "0.05"` keeps them fast too).
//! - A virtual clock shared with the client (this crate's own tests): the client's waits
//!   advance it and the bucket refills from it, so throttled pulls finish at once and
//!   deterministically.
//!
//! From a test in `functions/tests/` (which gets the feature as a dev-dependency):
//!
//! ```text
//! let shop = MockShopify::start(MockShopifyOptions::default()).await;
//! let ids = shop.seed_products(2000, 2);          // SKUs SHP-1-1 … SHP-2000-2
//! shop.queue_storm([Storm::Throttled, Storm::TooMany("0.05")]);
//! // connect the tenant: shop_domain(), token(), base_url = base_url(); sync; then
//! shop.edit_product(&ids[7], ProductEdit { title: Some("New".into()), ..Default::default() });
//! shop.delete_product(&ids[8]);
//! assert!(shop.throttled() >= 1);
//! assert_eq!(shop.updates(), [json!({"id": ids[3], "descriptionHtml": "…"})]);
//! ```
//!
//! This is test support: a request it cannot make sense of panics the request's task (the
//! client sees a dropped connection), which fails the test that sent it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod api;
mod commerce;
mod ops;
mod server;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::Value;

pub use api::{MockLineItem, MockOrder, MockShopifyOptions, ProductEdit};

use crate::sync::retry::Clock;
#[cfg(test)]
pub(super) use crate::sync::retry::VirtualClock;

/// A forced answer to the next request, for throttling storms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storm {
    /// Drain the bucket (another app spent it) and answer `THROTTLED` in a 200.
    Throttled,
    /// HTTP 429 with this `Retry-After` (seconds, fractional allowed).
    TooMany(&'static str),
    /// HTTP 503.
    Unavailable,
    /// This 5xx status (500, 502, 503 …) with an HTML error page and this `Retry-After`, so
    /// tests through the real clock wait out a storm of server errors in milliseconds.
    ServerError(u16, &'static str),
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

/// A location and its inventory levels.
#[derive(Debug, Clone)]
pub(super) struct MockLevel {
    pub(super) location: u64,
    pub(super) item: u64,
    pub(super) sku: Option<String>,
    pub(super) available: i64,
    pub(super) updated_at: DateTime<Utc>,
}

/// Everything the mock knows and records.
#[derive(Debug)]
pub(super) struct ShopState {
    pub(super) token: String,
    pub(super) products: Vec<MockProduct>,
    pub(super) deletions: Vec<(u64, DateTime<Utc>)>,
    pub(super) orders: Vec<MockOrder>,
    /// `(id, name)` of each location.
    pub(super) locations: Vec<(u64, String)>,
    pub(super) levels: Vec<MockLevel>,
    /// The bucket's size in points.
    pub(super) bucket: f64,
    /// Points per second restored.
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
    /// `THROTTLED` answers given by a [`Storm::Throttled`].
    pub(super) forced_throttles: u32,
    /// 429s given.
    pub(super) too_many: u32,
    /// Every `productUpdate` input, as sent.
    pub(super) updates: Vec<Value>,
    /// Render timestamps in this offset (REST-style) instead of `Z`.
    pub(super) offset: Option<FixedOffset>,
    /// Shop time is the wall clock; else `epoch` plus the virtual clock.
    wall_clock: bool,
    epoch: DateTime<Utc>,
    /// Whether orders older than 60 days are visible (the `read_all_orders` scope).
    pub(super) read_all_orders: bool,
    /// The number the next seeded product gets.
    next_product: u64,
}

/// The single-query cost limit.
const MAX_COST: f64 = 1000.0;

/// A running mock shop.
pub struct MockShopify {
    url: String,
    token: String,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) state: Arc<Mutex<ShopState>>,
}

impl std::fmt::Debug for MockShopify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockShopify")
            .field("url", &self.url)
            .finish()
    }
}

/// The version path the mock answers on.
const VERSION: &str = super::API_VERSION;

impl MockShopify {
    /// Starts a shop on a virtual clock holding `products`, accepting `token`, with the
    /// Standard plan's bucket (1,000 points, 50 a second as this crate's tests assume).
    #[cfg(test)]
    pub(super) async fn start_virtual(token: &str, products: Vec<MockProduct>) -> Self {
        use chrono::TimeZone as _;
        let epoch = products
            .iter()
            .map(|p| p.updated_at)
            .max()
            .unwrap_or_else(|| Utc.with_ymd_and_hms(2026, 3, 8, 6, 0, 0).unwrap())
            + chrono::Duration::days(1);
        let options = MockShopifyOptions {
            token: token.into(),
            bucket: 1000.0,
            restore_rate: 50.0,
            read_all_orders: false,
        };
        let mut state = ShopState::new(&options, false, epoch);
        state.next_product = products.len() as u64;
        state.products = products;
        Self::serve(state, Arc::new(VirtualClock::default())).await
    }

    /// Binds `127.0.0.1:0` and serves `state` in the background on `clock`.
    async fn serve(state: ShopState, clock: Arc<dyn Clock>) -> Self {
        let token = state.token.clone();
        let state = Arc::new(Mutex::new(state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = server::router(state.clone(), clock.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url,
            token,
            clock,
            state,
        }
    }

    /// The state, for knobs and for reading what was recorded.
    #[cfg(test)]
    pub(super) fn state(&self) -> std::sync::MutexGuard<'_, ShopState> {
        self.state.lock().unwrap()
    }
}

impl ShopState {
    fn new(options: &MockShopifyOptions, wall_clock: bool, epoch: DateTime<Utc>) -> Self {
        Self {
            token: options.token.clone(),
            products: Vec::new(),
            deletions: Vec::new(),
            orders: Vec::new(),
            locations: Vec::new(),
            levels: Vec::new(),
            bucket: options.bucket,
            restore_rate: options.restore_rate,
            available: options.bucket,
            refilled_at: Duration::ZERO,
            storm: VecDeque::new(),
            not_before: None,
            early_retries: 0,
            requests: 0,
            natural_throttles: 0,
            forced_throttles: 0,
            too_many: 0,
            updates: Vec::new(),
            offset: None,
            wall_clock,
            epoch,
            read_all_orders: options.read_all_orders,
            next_product: 0,
        }
    }

    /// The shop's time at clock reading `now`, to the second (as Shopify renders it).
    pub(super) fn shop_now(&self, now: Duration) -> DateTime<Utc> {
        let at = if self.wall_clock {
            Utc::now()
        } else {
            self.epoch + chrono::Duration::from_std(now).unwrap()
        };
        DateTime::from_timestamp(at.timestamp(), 0).unwrap()
    }

    /// A new `updated_at` for a record last changed at `previous`: now, and always later.
    pub(super) fn touch(&self, previous: DateTime<Utc>, now: Duration) -> DateTime<Utc> {
        self.shop_now(now)
            .max(previous + chrono::Duration::seconds(1))
    }

    pub(super) fn time(&self, at: DateTime<Utc>) -> String {
        match self.offset {
            Some(offset) => at
                .with_timezone(&offset)
                .to_rfc3339_opts(SecondsFormat::Secs, false),
            None => at.to_rfc3339_opts(SecondsFormat::Secs, true),
        }
    }
}

/// `count` products; every `tie` consecutive products share one `updatedAt`, each has two
/// sized variants `SKU-{n}-S` / `SKU-{n}-M`.
#[cfg(test)]
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
