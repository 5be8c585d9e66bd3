//! The SuiteQL the client sends, and the shapes NetSuite answers with.
//!
//! Every query is ordered by a unique key (NetSuite warns that unordered pages duplicate or
//! miss rows). Values come back as strings, keys in lower case, and a column that is null
//! is left out of its row. Datetimes are rendered in the token user's time zone and date
//! format, so every datetime is selected through `TO_CHAR(…, 'YYYY-MM-DD"T"HH24:MI:SS')` and
//! compared through `TO_TIMESTAMP(…, 'YYYY-MM-DD HH24:MI:SS')`: both are that user's local
//! time, converted to and from UTC by the client with the configured time zone.

use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::Value;

/// How `TO_CHAR` renders `lastmodifieddate` (chrono's spelling of the SQL format).
pub(super) const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// How a lower bound is written into `TO_TIMESTAMP` (chrono's spelling).
const BOUND_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// A collection page: `{links, count, hasMore, items, offset, totalResults}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Collection {
    #[serde(default)]
    pub(super) has_more: bool,
    #[serde(default)]
    pub(super) items: Vec<Value>,
    #[serde(default)]
    pub(super) total_results: Option<u64>,
}

/// A row of [`items_query`].
#[derive(Debug, Clone, Deserialize)]
pub(super) struct ItemRow {
    pub(super) id: String,
    #[serde(default)]
    pub(super) itemid: Option<String>,
    #[serde(default)]
    pub(super) displayname: Option<String>,
    #[serde(default)]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) baseprice: Option<String>,
    #[serde(default)]
    pub(super) upccode: Option<String>,
    #[serde(default)]
    pub(super) isinactive: Option<String>,
    pub(super) modified: String,
}

/// A row of [`stock_query`].
#[derive(Debug, Clone, Deserialize)]
pub(super) struct StockRow {
    pub(super) item: String,
    #[serde(default)]
    pub(super) available: Option<String>,
}

/// A row of [`skus_query`].
#[derive(Debug, Clone, Deserialize)]
pub(super) struct SkuRow {
    pub(super) id: String,
    pub(super) itemid: String,
}

/// A string literal: single quotes doubled.
pub(super) fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The credential check: the first item id. It needs what a sync needs (REST web services,
/// SuiteQL and the Items permission on the token's role), and reads one row.
pub(super) fn check_query() -> String {
    "SELECT item.id AS id FROM item ORDER BY item.id ASC".to_owned()
}

/// Inventory items changed after `bound` (local time and id; everything when `None`), in
/// `(lastmodifieddate, id)` order.
pub(super) fn items_query(bound: Option<(NaiveDateTime, u64)>) -> String {
    let mut q = String::from(
        "SELECT item.id AS id, item.itemid AS itemid, item.displayname AS displayname, \
         item.description AS description, item.baseprice AS baseprice, \
         item.upccode AS upccode, item.isinactive AS isinactive, \
         TO_CHAR(item.lastmodifieddate, 'YYYY-MM-DD\"T\"HH24:MI:SS') AS modified \
         FROM item WHERE item.itemtype = 'InvtPart'",
    );
    if let Some((local, id)) = bound {
        let at = format!(
            "TO_TIMESTAMP('{}', 'YYYY-MM-DD HH24:MI:SS')",
            local.format(BOUND_FORMAT)
        );
        q.push_str(&format!(
            " AND (item.lastmodifieddate > {at} OR (item.lastmodifieddate = {at} AND item.id > {id}))"
        ));
    }
    q.push_str(" ORDER BY item.lastmodifieddate ASC, item.id ASC");
    q
}

/// Quantity available per item, summed over its locations, for `ids`.
pub(super) fn stock_query(ids: &[u64]) -> String {
    let list = ids
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT inventoryitemlocations.item AS item, \
         SUM(inventoryitemlocations.quantityavailable) AS available \
         FROM inventoryitemlocations WHERE inventoryitemlocations.item IN ({list}) \
         GROUP BY inventoryitemlocations.item ORDER BY inventoryitemlocations.item ASC"
    )
}

/// The internal ids of the items whose `itemid` (the SKU) is one of `skus`.
pub(super) fn skus_query(skus: &[&str]) -> String {
    let list = skus
        .iter()
        .map(|s| literal(s))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT item.id AS id, item.itemid AS itemid FROM item \
         WHERE item.itemid IN ({list}) ORDER BY item.id ASC"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounded_items_query_breaks_ties_by_id_and_orders_by_both() {
        let at = NaiveDateTime::parse_from_str("2026-03-08T06:00:05", LOCAL_FORMAT).unwrap();
        let q = items_query(Some((at, 42)));
        assert!(q.contains(
            "(item.lastmodifieddate > TO_TIMESTAMP('2026-03-08 06:00:05', 'YYYY-MM-DD HH24:MI:SS') \
             OR (item.lastmodifieddate = TO_TIMESTAMP('2026-03-08 06:00:05', 'YYYY-MM-DD HH24:MI:SS') \
             AND item.id > 42))"
        ));
        assert!(q.ends_with("ORDER BY item.lastmodifieddate ASC, item.id ASC"));
        assert!(!items_query(None).contains("TO_TIMESTAMP"));
    }

    #[test]
    fn sku_literals_double_their_quotes() {
        assert_eq!(
            skus_query(&["A'B", "C"]),
            "SELECT item.id AS id, item.itemid AS itemid FROM item WHERE item.itemid IN ('A''B', 'C') ORDER BY item.id ASC"
        );
    }
}
