//! `Analytics` — sales reports from the daily rollups, read scope, `GET /api/analytics/{report}`:
//! - `sales?from&to&granularity=day|week|month&group_by=product|category|channel`;
//! - `top?from&to&by=product|category&metric=revenue|units&limit=10`;
//! - `low-stock?lookback_days=28&threshold_days=14&limit=50`.
//!
//! Days are the tenant's local days (`GET /api/tenant` shows its zone); without `from` and
//! `to` a report covers the 30 days ending today there. Money stays in integer minor units
//! per currency; beside each amount the answer gives the currency's `exponent` and the amount
//! as a decimal string (`items`, `sales`), so an app need not know every currency's decimals.

use chrono::{Duration, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use shared::analytics::{
    CurrencyTotal, DEFAULT_LOOKBACK_DAYS, DEFAULT_THRESHOLD_DAYS, DateRange, Granularity, GroupBy,
    LowStockQuery, SalesPoint, SalesQuery, StockAlert, TopBy, TopItem, TopMetric, TopQuery,
    local_day, parse_time_zone,
};
use shared::auth::Scope;
use shared::domain::{Currency, TenantId};
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};

use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, respond};
use crate::openapi::{Api, Operation, one_of};
use crate::paging::json as json_response;
use crate::problem::ApiError;

/// Days a report covers when the caller names no range.
const DEFAULT_DAYS: i64 = 30;
/// The longest range by day.
const MAX_DAILY_DAYS: i64 = 366;
/// The longest range by week or month, and for a top list: five years.
const MAX_DAYS: i64 = 5 * 366;

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    Ok(respond(handle(state, &http).await))
}

async fn handle(state: &AppState, http: &HttpRequest) -> Result<HttpResponse, ApiError> {
    let tenant = authenticate(state, http, Scope::Read).await?.tenant;
    if !http.method.eq_ignore_ascii_case("GET") {
        return Err(ApiError::method_not_allowed(&http.method));
    }
    match http.param("report").unwrap_or_default() {
        "sales" => sales(state, &tenant, http).await,
        "top" => top(state, &tenant, http).await,
        "low-stock" => low_stock(state, &tenant, http).await,
        other => Err(ApiError::not_found(format!(
            "no report `{other}`: the reports are sales, top and low-stock"
        ))),
    }
}

/// Refuses query parameters the report does not take (the host's `code` aside), so a typo
/// is a 400 rather than a silently different report.
fn only_known(http: &HttpRequest, known: &[&str]) -> Result<(), ApiError> {
    match http
        .query
        .keys()
        .find(|k| *k != "code" && !known.contains(&k.as_str()))
    {
        Some(unknown) => Err(ApiError::bad_request(format!(
            "unknown parameter `{unknown}`: this report takes {}",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

/// An enum parameter, by the names its serde form uses.
fn choice<T: DeserializeOwned>(
    http: &HttpRequest,
    name: &str,
    allowed: &str,
) -> Result<Option<T>, ApiError> {
    http.query(name)
        .map(|raw| {
            serde_json::from_value(Value::String(raw.trim().to_owned())).map_err(|_| {
                ApiError::bad_request(format!("`{name}` is one of {allowed}, not `{raw}`"))
            })
        })
        .transpose()
}

/// A whole-number parameter from `min` to `max`, `default` when absent.
fn number(
    http: &HttpRequest,
    name: &str,
    (min, max): (u32, u32),
    default: u32,
) -> Result<u32, ApiError> {
    match http.query(name) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "`{name}` is a whole number from {min} to {max}, not `{raw}`"
                ))
            }),
    }
}

fn date(http: &HttpRequest, name: &str) -> Result<Option<NaiveDate>, ApiError> {
    http.query(name)
        .map(|raw| {
            NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
                ApiError::bad_request(format!("`{name}` is a date like 2024-05-31, not `{raw}`"))
            })
        })
        .transpose()
}

/// The tenant's zone name and today there.
async fn today(state: &AppState, tenant: &TenantId) -> Result<(String, NaiveDate), ApiError> {
    let name = state.store.tenant_time_zone(tenant).await?;
    let zone = parse_time_zone(&name).ok_or_else(|| {
        tracing::error!(time_zone = %name, "the tenant's stored time zone is not a zone");
        ApiError::internal()
    })?;
    Ok((name, local_day(zone, Utc::now())))
}

/// `from` and `to`: the 30 days ending today by default, at most `max_days` long.
fn range(http: &HttpRequest, today: NaiveDate, max_days: i64) -> Result<DateRange, ApiError> {
    let to = date(http, "to")?.unwrap_or(today);
    let from = date(http, "from")?.unwrap_or(to - Duration::days(DEFAULT_DAYS - 1));
    let range = DateRange::new(from, to)
        .ok_or_else(|| ApiError::bad_request(format!("`from` ({from}) is after `to` ({to})")))?;
    if range.days() > max_days {
        return Err(ApiError::bad_request(format!(
            "`from` to `to` spans {} days; at most {max_days} here",
            range.days()
        )));
    }
    Ok(range)
}

async fn sales(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    only_known(http, &["from", "to", "granularity", "group_by"])?;
    let granularity = choice(http, "granularity", "day, week, month")?.unwrap_or(Granularity::Day);
    let group_by: Option<GroupBy> = choice(http, "group_by", "product, category, channel")?;
    let (_, today) = today(state, tenant).await?;
    let max_days = match granularity {
        Granularity::Day => MAX_DAILY_DAYS,
        Granularity::Week | Granularity::Month => MAX_DAYS,
    };
    let query = SalesQuery {
        range: range(http, today, max_days)?,
        granularity,
        group_by,
    };
    let report = state.store.sales(tenant, &query).await?;
    json_response(
        200,
        &SalesBody {
            time_zone: report.time_zone,
            range: report.range,
            granularity: report.granularity,
            group_by: report.group_by,
            points: report.points.into_iter().map(Priced::from).collect(),
            totals: report.totals.into_iter().map(Priced::from).collect(),
        },
    )
}

async fn top(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    only_known(http, &["from", "to", "by", "metric", "limit"])?;
    let by = choice(http, "by", "product, category")?.unwrap_or(TopBy::Product);
    let metric = choice(http, "metric", "revenue, units")?.unwrap_or(TopMetric::Revenue);
    let limit = number(http, "limit", (1, 100), 10)?;
    let (time_zone, today) = today(state, tenant).await?;
    let query = TopQuery {
        range: range(http, today, MAX_DAYS)?,
        by,
        metric,
        limit,
    };
    let items = state.store.top(tenant, &query).await?;
    json_response(
        200,
        &TopBody {
            time_zone,
            range: query.range,
            by,
            metric,
            items: items.into_iter().map(Priced::from).collect(),
        },
    )
}

async fn low_stock(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    only_known(http, &["lookback_days", "threshold_days", "limit"])?;
    let lookback_days = number(http, "lookback_days", (1, 365), DEFAULT_LOOKBACK_DAYS)?;
    let threshold_days = number(http, "threshold_days", (1, 365), DEFAULT_THRESHOLD_DAYS)?;
    let limit = number(http, "limit", (1, 500), 50)?;
    let (time_zone, as_of) = today(state, tenant).await?;
    let query = LowStockQuery {
        as_of,
        lookback_days,
        threshold_days,
        limit,
    };
    let items = state.store.low_stock(tenant, &query).await?;
    json_response(
        200,
        &LowStockBody {
            time_zone,
            as_of,
            lookback_days,
            threshold_days,
            items,
        },
    )
}

/// Sales over a range.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SalesAnswer")]
struct SalesBody {
    /// The tenant's IANA time zone the days are in.
    time_zone: String,
    range: DateRange,
    granularity: Granularity,
    group_by: Option<GroupBy>,
    /// The buckets with sales, in period then group order.
    points: Vec<Priced<SalesPoint>>,
    /// Totals per currency, largest sales first.
    totals: Vec<Priced<CurrencyTotal>>,
}

/// The best sellers of a range.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "TopList")]
struct TopBody {
    time_zone: String,
    range: DateRange,
    by: TopBy,
    metric: TopMetric,
    /// Best first; one entry per key and currency.
    items: Vec<Priced<TopItem>>,
}

/// Products running low.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "LowStockAlerts")]
struct LowStockBody {
    time_zone: String,
    /// The tenant's today, the last day of the look-back window.
    as_of: NaiveDate,
    lookback_days: u32,
    threshold_days: u32,
    /// Fewest days of cover first, out of stock first of all.
    items: Vec<StockAlert>,
}

/// An entry with its currency's digits and its amounts as decimal strings, so an app need not
/// know every currency's decimals.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "{T}WithDecimals")]
struct Priced<T> {
    #[serde(flatten)]
    entry: T,
    /// The currency's minor-unit digits (EUR 2, JPY 0).
    exponent: u8,
    /// `items_minor` as a decimal, e.g. "1250.00".
    items: String,
    /// `sales_minor` as a decimal, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    sales: Option<String>,
}

/// What [`Priced`] reads from an entry.
trait Amounts {
    fn currency(&self) -> &str;
    fn items_minor(&self) -> i64;
    fn sales_minor(&self) -> Option<i64>;
}

impl Amounts for SalesPoint {
    fn currency(&self) -> &str {
        &self.currency
    }
    fn items_minor(&self) -> i64 {
        self.items_minor
    }
    fn sales_minor(&self) -> Option<i64> {
        self.sales_minor
    }
}

impl Amounts for CurrencyTotal {
    fn currency(&self) -> &str {
        &self.currency
    }
    fn items_minor(&self) -> i64 {
        self.items_minor
    }
    fn sales_minor(&self) -> Option<i64> {
        Some(self.sales_minor)
    }
}

impl Amounts for TopItem {
    fn currency(&self) -> &str {
        &self.currency
    }
    fn items_minor(&self) -> i64 {
        self.items_minor
    }
    fn sales_minor(&self) -> Option<i64> {
        None
    }
}

impl<T: Amounts> From<T> for Priced<T> {
    fn from(entry: T) -> Self {
        // Every stored currency was parsed on the way in; one that no longer parses (a code
        // withdrawn from ISO 4217 since) keeps its integer amounts and reads with no decimals.
        let exponent = Currency::parse(entry.currency()).map_or(0, |c| c.exponent());
        Self {
            exponent,
            items: decimal_string(entry.items_minor(), exponent),
            sales: entry.sales_minor().map(|m| decimal_string(m, exponent)),
            entry,
        }
    }
}

/// Describes the endpoints.
pub fn describe(api: &mut Api) {
    let date = json!({"type": "string", "format": "date"});
    let sales = api.sends::<SalesBody>();
    let top = api.sends::<TopBody>();
    let low = api.sends::<LowStockBody>();
    let tag = "Analytics";
    let ranged = |operation: Operation| {
        operation
            .query(
                "from",
                date.clone(),
                "The first day (the tenant's local days); default: 29 days before `to`.",
            )
            .query(
                "to",
                date.clone(),
                "The last day, included; default: the tenant's today.",
            )
            .error(
                400,
                "A parameter is not valid or not one this report takes (the detail names it)",
            )
    };
    api.add(
        ranged(Operation::new("GET", "analytics/sales", "salesReport", tag, "Sales over a range, by day, week or month", Some(Scope::Read)))
            .describe("`sales` are the orders' totals (what customers paid, tax and shipping included), per order; `items` the lines' value, which also splits by product and category. Nothing is summed across currencies. At most 366 days by day, five years otherwise.")
            .query("granularity", one_of(&["day", "week", "month"]), "The buckets (weeks start on Monday); default day.")
            .query("group_by", one_of(&["product", "category", "channel"]), "Split each bucket.")
            .answer(200, "The report", sales),
    );
    api.add(
        ranged(Operation::new(
            "GET",
            "analytics/top",
            "topSellers",
            tag,
            "The best-selling products or categories",
            Some(Scope::Read),
        ))
        .query(
            "by",
            one_of(&["product", "category"]),
            "What to rank; default product.",
        )
        .query(
            "metric",
            one_of(&["revenue", "units"]),
            "The ranking measure; default revenue.",
        )
        .query(
            "limit",
            json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 10}),
            "How many.",
        )
        .answer(200, "Best first", top),
    );
    api.add(
        Operation::new(
            "GET",
            "analytics/low-stock",
            "lowStock",
            tag,
            "Products whose stock will not last, with days of cover",
            Some(Scope::Read),
        )
        .query(
            "lookback_days",
            json!({"type": "integer", "minimum": 1, "maximum": 365, "default": 28}),
            "Days of sales the daily average is taken over.",
        )
        .query(
            "threshold_days",
            json!({"type": "integer", "minimum": 1, "maximum": 365, "default": 14}),
            "Fewer days of cover than this is low.",
        )
        .query(
            "limit",
            json!({"type": "integer", "minimum": 1, "maximum": 500, "default": 50}),
            "How many alerts at most.",
        )
        .error(
            400,
            "A parameter is not valid or not one this report takes (the detail names it)",
        )
        .answer(200, "The alerts", low),
    );
}

/// `minor` units as a decimal with exactly `exponent` decimals: "-12.05", "1250".
fn decimal_string(minor: i64, exponent: u8) -> String {
    if exponent == 0 {
        return minor.to_string();
    }
    let scale = 10_u64.pow(u32::from(exponent));
    let sign = if minor < 0 { "-" } else { "" };
    let magnitude = minor.unsigned_abs();
    let width = usize::from(exponent);
    format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_decimals_with_the_currencys_digits() {
        assert_eq!(decimal_string(1250, 2), "12.50");
        assert_eq!(decimal_string(-1205, 2), "-12.05");
        assert_eq!(decimal_string(-5, 2), "-0.05");
        assert_eq!(decimal_string(1250, 0), "1250");
        assert_eq!(decimal_string(1, 3), "0.001");
    }
}
