//! Keyframe decoding cost: `cargo bench -p shared --bench frames [-- ROUNDS]`.
//!
//! Decodes every keyframe of the committed 1080×1920 H.264 fixture ROUNDS times (default 20)
//! through `decode_keyframes` (fetch the sample, OpenH264, scale to 270×480, JPEG, measures)
//! and prints milliseconds per keyframe and the process's peak resident memory (OpenH264
//! allocates in C, out of a Rust allocator's sight, so the kernel's figure is the one that
//! counts). No target is asserted: the figures size how many keyframes an analysis can afford.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use shared::video::container::{FileSource, read_movie};
use shared::video::frames::decode_keyframes;

const DEFAULT_ROUNDS: usize = 20;

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "n/a".to_owned())
}

#[tokio::main]
async fn main() {
    let rounds = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(DEFAULT_ROUNDS);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/video/h264_1080x1920_aac.mp4");
    let source = FileSource::new(path);
    let movie = read_movie(&source).await.unwrap();
    let rotation = movie.facts.video.as_ref().unwrap().rotation;
    let track = movie.video.unwrap();
    let keyframes = track.keyframes().count();
    let started = Instant::now();
    let mut decoded = 0usize;
    let mut jpeg_bytes = 0usize;
    for _ in 0..rounds {
        let frames = decode_keyframes(&source, &track, rotation, keyframes)
            .await
            .unwrap();
        decoded += frames.len();
        jpeg_bytes += frames.iter().map(|f| f.jpeg.len()).sum::<usize>();
    }
    let elapsed = started.elapsed();
    println!(
        "frames: {decoded} keyframes of 1080x1920 in {:.2} s: {:.1} ms a keyframe, \
         {} B a thumbnail, peak RSS {}",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / decoded.max(1) as f64,
        jpeg_bytes / decoded.max(1),
        peak_rss()
    );
}
