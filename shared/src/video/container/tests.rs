//! Facts read from the committed fixtures (made by `shared/tests/fixtures/video/make.sh`),
//! checked against what ffprobe 5.1 printed for each, plus hostile inputs.

use super::codecs::{aac_rate_and_channels, av1, hevc};
use super::*;
use crate::video::facts::{AudioTrack, Rational, VideoTrack};
use async_trait::async_trait;
use bytes::Bytes;
use mp4_atom::{Av1c, Hvcc};

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/video")
        .join(name)
}

/// The main fixture's `moov` box: it starts right after the 32-byte `ftyp` and has this many
/// bytes (`h264_1080x1920_aac.mp4`; the moov-at-end copy has the same one at its end).
const MOOV_LEN: usize = 4581;

async fn facts_of(name: &str) -> Result<VideoFacts, VideoError> {
    read_facts(&FileSource::new(fixture(name))).await
}

/// Bytes in memory, for hand-made and damaged files.
struct Memory(Vec<u8>);

#[async_trait]
impl ByteSource for Memory {
    async fn size(&self) -> Result<u64, VideoError> {
        Ok(self.0.len() as u64)
    }
    async fn read_at(&self, offset: u64, len: u64) -> Result<Bytes, VideoError> {
        let start = usize::try_from(offset).unwrap().min(self.0.len());
        let end = start
            .saturating_add(usize::try_from(len).unwrap())
            .min(self.0.len());
        Ok(Bytes::copy_from_slice(&self.0[start..end]))
    }
}

/// ffprobe: h264 High 1080x1920 30/1 level 40, 90 frames, 331306 b/s, keyframes 0.0, 1.0 and
/// 2.0; aac LC 48000 Hz 1 channel 23894 b/s; format duration 3.000000, size 137893, 367714 b/s.
fn vertical_h264_aac() -> VideoFacts {
    VideoFacts {
        container: Container::Mp4,
        major_brand: "isom".to_owned(),
        file_size: 137893,
        duration_seconds: 3.0,
        overall_bit_rate: Some(367_714),
        faststart: true,
        edit_lists: false,
        video: Some(VideoTrack {
            codec: "avc1".to_owned(),
            codec_string: Some("avc1.640028".to_owned()),
            profile: Some("High".to_owned()),
            coded_width: 1080,
            coded_height: 1920,
            rotation: 0,
            display_width: 1080,
            display_height: 1920,
            frame_rate: Some(Rational { num: 30, den: 1 }),
            frames: 90,
            keyframe_times: vec![0.0, 1.0, 2.0],
            bit_rate: Some(331_306),
        }),
        audio: Some(AudioTrack {
            codec: "mp4a".to_owned(),
            codec_string: Some("mp4a.40.2".to_owned()),
            sample_rate: Some(48000),
            channels: Some(1),
            bit_rate: Some(23894),
        }),
    }
}

#[tokio::test]
async fn a_vertical_h264_clip_with_aac_gives_ffprobes_facts() {
    assert_eq!(
        facts_of("h264_1080x1920_aac.mp4").await.unwrap(),
        vertical_h264_aac()
    );
}

#[tokio::test]
async fn the_mono_aac_channel_count_comes_from_the_audio_specific_config() {
    // The sample entry of ffmpeg's mono AAC says 2 channels; the facts must say 1.
    let bytes = std::fs::read(fixture("h264_1080x1920_aac.mp4")).unwrap();
    let moov = mp4_atom::Moov::decode(&mut &bytes[32..32 + MOOV_LEN]).unwrap();
    let soun = moov
        .trak
        .iter()
        .find(|t| t.mdia.hdlr.handler == b"soun".into())
        .unwrap();
    let entry = soun.mdia.minf.stbl.stsd.codecs[0].audio().unwrap();
    assert_eq!(
        entry.channel_count, 2,
        "the fixture no longer shows the trap"
    );
    let facts = facts_of("h264_1080x1920_aac.mp4").await.unwrap();
    assert_eq!(facts.audio.unwrap().channels, Some(1));
}

#[tokio::test]
async fn the_encoders_start_offset_is_applied_so_the_first_keyframe_is_at_zero() {
    // x264 with B-frames: the first frame's composition time is 2 frames in and the edit list
    // starts the presentation there (ffprobe: first keyframe 0.000000).
    let bytes = std::fs::read(fixture("h264_1080x1920_aac.mp4")).unwrap();
    let moov = mp4_atom::Moov::decode(&mut &bytes[32..32 + MOOV_LEN]).unwrap();
    let vide = moov
        .trak
        .iter()
        .find(|t| t.mdia.hdlr.handler == b"vide".into())
        .unwrap();
    let elst = vide.edts.as_ref().unwrap().elst.as_ref().unwrap();
    assert_eq!(elst.entries.len(), 1);
    assert!(elst.entries[0].media_time.unwrap() > 0);
    assert!(vide.mdia.minf.stbl.ctts.is_some());
    let times = facts_of("h264_1080x1920_aac.mp4")
        .await
        .unwrap()
        .video
        .unwrap()
        .keyframe_times;
    assert_eq!(times, vec![0.0, 1.0, 2.0]);
}

#[tokio::test]
async fn an_empty_edit_delays_the_keyframes_and_counts_as_an_edit_list() {
    let bytes = std::fs::read(fixture("h264_1080x1920_aac.mp4")).unwrap();
    let mut moov = mp4_atom::Moov::decode(&mut &bytes[32..32 + MOOV_LEN]).unwrap();
    let scale = u64::from(moov.mvhd.timescale);
    let vide = moov
        .trak
        .iter_mut()
        .find(|t| t.mdia.hdlr.handler == b"vide".into())
        .unwrap();
    let elst = vide.edts.as_mut().unwrap().elst.as_mut().unwrap();
    let mut empty = elst.entries[0].clone();
    empty.media_time = None;
    empty.segment_duration = scale; // one second of nothing first
    elst.entries.insert(0, empty);
    let facts = tracks::facts(
        &moov,
        tracks::FileFacts {
            container: Container::Mp4,
            major_brand: "isom".to_owned(),
            file_size: 137893,
            faststart: true,
        },
    )
    .unwrap();
    assert!(facts.edit_lists);
    assert_eq!(facts.video.unwrap().keyframe_times, vec![1.0, 2.0, 3.0]);
}

/// The main fixture's facts after `edit` changed the video track's single edit.
fn with_video_edit(edit: impl FnOnce(&mut mp4_atom::ElstEntry, u64)) -> VideoFacts {
    let bytes = std::fs::read(fixture("h264_1080x1920_aac.mp4")).unwrap();
    let mut moov = mp4_atom::Moov::decode(&mut &bytes[32..32 + MOOV_LEN]).unwrap();
    let vide = moov
        .trak
        .iter_mut()
        .find(|t| t.mdia.hdlr.handler == b"vide".into())
        .unwrap();
    let media_scale = u64::from(vide.mdia.mdhd.timescale);
    let elst = vide.edts.as_mut().unwrap().elst.as_mut().unwrap();
    edit(&mut elst.entries[0], media_scale);
    tracks::facts(
        &moov,
        tracks::FileFacts {
            container: Container::Mp4,
            major_brand: "isom".to_owned(),
            file_size: 137893,
            faststart: true,
        },
    )
    .unwrap()
}

#[test]
fn a_single_edit_that_trims_the_media_counts_as_an_edit_list() {
    // Unchanged: only the B-frame offset.
    assert!(!with_video_edit(|_, _| {}).edit_lists);
    // Starts half a second into the media: the first keyframe is then before the start.
    let trimmed_start = with_video_edit(|e, scale| {
        e.media_time = e.media_time.map(|t| t + scale / 2);
    });
    assert!(trimmed_start.edit_lists);
    assert_eq!(
        trimmed_start.video.unwrap().keyframe_times,
        vec![-0.5, 0.5, 1.5]
    );
    // Plays only the first half of the media.
    let trimmed_end = with_video_edit(|e, _| e.segment_duration /= 2);
    assert!(trimmed_end.edit_lists);
}

#[tokio::test]
async fn moov_at_the_end_is_not_faststart_and_costs_only_the_headers_and_the_moov() {
    let source = FileSource::new(fixture("h264_moov_at_end.mp4"));
    let facts = read_facts(&source).await.unwrap();
    assert_eq!(
        facts,
        VideoFacts {
            faststart: false,
            ..vertical_h264_aac()
        }
    );
    // Four 16-byte header reads (ftyp, free, mdat, moov), the ftyp body (24) and the moov
    // (4581): 4669 of 137893 bytes, none of the 133272 bytes of media data.
    let read = source.bytes_read();
    assert_eq!(read, 4 * 16 + 24 + MOOV_LEN as u64);
    assert!(
        read * 20 < facts.file_size,
        "read {read} of {} bytes",
        facts.file_size
    );
}

#[tokio::test]
async fn a_rotated_mov_displays_portrait() {
    // ffprobe: 1920x1080, displaymatrix rotation=90 (counter-clockwise), i.e. 270 clockwise.
    let facts = facts_of("rotated.mov").await.unwrap();
    assert_eq!(facts.container, Container::Mov);
    assert_eq!(facts.major_brand, "qt  ");
    assert!(!facts.faststart);
    assert_eq!(facts.file_size, 67958);
    assert_eq!(facts.overall_bit_rate, Some(543_664));
    let video = facts.video.unwrap();
    assert_eq!((video.coded_width, video.coded_height), (1920, 1080));
    assert_eq!(video.rotation, 270);
    assert_eq!((video.display_width, video.display_height), (1080, 1920));
    assert_eq!(video.bit_rate, Some(534_680));
    assert_eq!(video.keyframe_times, vec![0.0, 0.5]);
    assert!(facts.audio.is_none());
}

#[tokio::test]
async fn an_hevc_clip_tagged_hvc1_gives_its_codec_string() {
    // ffprobe: hevc Main, tag hvc1, level 120, 1080x1920, 30/1, 222448 b/s, one keyframe at 0.
    let facts = facts_of("hevc.mp4").await.unwrap();
    assert_eq!(facts.duration_seconds, 1.0);
    assert_eq!(facts.overall_bit_rate, Some(251_696));
    let video = facts.video.unwrap();
    assert_eq!(video.codec, "hvc1");
    assert_eq!(video.codec_string.as_deref(), Some("hvc1.1.6.L120.90"));
    assert_eq!(video.profile.as_deref(), Some("Main"));
    assert_eq!((video.display_width, video.display_height), (1080, 1920));
    assert_eq!(video.frame_rate, Some(Rational { num: 30, den: 1 }));
    assert_eq!(video.frames, 30);
    assert_eq!(video.keyframe_times, vec![0.0]);
    assert_eq!(video.bit_rate, Some(222_448));
}

#[tokio::test]
async fn no_audio_and_silent_audio_are_told_apart_from_a_real_track() {
    // ffprobe: no_audio has one stream, 69424 bytes; silent_audio has aac LC 48000 Hz mono
    // at 1632 b/s, format duration 1.003000.
    let none = facts_of("no_audio.mp4").await.unwrap();
    assert!(none.audio.is_none());
    assert_eq!(none.file_size, 69424);
    assert_eq!(none.overall_bit_rate, Some(555_392));
    let silent = facts_of("silent_audio.mp4").await.unwrap();
    assert_eq!((silent.duration_seconds * 1000.0).round(), 1003.0);
    assert_eq!(silent.overall_bit_rate, Some(565_583));
    let audio = silent.audio.unwrap();
    assert_eq!(audio.sample_rate, Some(48000));
    assert_eq!(audio.channels, Some(1));
    assert_eq!(audio.bit_rate, Some(1632));
}

#[tokio::test]
async fn ntsc_frame_rate_stays_an_exact_fraction() {
    // ffprobe: 640x360 High level 30, r_frame_rate 30000/1001, duration 1.001000,
    // keyframes 0.000000 and 0.500500.
    let facts = facts_of("ntsc_29_97.mp4").await.unwrap();
    assert_eq!((facts.duration_seconds * 1000.0).round(), 1001.0);
    assert_eq!(facts.overall_bit_rate, Some(168_719));
    let video = facts.video.unwrap();
    assert_eq!(video.codec_string.as_deref(), Some("avc1.64001e"));
    assert_eq!(
        video.frame_rate,
        Some(Rational {
            num: 30000,
            den: 1001
        })
    );
    assert_eq!(video.keyframe_times, vec![0.0, 0.5005]);
    assert_eq!(video.bit_rate, Some(158_953));
}

#[tokio::test]
async fn a_file_cut_in_its_moov_is_truncated_and_not_worth_retrying() {
    let err = facts_of("truncated.mp4").await.unwrap_err();
    assert!(matches!(err, VideoError::Truncated(_)), "{err:?}");
    assert!(!err.is_transient());
}

#[tokio::test]
async fn a_csv_is_not_a_video() {
    let err = facts_of("not_a_video.mp4").await.unwrap_err();
    assert!(matches!(err, VideoError::NotAVideo(_)), "{err:?}");
    assert!(!err.is_transient());
    let png = Memory(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01".to_vec());
    let err = read_facts(&png).await.unwrap_err();
    assert!(matches!(err, VideoError::NotAVideo(_)), "{err:?}");
}

#[tokio::test]
async fn a_missing_file_is_a_source_error() {
    let err = facts_of("no_such_file.mp4").await.unwrap_err();
    assert!(matches!(err, VideoError::Source { .. }), "{err:?}");
}

#[tokio::test]
async fn ftyp_then_media_data_to_the_end_has_no_moov_and_is_truncated() {
    let mut bytes = std::fs::read(fixture("h264_1080x1920_aac.mp4")).unwrap()[..32].to_vec();
    bytes.extend_from_slice(&[0, 0, 0, 0]); // size 0: to the end of the file
    bytes.extend_from_slice(b"mdat");
    bytes.extend_from_slice(&[0xAB; 100]);
    let err = read_facts(&Memory(bytes)).await.unwrap_err();
    assert!(matches!(err, VideoError::Truncated(_)), "{err:?}");
}

#[tokio::test]
async fn a_64_bit_mdat_size_is_skipped_to_a_moov_after_it() {
    let original = std::fs::read(fixture("h264_1080x1920_aac.mp4")).unwrap();
    let mut bytes = original[..32].to_vec(); // ftyp
    bytes.extend_from_slice(&1u32.to_be_bytes());
    bytes.extend_from_slice(b"mdat");
    bytes.extend_from_slice(&(16u64 + 1000).to_be_bytes());
    bytes.extend_from_slice(&[0; 1000]);
    bytes.extend_from_slice(&original[32..32 + MOOV_LEN]); // moov
    let facts = read_facts(&Memory(bytes)).await.unwrap();
    assert!(!facts.faststart);
    assert_eq!(
        facts.video.unwrap().codec_string.as_deref(),
        Some("avc1.640028")
    );
}

#[tokio::test]
async fn a_moov_over_the_limit_is_refused_before_it_is_read() {
    let mut bytes = std::fs::read(fixture("h264_1080x1920_aac.mp4")).unwrap()[..32].to_vec();
    bytes.extend_from_slice(&(65u32 * 1024 * 1024).to_be_bytes());
    bytes.extend_from_slice(b"moov");
    let err = read_facts(&Memory(bytes)).await.unwrap_err();
    assert!(matches!(err, VideoError::MoovTooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn a_moov_with_garbage_inside_is_corrupt_not_a_panic() {
    let mut bytes = std::fs::read(fixture("h264_1080x1920_aac.mp4")).unwrap()[..32].to_vec();
    bytes.extend_from_slice(&24u32.to_be_bytes());
    bytes.extend_from_slice(b"moov");
    bytes.extend_from_slice(&[0xFF; 16]);
    let err = read_facts(&Memory(bytes)).await.unwrap_err();
    assert!(matches!(err, VideoError::Corrupt(_)), "{err:?}");
}

#[tokio::test]
async fn every_prefix_and_many_damaged_copies_never_panic() {
    let original = std::fs::read(fixture("h264_1080x1920_aac.mp4")).unwrap();
    let moov_end = 32 + MOOV_LEN;
    for cut in (0..moov_end).step_by(7) {
        let result = read_facts(&Memory(original[..cut].to_vec())).await;
        assert!(result.is_err(), "a file cut at {cut} bytes gave facts");
    }
    // Deterministic byte damage inside the moov (xorshift): any answer but a panic.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..400 {
        let mut damaged = original[..moov_end + 8].to_vec();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = 32 + (state as usize % MOOV_LEN);
            damaged[at] = (state >> 32) as u8;
        }
        let _ = read_facts(&Memory(damaged)).await;
    }
}

#[tokio::test]
async fn a_blob_source_reads_the_same_facts_with_ranged_reads() {
    use crate::blobs::{Blobs, Container as BlobContainer};
    let dir = tempfile::tempdir().unwrap();
    let blobs = Blobs::local_folder(dir.path()).unwrap();
    let bytes = std::fs::read(fixture("h264_moov_at_end.mp4")).unwrap();
    blobs
        .write(BlobContainer::Videos, "demo/clip.mp4", Bytes::from(bytes))
        .await
        .unwrap();
    let source = BlobSource::new(blobs, BlobContainer::Videos, "demo/clip.mp4");
    let facts = read_facts(&source).await.unwrap();
    assert_eq!(
        facts,
        VideoFacts {
            faststart: false,
            ..vertical_h264_aac()
        }
    );
    assert_eq!(source.bytes_read(), 4 * 16 + 24 + MOOV_LEN as u64);

    let missing = BlobSource::new(
        Blobs::local_folder(dir.path()).unwrap(),
        BlobContainer::Videos,
        "demo/gone.mp4",
    );
    let err = read_facts(&missing).await.unwrap_err();
    assert!(matches!(err, VideoError::Blob(_)), "{err:?}");
    assert!(!err.is_transient());
}

#[test]
fn hevc_codec_strings_follow_annex_e() {
    // Main 10, high tier, level 5.1, compatibility flag 2, one constraint byte.
    let hvcc = Hvcc {
        general_profile_space: 0,
        general_tier_flag: true,
        general_profile_idc: 2,
        general_profile_compatibility_flags: [0x20, 0, 0, 0],
        general_constraint_indicator_flags: [0xB0, 0, 0, 0, 0, 0],
        general_level_idc: 153,
        ..Hvcc::default()
    };
    let (fourcc, string, profile) = hevc("hev1", &hvcc);
    assert_eq!(fourcc, "hev1");
    assert_eq!(string.as_deref(), Some("hev1.2.4.H153.B0"));
    assert_eq!(profile.as_deref(), Some("Main 10"));
}

#[test]
fn av1_codec_strings_name_level_tier_and_depth() {
    let av1c = Av1c {
        seq_profile: 0,
        seq_level_idx_0: 8,
        seq_tier_0: false,
        high_bitdepth: false,
        ..Av1c::default()
    };
    assert_eq!(av1(&av1c).1.as_deref(), Some("av01.0.08M.08"));
    let ten_bit = Av1c {
        high_bitdepth: true,
        seq_level_idx_0: 13,
        ..av1c
    };
    assert_eq!(av1(&ten_bit).1.as_deref(), Some("av01.0.13M.10"));
}

#[test]
fn aac_configs_give_rate_and_channels() {
    // AAC LC, 44100 Hz, stereo: 0x12 0x10.
    assert_eq!(
        aac_rate_and_channels(4, 2, &[0x12, 0x10]),
        (Some(44100), Some(2))
    );
    // Explicit rate 22222 Hz (index 15): 5 bits type 2, 4 bits 15, 24 bits rate, 4 bits ch 1.
    let bits: u64 = (2 << 35) | (15 << 31) | (22222 << 7) | (1 << 3);
    let raw = &bits.to_be_bytes()[3..8];
    assert_eq!(aac_rate_and_channels(15, 1, raw), (Some(22222), Some(1)));
    // 7.1 is configuration 7; 0 means "in the program config element": unknown here.
    assert_eq!(aac_rate_and_channels(3, 7, &[]).1, Some(8));
    assert_eq!(aac_rate_and_channels(3, 0, &[]).1, None);
}

#[test]
fn rotation_reads_the_matrix_clockwise() {
    use super::tracks::rotation;
    let one = 0x10000;
    assert_eq!(rotation(one, 0), 0);
    assert_eq!(rotation(0, one), 90);
    assert_eq!(rotation(-one, 0), 180);
    assert_eq!(rotation(0, -one), 270);
    assert_eq!(rotation(0, 0), 0);
}

#[tokio::test]
async fn sample_tables_locate_every_frame_and_packet_and_agree_with_the_facts() {
    let movie = read_movie(&FileSource::new(fixture("h264_1080x1920_aac.mp4")))
        .await
        .unwrap();
    let facts = movie.facts.clone();
    let video = movie.video.unwrap();
    assert_eq!(video.samples.len(), 90);
    let keyframes: Vec<f64> = video.keyframes().map(|s| s.time).collect();
    assert_eq!(keyframes, facts.video.as_ref().unwrap().keyframe_times);
    // 30 fps: each frame 1/30 s after the previous in presentation order.
    let mut times: Vec<f64> = video.samples.iter().map(|s| s.time).collect();
    times.sort_by(f64::total_cmp);
    assert!((times[89] - 89.0 / 30.0).abs() < 1e-9, "{times:?}");
    let DecoderConfig::Avc {
        nal_length_size,
        sps,
        pps,
    } = &video.config
    else {
        panic!("{:?}", video.config)
    };
    assert_eq!((*nal_length_size, sps.len(), pps.len()), (4, 1, 1));
    assert_eq!(sps[0][0] & 0x1f, 7, "an SPS NAL unit");
    let audio = movie.audio.unwrap();
    let DecoderConfig::Aac {
        audio_specific_config,
    } = &audio.config
    else {
        panic!("{:?}", audio.config)
    };
    // AAC LC (2), 48 kHz (index 3), mono: 00010 0011 0001 000, then ffmpeg's explicit
    // "no SBR" extension (sync 0x2b7, type 5, flag 0).
    assert_eq!(
        audio_specific_config.as_ref(),
        &[0x11, 0x88, 0x56, 0xe5, 0x00]
    );
    // Samples sit inside the one mdat, back to back per chunk, and never overlap.
    let mut all: Vec<(u64, u64)> = video
        .samples
        .iter()
        .chain(&audio.samples)
        .map(|s| (s.offset, s.offset + u64::from(s.size)))
        .collect();
    all.sort_unstable();
    assert!(all.windows(2).all(|w| w[0].1 <= w[1].0));
    assert!(all.last().unwrap().1 <= facts.file_size);
}

#[tokio::test]
async fn a_file_cut_after_its_moov_has_facts_but_its_samples_are_truncated() {
    let whole = std::fs::read(fixture("h264_1080x1920_aac.mp4")).unwrap();
    let cut = Memory(whole[..whole.len() / 2].to_vec());
    read_facts(&cut).await.unwrap();
    let error = read_movie(&cut).await.unwrap_err();
    assert!(matches!(error, VideoError::Truncated(_)), "{error}");
    assert!(error.to_string().contains("past the file's"), "{error}");
}

#[tokio::test]
async fn hevc_samples_name_their_codec_for_decoders_that_cannot_take_it() {
    let movie = read_movie(&FileSource::new(fixture("hevc.mp4")))
        .await
        .unwrap();
    let video = movie.video.unwrap();
    assert_eq!(
        video.config,
        DecoderConfig::Other {
            codec: "hvc1".to_owned()
        }
    );
    assert_eq!(video.samples.len(), 30);
}

#[tokio::test]
async fn a_sample_group_box_claiming_billions_of_empty_entries_is_corrupt_not_gigabytes() {
    // The `mp4` fuzz target's find: mp4-atom gives each entry past the first zero bytes, so
    // this 100-byte file used to grow past 2 GiB while its moov decoded.
    let mut sgpd = vec![0, 0, 0, 0];
    sgpd.extend(b"zzzz");
    sgpd.extend(u32::MAX.to_be_bytes());
    sgpd.extend([1, 2, 3, 4]);
    let sgpd = [&(8 + sgpd.len() as u32).to_be_bytes()[..], b"sgpd", &sgpd].concat();
    let moov = [&(8 + sgpd.len() as u32).to_be_bytes()[..], b"moov", &sgpd].concat();
    let ftyp = [
        &20u32.to_be_bytes()[..],
        b"ftypisom",
        &[0, 0, 2, 0],
        b"isom",
    ]
    .concat();
    let error = read_facts(&Memory([ftyp, moov].concat()))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the video is corrupt: a sample group box at byte 8 of the moov claims 4294967295 \
         entries in 4 bytes"
    );
    assert!(!error.is_transient());
}
