//! The technical and rule-based insights of an analysis: what the container says, what the
//! decoded audio and keyframes measure, and what the channel rules ask the merchant to
//! change. Pure: facts in, insights out, so every threshold is tested here.

use super::channels::{ChannelVerdict, Verdict};
use super::facts::{Rational, VideoFacts};
use super::insights::{AudioLevel, Insight, InsightSource, Keyframe, TimeRange};

/// Mean luma below which a keyframe is too dark to show a product (0–255; studio-range black
/// is 16, so this is "barely lifted from black").
pub const DARK_BELOW: f64 = 40.0;
/// Mean luma above which a keyframe is washed out (studio-range white is 235).
pub const BRIGHT_ABOVE: f64 = 220.0;
/// Laplacian variance (at the thumbnail's 480-pixel size) below which a keyframe is blurry: a
/// flat or defocused picture scores in the tens, a sharp product shot in the hundreds.
pub const BLURRY_BELOW: f64 = 60.0;
/// Mean absolute luma difference from the previous keyframe above which it starts a new
/// scene (0–255).
pub const SCENE_CHANGE_ABOVE: f64 = 30.0;

/// Every technical and rule-based insight, in a fixed order.
pub fn findings(
    facts: &VideoFacts,
    audio: Option<&AudioLevel>,
    keyframes: &[Keyframe],
    channels: &[ChannelVerdict],
) -> Vec<Insight> {
    let mut out = container_findings(facts);
    if let Some(level) = audio {
        out.push(audio_finding(level));
    }
    out.extend(frame_findings(keyframes));
    out.extend(channel_findings(channels));
    out
}

fn fact(kind: &str, value: String, source: InsightSource) -> Insight {
    Insight {
        kind: kind.to_owned(),
        value,
        confidence: 1.0,
        source,
        instances: Vec::new(),
    }
}

fn container_findings(facts: &VideoFacts) -> Vec<Insight> {
    let c = InsightSource::Container;
    let mut out = vec![fact(
        "duration",
        format!("{:.2} s", facts.duration_seconds),
        c,
    )];
    match &facts.video {
        Some(v) => {
            out.push(fact(
                "resolution",
                format!(
                    "{}×{} ({})",
                    v.display_width,
                    v.display_height,
                    shape(v.display_width, v.display_height)
                ),
                c,
            ));
            if let Some(rate) = v.frame_rate {
                out.push(fact("frame_rate", frame_rate(rate), c));
            }
            let codec = match (&v.profile, &v.codec_string) {
                (Some(p), Some(s)) => format!("{} {p} ({s})", codec_name(&v.codec)),
                (None, Some(s)) => format!("{} ({s})", codec_name(&v.codec)),
                _ => codec_name(&v.codec).to_owned(),
            };
            out.push(fact("video_codec", codec, c));
        }
        None => out.push(fact("video_codec", "No video track".to_owned(), c)),
    }
    let audio = match &facts.audio {
        None => "No audio track".to_owned(),
        Some(a) => {
            let mut words = vec![codec_name(&a.codec).to_owned()];
            if let Some(rate) = a.sample_rate {
                words.push(format!("{} kHz", f64::from(rate) / 1000.0));
            }
            match a.channels {
                Some(1) => words.push("mono".to_owned()),
                Some(2) => words.push("stereo".to_owned()),
                Some(n) => words.push(format!("{n} channels")),
                None => {}
            }
            words.join(" ")
        }
    };
    out.push(fact("audio_track", audio, c));
    if !facts.faststart {
        out.push(fact(
            "faststart",
            "The moov atom comes after the media: players and uploaders must fetch the whole \
             file before it can start"
                .to_owned(),
            c,
        ));
    }
    out
}

/// `9:16, vertical` and the like.
fn shape(width: u32, height: u32) -> String {
    let g = gcd(width, height).max(1);
    let (w, h) = (width / g, height / g);
    let orientation = match width.cmp(&height) {
        std::cmp::Ordering::Less => "vertical",
        std::cmp::Ordering::Equal => "square",
        std::cmp::Ordering::Greater => "horizontal",
    };
    if w <= 64 && h <= 64 {
        format!("{w}:{h}, {orientation}")
    } else {
        format!(
            "{:.2}:1, {orientation}",
            f64::from(width) / f64::from(height)
        )
    }
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn frame_rate(rate: Rational) -> String {
    if rate.den == 1 {
        format!("{} fps", rate.num)
    } else {
        format!("{:.3} fps ({}/{})", rate.value(), rate.num, rate.den).replace(".000 fps", " fps")
    }
}

fn codec_name(fourcc: &str) -> &str {
    match fourcc {
        "avc1" | "avc3" => "H.264",
        "hvc1" | "hev1" => "HEVC",
        "av01" => "AV1",
        "vp09" => "VP9",
        "mp4a" => "AAC",
        "Opus" => "Opus",
        other => other,
    }
}

fn audio_finding(level: &AudioLevel) -> Insight {
    let value = if level.audible {
        format!(
            "Audible: peak {:.1} dBFS, RMS {:.1} dBFS over {:.1} s",
            level.peak_dbfs.unwrap_or(f64::NEG_INFINITY),
            level.rms_dbfs.unwrap_or(f64::NEG_INFINITY),
            level.seconds_measured
        )
    } else {
        format!(
            "Silent: the audio track has no audible sound over {:.1} s; add music or a voice-over, \
             or remove the track",
            level.seconds_measured
        )
    };
    fact("audio", value, InsightSource::Measured)
}

fn frame_findings(keyframes: &[Keyframe]) -> Vec<Insight> {
    let mut out = Vec::new();
    let at = |k: &Keyframe| {
        vec![TimeRange {
            start: k.time,
            end: k.time,
        }]
    };
    for k in keyframes {
        let m = InsightSource::Measured;
        if k.brightness < DARK_BELOW {
            out.push(Insight {
                instances: at(k),
                ..fact(
                    "brightness",
                    format!(
                        "Too dark at {:.1} s (brightness {:.0} of 255): light the product",
                        k.time, k.brightness
                    ),
                    m,
                )
            });
        } else if k.brightness > BRIGHT_ABOVE {
            out.push(Insight {
                instances: at(k),
                ..fact(
                    "brightness",
                    format!(
                        "Washed out at {:.1} s (brightness {:.0} of 255): lower the exposure",
                        k.time, k.brightness
                    ),
                    m,
                )
            });
        }
        if k.sharpness < BLURRY_BELOW {
            out.push(Insight {
                instances: at(k),
                ..fact(
                    "blur",
                    format!(
                        "Blurry or flat at {:.1} s (sharpness {:.0}): refocus or hold the camera \
                         steady",
                        k.time, k.sharpness
                    ),
                    m,
                )
            });
        }
        if let Some(change) = k.change.filter(|c| *c > SCENE_CHANGE_ABOVE) {
            out.push(Insight {
                instances: at(k),
                ..fact(
                    "scene_change",
                    format!("New scene at {:.1} s (change {change:.0} of 255)", k.time),
                    m,
                )
            });
        }
    }
    out
}

fn channel_findings(channels: &[ChannelVerdict]) -> Vec<Insight> {
    let mut out = Vec::new();
    let mut fixes: Vec<(String, Vec<&str>)> = Vec::new();
    for verdict in channels {
        let word = match verdict.verdict {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        };
        let value = match verdict.findings.first() {
            None => format!("{}: {word}", verdict.name),
            Some(first) => format!("{}: {word}: {}", verdict.name, first.message),
        };
        out.push(fact("channel", value, InsightSource::Rules));
        for finding in &verdict.findings {
            match fixes.iter_mut().find(|(fix, _)| *fix == finding.fix) {
                Some((_, names)) => names.push(&verdict.name),
                None => fixes.push((finding.fix.clone(), vec![&verdict.name])),
            }
        }
    }
    for (fix, names) in fixes {
        out.push(fact(
            "recommendation",
            format!("{fix} (for {})", names.join(", ")),
            InsightSource::Rules,
        ));
    }
    out
}

#[cfg(test)]
#[path = "findings_tests.rs"]
mod tests;
