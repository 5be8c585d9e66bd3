//! Azure Functions timer-trigger schedules: parsing them and finding their next occurrence.
//!
//! The Functions host accepts either a six-field NCRONTAB expression
//! (`{second} {minute} {hour} {day} {month} {day-of-week}`, evaluated by the NCrontab
//! library through `CronSchedule` in azure-webjobs-sdk-extensions) or a .NET `TimeSpan`
//! (`ConstantSchedule`). This module reproduces both, so a handler computes the same
//! occurrences the host would. All times are UTC.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Timelike, Utc};

/// NCrontab gives up past `DateTime.MaxValue`, so later occurrences do not exist.
const MAX_YEAR: i32 = 9999;
/// Dates and weekdays repeat every 400 Gregorian years, so a schedule that matches
/// nothing within that span never matches.
const CALENDAR_CYCLE_YEARS: i32 = 400;
/// The largest whole number of days a .NET `TimeSpan` holds.
const MAX_TIMESPAN_DAYS: i64 = 10_675_199;

/// Full English names, in value order, that a month or weekday token may abbreviate.
const MONTHS: &str =
    "january february march april may june july august september october november december";
const WEEKDAYS: &str = "sunday monday tuesday wednesday thursday friday saturday";

/// One cron field: its name for messages, its bounds and, for month and day-of-week, its names.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static str,
}

const fn field(name: &'static str, min: u32, max: u32, names: &'static str) -> Field {
    Field {
        name,
        min,
        max,
        names,
    }
}

/// The fields in expression order; `Cron::masks` uses the same indices.
const FIELDS: [Field; 6] = [
    field("second", 0, 59, ""),
    field("minute", 0, 59, ""),
    field("hour", 0, 23, ""),
    field("day", 1, 31, ""),
    field("month", 1, 12, MONTHS),
    field("day-of-week", 0, 6, WEEKDAYS),
];
const DAY: usize = 3;
const MONTH: usize = 4;
const WEEKDAY: usize = 5;

/// A timer-trigger schedule, as written in a function's `schedule` binding property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// A six-field NCRONTAB expression (the host's `CronSchedule`).
    Cron(Cron),
    /// A constant interval written as a `TimeSpan` (the host's `ConstantSchedule`).
    Interval(Interval),
}

/// A parsed NCRONTAB expression: per field, bit `n` of the mask is set when value `n` matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    source: String,
    masks: [u64; 6],
}

/// A constant interval between occurrences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    source: String,
    every: TimeDelta,
}

/// What is wrong with one field of a cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblem {
    /// The value lies outside the field's bounds.
    OutOfRange {
        /// The smallest value the field takes.
        min: u32,
        /// The largest value the field takes.
        max: u32,
    },
    /// The token is neither a number nor, for month and day-of-week, a name.
    NotAValue,
    /// The text after `/` is not a whole number.
    BadStep,
    /// A comma-separated list has an empty element.
    EmptyElement,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutOfRange { min, max } => write!(f, "is out of range {min}-{max}"),
            Self::NotAValue => f.write_str("is not a valid value"),
            Self::BadStep => f.write_str("is not a valid step"),
            Self::EmptyElement => f.write_str("has an empty list element"),
        }
    }
}

/// Why a schedule expression was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The expression is empty or only whitespace.
    #[error("the schedule expression is empty")]
    Empty,
    /// A classic five-field cron expression; the Functions host requires a seconds field.
    #[error(
        "`{0}` has 5 fields but a seconds field is required: \
         use `{{second}} {{minute}} {{hour}} {{day}} {{month}} {{day-of-week}}`, e.g. `0 {0}`"
    )]
    MissingSeconds(String),
    /// Neither six cron fields nor a single `TimeSpan`.
    #[error(
        "`{expr}` has {found} fields; expected 6 \
         (`{{second}} {{minute}} {{hour}} {{day}} {{month}} {{day-of-week}}`) \
         or a TimeSpan such as `00:05:00`"
    )]
    FieldCount {
        /// The expression as given, trimmed.
        expr: String,
        /// How many whitespace-separated fields it has.
        found: usize,
    },
    /// One field of a cron expression is malformed.
    #[error("{field} field: `{token}` {problem}")]
    Field {
        /// The field's name, e.g. `minute`.
        field: &'static str,
        /// The offending part of the field.
        token: String,
        /// What is wrong with it.
        problem: FieldProblem,
    },
    /// A single token with a colon that is not a `TimeSpan`.
    #[error("`{0}` is not a valid TimeSpan (expected `hh:mm:ss` or `d.hh:mm:ss`)")]
    InvalidTimeSpan(String),
    /// A `TimeSpan` of zero, which would fire continuously.
    #[error("`{0}` is a zero interval; a TimeSpan schedule must be longer than zero")]
    ZeroInterval(String),
}

impl Schedule {
    /// Parses a 6-field NCRONTAB expression ("{second} {minute} {hour} {day} {month}
    /// {day-of-week}") or a TimeSpan "hh:mm:ss" / "d.hh:mm:ss".
    pub fn parse(expr: &str) -> Result<Schedule, ScheduleError> {
        let fields: Vec<&str> = expr.split_whitespace().collect();
        match fields.as_slice() {
            [] => Err(ScheduleError::Empty),
            // The host tries cron first, then `TimeSpan.TryParse` (TimerSchedule.Create);
            // a lone token can never be six cron fields, so it is a TimeSpan or nothing.
            [single] if single.contains(':') => Interval::parse(expr, single).map(Self::Interval),
            [_, _, _, _, _] => Err(ScheduleError::MissingSeconds(expr.trim().to_owned())),
            [_, _, _, _, _, _] => Cron::parse(expr, &fields).map(Self::Cron),
            _ => Err(ScheduleError::FieldCount {
                expr: expr.trim().to_owned(),
                found: fields.len(),
            }),
        }
    }

    /// The first occurrence strictly after `after` (UTC, whole seconds; sub-seconds of `after`
    /// are ignored, i.e. the next whole second boundary that matches and is > after). For a
    /// constant interval: after + interval. None only if no occurrence exists (e.g.
    /// "0 0 0 30 2 *", Feb 30), including none before the year 10000, where NCrontab stops.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Cron(cron) => cron.next_after(after),
            Self::Interval(interval) => after.checked_add_signed(interval.every),
        }
    }

    /// true for cron schedules, false for TimeSpan ones (the host's
    /// TimerInfo.Schedule.AdjustForDST: `CronSchedule` says true, `ConstantSchedule` false).
    pub fn adjusts_for_dst(&self) -> bool {
        matches!(self, Self::Cron(_))
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(expr: &str) -> Result<Self, Self::Err> {
        Self::parse(expr)
    }
}

impl fmt::Display for Schedule {
    /// Prints the expression exactly as it was given to [`Schedule::parse`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cron(cron) => f.write_str(&cron.source),
            Self::Interval(interval) => f.write_str(&interval.source),
        }
    }
}

impl Interval {
    fn parse(source: &str, text: &str) -> Result<Self, ScheduleError> {
        let every =
            parse_timespan(text).ok_or_else(|| ScheduleError::InvalidTimeSpan(text.to_owned()))?;
        if every.is_zero() {
            return Err(ScheduleError::ZeroInterval(text.to_owned()));
        }
        Ok(Self {
            source: source.to_owned(),
            every,
        })
    }

    /// The time between one occurrence and the next.
    pub fn every(&self) -> TimeDelta {
        self.every
    }
}

/// Parses `[d.]hh:mm[:ss]`, the whole-second forms `TimeSpan.TryParse` accepts,
/// with its bounds: hours 0-23, minutes and seconds 0-59.
fn parse_timespan(text: &str) -> Option<TimeDelta> {
    let (days, clock) = match text.split_once('.') {
        Some((days, clock)) => (digits(days)?, clock),
        None => (0, text),
    };
    let mut parts = clock.split(':');
    let hours = digits(parts.next()?)?;
    let minutes = digits(parts.next()?)?;
    let seconds = parts.next().map_or(Some(0), digits)?;
    let in_range = days <= MAX_TIMESPAN_DAYS && hours <= 23 && minutes <= 59 && seconds <= 59;
    if parts.next().is_some() || !in_range {
        return None;
    }
    let seconds = ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
    Some(TimeDelta::seconds(seconds))
}

/// A non-empty run of ASCII digits; `str::parse` alone would also take a sign.
fn digits(text: &str) -> Option<i64> {
    let all_digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    all_digits.then(|| text.parse().ok()).flatten()
}

impl Field {
    fn error(&self, token: &str, problem: FieldProblem) -> ScheduleError {
        ScheduleError::Field {
            field: self.name,
            token: token.to_owned(),
            problem,
        }
    }

    /// Parses a comma-separated list of elements into a bitmask.
    fn parse(&self, text: &str) -> Result<u64, ScheduleError> {
        text.split(',').try_fold(0, |mask, element| {
            if element.is_empty() {
                return Err(self.error(text, FieldProblem::EmptyElement));
            }
            Ok(mask | self.parse_element(element)?)
        })
    }

    /// Parses `*`, `v`, `a-b`, `*/n`, `a-b/n` or `a/n` (NCrontab's CrontabFieldImpl.InternalParse).
    fn parse_element(&self, element: &str) -> Result<u64, ScheduleError> {
        // NCrontab only splits off a step after a non-empty head (`slashIndex > 0`);
        // otherwise the whole token fails below as a value.
        let (range, step) = match element.split_once('/') {
            Some((range, step)) if !range.is_empty() => {
                (range, Some(self.parse_step(element, step)?))
            }
            _ => (element, None),
        };
        let (low, high) = if range == "*" {
            (self.min, self.max)
        } else if let Some((a, b)) = range.split_once('-').filter(|(a, _)| !a.is_empty()) {
            let (a, b) = (self.parse_value(a, element)?, self.parse_value(b, element)?);
            // NCrontab swaps a reversed range instead of wrapping (CrontabField.Accumulate).
            (a.min(b), a.max(b))
        } else {
            let value = self.parse_value(range, element)?;
            // `a/n` runs from `a` to the field's maximum in NCrontab.
            (value, if step.is_some() { self.max } else { value })
        };
        // NCrontab raises a step below 1 to 1 (CrontabField.Accumulate): `*/0` is `*`.
        let step = step.unwrap_or(1).max(1);
        let values = (low..=high).step_by(step);
        Ok(values.fold(0, |mask, value| mask | 1 << value))
    }

    fn parse_step(&self, element: &str, step: &str) -> Result<usize, ScheduleError> {
        let step = digits(step).and_then(|n| usize::try_from(n).ok());
        step.ok_or_else(|| self.error(element, FieldProblem::BadStep))
    }

    /// Parses one number or name; `element` names the problem when `token` is empty.
    fn parse_value(&self, token: &str, element: &str) -> Result<u32, ScheduleError> {
        let shown = if token.is_empty() { element } else { token };
        let value = if token.starts_with(|c: char| c.is_ascii_digit()) {
            // Saturate, so that a huge number reports as out of range.
            digits(token).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
        } else {
            // A name matches when the token is a case-insensitive prefix of it, first match
            // winning: "J" is January, "Ju" June (CrontabFieldImpl.ParseValue).
            let token = token.to_ascii_lowercase();
            let mut names = self.names.split(' ');
            let index = names.position(|name| !token.is_empty() && name.starts_with(&token));
            index
                .and_then(|i| u32::try_from(i).ok())
                .map(|i| self.min + i)
        };
        let value = value.ok_or_else(|| self.error(shown, FieldProblem::NotAValue))?;
        if !(self.min..=self.max).contains(&value) {
            let (min, max) = (self.min, self.max);
            return Err(self.error(shown, FieldProblem::OutOfRange { min, max }));
        }
        Ok(value)
    }
}

impl Cron {
    fn parse(source: &str, fields: &[&str]) -> Result<Self, ScheduleError> {
        let mut masks = [0; 6];
        for ((mask, field), text) in masks.iter_mut().zip(&FIELDS).zip(fields) {
            *mask = field.parse(text)?;
        }
        Ok(Self {
            source: source.to_owned(),
            masks,
        })
    }

    /// The first matching whole second strictly after `after`; see [`Schedule::next_after`].
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // NCrontab starts from the base time's second + 1 and ignores its sub-second part.
        let start = after
            .with_nanosecond(0)?
            .checked_add_signed(TimeDelta::seconds(1))?;
        let start = start.naive_utc();
        let mut date = self.next_date(start.date())?;
        let from = if date == start.date() {
            (start.hour(), start.minute(), start.second())
        } else {
            (0, 0, 0)
        };
        let (hour, minute, second) = match self.next_time(from) {
            Some(time) => time,
            // Nothing left today; any later matching day has its first time free.
            None => {
                date = self.next_date(date.succ_opt()?)?;
                self.next_time((0, 0, 0))?
            }
        };
        let time = NaiveTime::from_hms_opt(hour, minute, second)?;
        Some(date.and_time(time).and_utc())
    }

    /// The first matching time of day at or after `from`, without carrying into tomorrow.
    fn next_time(&self, (hour, minute, second): (u32, u32, u32)) -> Option<(u32, u32, u32)> {
        let [seconds, minutes, hours, ..] = self.masks;
        let first_second = next_bit(seconds, 0)?;
        if has_bit(hours, hour) {
            if has_bit(minutes, minute)
                && let Some(s) = next_bit(seconds, second)
            {
                return Some((hour, minute, s));
            }
            if let Some(m) = next_bit(minutes, minute + 1) {
                return Some((hour, m, first_second));
            }
        }
        let hour = next_bit(hours, hour + 1)?;
        Some((hour, next_bit(minutes, 0)?, first_second))
    }

    /// The first date on or after `from` whose month, day and weekday all match,
    /// skipping whole months that are not in the schedule.
    fn next_date(&self, from: NaiveDate) -> Option<NaiveDate> {
        let last_year = (from.year() + CALENDAR_CYCLE_YEARS).min(MAX_YEAR);
        let (mut year, mut month, mut day) = (from.year(), from.month(), from.day());
        while year <= last_year {
            match next_bit(self.masks[MONTH], month) {
                Some(next) => {
                    if next != month {
                        day = 1;
                    }
                    if let Some(date) = self.day_in_month(year, next, day) {
                        return Some(date);
                    }
                    (month, day) = (next + 1, 1);
                }
                None => (year, month, day) = (year + 1, 1, 1),
            }
        }
        None
    }

    /// The first day on or after `from` in this month that matches both day fields.
    ///
    /// Day-of-month and day-of-week must BOTH match (AND), not either (Vixie cron's OR):
    /// NCrontab/CrontabSchedule.cs `TryGetNextOccurrence` settles a date from the day and
    /// month fields, accepts it only if `_daysOfWeek.Contains(...)`, and otherwise retries
    /// from 23:59:59 that day. Its tests agree: "45 16 1 * Mon" from 2003-01-01 is 2003-09-01.
    fn day_in_month(&self, year: i32, month: u32, from: u32) -> Option<NaiveDate> {
        let mut day = from;
        while let Some(next) = next_bit(self.masks[DAY], day) {
            // Days past the month's end (Feb 30, Apr 31) do not exist; later ones neither.
            let date = NaiveDate::from_ymd_opt(year, month, next)?;
            if has_bit(self.masks[WEEKDAY], date.weekday().num_days_from_sunday()) {
                return Some(date);
            }
            day = next + 1;
        }
        None
    }
}

fn has_bit(mask: u64, value: u32) -> bool {
    mask.checked_shr(value).is_some_and(|rest| rest & 1 == 1)
}

/// The smallest set value at or above `from`.
fn next_bit(mask: u64, from: u32) -> Option<u32> {
    let rest = mask.checked_shr(from)?;
    (rest != 0).then(|| from + rest.trailing_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Parses `YYYY-MM-DDTHH:MM[:SS[.f]]` as UTC.
    fn at(text: &str) -> DateTime<Utc> {
        let full = if text.len() == 16 {
            format!("{text}:00Z")
        } else {
            format!("{text}Z")
        };
        full.parse()
            .unwrap_or_else(|e| panic!("bad test time {text}: {e}"))
    }

    fn schedule(expr: &str) -> Schedule {
        Schedule::parse(expr).unwrap_or_else(|e| panic!("`{expr}` should parse: {e}"))
    }

    fn masks(expr: &str) -> [u64; 6] {
        match schedule(expr) {
            Schedule::Cron(cron) => cron.masks,
            other => panic!("`{expr}` is not cron: {other:?}"),
        }
    }

    fn same(a: &str, b: &str) {
        assert_eq!(masks(a), masks(b), "`{a}` and `{b}` differ");
    }

    fn error(expr: &str) -> String {
        match Schedule::parse(expr) {
            Ok(parsed) => panic!("`{expr}` should not parse, got {parsed:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn next(expr: &str, after: &str) -> Option<DateTime<Utc>> {
        schedule(expr).next_after(at(after))
    }

    /// Checks cases written `expression | after | each following occurrence in turn`.
    fn check(cases: &[&str]) {
        for case in cases {
            let [expr, after, expected] = case.split('|').collect::<Vec<_>>()[..] else {
                panic!("malformed case {case}");
            };
            let (schedule, mut time) = (schedule(expr), at(after.trim()));
            for want in expected.split_whitespace().map(at) {
                assert_eq!(
                    schedule.next_after(time),
                    Some(want),
                    "`{expr}` after {time}"
                );
                time = want;
            }
        }
    }

    #[test]
    fn every_five_minutes_fires_on_the_minute_boundary() {
        check(&["0 */5 * * * * | 2025-03-01T10:02:30 | 2025-03-01T10:05 2025-03-01T10:10"]);
    }

    #[test]
    fn the_azure_docs_examples_fire_when_the_docs_say() {
        check(&[
            "0 0 * * * * | 2025-03-01T23:59:59 | 2025-03-02T00:00 2025-03-02T01:00",
            "0 0 */2 * * * | 2025-03-01T21:00 | 2025-03-01T22:00 2025-03-02T00:00",
            "0 0 9-17 * * * | 2025-03-01T16:30 | 2025-03-01T17:00 2025-03-02T09:00",
            "0 0 9-17 * * * | 2025-03-02T09:00 | 2025-03-02T10:00",
            "0 30 9 * * * | 2025-03-01T09:30 | 2025-03-02T09:30",
            // 2025-03-07 is a Friday.
            "0 30 9 * * 1-5 | 2025-03-07T10:00 | 2025-03-10T09:30 2025-03-11T09:30",
            "0 30 9 * Jan Mon | 2025-02-01T00:00 | 2026-01-05T09:30 2026-01-12T09:30",
            "0 30 9 * Jan Mon | 2026-01-26T09:30 | 2027-01-04T09:30",
        ]);
    }

    #[test]
    fn next_after_is_strictly_after_its_argument() {
        for expr in ["* * * * * *", "0 0 0 * * *", "0 30 9 * * 1-5", "00:05:00"] {
            let (schedule, mut time) = (schedule(expr), at("2025-03-03T09:30"));
            for _ in 0..50 {
                let later = schedule
                    .next_after(time)
                    .unwrap_or_else(|| panic!("{expr}"));
                assert!(later > time, "`{expr}`: {later} is not after {time}");
                time = later;
            }
        }
    }

    #[test]
    fn sub_seconds_of_the_argument_are_ignored() {
        check(&[
            "* * * * * * | 2025-03-01T10:00:00.999 | 2025-03-01T10:00:01",
            "0 * * * * * | 2025-03-01T10:00:00.5 | 2025-03-01T10:01",
        ]);
    }

    #[test]
    fn time_of_day_carries_from_second_to_minute_to_hour_to_day() {
        check(&[
            "30 15 10 * * * | 2025-03-01T10:15:29 | 2025-03-01T10:15:30 2025-03-02T10:15:30",
            "30 15 10 * * * | 2025-03-01T09:59:59 | 2025-03-01T10:15:30",
            "30 15 10 * * * | 2025-12-31T23:00 | 2026-01-01T10:15:30",
            // NCrontab issue #90: a later hour restarts the minute and second fields.
            "* 0-1 10 * * * | 2021-02-24T09:50:35 | 2021-02-24T10:00",
        ]);
    }

    #[test]
    fn a_value_with_a_step_runs_from_the_value_to_the_field_maximum() {
        check(&["2/5 * * * * * | 2003-01-01T00:00:50 | 2003-01-01T00:00:52 2003-01-01T00:00:57"]);
        check(&["2/5 * * * * * | 2003-01-01T00:00:57 | 2003-01-01T00:01:02"]);
        same("2/5 * * * * *", "2-59/5 * * * * *");
    }

    #[test]
    fn ranges_steps_and_lists_combine_into_one_set() {
        same("0 10-40/15 * * * *", "0 10,25,40 * * * *");
        same("0 * * * */2 *", "0 * * * 1,3,5,7,9,11 *");
        same("0 * * * * */2", "0 * * * * 0,2,4,6");
        same("0 1,10-11,50/5 0 * * *", "0 1,10,11,50,55 0 * * *");
        check(&["0 1,10-11,50/5 0 * * * | 2025-03-01T00:50 | 2025-03-01T00:55 2025-03-02T00:01"]);
    }

    #[test]
    fn reversed_ranges_and_zero_steps_behave_like_ncrontab() {
        // NCrontab swaps a reversed range rather than wrapping around, and treats step 0 as 1.
        same("0 0 17-9 * * *", "0 0 9-17 * * *");
        same("0 50-10/20 * * * *", "0 10,30,50 * * * *");
        same("*/0 * * * * *", "* * * * * *");
        same("0 5/0 * * * *", "0 5-59 * * * *");
    }

    #[test]
    fn month_and_weekday_names_are_case_insensitive_prefixes() {
        same(
            "0 0 0 * JAN,february,Jun,sEpT-Oct SUN,Mon,thursday",
            "0 0 0 * 1,2,6,9-10 0,1,4",
        );
        // A prefix means the first name it starts, as in NCrontab.
        same("0 0 0 * J,Ju,Ma,A S,T,Th", "0 0 0 * 1,6,3,4 0,2,4");
        same("0 0 0 * Jan-Mar/2 Mon-Fri", "0 0 0 * 1,3 1-5");
        assert_eq!(
            error("0 0 0 * Janu4ry *"),
            "month field: `Janu4ry` is not a valid value"
        );
        assert_eq!(
            error("0 0 0 Mon * *"),
            "day field: `Mon` is not a valid value"
        );
    }

    #[test]
    fn weekday_seven_and_question_marks_are_rejected_like_ncrontab() {
        assert_eq!(
            error("0 0 0 * * 7"),
            "day-of-week field: `7` is out of range 0-6"
        );
        assert_eq!(
            error("0 0 0 ? * Mon"),
            "day field: `?` is not a valid value"
        );
        assert_eq!(
            error("0 0 0 1 * ?"),
            "day-of-week field: `?` is not a valid value"
        );
    }

    #[test]
    fn bad_fields_are_reported_with_the_field_and_the_token() {
        let cases = [
            "60 * * * * * | second field: `60` is out of range 0-59",
            "0 1,61 * * * * | minute field: `61` is out of range 0-59",
            "0 0 20-24 * * * | hour field: `24` is out of range 0-23",
            "0 0 0 0 * * | day field: `0` is out of range 1-31",
            "0 0 0 32 * * | day field: `32` is out of range 1-31",
            "0 0 0 * 13 * | month field: `13` is out of range 1-12",
            "0 0 0 * 0/2 * | month field: `0` is out of range 1-12",
            "0 99999999999 * * * * | minute field: `99999999999` is out of range 0-59",
            "bad * * * * * | second field: `bad` is not a valid value",
            "* 1,Z,3 * * * * | minute field: `Z` is not a valid value",
            "* * 3-l2 * * * | hour field: `l2` is not a valid value",
            "* * 5- * * * | hour field: `5-` is not a valid value",
            "* * -5 * * * | hour field: `-5` is not a valid value",
            "* * * /5 * * | day field: `/5` is not a valid value",
            "* * * * */x * | month field: `*/x` is not a valid step",
            "* * * * 1/-2 * | month field: `1/-2` is not a valid step",
            "* * * * * 1,,2 | day-of-week field: `1,,2` has an empty list element",
            "* * * * * 1, | day-of-week field: `1,` has an empty list element",
        ];
        for case in cases {
            let (expr, message) = case.split_once(" | ").unwrap_or_else(|| panic!("{case}"));
            assert_eq!(error(expr), message, "for `{expr}`");
        }
    }

    #[test]
    fn five_fields_are_rejected_because_the_host_requires_seconds() {
        let message = error("*/5 * * * *");
        assert!(message.contains("a seconds field is required"), "{message}");
        assert!(message.contains("`0 */5 * * * *`"), "{message}");
    }

    #[test]
    fn other_field_counts_and_empty_expressions_are_rejected() {
        assert_eq!(error("   "), "the schedule expression is empty");
        let message = error("0 0 0 * * * 2025");
        assert!(
            message.starts_with("`0 0 0 * * * 2025` has 7 fields; expected 6"),
            "{message}"
        );
        assert!(error("*").starts_with("`*` has 1 fields"));
    }

    #[test]
    fn extra_whitespace_between_fields_is_accepted() {
        let spaced = "  0   */5 *\t* *  *  ";
        same(spaced, "0 */5 * * * *");
        assert_eq!(schedule(spaced).to_string(), spaced);
    }

    #[test]
    fn leap_day_schedules_wait_for_the_next_leap_year_without_scanning() {
        let started = Instant::now();
        check(&[
            "0 0 0 29 2 * | 2025-03-01T00:00 | 2028-02-29T00:00",
            // 2100 is not a leap year.
            "0 0 0 29 Feb * | 2096-03-01T00:00 | 2104-02-29T00:00",
            "0 0 0 29 Feb Mon | 2016-03-01T00:00 | 2044-02-29T00:00",
            "0 0 0 29 Feb Mon | 9000-01-01T00:00 | 9008-02-29T00:00",
        ]);
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn the_last_days_of_the_month_skip_months_that_are_too_short() {
        check(&[
            "0 0 0 15,30,31 * * | 2000-01-30T00:00 | 2000-01-31T00:00 2000-02-15T00:00",
            "0 0 0 15,30,31 * * | 2000-02-15T00:00 | 2000-03-15T00:00 2000-03-30T00:00",
            "0 0 0 15,30,31 * * | 2000-03-31T00:00 | 2000-04-15T00:00 2000-04-30T00:00",
            "0 0 0 15,30,31 * * | 2000-04-30T00:00 | 2000-05-15T00:00",
            "0 0 12 31 * * | 2025-01-31T12:00 | 2025-03-31T12:00 2025-05-31T12:00",
            "59 59 23 31 12 * | 2024-12-31T23:59:59 | 2025-12-31T23:59:59",
        ]);
    }

    #[test]
    fn impossible_dates_and_years_past_9999_have_no_occurrence() {
        let started = Instant::now();
        assert_eq!(next("0 0 0 30 2 *", "2025-01-01T00:00"), None);
        assert_eq!(next("0 0 0 31 Apr,Jun,Sep,Nov *", "2025-01-01T00:00"), None);
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(next("0 0 0 1 1 *", "9999-06-01T00:00"), None);
        check(&["* * * * * * | 9999-12-31T23:59:58 | 9999-12-31T23:59:59"]);
    }

    #[test]
    fn day_of_month_and_day_of_week_must_both_match() {
        check(&[
            // From NCrontab's tests: only the 1sts of a month that fall on a Monday.
            "0 45 16 1 * Mon | 2003-01-01T12:00 | 2003-09-01T16:45 2003-12-01T16:45",
            // Friday the 13th, not every Friday and every 13th.
            "0 0 0 13 * Fri | 2025-01-01T00:00 | 2025-06-13T00:00 2026-02-13T00:00",
        ]);
    }

    #[test]
    fn timespans_are_constant_intervals_from_the_argument() {
        check(&[
            "00:05:00 | 2025-03-01T10:02:30.250 | 2025-03-01T10:07:30.250 2025-03-01T10:12:30.250",
            "1.00:00:00 | 2025-03-01T10:00 | 2025-03-02T10:00",
            "2.03:04:05 | 2025-03-01T00:00 | 2025-03-03T03:04:05",
            "01:30 | 2025-03-01T00:00 | 2025-03-01T01:30",
        ]);
        match schedule(" 00:00:30 ") {
            Schedule::Interval(interval) => assert_eq!(interval.every(), TimeDelta::seconds(30)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn zero_and_malformed_timespans_are_rejected() {
        assert!(error("00:00:00").contains("zero interval"));
        assert!(error("0.00:00").contains("zero interval"));
        let expected = "is not a valid TimeSpan (expected `hh:mm:ss` or `d.hh:mm:ss`)";
        for bad in [
            "24:00:00",
            "00:60:00",
            "00:00:60",
            "1.:00:00",
            "-00:05:00",
            "00:05:00.5",
        ] {
            assert_eq!(error(bad), format!("`{bad}` {expected}"));
        }
    }

    #[test]
    fn only_cron_schedules_adjust_for_daylight_saving() {
        assert!(schedule("0 30 9 * * *").adjusts_for_dst());
        assert!(!schedule("00:05:00").adjusts_for_dst());
    }

    #[test]
    fn display_prints_the_original_expression_and_from_str_parses() {
        for expr in ["0 30 9 * Jan Mon", "1.00:00:00"] {
            let parsed: Schedule = expr.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(parsed.to_string(), expr);
        }
        assert!("0 61 * * * *".parse::<Schedule>().is_err());
    }
}
