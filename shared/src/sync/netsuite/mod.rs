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
//! - **Retries**: 429, NetSuite's concurrency-limit codes (`CONCURRENCY_LIMIT_EXCEEDED`, and
//!   SOAP/RESTlet ones such as `WS_REQUEST_BLOCKED`, in any status), 5xx and timeouts are
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
//!   `inventoryitemlocations` per item, which exists with or without Multi-Location
//!   Inventory (unlike `inventorybalance`, which needs bins or inventory statuses).
//! - **Sales orders** ([`NetSuiteClient::upsert_sales_order`]): `PUT
//!   /record/v1/salesOrder/eid:{externalId}?replace=item` (upsert by external id, the item
//!   sublist replaced, not appended to), so a replay updates the one order. NetSuite needs a
//!   customer: the caller passes a default customer's internal id. Lines reference items by
//!   internal id, looked up by SKU ([`NetSuiteClient::item_ids_for_skus`]); an order with a SKU
//!   NetSuite does not know is not sent ([`NetSuiteError::UnknownSkus`]).
//!
//! [`map`] turns items into our `ProductContent` rows and stock into `InventoryUpsert`s.

mod error;
pub mod map;
mod orders;
mod suiteql;
mod transport;

// The mock NetSuite: switch to `#[cfg(any(test, feature = "mock-platforms"))]` to export it.
#[cfg(test)]
pub mod mock;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use error::{ErrorDetail, NetSuiteError};
pub use orders::{SalesOrderUpserted, external_id, sales_order_body};

use crate::settings::Secret;
use crate::sync::retry::{Clock, RetryPolicy, TokioClock};
use suiteql::{Collection, ItemRow, LOCAL_FORMAT, SkuRow, StockRow};
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

/// Where an item pull got to: the last change read, ties broken by internal id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ItemCursor {
    /// `lastmodifieddate`, UTC.
    pub modified: DateTime<Utc>,
    /// The item's internal id.
    pub id: u64,
}

/// An inventory item as the items query reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetSuiteItem {
    /// Internal id.
    pub id: u64,
    /// `itemid`: the item name/number, our SKU. `None` when NetSuite has none.
    pub sku: Option<String>,
    /// `displayname`.
    pub display_name: Option<String>,
    /// `description`: the sales description.
    pub description: Option<String>,
    /// `baseprice`, as NetSuite wrote it (a decimal string), in the account's base currency.
    pub base_price: Option<String>,
    /// `upccode`.
    pub upc: Option<String>,
    /// `isinactive`.
    pub inactive: bool,
    /// `lastmodifieddate`, UTC.
    pub modified: DateTime<Utc>,
    /// `lastmodifieddate` as NetSuite rendered it, in the token user's time zone.
    pub modified_local: NaiveDateTime,
}

impl NetSuiteItem {
    /// Where this item puts a pull's cursor.
    pub fn cursor(&self) -> ItemCursor {
        ItemCursor {
            modified: self.modified,
            id: self.id,
        }
    }
}

/// One incremental item pull in progress. It serialises, so the engine can keep it to
/// resume at the page it stopped on, and stores [`ItemPull::cursor`] once
/// [`ItemPull::is_done`] (or after each committed page: pages come in cursor order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemPull {
    since: Option<ItemCursor>,
    /// The query's lower bound in the token user's local time; set from `since` on the
    /// first page and moved to the last row read when the offset cap is reached.
    bound: Option<(NaiveDateTime, u64)>,
    started: bool,
    offset: u32,
    done: bool,
    high_water: Option<ItemCursor>,
    restarts: u32,
}

impl ItemPull {
    /// A pull of every inventory item changed after `since` (everything when `None`).
    pub fn new(since: Option<ItemCursor>) -> Self {
        Self {
            since,
            bound: None,
            started: false,
            offset: 0,
            done: false,
            high_water: since,
            restarts: 0,
        }
    }

    /// Whether the last page has been read.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The greatest `(lastmodifieddate, id)` read so far: the next pull's `since`.
    pub fn cursor(&self) -> Option<ItemCursor> {
        self.high_water
    }

    /// How often the pull reached the per-query row cap and restarted from its last row.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }
}

/// One page of an item pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemPage {
    /// The items, in `(lastmodifieddate, id)` order.
    pub items: Vec<NetSuiteItem>,
    /// The offset read.
    pub offset: u32,
    /// `totalResults` of the current query (it shrinks after a restart).
    pub total_results: Option<u64>,
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

    /// Reads the pull's next page of inventory items and advances it; `None` once done.
    pub async fn next_items(&self, pull: &mut ItemPull) -> Result<Option<ItemPage>, NetSuiteError> {
        if pull.done {
            return Ok(None);
        }
        if !pull.started {
            pull.bound = pull.since.map(|c| {
                (
                    c.modified
                        .with_timezone(&self.inner.time_zone)
                        .naive_local(),
                    c.id,
                )
            });
            pull.started = true;
        }
        let limit = self.inner.page_size;
        let offset = pull.offset;
        let page = self
            .suiteql(&suiteql::items_query(pull.bound), limit, offset)
            .await?;
        let mut items = Vec::with_capacity(page.items.len());
        for row in page.items {
            let row: ItemRow = decode(row)?;
            items.push(self.item(row)?);
        }
        let last = items.last().map(|i| (i.modified_local, i.id));
        // A lastmodifieddate with a fraction of a second can satisfy `> bound` while
        // rendering equal to it: such a row was read before the bound moved.
        if let Some((at, id)) = pull.bound {
            items.retain(|i| !(i.modified_local == at && i.id <= id));
        }
        if let Some(cursor) = items.last().map(NetSuiteItem::cursor) {
            pull.high_water = Some(pull.high_water.map_or(cursor, |hw| hw.max(cursor)));
        }
        match last {
            Some(last) if page.has_more => {
                let next = offset + limit;
                if next >= self.inner.max_query_rows {
                    tracing::info!(
                        restarts = pull.restarts + 1,
                        "SuiteQL row cap reached: restarting from the last row"
                    );
                    pull.bound = Some(last);
                    pull.offset = 0;
                    pull.restarts += 1;
                } else {
                    pull.offset = next;
                }
            }
            _ => pull.done = true,
        }
        Ok(Some(ItemPage {
            items,
            offset,
            total_results: page.total_results,
        }))
    }

    fn item(&self, row: ItemRow) -> Result<NetSuiteItem, NetSuiteError> {
        let id = parse_id(&row.id)?;
        let modified_local = NaiveDateTime::parse_from_str(row.modified.trim(), LOCAL_FORMAT)
            .map_err(|e| {
                NetSuiteError::Decode(format!("item {id}: modified `{}`: {e}", row.modified))
            })?;
        Ok(NetSuiteItem {
            id,
            sku: crate::sync::non_empty(row.itemid.as_deref()),
            display_name: crate::sync::non_empty(row.displayname.as_deref()),
            description: crate::sync::non_empty(row.description.as_deref()),
            base_price: crate::sync::non_empty(row.baseprice.as_deref()),
            upc: crate::sync::non_empty(row.upccode.as_deref()),
            inactive: row.isinactive.as_deref() == Some("T"),
            modified: to_utc(self.inner.time_zone, modified_local),
            modified_local,
        })
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

/// A local time of `tz` in UTC. In a fall-back hour the earlier instant is taken (a later
/// re-read, never a miss); a time inside a spring-forward gap, which NetSuite cannot have
/// written, is read as the moment the gap ends.
fn to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
}

fn parse_id(text: &str) -> Result<u64, NetSuiteError> {
    text.trim()
        .parse()
        .map_err(|_| NetSuiteError::Decode(format!("internal id `{text}` is not a number")))
}

fn decode<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, NetSuiteError> {
    serde_path_to_error::deserialize(body).map_err(|e| NetSuiteError::Decode(e.to_string()))
}
