//! Calendar units in the tenant's days: ISO weeks, months, quarters, years and their names.

use chrono::{Datelike, Duration, Months, NaiveDate};

use super::{Period, Unit, period};

pub(super) fn week_start(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

pub(super) fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

pub(super) fn month_end(d: NaiveDate) -> NaiveDate {
    let first = month_start(d);
    first
        .checked_add_months(Months::new(1))
        .map_or(first, |next| next - Duration::days(1))
}

pub(super) fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

pub(super) fn month_label(d: NaiveDate) -> String {
    format!("{} {}", MONTHS[d.month0() as usize], d.year())
}

pub(super) fn quarter_label(d: NaiveDate) -> String {
    format!("Q{} {}", d.month0() / 3 + 1, d.year())
}

pub(super) fn whole_month(y: i32, m: u32) -> Option<Period> {
    let from = ymd(y, m, 1)?;
    Some(period(
        month_label(from),
        from,
        month_end(from),
        Unit::Month,
    ))
}

pub(super) fn whole_quarter(y: i32, q: u32) -> Option<Period> {
    let from = ymd(y, (q - 1) * 3 + 1, 1)?;
    let to = month_end(from.checked_add_months(Months::new(2))?);
    Some(period(quarter_label(from), from, to, Unit::Quarter))
}

pub(super) fn whole_year(y: i32) -> Option<Period> {
    Some(period(
        y.to_string(),
        ymd(y, 1, 1)?,
        ymd(y, 12, 31)?,
        Unit::Year,
    ))
}

pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub(super) fn month_number(w: &str) -> Option<u32> {
    MONTHS
        .iter()
        .position(|m| {
            let m = m.to_lowercase();
            w == m
                || (w.len() == 3 && m != "may" && m.starts_with(w))
                || (w == "sept" && m == "september")
        })
        .map(|i| i as u32 + 1)
}
