//! The order and stock operations the mock shop answers: orders (only the last 60 days
//! without `read_all_orders`, as Shopify does), one order, locations and a location's
//! inventory levels, with their actual costs, `updated_at` filters and opaque cursors.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::ops::{decode_cursor, encode_cursor, gid_number, time_filter};
use super::{MockOrder, ShopState};

/// How far back orders are visible without `read_all_orders`.
const VISIBLE_DAYS: i64 = 60;

impl ShopState {
    fn visible(&self, order: &MockOrder, now: Duration) -> bool {
        self.read_all_orders
            || order.created_at >= self.shop_now(now) - chrono::Duration::days(VISIBLE_DAYS)
    }

    pub(super) fn orders(&self, vars: &Value, now: Duration) -> (Value, f64) {
        let first = usize::try_from(vars["first"].as_u64().unwrap()).unwrap();
        let lines_first = usize::try_from(vars["linesFirst"].as_u64().unwrap()).unwrap();
        let filter = vars["query"].as_str().map(|q| time_filter(q, "updated_at"));
        let after = vars["after"].as_str().map(decode_cursor);
        let mut matching: Vec<&MockOrder> = self
            .orders
            .iter()
            .filter(|o| self.visible(o, now))
            .filter(|o| {
                filter
                    .is_none_or(|(strict, at)| o.updated_at > at || (!strict && o.updated_at == at))
            })
            .collect();
        matching.sort_by_key(|o| (o.updated_at, o.id));
        let page: Vec<&MockOrder> = matching
            .iter()
            .filter(|o| after.is_none_or(|key| (o.updated_at, o.id) > key))
            .take(first)
            .copied()
            .collect();
        let has_next = page
            .last()
            .is_some_and(|last| matching.last().is_some_and(|end| end.id != last.id));
        let actual = 2.0
            + page
                .iter()
                .map(|o| 9.0 + 5.0 * o.lines.len().min(lines_first) as f64)
                .sum::<f64>();
        let nodes: Vec<Value> = page
            .iter()
            .map(|o| self.order_json(o, lines_first))
            .collect();
        let end_cursor = page.last().map(|o| encode_cursor(o.updated_at, o.id));
        let data = json!({"orders": {"nodes": nodes, "pageInfo": {"hasNextPage": has_next, "endCursor": end_cursor}}});
        (data, actual)
    }

    pub(super) fn order(&self, vars: &Value, now: Duration) -> (Value, f64) {
        let lines_first = usize::try_from(vars["linesFirst"].as_u64().unwrap()).unwrap();
        let id = gid_number(vars["id"].as_str().unwrap(), "Order");
        let found = self
            .orders
            .iter()
            .find(|o| Some(o.id) == id && self.visible(o, now));
        let actual = found.map_or(1.0, |o| 9.0 + 5.0 * o.lines.len().min(lines_first) as f64);
        let node = found.map(|o| self.order_json(o, lines_first));
        (json!({"order": node}), actual)
    }

    fn order_json(&self, o: &MockOrder, lines_first: usize) -> Value {
        let money = |amount: &str| json!({"shopMoney": {"amount": amount}});
        let lines: Vec<Value> = o
            .lines
            .iter()
            .enumerate()
            .take(lines_first)
            .map(|(i, l)| {
                json!({
                    "id": format!("gid://shopify/LineItem/{}", o.id * 1000 + i as u64),
                    "sku": l.sku, "quantity": l.quantity, "currentQuantity": l.current_quantity,
                    "discountedTotalSet": money(&l.discounted_total),
                })
            })
            .collect();
        json!({
            "id": format!("gid://shopify/Order/{}", o.id),
            "name": o.name,
            "createdAt": self.time(o.created_at),
            "processedAt": self.time(o.processed_at),
            "updatedAt": self.time(o.updated_at),
            "cancelledAt": o.cancelled_at.map(|at| self.time(at)),
            "currencyCode": "EUR",
            "test": o.test,
            "currentTotalPriceSet": money(&o.total),
            "currentTotalTaxSet": money(&o.tax),
            "totalShippingPriceSet": money(&o.shipping),
            "lineItems": {"nodes": lines, "pageInfo": {"hasNextPage": o.lines.len() > lines_first}},
        })
    }

    pub(super) fn locations_page(&self, vars: &Value) -> (Value, f64) {
        let first = usize::try_from(vars["first"].as_u64().unwrap()).unwrap();
        let start = vars["after"]
            .as_str()
            .map_or(0, |c| c.parse::<usize>().unwrap());
        let page: Vec<&(u64, String)> = self.locations.iter().skip(start).take(first).collect();
        let nodes: Vec<Value> = page
            .iter()
            .map(|(id, name)| json!({"id": format!("gid://shopify/Location/{id}"), "name": name}))
            .collect();
        let end = start + page.len();
        let data = json!({"locations": {"nodes": nodes, "pageInfo": {
            "hasNextPage": end < self.locations.len(),
            "endCursor": (!page.is_empty()).then(|| end.to_string()),
        }}});
        (data, 2.0 + page.len() as f64)
    }

    pub(super) fn inventory_levels(&self, vars: &Value) -> (Value, f64) {
        let first = usize::try_from(vars["first"].as_u64().unwrap()).unwrap();
        let location = gid_number(vars["location"].as_str().unwrap(), "Location");
        if !self.locations.iter().any(|(id, _)| Some(*id) == location) {
            return (json!({"location": null}), 1.0);
        }
        let filter = vars["query"].as_str().map(|q| time_filter(q, "updated_at"));
        let after: Option<u64> = vars["after"].as_str().map(|c| {
            let text = String::from_utf8(STANDARD.decode(c).unwrap()).unwrap();
            text.strip_prefix("level:").unwrap().parse().unwrap()
        });
        let mut matching: Vec<_> = self
            .levels
            .iter()
            .filter(|l| Some(l.location) == location)
            .filter(|l| {
                filter
                    .is_none_or(|(strict, at)| l.updated_at > at || (!strict && l.updated_at == at))
            })
            .collect();
        // No sort key: the connection lists by inventory item id.
        matching.sort_by_key(|l| l.item);
        let page: Vec<_> = matching
            .iter()
            .filter(|l| after.is_none_or(|item| l.item > item))
            .take(first)
            .copied()
            .collect();
        let has_next = page
            .last()
            .is_some_and(|last| matching.last().is_some_and(|end| end.item != last.item));
        let nodes: Vec<Value> = page
            .iter()
            .map(|l| {
                json!({
                    "updatedAt": self.time(l.updated_at),
                    "item": {"id": format!("gid://shopify/InventoryItem/{}", l.item), "sku": l.sku},
                    "quantities": [{"name": "available", "quantity": l.available}],
                })
            })
            .collect();
        let end_cursor = page
            .last()
            .map(|l| STANDARD.encode(format!("level:{}", l.item)));
        let data = json!({"location": {"inventoryLevels": {"nodes": nodes,
            "pageInfo": {"hasNextPage": has_next, "endCursor": end_cursor}}}});
        (data, 3.0 + 3.0 * page.len() as f64)
    }
}
