//! A client for NetSuite's SuiteTalk REST web services: inventory items and their stock
//! through SuiteQL, sales orders upserted through the record API.
//!
//! - **Auth**: OAuth 1.0a token-based authentication ([`crate::sync::oauth1`]): HMAC-SHA256
//!   (NetSuite ended SHA-1 in 2023.1), `realm` = the account id upper case with `_`
//!   (`1234567_SB1`) while the host is lower case with `-` (`1234567-sb1`), `oauth_version=1.0`,
//!   the URL's query parameters in the base string and never in the header, and a fresh
//!   nonce and timestamp on every attempt (a retried request is signed again).
//! - **Concurrency**: NetSuite limits requests in flight per account (5 on the smallest tier,
//!   shared with every other integration), not requests per second. One semaphore of
//!   `max_concurrency` permits is shared by every clone of a [`NetSuiteClient`]; a request
//!   holds a permit while it is on the wire, not while it waits to retry.
//! - **Retries**: 429, NetSuite's concurrency-limit codes (REST's body code is not
//!   documented; `CONCURRENCY_LIMIT_EXCEEDED` is assumed, and the SOAP/RESTlet ones such as
//!   `WS_REQUEST_BLOCKED` are known, in any status), 5xx and timeouts are
//!   retried with back-off or `Retry-After` within the [`RetryPolicy`]; 401/403 stop at once
//!   ([`NetSuiteError::is_auth`]); `o:errorDetails` bodies become [`NetSuiteError::Api`].
//! - **Items** ([`NetSuiteClient::next_items`]): SuiteQL over `item` (inventory items,
//!   `itemtype = 'InvtPart'`), ordered by `(lastmodifieddate, id)`, `limit` 1000 and offsets a
//!   multiple of it, with `Prefer: transient`. One query pages at most 100,000 rows: before
//!   the offset reaches that cap the pull moves its lower bound to the last row's
//!   `(lastmodifieddate, id)` and starts again at offset 0 (keyset paging), so nothing is
//!   lost or read twice however large the catalogue.
//! - **Time**: SuiteQL renders datetimes in the token user's time zone and date format, with
//!   no offset. The client selects `TO_CHAR(lastmodifieddate, 'YYYY-MM-DD"T"HH24:MI:SS')` and
//!   filters with `TO_TIMESTAMP('YYYY-MM-DD HH24:MI:SS')`, both in that user's local time, and
//!   converts with [`NetSuiteConfig::time_zone`], which must be that user's time zone
//!   preference (default UTC: set the integration user's preference to a zone without
//!   daylight saving time, e.g. UTC, and nothing is ambiguous). Cursors are UTC.
//! - **Stock** ([`NetSuiteClient::stock`]): `SUM(quantityavailable)` of
//!   `inventoryitemlocations` per item (the per-location rows of the item record's
//!   Locations sublist, there with or without Multi-Location Inventory).
//! - **Sales orders** ([`NetSuiteClient::upsert_sales_order`]): `PUT
//!   /record/v1/salesOrder/eid:{externalId}?replace=item` (upsert by external id, the item
//!   sublist replaced, not appended to), so a replay updates the one order. NetSuite needs a
//!   customer: the caller passes a default customer's internal id. Lines reference items by
//!   internal id, looked up by SKU ([`NetSuiteClient::item_ids_for_skus`]); an order with a SKU
//!   NetSuite does not know is not sent ([`NetSuiteError::UnknownSkus`]).
//!
//! [`map`] turns items into our `ProductContent` rows and stock into `InventoryUpsert`s.

mod error;
mod items;
pub mod map;
mod orders;
mod suiteql;
mod transport;

#[cfg(any(test, feature = "mock-platforms"))]
pub mod mock;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use chrono_tz::Tz;
use reqwest::Method;
use serde_json::{Value, json};

pub use error::{ErrorDetail, NetSuiteError};
pub use items::{ItemCursor, ItemPage, ItemPull, NetSuiteItem};
pub use orders::{SalesOrderUpserted, external_id, sales_order_body};

use crate::settings::Secret;
use crate::sync::retry::{Clock, RetryPolicy, TokioClock};
use suiteql::{Collection, SkuRow, StockRow};
use transport::{Credentials, Transport};

/// Rows per SuiteQL page: NetSuite's maximum (and default).
pub const PAGE_SIZE: u32 = 1000;

/// The most rows one SuiteQL query pages through (offset + limit); beyond it the pull
/// restarts from the last row read.
pub const MAX_QUERY_ROWS: u32 = 100_000;

/// NetSuite's concurrency limit on the smallest service tier.
pub const DEFAULT_MAX_CONCURRENCY: u32 = 5;

/// Item ids per stock query, and SKUs per id lookup: keeps the SQL text short.
const IDS_PER_QUERY: usize = 500;

/// The SuiteQL endpoint, under `/services/rest/`.
const SUITEQL_PATH: &str = "query/v1/suiteql";

/// Everything a client needs: the account, its token-based credentials and limits.
#[derive(Debug, Clone)]
pub struct NetSuiteConfig {
    /// `1234567` or `1234567_SB1` (any case; the realm and host are derived from it).
    pub account_id: String,
    /// The integration record's consumer key.
    pub consumer_key: String,
    /// The integration record's consumer secret.
    pub consumer_secret: Secret,
    /// The access token's id.
    pub token_id: String,
    /// The access token's secret.
    pub token_secret: Secret,
    /// Requests in flight at most, across clones (default 5).
    pub max_concurrency: u32,
    /// Where to send requests instead of `https://{account}.suitetalk.api.netsuite.com`.
    pub base_url: Option<String>,
    /// The token user's time zone preference: how SuiteQL renders and reads datetimes.
    pub time_zone: Tz,
    /// Rows per page (default [`PAGE_SIZE`]; lower only in tests).
    pub page_size: u32,
    /// Rows one query may page through (default [`MAX_QUERY_ROWS`]; lower only in tests).
    pub max_query_rows: u32,
}

impl NetSuiteConfig {
    /// A configuration with the defaults: 5 in flight, production URL, UTC, full pages.
    pub fn new(
        account_id: impl Into<String>,
        consumer_key: impl Into<String>,
        consumer_secret: Secret,
        token_id: impl Into<String>,
        token_secret: Secret,
    ) -> Self {
        Self {
            account_id: account_id.into(),
            consumer_key: consumer_key.into(),
            consumer_secret,
            token_id: token_id.into(),
            token_secret,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            base_url: None,
            time_zone: Tz::UTC,
            page_size: PAGE_SIZE,
            max_query_rows: MAX_QUERY_ROWS,
        }
    }
}

/// A NetSuite account's REST web services. Clones share one connection pool and one
/// concurrency limit.
#[derive(Debug, Clone)]
pub struct NetSuiteClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    transport: Transport,
    time_zone: Tz,
    page_size: u32,
    max_query_rows: u32,
}

impl NetSuiteClient {
    /// A client on tokio's clock with the default retry bounds.
    pub fn new(config: NetSuiteConfig) -> Result<Self, NetSuiteError> {
        Self::with_clock(
            config,
            Arc::new(TokioClock::default()),
            RetryPolicy::default(),
        )
    }

    /// As [`NetSuiteClient::new`], with a clock and retry bounds.
    pub fn with_clock(
        config: NetSuiteConfig,
        clock: Arc<dyn Clock>,
        retry: RetryPolicy,
    ) -> Result<Self, NetSuiteError> {
        if !(1..=PAGE_SIZE).contains(&config.page_size) {
            return Err(NetSuiteError::Config(format!(
                "page size 1 to {PAGE_SIZE}, not {}",
                config.page_size
            )));
        }
        if config.max_query_rows < config.page_size {
            return Err(NetSuiteError::Config(
                "max_query_rows below the page size".into(),
            ));
        }
        let transport = Transport::new(
            &config.account_id,
            Credentials {
                consumer_key: config.consumer_key,
                consumer_secret: config.consumer_secret,
                token_id: config.token_id,
                token_secret: config.token_secret,
            },
            config.max_concurrency,
            config.base_url.as_deref(),
            clock,
            retry,
        )?;
        Ok(Self {
            inner: Arc::new(Inner {
                transport,
                time_zone: config.time_zone,
                page_size: config.page_size,
                max_query_rows: config.max_query_rows,
            }),
        })
    }

    /// Checks the credentials with the cheapest call that needs what a sync needs: a
    /// SuiteQL read of one item id (REST web services, SuiteQL and the Items permission on
    /// the token's role). A record metadata read would pass without the Items permission.
    pub async fn check(&self) -> Result<(), NetSuiteError> {
        self.suiteql(&suiteql::check_query(), 1, 0)
            .await
            .map(|_| ())
    }

    /// One SuiteQL page: `POST /query/v1/suiteql?limit=&offset=` with `Prefer: transient`.
    async fn suiteql(&self, q: &str, limit: u32, offset: u32) -> Result<Collection, NetSuiteError> {
        let answer = self
            .inner
            .transport
            .send(
                Method::POST,
                SUITEQL_PATH,
                &[("limit", limit.to_string()), ("offset", offset.to_string())],
                &[("prefer", "transient")],
                Some(&json!({ "q": q })),
            )
            .await?;
        let body = answer
            .body
            .ok_or_else(|| NetSuiteError::Decode("SuiteQL answered without a body".into()))?;
        decode(body)
    }

    /// Every row of `q`, all pages (for queries known to stay far below the row cap).
    async fn suiteql_all<T: serde::de::DeserializeOwned>(
        &self,
        q: &str,
    ) -> Result<Vec<T>, NetSuiteError> {
        let limit = self.inner.page_size;
        let mut rows = Vec::new();
        let mut offset = 0;
        loop {
            let page = self.suiteql(q, limit, offset).await?;
            let empty = page.items.is_empty();
            for item in page.items {
                rows.push(decode(item)?);
            }
            if !page.has_more || empty {
                return Ok(rows);
            }
            offset += limit;
            if offset >= self.inner.max_query_rows {
                return Err(NetSuiteError::Decode(format!(
                    "query passed the {} row cap",
                    self.inner.max_query_rows
                )));
            }
        }
    }

    /// Quantity available per item internal id, summed over locations, as NetSuite wrote it
    /// (a decimal string). Items without a location row are absent: NetSuite has no level
    /// for them, and none is invented.
    pub async fn stock(&self, item_ids: &[u64]) -> Result<HashMap<u64, String>, NetSuiteError> {
        let mut levels = HashMap::new();
        for chunk in item_ids.chunks(IDS_PER_QUERY) {
            let rows: Vec<StockRow> = self.suiteql_all(&suiteql::stock_query(chunk)).await?;
            for row in rows {
                if let Some(available) = row.available {
                    levels.insert(parse_id(&row.item)?, available);
                }
            }
        }
        Ok(levels)
    }

    /// The internal ids of the items whose `itemid` is one of `skus`, keyed by SKU. SKUs
    /// NetSuite does not know are absent.
    pub async fn item_ids_for_skus(
        &self,
        skus: &[&str],
    ) -> Result<HashMap<String, u64>, NetSuiteError> {
        let mut ids = HashMap::new();
        let mut unique: Vec<&str> = skus.to_vec();
        unique.sort_unstable();
        unique.dedup();
        for chunk in unique.chunks(IDS_PER_QUERY) {
            let rows: Vec<SkuRow> = self.suiteql_all(&suiteql::skus_query(chunk)).await?;
            for row in rows {
                ids.insert(row.itemid, parse_id(&row.id)?);
            }
        }
        Ok(ids)
    }

    /// The token user's time zone this client converts with.
    pub fn time_zone(&self) -> Tz {
        self.inner.time_zone
    }

    fn transport(&self) -> &Transport {
        &self.inner.transport
    }
}

fn parse_id(text: &str) -> Result<u64, NetSuiteError> {
    text.trim()
        .parse()
        .map_err(|_| NetSuiteError::Decode(format!("internal id `{text}` is not a number")))
}

fn decode<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, NetSuiteError> {
    serde_path_to_error::deserialize(body).map_err(|e| NetSuiteError::Decode(e.to_string()))
}
