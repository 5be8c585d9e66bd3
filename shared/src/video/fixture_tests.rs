//! The committed fixtures judged by the channel rules, as issue 8's must-show asks: the
//! 3-second vertical H.264/AAC clip passes Instagram Reels, TikTok and YouTube Shorts, and its
//! moov-at-end copy gets an Instagram Reels warning naming faststart.

use super::channels::{ChannelVerdict, Verdict, fitness};
use super::container::{FileSource, read_facts};

/// Each channel's verdict and the rules of its findings, in table order.
async fn verdicts_of(name: &str) -> Vec<(String, Verdict, Vec<String>)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/video")
        .join(name);
    let facts = read_facts(&FileSource::new(path)).await.unwrap();
    fitness(&facts)
        .into_iter()
        .map(
            |ChannelVerdict {
                 channel,
                 verdict,
                 findings,
                 ..
             }| {
                (
                    channel,
                    verdict,
                    findings.into_iter().map(|f| f.rule).collect(),
                )
            },
        )
        .collect()
}

fn expected(reels: Verdict, reels_rules: &[&str]) -> Vec<(String, Verdict, Vec<String>)> {
    [
        ("shopify", Verdict::Pass, &[][..]),
        ("instagram_reels", reels, reels_rules),
        ("tiktok", Verdict::Pass, &[]),
        ("youtube_shorts", Verdict::Pass, &[]),
    ]
    .into_iter()
    .map(|(id, verdict, rules)| {
        let rules = rules.iter().map(|r| (*r).to_owned()).collect();
        (id.to_owned(), verdict, rules)
    })
    .collect()
}

#[tokio::test]
async fn the_three_second_vertical_clip_passes_every_channel_with_no_finding() {
    assert_eq!(
        verdicts_of("h264_1080x1920_aac.mp4").await,
        expected(Verdict::Pass, &[])
    );
}

#[tokio::test]
async fn the_moov_at_end_copy_gets_only_an_instagram_faststart_warning() {
    assert_eq!(
        verdicts_of("h264_moov_at_end.mp4").await,
        expected(Verdict::Warn, &["faststart"])
    );
}
