//! Keyframes decoded from the committed fixtures (made by
//! `shared/tests/fixtures/video/make.sh`), the keyframe choice, and damaged or short input.
//! The picture, metric and Annex B steps are tested in their own files.

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use bytes::Bytes;

use super::*;
use crate::video::container::{FileSource, read_movie};

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/video")
        .join(name)
}

/// Bytes in memory (damaged on purpose), counting what was read and handing out at most
/// `max_read` bytes a read, as a blob store's ranged GETs may.
struct Memory {
    bytes: Vec<u8>,
    read: AtomicU64,
    max_read: u64,
}

impl Memory {
    fn new(bytes: Vec<u8>) -> Self {
        Self {
            bytes,
            read: AtomicU64::new(0),
            max_read: u64::MAX,
        }
    }
}

#[async_trait]
impl ByteSource for Memory {
    async fn size(&self) -> Result<u64, VideoError> {
        Ok(self.bytes.len() as u64)
    }
    async fn read_at(&self, offset: u64, len: u64) -> Result<Bytes, VideoError> {
        let start = usize::try_from(offset).unwrap().min(self.bytes.len());
        let end = start
            .saturating_add(usize::try_from(len.min(self.max_read)).unwrap())
            .min(self.bytes.len());
        self.read.fetch_add((end - start) as u64, Ordering::Relaxed);
        Ok(Bytes::copy_from_slice(&self.bytes[start..end]))
    }
}

/// The file's video track and display rotation.
async fn video_of(source: &dyn ByteSource) -> (TrackSamples, u16) {
    let movie = read_movie(source).await.unwrap();
    let rotation = movie.facts.video.as_ref().unwrap().rotation;
    (movie.video.unwrap(), rotation)
}

/// Decodes a JPEG back: (width, height, RGB pixels).
fn unjpeg(jpeg: &[u8]) -> (u16, u16, Vec<u8>) {
    let mut decoder = jpeg_decoder::Decoder::new(jpeg);
    let pixels = decoder.decode().unwrap();
    let info = decoder.info().unwrap();
    assert_eq!(info.pixel_format, jpeg_decoder::PixelFormat::RGB24);
    (info.width, info.height, pixels)
}

#[tokio::test]
async fn a_vertical_clip_gives_its_first_keyframe_at_zero_as_a_270_by_480_jpeg() {
    let source = FileSource::new(fixture("h264_1080x1920_aac.mp4"));
    let (track, rotation) = video_of(&source).await;
    let frames = decode_keyframes(&source, &track, rotation, 2)
        .await
        .unwrap();
    assert_eq!(frames.len(), track.keyframes().count().min(2));
    let first = &frames[0];
    assert_eq!(first.time, 0.0);
    assert_eq!((first.width, first.height), (270, 480));
    assert_eq!(first.change, None);
    assert_eq!(&first.jpeg[..2], &[0xFF, 0xD8]);
    let (w, h, pixels) = unjpeg(&first.jpeg);
    assert_eq!((w, h, pixels.len()), (270, 480, 270 * 480 * 3));
    // testsrc2 is colourful and detailed: neither black nor flat.
    assert!(
        (40.0..200.0).contains(&first.brightness),
        "{}",
        first.brightness
    );
    assert!(first.sharpness > 100.0, "{}", first.sharpness);
    for later in &frames[1..] {
        assert!(later.change.is_some());
        assert!(later.time > 0.0);
    }
}

#[tokio::test]
async fn only_the_chosen_keyframes_bytes_are_fetched() {
    let source = FileSource::new(fixture("scenes.mp4"));
    let (track, rotation) = video_of(&source).await;
    let before = source.bytes_read();
    let frames = decode_keyframes(&source, &track, rotation, 2)
        .await
        .unwrap();
    let keyframes: Vec<&Sample> = track.keyframes().collect();
    let times: Vec<f64> = frames.iter().map(|f| f.time).collect();
    assert_eq!(times, vec![0.0, 3.0]);
    let expected = u64::from(keyframes[0].size) + u64::from(keyframes[3].size);
    assert_eq!(source.bytes_read() - before, expected);
}

#[tokio::test]
async fn a_rotated_mov_gives_upright_thumbnails() {
    let source = FileSource::new(fixture("rotated.mov"));
    let (track, rotation) = video_of(&source).await;
    // A quarter turn (ffprobe: displaymatrix 90 counter-clockwise, so 270 clockwise).
    assert_eq!(rotation, 270);
    let frames = decode_keyframes(&source, &track, rotation, 1)
        .await
        .unwrap();
    assert_eq!(frames.len(), 1);
    assert_eq!((frames[0].width, frames[0].height), (270, 480));
    let (w, h, rgb) = unjpeg(&frames[0].jpeg);
    assert_eq!((w, h), (270, 480));
    // Upright as ffmpeg shows it (checked against `ffmpeg -i rotated.mov -frames:v 1`):
    // testsrc2's cyan band on top, its red band at the bottom.
    let pixel = |x: usize, y: usize| {
        let i = (y * 270 + x) * 3;
        [rgb[i], rgb[i + 1], rgb[i + 2]]
    };
    let [r, g, b] = pixel(135, 20);
    assert!(r < 40 && g > 200 && b > 200, "top {:?}", [r, g, b]);
    let [r, g, b] = pixel(135, 460);
    assert!(r > 200 && g < 40 && b < 40, "bottom {:?}", [r, g, b]);
}

#[tokio::test]
async fn hevc_cannot_be_decoded_and_says_which_codec() {
    let source = FileSource::new(fixture("hevc.mp4"));
    let (track, rotation) = video_of(&source).await;
    let err = decode_keyframes(&source, &track, rotation, 3)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FramesError::CannotDecode { codec } if codec == "hvc1"),
        "{err:?}"
    );
    assert!(!err.is_transient());
}

/// The scenes fixture's bytes and video track.
async fn scenes() -> (Vec<u8>, TrackSamples) {
    let bytes = std::fs::read(fixture("scenes.mp4")).unwrap();
    let (track, _) = video_of(&Memory::new(bytes.clone())).await;
    (bytes, track)
}

#[tokio::test]
async fn a_keyframe_with_its_slice_data_flipped_is_a_decode_error() {
    let (mut bytes, track) = scenes().await;
    let first = *track.keyframes().next().unwrap();
    // Walk the sample's NAL units (4-byte lengths here) to the IDR slice (type 5), past
    // x264's SEI, and invert everything after its NAL header.
    let mut at = first.offset as usize;
    loop {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        if bytes[at + 4] & 0x1F == 5 {
            for b in &mut bytes[at + 5..at + 4 + len] {
                *b = !*b;
            }
            break;
        }
        at += 4 + len;
    }
    let source = Memory::new(bytes);
    let err = decode_keyframes(&source, &track, 0, 1).await.unwrap_err();
    assert!(!err.is_transient());
    let FramesError::Decode(message) = err else {
        panic!("{err:?}")
    };
    assert!(message.starts_with("OpenH264: "), "{message}");
}

#[tokio::test]
async fn a_nal_length_past_the_samples_end_is_a_decode_error() {
    let (mut bytes, track) = scenes().await;
    let first = *track.keyframes().next().unwrap();
    let at = first.offset as usize;
    bytes[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    let err = decode_keyframes(&Memory::new(bytes), &track, 0, 1)
        .await
        .unwrap_err();
    let FramesError::Decode(message) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        message,
        format!(
            "a NAL unit at byte 0 claims {} bytes, past the sample's {}",
            u32::MAX,
            first.size
        )
    );
}

#[tokio::test]
async fn a_sample_over_64_mb_is_refused_before_it_is_read() {
    let (bytes, mut track) = scenes().await;
    track.samples[0].size = MAX_SAMPLE_BYTES + 1;
    let source = Memory::new(bytes);
    let err = decode_keyframes(&source, &track, 0, 1).await.unwrap_err();
    assert!(matches!(err, FramesError::Decode(_)), "{err:?}");
    assert_eq!(source.read.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn black_white_pattern_and_blur_give_their_brightness_changes_and_sharpness() {
    let source = FileSource::new(fixture("scenes.mp4"));
    let (track, rotation) = video_of(&source).await;
    let frames = decode_keyframes(&source, &track, rotation, 8)
        .await
        .unwrap();
    let times: Vec<f64> = frames.iter().map(|f| f.time).collect();
    assert_eq!(times, vec![0.0, 1.0, 2.0, 3.0]);
    for f in &frames {
        assert_eq!((f.width, f.height), (270, 480));
        assert_eq!(&f.jpeg[..2], &[0xFF, 0xD8]);
    }
    let [black, white, sharp, blurred] = &frames[..] else {
        panic!("{} frames", frames.len())
    };
    // Limited range: black is luma 16, white 235; both flat.
    assert!(
        (black.brightness - 16.0).abs() < 0.5,
        "{}",
        black.brightness
    );
    assert!(
        (white.brightness - 235.0).abs() < 0.5,
        "{}",
        white.brightness
    );
    assert!(black.sharpness < 0.01 && white.sharpness < 0.01);
    assert_eq!(black.change, None);
    // Each cut changes the picture a lot; blurring the same pattern barely does.
    let change = |f: &DecodedFrame| f.change.unwrap();
    assert!((change(white) - 219.0).abs() < 0.5, "{}", change(white));
    assert!((105.0..115.0).contains(&change(sharp)), "{}", change(sharp));
    assert!(change(blurred) < 10.0, "{}", change(blurred));
    assert!(
        (124.0..125.0).contains(&sharp.brightness),
        "{}",
        sharp.brightness
    );
    // The sharp pattern's Laplacian varies a hundred times more than the blurred one's.
    assert!(
        (380.0..420.0).contains(&sharp.sharpness),
        "{}",
        sharp.sharpness
    );
    assert!(blurred.sharpness < 5.0, "{}", blurred.sharpness);
}

#[test]
fn keyframes_are_chosen_evenly_with_the_first_and_last() {
    let track = TrackSamples {
        config: DecoderConfig::Other {
            codec: "avc1".to_owned(),
        },
        samples: (0..30)
            .map(|i| Sample {
                offset: i * 10,
                size: 10,
                time: i as f64 / 3.0,
                sync: i % 3 == 0,
            })
            .collect(),
    };
    let times = |max| -> Vec<f64> {
        choose_keyframes(&track, max)
            .iter()
            .map(|s| s.time)
            .collect()
    };
    assert_eq!(times(4), vec![0.0, 3.0, 6.0, 9.0]);
    assert_eq!(times(3), vec![0.0, 5.0, 9.0]);
    assert_eq!(times(1), vec![0.0]);
    assert_eq!(times(0), Vec::<f64>::new());
    assert_eq!(times(50).len(), 10);
}

#[test]
fn only_a_failing_read_may_be_retried() {
    let source = |transient| {
        FramesError::Source(VideoError::Source {
            message: "timeout".to_owned(),
            transient,
        })
    };
    assert!(source(true).is_transient());
    assert!(!source(false).is_transient());
    assert!(!FramesError::Decode("bad".to_owned()).is_transient());
    assert!(
        !FramesError::CannotDecode {
            codec: "av01".to_owned()
        }
        .is_transient()
    );
}

#[tokio::test]
async fn a_source_giving_short_reads_is_read_until_the_sample_is_whole() {
    let (bytes, track) = scenes().await;
    let whole = decode_keyframes(&Memory::new(bytes.clone()), &track, 0, 4)
        .await
        .unwrap();
    let mut chunked = Memory::new(bytes);
    chunked.max_read = 100;
    let pieces = decode_keyframes(&chunked, &track, 0, 4).await.unwrap();
    assert_eq!(pieces, whole);
    let sizes: u64 = track.keyframes().map(|s| u64::from(s.size)).sum();
    assert_eq!(chunked.read.load(Ordering::Relaxed), sizes);
}

#[tokio::test]
async fn open_gop_keyframes_are_left_out_and_only_an_idr_picture_decodes() {
    let source = FileSource::new(fixture("open_gop.mp4"));
    let (mut track, rotation) = video_of(&source).await;
    let keyframes: Vec<f64> = track.keyframes().map(|s| s.time).collect();
    assert_eq!(keyframes, vec![0.0, 1.0, 2.0]);
    let frames = decode_keyframes(&source, &track, rotation, 3)
        .await
        .unwrap();
    let times: Vec<f64> = frames.iter().map(|f| f.time).collect();
    assert_eq!(times, vec![0.0]);
    assert_eq!((frames[0].width, frames[0].height), (160, 120));
    // Without the IDR picture nothing is left to decode.
    track.samples[0].sync = false;
    let err = decode_keyframes(&source, &track, rotation, 3)
        .await
        .unwrap_err();
    let FramesError::Decode(message) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        message,
        "none of the 2 keyframes chosen is an IDR picture, which alone decodes"
    );
}
