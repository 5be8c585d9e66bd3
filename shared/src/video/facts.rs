//! The facts a video's container gives, read without its media data: the shape the container
//! reader fills and the channel rules, keyframes and insights read.

use serde::{Deserialize, Serialize};

/// An exact rate or ratio, as the container stores it (e.g. 30000/1001 frames a second).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rational {
    /// Numerator.
    pub num: u64,
    /// Denominator (never 0).
    pub den: u64,
}

impl Rational {
    /// Its value.
    pub fn value(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

/// The container family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Container {
    /// ISO base media with an `mp4`/`isom`/`avc1`… brand.
    Mp4,
    /// QuickTime (`qt  ` brand).
    Mov,
}

/// The video track's facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VideoTrack {
    /// The sample entry's four characters: `avc1`, `avc3`, `hvc1`, `hev1`, `av01`, `vp09`, …
    pub codec: String,
    /// The full codec string as browsers and WebCodecs name it, when the configuration box
    /// gives one: `avc1.640028`, `hvc1.1.6.L93.90`, `av01.0.08M.08`.
    pub codec_string: Option<String>,
    /// The H.264/HEVC profile's name (`High`, `Main`, `Main 10`…), when known.
    pub profile: Option<String>,
    /// Coded width in pixels.
    pub coded_width: u32,
    /// Coded height in pixels.
    pub coded_height: u32,
    /// Clockwise rotation the display matrix applies: 0, 90, 180 or 270.
    pub rotation: u16,
    /// Width as displayed (after rotation).
    pub display_width: u32,
    /// Height as displayed (after rotation).
    pub display_height: u32,
    /// Frames a second, exact: samples over the track's duration in its timescale.
    pub frame_rate: Option<Rational>,
    /// Number of frames (samples).
    pub frames: u64,
    /// Keyframe (sync sample) times in seconds from the start of the presentation, edit
    /// list applied.
    pub keyframe_times: Vec<f64>,
    /// Bits a second of the track's media, from its sample sizes.
    pub bit_rate: Option<u64>,
}

/// The audio track's facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AudioTrack {
    /// The sample entry's four characters: `mp4a`, `Opus`, `ac-3`, …
    pub codec: String,
    /// The full codec string, e.g. `mp4a.40.2` (AAC LC).
    pub codec_string: Option<String>,
    /// Samples a second, from the codec configuration (AudioSpecificConfig for AAC), not the
    /// sample entry, which often says 44100 or 48000 regardless.
    pub sample_rate: Option<u32>,
    /// Channels, from the codec configuration (a mono AAC stream's sample entry may say 2).
    pub channels: Option<u8>,
    /// Bits a second of the track's media, from its sample sizes.
    pub bit_rate: Option<u64>,
}

/// What a video's container says, read from its `ftyp` and `moov` only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VideoFacts {
    /// MP4 or MOV.
    pub container: Container,
    /// The `ftyp` major brand.
    pub major_brand: String,
    /// The file's size in bytes.
    pub file_size: u64,
    /// The presentation's duration in seconds (the movie header's, edit lists applied).
    pub duration_seconds: f64,
    /// Bits a second over the whole file (size × 8 ÷ duration).
    pub overall_bit_rate: Option<u64>,
    /// The `moov` box comes before `mdat`, so a player (or Instagram) can start before the
    /// whole file has arrived.
    pub faststart: bool,
    /// Some track carries an edit list (`edts`/`elst`) that does more than nothing.
    pub edit_lists: bool,
    /// The first video track, if any.
    pub video: Option<VideoTrack>,
    /// The first audio track, if any.
    pub audio: Option<AudioTrack>,
}
