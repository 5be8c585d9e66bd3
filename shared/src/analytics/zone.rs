//! The tenant's time zone: which local calendar day an instant falls on, and, for Azure SQL
//! (whose `AT TIME ZONE` knows Windows zone names, not IANA ones), the zone's UTC offsets as
//! periods the database can join orders against.

use chrono::{DateTime, Duration, NaiveDate, Offset, TimeZone, Utc};
pub use chrono_tz::Tz;

/// The zone a tenant has until it sets one.
pub const DEFAULT_TIME_ZONE: &str = "UTC";

/// The IANA zone `name` ("Europe/Berlin"), exactly as the tz database spells it.
pub fn parse_time_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

/// The local calendar day `at` falls on in `zone`.
pub fn local_day(zone: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// `zone`'s offset from UTC at `at`, in seconds.
fn offset_seconds(zone: Tz, at: DateTime<Utc>) -> i32 {
    zone.offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc()
}

/// A stretch of time over which a zone keeps one UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetPeriod {
    /// The first instant (the earliest representable one for the first period).
    pub starts_at: DateTime<Utc>,
    /// The first instant after it (the latest representable one for the last period).
    pub ends_at: DateTime<Utc>,
    /// Local time minus UTC, in seconds.
    pub offset_seconds: i32,
}

/// The first and last years scanned for offset changes; outside them the offsets at the edges
/// hold (the tz database has no rules before 1900, and repeats its last rule after 2037).
const SCAN_YEARS: (i32, i32) = (1900, 2100);

/// Every period of one offset of `zone`, in order, covering all time: the first starts at the
/// earliest instant SQL Server's `DATETIME2` holds, the last ends at its latest. Offsets change
/// at most a few times a year, so the zone is sampled daily and each change found to the second.
pub fn offset_periods(zone: Tz) -> Vec<OffsetPeriod> {
    let min = Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).single();
    let max = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).single();
    let (Some(min), Some(max)) = (min, max) else {
        return Vec::new();
    };
    let first = Utc.with_ymd_and_hms(SCAN_YEARS.0, 1, 1, 0, 0, 0).single();
    let last = Utc.with_ymd_and_hms(SCAN_YEARS.1, 1, 1, 0, 0, 0).single();
    let (Some(mut at), Some(last)) = (first, last) else {
        return Vec::new();
    };
    let mut periods = Vec::new();
    let mut start = min;
    let mut offset = offset_seconds(zone, at);
    while at < last {
        let next = at + Duration::days(1);
        let next_offset = offset_seconds(zone, next);
        if next_offset != offset {
            let change = first_change(zone, at, next, offset);
            periods.push(OffsetPeriod {
                starts_at: start,
                ends_at: change,
                offset_seconds: offset,
            });
            start = change;
            offset = next_offset;
        }
        at = next;
    }
    periods.push(OffsetPeriod {
        starts_at: start,
        ends_at: max,
        offset_seconds: offset,
    });
    periods
}

/// The first second in `(before, after]` whose offset is not `offset` (it is at `before`).
/// Offsets change on whole seconds, and both ends are whole seconds, so halving the gap in
/// whole seconds lands on the change exactly.
fn first_change(
    zone: Tz,
    before: DateTime<Utc>,
    after: DateTime<Utc>,
    offset: i32,
) -> DateTime<Utc> {
    let (mut low, mut high) = (before.timestamp(), after.timestamp());
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        let at = DateTime::from_timestamp(middle, 0).unwrap_or(after);
        if offset_seconds(zone, at) == offset {
            low = middle;
        } else {
            high = middle;
        }
    }
    DateTime::from_timestamp(high, 0).unwrap_or(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_late_evening_utc_order_is_the_next_day_in_berlin() {
        let berlin = parse_time_zone("Europe/Berlin").unwrap();
        let day = local_day(berlin, utc("2024-06-30T23:30:00Z"));
        assert_eq!(day, NaiveDate::from_ymd_opt(2024, 7, 1).unwrap());
        let utc_zone = parse_time_zone("UTC").unwrap();
        let day = local_day(utc_zone, utc("2024-06-30T23:30:00Z"));
        assert_eq!(day, NaiveDate::from_ymd_opt(2024, 6, 30).unwrap());
    }

    #[test]
    fn only_iana_names_are_zones() {
        assert!(parse_time_zone("America/New_York").is_some());
        assert!(parse_time_zone("Mars/Olympus").is_none());
        assert!(parse_time_zone("").is_none());
    }

    #[test]
    fn offset_periods_agree_with_the_zone_at_every_change() {
        let berlin = parse_time_zone("Europe/Berlin").unwrap();
        let periods = offset_periods(berlin);
        assert!(periods.len() > 100, "{}", periods.len());
        for pair in periods.windows(2) {
            assert_eq!(pair[0].ends_at, pair[1].starts_at);
            assert_ne!(pair[0].offset_seconds, pair[1].offset_seconds);
        }
        // Summer time began at 01:00 UTC on 31 March 2024.
        let at = utc("2024-03-31T01:00:00Z");
        let period = periods
            .iter()
            .find(|p| p.starts_at <= at && at < p.ends_at)
            .unwrap();
        assert_eq!((period.starts_at, period.offset_seconds), (at, 7200));
        let utc_periods = offset_periods(Tz::UTC);
        assert_eq!(utc_periods.len(), 1);
        assert_eq!(utc_periods[0].offset_seconds, 0);
    }

    /// What Azure SQL computes (the period an instant falls in, its offset added, the date
    /// taken) is the local day, every 37 minutes through two years of New York and Berlin.
    #[test]
    fn the_day_from_an_offset_period_is_the_local_day() {
        for name in ["America/New_York", "Europe/Berlin", "Asia/Kolkata"] {
            let zone = parse_time_zone(name).unwrap();
            let periods = offset_periods(zone);
            let mut at = utc("2023-01-01T00:00:00Z");
            while at < utc("2025-01-01T00:00:00Z") {
                let period = periods
                    .iter()
                    .find(|p| p.starts_at <= at && at < p.ends_at)
                    .unwrap();
                let shifted = at + Duration::seconds(i64::from(period.offset_seconds));
                assert_eq!(shifted.date_naive(), local_day(zone, at), "{name} {at}");
                at += Duration::minutes(37);
            }
        }
    }
}
