//! Incremental pulls of inventory items: SuiteQL pages in `(lastmodifieddate, id)` order,
//! restarted from the last row read before the per-query row cap, with the datetimes
//! NetSuite renders in the token user's time zone read back to UTC.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::suiteql::{self, ItemRow, LOCAL_FORMAT};
use super::{NetSuiteClient, NetSuiteError, decode, parse_id};
use crate::sync::non_empty;

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

impl ItemPull {
    /// After a page whose last row is `last`: the next offset, or a restart from `last`
    /// when the next offset would reach the per-query row cap, or the end.
    fn advance(
        &mut self,
        last: Option<(NaiveDateTime, u64)>,
        has_more: bool,
        limit: u32,
        max_query_rows: u32,
    ) {
        match last {
            Some(last) if has_more => {
                let next = self.offset + limit;
                if next >= max_query_rows {
                    tracing::info!(
                        restarts = self.restarts + 1,
                        "SuiteQL row cap reached: restarting from the last row"
                    );
                    self.bound = Some(last);
                    self.offset = 0;
                    self.restarts += 1;
                } else {
                    self.offset = next;
                }
            }
            _ => self.done = true,
        }
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
        pull.advance(last, page.has_more, limit, self.inner.max_query_rows);
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
            sku: non_empty(row.itemid.as_deref()),
            display_name: non_empty(row.displayname.as_deref()),
            description: non_empty(row.description.as_deref()),
            base_price: non_empty(row.baseprice.as_deref()),
            upc: non_empty(row.upccode.as_deref()),
            inactive: row.isinactive.as_deref() == Some("T"),
            modified: to_utc(self.inner.time_zone, modified_local),
            modified_local,
        })
    }
}

/// A local time of `tz` in UTC. In a fall-back hour the earlier instant is taken (a later
/// re-read, never a miss); a time inside a spring-forward gap, which NetSuite cannot have
/// written, is read an hour later, past the gap.
fn to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
}
