//! Loudness measured on the committed fixtures (a 440 Hz sine at ffmpeg's default amplitude of
//! 1/8, and digital silence), on damaged packets, and the read and window plans it follows.

use std::sync::Mutex;

use async_trait::async_trait;

use super::*;
use crate::video::container::{FileSource, read_movie};

/// A sine at ffmpeg's default amplitude of 1/8 has an RMS of 1/8 over √2: 20·log10 of it.
const SINE_RMS_DBFS: f64 = -21.072_099_696_478_68;
/// The sine clip's peak as ffmpeg 5.1's own AAC decoder measures it (`-af astats`: "Peak level
/// dB: -14.658022"). The sine peaks at 1/8 (−18.06 dBFS) but its 24 kb/s encoding does not:
/// quantisation noise lifts the peaks by 3.4 dB (at 96 kb/s still by 1.7 dB).
const CLIP_PEAK_DBFS: f64 = -14.658_022;
/// The clip's RMS as ffmpeg measures it ("RMS level dB: -21.447727"). ffmpeg drops the
/// encoder's 1024 priming samples, which are measured here, so ours is 0.03 dB lower.
const CLIP_RMS_DBFS: f64 = -21.447_727;
/// Seconds one AAC packet decodes to at 48 kHz.
const PACKET_SECONDS: f64 = 1024.0 / 48_000.0;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/video")
        .join(name)
}

/// The audio track's samples of a fixture.
async fn audio_track(name: &str) -> TrackSamples {
    let movie = read_movie(&FileSource::new(fixture(name))).await.unwrap();
    movie.audio.unwrap()
}

/// A video in memory that logs every read, so tests can damage bytes and see what was fetched.
struct Memory {
    bytes: Vec<u8>,
    reads: Mutex<Vec<(u64, u64)>>,
}

impl Memory {
    fn of(name: &str) -> Self {
        Self {
            bytes: std::fs::read(fixture(name)).unwrap(),
            reads: Mutex::new(Vec::new()),
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
            .saturating_add(usize::try_from(len).unwrap())
            .min(self.bytes.len());
        self.reads
            .lock()
            .unwrap()
            .push((offset, (end - start) as u64));
        Ok(Bytes::copy_from_slice(&self.bytes[start..end]))
    }
}

fn assert_near(actual: Option<f64>, expected: f64, within: f64) {
    let actual = actual.unwrap();
    assert!(
        (actual - expected).abs() <= within,
        "{actual} dBFS, expected {expected} ± {within}"
    );
}

#[tokio::test]
async fn the_sine_clip_is_audible_at_the_sines_level() {
    let track = audio_track("h264_1080x1920_aac.mp4").await;
    // ffprobe: aac nb_frames=142 over 3 seconds.
    assert_eq!(track.samples.len(), 142);
    let level = measure_audio(&FileSource::new(fixture("h264_1080x1920_aac.mp4")), &track)
        .await
        .unwrap();
    assert!(level.audible);
    assert_near(level.peak_dbfs, CLIP_PEAK_DBFS, 0.001);
    assert_near(level.rms_dbfs, CLIP_RMS_DBFS, 0.05);
    assert_near(level.rms_dbfs, SINE_RMS_DBFS, 1.5);
    assert!(
        (level.seconds_measured - 142.0 * PACKET_SECONDS).abs() < 1e-9,
        "{}",
        level.seconds_measured
    );
}

#[tokio::test]
async fn only_the_audio_packets_are_fetched_in_one_read_per_chunk() {
    let track = audio_track("h264_1080x1920_aac.mp4").await;
    let source = Memory::of("h264_1080x1920_aac.mp4");
    measure_audio(&source, &track).await.unwrap();
    let reads = source.reads.into_inner().unwrap();
    let runs = read_runs(&track.samples);
    let expected: Vec<(u64, u64)> = runs
        .iter()
        .map(|run| {
            let first = track.samples[run.start];
            let last = track.samples[run.end - 1];
            (
                first.offset,
                last.offset + u64::from(last.size) - first.offset,
            )
        })
        .collect();
    assert_eq!(reads, expected);
    // ffmpeg's muxer interleaves the AAC with the video in 89 chunks of one or two packets
    // (the audio track's `stco`), none of them back to back.
    assert_eq!(reads.len(), 89, "{reads:?}");
    let fetched: u64 = reads.iter().map(|(_, len)| len).sum();
    let audio: u64 = track.samples.iter().map(|s| u64::from(s.size)).sum();
    assert_eq!(fetched, audio);
}

#[tokio::test]
async fn digital_silence_is_not_audible_and_has_no_peak() {
    let track = audio_track("silent_audio.mp4").await;
    let level = measure_audio(&FileSource::new(fixture("silent_audio.mp4")), &track)
        .await
        .unwrap();
    assert_eq!(level.peak_dbfs, None);
    assert_eq!(level.rms_dbfs, None);
    assert!(!level.audible);
    let expected = track.samples.len() as f64 * PACKET_SECONDS;
    assert!((level.seconds_measured - expected).abs() < 1e-9);
}

#[tokio::test]
async fn a_track_without_packets_is_silent_over_no_time() {
    let mut track = audio_track("h264_1080x1920_aac.mp4").await;
    track.samples.clear();
    let source = Memory::of("h264_1080x1920_aac.mp4");
    let level = measure_audio(&source, &track).await.unwrap();
    assert_eq!(
        level,
        AudioLevel {
            rms_dbfs: None,
            peak_dbfs: None,
            audible: false,
            seconds_measured: 0.0,
        }
    );
    assert!(source.reads.into_inner().unwrap().is_empty());
}

/// The sine fixture in memory with `damage` applied to each audio packet's bytes.
async fn damaged_sine(mut damage: impl FnMut(usize, &mut [u8])) -> Result<AudioLevel, AudioError> {
    let track = audio_track("h264_1080x1920_aac.mp4").await;
    let mut source = Memory::of("h264_1080x1920_aac.mp4");
    for (i, sample) in track.samples.iter().enumerate() {
        let start = sample.offset as usize;
        damage(i, &mut source.bytes[start..start + sample.size as usize]);
    }
    measure_audio(&source, &track).await
}

fn invert(bytes: &mut [u8]) {
    bytes.iter_mut().for_each(|b| *b = !*b);
}

#[tokio::test]
async fn inverted_packets_are_failures_not_silence() {
    // A mono packet opens with its channel element (id 0, bits 000); inverted, that is the
    // terminator (111), which the decoder would answer with silence. (Packet 0, the encoder's
    // priming, opens with a fill element instead and is left alone.)
    let error = damaged_sine(|i, bytes| {
        if i > 0 {
            invert(bytes);
        }
    })
    .await
    .unwrap_err();
    assert!(!error.is_transient());
    assert_eq!(
        error.to_string(),
        "the audio does not decode: 141 of 142 packets fail: \
         a packet ends before any audio element"
    );
}

#[tokio::test]
async fn half_the_packets_failing_is_still_measured_and_one_more_is_not() {
    let odd = damaged_sine(|i, bytes| {
        if i % 2 == 1 {
            invert(bytes);
        }
    })
    .await
    .unwrap();
    assert!(odd.audible);
    assert!((odd.seconds_measured - 71.0 * PACKET_SECONDS).abs() < 1e-9);
    let error = damaged_sine(|i, bytes| {
        if i % 2 == 1 || i == 2 {
            invert(bytes);
        }
    })
    .await
    .unwrap_err();
    assert!(
        error.to_string().contains("72 of 142 packets fail"),
        "{error}"
    );
}

#[tokio::test]
async fn a_few_damaged_packets_are_skipped_and_the_rest_measured() {
    // Every tenth packet truncated to garbage: the sine still measures at its level.
    let level = damaged_sine(|i, bytes| {
        if i % 10 == 5 {
            bytes.fill(0xFF);
        }
    })
    .await
    .unwrap();
    assert!(level.audible);
    assert_near(level.rms_dbfs, SINE_RMS_DBFS, 1.5);
    assert!(
        (level.seconds_measured - 128.0 * PACKET_SECONDS).abs() < 1e-9,
        "{}",
        level.seconds_measured
    );
}

#[tokio::test]
async fn random_damage_in_the_packets_never_panics() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..60 {
        let seed = next();
        let result = damaged_sine(|i, bytes| {
            let pick = seed.rotate_left(i as u32 % 64);
            if pick % 3 == 0 && !bytes.is_empty() {
                let at = (pick >> 8) as usize % bytes.len();
                bytes[at] ^= (pick >> 32) as u8 | 1;
            }
        })
        .await;
        if let Err(error) = result {
            assert!(matches!(error, AudioError::Decode(_)), "{error:?}");
        }
    }
}

#[tokio::test]
async fn a_codec_without_a_decoder_here_is_named_and_not_retried() {
    let mut track = audio_track("h264_1080x1920_aac.mp4").await;
    track.config = DecoderConfig::Other {
        codec: "Opus".to_owned(),
    };
    let source = Memory::of("h264_1080x1920_aac.mp4");
    let error = measure_audio(&source, &track).await.unwrap_err();
    assert!(
        matches!(&error, AudioError::CannotDecode { codec } if codec == "Opus"),
        "{error:?}"
    );
    assert!(!error.is_transient());
    assert!(source.reads.into_inner().unwrap().is_empty());
}

/// An AudioSpecificConfig from (value, bit count) fields, zero-padded to whole bytes.
fn asc(fields: &[(u64, u32)]) -> Bytes {
    let mut bits: Vec<u8> = fields
        .iter()
        .flat_map(|&(value, n)| (0..n).rev().map(move |i| ((value >> i) & 1) as u8))
        .collect();
    bits.resize(bits.len().div_ceil(8) * 8, 0);
    bits.chunks(8)
        .map(|byte| byte.iter().fold(0u8, |acc, bit| (acc << 1) | bit))
        .collect::<Vec<u8>>()
        .into()
}

async fn measure_with_config(config: Bytes) -> Result<AudioLevel, AudioError> {
    let mut track = audio_track("h264_1080x1920_aac.mp4").await;
    track.config = DecoderConfig::Aac {
        audio_specific_config: config,
    };
    measure_audio(&Memory::of("h264_1080x1920_aac.mp4"), &track).await
}

#[tokio::test]
async fn he_aac_and_surround_are_named_as_codecs_not_decoded_here() {
    // HE-AAC, explicit: object type 5, 24 kHz core (index 6), mono, 48 kHz out (3), core LC.
    let he_aac = asc(&[(5, 5), (6, 4), (1, 4), (3, 4), (2, 5)]);
    let error = measure_with_config(he_aac).await.unwrap_err();
    assert!(
        matches!(&error, AudioError::CannotDecode { codec } if codec == "mp4a.40.5"),
        "{error:?}"
    );
    // AAC-LC with 960-sample frames (frame length flag set), as DAB+ radio sends it.
    let short_frames = asc(&[(2, 5), (3, 4), (1, 4), (1, 1), (0, 2)]);
    let error = measure_with_config(short_frames).await.unwrap_err();
    assert!(
        matches!(&error, AudioError::CannotDecode { codec } if codec == "mp4a.40.2 with 960-sample frames or SBR"),
        "{error:?}"
    );
    // AAC-LC 5.1 (channel configuration 6).
    let surround = asc(&[(2, 5), (3, 4), (6, 4), (0, 3)]);
    let error = measure_with_config(surround).await.unwrap_err();
    assert!(
        matches!(&error, AudioError::CannotDecode { codec } if codec == "mp4a.40.2"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_cut_short_configuration_is_a_decode_error() {
    let error = measure_with_config(Bytes::from_static(&[0x11]))
        .await
        .unwrap_err();
    assert!(matches!(error, AudioError::Decode(_)), "{error:?}");
}

#[test]
fn the_configuration_names_its_object_type_and_channels() {
    // The fixture's: AAC-LC, 48 kHz, mono, then ffmpeg's "no SBR" extension.
    assert_eq!(
        asc_object_type_and_channels(&[0x11, 0x88, 0x56, 0xe5, 0x00]),
        Some((2, 1))
    );
    // An explicit 22222 Hz rate and an escaped object type (31 + 6 bits: 32 + 10 = 42, USAC).
    let usac = asc(&[(31, 5), (10, 6), (15, 4), (22222, 24), (2, 4)]);
    assert_eq!(asc_object_type_and_channels(&usac), Some((42, 2)));
    assert_eq!(asc_object_type_and_channels(&[0x12]), None);
}

/// `count` packets of 48 kHz AAC, one every 1024 samples, `size` bytes each, back to back.
fn packets(count: usize, size: u32) -> Vec<Sample> {
    (0..count)
        .map(|i| Sample {
            offset: 1000 + i as u64 * u64::from(size),
            size,
            time: i as f64 * PACKET_SECONDS,
            sync: true,
        })
        .collect()
}

#[test]
fn reads_coalesce_back_to_back_packets_up_to_one_mebibyte() {
    // 1 MiB holds 1497 packets of 700 bytes.
    let mut samples = packets(3000, 700);
    assert_eq!(read_runs(&samples), [0..1497, 1497..2994, 2994..3000]);
    // A gap (another track's chunk) ends a run; an oversized packet stands alone.
    for sample in &mut samples[100..] {
        sample.offset += 50;
    }
    samples[2000].size = 2 * 1024 * 1024;
    assert_eq!(
        read_runs(&samples[..2002]),
        [0..100, 100..1597, 1597..2000, 2000..2001, 2001..2002]
    );
    assert!(read_runs(&[]).is_empty());
}

#[test]
fn up_to_ten_minutes_is_one_window_over_every_packet() {
    // 28125 packets of 1024 samples at 48 kHz: the last starts at 599.98 s.
    let samples = packets(28_125, 300);
    assert_eq!(
        windows(&samples),
        [Window {
            decode_from: 0,
            measure_from: 0,
            end: 28_125
        }]
    );
    assert!(windows(&[]).is_empty());
}

#[test]
fn a_longer_track_is_twenty_half_minute_windows_from_start_to_end() {
    // An hour: 168750 packets.
    let samples = packets(168_750, 300);
    let plan = windows(&samples);
    assert_eq!(plan.len(), WINDOWS);
    assert_eq!(
        plan[0],
        Window {
            decode_from: 0,
            measure_from: 0,
            end: 1407
        }
    );
    assert_eq!(plan[19].end, 168_750);
    for (i, window) in plan.iter().enumerate().skip(1) {
        assert_eq!(
            window.decode_from + PRE_ROLL,
            window.measure_from,
            "window {i}"
        );
        let measured = window.end - window.measure_from;
        assert!((1406..=1407).contains(&measured), "window {i}: {measured}");
        assert!(window.measure_from > plan[i - 1].end, "window {i} overlaps");
    }
}

#[tokio::test]
async fn a_long_track_measures_its_windows_only() {
    // Twenty minutes of the fixture's sine packets over and over (packet 0, the encoder's
    // priming, left out): twenty 30-second windows are 600 s of the 1200.
    let sine = audio_track("h264_1080x1920_aac.mp4").await;
    let count = (1200.0 / PACKET_SECONDS) as usize;
    let samples: Vec<Sample> = (0..count)
        .map(|i| Sample {
            time: i as f64 * PACKET_SECONDS,
            ..sine.samples[1 + i % (sine.samples.len() - 1)]
        })
        .collect();
    let track = TrackSamples {
        config: sine.config.clone(),
        samples,
    };
    let source = Memory::of("h264_1080x1920_aac.mp4");
    let level = measure_audio(&source, &track).await.unwrap();
    let measured: usize = windows(&track.samples)
        .iter()
        .map(|w| w.end - w.measure_from)
        .sum();
    assert!((28_120..=28_140).contains(&measured), "{measured}");
    assert!((level.seconds_measured - measured as f64 * PACKET_SECONDS).abs() < 1e-6);
    assert!(level.audible);
    assert_near(level.peak_dbfs, CLIP_PEAK_DBFS, 0.5);
    assert_near(level.rms_dbfs, SINE_RMS_DBFS, 1.5);
}

#[tokio::test]
async fn a_source_that_ends_early_is_a_truncated_video() {
    let track = audio_track("h264_1080x1920_aac.mp4").await;
    let mut source = Memory::of("h264_1080x1920_aac.mp4");
    let last = track.samples.last().unwrap();
    source.bytes.truncate(last.offset as usize);
    let error = measure_audio(&source, &track).await.unwrap_err();
    assert!(
        matches!(error, AudioError::Source(VideoError::Truncated(_))),
        "{error:?}"
    );
}
