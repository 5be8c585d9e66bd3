//! Orders: `GET /orders` paged and filtered like products (by id, `modified_after` in GMT,
//! the same `(date_modified_gmt, id)` cursor), mapped to the store's [`OrderUpsert`] with
//! `channel = "woocommerce"`.
//!
//! Only orders that are sales count: `processing`, `completed` and `on-hold`. Pending,
//! failed, cancelled, refunded and draft orders are reported as skipped, not stored.

use chrono::{NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::{Pull, WooClient, WooCursor, WooError};
use crate::domain::{Currency, Money, Sku};
use crate::store::{OrderLineUpsert, OrderUpsert};

/// The channel WooCommerce orders are stored under.
pub const CHANNEL: &str = "woocommerce";

/// Statuses that are sales.
const SALE_STATUSES: [&str; 3] = ["processing", "completed", "on-hold"];

/// An order as `GET /orders` returns it (the fields analytics needs; no personal data).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WooOrder {
    /// The order id.
    pub id: u64,
    /// `processing`, `completed`, `cancelled` …
    pub status: String,
    /// ISO 4217 code.
    pub currency: String,
    /// When it was created, GMT.
    pub date_created_gmt: NaiveDateTime,
    /// Last change, GMT.
    pub date_modified_gmt: NaiveDateTime,
    /// Grand total, a decimal string.
    pub total: String,
    /// Tax total.
    #[serde(default)]
    pub total_tax: String,
    /// Shipping total.
    #[serde(default)]
    pub shipping_total: String,
    /// `0` for a guest.
    #[serde(default)]
    pub customer_id: u64,
    /// The lines.
    #[serde(default)]
    pub line_items: Vec<WooLineItem>,
}

/// An order line.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WooLineItem {
    /// May be `""` for a product without a SKU.
    #[serde(default)]
    pub sku: String,
    /// Units.
    pub quantity: i64,
    /// The line total after discounts, a decimal string.
    pub total: String,
}

impl WooOrder {
    /// Where this order puts a pull's cursor.
    pub fn cursor(&self) -> WooCursor {
        WooCursor {
            modified_gmt: self.date_modified_gmt,
            id: self.id,
        }
    }
}

/// One page of an order pull.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderPage {
    /// The orders changed after the pull's cursor, in id order.
    pub orders: Vec<WooOrder>,
    /// `X-WP-Total`.
    pub total: u64,
}

/// Why an order (or one of its lines) is not stored as it came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderProblem {
    /// Not a sale (pending, failed, cancelled, refunded, draft).
    #[error("order {0} has status {1}, not a sale")]
    NotASale(u64, String),
    /// An amount or the currency does not parse.
    #[error("order {0}: {1}")]
    BadAmount(u64, String),
    /// A line without a usable SKU or quantity is left out of the order.
    #[error("order {0}: line left out: {1}")]
    LineLeftOut(u64, String),
}

impl WooClient {
    /// Reads the pull's next page of orders and advances it; `None` once it is done.
    pub async fn next_orders(&self, pull: &mut Pull) -> Result<Option<OrderPage>, WooError> {
        Ok(self
            .next_page("orders", pull, WooOrder::cursor)
            .await?
            .map(|(orders, _, total, _)| OrderPage { orders, total }))
    }
}

/// The store's order for `order`, with the lines that were left out; `Err` when the order
/// is not a sale or its amounts do not parse.
pub fn order_upsert(order: &WooOrder) -> Result<(OrderUpsert, Vec<OrderProblem>), OrderProblem> {
    if !SALE_STATUSES.contains(&order.status.as_str()) {
        return Err(OrderProblem::NotASale(order.id, order.status.clone()));
    }
    let bad = |e: &dyn std::fmt::Display| OrderProblem::BadAmount(order.id, e.to_string());
    let currency = Currency::parse(&order.currency).map_err(|e| bad(&e))?;
    let minor = |amount: &str| -> Result<Option<i64>, OrderProblem> {
        match amount.trim() {
            "" => Ok(None),
            text => Money::parse(text, currency)
                .map(|m| Some(m.minor()))
                .map_err(|e| bad(&e)),
        }
    };
    let total_minor = minor(&order.total)?.ok_or_else(|| bad(&"no total"))?;
    let mut problems = Vec::new();
    let mut lines = Vec::new();
    for item in &order.line_items {
        let left_out = |why: String| OrderProblem::LineLeftOut(order.id, why);
        let sku = match Sku::parse(item.sku.trim()) {
            Ok(sku) => sku,
            Err(e) => {
                problems.push(left_out(format!("SKU {:?}: {e}", item.sku)));
                continue;
            }
        };
        if item.quantity <= 0 {
            problems.push(left_out(format!(
                "{}: quantity {}",
                sku.as_str(),
                item.quantity
            )));
            continue;
        }
        // The paid unit price: the discounted line total over the units, to the nearest cent.
        let line_minor = minor(&item.total)?.unwrap_or_default();
        let unit_price_minor = (line_minor + item.quantity / 2) / item.quantity;
        lines.push(OrderLineUpsert {
            sku,
            quantity: item.quantity,
            unit_price_minor,
        });
    }
    let upsert = OrderUpsert {
        order_id: order.id.to_string(),
        placed_at: Utc.from_utc_datetime(&order.date_created_gmt),
        currency,
        total_minor,
        tax_minor: minor(&order.total_tax)?,
        shipping_minor: minor(&order.shipping_total)?,
        customer_ref: (order.customer_id != 0).then(|| order.customer_id.to_string()),
        channel: Some(CHANNEL.to_owned()),
        lines,
    };
    Ok((upsert, problems))
}
