//! The words and thresholds of the technical and rule-based insights.

use super::*;
use crate::video::channels::fitness;
use crate::video::facts::{AudioTrack, Container, VideoTrack};

fn vertical(faststart: bool, rate: Rational) -> VideoFacts {
    VideoFacts {
        container: Container::Mp4,
        major_brand: "isom".into(),
        file_size: 150_000,
        duration_seconds: 3.0,
        overall_bit_rate: Some(400_000),
        faststart,
        edit_lists: false,
        video: Some(VideoTrack {
            codec: "avc1".into(),
            codec_string: Some("avc1.640028".into()),
            profile: Some("High".into()),
            coded_width: 1080,
            coded_height: 1920,
            rotation: 0,
            display_width: 1080,
            display_height: 1920,
            frame_rate: Some(rate),
            frames: 90,
            keyframe_times: vec![0.0, 1.0, 2.0],
            bit_rate: Some(380_000),
        }),
        audio: Some(AudioTrack {
            codec: "mp4a".into(),
            codec_string: Some("mp4a.40.2".into()),
            sample_rate: Some(48_000),
            channels: Some(1),
            bit_rate: Some(24_000),
        }),
    }
}

fn values(insights: &[Insight], kind: &str) -> Vec<String> {
    insights
        .iter()
        .filter(|i| i.kind == kind)
        .map(|i| i.value.clone())
        .collect()
}

#[test]
fn container_facts_read_as_a_merchant_would_say_them() {
    let thirty = Rational { num: 30, den: 1 };
    let insights = findings(&vertical(true, thirty), None, &[], &[]);
    let summary: Vec<(&str, &str)> = insights
        .iter()
        .map(|i| (i.kind.as_str(), i.value.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("duration", "3.00 s"),
            ("resolution", "1080×1920 (9:16, vertical)"),
            ("frame_rate", "30 fps"),
            ("video_codec", "H.264 High (avc1.640028)"),
            ("audio_track", "AAC 48 kHz mono"),
        ]
    );
    assert!(
        insights
            .iter()
            .all(|i| i.confidence == 1.0 && i.source == InsightSource::Container)
    );
    let ntsc = vertical(
        false,
        Rational {
            num: 30000,
            den: 1001,
        },
    );
    let insights = findings(&ntsc, None, &[], &[]);
    assert_eq!(
        values(&insights, "frame_rate"),
        vec!["29.970 fps (30000/1001)"]
    );
    assert_eq!(values(&insights, "faststart").len(), 1);
}

#[test]
fn audio_is_said_audible_with_its_levels_or_silent_with_what_to_do() {
    let facts = vertical(true, Rational { num: 30, den: 1 });
    let loud = AudioLevel {
        rms_dbfs: Some(-21.07),
        peak_dbfs: Some(-18.06),
        audible: true,
        seconds_measured: 3.0,
    };
    let insights = findings(&facts, Some(&loud), &[], &[]);
    assert_eq!(
        values(&insights, "audio"),
        vec!["Audible: peak -18.1 dBFS, RMS -21.1 dBFS over 3.0 s"]
    );
    let silent = AudioLevel {
        rms_dbfs: None,
        peak_dbfs: None,
        audible: false,
        seconds_measured: 3.0,
    };
    let insights = findings(&facts, Some(&silent), &[], &[]);
    assert!(values(&insights, "audio")[0].starts_with("Silent: the audio track has no audible"));
}

#[test]
fn dark_washed_out_blurry_frames_and_scene_changes_are_found_at_their_times() {
    let frame = |time: f64, brightness: f64, sharpness: f64, change: Option<f64>| Keyframe {
        time,
        thumbnail: format!("t/{time}.jpg"),
        width: 270,
        height: 480,
        brightness,
        sharpness,
        change,
    };
    let frames = [
        frame(0.0, 16.0, 0.0, None),
        frame(1.0, 235.0, 900.0, Some(219.0)),
        frame(2.0, 120.0, 400.0, Some(12.0)),
    ];
    let facts = vertical(true, Rational { num: 30, den: 1 });
    let insights = findings(&facts, None, &frames, &[]);
    let measured: Vec<(&str, f64)> = insights
        .iter()
        .filter(|i| i.source == InsightSource::Measured)
        .map(|i| (i.kind.as_str(), i.instances[0].start))
        .collect();
    assert_eq!(
        measured,
        vec![
            ("brightness", 0.0),
            ("blur", 0.0),
            ("brightness", 1.0),
            ("scene_change", 1.0)
        ]
    );
    assert!(values(&insights, "brightness")[0].starts_with("Too dark at 0.0 s (brightness 16"));
    assert!(values(&insights, "brightness")[1].starts_with("Washed out at 1.0 s"));
}

#[test]
fn channel_verdicts_become_one_line_each_and_shared_fixes_are_said_once() {
    let mut facts = vertical(false, Rational { num: 30, den: 1 });
    facts.duration_seconds = 200.0;
    let verdicts = fitness(&facts);
    let insights = findings(&facts, None, &[], &verdicts);
    let channels = values(&insights, "channel");
    assert_eq!(channels.len(), verdicts.len());
    assert!(
        channels
            .iter()
            .any(|c| c.starts_with("YouTube Shorts: fail")),
        "{channels:?}"
    );
    let recommendations = values(&insights, "recommendation");
    let mut unique = recommendations.clone();
    unique.dedup();
    assert_eq!(unique, recommendations, "each fix once");
    assert!(
        recommendations
            .iter()
            .any(|r| r.contains("Instagram Reels")),
        "{recommendations:?}"
    );
}
