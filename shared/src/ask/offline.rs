//! The offline answer: a [`Plan`] turned into tool calls, run, and said in words with every
//! number from the data (money per currency, never summed across currencies).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::format::{change, count, counted, money};
use super::intent::{Intent, Measure, Plan};
use super::period::Period;
use super::tools::{self, DataSet, LowStockArgs, SalesArgs, ToolCall, TopArgs};
use crate::analytics::{CurrencyTotal, Granularity, GroupBy, SalesData, SalesReport, TopMetric};
use crate::domain::TenantId;
use crate::store::StoreError;

/// Most low-stock alerts an offline answer reads.
const ALERT_LIMIT: u32 = 20;
/// Most groups a split names in words (the data carries them all).
const GROUPS_SAID: usize = 10;

/// The tool calls a plan makes, in order.
pub fn calls(plan: &Plan) -> Vec<ToolCall> {
    let sales = |p: &Period, group_by| {
        ToolCall::SalesSummary(SalesArgs {
            from: p.range.from,
            to: p.range.to,
            granularity: granularity(p.range.days()),
            group_by,
        })
    };
    match (&plan.intent, &plan.period) {
        (
            Intent::LowStock {
                lookback_days,
                threshold_days,
            },
            _,
        ) => {
            vec![ToolCall::LowStock(LowStockArgs {
                lookback_days: *lookback_days,
                threshold_days: *threshold_days,
                limit: ALERT_LIMIT,
            })]
        }
        (_, None) => Vec::new(),
        (Intent::TotalSales { .. }, Some(p)) => std::iter::once(p)
            .chain(&plan.compared_with)
            .map(|p| sales(p, None))
            .collect(),
        (Intent::SalesBy { group_by, .. }, Some(p)) => vec![sales(p, Some(*group_by))],
        (Intent::TopItems { by, metric, limit }, Some(p)) => vec![ToolCall::TopItems(TopArgs {
            from: p.range.from,
            to: p.range.to,
            by: *by,
            metric: *metric,
            limit: *limit,
        })],
    }
}

/// Day points up to a month, weeks up to half a year, months beyond.
fn granularity(days: i64) -> Granularity {
    match days {
        ..=31 => Granularity::Day,
        32..=183 => Granularity::Week,
        _ => Granularity::Month,
    }
}

/// Runs the plan's calls and says the answer.
pub async fn run(
    plan: &Plan,
    data: &dyn SalesData,
    tenant: &TenantId,
    today: NaiveDate,
) -> Result<(String, Vec<DataSet>), StoreError> {
    let mut sets = Vec::new();
    for call in calls(plan) {
        sets.push(tools::run(data, tenant, call, today).await?);
    }
    Ok((say(plan, &sets), sets))
}

/// The answer in words.
pub fn say(plan: &Plan, sets: &[DataSet]) -> String {
    let label = plan.period.as_ref().map_or("", |p| p.label.as_str());
    match (&plan.intent, sets) {
        (Intent::TotalSales { measure }, [DataSet::SalesSummary { report, .. }]) => {
            say_total(*measure, label, report)
        }
        (
            Intent::TotalSales { measure },
            [
                DataSet::SalesSummary { report, .. },
                DataSet::SalesSummary { report: before, .. },
            ],
        ) => {
            let earlier = plan.compared_with.as_ref().map_or("", |p| p.label.as_str());
            say_comparison(*measure, (label, report), (earlier, before))
        }
        (Intent::SalesBy { group_by, measure }, [DataSet::SalesSummary { report, .. }]) => {
            say_split(*group_by, *measure, label, report)
        }
        (Intent::TopItems { .. }, [DataSet::TopItems { args, items }]) => {
            let what = match args.by {
                crate::analytics::TopBy::Product => "products",
                crate::analytics::TopBy::Category => "categories",
            };
            let by = match args.metric {
                TopMetric::Revenue => "revenue",
                TopMetric::Units => "units sold",
            };
            if items.is_empty() {
                return format!("No {what} sold in {label}.");
            }
            let list: Vec<String> = items
                .iter()
                .map(|i| {
                    let name = match (&i.label, i.key.as_str()) {
                        (Some(l), k) if l != k && !k.is_empty() => format!("{l} ({k})"),
                        (Some(l), _) => l.clone(),
                        (None, "") => "(no category)".to_owned(),
                        (None, k) => k.to_owned(),
                    };
                    let revenue = money(i.items_minor, &i.currency);
                    let units = counted(i.units, "unit");
                    format!("{}. {name}: {revenue}, {units}", i.rank)
                })
                .collect();
            format!(
                "Top {} {what} by {by} in {label}: {}.",
                items.len(),
                list.join("; ")
            )
        }
        (Intent::LowStock { .. }, [DataSet::LowStock { args, alerts, .. }]) => {
            say_low_stock(args, alerts)
        }
        _ => "I found no data to answer that.".to_owned(),
    }
}

fn amount(measure: Measure, t: &CurrencyTotal) -> String {
    match measure {
        Measure::Revenue => format!(
            "{} from {} ({})",
            money(t.sales_minor, &t.currency),
            counted(t.orders as i64, "order"),
            counted(t.units, "unit")
        ),
        Measure::Units => format!(
            "{} in {} ({})",
            counted(t.units, "unit"),
            counted(t.orders as i64, "order"),
            money(t.sales_minor, &t.currency)
        ),
    }
}

fn say_total(measure: Measure, label: &str, report: &SalesReport) -> String {
    if report.totals.is_empty() {
        return format!("No sales in {label}.");
    }
    let parts: Vec<String> = report.totals.iter().map(|t| amount(measure, t)).collect();
    let what = match measure {
        Measure::Revenue => "Sales",
        Measure::Units => "Units sold",
    };
    format!("{what} in {label}: {}.", parts.join("; "))
}

fn say_comparison(
    measure: Measure,
    (label, now): (&str, &SalesReport),
    (earlier, before): (&str, &SalesReport),
) -> String {
    let mut currencies: Vec<&str> = now.totals.iter().map(|t| t.currency.as_str()).collect();
    for t in &before.totals {
        if !currencies.contains(&t.currency.as_str()) {
            currencies.push(&t.currency);
        }
    }
    if currencies.is_empty() {
        return format!("No sales in {label} nor in {earlier}.");
    }
    let find = |r: &SalesReport, c: &str| r.totals.iter().find(|t| t.currency == c).cloned();
    let parts: Vec<String> = currencies
        .iter()
        .map(|&c| {
            let a = find(now, c);
            let b = find(before, c);
            let pick = |t: &Option<CurrencyTotal>| match measure {
                Measure::Revenue => t.as_ref().map_or(0, |t| t.sales_minor),
                Measure::Units => t.as_ref().map_or(0, |t| t.units),
            };
            let (x, y) = (pick(&a), pick(&b));
            let say = |v: i64| match measure {
                Measure::Revenue => money(v, c),
                Measure::Units => format!("{} ({c})", counted(v, "unit")),
            };
            format!("{} vs {} — {}", say(x), say(y), change(x, y, say))
        })
        .collect();
    let what = match measure {
        Measure::Revenue => "Sales",
        Measure::Units => "Units sold",
    };
    format!(
        "{what} in {label} compared with {earlier}: {}.",
        parts.join("; ")
    )
}

fn say_split(group_by: GroupBy, measure: Measure, label: &str, report: &SalesReport) -> String {
    // Orders' totals exist per channel only; products and categories have the lines' value.
    let mut groups: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for p in &report.points {
        let key = (p.group.clone().unwrap_or_default(), p.currency.clone());
        let e = groups.entry(key).or_default();
        e.0 += p.sales_minor.unwrap_or(p.items_minor);
        e.1 += p.units;
    }
    let dimension = match group_by {
        GroupBy::Channel => "channel",
        GroupBy::Category => "category",
        GroupBy::Product => "product",
    };
    if groups.is_empty() {
        return format!("No sales in {label}.");
    }
    let mut rows: Vec<_> = groups.into_iter().collect();
    rows.sort_by(|a, b| {
        let key = |r: &((String, String), (i64, i64))| match measure {
            Measure::Revenue => r.1.0,
            Measure::Units => r.1.1,
        };
        key(b).cmp(&key(a)).then(a.0.cmp(&b.0))
    });
    let total = rows.len();
    let said: Vec<String> = rows
        .iter()
        .take(GROUPS_SAID)
        .map(|((group, currency), (value, units))| {
            let name = if group.is_empty() { "(none)" } else { group };
            match measure {
                Measure::Revenue => format!(
                    "{name}: {} ({})",
                    money(*value, currency),
                    counted(*units, "unit")
                ),
                Measure::Units => format!(
                    "{name}: {} ({})",
                    counted(*units, "unit"),
                    money(*value, currency)
                ),
            }
        })
        .collect();
    let more = if total > GROUPS_SAID {
        format!(" ({} more in the data)", total - GROUPS_SAID)
    } else {
        String::new()
    };
    format!(
        "Sales by {dimension} in {label}: {}{more}.",
        said.join("; ")
    )
}

fn say_low_stock(args: &LowStockArgs, alerts: &[crate::analytics::StockAlert]) -> String {
    let pace = format!("at the pace of the last {} days", args.lookback_days);
    if alerts.is_empty() {
        return format!(
            "No product is expected to run out within {} days {pace}.",
            args.threshold_days
        );
    }
    let list: Vec<String> = alerts
        .iter()
        .map(|a| {
            let name = a
                .title
                .as_ref()
                .map_or_else(|| a.sku.clone(), |t| format!("{t} ({})", a.sku));
            match a.days_of_cover {
                _ if a.on_hand <= 0 => format!("{name}: out of stock"),
                Some(d) => format!(
                    "{name}: {} on hand, about {d:.1} days of cover",
                    count(a.on_hand)
                ),
                None => format!("{name}: {} on hand", count(a.on_hand)),
            }
        })
        .collect();
    format!(
        "{} less than {} days of cover {pace}: {}.",
        match alerts.len() {
            1 => "1 product has".to_owned(),
            n => format!("{n} products have"),
        },
        args.threshold_days,
        list.join("; ")
    )
}
