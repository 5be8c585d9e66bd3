//! Keyframes of an H.264 video turned into JPEG thumbnails with the measures the insights
//! read: brightness, sharpness (variance of the Laplacian) and how much the picture changed
//! since the previous chosen keyframe (a scene change).
//!
//! Only the chosen keyframes' bytes are fetched, by range, and each is decoded on its own
//! (an IDR picture needs no other frame), so a multi-gigabyte video costs a handful of
//! samples. `h264` turns a sample into a picture with Cisco's OpenH264; `picture` scales,
//! turns and encodes it; `metrics` measures it.

mod h264;
mod metrics;
mod picture;

#[cfg(test)]
mod tests;

use bytes::Bytes;

use super::container::{ByteSource, DecoderConfig, Sample, TrackSamples, VideoError};
use picture::Rotation;

/// The largest keyframe sample fetched: an intra frame of an 8K video at a very high bit rate
/// stays far below; more is a corrupt size field, and would all sit in memory.
pub const MAX_SAMPLE_BYTES: u32 = 64 * 1024 * 1024;

/// The largest picture decoded, each side (OpenH264 itself refuses frames above level 5.2's
/// 36,864 macroblocks).
pub const MAX_PICTURE_SIDE: u32 = 8192;

/// One decoded keyframe, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedFrame {
    /// When it is shown, in seconds from the start (edit list applied).
    pub time: f64,
    /// The thumbnail, a baseline JPEG.
    pub jpeg: Bytes,
    /// The thumbnail's width in pixels, as displayed (rotation applied).
    pub width: u32,
    /// The thumbnail's height in pixels.
    pub height: u32,
    /// Mean luma of the thumbnail, 0 to 255 as the video codes it: limited-range video
    /// (nearly all of it) puts black at 16 and white at 235.
    pub brightness: f64,
    /// Variance of the 4-neighbour Laplacian of the thumbnail's luma: low means blurry (or
    /// a flat picture).
    pub sharpness: f64,
    /// Mean absolute luma difference to the previous frame in the list on a 64×64 grid of
    /// area averages, 0 to 255; `None` for the first.
    pub change: Option<f64>,
}

/// Why keyframes could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum FramesError {
    /// There is no decoder here for this codec (HEVC, AV1…); the container facts still hold.
    #[error("cannot decode {codec} frames here")]
    CannotDecode {
        /// The sample entry's four characters (`hvc1`, `av01`…).
        codec: String,
    },
    /// A keyframe's bytes are not a picture this decoder can make (corrupt, cut, too large).
    #[error("a keyframe does not decode: {0}")]
    Decode(String),
    /// The keyframe's bytes could not be read.
    #[error(transparent)]
    Source(#[from] VideoError),
}

impl FramesError {
    /// True only when reading the bytes failed in a way that may succeed later; a file's
    /// frames decode the same way every time.
    pub fn is_transient(&self) -> bool {
        match self {
            FramesError::Source(e) => e.is_transient(),
            FramesError::CannotDecode { .. } | FramesError::Decode(_) => false,
        }
    }
}

/// Decodes up to `max_frames` keyframes of `track` spread evenly over its keyframes (the first
/// always among them), in time order, each as a thumbnail turned by the display `rotation`
/// (0, 90, 180 or 270 degrees clockwise) and fitted into 480 pixels on its longer side.
/// Fetches from `source` only the chosen samples' bytes.
///
/// A chosen keyframe that is not an IDR picture (an open GOP's I picture, which needs the
/// frames before it) is left out; an error only when that leaves none. A track without
/// keyframes gives none.
pub async fn decode_keyframes(
    source: &dyn ByteSource,
    track: &TrackSamples,
    rotation: u16,
    max_frames: usize,
) -> Result<Vec<DecodedFrame>, FramesError> {
    let config = match &track.config {
        DecoderConfig::Avc {
            nal_length_size,
            sps,
            pps,
        } => h264::StreamConfig::new(*nal_length_size, sps, pps)?,
        DecoderConfig::Other { codec } => {
            return Err(FramesError::CannotDecode {
                codec: codec.clone(),
            });
        }
        DecoderConfig::Aac { .. } => {
            return Err(FramesError::CannotDecode {
                codec: "mp4a".to_owned(),
            });
        }
    };
    let rotation = Rotation::from_degrees(rotation)?;
    let mut frames: Vec<DecodedFrame> = Vec::new();
    let mut previous: Option<metrics::Grid> = None;
    let mut skipped = 0usize;
    for sample in choose_keyframes(track, max_frames) {
        let bytes = read_sample(source, &sample).await?;
        let unit = config.annex_b(&bytes)?;
        drop(bytes);
        if !unit.idr {
            tracing::debug!(
                time = sample.time,
                "keyframe skipped: an open-GOP I picture"
            );
            skipped += 1;
            continue;
        }
        // Decoding and scaling a frame is tens of milliseconds of CPU: off the async workers.
        let stream = unit.stream;
        let thumb = tokio::task::spawn_blocking(move || h264::decode_thumbnail(&stream, rotation))
            .await
            .map_err(|e| FramesError::Decode(format!("the decoder task failed: {e}")))??;
        let change = previous.as_ref().map(|p| p.mean_difference(&thumb.grid));
        frames.push(DecodedFrame {
            time: sample.time,
            jpeg: thumb.jpeg,
            width: thumb.width,
            height: thumb.height,
            brightness: thumb.brightness,
            sharpness: thumb.sharpness,
            change,
        });
        previous = Some(thumb.grid);
    }
    if frames.is_empty() && skipped > 0 {
        return Err(FramesError::Decode(format!(
            "none of the {skipped} keyframes chosen is an IDR picture, which alone decodes"
        )));
    }
    Ok(frames)
}

/// Up to `max_frames` of the track's keyframes, evenly spread over them by index (the first
/// and, with two or more, the last among them), in time order. None for a track without
/// keyframes.
fn choose_keyframes(track: &TrackSamples, max_frames: usize) -> Vec<Sample> {
    let wanted = evenly_spread(track.keyframes().count(), max_frames);
    // One pass over the samples: a long all-intra track is not copied.
    let mut chosen: Vec<Sample> = track
        .keyframes()
        .enumerate()
        .filter(|(index, _)| wanted.binary_search(index).is_ok())
        .map(|(_, sample)| *sample)
        .collect();
    chosen.sort_by(|a, b| a.time.total_cmp(&b.time));
    chosen
}

/// Up to `n` of `count` indices, in order, evenly spread from the first to the last (all of
/// them when `count <= n`; the first alone when `n` is 1).
pub(crate) fn evenly_spread(count: usize, n: usize) -> Vec<usize> {
    match n {
        0 => Vec::new(),
        n if count <= n => (0..count).collect(),
        1 => vec![0],
        // The nearest index to each of n even steps from the first to the last.
        n => (0..n)
            .map(|i| (i * (count - 1) + (n - 1) / 2) / (n - 1))
            .collect(),
    }
}

/// The sample's bytes, read in as many ranged reads as the source needs.
async fn read_sample(source: &dyn ByteSource, sample: &Sample) -> Result<Bytes, FramesError> {
    if sample.size > MAX_SAMPLE_BYTES {
        return Err(FramesError::Decode(format!(
            "the keyframe at {:.3} s claims {} bytes, more than the {MAX_SAMPLE_BYTES} allowed",
            sample.time, sample.size
        )));
    }
    let len = u64::from(sample.size);
    let first = source.read_at(sample.offset, len).await?;
    if first.len() as u64 == len {
        return Ok(first);
    }
    let mut all = bytes::BytesMut::from(first.as_ref());
    while (all.len() as u64) < len {
        let got = all.len() as u64;
        let more = source.read_at(sample.offset + got, len - got).await?;
        if more.is_empty() {
            return Err(FramesError::Source(VideoError::Truncated(format!(
                "the keyframe at byte {} needs {len} bytes, {got} are there",
                sample.offset
            ))));
        }
        all.extend_from_slice(&more);
    }
    all.truncate(sample.size as usize);
    Ok(all.freeze())
}
