//! The timer trigger's `TimerInfo` (§2.4): what a scheduled invocation receives.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{…}|null,"IsPastDue":false}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimerInfo {
    /// The schedule's one visible property.
    pub schedule: TimerSchedule,
    /// The schedule monitor's record; `null` when the monitor is off (`useMonitor: false`).
    pub schedule_status: Option<ScheduleStatus>,
    /// Whether this invocation is later than scheduled (the host was down at the due time).
    pub is_past_due: bool,
}

/// What the host tells about a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimerSchedule {
    /// `true` for cron schedules, `false` for TimeSpan ones.
    #[serde(rename = "AdjustForDST")]
    pub adjust_for_dst: bool,
}

/// The schedule monitor's record of the previous and next occurrence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleStatus {
    /// The previous occurrence (or `0001-01-01T00:00:00` before the first).
    #[serde(with = "host_local_time")]
    pub last: DateTime<Utc>,
    /// The occurrence after this one.
    #[serde(with = "host_local_time")]
    pub next: DateTime<Utc>,
    /// When the monitor last wrote this record.
    #[serde(with = "host_local_time")]
    pub last_updated: DateTime<Utc>,
}

/// Timer times are `LocalDateTime`s: Newtonsoft writes them with the host's offset, `+00:00`
/// on Azure, and keeps sub-seconds (they are nested, so rule 2.2.2 does not apply).
pub mod host_local_time {
    use super::*;

    /// Writes `2023-10-12T20:13:49.1234567+00:00`, trailing zero fractions trimmed as
    /// .NET's `FFFFFFF` does.
    pub fn serialize<S: Serializer>(
        time: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_dotnet(time, "+00:00"))
    }

    /// Reads any RFC 3339 time, or a bare one as UTC.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        crate::protocol::parse_host_time(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a date-time")))
    }
}

/// Formats `time` as Newtonsoft writes a .NET `DateTime`: seconds, then up to seven fraction
/// digits with trailing zeros trimmed, then `suffix` (`Z`, `+00:00` or nothing).
pub fn format_dotnet(time: &DateTime<Utc>, suffix: &str) -> String {
    let base = time.format("%Y-%m-%dT%H:%M:%S");
    let ticks = time.timestamp_subsec_nanos() / 100;
    if ticks == 0 {
        return format!("{base}{suffix}");
    }
    let fraction = format!("{ticks:07}");
    format!("{base}.{}{suffix}", fraction.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dotnet_times_trim_trailing_zeros_to_seven_digits() {
        let whole = Utc.with_ymd_and_hms(2023, 10, 12, 20, 13, 49).unwrap();
        assert_eq!(format_dotnet(&whole, "+00:00"), "2023-10-12T20:13:49+00:00");
        let fractional = whole + chrono::Duration::nanoseconds(123_450_000);
        assert_eq!(
            format_dotnet(&fractional, "Z"),
            "2023-10-12T20:13:49.12345Z"
        );
    }
}
