//! The dates partners write, read as UTC instants for `updated_at`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// A timestamp in one of the forms partners send:
/// - RFC 3339 with an offset;
/// - `YYYY-MM-DD HH:MM:SS` (or with `T`), taken as UTC;
/// - `YYYY-MM-DD`, `DD.MM.YYYY`, taken as midnight UTC;
/// - `MM/DD/YYYY` or `DD/MM/YYYY` only when one reading alone is a date (a part above 12):
///   `03/04/2024` is refused because nothing says whether it is March or April.
pub(super) fn timestamp(value: &str) -> Result<DateTime<Utc>, String> {
    let reason = || {
        "updated_at must be a date like 2024-05-01 or a time like 2024-05-01T10:00:00Z".to_owned()
    };
    if let Some(date) = dotted_or_slashed(value)? {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    // chrono accepts 2-digit years and unpadded months; a feed date must be unambiguous.
    if !has_iso_date_prefix(value) {
        return Err(reason());
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(value) {
        return Ok(time.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(time) = NaiveDateTime::parse_from_str(value, format) {
            return Ok(time.and_utc());
        }
    }
    if value.len() == 10
        && let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d")
    {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    Err(reason())
}

/// `DD.MM.YYYY`, or a slashed date with a 4-digit year that only one reading makes a date.
/// `Ok(None)` when `value` is neither shape.
fn dotted_or_slashed(value: &str) -> Result<Option<NaiveDate>, String> {
    let parts = |sep: char| -> Option<(u32, u32, i32)> {
        let mut it = value.split(sep);
        let (a, b, y) = (it.next()?, it.next()?, it.next()?);
        let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
            n.contains(&s.len()) && s.bytes().all(|c| c.is_ascii_digit())
        };
        if it.next().is_some() || !digits(a, 1..=2) || !digits(b, 1..=2) || !digits(y, 4..=4) {
            return None;
        }
        Some((a.parse().ok()?, b.parse().ok()?, y.parse().ok()?))
    };
    let invalid = || "updated_at is not a real date".to_owned();
    if let Some((day, month, year)) = parts('.') {
        return NaiveDate::from_ymd_opt(year, month, day)
            .map(Some)
            .ok_or_else(invalid);
    }
    let Some((first, second, year)) = parts('/') else {
        return Ok(None);
    };
    let us = NaiveDate::from_ymd_opt(year, first, second);
    let european = NaiveDate::from_ymd_opt(year, second, first);
    match (us, european) {
        (Some(date), None) | (None, Some(date)) => Ok(Some(date)),
        (Some(a), Some(b)) if a == b => Ok(Some(a)),
        (Some(_), Some(_)) => Err(format!(
            "updated_at {value:?} could be month/day or day/month; write it as YYYY-MM-DD"
        )),
        (None, None) => Err(invalid()),
    }
}

/// Whether `value` starts with `YYYY-MM-DD` in ASCII digits.
fn has_iso_date_prefix(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() >= 10
        && bytes.iter().take(10).enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_timestamps_are_converted_to_utc() {
        let utc = timestamp("2024-05-01T10:00:00Z").unwrap();
        assert_eq!(utc.to_rfc3339(), "2024-05-01T10:00:00+00:00");
        let offset = timestamp("2024-05-01T12:00:00+02:00").unwrap();
        assert_eq!(offset, utc);
        assert!(timestamp("2024-05-01T10:00:00.250Z").is_ok());
    }

    #[test]
    fn timestamps_without_an_offset_are_taken_as_utc() {
        let expected = timestamp("2024-05-01T10:00:00Z").unwrap();
        assert_eq!(timestamp("2024-05-01 10:00:00").unwrap(), expected);
        assert_eq!(timestamp("2024-05-01T10:00:00").unwrap(), expected);
    }

    #[test]
    fn a_bare_date_is_midnight_utc() {
        let midnight = timestamp("2024-05-01").unwrap();
        assert_eq!(midnight.to_rfc3339(), "2024-05-01T00:00:00+00:00");
    }

    #[test]
    fn ambiguous_or_impossible_dates_are_rejected() {
        for bad in [
            "2024-5-1",
            "24-05-01",
            "2024-02-30",
            "2024-05-01T10:00",
            "soon",
        ] {
            assert_eq!(
                timestamp(bad).unwrap_err(),
                "updated_at must be a date like 2024-05-01 or a time like 2024-05-01T10:00:00Z",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn dotted_and_unambiguous_slashed_dates_are_accepted() {
        let expected = timestamp("2024-05-21").unwrap();
        for ok in [
            "21.05.2024",
            "05/21/2024",
            "21/05/2024",
            "2024-05-21 00:00:00",
        ] {
            assert_eq!(timestamp(ok).unwrap(), expected, "{ok:?}");
        }
        assert_eq!(
            timestamp("04/04/2024").unwrap(),
            timestamp("2024-04-04").unwrap()
        );
    }

    #[test]
    fn a_slashed_date_that_reads_both_ways_is_rejected_as_ambiguous() {
        assert_eq!(
            timestamp("03/04/2024").unwrap_err(),
            r#"updated_at "03/04/2024" could be month/day or day/month; write it as YYYY-MM-DD"#
        );
        assert_eq!(
            timestamp("31.02.2024").unwrap_err(),
            "updated_at is not a real date"
        );
        assert!(timestamp("3/4/24").is_err());
    }
}
