//! The period a question is about, read from its words relative to the tenant's today.
//!
//! Understood (case-insensitive): `Q1`..`Q4` and "first".."fourth quarter" (the most recent
//! such quarter that has started), with a year (`Q2 2025`); "this/last quarter"; "today",
//! "yesterday"; "this/last week" (ISO weeks, Monday first); "this/last month"; "this year",
//! "YTD", "year to date"; "last year"; "last/past N days/weeks/months" and "past
//! week/month/year" (rolling, ending today); a month name, with or without a year ("in
//! March", "March 2025"; without a year the most recent March that has started); a year ("2025"); one ISO date (`2025-03-01`) or two
//! ("between 2025-03-01 and 2025-03-15", "from … to …"). A period reaching past today is cut
//! at today, and says so.

use chrono::{Datelike, Duration, Months, NaiveDate};
use serde::Serialize;

use crate::analytics::DateRange;
use calendar::{
    month_end, month_label, month_number, month_start, quarter_label, week_start, whole_month,
    whole_quarter, whole_year, ymd,
};

mod calendar;

/// The calendar unit a period is, which decides what "the period before" means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// One day.
    Day,
    /// One ISO week.
    Week,
    /// One calendar month.
    Month,
    /// One calendar quarter.
    Quarter,
    /// One calendar year.
    Year,
    /// Any other run of days.
    Days,
}

/// A resolved period: the days, what to call them, and what was adjusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    /// A name people read, e.g. "Q2 2026", "July 2026", "the last 30 days".
    pub label: String,
    /// The tenant's local days.
    pub range: DateRange,
    /// The calendar unit.
    pub unit: Unit,
    /// Said when the period was cut at today or chosen by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// How many days the default period covers when a question names none.
pub const DEFAULT_DAYS: i64 = 30;

/// The period a question names none: the last 30 days up to today.
pub fn default_period(today: NaiveDate) -> Period {
    let mut period = rolling(today, DEFAULT_DAYS);
    period.note = Some(format!(
        "no period was named, so the last {DEFAULT_DAYS} days are used"
    ));
    period
}

/// The words of `text`, lower-case, punctuation dropped (ISO dates and "q2" survive).
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .map(|w| w.trim_matches('-'))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The period `text` names, relative to `today`; `Ok(None)` when it names none, `Err` when it
/// names one that has not started yet.
pub fn find_period(text: &str, today: NaiveDate) -> Result<Option<Period>, String> {
    let w = words(text);
    let found = dates(&w)
        .or_else(|| rolling_phrase(&w, today))
        .or_else(|| relative(&w, today))
        .or_else(|| quarter(&w, today))
        .or_else(|| month(&w, today))
        .or_else(|| year(&w));
    match found {
        None => Ok(None),
        Some(p) if p.range.from > today => Err(format!(
            "{} has not started yet (today is {today})",
            p.label
        )),
        Some(p) => Ok(Some(cut_at(p, today))),
    }
}

/// The period of the same unit just before `p` (as long as `p`, so a month to date is
/// compared with the same days of the month before).
pub fn previous(p: &Period) -> Period {
    let back = match p.unit {
        Unit::Month => Some(1),
        Unit::Quarter => Some(3),
        Unit::Year => Some(12),
        Unit::Day | Unit::Week | Unit::Days => None,
    };
    match back {
        Some(months) => shifted(p, months),
        None => {
            let range = if p.unit == Unit::Week {
                let from = p.range.from - Duration::days(7);
                DateRange {
                    from,
                    to: from + Duration::days(p.range.days() - 1),
                }
            } else {
                p.range.previous()
            };
            Period {
                label: label_of_days(range),
                range,
                unit: p.unit,
                note: None,
            }
        }
    }
}

/// The same days one year earlier.
pub fn year_before(p: &Period) -> Period {
    shifted(p, 12)
}

fn shifted(p: &Period, months: u32) -> Period {
    let back = |d: NaiveDate| d.checked_sub_months(Months::new(months)).unwrap_or(d);
    let from = back(p.range.from);
    // A whole month, quarter or year maps onto the whole earlier one (30 June less three
    // months is 30 March, but Q2's quarter before ends on 31 March); a cut one onto as many days.
    let whole = p.note.is_none();
    let to = match p.unit {
        Unit::Month if whole => month_end(from),
        Unit::Quarter if whole => from
            .checked_add_months(Months::new(2))
            .map_or(from, month_end),
        Unit::Year if whole => ymd(from.year(), 12, 31).unwrap_or(from),
        _ => back(p.range.to),
    };
    let range = DateRange { from, to };
    let label = match p.unit {
        Unit::Quarter if whole => quarter_label(from),
        Unit::Month if whole => month_label(from),
        Unit::Year if whole => from.year().to_string(),
        _ => label_of_days(range),
    };
    Period {
        label,
        range,
        unit: p.unit,
        note: None,
    }
}

fn cut_at(mut p: Period, today: NaiveDate) -> Period {
    if p.range.to > today {
        p.range.to = today;
        p.note = Some(format!(
            "{} is not over, so it is counted up to today ({today})",
            p.label
        ));
        p.label = format!("{} to date", p.label);
    }
    p
}

/// A name for `range`: "Q2 2026", "July 2026", "2025" for a whole quarter, month or year,
/// else its days.
pub fn describe(range: DateRange) -> String {
    let (from, to) = (range.from, range.to);
    let starts_month = from.day() == 1 && to == month_end(to) && from <= to;
    let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32 + 1;
    match (starts_month, months) {
        (true, 1) => month_label(from),
        (true, 3) if from.month0() % 3 == 0 => quarter_label(from),
        (true, 12) if from.month() == 1 => from.year().to_string(),
        _ => label_of_days(range),
    }
}

fn label_of_days(range: DateRange) -> String {
    if range.from == range.to {
        range.from.to_string()
    } else {
        format!("{} to {}", range.from, range.to)
    }
}

fn period(label: String, from: NaiveDate, to: NaiveDate, unit: Unit) -> Period {
    Period {
        label,
        range: DateRange { from, to },
        unit,
        note: None,
    }
}

fn rolling(today: NaiveDate, days: i64) -> Period {
    period(
        format!("the last {days} days"),
        today - Duration::days(days - 1),
        today,
        Unit::Days,
    )
}

fn iso_date(w: &str) -> Option<NaiveDate> {
    (w.len() == 10)
        .then(|| NaiveDate::parse_from_str(w, "%Y-%m-%d").ok())
        .flatten()
}

/// One ISO date is that day; two or more are the days from the earliest to the latest.
fn dates(w: &[String]) -> Option<Period> {
    let found: Vec<NaiveDate> = w.iter().filter_map(|x| iso_date(x)).collect();
    let from = *found.iter().min()?;
    let to = *found.iter().max()?;
    let unit = if from == to { Unit::Day } else { Unit::Days };
    let range = DateRange { from, to };
    Some(period(label_of_days(range), from, to, unit))
}

/// A small count in digits or words.
pub fn number(w: &str) -> Option<u32> {
    const WORDS: [&str; 12] = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve",
    ];
    if let Some(i) = WORDS.iter().position(|x| *x == w) {
        return Some(i as u32 + 1);
    }
    (w.len() <= 4 && w.chars().all(|c| c.is_ascii_digit()))
        .then(|| w.parse().ok())
        .flatten()
}

/// "last 7 days", "past 3 months", "last two weeks": rolling, ending today.
fn rolling_phrase(w: &[String], today: NaiveDate) -> Option<Period> {
    // "past week", "past month", "past year": one unit back from today.
    let one = w.windows(2).find_map(|x| {
        (x[0] == "past")
            .then(|| match x[1].as_str() {
                "week" => Some(rolling(today, 7)),
                "month" => rolling_months(today, 1),
                "year" => rolling_months(today, 12),
                _ => None,
            })
            .flatten()
    });
    one.or_else(|| counted_units(w, today))
}

fn rolling_months(today: NaiveDate, n: u32) -> Option<Period> {
    let from = today.checked_sub_months(Months::new(n))? + Duration::days(1);
    let label = match n {
        1 => "the past month".to_owned(),
        12 => "the past year".to_owned(),
        n => format!("the last {n} months"),
    };
    Some(period(label, from, today, Unit::Days))
}

/// "last 7 days", "past 3 months", "last two weeks".
fn counted_units(w: &[String], today: NaiveDate) -> Option<Period> {
    w.windows(3).find_map(|x| {
        if !matches!(x[0].as_str(), "last" | "past" | "previous") {
            return None;
        }
        let n = number(&x[1]).filter(|n| (1..=1000).contains(n))?;
        let days = match x[2].trim_end_matches('s') {
            "day" => i64::from(n),
            "week" => i64::from(n) * 7,
            "month" => return rolling_months(today, n),
            _ => return None,
        };
        Some(rolling(today, days))
    })
}

fn has(w: &[String], phrase: &str) -> bool {
    let p: Vec<&str> = phrase.split(' ').collect();
    w.windows(p.len())
        .any(|x| x.iter().zip(&p).all(|(a, b)| a == b))
}

/// Today, yesterday, this/last week, month, quarter, year, year to date.
fn relative(w: &[String], today: NaiveDate) -> Option<Period> {
    let y = today.year();
    if has(w, "yesterday") {
        let d = today - Duration::days(1);
        return Some(period(format!("yesterday ({d})"), d, d, Unit::Day));
    }
    if has(w, "today") && !has(w, "up to today") {
        return Some(period(format!("today ({today})"), today, today, Unit::Day));
    }
    if has(w, "last week") || has(w, "previous week") {
        let from = week_start(today) - Duration::days(7);
        let label = format!("last week ({} to {})", from, from + Duration::days(6));
        return Some(period(label, from, from + Duration::days(6), Unit::Week));
    }
    if has(w, "this week") {
        let from = week_start(today);
        let label = format!("this week ({} to {})", from, from + Duration::days(6));
        return Some(period(label, from, from + Duration::days(6), Unit::Week));
    }
    if has(w, "last month") || has(w, "previous month") {
        let d = month_start(today).pred_opt()?;
        return whole_month(d.year(), d.month());
    }
    if has(w, "this month") {
        return whole_month(y, today.month());
    }
    let this_q = today.month0() / 3 + 1;
    if has(w, "last quarter") || has(w, "previous quarter") {
        return if this_q == 1 {
            whole_quarter(y - 1, 4)
        } else {
            whole_quarter(y, this_q - 1)
        };
    }
    if has(w, "this quarter") {
        return whole_quarter(y, this_q);
    }
    if has(w, "ytd") || has(w, "year to date") || has(w, "this year") {
        return whole_year(y);
    }
    if has(w, "last year") || has(w, "previous year") {
        return whole_year(y - 1);
    }
    None
}

fn year_word(w: &str) -> Option<i32> {
    (w.len() == 4 && w.chars().all(|c| c.is_ascii_digit()))
        .then(|| w.parse().ok())
        .flatten()
        .filter(|y| (1990..=2100).contains(y))
}

/// A year named next to position `i` (just before or just after).
fn year_near(w: &[String], i: usize, span: usize) -> Option<i32> {
    w.get(i + span)
        .and_then(|x| year_word(x))
        .or_else(|| i.checked_sub(1).and_then(|j| year_word(&w[j])))
}

/// The most recent quarter `q` that has started, when no year is named.
fn latest_quarter(q: u32, year: Option<i32>, today: NaiveDate) -> Option<Period> {
    let y = match year {
        Some(y) => y,
        None if q <= today.month0() / 3 + 1 => today.year(),
        None => today.year() - 1,
    };
    whole_quarter(y, q)
}

/// "Q2", "Q2 2025", "2025 Q2", "second quarter (of 2025)".
fn quarter(w: &[String], today: NaiveDate) -> Option<Period> {
    const ORDINALS: [[&str; 2]; 4] = [
        ["first", "1st"],
        ["second", "2nd"],
        ["third", "3rd"],
        ["fourth", "4th"],
    ];
    for (i, x) in w.iter().enumerate() {
        if let Some(q) = x.strip_prefix('q').and_then(|n| n.parse::<u32>().ok())
            && (1..=4).contains(&q)
            && x.len() == 2
        {
            return latest_quarter(q, year_near(w, i, 1), today);
        }
        let ordinal = ORDINALS.iter().position(|o| o.contains(&x.as_str()));
        if let (Some(q), Some("quarter")) = (ordinal, w.get(i + 1).map(String::as_str)) {
            let year = w
                .get(i + 2)
                .filter(|x| *x == "of")
                .and_then(|_| w.get(i + 3))
                .and_then(|x| year_word(x))
                .or_else(|| year_near(w, i, 2));
            return latest_quarter(q as u32 + 1, year, today);
        }
    }
    None
}

/// "March", "in March", "March 2025", "March of 2025".
fn month(w: &[String], today: NaiveDate) -> Option<Period> {
    for (i, x) in w.iter().enumerate() {
        let Some(m) = month_number(x) else { continue };
        let year = w.get(i + 1).and_then(|x| year_word(x)).or_else(|| {
            (w.get(i + 1).map(String::as_str) == Some("of"))
                .then(|| w.get(i + 2).and_then(|x| year_word(x)))
                .flatten()
        });
        let prev = i.checked_sub(1).map(|j| w[j].as_str());
        // "may" counts only as "in may" or "may 2025".
        if m == 5 && year.is_none() && !matches!(prev, Some("in" | "during" | "for" | "of")) {
            continue;
        }
        let y = year.unwrap_or(if m <= today.month() {
            today.year()
        } else {
            today.year() - 1
        });
        return whole_month(y, m);
    }
    None
}

/// A year on its own: "in 2025".
fn year(w: &[String]) -> Option<Period> {
    w.iter().find_map(|x| year_word(x)).and_then(whole_year)
}

#[cfg(test)]
mod tests;
