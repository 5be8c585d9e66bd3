//! The typed tools both modes run against [`SalesData`]: `sales_summary`, `top_items` and
//! `low_stock`. A model calls them through OpenAI function tools with strict JSON schemas;
//! the offline reader builds the same arguments from its [`Plan`](super::intent::Plan). The
//! arguments are checked here (dates parse, ranges bounded, enums closed, no unknown fields)
//! before anything reaches the data: a model never writes a query.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::format::money;
use crate::analytics::{
    DateRange, Granularity, GroupBy, LowStockQuery, SalesData, SalesQuery, SalesReport, StockAlert,
    TopBy, TopItem, TopMetric, TopQuery,
};
use crate::domain::TenantId;
use crate::store::StoreError;

/// The longest range a tool may cover, in days (about three years).
pub const MAX_RANGE_DAYS: i64 = 1_100;
/// The earliest day a tool may ask about.
const EARLIEST: (i32, u32, u32) = (2000, 1, 1);

/// `sales_summary`'s arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SalesArgs {
    /// The first day, `YYYY-MM-DD`.
    pub from: NaiveDate,
    /// The last day, included.
    pub to: NaiveDate,
    /// The buckets.
    pub granularity: Granularity,
    /// The split, if any.
    pub group_by: Option<GroupBy>,
}

/// `top_items`' arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopArgs {
    /// The first day.
    pub from: NaiveDate,
    /// The last day, included.
    pub to: NaiveDate,
    /// Products or categories.
    pub by: TopBy,
    /// Revenue or units.
    pub metric: TopMetric,
    /// How many (1 to 100).
    pub limit: u32,
}

/// `low_stock`'s arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LowStockArgs {
    /// Days of sales the pace is averaged over (1 to 365).
    pub lookback_days: u32,
    /// Fewer days of cover than this is low (1 to 365).
    pub threshold_days: u32,
    /// How many alerts at most (1 to 100).
    pub limit: u32,
}

/// A checked tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolCall {
    /// Sales over a range.
    SalesSummary(SalesArgs),
    /// The best sellers of a range.
    TopItems(TopArgs),
    /// Products running low.
    LowStock(LowStockArgs),
}

/// What one tool call read, as the answer's `data` carries it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(tag = "tool", rename_all = "snake_case")]
pub enum DataSet {
    /// `sales_summary`: the arguments and the report.
    SalesSummary {
        /// The arguments.
        args: SalesArgs,
        /// The report.
        report: SalesReport,
    },
    /// `top_items`: the arguments and the list, best first.
    TopItems {
        /// The arguments.
        args: TopArgs,
        /// The list.
        items: Vec<TopItem>,
    },
    /// `low_stock`: the arguments, the day it is as of, and the alerts.
    LowStock {
        /// The arguments.
        args: LowStockArgs,
        /// The last day of the look-back window.
        as_of: NaiveDate,
        /// The alerts, fewest days of cover first.
        alerts: Vec<StockAlert>,
    },
}

/// Checks a call of tool `name` with JSON `arguments`; `today` is the tenant's. A range that
/// reaches past today is cut at today.
pub fn parse(name: &str, arguments: &str, today: NaiveDate) -> Result<ToolCall, String> {
    fn args<T: for<'de> Deserialize<'de>>(name: &str, arguments: &str) -> Result<T, String> {
        serde_json::from_str(arguments).map_err(|e| format!("{name}: invalid arguments: {e}"))
    }
    match name {
        "sales_summary" => {
            let mut a: SalesArgs = args(name, arguments)?;
            (a.from, a.to) = range(name, a.from, a.to, today)?;
            Ok(ToolCall::SalesSummary(a))
        }
        "top_items" => {
            let mut a: TopArgs = args(name, arguments)?;
            (a.from, a.to) = range(name, a.from, a.to, today)?;
            bounded(name, "limit", a.limit, 100)?;
            Ok(ToolCall::TopItems(a))
        }
        "low_stock" => {
            let a: LowStockArgs = args(name, arguments)?;
            bounded(name, "lookback_days", a.lookback_days, 365)?;
            bounded(name, "threshold_days", a.threshold_days, 365)?;
            bounded(name, "limit", a.limit, 100)?;
            Ok(ToolCall::LowStock(a))
        }
        other => Err(format!(
            "there is no tool named {other:?}; the tools are sales_summary, top_items and low_stock"
        )),
    }
}

fn bounded(tool: &str, field: &str, value: u32, max: u32) -> Result<(), String> {
    if (1..=max).contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{tool}: {field} must be from 1 to {max}, not {value}"
        ))
    }
}

fn range(
    tool: &str,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), String> {
    let earliest = NaiveDate::from_ymd_opt(EARLIEST.0, EARLIEST.1, EARLIEST.2).unwrap_or(from);
    if from > to {
        return Err(format!("{tool}: from ({from}) is after to ({to})"));
    }
    if from > today {
        return Err(format!("{tool}: from ({from}) is after today ({today})"));
    }
    if from < earliest {
        return Err(format!("{tool}: from ({from}) is before {earliest}"));
    }
    let to = to.min(today);
    if (to - from).num_days() + 1 > MAX_RANGE_DAYS {
        return Err(format!(
            "{tool}: the range is longer than {MAX_RANGE_DAYS} days"
        ));
    }
    Ok((from, to))
}

/// Runs a checked call against the tenant's data.
pub async fn run(
    data: &dyn SalesData,
    tenant: &TenantId,
    call: ToolCall,
    today: NaiveDate,
) -> Result<DataSet, StoreError> {
    Ok(match call {
        ToolCall::SalesSummary(args) => {
            let query = SalesQuery {
                range: DateRange {
                    from: args.from,
                    to: args.to,
                },
                granularity: args.granularity,
                group_by: args.group_by,
            };
            let report = data.sales(tenant, &query).await?;
            DataSet::SalesSummary { args, report }
        }
        ToolCall::TopItems(args) => {
            let query = TopQuery {
                range: DateRange {
                    from: args.from,
                    to: args.to,
                },
                by: args.by,
                metric: args.metric,
                limit: args.limit,
            };
            let items = data.top(tenant, &query).await?;
            DataSet::TopItems { args, items }
        }
        ToolCall::LowStock(args) => {
            let query = LowStockQuery {
                as_of: today,
                lookback_days: args.lookback_days,
                threshold_days: args.threshold_days,
                limit: args.limit,
            };
            let alerts = data.low_stock(tenant, &query).await?;
            DataSet::LowStock {
                args,
                as_of: today,
                alerts,
            }
        }
    })
}

/// A tool's result as the model reads it: the data with money already formatted, so the
/// model quotes amounts rather than converting minor units itself.
pub fn for_model(set: &DataSet) -> Value {
    match set {
        DataSet::SalesSummary { args, report } => json!({
            "from": args.from, "to": args.to, "time_zone": report.time_zone,
            "granularity": args.granularity, "group_by": args.group_by,
            "totals": report.totals.iter().map(|t| json!({
                "currency": t.currency, "sales": money(t.sales_minor, &t.currency),
                "items_value": money(t.items_minor, &t.currency),
                "orders": t.orders, "units": t.units,
            })).collect::<Vec<_>>(),
            "points": report.points.iter().take(200).map(|p| json!({
                "period_start": p.period_start, "group": p.group, "currency": p.currency,
                "sales": p.sales_minor.map(|m| money(m, &p.currency)),
                "items_value": money(p.items_minor, &p.currency),
                "orders": p.orders, "units": p.units,
            })).collect::<Vec<_>>(),
            "note": "sales are the orders' totals; items_value is the lines' value, the only \
                     money measure per product or category; currencies are never summed",
        }),
        DataSet::TopItems { args, items } => json!({
            "from": args.from, "to": args.to, "by": args.by, "metric": args.metric,
            "items": items.iter().map(|i| json!({
                "rank": i.rank, "key": i.key, "label": i.label, "currency": i.currency,
                "revenue": money(i.items_minor, &i.currency), "units": i.units, "orders": i.orders,
            })).collect::<Vec<_>>(),
        }),
        DataSet::LowStock {
            args,
            as_of,
            alerts,
        } => json!({
            "as_of": as_of, "lookback_days": args.lookback_days,
            "threshold_days": args.threshold_days,
            "alerts": alerts.iter().map(|a| json!({
                "sku": a.sku, "title": a.title, "on_hand": a.on_hand, "units_sold": a.units_sold,
                "daily_units": (a.daily_units * 100.0).round() / 100.0,
                "days_of_cover": a.days_of_cover.map(|d| (d * 10.0).round() / 10.0),
            })).collect::<Vec<_>>(),
        }),
    }
}

/// The function tools offered to a model, with strict JSON schemas (every property required,
/// no others; a nullable `group_by`).
pub fn schemas() -> Vec<(&'static str, &'static str, Value)> {
    let date = |what: &str| json!({"type": "string", "description": format!("{what}, YYYY-MM-DD, in the shop's time zone")});
    vec![
        (
            "sales_summary",
            "Sales over a date range: totals per currency (orders' totals, orders, units) and \
             points per day, week or month, optionally split by product, category or channel.",
            json!({
                "type": "object",
                "properties": {
                    "from": date("First day"),
                    "to": date("Last day, included"),
                    "granularity": {"type": "string", "enum": ["day", "week", "month"]},
                    "group_by": {"type": ["string", "null"], "enum": ["product", "category", "channel", null]}
                },
                "required": ["from", "to", "granularity", "group_by"],
                "additionalProperties": false
            }),
        ),
        (
            "top_items",
            "The best-selling products or categories of a date range, by revenue or units.",
            json!({
                "type": "object",
                "properties": {
                    "from": date("First day"),
                    "to": date("Last day, included"),
                    "by": {"type": "string", "enum": ["product", "category"]},
                    "metric": {"type": "string", "enum": ["revenue", "units"]},
                    "limit": {"type": "integer", "description": "1 to 100"}
                },
                "required": ["from", "to", "by", "metric", "limit"],
                "additionalProperties": false
            }),
        ),
        (
            "low_stock",
            "Products that will run out: stock on hand against the average daily units sold \
             over the look-back window, fewest days of cover first.",
            json!({
                "type": "object",
                "properties": {
                    "lookback_days": {"type": "integer", "description": "1 to 365; 30 if unsure"},
                    "threshold_days": {"type": "integer", "description": "1 to 365; 14 if unsure"},
                    "limit": {"type": "integer", "description": "1 to 100"}
                },
                "required": ["lookback_days", "threshold_days", "limit"],
                "additionalProperties": false
            }),
        ),
    ]
}

#[cfg(test)]
#[path = "tools_tests.rs"]
mod tests;
