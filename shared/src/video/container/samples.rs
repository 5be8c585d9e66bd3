//! Where each sample of a track sits in the file and when it is shown, from the `moov`'s
//! sample tables (`stsz`, `stsc`, `stco`/`co64`, `stts`, `ctts`, `stss`, `elst`), with the
//! codec configuration a decoder needs. Decoders fetch just the samples they want by byte
//! range, so a multi-gigabyte video never passes through memory.

use bytes::Bytes;
use mp4_atom::{Codec, StszSamples, Trak};

use super::VideoError;
use super::tracks::presentation_offset;

/// The most samples listed per track: a day of 30 fps video or five hours of 48 kHz AAC, at
/// 24 bytes each. A longer track lists only its first samples; keyframe and audio sampling
/// then covers that part, which the insight's measured seconds show.
pub const MAX_SAMPLES: usize = 2_500_000;

/// One sample (a video frame, an audio packet).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Where its bytes start in the file.
    pub offset: u64,
    /// How many bytes it has.
    pub size: u32,
    /// When it is shown, in seconds from the start of the presentation (edit list applied).
    pub time: f64,
    /// A sync sample (keyframe): decodable on its own.
    pub sync: bool,
}

/// What a decoder needs besides the samples.
#[derive(Debug, Clone, PartialEq)]
pub enum DecoderConfig {
    /// H.264 (`avc1`/`avc3`): NAL units in each sample are prefixed by their length.
    Avc {
        /// Bytes of each NAL unit's length prefix (1, 2 or 4).
        nal_length_size: u8,
        /// Sequence parameter sets (NAL units without a start code or length).
        sps: Vec<Bytes>,
        /// Picture parameter sets.
        pps: Vec<Bytes>,
    },
    /// AAC (`mp4a` with object type 0x40).
    Aac {
        /// The AudioSpecificConfig, as a decoder's extra data.
        audio_specific_config: Bytes,
    },
    /// Any other codec, by its sample entry's four characters: no decoder here.
    Other {
        /// `hvc1`, `av01`, `Opus`…
        codec: String,
    },
}

/// A track's samples in decoding order, and its decoder configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackSamples {
    /// The codec configuration.
    pub config: DecoderConfig,
    /// The samples, at most [`MAX_SAMPLES`].
    pub samples: Vec<Sample>,
}

impl TrackSamples {
    /// The sync samples (keyframes), in decoding order.
    pub fn keyframes(&self) -> impl Iterator<Item = &Sample> {
        self.samples.iter().filter(|s| s.sync)
    }
}

/// The samples of `trak`, or why its tables do not add up.
pub(super) fn track_samples(
    trak: &Trak,
    movie_scale: u32,
    file_size: u64,
) -> Result<TrackSamples, VideoError> {
    let stbl = &trak.mdia.minf.stbl;
    let sizes = sample_sizes(&stbl.stsz.samples);
    let offsets = chunk_offsets(trak);
    let scale = trak.mdia.mdhd.timescale;
    let sync: Option<std::collections::HashSet<u32>> = stbl
        .stss
        .as_ref()
        .map(|s| s.entries.iter().copied().collect());
    let shift = presentation_offset(trak, movie_scale);
    let mut times = SampleTimes::new(trak);
    let mut samples = Vec::with_capacity(sizes.len().min(MAX_SAMPLES));
    let stsc = &stbl.stsc.entries;
    let mut number: u32 = 0;
    'chunks: for (chunk_index, &chunk_offset) in offsets.iter().enumerate() {
        let chunk = u32::try_from(chunk_index + 1).unwrap_or(u32::MAX);
        let per_chunk = stsc
            .iter()
            .take_while(|e| e.first_chunk <= chunk)
            .last()
            .map_or(0, |e| e.samples_per_chunk);
        let mut offset = chunk_offset;
        for _ in 0..per_chunk {
            let Some(&size) = sizes.get(number as usize) else {
                break 'chunks;
            };
            if samples.len() >= MAX_SAMPLES {
                break 'chunks;
            }
            number += 1;
            let end = offset.saturating_add(u64::from(size));
            if end > file_size {
                return Err(VideoError::Truncated(format!(
                    "sample {number} ends at byte {end}, past the file's {file_size}"
                )));
            }
            let units = times.next_presentation() - shift;
            samples.push(Sample {
                offset,
                size,
                time: if scale == 0 {
                    0.0
                } else {
                    units as f64 / f64::from(scale)
                },
                sync: sync.as_ref().is_none_or(|s| s.contains(&number)),
            });
            offset = end;
        }
    }
    Ok(TrackSamples {
        config: decoder_config(trak),
        samples,
    })
}

/// Each sample's size, the table expanded (capped at [`MAX_SAMPLES`]).
fn sample_sizes(stsz: &StszSamples) -> Vec<u32> {
    match stsz {
        StszSamples::Identical { count, size } => {
            vec![*size; (*count as usize).min(MAX_SAMPLES)]
        }
        StszSamples::Different { sizes } => sizes.iter().take(MAX_SAMPLES).copied().collect(),
    }
}

fn chunk_offsets(trak: &Trak) -> Vec<u64> {
    let stbl = &trak.mdia.minf.stbl;
    match (&stbl.co64, &stbl.stco) {
        (Some(co64), _) => co64.entries.clone(),
        (None, Some(stco)) => stco.entries.iter().map(|o| u64::from(*o)).collect(),
        (None, None) => Vec::new(),
    }
}

/// Walks the `stts` and `ctts` runs one sample at a time.
struct SampleTimes<'a> {
    stts: std::slice::Iter<'a, mp4_atom::SttsEntry>,
    stts_left: u32,
    stts_delta: i128,
    ctts: Option<std::slice::Iter<'a, mp4_atom::CttsEntry>>,
    ctts_left: u32,
    ctts_offset: i128,
    decode: i128,
}

impl<'a> SampleTimes<'a> {
    fn new(trak: &'a Trak) -> Self {
        let stbl = &trak.mdia.minf.stbl;
        Self {
            stts: stbl.stts.entries.iter(),
            stts_left: 0,
            stts_delta: 0,
            ctts: stbl.ctts.as_ref().map(|c| c.entries.iter()),
            ctts_left: 0,
            ctts_offset: 0,
            decode: 0,
        }
    }

    /// The next sample's presentation time in the track's timescale (before the edit list).
    fn next_presentation(&mut self) -> i128 {
        while self.stts_left == 0 {
            match self.stts.next() {
                Some(e) => {
                    self.stts_left = e.sample_count;
                    self.stts_delta = i128::from(e.sample_delta);
                }
                None => {
                    // More samples than the table times: the last delta goes on.
                    self.stts_left = u32::MAX;
                }
            }
        }
        if let Some(ctts) = self.ctts.as_mut() {
            while self.ctts_left == 0 {
                match ctts.next() {
                    Some(e) => {
                        self.ctts_left = e.sample_count;
                        self.ctts_offset = i128::from(e.sample_offset);
                    }
                    None => {
                        self.ctts_left = u32::MAX;
                        self.ctts_offset = 0;
                    }
                }
            }
            self.ctts_left -= 1;
        }
        let presentation = self.decode + self.ctts_offset;
        self.decode += self.stts_delta;
        self.stts_left -= 1;
        presentation
    }
}

fn decoder_config(trak: &Trak) -> DecoderConfig {
    let codec = trak.mdia.minf.stbl.stsd.codecs.first();
    let avc = |avcc: &mp4_atom::Avcc| DecoderConfig::Avc {
        nal_length_size: avcc.length_size,
        sps: avcc
            .sequence_parameter_sets
            .iter()
            .map(|s| Bytes::copy_from_slice(s))
            .collect(),
        pps: avcc
            .picture_parameter_sets
            .iter()
            .map(|p| Bytes::copy_from_slice(p))
            .collect(),
    };
    match codec {
        Some(Codec::Avc1(c)) => avc(&c.avcc),
        Some(Codec::Avc3(c)) => avc(&c.avcc),
        Some(Codec::Mp4a(m))
            if m.esds.es_desc.dec_config.object_type_indication == 0x40
                && m.esds
                    .es_desc
                    .dec_config
                    .dec_specific
                    .as_ref()
                    .is_some_and(|d| !d.raw.is_empty()) =>
        {
            let raw = m
                .esds
                .es_desc
                .dec_config
                .dec_specific
                .as_ref()
                .map(|d| Bytes::copy_from_slice(&d.raw))
                .unwrap_or_default();
            DecoderConfig::Aac {
                audio_specific_config: raw,
            }
        }
        Some(other) => DecoderConfig::Other {
            codec: super::codecs::fourcc(other),
        },
        None => DecoderConfig::Other {
            codec: String::new(),
        },
    }
}
