//! Channel fitness: would Shopify, Instagram Reels, TikTok and YouTube Shorts take this video,
//! and if not, what should the merchant change?
//!
//! The rules are data (`channels.json`, compiled in), each with the sources its limit comes
//! from, so a changed platform limit is a one-line edit with its new source beside it. This
//! module only reads the rules and compares them with a video's [`VideoFacts`].

use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::facts::{Container, VideoFacts};

#[path = "channels_checks.rs"]
mod checks;
#[path = "channels_words.rs"]
mod words;

/// The rule table as written in `channels.json`.
const TABLE_JSON: &str = include_str!("channels.json");

/// The parsed rule table, read once.
#[allow(
    clippy::expect_used,
    reason = "the table is compiled in and a unit test proves it parses, so a failure here is a build defect, not a runtime condition"
)]
static TABLE: LazyLock<RuleTable> =
    LazyLock::new(|| serde_json::from_str(TABLE_JSON).expect("channels.json parses"));

/// Every channel's rules, in the order verdicts are given.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleTable {
    /// What the table is and how to read it (a comment kept in the data).
    #[serde(rename = "_about")]
    pub about: String,
    /// The channels.
    pub channels: Vec<Channel>,
}

/// A sales channel and the rules a video must meet to be posted there.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// Stable identifier: `shopify`, `instagram_reels`, `tiktok`, `youtube_shorts`.
    pub id: String,
    /// The name a merchant knows it by.
    pub name: String,
    /// Its rules.
    pub rules: Vec<Rule>,
}

/// One platform limit or recommendation.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Identifier within its channel (`file_size`, `faststart`…), shown with each finding.
    pub id: String,
    /// What it compares.
    pub check: Check,
    /// How bad breaking it is.
    pub severity: Severity,
    /// What happens when it is broken, when that is not simply "refused" (e.g. "it will not
    /// count as a Short"); appended to the finding's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consequence: Option<String>,
    /// A fix worded for this rule, replacing the check's generic one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Why the rule has its value or severity, where the sources leave room for doubt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Where the limit comes from (at least one).
    pub sources: Vec<Source>,
}

/// A published statement a rule rests on.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The page.
    pub url: String,
    /// What it says, in short.
    pub says: String,
    /// When it was last read.
    pub checked: NaiveDate,
}

/// What a rule compares. Sizes are display pixels (after rotation), aspect ratios are
/// display width ÷ height.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Check {
    /// The container is one of these.
    Container {
        /// Accepted containers.
        allowed: Vec<Container>,
    },
    /// The video track's sample entry is one of these four-character codes.
    VideoCodec {
        /// Accepted sample entries (`avc1`, `hvc1`…).
        allowed: Vec<String>,
        /// The accepted codecs as a merchant names them ("H.264 or HEVC").
        names: String,
    },
    /// The audio track, when there is one, is one of these codecs.
    AudioCodec {
        /// Accepted sample entries (`mp4a` is AAC; MP3 in MP4 is reported as `mp3`).
        allowed: Vec<String>,
        /// The accepted codecs as a merchant names them.
        names: String,
    },
    /// Width ÷ height lies within these bounds.
    AspectRatio {
        /// Narrowest accepted ratio.
        #[serde(default)]
        min: Option<f64>,
        /// Widest accepted ratio.
        #[serde(default)]
        max: Option<f64>,
    },
    /// Width ÷ height is this ratio (within 1 %).
    RecommendedAspectRatio {
        /// Ratio width part (9 of 9:16).
        width: u32,
        /// Ratio height part (16 of 9:16).
        height: u32,
    },
    /// The duration lies within these bounds, in seconds.
    Duration {
        /// Shortest accepted.
        #[serde(default)]
        min_seconds: Option<f64>,
        /// Longest accepted.
        #[serde(default)]
        max_seconds: Option<f64>,
    },
    /// The shorter of width and height lies within these bounds.
    ShortestSide {
        /// Fewest pixels.
        #[serde(default)]
        min: Option<u32>,
        /// Most pixels.
        #[serde(default)]
        max: Option<u32>,
    },
    /// The longer of width and height lies within these bounds.
    LongestSide {
        /// Fewest pixels.
        #[serde(default)]
        min: Option<u32>,
        /// Most pixels.
        #[serde(default)]
        max: Option<u32>,
    },
    /// The display width is at most this many pixels.
    Width {
        /// Most pixels.
        max: u32,
    },
    /// The video track's average bit rate is at most this.
    VideoBitRate {
        /// Most bits a second.
        max_bps: u64,
    },
    /// Frames a second lie within these bounds.
    FrameRate {
        /// Fewest.
        min: f64,
        /// Most.
        max: f64,
    },
    /// The file is at most this many bytes.
    FileSize {
        /// Most bytes (decimal units: 1 GB = 10⁹).
        max_bytes: u64,
    },
    /// The `moov` box comes before the media data.
    Faststart,
    /// No track carries an edit list that does more than nothing.
    NoEditLists,
    /// The audio track, when there is one, samples at most this often.
    AudioSampleRate {
        /// Most samples a second.
        max_hz: u32,
    },
    /// The audio track, when there is one, has this many channels.
    AudioChannels {
        /// Fewest.
        min: u8,
        /// Most.
        max: u8,
    },
}

/// How bad a broken rule is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A recommendation, or something the platform re-processes or a merchant should check.
    Warn,
    /// A hard limit: the platform refuses it (or it is not that kind of post).
    Fail,
}

/// A channel's overall answer: the worst of its findings.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Nothing to change.
    Pass,
    /// It will go up, but something is worth changing.
    Warn,
    /// The channel will not take it as it is.
    Fail,
}

impl From<Severity> for Verdict {
    fn from(severity: Severity) -> Self {
        match severity {
            Severity::Warn => Verdict::Warn,
            Severity::Fail => Verdict::Fail,
        }
    }
}

/// One reason a channel would not take the video as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    /// The rule's id (`video_track` when the file has no video at all).
    pub rule: String,
    /// How bad it is (an unknown fact is always a warning).
    pub severity: Severity,
    /// What is wrong, with the numbers, for a merchant.
    pub message: String,
    /// What to change.
    pub fix: String,
    /// Where the rule comes from (its first source), when it comes from the table.
    pub source: Option<String>,
}

/// Whether one channel would take the video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChannelVerdict {
    /// The channel's id (`instagram_reels`…).
    pub channel: String,
    /// The channel's name.
    pub name: String,
    /// The worst of the findings; `pass` when there are none.
    pub verdict: Verdict,
    /// Every broken rule and every fact that could not be checked.
    pub findings: Vec<Finding>,
}

/// The rule table, with its sources (e.g. to show why a verdict was given).
pub fn rule_table() -> &'static RuleTable {
    &TABLE
}

/// Judges a video against every channel's rules.
pub fn fitness(facts: &VideoFacts) -> Vec<ChannelVerdict> {
    TABLE
        .channels
        .iter()
        .map(|channel| judge(channel, facts))
        .collect()
}

fn judge(channel: &Channel, facts: &VideoFacts) -> ChannelVerdict {
    let mut findings = Vec::new();
    if facts.video.is_none() {
        findings.push(Finding {
            rule: "video_track".into(),
            severity: Severity::Fail,
            message: format!(
                "this file has no video track, so {} has no picture to show",
                channel.name
            ),
            fix: "export the video again with its picture (an MP4 with H.264 video)".into(),
            source: None,
        });
    }
    for rule in &channel.rules {
        if let Some(found) = checks::evaluate(rule, facts, &channel.name) {
            findings.push(found.into_finding(rule));
        }
    }
    let verdict = findings
        .iter()
        .map(|finding| Verdict::from(finding.severity))
        .max()
        .unwrap_or(Verdict::Pass);
    ChannelVerdict {
        channel: channel.id.clone(),
        name: channel.name.clone(),
        verdict,
        findings,
    }
}

#[cfg(test)]
#[path = "channels_tests.rs"]
mod tests;
