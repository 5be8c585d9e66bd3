//! Orders: `orders(first, after, sortKey: UPDATED_AT, query: "updated_at:>='…Z'")` paged by
//! cursor with the same [`OVERLAP`](super::OVERLAP) as products, `order(id:)` for one order,
//! and the mapping to the store's [`OrderUpsert`] with `channel = "shopify"`.
//!
//! Without the `read_all_orders` scope Shopify serves only the last 60 days of orders: older
//! ones are simply absent (no error), so a first pull of a shop reaches back 60 days at most.
//!
//! - The order id stored is the order's `name` (`#1001`): what the merchant and customer see,
//!   fixed when the order is created, and what Shopify's own order export calls an order, so
//!   orders imported earlier from that export are the same rows. The numeric id only ever
//!   appears in the GID.
//! - `placed_at` is `processedAt` (for orders imported into Shopify, the original sale time;
//!   `createdAt` is the import), in UTC whatever offset the text carried.
//! - Amounts are the shop-currency (`shopMoney`) side of the current totals, so edits and
//!   removed lines are reflected; a line's quantity is its `currentQuantity` and its unit price
//!   the discounted line total over the units ordered.
//! - Like WooCommerce's cancelled orders, cancelled orders and test orders are not sales: they
//!   are reported, not stored. Lines without a SKU are left out and reported, never invented.
//! - An order with more lines than a page reads is reported as [`OrderProblem::LinesTruncated`]:
//!   read it again with [`ShopifyClient::order`], which reads up to [`LINES_PER_ORDER_ALONE`].

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::queries::{Connection, has_next};
use super::{QueryCost, ShopifyClient, ShopifyError, next_cursor, overlap, search_since};
use crate::domain::{Currency, Money, Sku};
use crate::store::{OrderLineUpsert, OrderUpsert};

/// The channel Shopify orders are stored under.
pub const CHANNEL: &str = "shopify";

/// Orders per page. A page's requested cost is about `2 + first × (9 + 5 × lines)`: with
/// [`LINES_PER_ORDER`] this stays under the 1,000-point single-query limit.
pub const ORDERS_PER_PAGE: u32 = 8;

/// Lines read per order in a page.
pub const LINES_PER_ORDER: u32 = 20;

/// Lines read when one order is read alone (`9 + 5 × 150` points).
pub const LINES_PER_ORDER_ALONE: u32 = 150;

/// The order fields every order read asks for.
macro_rules! order_fields {
    () => {
        "id name createdAt processedAt updatedAt cancelledAt currencyCode test
      currentTotalPriceSet { shopMoney { amount } }
      currentTotalTaxSet { shopMoney { amount } }
      totalShippingPriceSet { shopMoney { amount } }
      lineItems(first: $linesFirst) {
        nodes { id sku quantity currentQuantity discountedTotalSet { shopMoney { amount } } }
        pageInfo { hasNextPage }
      }"
    };
}

const ORDERS: &str = concat!(
    "query SyncOrders($first: Int!, $after: String, $query: String, $linesFirst: Int!) {
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    nodes {
      ",
    order_fields!(),
    "
    }
    pageInfo { hasNextPage endCursor }
  }
}"
);

const ORDER: &str = concat!(
    "query SyncOrder($id: ID!, $linesFirst: Int!) {
  order(id: $id) {
    ",
    order_fields!(),
    "
  }
}"
);

#[derive(Debug, Deserialize)]
struct OrdersData {
    orders: Connection<ShopifyOrder>,
}

#[derive(Debug, Deserialize)]
struct OrderData {
    order: Option<ShopifyOrder>,
}

/// An order as the orders query returns it (no customer data: that needs another scope and
/// analytics does not use it).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShopifyOrder {
    /// GID, e.g. `gid://shopify/Order/450789469`.
    pub id: String,
    /// The order's name, e.g. `#1001`: our order id.
    pub name: String,
    /// When Shopify created it (for imported orders, when they were imported).
    pub created_at: DateTime<Utc>,
    /// When the sale happened.
    pub processed_at: DateTime<Utc>,
    /// Last change: the incremental cursor.
    pub updated_at: DateTime<Utc>,
    /// When it was cancelled; `None` for a live order.
    #[serde(default)]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The shop currency, which every `shopMoney` amount is in.
    pub currency_code: String,
    /// A test order (Bogus gateway): not a sale.
    #[serde(default)]
    pub test: bool,
    /// The total after edits and removals.
    pub current_total_price_set: MoneyBag,
    /// Tax after edits and removals.
    #[serde(default)]
    pub current_total_tax_set: Option<MoneyBag>,
    /// Shipping.
    #[serde(default)]
    pub total_shipping_price_set: Option<MoneyBag>,
    /// The lines read (at most [`LINES_PER_ORDER`] in a page).
    pub line_items: LineItems,
}

/// An amount in the shop's and the customer's currency; we read the shop's.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoneyBag {
    /// The amount in the shop currency.
    pub shop_money: MoneyV2,
}

/// A decimal amount.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MoneyV2 {
    /// A decimal string, e.g. `"24.97"`.
    pub amount: String,
}

/// The lines page of an order.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LineItems {
    /// The lines read.
    pub nodes: Vec<ShopifyLineItem>,
    /// Whether the order has more lines than were read.
    #[serde(rename = "pageInfo", deserialize_with = "has_next")]
    pub truncated: bool,
}

/// An order line.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShopifyLineItem {
    /// GID of the line.
    pub id: String,
    /// The variant's SKU when ordered; `null` or empty when it had none.
    #[serde(default)]
    pub sku: Option<String>,
    /// Units ordered.
    pub quantity: i64,
    /// Units still on the order after edits and removals.
    pub current_quantity: i64,
    /// The line total after line-level discounts, for the units ordered.
    pub discounted_total_set: MoneyBag,
}

/// One page of orders.
#[derive(Debug, Clone)]
pub struct OrderPage {
    /// The orders, oldest change first.
    pub orders: Vec<ShopifyOrder>,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<String>,
    /// What the page cost.
    pub cost: Option<QueryCost>,
}

/// Why an order (or one of its lines) is not stored as it came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderProblem {
    /// Cancelled, or a test order.
    #[error("order {0} is not a sale: {1}")]
    NotASale(String, String),
    /// An amount or the currency does not parse.
    #[error("order {0}: {1}")]
    BadAmount(String, String),
    /// More lines than were read: read the order alone with [`ShopifyClient::order`].
    #[error("order {0} has more lines than were read")]
    LinesTruncated(String),
    /// A line without a usable SKU, or with nothing left on the order, is left out.
    #[error("order {0}: line left out: {1}")]
    LineLeftOut(String, String),
}

impl ShopifyClient {
    /// The page of orders changed since `since` (minus the overlap; every visible order when
    /// `None`) that follows cursor `after`, oldest change first.
    pub async fn orders_page(
        &self,
        since: Option<DateTime<Utc>>,
        after: Option<&str>,
    ) -> Result<OrderPage, ShopifyError> {
        let variables = json!({
            "first": ORDERS_PER_PAGE,
            "after": after,
            "query": since.map(|s| search_since("updated_at", ">=", s - overlap())),
            "linesFirst": LINES_PER_ORDER,
        });
        let (data, cost): (OrdersData, _) = self
            .transport
            .execute("SyncOrders", ORDERS, variables)
            .await?;
        Ok(OrderPage {
            next: next_cursor(data.orders.page_info),
            orders: data.orders.nodes,
            cost,
        })
    }

    /// One order by GID with up to [`LINES_PER_ORDER_ALONE`] lines; `None` when Shopify has
    /// no such order (or it is older than 60 days and the app lacks `read_all_orders`).
    pub async fn order(&self, id: &str) -> Result<Option<ShopifyOrder>, ShopifyError> {
        let variables = json!({ "id": id, "linesFirst": LINES_PER_ORDER_ALONE });
        let (data, _): (OrderData, _) = self
            .transport
            .execute("SyncOrder", ORDER, variables)
            .await?;
        Ok(data.order)
    }
}

/// The store's order for `order`, with the lines that were left out; `Err` when the order is
/// not a sale, its amounts do not parse, or not all its lines were read.
pub fn order_upsert(
    order: &ShopifyOrder,
) -> Result<(OrderUpsert, Vec<OrderProblem>), OrderProblem> {
    let name = || order.name.clone();
    if let Some(at) = order.cancelled_at {
        return Err(OrderProblem::NotASale(name(), format!("cancelled at {at}")));
    }
    if order.test {
        return Err(OrderProblem::NotASale(name(), "a test order".into()));
    }
    if order.line_items.truncated {
        return Err(OrderProblem::LinesTruncated(name()));
    }
    let currency = Currency::parse(&order.currency_code)
        .map_err(|e| OrderProblem::BadAmount(name(), e.to_string()))?;
    let amount = |bag: &MoneyBag| minor(order, bag, currency);
    let optional = |bag: &Option<MoneyBag>| bag.as_ref().map(amount).transpose();
    let mut problems = Vec::new();
    let mut lines = Vec::new();
    for item in &order.line_items.nodes {
        lines.extend(line_upsert(order, item, currency, &mut problems)?);
    }
    let upsert = OrderUpsert {
        order_id: order.name.trim().to_owned(),
        placed_at: order.processed_at,
        currency,
        total_minor: amount(&order.current_total_price_set)?,
        tax_minor: optional(&order.current_total_tax_set)?,
        shipping_minor: optional(&order.total_shipping_price_set)?,
        customer_ref: None,
        channel: Some(CHANNEL.to_owned()),
        lines,
    };
    Ok((upsert, problems))
}

/// The line for `item`, or `None` with the reason added to `problems`; `Err` when its amount
/// does not parse (the whole order is then unreadable).
fn line_upsert(
    order: &ShopifyOrder,
    item: &ShopifyLineItem,
    currency: Currency,
    problems: &mut Vec<OrderProblem>,
) -> Result<Option<OrderLineUpsert>, OrderProblem> {
    let mut left_out = |why: String| {
        problems.push(OrderProblem::LineLeftOut(order.name.clone(), why));
        Ok(None)
    };
    let sku = match item.sku.as_deref().map(str::trim) {
        None | Some("") => return left_out(format!("line {} has no SKU", item.id)),
        Some(text) => match Sku::parse(text) {
            Ok(sku) => sku,
            Err(e) => return left_out(format!("SKU {text:?}: {e}")),
        },
    };
    if item.current_quantity <= 0 || item.quantity <= 0 {
        return left_out(format!("{}: removed from the order", sku.as_str()));
    }
    // The paid unit price: the discounted total over the units ordered, to the cent.
    let line_minor = minor(order, &item.discounted_total_set, currency)?;
    Ok(Some(OrderLineUpsert {
        sku,
        quantity: item.current_quantity,
        unit_price_minor: (line_minor + item.quantity / 2) / item.quantity,
    }))
}

/// `bag`'s shop-currency amount in minor units.
fn minor(order: &ShopifyOrder, bag: &MoneyBag, currency: Currency) -> Result<i64, OrderProblem> {
    Money::parse(bag.shop_money.amount.trim(), currency)
        .map(|m| m.minor())
        .map_err(|e| OrderProblem::BadAmount(order.name.clone(), e.to_string()))
}
