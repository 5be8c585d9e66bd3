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
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use shared::analytics::{
    DateRange, Granularity, GroupBy, LowStockQuery, SalesQuery, TopBy, TopMetric, TopQuery,
    local_day, parse_time_zone,
};
use shared::auth::Scope;
use shared::domain::{Currency, TenantId};
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};

use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, respond};
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
    answer(&report, &["points", "totals"])
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
    let body = json!({
        "time_zone": time_zone,
        "range": query.range,
        "by": by,
        "metric": metric,
        "items": items,
    });
    answer(&body, &["items"])
}

async fn low_stock(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    only_known(http, &["lookback_days", "threshold_days", "limit"])?;
    let lookback_days = number(http, "lookback_days", (1, 365), 28)?;
    let threshold_days = number(http, "threshold_days", (1, 365), 14)?;
    let limit = number(http, "limit", (1, 500), 50)?;
    let (time_zone, as_of) = today(state, tenant).await?;
    let query = LowStockQuery {
        as_of,
        lookback_days,
        threshold_days,
        limit,
    };
    let items = state.store.low_stock(tenant, &query).await?;
    let body = json!({
        "time_zone": time_zone,
        "as_of": as_of,
        "lookback_days": lookback_days,
        "threshold_days": threshold_days,
        "items": items,
    });
    json_response(200, &body)
}

/// `body` as JSON, each object of its `lists` given its currency's `exponent` and its amounts
/// as decimal strings (`items_minor` → `items`, `sales_minor` → `sales`).
fn answer<T: Serialize>(body: &T, lists: &[&str]) -> Result<HttpResponse, ApiError> {
    let mut value = serde_json::to_value(body).map_err(|e| {
        tracing::error!(error = %e, "report could not be serialised");
        ApiError::internal()
    })?;
    for list in lists {
        if let Some(entries) = value.get_mut(*list).and_then(Value::as_array_mut) {
            entries
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(add_decimals);
        }
    }
    json_response(200, &value)
}

fn add_decimals(entry: &mut Map<String, Value>) {
    let Some(currency) = entry
        .get("currency")
        .and_then(Value::as_str)
        .and_then(|c| Currency::parse(c).ok())
    else {
        return;
    };
    let exponent = currency.exponent();
    entry.insert("exponent".into(), exponent.into());
    for (minor, decimal) in [("items_minor", "items"), ("sales_minor", "sales")] {
        if let Some(amount) = entry.get(minor).and_then(Value::as_i64) {
            entry.insert(decimal.into(), decimal_string(amount, exponent).into());
        }
    }
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
