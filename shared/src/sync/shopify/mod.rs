//! A client for the Shopify GraphQL Admin API: the calls the sync engine needs, and nothing
//! that knows about our store.
//!
//! - [`ShopifyClient::shop`] reads the shop currency and time zone once per run.
//! - [`ShopifyClient::products_page`] pulls products changed since a moment, oldest change
//!   first (`sortKey: UPDATED_AT`, Shopify breaks ties by id), one page at a time so the
//!   engine can commit a page before it moves its cursor. The filter starts
//!   [`OVERLAP`] before the given moment, so changes committed on Shopify's side just
//!   around the previous run's last page are read again; those re-reads are ordinary
//!   products, and upserting by id makes them no-ops.
//! - [`ShopifyClient::update_product`] pushes an enriched description and SEO fields through
//!   `productUpdate`, sending only what [`ProductChanges::between`] found changed and never
//!   variants (before 2024-04, a partial variants list deleted the rest).
//! - [`ShopifyClient::product`] reads one product by GID, for webhooks that name one.
//! - [`ShopifyClient::orders_page`] and [`ShopifyClient::order`] read orders the same way
//!   ([`orders`]), [`ShopifyClient::inventory_levels_page`] the available stock per SKU and
//!   location ([`inventory`]).
//! - [`ShopifyClient::deletion_events_page`] reads product deletions. `deletionEvents` is
//!   marked deprecated in the pinned version's reference but still served; `products/delete`
//!   webhooks are the primary signal, this is the catch-up for missed deliveries.
//!
//! Throttling (both kinds), retries and typed errors are in the transport: see
//! [`throttle`] and [`ShopifyError`]. [`map`] turns a product into our `ProductContent` rows.
//!
//! With the `mock-platforms` feature (and in this crate's tests), [`mock`] is a local
//! Shopify serving all of the above from an in-memory shop.

mod client;
mod error;
pub mod inventory;
pub mod map;
#[cfg(any(test, feature = "mock-platforms"))]
pub mod mock;
pub mod orders;
pub mod queries;
pub mod throttle;

#[cfg(test)]
mod commerce_tests;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

pub use client::QueryCost;
pub use error::ShopifyError;
pub use queries::{DeletionEvent, ShopifyProduct, ShopifyVariant, UserError};
pub use throttle::{Clock, RetryPolicy, ThrottleStatus, TokioClock};

use crate::domain::Currency;
use crate::settings::Secret;

/// The Admin API version every call uses: the stable release current when this was written
/// (Shopify supports each quarterly version for at least twelve months). Moving it is a
/// deliberate change: re-check the queries against that version's reference.
pub const API_VERSION: &str = "2026-10";

/// Products per page. A page's requested cost is about `2 + first × (3 + variants)`; with
/// [`queries::VARIANTS_PER_PRODUCT`] this stays under the 1,000-point single-query limit.
pub const PRODUCTS_PER_PAGE: u32 = 15;

/// Deletion events per page.
pub const DELETIONS_PER_PAGE: u32 = 100;

/// How far before the cursor an incremental pull starts reading again: Shopify's search
/// index lags writes by seconds, so a product saved just before the last run's final page
/// may only show up now.
pub const OVERLAP: Duration = Duration::from_secs(120);

/// A connected shop's GraphQL Admin API.
#[derive(Debug)]
pub struct ShopifyClient {
    transport: client::Transport,
}

/// The shop-wide facts a sync needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ShopInfo {
    /// Currency of every product price.
    pub currency: Currency,
    /// The shop's time zone (IANA), for showing times the way the merchant sees them.
    pub time_zone: chrono_tz::Tz,
}

/// One page of products.
#[derive(Debug, Clone)]
pub struct ProductPage {
    /// The products, oldest change first.
    pub products: Vec<ShopifyProduct>,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<String>,
    /// What the page cost.
    pub cost: Option<QueryCost>,
}

/// One page of deletion events.
#[derive(Debug, Clone)]
pub struct DeletionPage {
    /// The events.
    pub events: Vec<DeletionEvent>,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<String>,
    /// What the page cost.
    pub cost: Option<QueryCost>,
}

/// The enrichment-owned fields of a product, as we want them on Shopify.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrichedFields {
    /// Description as HTML.
    pub description_html: Option<String>,
    /// SEO title.
    pub seo_title: Option<String>,
    /// SEO description.
    pub seo_description: Option<String>,
}

/// The fields a `productUpdate` sends: only those that differ from what Shopify has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductChanges {
    /// The product GID.
    pub id: String,
    /// New description, when it changed.
    pub description_html: Option<String>,
    /// New SEO title, when it changed.
    pub seo_title: Option<String>,
    /// New SEO description, when it changed.
    pub seo_description: Option<String>,
}

impl ProductChanges {
    /// What must change on `current` to carry `wanted`; `None` when nothing does. A field
    /// `wanted` leaves `None` is not ours to set and is never sent.
    pub fn between(current: &ShopifyProduct, wanted: &EnrichedFields) -> Option<Self> {
        fn changed(now: Option<&str>, wanted: &Option<String>) -> Option<String> {
            wanted
                .as_deref()
                .filter(|w| Some(*w) != now)
                .map(str::to_owned)
        }
        let changes = Self {
            id: current.id.clone(),
            description_html: changed(Some(&current.description_html), &wanted.description_html),
            seo_title: changed(current.seo.title.as_deref(), &wanted.seo_title),
            seo_description: changed(current.seo.description.as_deref(), &wanted.seo_description),
        };
        (changes.description_html.is_some()
            || changes.seo_title.is_some()
            || changes.seo_description.is_some())
        .then_some(changes)
    }

    /// The `ProductUpdateInput` with only the changed keys.
    fn to_input(&self) -> Value {
        let mut input = Map::new();
        input.insert("id".into(), json!(self.id));
        if let Some(html) = &self.description_html {
            input.insert("descriptionHtml".into(), json!(html));
        }
        let mut seo = Map::new();
        if let Some(title) = &self.seo_title {
            seo.insert("title".into(), json!(title));
        }
        if let Some(description) = &self.seo_description {
            seo.insert("description".into(), json!(description));
        }
        if !seo.is_empty() {
            input.insert("seo".into(), Value::Object(seo));
        }
        Value::Object(input)
    }
}

impl ShopifyClient {
    /// A client for `shop_domain` (`example.myshopify.com`) at `api_version` (normally
    /// [`API_VERSION`]); `base_url` replaces `https://{shop_domain}`, for a local mock.
    pub fn new(
        shop_domain: &str,
        access_token: Secret,
        api_version: &str,
        base_url: Option<&str>,
    ) -> Result<Self, ShopifyError> {
        Self::with_clock(
            shop_domain,
            access_token,
            api_version,
            base_url,
            Arc::new(TokioClock::default()),
            RetryPolicy::default(),
        )
    }

    /// [`Self::new`] with the clock the client waits on and its retry bounds.
    pub fn with_clock(
        shop_domain: &str,
        access_token: Secret,
        api_version: &str,
        base_url: Option<&str>,
        clock: Arc<dyn Clock>,
        retry: RetryPolicy,
    ) -> Result<Self, ShopifyError> {
        let endpoint = endpoint(shop_domain, api_version, base_url)?;
        let transport = client::Transport::new(endpoint, access_token, clock, retry)?;
        Ok(Self { transport })
    }

    /// The GraphQL URL this client posts to.
    pub fn endpoint(&self) -> &str {
        self.transport.endpoint()
    }

    /// The shop's currency and time zone.
    pub async fn shop(&self) -> Result<ShopInfo, ShopifyError> {
        let (data, _): (queries::ShopData, _) = self
            .transport
            .execute("SyncShop", queries::SHOP, json!({}))
            .await?;
        let currency = Currency::parse(&data.shop.currency_code)
            .map_err(|e| ShopifyError::Decode(format!("shop currency: {e}")))?;
        let time_zone = data.shop.iana_timezone.parse().map_err(|_| {
            ShopifyError::Decode(format!("shop time zone {:?}", data.shop.iana_timezone))
        })?;
        Ok(ShopInfo {
            currency,
            time_zone,
        })
    }

    /// The page of products changed since `since` (minus [`OVERLAP`]; all products when
    /// `None`) that follows cursor `after`.
    pub async fn products_page(
        &self,
        since: Option<DateTime<Utc>>,
        after: Option<&str>,
    ) -> Result<ProductPage, ShopifyError> {
        let variables = json!({
            "first": PRODUCTS_PER_PAGE,
            "after": after,
            "query": since.map(|s| search_since("updated_at", ">=", s - overlap())),
            "variantsFirst": queries::VARIANTS_PER_PRODUCT,
        });
        let (data, cost): (queries::ProductsData, _) = self
            .transport
            .execute("SyncProducts", queries::PRODUCTS, variables)
            .await?;
        let page = data.products;
        Ok(ProductPage {
            next: next_cursor(page.page_info),
            products: page.nodes,
            cost,
        })
    }

    /// One product by GID (`gid://shopify/Product/…`), with the same fields as a products
    /// page, for a webhook that names one product; `None` when Shopify has no such product.
    pub async fn product(&self, id: &str) -> Result<Option<ShopifyProduct>, ShopifyError> {
        let variables = json!({ "id": id, "variantsFirst": queries::VARIANTS_PER_PRODUCT });
        let (data, _): (queries::ProductData, _) = self
            .transport
            .execute("SyncProduct", queries::PRODUCT, variables)
            .await?;
        Ok(data.product)
    }

    /// Pushes `changes` through `productUpdate` and returns the product's new `updatedAt`,
    /// which the engine keeps so its own write is not mistaken for a merchant's edit.
    pub async fn update_product(
        &self,
        changes: &ProductChanges,
    ) -> Result<DateTime<Utc>, ShopifyError> {
        let (data, _): (queries::ProductUpdateData, _) = self
            .transport
            .execute(
                "SyncProductUpdate",
                queries::PRODUCT_UPDATE,
                json!({ "product": changes.to_input() }),
            )
            .await?;
        let payload = data.product_update;
        if !payload.user_errors.is_empty() {
            return Err(ShopifyError::UserErrors(payload.user_errors));
        }
        payload
            .product
            .map(|p| p.updated_at)
            .ok_or_else(|| ShopifyError::Decode("productUpdate returned no product".into()))
    }

    /// The page of product deletions after `since` (all kept ones when `None`) that follows
    /// cursor `after`.
    pub async fn deletion_events_page(
        &self,
        since: Option<DateTime<Utc>>,
        after: Option<&str>,
    ) -> Result<DeletionPage, ShopifyError> {
        let variables = json!({
            "first": DELETIONS_PER_PAGE,
            "after": after,
            "query": since.map(|s| search_since("occurred_at", ">", s)),
        });
        let (data, cost): (queries::DeletionEventsData, _) = self
            .transport
            .execute("SyncDeletionEvents", queries::DELETION_EVENTS, variables)
            .await?;
        let page = data.deletion_events;
        Ok(DeletionPage {
            next: next_cursor(page.page_info),
            events: page.nodes,
            cost,
        })
    }
}

/// `https://{shop}/admin/api/{version}/graphql.json`, or the same path under `base_url`.
fn endpoint(shop: &str, version: &str, base_url: Option<&str>) -> Result<String, ShopifyError> {
    let valid_shop = shop.ends_with(".myshopify.com")
        && shop
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if !valid_shop {
        return Err(ShopifyError::Config(format!(
            "shop domain must look like example.myshopify.com, got {shop:?}"
        )));
    }
    let valid_version = version.len() == 7
        && version.as_bytes()[4] == b'-'
        && version.chars().filter(char::is_ascii_digit).count() == 6;
    if !valid_version && version != "unstable" {
        return Err(ShopifyError::Config(format!(
            "API version must look like {API_VERSION}, got {version:?}"
        )));
    }
    let base = match base_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("https://{shop}"),
    };
    let url = format!("{base}/admin/api/{version}/graphql.json");
    url::Url::parse(&url).map_err(|e| ShopifyError::Config(format!("{url}: {e}")))?;
    Ok(url)
}

/// A search filter on a timestamp, always written in UTC with `Z`: a local time without an
/// offset is read in the shop's zone and silently misses changes.
fn search_since(field: &str, op: &str, at: DateTime<Utc>) -> String {
    format!(
        "{field}:{op}'{}'",
        at.to_rfc3339_opts(SecondsFormat::Secs, true)
    )
}

fn overlap() -> chrono::Duration {
    chrono::Duration::from_std(OVERLAP).unwrap_or_else(|_| chrono::Duration::zero())
}

fn next_cursor(page: queries::PageInfo) -> Option<String> {
    page.has_next_page.then_some(page.end_cursor).flatten()
}
