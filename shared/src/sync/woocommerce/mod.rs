//! The WooCommerce REST API v3 client (`/wp-json/wc/v3`): incremental product pulls with
//! their variations, and pushing enriched descriptions back.
//!
//! - Auth follows the site's scheme, as WooCommerce documents: HTTP Basic with the consumer
//!   key and secret over HTTPS, a one-legged OAuth 1.0a HMAC-SHA256 signature in the query
//!   over plain HTTP ([`crate::sync::oauth1`]).
//! - Pulls page with `page`/`per_page=100`, reading `X-WP-Total` and `X-WP-TotalPages`.
//!   v3 documents no `orderby=modified`, so pages are ordered by `id` (stable even when many
//!   products share a timestamp, unlike the default `orderby=date`), filtered with
//!   `modified_after` in GMT (`dates_are_gmt=true`). The cursor is `(date_modified_gmt, id)`:
//!   the next pull asks from one second before it (WordPress compares strictly, to the
//!   second) and drops what is not after it, so products sharing the cursor's second are
//!   neither lost nor doubled. The cursor never passes the second before the site's `Date`
//!   on the first page: a product changed while the pull paged (behind a page already read)
//!   or later in the cursor's own second is read again next time, not lost.
//! - Variable products list variation ids only; [`WooClient::variations`] reads them.
//! - Orders are pulled the same way ([`orders`]) and become [`crate::store::OrderUpsert`]s
//!   with `channel = "woocommerce"`.
//! - 401/403 are auth errors, never retried; 429, 5xx and timeouts are retried with back-off
//!   and `Retry-After`; WP error bodies `{code, message, data.status}` become typed errors.

mod error;
pub mod map;
pub mod orders;
mod transport;
mod types;

#[cfg(any(test, feature = "mock-platforms"))]
pub mod mock;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::NaiveDateTime;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub use error::WooError;
pub use types::{WooAttribute, WooCategory, WooImage, WooProduct, WooVariation};

use crate::domain::Currency;
use crate::settings::Secret;
use crate::sync::retry::{Clock, RetryPolicy, TokioClock};
use transport::{Answer, Transport};

/// The most WordPress serves per page (`per_page` above it is a 400).
pub const PER_PAGE: u32 = 100;

/// How WooCommerce writes its `*_gmt` dates and reads `modified_after`: no offset, no `Z`.
const DATE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// How far a pull got: the last change seen, ties broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WooCursor {
    /// `date_modified_gmt` of the product.
    pub modified_gmt: NaiveDateTime,
    /// The product id.
    pub id: u64,
}

/// One incremental pull (of products or of orders) in progress. The engine keeps it (it serialises) to resume a pull
/// at the page it stopped on, and stores [`Pull::cursor`] once [`Pull::is_done`].
///
/// Pages are ordered by id, not by time, so the cursor is only safe to store once the pull
/// has read its last page; until then the pull's own state is the checkpoint. A product
/// trashed mid-pull shifts later pages back (page numbers are all WooCommerce offers): the
/// pull sees `X-WP-Total` drop and reads the page before again, so nothing is skipped (what
/// is read twice is stored once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pull {
    since: Option<WooCursor>,
    next_page: Option<u32>,
    high_water: Option<WooCursor>,
    /// The site's clock (its `Date`) when it answered the first page. A record changed at or
    /// after that second may have changed behind pages already read (pages go by id), so the
    /// cursor never passes it.
    #[serde(default)]
    first_answer: Option<NaiveDateTime>,
    /// `X-WP-Total` as the last page gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    total: Option<u64>,
}

impl Pull {
    /// A pull of everything changed after `since` (everything when `None`).
    pub fn new(since: Option<WooCursor>) -> Self {
        Self {
            since,
            next_page: Some(1),
            high_water: since,
            first_answer: None,
            total: None,
        }
    }

    /// Whether the last page has been read.
    pub fn is_done(&self) -> bool {
        self.next_page.is_none()
    }

    /// The next pull's `since`: the greatest `(date_modified_gmt, id)` seen, held back to
    /// just before the second the site answered the first page in. What changed in that
    /// second or later (while the pull paged, or later in the same second as the last change
    /// it read) is read again next time instead of lost; without a `Date` from the site, the
    /// greatest seen.
    pub fn cursor(&self) -> Option<WooCursor> {
        let seen = self.high_water?;
        Some(match self.first_answer {
            Some(at) => seen.min(WooCursor {
                modified_gmt: at - chrono::Duration::seconds(1),
                id: u64::MAX,
            }),
            None => seen,
        })
    }
}

/// One page of a pull: the products changed after the cursor, in id order.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductPage {
    /// The products, without those at or before the pull's cursor.
    pub products: Vec<WooProduct>,
    /// The page number read.
    pub page: u32,
    /// `X-WP-Total`.
    pub total: u64,
    /// `X-WP-TotalPages`.
    pub total_pages: u32,
}

/// Enriched fields to push back. WooCommerce core documents no SEO fields (SEO plugins keep
/// theirs in undocumented meta), so only the two descriptions are written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrichedFields {
    /// The long description (HTML).
    pub description: Option<String>,
    /// The short description (HTML).
    pub short_description: Option<String>,
}

/// The body of a `PUT /products/{id}`: only the fields that differ from the store's.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductChanges(Map<String, Value>);

impl ProductChanges {
    /// What must change for `current` to carry `wanted`; `None` when nothing differs.
    pub fn between(current: &WooProduct, wanted: &EnrichedFields) -> Option<Self> {
        let mut fields = Map::new();
        for (name, now, want) in [
            ("description", &current.description, &wanted.description),
            (
                "short_description",
                &current.short_description,
                &wanted.short_description,
            ),
        ] {
            if let Some(want) = want.as_ref().filter(|w| *w != now) {
                fields.insert(name.into(), json!(want));
            }
        }
        (!fields.is_empty()).then_some(Self(fields))
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        Value::Object(self.0.clone())
    }
}

/// A WooCommerce store.
#[derive(Debug)]
pub struct WooClient {
    transport: Transport,
}

impl WooClient {
    /// A client for `site_url` (its scheme picks Basic or OAuth 1.0a), sending to `base_url`
    /// instead when given (tests), on tokio's clock with the default retry bounds.
    pub fn new(
        site_url: &str,
        consumer_key: &str,
        consumer_secret: Secret,
        base_url: Option<&str>,
    ) -> Result<Self, WooError> {
        Self::with_clock(
            site_url,
            consumer_key,
            consumer_secret,
            base_url,
            Arc::new(TokioClock::default()),
            RetryPolicy::default(),
        )
    }

    /// As [`WooClient::new`], with a clock and retry bounds.
    pub fn with_clock(
        site_url: &str,
        consumer_key: &str,
        consumer_secret: Secret,
        base_url: Option<&str>,
        clock: Arc<dyn Clock>,
        retry: RetryPolicy,
    ) -> Result<Self, WooError> {
        let transport = Transport::new(
            site_url,
            base_url,
            consumer_key,
            consumer_secret,
            clock,
            retry,
        )?;
        Ok(Self { transport })
    }

    /// Reads the pull's next page of products and advances it; `None` once it is done.
    pub async fn next_products(&self, pull: &mut Pull) -> Result<Option<ProductPage>, WooError> {
        Ok(self
            .next_page("products", pull, WooProduct::cursor)
            .await?
            .map(|(products, page, total, total_pages)| ProductPage {
                products,
                page,
                total,
                total_pages,
            }))
    }

    /// One page of the collection at `path` for `pull`, without what is at or before its
    /// cursor, with the page number, `X-WP-Total` and `X-WP-TotalPages`.
    async fn next_page<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        pull: &mut Pull,
        cursor_of: fn(&T) -> WooCursor,
    ) -> Result<Option<(Vec<T>, u32, u64, u32)>, WooError> {
        let Some(page) = pull.next_page else {
            return Ok(None);
        };
        let mut query = vec![
            ("per_page", PER_PAGE.to_string()),
            ("page", page.to_string()),
            ("orderby", "id".to_owned()),
            ("order", "asc".to_owned()),
            ("dates_are_gmt", "true".to_owned()),
        ];
        if let Some(since) = pull.since {
            let from = since.modified_gmt - chrono::Duration::seconds(1);
            query.push(("modified_after", from.format(DATE_FORMAT).to_string()));
        }
        let answer = self.transport.send(Method::GET, path, &query, None).await?;
        if pull.first_answer.is_none() {
            pull.first_answer = site_clock(&answer);
        }
        let (total, total_pages) = totals(&answer)?;
        let items: Vec<T> = decode(answer.body)?;
        let empty = items.is_empty();
        let items: Vec<T> = items
            .into_iter()
            .filter(|item| pull.since.is_none_or(|since| cursor_of(item) > since))
            .collect();
        pull.high_water = items
            .iter()
            .map(cursor_of)
            .fold(pull.high_water, |hw, c| Some(hw.map_or(c, |hw| hw.max(c))));
        // Records that left the list since the last page moved the ones after them back: as
        // many as left may now sit on the pages before this one, unread. Go back far enough.
        let left = pull.total.map_or(0, |seen| seen.saturating_sub(total));
        pull.total = Some(total);
        let back = u32::try_from(left.div_ceil(u64::from(PER_PAGE))).unwrap_or(u32::MAX);
        pull.next_page = if back > 0 {
            Some(page.saturating_sub(back).max(1))
        } else {
            (!empty && page < total_pages).then_some(page + 1)
        };
        Ok(Some((items, page, total, total_pages)))
    }

    /// Every variation of product `product_id`, all pages.
    pub async fn variations(&self, product_id: u64) -> Result<Vec<WooVariation>, WooError> {
        let path = format!("products/{product_id}/variations");
        let mut variations = Vec::new();
        let mut page = 1;
        loop {
            let query = [
                ("per_page", PER_PAGE.to_string()),
                ("page", page.to_string()),
                ("orderby", "id".to_owned()),
                ("order", "asc".to_owned()),
            ];
            let answer = self
                .transport
                .send(Method::GET, &path, &query, None)
                .await?;
            let (_, total_pages) = totals(&answer)?;
            let items: Vec<WooVariation> = decode(answer.body)?;
            let empty = items.is_empty();
            variations.extend(items);
            if empty || page >= total_pages {
                return Ok(variations);
            }
            page += 1;
        }
    }

    /// Product `product_id`; `None` when the site has no such product (deleted, or trashed
    /// and emptied).
    pub async fn product(&self, product_id: u64) -> Result<Option<WooProduct>, WooError> {
        let path = format!("products/{product_id}");
        match self.transport.send(Method::GET, &path, &[], None).await {
            Ok(answer) => decode(answer.body).map(Some),
            Err(WooError::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The store's currency (`GET /data/currencies/current`): every price is in it.
    pub async fn currency(&self) -> Result<Currency, WooError> {
        #[derive(serde::Deserialize)]
        struct Current {
            code: String,
        }
        let answer = self
            .transport
            .send(Method::GET, "data/currencies/current", &[], None)
            .await?;
        let current: Current = decode(answer.body)?;
        Currency::parse(&current.code)
            .map_err(|e| WooError::Decode(format!("store currency {:?}: {e}", current.code)))
    }

    /// `PUT /products/{id}` with only the changed fields; returns the updated product.
    pub async fn update_product(
        &self,
        product_id: u64,
        changes: &ProductChanges,
    ) -> Result<WooProduct, WooError> {
        let path = format!("products/{product_id}");
        let answer = self
            .transport
            .send(Method::PUT, &path, &[], Some(&changes.body()))
            .await?;
        decode(answer.body)
    }
}

/// The site's clock from the answer's `Date` (an HTTP date, in GMT), if it sent a readable one.
fn site_clock(answer: &Answer) -> Option<NaiveDateTime> {
    let date = answer.headers.get(reqwest::header::DATE)?.to_str().ok()?;
    chrono::DateTime::parse_from_rfc2822(date)
        .ok()
        .map(|at| at.naive_utc())
}

/// `X-WP-Total` and `X-WP-TotalPages`.
fn totals(answer: &Answer) -> Result<(u64, u32), WooError> {
    let read = |name: &str| {
        answer
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| WooError::Decode(format!("missing or unreadable {name}")))
    };
    let pages = u32::try_from(read("x-wp-totalpages")?)
        .map_err(|_| WooError::Decode("X-WP-TotalPages out of range".into()))?;
    Ok((read("x-wp-total")?, pages))
}

fn decode<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, WooError> {
    serde_path_to_error::deserialize(body).map_err(|e| WooError::Decode(e.to_string()))
}
