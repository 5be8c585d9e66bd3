//! Reads a video's [`VideoFacts`] from an MP4/MOV container by byte ranges: the top-level box
//! headers, the `ftyp` and the whole `moov`, never the media data (`mdat`), wherever the `moov`
//! sits. A multi-gigabyte video costs a few kilobytes of reads.
//!
//! The `moov` is decoded with the `mp4-atom` box codec; `tracks` turns its tables into facts and
//! `codecs` names the codecs.

mod codecs;
mod groups;
mod samples;
mod source;
mod tracks;

#[cfg(test)]
mod tests;

pub use samples::{DecoderConfig, MAX_SAMPLES, Sample, TrackSamples};
pub use source::{BlobSource, ByteSource, FileSource};

use crate::blobs::BlobError;
use crate::video::facts::{Container, VideoFacts};
use mp4_atom::{Decode, Moov};

/// The largest `moov` the reader accepts. Sample tables grow with length (about 12 bytes a
/// frame), so even hours of video stay far below; more than this is a corrupt size field.
pub const MAX_MOOV_BYTES: u64 = 64 * 1024 * 1024;

/// The largest `ftyp` read (brands are 4 bytes each; real ones are under 100 bytes).
const MAX_FTYP_BYTES: u64 = 4096;

/// Why a video's facts could not be read.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    /// The bytes could not be read from where they are (a file, a blob).
    #[error("cannot read the video: {message}")]
    Source {
        /// What failed.
        message: String,
        /// Whether trying again later may succeed (a timeout, a throttled or failing store).
        transient: bool,
    },
    /// A blob read failed.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// The file is not an MP4/MOV at all (no `ftyp`/`moov` box structure: a PNG, a CSV…).
    #[error("not an MP4/MOV video: {0}")]
    NotAVideo(String),
    /// The file ends early: a box runs past the end, or there is no `moov` before the end
    /// (an upload cut short, a recording never finished).
    #[error("the video is truncated: {0}")]
    Truncated(String),
    /// The boxes are there but do not make sense (a `moov` that does not decode, no tracks).
    #[error("the video is corrupt: {0}")]
    Corrupt(String),
    /// The `moov` box claims more than [`MAX_MOOV_BYTES`].
    #[error("the moov box has {size} bytes, more than the {max} a real one needs")]
    MoovTooLarge {
        /// Its claimed size.
        size: u64,
        /// The limit.
        max: u64,
    },
}

impl VideoError {
    /// True only when reading the source failed in a way that may succeed later; a file's
    /// content never changes its answer by retrying.
    pub fn is_transient(&self) -> bool {
        match self {
            VideoError::Source { transient, .. } => *transient,
            VideoError::Blob(e) => e.is_transient(),
            _ => false,
        }
    }
}

/// Top-level boxes a video may open with (old QuickTime files have no `ftyp`).
const LEADING_BOXES: [&[u8; 4]; 7] = [
    b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot",
];

/// What the top-level walk found.
struct TopLevel {
    /// The `ftyp` body (major brand, minor version, compatible brands), if any.
    ftyp: Option<bytes::Bytes>,
    /// The whole `moov` box, header included.
    moov: bytes::Bytes,
    /// Some `mdat` came before the `moov`.
    mdat_before_moov: bool,
}

/// A video's facts, and where the samples of its first video and audio tracks are.
#[derive(Debug, Clone, PartialEq)]
pub struct Movie {
    /// What the container says.
    pub facts: VideoFacts,
    /// The first video track's samples.
    pub video: Option<TrackSamples>,
    /// The first audio track's samples.
    pub audio: Option<TrackSamples>,
}

/// Reads the facts of the MP4/MOV video in `source`, fetching only box headers, `ftyp` and
/// `moov`.
pub async fn read_facts(source: &dyn ByteSource) -> Result<VideoFacts, VideoError> {
    let (moov, file) = read_moov(source).await?;
    tracks::facts(&moov, file)
}

/// Reads the facts and sample tables of the MP4/MOV video in `source`, fetching only box
/// headers, `ftyp` and `moov`. A sample that lies past the end of the file makes it
/// [`VideoError::Truncated`].
pub async fn read_movie(source: &dyn ByteSource) -> Result<Movie, VideoError> {
    let (moov, file) = read_moov(source).await?;
    let file_size = file.file_size;
    let facts = tracks::facts(&moov, file)?;
    let scale = moov.mvhd.timescale;
    let track = |handler: &[u8; 4]| {
        moov.trak
            .iter()
            .find(|t| t.mdia.hdlr.handler == handler.into())
            .map(|t| samples::track_samples(t, scale, file_size))
            .transpose()
    };
    Ok(Movie {
        facts,
        video: track(b"vide")?,
        audio: track(b"soun")?,
    })
}

async fn read_moov(source: &dyn ByteSource) -> Result<(Moov, tracks::FileFacts), VideoError> {
    let file_size = source.size().await?;
    let top = walk_top_level(source, file_size).await?;
    groups::check_sample_groups(&top.moov)?;
    let moov = Moov::decode(&mut top.moov.as_ref())
        .map_err(|e| VideoError::Corrupt(format!("the moov box does not decode: {e}")))?;
    let major_brand = top
        .ftyp
        .as_ref()
        .and_then(|f| f.get(..4))
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let container = if major_brand == "qt  " || top.ftyp.is_none() {
        Container::Mov
    } else {
        Container::Mp4
    };
    let file = tracks::FileFacts {
        container,
        major_brand,
        file_size,
        faststart: !top.mdat_before_moov,
    };
    Ok((moov, file))
}

/// Walks the top-level boxes, reading each header (8 or 16 bytes) and skipping every body but
/// `ftyp`'s and `moov`'s; stops at the `moov`.
async fn walk_top_level(source: &dyn ByteSource, size: u64) -> Result<TopLevel, VideoError> {
    let mut offset = 0u64;
    let mut ftyp = None;
    let mut mdat_before_moov = false;
    let mut first = true;
    while offset < size {
        let header = source.read_at(offset, (size - offset).min(16)).await?;
        if header.len() < 8 {
            return Err(if first {
                VideoError::NotAVideo(format!("only {} bytes", header.len()))
            } else {
                VideoError::Truncated(format!("a box header at byte {offset} is cut off"))
            });
        }
        let kind: [u8; 4] = [header[4], header[5], header[6], header[7]];
        if first && !LEADING_BOXES.contains(&&kind) {
            return Err(VideoError::NotAVideo(format!(
                "it starts with {:?}, not an MP4/MOV box",
                String::from_utf8_lossy(&header[..8.min(header.len())])
            )));
        }
        first = false;
        let short = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let (box_size, header_len) = match short {
            0 => (size - offset, 8),
            1 => {
                let large = header.get(8..16).ok_or_else(|| {
                    VideoError::Truncated(format!("the box at byte {offset} is cut off"))
                })?;
                let mut be = [0u8; 8];
                be.copy_from_slice(large);
                (u64::from_be_bytes(be), 16)
            }
            n => (u64::from(n), 8),
        };
        let name = String::from_utf8_lossy(&kind).into_owned();
        if box_size < header_len {
            return Err(VideoError::Corrupt(format!(
                "the {name:?} box at byte {offset} claims {box_size} bytes"
            )));
        }
        let end = offset.checked_add(box_size).ok_or_else(|| {
            VideoError::Corrupt(format!(
                "the {name:?} box at byte {offset} is impossibly large"
            ))
        })?;
        match &kind {
            b"moov" => {
                if box_size > MAX_MOOV_BYTES {
                    return Err(VideoError::MoovTooLarge {
                        size: box_size,
                        max: MAX_MOOV_BYTES,
                    });
                }
                if end > size {
                    return Err(VideoError::Truncated(format!(
                        "the moov box at byte {offset} needs {box_size} bytes, the file has {} left",
                        size - offset
                    )));
                }
                let moov = read_exact(source, offset, box_size).await?;
                return Ok(TopLevel {
                    ftyp,
                    moov,
                    mdat_before_moov,
                });
            }
            b"ftyp" => {
                if end > size {
                    return Err(VideoError::Truncated("the ftyp box is cut off".to_owned()));
                }
                if box_size > MAX_FTYP_BYTES {
                    return Err(VideoError::Corrupt(format!(
                        "the ftyp box claims {box_size} bytes"
                    )));
                }
                let body = read_exact(source, offset + 8, box_size - 8).await?;
                ftyp = Some(body);
            }
            b"mdat" => mdat_before_moov = true,
            // free, skip, wide, uuid and anything else: skipped unread.
            _ => {}
        }
        offset = end;
    }
    Err(if ftyp.is_some() || mdat_before_moov {
        VideoError::Truncated("no moov box before the end of the file".to_owned())
    } else {
        VideoError::NotAVideo("no ftyp or moov box".to_owned())
    })
}

/// Reads exactly `len` bytes at `offset` (possibly in several reads), or fails as truncated.
async fn read_exact(
    source: &dyn ByteSource,
    offset: u64,
    len: u64,
) -> Result<bytes::Bytes, VideoError> {
    if len == 0 {
        return Ok(bytes::Bytes::new());
    }
    let first = source.read_at(offset, len).await?;
    if first.len() as u64 == len {
        return Ok(first);
    }
    let mut all = bytes::BytesMut::from(first.as_ref());
    while (all.len() as u64) < len {
        let got = all.len() as u64;
        let more = source.read_at(offset + got, len - got).await?;
        if more.is_empty() {
            return Err(VideoError::Truncated(format!(
                "{len} bytes at byte {offset} asked, {got} there"
            )));
        }
        all.extend_from_slice(&more);
    }
    all.truncate(len as usize);
    Ok(all.freeze())
}
