//! What an analysis of one video found, in the shape apps read and the store keeps: a list of
//! insights (type, value, confidence, time ranges) beside the keyframes and channel verdicts,
//! the way Azure AI Video Indexer reports its own. A richer producer can fill the same shape.

use serde::{Deserialize, Serialize};

use super::channels::ChannelVerdict;
use super::facts::VideoFacts;

/// Everything one analysis of a video produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VideoAnalysis {
    /// What the container says.
    pub facts: VideoFacts,
    /// How loud the audio track is, when there is one and it could be decoded.
    pub audio: Option<AudioLevel>,
    /// Whether keyframes were decoded, and if not, why.
    pub frames: FramesOutcome,
    /// The decoded keyframes, in time order, each with its thumbnail.
    pub keyframes: Vec<Keyframe>,
    /// Each channel's verdict.
    pub channels: Vec<ChannelVerdict>,
    /// Whether an AI model reviewed the video, and if not, why.
    pub review: ReviewOutcome,
    /// The findings, technical, rule-based and (when reviewed) the model's.
    pub insights: Vec<Insight>,
}

/// How loud an audio track is, measured over its decoded samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AudioLevel {
    /// Root mean square level in dB relative to full scale (`-inf` is written as `null`).
    pub rms_dbfs: Option<f64>,
    /// Highest sample level in dB relative to full scale.
    pub peak_dbfs: Option<f64>,
    /// Whether anyone would hear it: peak above the silence threshold.
    pub audible: bool,
    /// Seconds of audio measured (the whole track, or spread windows of a long one).
    pub seconds_measured: f64,
}

/// Whether keyframes were decoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FramesOutcome {
    /// The keyframes listed were decoded.
    Decoded,
    /// This codec cannot be decoded here; the facts are still right.
    CannotDecode {
        /// The codec (`hvc1`, `av01`…).
        codec: String,
        /// What to expect instead.
        reason: String,
    },
    /// There is no video track.
    NoVideo,
    /// Decoding was tried and failed.
    Failed {
        /// Why.
        reason: String,
    },
}

/// One decoded keyframe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Keyframe {
    /// Seconds from the start.
    pub time: f64,
    /// The JPEG thumbnail's blob name in the `video-frames` container.
    pub thumbnail: String,
    /// The thumbnail's width in pixels (as displayed, rotation applied).
    pub width: u32,
    /// The thumbnail's height in pixels.
    pub height: u32,
    /// Mean luma, 0 (black) to 255 (white).
    pub brightness: f64,
    /// Variance of the Laplacian of the luma at a fixed size: low means blurry.
    pub sharpness: f64,
    /// Mean absolute luma difference from the previous keyframe, 0 to 255 (`None` for the
    /// first): high means a new scene.
    pub change: Option<f64>,
}

/// Whether an AI model reviewed the video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// A model reviewed the keyframes and facts; its findings are among the insights
    /// (`source: ai`).
    Reviewed {
        /// The model that answered.
        model: String,
        /// Tokens the request took.
        input_tokens: u64,
        /// Tokens the answer took.
        output_tokens: u64,
    },
    /// No model reviewed it: only technical and rule-based insights were produced.
    NotReviewed {
        /// Why (no provider configured, no frames to show, the budget is spent, the answer
        /// failed its checks…).
        reason: String,
    },
}

/// One finding about the video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Insight {
    /// What it is about: `duration`, `resolution`, `audio`, `brightness`, `blur`,
    /// `scene_change`, `channel`, `shown`, `product_visibility`, `hook`, `caption`, `hashtags`,
    /// `concern`, `recommendation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The finding in words.
    pub value: String,
    /// 0 to 1; measured facts are 1.
    pub confidence: f64,
    /// Who found it.
    pub source: InsightSource,
    /// Where in the video it holds (empty: the whole video).
    pub instances: Vec<TimeRange>,
}

/// Who produced an insight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InsightSource {
    /// Read from the container.
    Container,
    /// Measured on decoded audio or frames.
    Measured,
    /// Rules (channel fitness, thresholds).
    Rules,
    /// The AI model's review.
    Ai,
}

/// A stretch of the video, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TimeRange {
    /// Where it starts.
    pub start: f64,
    /// Where it ends.
    pub end: f64,
}
