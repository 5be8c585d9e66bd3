//! Sales analytics: what the `Analytics` endpoints and `Ask` read, from the daily rollups that
//! order ingestion keeps in the same transaction as the orders (and `RollupAnalytics` rebuilds).
//!
//! Days are the tenant's local calendar days (its IANA time zone, UTC until set): an order
//! placed at 23:30 UTC on 30 June by a merchant in Berlin is a 1 July sale. Money stays in
//! integer minor units per currency; nothing is summed across currencies.
//!
//! Two measures, because they answer different questions:
//! - `sales_minor`: what customers paid, the orders' totals (tax and shipping included). Only
//!   an order has it, so it exists for the whole shop and per channel, not per product.
//! - `items_minor`: the lines' quantity × unit price. It splits by product and category.

pub mod report;
mod rollup;
mod zone;

pub use rollup::*;
pub use zone::*;

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::TenantId;
use crate::store::StoreError;

/// An inclusive range of the tenant's local days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DateRange {
    /// The first day.
    pub from: NaiveDate,
    /// The last day, included.
    pub to: NaiveDate,
}

impl DateRange {
    /// The range, if `from` is not after `to`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Option<Self> {
        (from <= to).then_some(Self { from, to })
    }

    /// How many days it covers.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The range of the same length that ends the day before this one starts.
    pub fn previous(&self) -> Self {
        let to = self.from - chrono::Duration::days(1);
        Self {
            from: to - chrono::Duration::days(self.days() - 1),
            to,
        }
    }
}

/// How sales are bucketed in time. Weeks start on Monday (ISO 8601).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// One point per day.
    Day,
    /// One point per ISO week, labelled by its Monday.
    Week,
    /// One point per calendar month, labelled by its first day.
    Month,
}

/// What sales are split by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// By SKU (items only).
    Product,
    /// By the product's current category (items only); no category is `""`.
    Category,
    /// By the order's sales channel; an order without one is `"unknown"`.
    Channel,
}

/// A sales question over a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesQuery {
    /// The days.
    pub range: DateRange,
    /// The buckets.
    pub granularity: Granularity,
    /// The split, if any.
    pub group_by: Option<GroupBy>,
}

/// One bucket of sales (for one group and currency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SalesPoint {
    /// The bucket's first day (the day, the week's Monday, the month's first day); a bucket
    /// cut by the range's edge still carries its calendar start.
    pub period_start: NaiveDate,
    /// The group's key (SKU, category or channel), when grouped.
    pub group: Option<String>,
    /// ISO 4217 code.
    pub currency: String,
    /// Orders placed (for a product: orders with at least one of its lines; for a category:
    /// the sum of its products' counts, so an order with two of its products counts twice,
    /// because the rollups keep SKUs and a category is the product's current one).
    pub orders: u64,
    /// Units sold.
    pub units: i64,
    /// The lines' value, in minor units.
    pub items_minor: i64,
    /// The orders' totals, in minor units; `None` for product and category groups.
    pub sales_minor: Option<i64>,
}

/// The totals of a range in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CurrencyTotal {
    /// ISO 4217 code.
    pub currency: String,
    /// Orders placed.
    pub orders: u64,
    /// Units sold.
    pub units: i64,
    /// The lines' value, in minor units.
    pub items_minor: i64,
    /// The orders' totals, in minor units.
    pub sales_minor: i64,
}

/// The answer to a [`SalesQuery`]: points in period then group order, and the range's totals
/// per currency (whatever the grouping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SalesReport {
    /// The tenant's time zone the days are in.
    pub time_zone: String,
    /// The days covered.
    pub range: DateRange,
    /// The buckets.
    pub granularity: Granularity,
    /// The split, if any.
    pub group_by: Option<GroupBy>,
    /// The buckets with sales (empty buckets are left out).
    pub points: Vec<SalesPoint>,
    /// Totals per currency, largest sales first.
    pub totals: Vec<CurrencyTotal>,
}

/// What a top list ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TopBy {
    /// SKUs.
    Product,
    /// Categories.
    Category,
}

/// What a top list ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TopMetric {
    /// The lines' value.
    Revenue,
    /// Units sold.
    Units,
}

/// The best sellers of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopQuery {
    /// The days.
    pub range: DateRange,
    /// Products or categories.
    pub by: TopBy,
    /// The ranking measure.
    pub metric: TopMetric,
    /// How many (1 to 100).
    pub limit: u32,
}

/// One entry of a top list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TopItem {
    /// 1 for the best.
    pub rank: u32,
    /// The SKU or category (`""` for products without one).
    pub key: String,
    /// The product's title (for products that still exist), or the category's path.
    pub label: Option<String>,
    /// ISO 4217 code.
    pub currency: String,
    /// Orders with at least one of its lines (for a category: summed over its products).
    pub orders: u64,
    /// Units sold.
    pub units: i64,
    /// The lines' value, in minor units.
    pub items_minor: i64,
}

/// The days of sales a low-stock average is taken over unless the caller says otherwise.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 28;
/// Fewer days of cover than this is low unless the caller says otherwise.
pub const DEFAULT_THRESHOLD_DAYS: u32 = 14;

/// Products whose stock will not last: on hand (summed over locations) against the average
/// daily units sold over the look-back window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowStockQuery {
    /// The last day of the look-back window (the tenant's today, normally).
    pub as_of: NaiveDate,
    /// How many days of sales the average is taken over (1 to 365).
    pub lookback_days: u32,
    /// A product is low when it has fewer days of cover than this (or none on hand).
    pub threshold_days: u32,
    /// How many alerts at most (1 to 500).
    pub limit: u32,
}

/// One low-stock alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StockAlert {
    /// The SKU.
    pub sku: String,
    /// Its title.
    pub title: Option<String>,
    /// Units on hand over every location.
    pub on_hand: i64,
    /// Units sold in the look-back window.
    pub units_sold: i64,
    /// Average units sold per day over the window.
    pub daily_units: f64,
    /// On hand ÷ daily units, in days; `None` when nothing sold (never runs out at this pace).
    pub days_of_cover: Option<f64>,
}

/// The analytics queries a store answers, all scoped to one tenant.
#[async_trait]
pub trait SalesData: Send + Sync {
    /// The tenant's IANA time zone (`"UTC"` until one is set).
    async fn tenant_time_zone(&self, tenant: &TenantId) -> Result<String, StoreError>;

    /// Sales over a range, bucketed and optionally grouped.
    async fn sales(&self, tenant: &TenantId, query: &SalesQuery)
    -> Result<SalesReport, StoreError>;

    /// The best sellers of a range, best first.
    async fn top(&self, tenant: &TenantId, query: &TopQuery) -> Result<Vec<TopItem>, StoreError>;

    /// Products running low, fewest days of cover first (out of stock first of all).
    async fn low_stock(
        &self,
        tenant: &TenantId,
        query: &LowStockQuery,
    ) -> Result<Vec<StockAlert>, StoreError>;
}
