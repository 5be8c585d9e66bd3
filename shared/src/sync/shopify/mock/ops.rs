//! The catalogue operations the mock shop answers: products, one product, productUpdate and
//! deletion events, with their actual costs, filters and opaque cursors.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{MockProduct, ShopState};

impl ShopState {
    /// Answers `operation`, with its actual cost.
    pub(super) fn run(&mut self, operation: &str, vars: &Value, now: Duration) -> (Value, f64) {
        match operation {
            "SyncProducts" => self.products(vars),
            "SyncProduct" => self.product(vars),
            "SyncDeletionEvents" => self.deletion_events(vars),
            "SyncProductUpdate" => (self.product_update(vars, now), 10.0),
            "SyncOrders" => self.orders(vars, now),
            "SyncOrder" => self.order(vars, now),
            "SyncLocations" => self.locations_page(vars),
            "SyncInventoryLevels" => self.inventory_levels(vars),
            "SyncShop" => (
                json!({"shop": {"currencyCode": "EUR", "ianaTimezone": "America/New_York"}}),
                1.0,
            ),
            _ => panic!("mock Shopify does not know the operation {operation:?}"),
        }
    }

    fn product(&self, vars: &Value) -> (Value, f64) {
        let variants_first = usize::try_from(vars["variantsFirst"].as_u64().unwrap()).unwrap();
        let id = gid_number(vars["id"].as_str().unwrap(), "Product");
        let found = self.products.iter().find(|p| Some(p.id) == id);
        let actual = 1.0 + found.map_or(0.0, |p| 2.0 + p.variants.len().min(variants_first) as f64);
        let node = found.map(|p| self.product_json(p, variants_first));
        (json!({"product": node}), actual)
    }

    fn products(&self, vars: &Value) -> (Value, f64) {
        let first = usize::try_from(vars["first"].as_u64().unwrap()).unwrap();
        let variants_first = usize::try_from(vars["variantsFirst"].as_u64().unwrap()).unwrap();
        let filter = vars["query"].as_str().map(|q| time_filter(q, "updated_at"));
        let after = vars["after"].as_str().map(decode_cursor);
        let mut matching: Vec<&MockProduct> = self
            .products
            .iter()
            .filter(|p| {
                filter
                    .is_none_or(|(strict, at)| p.updated_at > at || (!strict && p.updated_at == at))
            })
            .collect();
        // UPDATED_AT, id breaking ties: a stable total order, so cursors never skip or repeat.
        matching.sort_by_key(|p| (p.updated_at, p.id));
        let page: Vec<&MockProduct> = matching
            .iter()
            .filter(|p| after.is_none_or(|key| (p.updated_at, p.id) > key))
            .take(first)
            .copied()
            .collect();
        let has_next = page
            .last()
            .is_some_and(|last| matching.last().is_some_and(|end| end.id != last.id));
        let actual = 2.0
            + page
                .iter()
                .map(|p| 3.0 + p.variants.len().min(variants_first) as f64)
                .sum::<f64>();
        let nodes: Vec<Value> = page
            .iter()
            .map(|p| self.product_json(p, variants_first))
            .collect();
        let end_cursor = page.last().map(|p| encode_cursor(p.updated_at, p.id));
        let data = json!({"products": {"nodes": nodes, "pageInfo": {"hasNextPage": has_next, "endCursor": end_cursor}}});
        (data, actual)
    }

    fn product_json(&self, p: &MockProduct, variants_first: usize) -> Value {
        let variants: Vec<Value> = p.variants.iter().take(variants_first).map(|v| json!({
            "id": format!("gid://shopify/ProductVariant/{}", v.id),
            "sku": v.sku, "barcode": null, "price": v.price, "inventoryQuantity": self.stock(v.sku.as_deref()),
            "selectedOptions": v.options.iter().map(|(n, val)| json!({"name": n, "value": val})).collect::<Vec<_>>(),
        })).collect();
        json!({
            "id": format!("gid://shopify/Product/{}", p.id),
            "title": p.title, "handle": format!("product-{}", p.id),
            "descriptionHtml": p.description_html, "vendor": "Acme", "productType": "Mugs",
            "status": "ACTIVE", "tags": ["kitchen"], "updatedAt": self.time(p.updated_at),
            "category": null,
            "seo": {"title": p.seo_title, "description": p.seo_description},
            "featuredMedia": {"preview": {"image": {"url": format!("https://cdn.shopify.com/s/files/{}.jpg", p.id)}}},
            "variants": {"nodes": variants, "pageInfo": {"hasNextPage": p.variants.len() > variants_first}},
        })
    }

    /// A variant's stock across locations: the sum of its levels, or 3 when none was set.
    fn stock(&self, sku: Option<&str>) -> i64 {
        let levels: Vec<i64> = self
            .levels
            .iter()
            .filter(|l| sku.is_some() && l.sku.as_deref() == sku)
            .map(|l| l.available)
            .collect();
        if levels.is_empty() {
            3
        } else {
            levels.iter().sum()
        }
    }

    fn product_update(&mut self, vars: &Value, now: Duration) -> Value {
        let input = vars["product"].clone();
        self.updates.push(input.clone());
        let id = input["id"]
            .as_str()
            .and_then(|g| g.strip_prefix("gid://shopify/Product/"))
            .and_then(|n| n.parse::<u64>().ok());
        let previous = self
            .products
            .iter()
            .find(|p| Some(p.id) == id)
            .map(|p| p.updated_at);
        let updated_at = previous.map(|at| self.touch(at, now));
        let Some(product) = self.products.iter_mut().find(|p| Some(p.id) == id) else {
            return json!({"productUpdate": {"product": null, "userErrors": [{"field": ["id"], "message": "Product does not exist"}]}});
        };
        if let Some(html) = input["descriptionHtml"].as_str() {
            product.description_html = html.into();
        }
        if let Some(title) = input["seo"]["title"].as_str() {
            product.seo_title = Some(title.into());
        }
        if let Some(description) = input["seo"]["description"].as_str() {
            product.seo_description = Some(description.into());
        }
        product.updated_at = updated_at.unwrap();
        let (id, at) = (product.id, product.updated_at);
        json!({"productUpdate": {"product": {"id": format!("gid://shopify/Product/{id}"), "updatedAt": self.time(at)}, "userErrors": []}})
    }

    fn deletion_events(&self, vars: &Value) -> (Value, f64) {
        let first = usize::try_from(vars["first"].as_u64().unwrap()).unwrap();
        let filter = vars["query"]
            .as_str()
            .map(|q| time_filter(q, "occurred_at"));
        let start = vars["after"]
            .as_str()
            .map_or(0, |c| c.parse::<usize>().unwrap());
        let matching: Vec<(usize, &(u64, DateTime<Utc>))> = self
            .deletions
            .iter()
            .enumerate()
            .filter(|(_, (_, at))| {
                filter.is_none_or(|(strict, since)| *at > since || (!strict && *at == since))
            })
            .filter(|(i, _)| *i >= start)
            .collect();
        let page = &matching[..matching.len().min(first)];
        let nodes: Vec<Value> = page.iter().map(|(_, (id, at))| json!({"subjectId": format!("gid://shopify/Product/{id}"), "subjectType": "PRODUCT", "occurredAt": self.time(*at)})).collect();
        let end = page.last().map(|(i, _)| (i + 1).to_string());
        let data = json!({"deletionEvents": {"nodes": nodes, "pageInfo": {"hasNextPage": matching.len() > first, "endCursor": end}}});
        (data, 2.0 + page.len() as f64)
    }
}

/// `field:>='2025-01-01T00:00:00Z'` → (strict, moment). Only the forms the client sends.
pub(super) fn time_filter(query: &str, field: &str) -> (bool, DateTime<Utc>) {
    let rest = query
        .strip_prefix(field)
        .and_then(|r| r.strip_prefix(':'))
        .unwrap();
    let (strict, quoted) = match rest.strip_prefix(">=") {
        Some(q) => (false, q),
        None => (true, rest.strip_prefix('>').unwrap()),
    };
    let at = quoted.trim_matches('\'').parse::<DateTime<Utc>>().unwrap();
    (strict, at)
}

pub(super) fn encode_cursor(at: DateTime<Utc>, id: u64) -> String {
    STANDARD.encode(format!("{}:{id}", at.timestamp()))
}

pub(super) fn decode_cursor(cursor: &str) -> (DateTime<Utc>, u64) {
    let text = String::from_utf8(STANDARD.decode(cursor).unwrap()).unwrap();
    let (at, id) = text.split_once(':').unwrap();
    (
        DateTime::from_timestamp(at.parse().unwrap(), 0).unwrap(),
        id.parse().unwrap(),
    )
}

/// The number of a GID of `kind` (`gid://shopify/Product/42` → 42); `None` for another kind.
pub(super) fn gid_number(gid: &str, kind: &str) -> Option<u64> {
    gid.strip_prefix("gid://shopify/")?
        .strip_prefix(kind)?
        .strip_prefix('/')?
        .parse()
        .ok()
}
