//! Two full video analyses for the store checks: one with everything an analysis can hold
//! (a model's review among it), one without a review or frames.

use crate::video::channels::fitness;
use crate::video::facts::{AudioTrack, Container, Rational, VideoFacts, VideoTrack};
use crate::video::insights::{
    AudioLevel, FramesOutcome, Insight, InsightSource, Keyframe, ReviewOutcome, TimeRange,
    VideoAnalysis,
};

/// A phone export whose `moov` is at the end, so at least one channel has a finding.
fn facts() -> VideoFacts {
    VideoFacts {
        container: Container::Mp4,
        major_brand: "isom".into(),
        file_size: 40_000_000,
        duration_seconds: 20.5,
        overall_bit_rate: Some(15_609_756),
        faststart: false,
        edit_lists: true,
        video: Some(VideoTrack {
            codec: "avc1".into(),
            codec_string: Some("avc1.640028".into()),
            profile: Some("High".into()),
            coded_width: 1080,
            coded_height: 1920,
            rotation: 90,
            display_width: 1920,
            display_height: 1080,
            frame_rate: Some(Rational {
                num: 30000,
                den: 1001,
            }),
            frames: 614,
            keyframe_times: vec![0.0, 2.002, 4.004],
            bit_rate: Some(15_400_000),
        }),
        audio: Some(AudioTrack {
            codec: "mp4a".into(),
            codec_string: Some("mp4a.40.2".into()),
            sample_rate: Some(48_000),
            channels: Some(2),
            bit_rate: Some(128_000),
        }),
    }
}

fn insight(kind: &str, value: &str, confidence: f64, source: InsightSource) -> Insight {
    Insight {
        kind: kind.into(),
        value: value.into(),
        confidence,
        source,
        instances: Vec::new(),
    }
}

/// Everything an analysis can hold: audio, decoded keyframes, channel verdicts with findings, a
/// model's review and insights from every source, some with time ranges.
pub(super) fn reviewed_analysis() -> VideoAnalysis {
    let facts = facts();
    let channels = fitness(&facts);
    assert!(channels.iter().any(|c| !c.findings.is_empty()));
    let mut scene = insight(
        "scene_change",
        "a new scene at 2 s",
        0.75,
        InsightSource::Measured,
    );
    scene.instances = vec![TimeRange {
        start: 2.002,
        end: 4.004,
    }];
    let mut shown = insight("shown", "a blue ceramic mug", 0.92, InsightSource::Ai);
    shown.instances = vec![
        TimeRange {
            start: 0.0,
            end: 2.002,
        },
        TimeRange {
            start: 4.004,
            end: 20.5,
        },
    ];
    VideoAnalysis {
        facts,
        audio: Some(AudioLevel {
            rms_dbfs: Some(-18.5),
            peak_dbfs: Some(-1.25),
            audible: true,
            seconds_measured: 20.5,
        }),
        frames: FramesOutcome::Decoded,
        keyframes: vec![
            Keyframe {
                time: 0.0,
                thumbnail: "demo/mug.mp4/0.jpg".into(),
                width: 320,
                height: 180,
                brightness: 118.5,
                sharpness: 240.25,
                change: None,
            },
            Keyframe {
                time: 2.002,
                thumbnail: "demo/mug.mp4/2002.jpg".into(),
                width: 320,
                height: 180,
                brightness: 96.75,
                sharpness: 180.125,
                change: Some(31.5),
            },
        ],
        channels,
        review: ReviewOutcome::Reviewed {
            model: "gpt-4o-mini".into(),
            input_tokens: 1_850,
            output_tokens: 240,
        },
        insights: vec![
            insight("duration", "20.5 s", 1.0, InsightSource::Container),
            insight(
                "audio",
                "audible, peaks at -1.25 dBFS",
                1.0,
                InsightSource::Measured,
            ),
            scene,
            insight(
                "channel",
                "Instagram Reels: warn",
                1.0,
                InsightSource::Rules,
            ),
            shown,
            insight(
                "hook",
                "opens on the product in hand — «fait main»",
                0.6,
                InsightSource::Ai,
            ),
        ],
    }
}

/// An analysis without a review or frames: a silent HEVC clip.
pub(super) fn unreviewed_analysis() -> VideoAnalysis {
    let mut facts = facts();
    if let Some(track) = facts.video.as_mut() {
        track.codec = "hvc1".into();
        track.codec_string = Some("hvc1.1.6.L93.90".into());
        track.profile = Some("Main".into());
    }
    let channels = fitness(&facts);
    VideoAnalysis {
        facts,
        audio: Some(AudioLevel {
            rms_dbfs: None,
            peak_dbfs: None,
            audible: false,
            seconds_measured: 20.5,
        }),
        frames: FramesOutcome::CannotDecode {
            codec: "hvc1".into(),
            reason: "HEVC frames cannot be decoded here; the facts are still right".into(),
        },
        keyframes: Vec::new(),
        channels,
        review: ReviewOutcome::NotReviewed {
            reason: "no frames to show a model".into(),
        },
        insights: vec![insight("audio", "silent", 1.0, InsightSource::Measured)],
    }
}
