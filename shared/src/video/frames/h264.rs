//! One H.264 keyframe to one thumbnail: the MP4 sample's length-prefixed NAL units become an
//! Annex B stream behind the `avcC` parameter sets, which a fresh OpenH264 decoder turns into
//! a picture (so a damaged frame cannot spoil the next).

use bytes::Bytes;
use openh264::decoder::Decoder;
use openh264::formats::YUVSource;

use super::picture::{Planes, Rotation, Thumbnail, make_thumbnail};
use super::{FramesError, MAX_PICTURE_SIDE};

/// The Annex B start code put before every NAL unit.
const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// NAL unit type of a slice of an IDR picture: the only kind OpenH264 decodes with no picture
/// before it.
const NAL_IDR_SLICE: u8 = 5;

/// One sample as the decoder takes it.
#[derive(Debug)]
pub(super) struct AccessUnit {
    /// The parameter sets and the sample's NAL units, each behind a start code.
    pub stream: Vec<u8>,
    /// It holds an IDR slice. A keyframe without one (an open-GOP I picture) needs the
    /// pictures before it, which OpenH264 (its error concealment off) refuses to do without.
    pub idr: bool,
}

/// What every keyframe of a track is decoded with.
#[derive(Debug, Clone)]
pub(super) struct StreamConfig {
    nal_length_size: usize,
    /// The SPS and PPS NAL units, each behind a start code.
    parameter_sets: Vec<u8>,
}

impl StreamConfig {
    /// From the `avcC` box: the NAL length prefix size (1, 2 or 4) and the parameter sets.
    pub(super) fn new(
        nal_length_size: u8,
        sps: &[Bytes],
        pps: &[Bytes],
    ) -> Result<Self, FramesError> {
        if !matches!(nal_length_size, 1 | 2 | 4) {
            return Err(FramesError::Decode(format!(
                "the avcC gives {nal_length_size}-byte NAL lengths; only 1, 2 or 4 exist"
            )));
        }
        let mut parameter_sets = Vec::new();
        for set in sps.iter().chain(pps) {
            parameter_sets.extend_from_slice(&START_CODE);
            parameter_sets.extend_from_slice(set);
        }
        Ok(Self {
            nal_length_size: usize::from(nal_length_size),
            parameter_sets,
        })
    }

    /// The parameter sets and the sample's NAL units as one Annex B stream. A NAL length that
    /// runs past the end of the sample is an error, not a short read.
    pub(super) fn annex_b(&self, sample: &[u8]) -> Result<AccessUnit, FramesError> {
        let size = self.nal_length_size;
        let mut stream = Vec::with_capacity(self.parameter_sets.len() + sample.len() + 16);
        stream.extend_from_slice(&self.parameter_sets);
        let mut at = 0usize;
        let mut idr = false;
        while at < sample.len() {
            let prefix = sample.get(at..at + size).ok_or_else(|| {
                FramesError::Decode(format!(
                    "a NAL length prefix at byte {at} is cut off by the sample's end ({} bytes)",
                    sample.len()
                ))
            })?;
            let len = prefix
                .iter()
                .fold(0usize, |n, &b| (n << 8) | usize::from(b));
            let start = at + size;
            let unit = start
                .checked_add(len)
                .and_then(|end| sample.get(start..end))
                .ok_or_else(|| {
                    FramesError::Decode(format!(
                        "a NAL unit at byte {at} claims {len} bytes, past the sample's {}",
                        sample.len()
                    ))
                })?;
            idr |= unit.first().is_some_and(|h| h & 0x1F == NAL_IDR_SLICE);
            stream.extend_from_slice(&START_CODE);
            stream.extend_from_slice(unit);
            at = start + len;
        }
        Ok(AccessUnit { stream, idr })
    }
}

/// Decodes the Annex B `stream` of one keyframe and makes its thumbnail.
pub(super) fn decode_thumbnail(
    stream: &[u8],
    rotation: Rotation,
) -> Result<Thumbnail, FramesError> {
    let failed = |e: openh264::Error| FramesError::Decode(format!("OpenH264: {e}"));
    let mut decoder = Decoder::new().map_err(failed)?;
    // The decoder flushes after each call by default, so a lone keyframe comes out at once.
    let decoded = decoder
        .decode(stream)
        .map_err(failed)?
        .ok_or_else(|| FramesError::Decode("the keyframe gave no picture".to_owned()))?;
    let (width, height) = decoded.dimensions();
    let too_large = |side: usize| side > MAX_PICTURE_SIDE as usize;
    if too_large(width) || too_large(height) || width == 0 || height == 0 {
        return Err(FramesError::Decode(format!(
            "the picture is {width}×{height}; at most {MAX_PICTURE_SIDE} a side is decoded"
        )));
    }
    let (y_stride, u_stride, v_stride) = decoded.strides();
    let planes = Planes::new(
        (decoded.y(), decoded.u(), decoded.v()),
        (width, height),
        (y_stride, u_stride, v_stride),
    )?;
    make_thumbnail(&planes, rotation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_prefixed_nal_units_become_annex_b_behind_the_parameter_sets() {
        let sps = [Bytes::from_static(&[0x67, 1])];
        let pps = [Bytes::from_static(&[0x68, 2])];
        let config = StreamConfig::new(2, &sps, &pps).unwrap();
        let unit = config.annex_b(&[0, 2, 0x65, 9, 0, 1, 0x06]).unwrap();
        assert!(unit.idr);
        assert_eq!(
            unit.stream,
            vec![
                0, 0, 0, 1, 0x67, 1, 0, 0, 0, 1, 0x68, 2, 0, 0, 0, 1, 0x65, 9, 0, 0, 0, 1, 0x06
            ]
        );
        let open_gop = config.annex_b(&[0, 2, 0x06, 9, 0, 1, 0x41]).unwrap();
        assert!(!open_gop.idr);
        let cut = config.annex_b(&[0, 2, 0x65, 9, 0]).unwrap_err();
        assert!(matches!(cut, FramesError::Decode(_)), "{cut:?}");
        assert!(StreamConfig::new(3, &sps, &pps).is_err());
    }
}
