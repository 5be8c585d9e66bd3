//! Turns a decoded `moov` into [`VideoFacts`]: codec strings from the configuration boxes,
//! rotation from the track matrix, exact frame rate and keyframe times from the sample tables.

use mp4_atom::{Codec, Moov, StszSamples, Trak};

use super::VideoError;
use super::codecs::{aac_rate_and_channels, fourcc, video_codec};
use crate::video::facts::{AudioTrack, Container, Rational, VideoFacts, VideoTrack};

/// What the top-level walk learnt about the file.
pub(super) struct FileFacts {
    pub container: Container,
    pub major_brand: String,
    pub file_size: u64,
    pub faststart: bool,
}

/// The facts of `moov` in a file described by `file`.
pub(super) fn facts(moov: &Moov, file: FileFacts) -> Result<VideoFacts, VideoError> {
    if moov.trak.is_empty() {
        return Err(VideoError::Corrupt("the moov box has no tracks".to_owned()));
    }
    let movie_scale = moov.mvhd.timescale;
    let mut duration_seconds = seconds(moov.mvhd.duration, movie_scale);
    if duration_seconds <= 0.0 {
        // Fragmented or sloppy writers leave mvhd at 0: the longest track then.
        duration_seconds = moov
            .trak
            .iter()
            .map(|t| seconds(t.mdia.mdhd.duration, t.mdia.mdhd.timescale))
            .fold(0.0, f64::max);
    }
    let overall_bit_rate = if moov.mvhd.duration > 0 {
        bits_per_second(file.file_size, moov.mvhd.duration, movie_scale)
    } else {
        // Microseconds of the longest track.
        bits_per_second(file.file_size, (duration_seconds * 1e6) as u64, 1_000_000)
    };
    let edit_lists = moov.trak.iter().any(|t| has_real_edits(t, movie_scale));
    let video = moov
        .trak
        .iter()
        .find(|t| t.mdia.hdlr.handler == b"vide".into())
        .map(|t| video_track(t, movie_scale));
    let audio = moov
        .trak
        .iter()
        .find(|t| t.mdia.hdlr.handler == b"soun".into())
        .map(audio_track);
    Ok(VideoFacts {
        container: file.container,
        major_brand: file.major_brand,
        file_size: file.file_size,
        duration_seconds,
        overall_bit_rate,
        faststart: file.faststart,
        edit_lists,
        video,
        audio,
    })
}

fn seconds(units: u64, scale: u32) -> f64 {
    if scale == 0 {
        0.0
    } else {
        units as f64 / f64::from(scale)
    }
}

/// An edit list that changes the presentation: several edits, an empty edit (a delayed start),
/// a rate other than 1, or a single edit that trims the media (starts later than the encoder's
/// offset, or ends more than a sample before the media does). A single edit that only hides
/// the B-frame composition delay or AAC priming (what every encoder writes) does not count.
fn has_real_edits(trak: &Trak, movie_scale: u32) -> bool {
    let Some(elst) = trak.edts.as_ref().and_then(|e| e.elst.as_ref()) else {
        return false;
    };
    let only = match elst.entries.as_slice() {
        [] => return false,
        [only] => only,
        _ => return true,
    };
    let Some(start) = only.media_time else {
        return true;
    };
    if only.media_rate.integer() != 1 || only.media_rate.decimal() != 0 {
        return true;
    }
    let stbl = &trak.mdia.minf.stbl;
    let scale = u128::from(trak.mdia.mdhd.timescale);
    // The encoder's offset: the first sample's composition offset, or up to 1/20 s of priming.
    let first_cts = stbl
        .ctts
        .as_ref()
        .and_then(|c| c.entries.first())
        .map_or(0, |e| u128::try_from(e.sample_offset).unwrap_or(0));
    let allowance = first_cts.max(scale / 20);
    let start = u128::from(start);
    if start > allowance {
        return true;
    }
    // A segment of 0 plays to the end (fragmented files write that).
    if only.segment_duration == 0 || movie_scale == 0 {
        return false;
    }
    let played = u128::from(only.segment_duration) * scale / u128::from(movie_scale);
    let (_, media) = stts_totals(trak);
    let longest_delta = stbl
        .stts
        .entries
        .iter()
        .map(|e| u128::from(e.sample_delta))
        .max()
        .unwrap_or(0);
    start + played + longest_delta < u128::from(media)
}

/// Where the presentation starts in the track's media time, from its edit list: the first
/// non-empty edit's `media_time`, less any empty edit before it (converted from the movie's
/// timescale to the track's).
pub(super) fn presentation_offset(trak: &Trak, movie_scale: u32) -> i128 {
    let Some(elst) = trak.edts.as_ref().and_then(|e| e.elst.as_ref()) else {
        return 0;
    };
    let media_scale = i128::from(trak.mdia.mdhd.timescale);
    let mut empty: i128 = 0;
    for entry in &elst.entries {
        match entry.media_time {
            None => {
                if movie_scale > 0 {
                    empty +=
                        i128::from(entry.segment_duration) * media_scale / i128::from(movie_scale);
                }
            }
            Some(start) => return i128::from(start) - empty,
        }
    }
    -empty
}

/// Sum of `stts` deltas and the sample count it describes.
fn stts_totals(trak: &Trak) -> (u64, u64) {
    trak.mdia
        .minf
        .stbl
        .stts
        .entries
        .iter()
        .fold((0u64, 0u64), |(count, units), e| {
            (
                count.saturating_add(u64::from(e.sample_count)),
                units.saturating_add(
                    u64::from(e.sample_count).saturating_mul(u64::from(e.sample_delta)),
                ),
            )
        })
}

/// Bytes of all samples, from `stsz`.
fn media_bytes(trak: &Trak) -> u64 {
    match &trak.mdia.minf.stbl.stsz.samples {
        StszSamples::Identical { count, size } => u64::from(*count) * u64::from(*size),
        StszSamples::Different { sizes } => sizes.iter().map(|s| u64::from(*s)).sum(),
    }
}

/// Bits a second over the track's media duration (its `mdhd`, else its `stts`), rounded down
/// as ffprobe does.
fn bit_rate(trak: &Trak) -> Option<u64> {
    let mdhd = &trak.mdia.mdhd;
    let units = if mdhd.duration > 0 {
        mdhd.duration
    } else {
        stts_totals(trak).1
    };
    bits_per_second(media_bytes(trak), units, mdhd.timescale)
}

/// `bytes` × 8 over `units` of `scale` a second, in integers so exact rates stay exact.
fn bits_per_second(bytes: u64, units: u64, scale: u32) -> Option<u64> {
    if units == 0 || scale == 0 {
        return None;
    }
    let bits = u128::from(bytes) * 8 * u128::from(scale);
    u64::try_from(bits / u128::from(units)).ok()
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `num/den` reduced, or `None` when `den` is 0.
fn reduced(num: u64, den: u64) -> Option<Rational> {
    if den == 0 {
        return None;
    }
    let g = gcd(num, den).max(1);
    Some(Rational {
        num: num / g,
        den: den / g,
    })
}

/// Clockwise display rotation from a track matrix, to the nearest quarter turn.
pub(super) fn rotation(a: i32, b: i32) -> u16 {
    if a == 0 && b == 0 {
        return 0;
    }
    let degrees = f64::from(b).atan2(f64::from(a)).to_degrees();
    let quarter = (degrees / 90.0).round() as i64;
    (quarter.rem_euclid(4) * 90) as u16
}

fn video_track(trak: &Trak, movie_scale: u32) -> VideoTrack {
    let codec = trak.mdia.minf.stbl.stsd.codecs.first();
    let (fourcc, codec_string, profile) = match codec {
        Some(c) => video_codec(c),
        None => (String::new(), None, None),
    };
    let (coded_width, coded_height) = match codec.and_then(Codec::visual) {
        Some(v) => (u32::from(v.width), u32::from(v.height)),
        None => (
            u32::from(trak.tkhd.width.integer()),
            u32::from(trak.tkhd.height.integer()),
        ),
    };
    let rotation = rotation(trak.tkhd.matrix.a, trak.tkhd.matrix.b);
    let (display_width, display_height) = if rotation % 180 == 90 {
        (coded_height, coded_width)
    } else {
        (coded_width, coded_height)
    };
    let (frames, units) = stts_totals(trak);
    let scale = u64::from(trak.mdia.mdhd.timescale);
    let frame_rate = if frames > 0 {
        frames
            .checked_mul(scale)
            .and_then(|num| reduced(num, units))
    } else {
        None
    };
    VideoTrack {
        codec: fourcc,
        codec_string,
        profile,
        coded_width,
        coded_height,
        rotation,
        display_width,
        display_height,
        frame_rate,
        frames,
        keyframe_times: keyframe_times(trak, movie_scale),
        bit_rate: bit_rate(trak),
    }
}

/// The most keyframe times listed when every sample is a keyframe (no `stss`: intra-only
/// video), so a hostile sample count cannot make the list unbounded.
const MAX_KEYFRAMES: u64 = 100_000;

/// Presentation times (seconds) of the sync samples: decode time from `stts`, plus the
/// composition offset from `ctts`, less the edit list's start. Every sample is a keyframe
/// when there is no `stss`.
fn keyframe_times(trak: &Trak, movie_scale: u32) -> Vec<f64> {
    let stbl = &trak.mdia.minf.stbl;
    let scale = trak.mdia.mdhd.timescale;
    if scale == 0 {
        return Vec::new();
    }
    let (frames, _) = stts_totals(trak);
    let mut sync: Vec<u64> = match &stbl.stss {
        Some(stss) => stss.entries.iter().map(|n| u64::from(*n)).collect(),
        None => (1..=frames.min(MAX_KEYFRAMES)).collect(),
    };
    sync.retain(|n| *n >= 1 && *n <= frames);
    sync.sort_unstable();
    sync.dedup();
    let offset = presentation_offset(trak, movie_scale);
    let stts: Vec<(u64, i128)> = stbl
        .stts
        .entries
        .iter()
        .map(|e| (u64::from(e.sample_count), i128::from(e.sample_delta)))
        .collect();
    let ctts: Vec<(u64, i128)> = stbl
        .ctts
        .iter()
        .flat_map(|c| c.entries.iter())
        .map(|e| (u64::from(e.sample_count), i128::from(e.sample_offset)))
        .collect();
    // Both tables are runs; the sample numbers are sorted, so each run is passed once and a
    // sample's time is arithmetic within its run (no per-sample loop a hostile count could
    // make endless).
    let (mut ti, mut t_first, mut t_dts) = (0usize, 1u64, 0i128);
    let (mut ci, mut c_first) = (0usize, 1u64);
    let mut times = Vec::with_capacity(sync.len());
    for target in sync {
        while let Some(&(count, delta)) = stts.get(ti) {
            if target < t_first.saturating_add(count) {
                break;
            }
            t_dts += i128::from(count) * delta;
            t_first = t_first.saturating_add(count);
            ti += 1;
        }
        let delta = stts.get(ti).map_or(0, |r| r.1);
        let dts = t_dts + i128::from(target.saturating_sub(t_first)) * delta;
        while let Some(&(count, _)) = ctts.get(ci) {
            if target < c_first.saturating_add(count) {
                break;
            }
            c_first = c_first.saturating_add(count);
            ci += 1;
        }
        let cts = dts + ctts.get(ci).map_or(0, |r| r.1);
        let secs = (cts - offset) as f64 / f64::from(scale);
        // Microseconds: rounding keeps 0.5 from printing as 0.49999….
        times.push((secs * 1_000_000.0).round() / 1_000_000.0);
    }
    times
}

fn audio_track(trak: &Trak) -> AudioTrack {
    let codec = trak.mdia.minf.stbl.stsd.codecs.first();
    let entry = codec.and_then(Codec::audio);
    let entry_rate = entry.map(|a| u32::from(a.sample_rate.integer()));
    let entry_channels = entry.and_then(|a| u8::try_from(a.channel_count).ok());
    let (fourcc, codec_string, sample_rate, channels) = match codec {
        Some(Codec::Mp4a(m)) => {
            let dc = &m.esds.es_desc.dec_config;
            match &dc.dec_specific {
                Some(ds) if dc.object_type_indication == 0x40 => {
                    let (rate, ch) = aac_rate_and_channels(ds.freq_index, ds.chan_conf, &ds.raw);
                    (
                        "mp4a".to_owned(),
                        Some(format!("mp4a.40.{}", ds.profile)),
                        rate,
                        ch,
                    )
                }
                _ => (
                    "mp4a".to_owned(),
                    Some(format!("mp4a.{:02x}", dc.object_type_indication)),
                    entry_rate,
                    entry_channels,
                ),
            }
        }
        Some(Codec::Opus(o)) => (
            "Opus".to_owned(),
            Some("opus".to_owned()),
            Some(48000),
            Some(o.dops.output_channel_count),
        ),
        Some(Codec::Unknown(kind, _)) => (kind.to_string(), None, entry_rate, entry_channels),
        Some(other) => (fourcc(other), None, entry_rate, entry_channels),
        None => (String::new(), None, None, None),
    };
    AudioTrack {
        codec: fourcc,
        codec_string,
        sample_rate,
        channels,
        bit_rate: bit_rate(trak),
    }
}
