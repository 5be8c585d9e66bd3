//! One rule's check against a video's facts, and what its finding says and suggests.

use super::words::{
    bound, bytes, codec_name, container_name, human_seconds, mbps, number, ratio_name,
};
use super::{Check, Finding, Rule, Severity};
use crate::video::facts::{AudioTrack, Container, VideoFacts, VideoTrack};

/// How far (relative) a ratio may be from a recommended one and still count as it: 1080×1920
/// is exactly 9:16, but encoders round odd sizes (e.g. 1078×1920) to even pixels.
pub(super) const RATIO_TOLERANCE: f64 = 0.01;

/// A broken rule, or a fact the rule needs that the container did not give.
#[derive(Debug)]
pub(super) struct Found {
    message: String,
    fix: String,
    /// The fact was unknown: always a warning, never a silent pass.
    unknown: bool,
}

impl Found {
    fn broken(message: String, fix: impl Into<String>) -> Option<Self> {
        Some(Self {
            message,
            fix: fix.into(),
            unknown: false,
        })
    }

    fn unknown(message: String, fix: impl Into<String>) -> Option<Self> {
        Some(Self {
            message,
            fix: fix.into(),
            unknown: true,
        })
    }

    /// The finding for `rule`, with its consequence, fix and source.
    pub(super) fn into_finding(self, rule: &Rule) -> Finding {
        let (severity, message, fix) = if self.unknown {
            (Severity::Warn, self.message, self.fix)
        } else {
            let message = match &rule.consequence {
                Some(consequence) => format!("{}, so {consequence}", self.message),
                None => self.message,
            };
            (rule.severity, message, rule.fix.clone().unwrap_or(self.fix))
        };
        Finding {
            rule: rule.id.clone(),
            severity,
            message,
            fix,
            source: rule.sources.first().map(|source| source.url.clone()),
        }
    }
}

/// Compares one rule's check with the facts; `None` when the video meets it (or when the check
/// is about a track the video does not have: a missing video track is its own finding, and no
/// channel here requires audio).
pub(super) fn evaluate(rule: &Rule, facts: &VideoFacts, channel: &str) -> Option<Found> {
    match &rule.check {
        Check::Container { allowed } => container(allowed, facts.container, channel),
        Check::Duration {
            min_seconds,
            max_seconds,
        } => {
            // A warning's limit is not the channel's own limit (TikTok's 3 minutes for every
            // account, Shorts' 1 minute for claimed music), so it is not worded as one.
            let limit_of = (rule.severity == Severity::Fail).then_some(channel);
            duration(*min_seconds, *max_seconds, facts.duration_seconds, limit_of)
        }
        Check::FileSize { max_bytes } => (facts.file_size > *max_bytes).then(|| Found {
            message: format!(
                "the file is {}; {channel} takes at most {}",
                bytes(facts.file_size),
                bytes(*max_bytes)
            ),
            fix: format!(
                "re-encode at a lower bit rate (or trim it) to get under {}",
                bytes(*max_bytes)
            ),
            unknown: false,
        }),
        Check::Faststart => (!facts.faststart).then(|| Found {
            message: "the moov atom (the file's index) is at the end, not the front: the file is not faststart".into(),
            fix: "move the moov atom to the front without re-encoding (ffmpeg -i in.mp4 -c copy -movflags +faststart out.mp4)".into(),
            unknown: false,
        }),
        Check::NoEditLists => facts.edit_lists.then(|| Found {
            message: format!("the file carries an edit list (edts/elst), which {channel} does not allow"),
            fix: "remove the edit list: re-mux (ffmpeg -i in.mp4 -c copy -use_editlist 0 -movflags +faststart out.mp4), or re-encode".into(),
            unknown: false,
        }),
        check @ (Check::AudioCodec { .. }
        | Check::AudioSampleRate { .. }
        | Check::AudioChannels { .. }) => facts
            .audio
            .as_ref()
            .and_then(|audio| evaluate_audio(check, audio, channel)),
        check @ (Check::VideoCodec { .. }
        | Check::AspectRatio { .. }
        | Check::RecommendedAspectRatio { .. }
        | Check::ShortestSide { .. }
        | Check::LongestSide { .. }
        | Check::Width { .. }
        | Check::VideoBitRate { .. }
        | Check::FrameRate { .. }) => facts
            .video
            .as_ref()
            .and_then(|video| evaluate_video(check, video, channel)),
    }
}

fn container(allowed: &[Container], container: Container, channel: &str) -> Option<Found> {
    if allowed.contains(&container) {
        return None;
    }
    let names: Vec<&str> = allowed.iter().map(|c| container_name(*c)).collect();
    Found::broken(
        format!(
            "the file is {}; {channel} takes {}",
            container_name(container),
            names.join(" or ")
        ),
        "re-mux into MP4 without re-encoding (ffmpeg -i in.mov -c copy -movflags +faststart out.mp4)",
    )
}

fn duration(
    min: Option<f64>,
    max: Option<f64>,
    seconds: f64,
    limit_of: Option<&str>,
) -> Option<Found> {
    let limit = |value: f64, verb: &str| match limit_of {
        Some(channel) => format!("the {} {channel} {verb}", human_seconds(value)),
        None => human_seconds(value),
    };
    if let Some(max) = max.filter(|max| seconds > *max) {
        return Found::broken(
            format!(
                "the video runs {}, over {}",
                human_seconds(seconds),
                limit(max, "allows")
            ),
            format!("trim it to {} or less", human_seconds(max)),
        );
    }
    let min = min.filter(|min| seconds < *min)?;
    Found::broken(
        format!(
            "the video runs {}, under {}",
            human_seconds(seconds),
            limit(min, "needs")
        ),
        format!("make it at least {} long", human_seconds(min)),
    )
}

fn evaluate_audio(check: &Check, audio: &AudioTrack, channel: &str) -> Option<Found> {
    match check {
        Check::AudioCodec { allowed, names } => {
            let kind = audio_kind(audio);
            (!allowed.iter().any(|a| a == kind)).then(|| Found {
                message: format!("the audio is {}; {channel} takes {names}", codec_name(kind)),
                fix: "re-encode the audio to AAC (ffmpeg -i in.mp4 -c:v copy -c:a aac out.mp4)"
                    .into(),
                unknown: false,
            })
        }
        Check::AudioSampleRate { max_hz } => match audio.sample_rate {
            None => Found::unknown(
                "the audio's sample rate could not be read, so it was not checked".into(),
                format!("make sure the audio is {} kHz or less", *max_hz / 1000),
            ),
            Some(rate) => (rate > *max_hz).then(|| Found {
                message: format!(
                    "the audio samples at {rate} Hz; {channel} takes at most {max_hz} Hz"
                ),
                fix: format!(
                    "resample the audio (ffmpeg -i in.mp4 -c:v copy -ar {max_hz} out.mp4)"
                ),
                unknown: false,
            }),
        },
        Check::AudioChannels { min, max } => match audio.channels {
            None => Found::unknown(
                "the audio's channel count could not be read, so it was not checked".into(),
                format!("make sure the audio has {min} to {max} channels"),
            ),
            Some(n) => (n < *min || n > *max).then(|| Found {
                message: format!("the audio has {n} channels; {channel} takes {min} to {max}"),
                fix: format!("mix the audio down (ffmpeg -i in.mp4 -c:v copy -ac {max} out.mp4)"),
                unknown: false,
            }),
        },
        // Not audio checks: `evaluate` never routes them here. Listed, not `_`, so a new
        // check cannot pass unnoticed.
        Check::Container { .. }
        | Check::VideoCodec { .. }
        | Check::AspectRatio { .. }
        | Check::RecommendedAspectRatio { .. }
        | Check::Duration { .. }
        | Check::ShortestSide { .. }
        | Check::LongestSide { .. }
        | Check::Width { .. }
        | Check::VideoBitRate { .. }
        | Check::FrameRate { .. }
        | Check::FileSize { .. }
        | Check::Faststart
        | Check::NoEditLists => None,
    }
}

fn evaluate_video(check: &Check, video: &VideoTrack, channel: &str) -> Option<Found> {
    let (w, h) = (video.display_width, video.display_height);
    match check {
        Check::VideoCodec { allowed, names } => {
            (!allowed.contains(&video.codec)).then(|| Found {
                message: format!(
                    "the video is {}; {channel} takes {names}",
                    codec_name(&video.codec)
                ),
                fix: "re-encode to H.264 (ffmpeg -i in.mp4 -c:v libx264 -c:a copy -movflags +faststart out.mp4)".into(),
                unknown: false,
            })
        }
        Check::FrameRate { min, max } => frame_rate(video, *min, *max, channel),
        Check::VideoBitRate { max_bps } => match video.bit_rate {
            None => Found::unknown(
                "the video's bit rate could not be read, so it was not checked".into(),
                format!("make sure the video is under {}", mbps(*max_bps)),
            ),
            Some(bps) => (bps > *max_bps).then(|| Found {
                message: format!(
                    "the video averages {}; {channel} takes at most {}",
                    mbps(bps),
                    mbps(*max_bps)
                ),
                fix: format!(
                    "re-encode at a lower bit rate (ffmpeg -i in.mp4 -c:v libx264 -maxrate {}M -bufsize {}M -c:a copy out.mp4)",
                    max_bps / 1_000_000 * 4 / 5,
                    max_bps / 1_000_000
                ),
                unknown: false,
            }),
        },
        Check::Width { max } => (w > *max).then(|| Found {
            message: format!("the video is {w} px wide; {channel} takes at most {max} px"),
            fix: format!("scale it down to at most {max} px wide (e.g. 1080×1920)"),
            unknown: false,
        }),
        Check::ShortestSide { min, max } => side("shorter", w.min(h), *min, *max, channel),
        Check::LongestSide { min, max } => side("longer", w.max(h), *min, *max, channel),
        Check::AspectRatio { min, max } => aspect_range(w, h, *min, *max, channel),
        Check::RecommendedAspectRatio { width, height } => {
            recommended_aspect(w, h, *width, *height)
        }
        // Whole-file and audio checks: `evaluate` never routes them here.
        Check::Container { .. }
        | Check::Duration { .. }
        | Check::FileSize { .. }
        | Check::Faststart
        | Check::NoEditLists
        | Check::AudioCodec { .. }
        | Check::AudioSampleRate { .. }
        | Check::AudioChannels { .. } => None,
    }
}

fn frame_rate(video: &VideoTrack, min: f64, max: f64, channel: &str) -> Option<Found> {
    let Some(rate) = video.frame_rate.map(|r| r.value()) else {
        return Found::unknown(
            "the frame rate could not be read, so it was not checked".into(),
            format!(
                "make sure it runs at {} to {} fps",
                number(min),
                number(max)
            ),
        );
    };
    if (min..=max).contains(&rate) {
        return None;
    }
    Found::broken(
        format!(
            "the video runs at {} fps; {channel} takes {} to {} fps",
            number(rate),
            number(min),
            number(max)
        ),
        "re-encode at 30 fps (ffmpeg -i in.mp4 -r 30 -c:v libx264 -c:a copy out.mp4)",
    )
}

fn side(which: &str, px: u32, min: Option<u32>, max: Option<u32>, ch: &str) -> Option<Found> {
    if let Some(max) = max.filter(|max| px > *max) {
        return Found::broken(
            format!("the {which} side is {px} px; {ch} takes at most {max} px"),
            format!("scale it down so the {which} side is {max} px or less"),
        );
    }
    let min = min.filter(|min| px < *min)?;
    Found::broken(
        format!("the {which} side is {px} px; {ch} needs at least {min} px"),
        format!(
            "export at a higher resolution, at least {min} px on the {which} side (1080×1920 is best)"
        ),
    )
}

fn aspect_range(w: u32, h: u32, min: Option<f64>, max: Option<f64>, ch: &str) -> Option<Found> {
    if h == 0 || w == 0 {
        return Found::unknown(
            "the picture size could not be read, so the aspect ratio was not checked".into(),
            "check the video's width and height",
        );
    }
    let ratio = f64::from(w) / f64::from(h);
    if let Some(max) = max.filter(|max| ratio > *max) {
        return Found::broken(
            format!(
                "this video is {}, wider than the {} {ch} takes",
                ratio_name(w, h),
                bound(max)
            ),
            format!("crop it to {} or narrower", bound(max)),
        );
    }
    let min = min.filter(|min| ratio < *min)?;
    Found::broken(
        format!(
            "this video is {}, narrower than the {} {ch} takes",
            ratio_name(w, h),
            bound(min)
        ),
        format!("crop it to {} or wider", bound(min)),
    )
}

fn recommended_aspect(w: u32, h: u32, rw: u32, rh: u32) -> Option<Found> {
    if h == 0 || w == 0 || rh == 0 {
        return Found::unknown(
            "the picture size could not be read, so the aspect ratio was not checked".into(),
            format!("make sure the video is {rw}:{rh}"),
        );
    }
    let (ratio, wanted) = (f64::from(w) / f64::from(h), f64::from(rw) / f64::from(rh));
    if ((ratio - wanted) / wanted).abs() <= RATIO_TOLERANCE {
        return None;
    }
    Found::broken(
        format!("{rw}:{rh} recommended; this video is {}", ratio_name(w, h)),
        format!("crop to {rw}:{rh}"),
    )
}

/// The audio codec as the rules name it: `mp4a` carrying MP3 (object type 0x69/0x6B) is `mp3`.
fn audio_kind(audio: &AudioTrack) -> &str {
    let mp3 = audio.codec_string.as_deref().is_some_and(|s| {
        let s = s.to_ascii_lowercase();
        s == "mp4a.69" || s == "mp4a.6b"
    });
    if audio.codec == "mp4a" && mp3 {
        "mp3"
    } else {
        &audio.codec
    }
}
