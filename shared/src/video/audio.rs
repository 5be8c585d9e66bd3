//! Whether a video's sound would be heard: decodes the audio track's AAC packets with
//! symphonia's pure-Rust AAC-LC decoder and measures their RMS and peak level.
//!
//! Only the audio samples' byte ranges are fetched, contiguous packets coalesced into reads of
//! at most [`MAX_READ_BYTES`], so memory holds one read and one decoded packet at a time,
//! whatever the video's size. A track up to [`WHOLE_TRACK_SECONDS`] long is measured whole; a
//! longer one in [`WINDOWS`] windows of [`WINDOW_SECONDS`] spread over it, which
//! [`AudioLevel::seconds_measured`] shows.

use std::ops::Range;

use bytes::{Bytes, BytesMut};
use symphonia_codec_aac::AacDecoder;
use symphonia_core::codecs::audio::well_known::CODEC_ID_AAC;
use symphonia_core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia_core::packet::PacketRef;
use symphonia_core::units::{Duration, Timestamp};

use super::container::{ByteSource, DecoderConfig, Sample, TrackSamples, VideoError};
use super::insights::AudioLevel;

/// A track counts as audible when its peak is above this level (dBFS).
///
/// An encoder turns digital silence into exact zeros (no peak at all), and the quietest
/// content a merchant means to be heard (soft speech, music faded under a voice-over) peaks
/// well above −40 dBFS. Below −50 dBFS lies what nobody hears on a phone speaker: a muted or
/// unplugged microphone's hiss and codec noise. At a loud listening level where full scale is
/// about 85 dB SPL, −50 dBFS is 35 dB SPL, under the 40 dB SPL of a quiet room. The threshold
/// sits between the two, so "silent" means "nothing to hear", not only "digital zeros".
pub const AUDIBLE_PEAK_DBFS: f64 = -50.0;

/// The most bytes fetched in one read: contiguous packets are read together up to this.
pub const MAX_READ_BYTES: u64 = 1024 * 1024;

/// A track up to this long (seconds) is measured whole.
pub const WHOLE_TRACK_SECONDS: f64 = 600.0;

/// How many windows a longer track is measured in, spread evenly from start to end.
pub const WINDOWS: usize = 20;

/// How long each window of a long track is (seconds).
pub const WINDOW_SECONDS: f64 = 30.0;

/// Packets decoded, and not measured, before each window of a long track: an AAC frame
/// overlaps the one before it, so the first measured packet needs its predecessor.
const PRE_ROLL: usize = 1;

/// The id of the element that ends an AAC frame (ISO/IEC 14496-3, table 4.85).
const ID_TERM: u8 = 7;

/// Why a track's loudness could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The codec (or this AAC flavour) has no decoder here: only AAC-LC, mono or stereo.
    #[error("cannot decode {codec} audio here: only AAC-LC in mono or stereo is measured")]
    CannotDecode {
        /// The codec: a sample entry (`Opus`, `ac-3`) or an AAC codec string (`mp4a.40.5`).
        codec: String,
    },
    /// The packets do not decode (more than half of them fail, or the configuration is bad).
    #[error("the audio does not decode: {0}")]
    Decode(String),
    /// Reading the packets' bytes failed.
    #[error(transparent)]
    Source(#[from] VideoError),
}

impl AudioError {
    /// True only when reading the source failed in a way that may succeed later; the same
    /// bytes decode the same way every time.
    pub fn is_transient(&self) -> bool {
        match self {
            AudioError::Source(e) => e.is_transient(),
            AudioError::CannotDecode { .. } | AudioError::Decode(_) => false,
        }
    }
}

/// Measures how loud the audio `track` of the video in `source` is.
///
/// A packet that fails to decode is skipped and counted; when more than half fail the track
/// is [`AudioError::Decode`]. A track without packets measures as silent over 0 seconds.
pub async fn measure_audio(
    source: &dyn ByteSource,
    track: &TrackSamples,
) -> Result<AudioLevel, AudioError> {
    let mut decoder = match &track.config {
        DecoderConfig::Aac {
            audio_specific_config,
        } => new_decoder(audio_specific_config)?,
        DecoderConfig::Other { codec } => {
            return Err(AudioError::CannotDecode {
                codec: if codec.is_empty() {
                    "an unnamed codec".to_owned()
                } else {
                    codec.clone()
                },
            });
        }
        DecoderConfig::Avc { .. } => {
            return Err(AudioError::CannotDecode {
                codec: "avc1 (video, not audio)".to_owned(),
            });
        }
    };
    let mut state = Measure::default();
    for window in windows(&track.samples) {
        decoder.reset();
        measure_window(source, &track.samples, &window, &mut decoder, &mut state).await?;
    }
    if state.failed * 2 > state.attempted {
        return Err(AudioError::Decode(format!(
            "{} of {} packets fail: {}",
            state.failed,
            state.attempted,
            state.first_error.as_deref().unwrap_or("no reason given")
        )));
    }
    Ok(state.level())
}

/// An AAC decoder for `asc`, or why there cannot be one.
fn new_decoder(asc: &Bytes) -> Result<AacDecoder, AudioError> {
    let mut params = AudioCodecParameters::new();
    params
        .for_codec(CODEC_ID_AAC)
        .with_extra_data(asc.to_vec().into_boxed_slice());
    AacDecoder::try_new(&params, &AudioDecoderOptions::default()).map_err(|e| {
        let unsupported = matches!(e, symphonia_core::errors::Error::Unsupported(_));
        match asc_object_type_and_channels(asc) {
            // AAC-LC, mono or stereo, that the decoder still will not take: 960-sample frames,
            // or SBR signalled in an extension the decoder reads as HE-AAC.
            Some((2, 1..=2)) if unsupported => AudioError::CannotDecode {
                codec: "mp4a.40.2 with 960-sample frames or SBR".to_owned(),
            },
            // Otherwise a plain AAC-LC configuration that is refused is damaged.
            Some((2, 1..=2)) => {
                AudioError::Decode(format!("the AAC configuration {asc:02x?} is refused: {e}"))
            }
            Some((object_type, _)) => AudioError::CannotDecode {
                codec: format!("mp4a.40.{object_type}"),
            },
            None => AudioError::Decode(format!("the AAC configuration {asc:02x?} is cut short")),
        }
    })
}

/// The audio object type and channel configuration an AudioSpecificConfig opens with
/// (ISO/IEC 14496-3 1.6.2.1), or `None` when it is too short to say.
pub(crate) fn asc_object_type_and_channels(asc: &[u8]) -> Option<(u32, u32)> {
    let mut bits = asc
        .iter()
        .flat_map(|byte| (0..8).rev().map(move |i| (byte >> i) & 1));
    let mut read = |n: u32| -> Option<u32> {
        (0..n).try_fold(0u32, |acc, _| Some((acc << 1) | u32::from(bits.next()?)))
    };
    let mut object_type = read(5)?;
    if object_type == 31 {
        object_type = 32 + read(6)?;
    }
    if read(4)? == 15 {
        read(24)?; // an explicit sampling rate
    }
    Some((object_type, read(4)?))
}

/// A stretch of a track's packets: decode from `decode_from`, measure from `measure_from`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Window {
    /// The first packet decoded (the pre-roll, when there is one).
    pub(crate) decode_from: usize,
    /// The first packet measured.
    pub(crate) measure_from: usize,
    /// One past the last packet.
    pub(crate) end: usize,
}

/// The windows of `samples` (in decoding order, times rising) to measure: the whole track
/// when it is at most [`WHOLE_TRACK_SECONDS`] long, else [`WINDOWS`] spread evenly.
pub(crate) fn windows(samples: &[Sample]) -> Vec<Window> {
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return Vec::new();
    };
    let span = last.time - first.time;
    if span.is_nan() || span <= WHOLE_TRACK_SECONDS {
        return vec![Window {
            decode_from: 0,
            measure_from: 0,
            end: samples.len(),
        }];
    }
    let step = (span - WINDOW_SECONDS) / (WINDOWS - 1) as f64;
    (0..WINDOWS)
        .map(|i| {
            let start = first.time + step * i as f64;
            let from = samples.partition_point(|s| s.time < start);
            // The last window runs to the last packet, which starts (not ends) at `span`.
            let end = if i + 1 == WINDOWS {
                samples.len()
            } else {
                samples.partition_point(|s| s.time < start + WINDOW_SECONDS)
            }
            .max(from);
            Window {
                decode_from: from.saturating_sub(PRE_ROLL),
                measure_from: from,
                end,
            }
        })
        .collect()
}

/// Splits `samples` into runs that sit back to back in the file and together take at most
/// [`MAX_READ_BYTES`], each read with one request. A sample larger than that is a run alone.
pub(crate) fn read_runs(samples: &[Sample]) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut bytes = 0u64;
    for (i, pair) in samples.windows(2).enumerate() {
        let (prev, next) = (&pair[0], &pair[1]);
        bytes += u64::from(prev.size);
        let adjacent = prev.offset.checked_add(u64::from(prev.size)) == Some(next.offset);
        if !adjacent || bytes + u64::from(next.size) > MAX_READ_BYTES {
            runs.push(start..i + 1);
            start = i + 1;
            bytes = 0;
        }
    }
    if start < samples.len() {
        runs.push(start..samples.len());
    }
    runs
}

/// The running measurement over every packet measured so far.
#[derive(Default)]
struct Measure {
    /// Sum of every channel's squared samples.
    sum_squares: f64,
    /// How many samples (all channels) went into the sum.
    count: u64,
    /// The largest magnitude seen.
    peak: f32,
    /// Seconds of audio the measured packets decoded to.
    seconds: f64,
    /// Packets measured or tried.
    attempted: u64,
    /// Packets that failed to decode.
    failed: u64,
    /// The first failure's reason.
    first_error: Option<String>,
    /// The decoded samples of the packet at hand, interleaved (reused).
    scratch: Vec<f32>,
}

impl Measure {
    fn fail(&mut self, reason: String) {
        self.attempted += 1;
        self.failed += 1;
        self.first_error.get_or_insert(reason);
    }

    fn level(&self) -> AudioLevel {
        let rms_dbfs = (self.count > 0 && self.sum_squares > 0.0)
            .then(|| 10.0 * (self.sum_squares / self.count as f64).log10());
        let peak_dbfs = (self.peak > 0.0).then(|| 20.0 * f64::from(self.peak).log10());
        AudioLevel {
            rms_dbfs,
            peak_dbfs,
            audible: peak_dbfs.is_some_and(|p| p > AUDIBLE_PEAK_DBFS),
            seconds_measured: self.seconds,
        }
    }

    /// Decodes one packet and, when `measured`, adds it to the measurement.
    fn packet(&mut self, decoder: &mut AacDecoder, data: &[u8], measured: bool) {
        // An AAC frame carries its channels' elements before the terminator (id 7). One that
        // opens with the terminator holds no audio: the decoder answers it with a silent
        // buffer, which would make a damaged stream measure as silence.
        if data.first().is_none_or(|byte| byte >> 5 == ID_TERM) {
            return self.fail_if(
                measured,
                "a packet ends before any audio element".to_owned(),
            );
        }
        let scratch = &mut self.scratch;
        // The decoder is third-party code reading untrusted bytes: a panic in it costs this
        // packet (and the decoder's state), not the analysis.
        let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let packet = PacketRef::new(0, Timestamp::new(0), Duration::new(1024), data);
            decoder.decode_ref(&packet).map(|buffer| {
                buffer.copy_to_vec_interleaved::<f32>(scratch);
                (buffer.frames(), buffer.spec().rate())
            })
        }));
        let (frames, rate) = match decoded {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => return self.fail_if(measured, e.to_string()),
            Err(_) => {
                decoder.reset();
                return self.fail_if(measured, "the decoder gave up on a packet".to_owned());
            }
        };
        if !measured {
            return;
        }
        self.attempted += 1;
        if rate > 0 {
            self.seconds += frames as f64 / f64::from(rate);
        }
        for &sample in &self.scratch {
            if sample.is_finite() {
                self.sum_squares += f64::from(sample) * f64::from(sample);
                self.count += 1;
                self.peak = self.peak.max(sample.abs());
            }
        }
    }

    fn fail_if(&mut self, measured: bool, reason: String) {
        if measured {
            self.fail(reason);
        }
    }
}

/// Fetches and decodes one window's packets, run by run.
async fn measure_window(
    source: &dyn ByteSource,
    samples: &[Sample],
    window: &Window,
    decoder: &mut AacDecoder,
    state: &mut Measure,
) -> Result<(), AudioError> {
    let Some(packets) = samples.get(window.decode_from..window.end) else {
        return Ok(());
    };
    let measure_from = window.measure_from.saturating_sub(window.decode_from);
    for run in read_runs(packets) {
        let Some(run_samples) = packets.get(run.clone()) else {
            continue;
        };
        let (Some(first), Some(last)) = (run_samples.first(), run_samples.last()) else {
            continue;
        };
        let len = last.offset + u64::from(last.size) - first.offset;
        if len > MAX_READ_BYTES {
            if run.start >= measure_from {
                state.fail(format!("a packet of {len} bytes, more than any AAC frame"));
            }
            continue;
        }
        let bytes = read_run(source, first.offset, len).await?;
        for (i, sample) in run_samples.iter().enumerate() {
            let start = usize::try_from(sample.offset - first.offset).unwrap_or(usize::MAX);
            let end = start.saturating_add(sample.size as usize);
            let measured = run.start + i >= measure_from;
            match bytes.get(start..end) {
                Some(data) => state.packet(decoder, data, measured),
                None => state.fail_if(measured, "a packet outside its read".to_owned()),
            }
        }
    }
    Ok(())
}

/// Reads exactly `len` bytes at `offset`, in several reads if the source hands out less.
async fn read_run(source: &dyn ByteSource, offset: u64, len: u64) -> Result<Bytes, AudioError> {
    let first = source.read_at(offset, len).await?;
    if first.len() as u64 >= len {
        return Ok(first);
    }
    let mut all = BytesMut::from(first.as_ref());
    while (all.len() as u64) < len {
        let got = all.len() as u64;
        let more = source.read_at(offset + got, len - got).await?;
        if more.is_empty() {
            return Err(VideoError::Truncated(format!(
                "the audio packets at byte {offset} need {len} bytes, the file has {got}"
            ))
            .into());
        }
        all.extend_from_slice(&more);
    }
    Ok(all.freeze())
}

#[cfg(test)]
#[path = "audio_tests.rs"]
mod tests;
