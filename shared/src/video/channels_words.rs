//! The words and numbers a merchant reads in a finding: codec and container names, ratios,
//! durations, sizes.

use super::checks::RATIO_TOLERANCE;
use crate::video::facts::Container;

/// A codec's common name with its four-character code: `HEVC (hvc1)`.
pub(super) fn codec_name(fourcc: &str) -> String {
    let name = match fourcc {
        "avc1" | "avc3" => "H.264",
        "hvc1" | "hev1" => "HEVC",
        "av01" => "AV1",
        "vp08" => "VP8",
        "vp09" => "VP9",
        "mp4a" => "AAC",
        "mp3" => "MP3",
        "Opus" => "Opus",
        "ac-3" => "AC-3",
        "ec-3" => "E-AC-3",
        other => return format!("`{other}`"),
    };
    format!("{name} ({fourcc})")
}

/// `MP4` or `MOV`.
pub(super) fn container_name(container: Container) -> &'static str {
    match container {
        Container::Mp4 => "MP4",
        Container::Mov => "MOV",
    }
}

/// A ratio a merchant recognises: `16:9`, `4:5`, else `0.56:1`.
pub(super) fn ratio_name(w: u32, h: u32) -> String {
    let g = gcd(w, h).max(1);
    let (a, b) = (w / g, h / g);
    if a <= 32 && b <= 32 {
        return format!("{a}:{b}");
    }
    let ratio = f64::from(w) / f64::from(h);
    const NAMED: [(u32, u32); 10] = [
        (9, 16),
        (16, 9),
        (1, 1),
        (4, 5),
        (5, 4),
        (3, 4),
        (4, 3),
        (2, 3),
        (3, 2),
        (21, 9),
    ];
    NAMED
        .iter()
        .find(|(nw, nh)| {
            let named = f64::from(*nw) / f64::from(*nh);
            ((ratio - named) / named).abs() <= RATIO_TOLERANCE
        })
        .map(|(nw, nh)| format!("about {nw}:{nh} ({w}×{h})"))
        .unwrap_or_else(|| format!("{}:1 ({w}×{h})", number(ratio)))
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Bits a second as `16 Mbps`, `25.3 Mbps`.
pub(super) fn mbps(bps: u64) -> String {
    format!("{} Mbps", number((bps as f64 / 1e5).round() / 10.0))
}

/// A ratio bound from the table: `1:1`, `10:1`, `0.01:1`.
pub(super) fn bound(ratio: f64) -> String {
    format!("{}:1", number(ratio))
}

/// A number with at most three decimals and no trailing zeros: `30`, `29.97`, `0.01`.
pub(super) fn number(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Seconds as a merchant says them: `20 s`, `3 minutes`, `4 min 5 s`.
pub(super) fn human_seconds(seconds: f64) -> String {
    let whole = seconds.round();
    if seconds >= 60.0 && (seconds - whole).abs() < 0.05 {
        let (min, sec) = (whole as u64 / 60, whole as u64 % 60);
        return match (min, sec) {
            (1, 0) => "1 minute".into(),
            (m, 0) => format!("{m} minutes"),
            (m, s) => format!("{m} min {s} s"),
        };
    }
    if seconds >= 60.0 {
        let min = (seconds / 60.0).floor();
        return format!("{} min {} s", min as u64, number(seconds - min * 60.0));
    }
    format!("{} s", number(seconds))
}

/// Bytes in decimal units, as the platforms state their limits: `300 MB`, `1 GB`, `2.15 GB`.
pub(super) fn bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{} GB", number((n / 1e9 * 100.0).round() / 100.0))
    } else if n >= 1e6 {
        format!("{} MB", number((n / 1e6 * 10.0).round() / 10.0))
    } else {
        format!("{} KB", number((n / 1e3).round()))
    }
}
