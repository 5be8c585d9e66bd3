//! What a test does with a [`MockShopify`]: start it, fill the shop, change it the way a
//! merchant would, queue storms, and read what the client did.

use std::sync::{Arc, MutexGuard};

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::Value;

use super::{MockLevel, MockProduct, MockShopify, MockVariant, ShopState, Storm};
use crate::settings::Secret;
use crate::sync::retry::{Clock, TokioClock};
use crate::sync::shopify::{API_VERSION, ShopifyClient};

/// How a [`MockShopify`] behaves.
#[derive(Debug, Clone)]
pub struct MockShopifyOptions {
    /// The access token it accepts (`X-Shopify-Access-Token`); anything else is a 401.
    pub token: String,
    /// The bucket's size in points. Keep it at least 1,000: a products page asks ~800.
    pub bucket: f64,
    /// Points restored per second (Shopify: 100 Standard … 2,000 Enterprise).
    pub restore_rate: f64,
    /// Whether orders older than 60 days are visible (the `read_all_orders` scope).
    pub read_all_orders: bool,
}

impl Default for MockShopifyOptions {
    /// Token `shpat_mock_token`; a 1,000-point bucket refilling at 4,000 points a second: a
    /// products page asks 797 points and spends 77 (two variants a product), so a
    /// 2,000-product pull (134 pages) waits on the bucket before almost every page, about
    /// 2.6 s in all; 60 days of orders.
    fn default() -> Self {
        Self {
            token: "shpat_mock_token".into(),
            bucket: 1000.0,
            restore_rate: 4000.0,
            read_all_orders: false,
        }
    }
}

/// A merchant's edit of a product in the Shopify admin; `None` fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct ProductEdit {
    /// A new title.
    pub title: Option<String>,
    /// A new description (HTML).
    pub description_html: Option<String>,
    /// A new SEO title.
    pub seo_title: Option<String>,
    /// A new SEO description.
    pub seo_description: Option<String>,
}

/// An order of the mock shop, in EUR; amounts are decimal strings as Shopify sends them.
#[derive(Debug, Clone, PartialEq)]
pub struct MockOrder {
    /// The number in its GID (`gid://shopify/Order/{id}`).
    pub id: u64,
    /// Its name, e.g. `#1001`.
    pub name: String,
    /// When it was created on Shopify.
    pub created_at: DateTime<Utc>,
    /// When the sale happened.
    pub processed_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// A test order.
    pub test: bool,
    /// Current total.
    pub total: String,
    /// Current tax.
    pub tax: String,
    /// Shipping.
    pub shipping: String,
    /// The lines.
    pub lines: Vec<MockLineItem>,
}

/// An order line of the mock shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockLineItem {
    /// The SKU; `None` for a custom item or a variant without one.
    pub sku: Option<String>,
    /// Units ordered.
    pub quantity: i64,
    /// Units still on the order.
    pub current_quantity: i64,
    /// The line total after discounts.
    pub discounted_total: String,
}

impl MockOrder {
    /// Order `#{number}` placed, and last changed, at `at`: two units of `sku` at 9.99,
    /// 3.99 tax, 4.99 shipping, 24.97 in all.
    pub fn paid(number: u64, sku: &str, at: DateTime<Utc>) -> Self {
        Self {
            id: 450_000_000 + number,
            name: format!("#{number}"),
            created_at: at,
            processed_at: at,
            updated_at: at,
            cancelled_at: None,
            test: false,
            total: "24.97".into(),
            tax: "3.99".into(),
            shipping: "4.99".into(),
            lines: vec![MockLineItem {
                sku: Some(sku.into()),
                quantity: 2,
                current_quantity: 2,
                discounted_total: "19.98".into(),
            }],
        }
    }

    /// Its GID.
    pub fn gid(&self) -> String {
        format!("gid://shopify/Order/{}", self.id)
    }
}

impl MockShopify {
    /// Starts an empty shop on `127.0.0.1:0` with the real clock, serving in the background
    /// for as long as the test's runtime lives.
    pub async fn start(options: MockShopifyOptions) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(TokioClock::default());
        let state = ShopState::new(&options, true, Utc::now());
        Self::serve(state, clock).await
    }

    /// `http://127.0.0.1:{port}`: the `base_url` of a connection that should talk to it.
    pub fn base_url(&self) -> &str {
        &self.url
    }

    /// The access token it accepts.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// A shop domain a connection can name (any valid one works; this is the mock's).
    pub fn shop_domain(&self) -> &'static str {
        "mock-shop.myshopify.com"
    }

    /// A client for this shop on the real clock.
    pub fn client(&self) -> ShopifyClient {
        ShopifyClient::new(
            self.shop_domain(),
            Secret::new(self.token.clone()),
            API_VERSION,
            Some(&self.url),
        )
        .expect("the mock's endpoint is valid")
    }

    fn lock(&self) -> MutexGuard<'_, ShopState> {
        self.state.lock().expect("mock Shopify state")
    }

    /// Adds `count` products with `variants` variants each and returns their GIDs. Product
    /// `n` (counting from 1 across calls) has SKUs `SHP-{n}-1` … `SHP-{n}-{variants}`; their
    /// `updatedAt`s are three minutes apart and end an hour before now, so an incremental
    /// pull's two-minute overlap re-reads only the newest of them.
    pub fn seed_products(&self, count: u64, variants: u64) -> Vec<String> {
        let mut shop = self.lock();
        let now = shop.shop_now(self.clock.now());
        let span = i64::try_from(count).unwrap_or(i64::MAX);
        let start = now - chrono::Duration::minutes(60 + 3 * span);
        let mut ids = Vec::new();
        for i in 0..count {
            shop.next_product += 1;
            let n = shop.next_product;
            let id = 2_000_000 + n;
            let step = i64::try_from(i + 1).unwrap_or(i64::MAX);
            shop.products.push(MockProduct {
                id,
                title: format!("Product {n}"),
                description_html: format!("<p>Product {n} as the merchant wrote it.</p>"),
                seo_title: None,
                seo_description: None,
                updated_at: start + chrono::Duration::minutes(3 * step),
                variants: (1..=variants)
                    .map(|v| MockVariant {
                        id: 60_000_000 + n * 100 + v,
                        sku: Some(format!("SHP-{n}-{v}")),
                        price: format!("{}.{:02}", 10 + n % 90, (v * 5) % 100),
                        options: vec![("Size".into(), format!("S{v}"))],
                    })
                    .collect(),
            });
            ids.push(format!("gid://shopify/Product/{id}"));
        }
        ids
    }

    /// The GIDs of every product the shop holds now.
    pub fn product_ids(&self) -> Vec<String> {
        let shop = self.lock();
        shop.products
            .iter()
            .map(|p| format!("gid://shopify/Product/{}", p.id))
            .collect()
    }

    /// Applies a merchant's edit to product `gid`, moving its `updatedAt` to now; returns the
    /// new `updatedAt`, or `None` when there is no such product.
    pub fn edit_product(&self, gid: &str, edit: ProductEdit) -> Option<DateTime<Utc>> {
        let mut shop = self.lock();
        let id = super::ops::gid_number(gid, "Product")?;
        let previous = shop.products.iter().find(|p| p.id == id)?.updated_at;
        let at = shop.touch(previous, self.clock.now());
        let product = shop.products.iter_mut().find(|p| p.id == id)?;
        let ProductEdit {
            title,
            description_html,
            seo_title,
            seo_description,
        } = edit;
        if let Some(title) = title {
            product.title = title;
        }
        if let Some(html) = description_html {
            product.description_html = html;
        }
        if seo_title.is_some() {
            product.seo_title = seo_title;
        }
        if seo_description.is_some() {
            product.seo_description = seo_description;
        }
        product.updated_at = at;
        Some(at)
    }

    /// Deletes product `gid` as the merchant would: it leaves every read and a deletion event
    /// is recorded now. `false` when there was no such product.
    pub fn delete_product(&self, gid: &str) -> bool {
        let mut shop = self.lock();
        let Some(id) = super::ops::gid_number(gid, "Product") else {
            return false;
        };
        let before = shop.products.len();
        shop.products.retain(|p| p.id != id);
        if shop.products.len() == before {
            return false;
        }
        let at = shop.shop_now(self.clock.now());
        shop.deletions.push((id, at));
        true
    }

    /// Adds orders.
    pub fn seed_orders(&self, orders: impl IntoIterator<Item = MockOrder>) {
        self.lock().orders.extend(orders);
    }

    /// Sets the `available` quantity of `sku` at the location named `location` (created on
    /// first use), with `updatedAt` now; returns that moment.
    pub fn set_inventory(&self, sku: &str, location: &str, available: i64) -> DateTime<Utc> {
        let mut shop = self.lock();
        let location = match shop.locations.iter().find(|(_, name)| name == location) {
            Some((id, _)) => *id,
            None => {
                let id = 80_000 + shop.locations.len() as u64 + 1;
                shop.locations.push((id, location.to_owned()));
                id
            }
        };
        let item = shop
            .products
            .iter()
            .flat_map(|p| &p.variants)
            .find(|v| v.sku.as_deref() == Some(sku))
            .map_or(90_000_000 + shop.levels.len() as u64, |v| v.id);
        let now = self.clock.now();
        let existing = shop
            .levels
            .iter()
            .position(|l| l.location == location && l.sku.as_deref() == Some(sku));
        let at = match existing {
            Some(i) => shop.touch(shop.levels[i].updated_at, now),
            None => shop.shop_now(now),
        };
        let level = MockLevel {
            location,
            item,
            sku: Some(sku.to_owned()),
            available,
            updated_at: at,
        };
        match existing {
            Some(i) => shop.levels[i] = level,
            None => shop.levels.push(level),
        }
        at
    }

    /// Renders every timestamp in `offset` (`2026-03-08T01:00:00-05:00`) instead of UTC with
    /// `Z`, as REST and some webhook payloads do, to check a client reads them as the same
    /// instants.
    pub fn render_times_in(&self, offset: FixedOffset) {
        self.lock().offset = Some(offset);
    }

    /// Queues forced answers for the next requests, in order.
    pub fn queue_storm(&self, storms: impl IntoIterator<Item = Storm>) {
        self.lock().storm.extend(storms);
    }

    /// Every `productUpdate` input, exactly as sent.
    pub fn updates(&self) -> Vec<Value> {
        self.lock().updates.clone()
    }

    /// Requests received, answered or not.
    pub fn requests(&self) -> u32 {
        self.lock().requests
    }

    /// `THROTTLED` answers given: forced by storms and because the bucket really was short.
    pub fn throttled(&self) -> u32 {
        let shop = self.lock();
        shop.forced_throttles + shop.natural_throttles
    }

    /// `THROTTLED` answers given because the client asked before the bucket had refilled.
    pub fn natural_throttles(&self) -> u32 {
        self.lock().natural_throttles
    }

    /// 429s given.
    pub fn too_many_requests(&self) -> u32 {
        self.lock().too_many
    }

    /// Requests that came back before the last 429's `Retry-After` was over.
    pub fn early_retries(&self) -> u32 {
        self.lock().early_retries
    }
}
