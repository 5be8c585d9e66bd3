//! What a question asks, read offline from its words: total sales (optionally against an
//! earlier period), sales split by channel, category or product, the best sellers, or the
//! products running low. Anything else is not understood, and says what is.

use chrono::NaiveDate;
use serde::Serialize;

use super::period::{self, Period, default_period, find_period, number, words};
use crate::analytics::{GroupBy, TopBy, TopMetric};

/// What a sales figure is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Money: the orders' totals (a split by product or category: the lines' value).
    Revenue,
    /// Units sold.
    Units,
}

/// What a question asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Intent {
    /// The period's sales, and with `compared_with` the change against an earlier period.
    TotalSales {
        /// Money or units.
        measure: Measure,
    },
    /// The period's sales split by a dimension.
    SalesBy {
        /// The split.
        group_by: GroupBy,
        /// Money or units.
        measure: Measure,
    },
    /// The best sellers.
    TopItems {
        /// Products or categories.
        by: TopBy,
        /// Revenue or units.
        metric: TopMetric,
        /// How many.
        limit: u32,
    },
    /// Products that will run out.
    LowStock {
        /// Days of sales the pace is averaged over.
        lookback_days: u32,
        /// Fewer days of cover than this is low.
        threshold_days: u32,
    },
}

impl Intent {
    /// A short name: `total_sales`, `sales_comparison`, `sales_by`, `top_items`, `low_stock`.
    pub fn name(&self, compared: bool) -> &'static str {
        match self {
            Intent::TotalSales { .. } if compared => "sales_comparison",
            Intent::TotalSales { .. } => "total_sales",
            Intent::SalesBy { .. } => "sales_by",
            Intent::TopItems { .. } => "top_items",
            Intent::LowStock { .. } => "low_stock",
        }
    }
}

/// A question understood: what to ask [`SalesData`](crate::analytics::SalesData) and for
/// which days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// What is asked.
    pub intent: Intent,
    /// The days (none for low stock, which looks back from today).
    pub period: Option<Period>,
    /// The earlier days to compare with, for a comparison.
    pub compared_with: Option<Period>,
}

/// Best sellers listed when a question gives no number.
pub const DEFAULT_TOP: u32 = 5;

/// What the offline reader answers, said when it cannot answer a question.
pub const CAPABILITIES: &str = "I can answer questions about your sales: totals for a period \
(\"What were our sales in Q2?\", \"revenue last month\"), sales by channel, category or product, \
the top products or categories by revenue or units (\"Top 5 categories last month\"), a \
comparison with an earlier period (\"sales this month compared with the month before\", \
\"Q2 vs last year\"), and which products are running low on stock.";

const LOW_STOCK: [&str; 9] = [
    "low stock",
    "running low",
    "run low",
    "run out",
    "running out",
    "out of stock",
    "restock",
    "reorder",
    "days of cover",
];
const UNSUPPORTED: [&str; 12] = [
    "least",
    "worst",
    "lowest",
    "bottom",
    "profit",
    "profits",
    "margin",
    "margins",
    "forecast",
    "predict",
    "customer",
    "customers",
];
const TOP: [&str; 8] = [
    "top",
    "best",
    "bestseller",
    "bestsellers",
    "best-selling",
    "most",
    "popular",
    "highest",
];
const SALES: [&str; 19] = [
    "sales", "sale", "revenue", "revenues", "sell", "sold", "selling", "turnover", "income",
    "earn", "earned", "made", "make", "orders", "order", "units", "takings", "gmv", "much",
];
const UNITS: [&str; 6] = ["units", "unit", "quantity", "pieces", "items", "volume"];
const SPLITS: [&str; 6] = ["vs", "versus", "compared", "compare", "against", "than"];
const CHANGE: [&str; 8] = [
    "change",
    "changed",
    "growth",
    "grow",
    "grew",
    "increase",
    "decrease",
    "difference",
];
const BEFORE: [&str; 6] = ["previous", "prior", "before", "preceding", "earlier", "ago"];

fn has(w: &[String], phrase: &str) -> bool {
    let p: Vec<&str> = phrase.split(' ').collect();
    w.windows(p.len())
        .any(|x| x.iter().zip(&p).all(|(a, b)| a == b))
}

fn any(w: &[String], list: &[&str]) -> bool {
    w.iter().any(|x| list.contains(&x.as_str()))
}

/// Reads `question` against the tenant's `today`; `Err` says, in plain words, why it cannot
/// be answered.
pub fn plan(question: &str, today: NaiveDate) -> Result<Plan, String> {
    let w = words(question);
    if LOW_STOCK.iter().any(|p| has(&w, p)) || any(&w, &["stock", "inventory"]) {
        return Ok(low_stock(&w));
    }
    if let Some(word) = w.iter().find(|x| UNSUPPORTED.contains(&x.as_str())) {
        return Err(format!(
            "I can't answer questions about \"{word}\". {CAPABILITIES}"
        ));
    }
    // What is asked comes from every word; the period from the main part only.
    let (main, comparison) = split_comparison(&w);
    let measure = if any(&w, &UNITS) || has(&w, "how many") {
        Measure::Units
    } else {
        Measure::Revenue
    };
    // Channels are ranked by a split (a top list ranks products or categories only).
    let intent = if any(&w, &["channel", "channels"]) {
        Intent::SalesBy {
            group_by: GroupBy::Channel,
            measure,
        }
    } else if any(&w, &TOP) {
        top(&w, measure)
    } else if let Some(group_by) = split_by(&w) {
        Intent::SalesBy { group_by, measure }
    } else if any(&w, &SALES) || has(&w, "how many") {
        Intent::TotalSales { measure }
    } else {
        return Err(format!("I can't answer that. {CAPABILITIES}"));
    };
    let period = find_period(&main.join(" "), today)
        .map_err(cannot)?
        .unwrap_or_else(|| default_period(today));
    let compared_with = match (&intent, comparison) {
        (Intent::TotalSales { .. }, Some(c)) => Some(earlier(&period, c, today).map_err(cannot)?),
        _ => None,
    };
    Ok(Plan {
        intent,
        period: Some(period),
        compared_with,
    })
}

fn cannot(why: String) -> String {
    format!("I can't answer that: {why}.")
}

/// The question's main part and, for a comparison, the words that say what with.
fn split_comparison(w: &[String]) -> (&[String], Option<&[String]>) {
    if let Some(i) = w.iter().position(|x| SPLITS.contains(&x.as_str())) {
        if i > 0 && w[i] != "compare" {
            return (&w[..i], Some(&w[i + 1..]));
        }
        // "compare sales in Q2 with Q1": the main part runs up to "with"/"to"/"and".
        let rest = &w[i + 1..];
        return match rest
            .iter()
            .position(|x| matches!(x.as_str(), "with" | "to" | "and"))
        {
            Some(j) => (&rest[..j], Some(&rest[j + 1..])),
            None => (rest, Some(&[])),
        };
    }
    let relative = ["month", "week", "quarter", "year", "period"]
        .iter()
        .any(|u| has(w, &format!("{u} before")) || has(w, &format!("previous {u}")));
    if any(w, &CHANGE) || relative {
        return (w, Some(&[]));
    }
    (w, None)
}

/// The earlier period `comparison`'s words name, relative to `main`.
fn earlier(main: &Period, comparison: &[String], today: NaiveDate) -> Result<Period, String> {
    let year_back = comparison.iter().any(|x| x == "year")
        && (any(comparison, &BEFORE) || any(comparison, &["last", "same"]));
    if year_back {
        return Ok(period::year_before(main));
    }
    if any(comparison, &BEFORE) || comparison.is_empty() {
        return Ok(period::previous(main));
    }
    Ok(find_period(&comparison.join(" "), today)?.unwrap_or_else(|| period::previous(main)))
}

fn split_by(w: &[String]) -> Option<GroupBy> {
    let dimension = |x: &str| match x.trim_end_matches('s') {
        "channel" => Some(GroupBy::Channel),
        "category" | "categorie" => Some(GroupBy::Category),
        "product" | "sku" | "item" => Some(GroupBy::Product),
        _ => None,
    };
    w.windows(2).find_map(|x| {
        matches!(x[0].as_str(), "by" | "per" | "each" | "across" | "every")
            .then(|| dimension(&x[1]))
            .flatten()
    })
}

fn top(w: &[String], measure: Measure) -> Intent {
    let by = if w.iter().any(|x| x.starts_with("categor")) {
        TopBy::Category
    } else {
        TopBy::Product
    };
    let limit = w
        .windows(2)
        .find_map(|x| {
            matches!(x[0].as_str(), "top" | "best")
                .then(|| number(&x[1]))
                .flatten()
        })
        .unwrap_or(DEFAULT_TOP)
        .clamp(1, 100);
    let metric = match measure {
        Measure::Units => TopMetric::Units,
        Measure::Revenue => TopMetric::Revenue,
    };
    Intent::TopItems { by, metric, limit }
}

/// "within 10 days", "less than 2 weeks of cover", "based on the last 60 days".
fn low_stock(w: &[String]) -> Plan {
    let mut lookback_days = crate::analytics::DEFAULT_LOOKBACK_DAYS;
    let mut threshold_days = crate::analytics::DEFAULT_THRESHOLD_DAYS;
    for (i, x) in w.iter().enumerate().skip(1) {
        let days = match x.trim_end_matches('s') {
            "day" => 1,
            "week" => 7,
            _ => continue,
        };
        let Some(n) = number(&w[i - 1]) else { continue };
        let n = (n * days).clamp(1, 365);
        let before = i.checked_sub(2).map(|j| w[j].as_str());
        if matches!(before, Some("last" | "past" | "previous")) {
            lookback_days = n;
        } else {
            threshold_days = n;
        }
    }
    Plan {
        intent: Intent::LowStock {
            lookback_days,
            threshold_days,
        },
        period: None,
        compared_with: None,
    }
}

#[cfg(test)]
#[path = "intent_tests.rs"]
mod tests;
