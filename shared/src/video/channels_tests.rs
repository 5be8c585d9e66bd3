use super::*;
use crate::video::facts::{AudioTrack, Rational, VideoTrack};

/// A 1080×1920 H.264 High / AAC stereo 48 kHz, 30 fps, 20 s faststart clip of 40 MB with no
/// edit list: what a merchant's phone export after `-movflags +faststart` looks like.
fn vertical_clip() -> VideoFacts {
    VideoFacts {
        container: Container::Mp4,
        major_brand: "isom".into(),
        file_size: 40_000_000,
        duration_seconds: 20.0,
        overall_bit_rate: Some(16_000_000),
        faststart: true,
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
            frame_rate: Some(Rational { num: 30, den: 1 }),
            frames: 600,
            keyframe_times: vec![0.0, 1.0, 2.0],
            bit_rate: Some(15_800_000),
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

fn video(facts: &mut VideoFacts) -> &mut VideoTrack {
    facts.video.as_mut().expect("the clip has video")
}

fn verdict_for<'a>(verdicts: &'a [ChannelVerdict], channel: &str) -> &'a ChannelVerdict {
    verdicts
        .iter()
        .find(|v| v.channel == channel)
        .unwrap_or_else(|| panic!("no verdict for {channel}"))
}

fn finding<'a>(verdict: &'a ChannelVerdict, rule: &str) -> &'a Finding {
    verdict
        .findings
        .iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| panic!("{} has no {rule} finding: {:?}", verdict.channel, verdict))
}

fn rules_of(verdict: &ChannelVerdict) -> Vec<&str> {
    verdict.findings.iter().map(|f| f.rule.as_str()).collect()
}

#[test]
fn table_parses_and_every_rule_has_a_dated_source() {
    let table: RuleTable = serde_json::from_str(TABLE_JSON).expect("channels.json parses");
    let ids: Vec<&str> = table.channels.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        ["shopify", "instagram_reels", "tiktok", "youtube_shorts"]
    );
    for channel in &table.channels {
        assert!(!channel.rules.is_empty(), "{} has no rules", channel.id);
        for rule in &channel.rules {
            assert!(
                !rule.sources.is_empty(),
                "{}/{} has no source",
                channel.id,
                rule.id
            );
            for source in &rule.sources {
                assert!(source.url.starts_with("https://"), "{}", source.url);
                assert!(!source.says.trim().is_empty(), "{}/{}", channel.id, rule.id);
            }
        }
        let mut rule_ids: Vec<&str> = channel.rules.iter().map(|r| r.id.as_str()).collect();
        rule_ids.sort_unstable();
        rule_ids.dedup();
        assert_eq!(
            rule_ids.len(),
            channel.rules.len(),
            "{} repeats a rule id",
            channel.id
        );
    }
}

#[test]
fn a_vertical_h264_faststart_clip_passes_reels_tiktok_and_shorts() {
    let verdicts = fitness(&vertical_clip());
    assert_eq!(verdicts.len(), 4);
    for channel in ["shopify", "instagram_reels", "tiktok", "youtube_shorts"] {
        let v = verdict_for(&verdicts, channel);
        assert_eq!(v.verdict, Verdict::Pass, "{channel}: {:?}", v.findings);
        assert!(v.findings.is_empty());
    }
}

#[test]
fn moov_at_the_end_warns_for_instagram_naming_faststart() {
    let mut facts = vertical_clip();
    facts.faststart = false;
    let verdicts = fitness(&facts);
    let reels = verdict_for(&verdicts, "instagram_reels");
    assert_eq!(reels.verdict, Verdict::Warn);
    assert_eq!(rules_of(reels), ["faststart"]);
    let found = finding(reels, "faststart");
    assert!(found.message.contains("faststart"), "{}", found.message);
    assert!(found.fix.contains("-movflags +faststart"), "{}", found.fix);
    assert_eq!(verdict_for(&verdicts, "tiktok").verdict, Verdict::Pass);
}

#[test]
fn an_edit_list_warns_for_reels_only() {
    let mut facts = vertical_clip();
    facts.edit_lists = true;
    let verdicts = fitness(&facts);
    let reels = verdict_for(&verdicts, "instagram_reels");
    assert_eq!(reels.verdict, Verdict::Warn);
    let found = finding(reels, "edit_lists");
    assert!(found.message.contains("edit list"), "{}", found.message);
    assert!(found.fix.contains("-use_editlist 0"), "{}", found.fix);
    for other in ["shopify", "tiktok", "youtube_shorts"] {
        assert_eq!(verdict_for(&verdicts, other).verdict, Verdict::Pass);
    }
}

#[test]
fn a_landscape_video_is_not_a_short_and_is_told_to_crop_to_9_16() {
    let mut facts = vertical_clip();
    let v = video(&mut facts);
    (v.display_width, v.display_height) = (1920, 1080);
    let verdicts = fitness(&facts);
    let shorts = verdict_for(&verdicts, "youtube_shorts");
    assert_eq!(shorts.verdict, Verdict::Fail);
    let found = finding(shorts, "aspect_ratio");
    assert_eq!(found.severity, Severity::Fail);
    assert!(found.message.contains("16:9"), "{}", found.message);
    assert!(
        found.message.contains("will not count as a Short"),
        "{}",
        found.message
    );
    assert!(found.fix.contains("crop to 9:16"), "{}", found.fix);
    let reels = verdict_for(&verdicts, "instagram_reels");
    assert_eq!(reels.verdict, Verdict::Warn, "16:9 is inside 0.01:1–10:1");
    let recommended = finding(reels, "recommended_aspect_ratio");
    assert!(
        recommended
            .message
            .starts_with("9:16 recommended; this video is 16:9"),
        "{}",
        recommended.message
    );
}

#[test]
fn the_rotation_is_already_applied_so_display_size_decides() {
    // A phone records 1920×1080 coded with a 90° matrix: it shows as 1080×1920.
    let mut facts = vertical_clip();
    let v = video(&mut facts);
    (v.coded_width, v.coded_height, v.rotation) = (1920, 1080, 90);
    let verdicts = fitness(&facts);
    assert_eq!(
        verdict_for(&verdicts, "youtube_shorts").verdict,
        Verdict::Pass
    );
}

#[test]
fn four_minutes_is_not_a_short() {
    let mut facts = vertical_clip();
    facts.duration_seconds = 240.0;
    let verdicts = fitness(&facts);
    let shorts = verdict_for(&verdicts, "youtube_shorts");
    assert_eq!(shorts.verdict, Verdict::Fail);
    let found = finding(shorts, "duration");
    assert!(found.message.contains("4 minutes"), "{}", found.message);
    assert!(
        found
            .message
            .contains("over the 3 minutes YouTube Shorts allows"),
        "{}",
        found.message
    );
    assert!(found.message.ends_with("so it will not count as a Short"));
    assert_eq!(found.fix, "trim it to 3 minutes or less");
    let tiktok = verdict_for(&verdicts, "tiktok");
    assert_eq!(
        tiktok.verdict,
        Verdict::Warn,
        "over 3 min: only some accounts"
    );
    assert_eq!(
        verdict_for(&verdicts, "instagram_reels").verdict,
        Verdict::Pass
    );
}

#[test]
fn a_two_gigabyte_file_fails_shopify_and_instagram_but_not_tiktok() {
    let mut facts = vertical_clip();
    facts.file_size = 2_000_000_000;
    let verdicts = fitness(&facts);
    let shopify = verdict_for(&verdicts, "shopify");
    assert_eq!(shopify.verdict, Verdict::Fail);
    assert_eq!(
        finding(shopify, "file_size").message,
        "the file is 2 GB; Shopify product media takes at most 1 GB"
    );
    let reels = verdict_for(&verdicts, "instagram_reels");
    assert_eq!(reels.verdict, Verdict::Fail);
    assert!(finding(reels, "file_size").message.contains("300 MB"));
    assert_eq!(verdict_for(&verdicts, "tiktok").verdict, Verdict::Pass);
}

#[test]
fn fifteen_fps_fails_tiktok_and_reels() {
    let mut facts = vertical_clip();
    video(&mut facts).frame_rate = Some(Rational { num: 15, den: 1 });
    let verdicts = fitness(&facts);
    for channel in ["tiktok", "instagram_reels"] {
        let v = verdict_for(&verdicts, channel);
        assert_eq!(v.verdict, Verdict::Fail, "{channel}");
        let found = finding(v, "frame_rate");
        assert!(found.message.contains("15 fps"), "{}", found.message);
        assert!(found.message.contains("23 to 60 fps"), "{}", found.message);
    }
    assert_eq!(
        verdict_for(&verdicts, "youtube_shorts").verdict,
        Verdict::Pass
    );
}

#[test]
fn an_unknown_frame_rate_warns_instead_of_passing() {
    let mut facts = vertical_clip();
    video(&mut facts).frame_rate = None;
    let verdicts = fitness(&facts);
    let tiktok = verdict_for(&verdicts, "tiktok");
    assert_eq!(tiktok.verdict, Verdict::Warn);
    let found = finding(tiktok, "frame_rate");
    assert_eq!(found.severity, Severity::Warn);
    assert!(
        found.message.contains("could not be read"),
        "{}",
        found.message
    );
}

#[test]
fn hevc_is_accepted_by_reels_and_tiktok_but_av1_is_not() {
    let mut facts = vertical_clip();
    video(&mut facts).codec = "hvc1".into();
    let verdicts = fitness(&facts);
    for channel in ["instagram_reels", "tiktok"] {
        assert_eq!(
            verdict_for(&verdicts, channel).verdict,
            Verdict::Pass,
            "{channel}"
        );
    }
    video(&mut facts).codec = "av01".into();
    let verdicts = fitness(&facts);
    let reels = verdict_for(&verdicts, "instagram_reels");
    assert_eq!(reels.verdict, Verdict::Fail);
    assert_eq!(
        finding(reels, "video_codec").message,
        "the video is AV1 (av01); Instagram Reels takes H.264 or HEVC"
    );
    assert_eq!(verdict_for(&verdicts, "tiktok").verdict, Verdict::Fail);
}

#[test]
fn audio_rules_read_the_codec_configuration_and_need_no_audio_track() {
    let mut facts = vertical_clip();
    let audio = facts.audio.as_mut().expect("the clip has audio");
    (audio.sample_rate, audio.channels) = (Some(96_000), Some(6));
    let reels = fitness(&facts).remove(1);
    assert_eq!(rules_of(&reels), ["audio_sample_rate", "audio_channels"]);
    facts.audio = None;
    assert!(fitness(&facts).iter().all(|v| v.verdict == Verdict::Pass));
}

#[test]
fn a_file_without_video_fails_every_channel_with_one_clear_finding() {
    let mut facts = vertical_clip();
    facts.video = None;
    for v in fitness(&facts) {
        assert_eq!(v.verdict, Verdict::Fail, "{}", v.channel);
        assert_eq!(rules_of(&v), ["video_track"], "{}", v.channel);
        assert!(v.findings[0].message.contains("no video track"));
    }
}

#[test]
fn values_exactly_at_the_limits_pass() {
    let mut facts = vertical_clip();
    facts.duration_seconds = 180.0;
    facts.file_size = 300_000_000;
    video(&mut facts).frame_rate = Some(Rational { num: 60, den: 1 });
    let verdicts = fitness(&facts);
    for channel in ["shopify", "instagram_reels", "tiktok"] {
        assert_eq!(
            verdict_for(&verdicts, channel).verdict,
            Verdict::Pass,
            "{channel}"
        );
    }
    let shorts = verdict_for(&verdicts, "youtube_shorts");
    assert_eq!(
        rules_of(shorts),
        ["claimed_music_over_one_minute"],
        "3:00 is still a Short"
    );

    let mut facts = vertical_clip();
    facts.file_size = 1_000_000_000;
    facts.duration_seconds = 600.0;
    video(&mut facts).frame_rate = Some(Rational { num: 23, den: 1 });
    let v = video(&mut facts);
    (v.display_width, v.display_height) = (1080, 1080);
    let verdicts = fitness(&facts);
    assert_eq!(verdict_for(&verdicts, "shopify").verdict, Verdict::Pass);
    let shorts = verdict_for(&verdicts, "youtube_shorts");
    assert!(
        !rules_of(shorts).contains(&"aspect_ratio"),
        "square is a Short"
    );
    let tiktok = verdict_for(&verdicts, "tiktok");
    assert!(
        !rules_of(tiktok).contains(&"frame_rate"),
        "23 fps is allowed"
    );
    assert!(
        !rules_of(tiktok).contains(&"duration"),
        "10 minutes is allowed"
    );

    let mut facts = vertical_clip();
    facts.duration_seconds = 3.0;
    let v = video(&mut facts);
    (v.display_width, v.display_height) = (360, 640);
    let verdicts = fitness(&facts);
    assert_eq!(verdict_for(&verdicts, "tiktok").verdict, Verdict::Pass);
    let reels = verdict_for(&verdicts, "instagram_reels");
    assert_eq!(
        rules_of(reels),
        ["recommended_resolution"],
        "3 s is allowed"
    );
}

#[test]
fn just_over_the_limits_fails() {
    let mut facts = vertical_clip();
    facts.file_size = 1_000_000_001;
    facts.duration_seconds = 180.5;
    video(&mut facts).frame_rate = Some(Rational { num: 61, den: 1 });
    let verdicts = fitness(&facts);
    assert_eq!(verdict_for(&verdicts, "shopify").verdict, Verdict::Fail);
    assert_eq!(
        verdict_for(&verdicts, "youtube_shorts").verdict,
        Verdict::Fail
    );
    let tiktok = verdict_for(&verdicts, "tiktok");
    assert_eq!(tiktok.verdict, Verdict::Fail);
    assert!(rules_of(tiktok).contains(&"frame_rate"));
}

#[test]
fn verdicts_serialise_for_the_api() {
    let mut facts = vertical_clip();
    facts.faststart = false;
    let json = serde_json::to_value(fitness(&facts)).expect("serialises");
    assert_eq!(json[1]["channel"], "instagram_reels");
    assert_eq!(json[1]["verdict"], "warn");
    assert_eq!(json[1]["findings"][0]["severity"], "warn");
    assert_eq!(json[1]["findings"][0]["rule"], "faststart");
}

#[test]
fn ratios_and_durations_read_as_a_merchant_says_them() {
    use super::words::{bytes as size, human_seconds as seconds, ratio_name as ratio};
    assert_eq!(ratio(1920, 1080), "16:9");
    assert_eq!(ratio(1080, 1350), "4:5");
    assert_eq!(ratio(1078, 1920), "about 9:16 (1078×1920)");
    assert_eq!(seconds(20.0), "20 s");
    assert_eq!(seconds(240.0), "4 minutes");
    assert_eq!(seconds(245.0), "4 min 5 s");
    assert_eq!(seconds(60.0), "1 minute");
    assert_eq!(size(2_150_000_000), "2.15 GB");
}

#[test]
fn a_clip_under_three_seconds_fails_reels_with_the_minimum_named() {
    let mut facts = vertical_clip();
    facts.duration_seconds = 2.5;
    let verdicts = fitness(&facts);
    let reels = verdict_for(&verdicts, "instagram_reels");
    assert_eq!(reels.verdict, Verdict::Fail);
    assert_eq!(
        finding(reels, "duration").message,
        "the video runs 2.5 s, under the 3 s Instagram Reels needs"
    );
}

#[test]
fn a_container_outside_the_rule_fails_with_a_remux_fix() {
    let rule = Rule {
        id: "container".into(),
        check: Check::Container {
            allowed: vec![Container::Mp4],
        },
        severity: Severity::Fail,
        consequence: None,
        fix: None,
        note: None,
        sources: Vec::new(),
    };
    let mut facts = vertical_clip();
    facts.container = Container::Mov;
    let found = checks::evaluate(&rule, &facts, "Somewhere")
        .expect("MOV breaks an MP4-only rule")
        .into_finding(&rule);
    assert_eq!(found.message, "the file is MOV; Somewhere takes MP4");
    assert!(found.fix.contains("-c copy"), "{}", found.fix);
    facts.container = Container::Mp4;
    assert!(checks::evaluate(&rule, &facts, "Somewhere").is_none());
}

#[test]
fn a_video_over_25_mbps_fails_reels_and_an_unknown_rate_warns() {
    let mut facts = vertical_clip();
    video(&mut facts).bit_rate = Some(25_000_000);
    assert_eq!(
        fitness(&facts)[1].verdict,
        Verdict::Pass,
        "25 Mbps is the limit"
    );
    video(&mut facts).bit_rate = Some(31_400_000);
    let reels = fitness(&facts).remove(1);
    assert_eq!(reels.verdict, Verdict::Fail);
    assert_eq!(
        finding(&reels, "video_bit_rate").message,
        "the video averages 31.4 Mbps; Instagram Reels takes at most 25 Mbps"
    );
    video(&mut facts).bit_rate = None;
    let reels = fitness(&facts).remove(1);
    assert_eq!(reels.verdict, Verdict::Warn);
    assert_eq!(rules_of(&reels), ["video_bit_rate"]);
}

#[test]
fn the_verdict_schema_names_its_fields_for_the_openapi_description() {
    let schema = serde_json::to_string(&schemars::schema_for!(ChannelVerdict)).expect("schema");
    for field in ["channel", "verdict", "findings", "severity", "fix"] {
        assert!(schema.contains(field), "{field} missing from {schema}");
    }
}
