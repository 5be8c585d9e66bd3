//! A decoded picture (YUV 4:2:0 planes) to a thumbnail: scaled by area averages to fit 480
//! pixels on its longer side, turned upright by the display rotation, converted to RGB and
//! encoded as a JPEG, with its luma measured by `metrics`.

use bytes::Bytes;
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

use super::FramesError;
use super::metrics::{self, Grid};

/// The thumbnail's longer side at most, in pixels (a picture already smaller is not enlarged).
pub const THUMBNAIL_SIDE: usize = 480;

/// JPEG quality, 1 to 100: small files that still show what a frame is.
const JPEG_QUALITY: u8 = 80;

/// The clockwise turn that shows a picture upright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rotation {
    /// As coded.
    None,
    /// A quarter turn clockwise (a phone held upright, recording landscape-coded video).
    Quarter,
    /// Upside down.
    Half,
    /// Three quarters clockwise.
    ThreeQuarters,
}

impl Rotation {
    /// From the container's degrees (0, 90, 180 or 270; a full turn more is the same).
    pub(super) fn from_degrees(degrees: u16) -> Result<Self, FramesError> {
        match degrees % 360 {
            0 => Ok(Self::None),
            90 => Ok(Self::Quarter),
            180 => Ok(Self::Half),
            270 => Ok(Self::ThreeQuarters),
            other => Err(FramesError::Decode(format!(
                "a rotation of {other} degrees is not a quarter turn"
            ))),
        }
    }

    /// Whether it swaps width and height.
    fn transposes(self) -> bool {
        matches!(self, Self::Quarter | Self::ThreeQuarters)
    }
}

/// A decoded picture's planes: luma at full size, the two chroma planes at half size each way.
#[derive(Debug)]
pub(super) struct Planes<'a> {
    y: Plane<'a>,
    u: Plane<'a>,
    v: Plane<'a>,
}

/// One plane: `height` rows of `width` samples, each row `stride` bytes after the last.
#[derive(Debug, Clone, Copy)]
struct Plane<'a> {
    data: &'a [u8],
    width: usize,
    height: usize,
    stride: usize,
}

impl<'a> Plane<'a> {
    /// The plane, if `data` holds all its rows.
    fn new(data: &'a [u8], width: usize, height: usize, stride: usize) -> Option<Self> {
        let needed = stride
            .checked_mul(height.checked_sub(1)?)?
            .checked_add(width)?;
        (width > 0 && stride >= width && data.len() >= needed).then_some(Self {
            data,
            width,
            height,
            stride,
        })
    }
}

impl<'a> Planes<'a> {
    /// The planes of a `size` (width, height) picture in 4:2:0, or why they do not add up.
    pub(super) fn new(
        (y, u, v): (&'a [u8], &'a [u8], &'a [u8]),
        (width, height): (usize, usize),
        (y_stride, u_stride, v_stride): (usize, usize, usize),
    ) -> Result<Self, FramesError> {
        let chroma = |data: &'a [u8], stride: usize| {
            let (w, h) = (width.div_ceil(2), height.div_ceil(2));
            // The decoder's chroma buffers may stop short of an odd height's last row.
            Plane::new(data, w, h, stride).or_else(|| Plane::new(data, w, height / 2, stride))
        };
        match (
            Plane::new(y, width, height, y_stride),
            chroma(u, u_stride),
            chroma(v, v_stride),
        ) {
            (Some(y), Some(u), Some(v)) => Ok(Self { y, u, v }),
            _ => Err(FramesError::Decode(format!(
                "the decoder's planes do not hold a {width}×{height} picture"
            ))),
        }
    }

    /// The matrix the video most likely uses: BT.709 for HD and up, BT.601 below, as players
    /// assume when the stream does not say.
    fn is_hd(&self) -> bool {
        self.y.width >= 1280 || self.y.height >= 720
    }
}

/// A keyframe's thumbnail and its measures.
#[derive(Debug)]
pub(super) struct Thumbnail {
    /// The JPEG.
    pub jpeg: Bytes,
    /// Width in pixels, rotation applied.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Mean luma.
    pub brightness: f64,
    /// Variance of the Laplacian of the luma.
    pub sharpness: f64,
    /// The luma in 64×64 area averages, for the change to the next keyframe.
    pub grid: Grid,
}

/// The size that fits `width`×`height` into [`THUMBNAIL_SIDE`] on its longer side, keeping the
/// aspect ratio (never enlarging, never below one pixel).
pub(super) fn fit(width: usize, height: usize) -> (usize, usize) {
    let longer = width.max(height);
    if longer <= THUMBNAIL_SIDE {
        return (width, height);
    }
    let scale = |side: usize| ((side * THUMBNAIL_SIDE + longer / 2) / longer).max(1);
    (scale(width), scale(height))
}

/// Scales, turns, measures and encodes the picture.
pub(super) fn make_thumbnail(
    planes: &Planes<'_>,
    rotation: Rotation,
) -> Result<Thumbnail, FramesError> {
    let (w, h) = fit(planes.y.width, planes.y.height);
    let luma = to_bytes(&resample_plane(planes.y, w, h));
    let u = resample_plane(planes.u, w, h);
    let v = resample_plane(planes.v, w, h);
    let matrix = if planes.is_hd() { BT709 } else { BT601 };
    let rgb: Vec<[u8; 3]> = luma
        .iter()
        .zip(u.iter().zip(&v))
        .map(|(&y, (&u, &v))| to_rgb(matrix, f32::from(y), u, v))
        .collect();
    let luma = rotate(&luma, w, h, rotation);
    let rgb = rotate(&rgb, w, h, rotation);
    let (w, h) = if rotation.transposes() {
        (h, w)
    } else {
        (w, h)
    };
    let jpeg = encode_jpeg(&rgb, w, h)?;
    Ok(Thumbnail {
        jpeg,
        width: u32::try_from(w).unwrap_or(u32::MAX),
        height: u32::try_from(h).unwrap_or(u32::MAX),
        brightness: metrics::mean(&luma),
        sharpness: metrics::laplacian_variance(&luma, w, h),
        grid: Grid::of(&luma, w, h),
    })
}

/// For each of `to` output samples, the first of `from` input samples it covers and the share
/// each covered input sample has in it (the shares add up to 1).
fn area_weights(from: usize, to: usize) -> Vec<(usize, Vec<f32>)> {
    let scale = from as f64 / to as f64;
    (0..to)
        .map(|i| {
            let start = i as f64 * scale;
            let end = (start + scale).min(from as f64);
            let first = (start.floor() as usize).min(from - 1);
            let last = (end.ceil() as usize).clamp(first + 1, from);
            let shares = (first..last)
                .map(|s| {
                    let covered = end.min(s as f64 + 1.0) - start.max(s as f64);
                    (covered / scale) as f32
                })
                .collect();
            (first, shares)
        })
        .collect()
}

/// A picture of `height` `rows`, each `width` samples, scaled to `to_width`×`to_height`: each
/// output sample is the average of the input area it covers (a blend of the nearest ones when
/// enlarging). Only one scaled row per input row is held, never a copy of the input.
pub(super) fn resample<'r, T: Copy + Into<f32> + 'r>(
    rows: impl Iterator<Item = &'r [T]>,
    (width, height): (usize, usize),
    (to_width, to_height): (usize, usize),
) -> Vec<f32> {
    let columns = area_weights(width, to_width);
    let mut rows_scaled = Vec::with_capacity(to_width * height);
    for row in rows.take(height) {
        for (first, shares) in &columns {
            let taken = row.iter().skip(*first);
            rows_scaled.push(weighted(shares, taken.map(|&v| v.into())));
        }
    }
    let mut out = Vec::with_capacity(to_width * to_height);
    for (first, shares) in area_weights(height, to_height) {
        for x in 0..to_width {
            let taken = rows_scaled
                .iter()
                .skip(first * to_width + x)
                .step_by(to_width);
            out.push(weighted(&shares, taken.copied()));
        }
    }
    out
}

fn weighted(shares: &[f32], values: impl Iterator<Item = f32>) -> f32 {
    shares.iter().zip(values).map(|(s, v)| s * v).sum()
}

/// A decoder plane (its row padding skipped) scaled to `to_width`×`to_height`.
fn resample_plane(plane: Plane<'_>, to_width: usize, to_height: usize) -> Vec<f32> {
    let rows = plane
        .data
        .chunks(plane.stride)
        .filter_map(|row| row.get(..plane.width));
    resample(rows, (plane.width, plane.height), (to_width, to_height))
}

/// Samples rounded to bytes.
fn to_bytes(values: &[f32]) -> Vec<u8> {
    values
        .iter()
        .map(|v| v.round().clamp(0.0, 255.0) as u8)
        .collect()
}

/// The pixels of a `width`×`height` picture turned clockwise by `rotation`.
pub(super) fn rotate<T: Copy>(
    pixels: &[T],
    width: usize,
    height: usize,
    rotation: Rotation,
) -> Vec<T> {
    let at = |x: usize, y: usize| pixels.get(y * width + x).copied();
    let (out_w, out_h) = if rotation.transposes() {
        (height, width)
    } else {
        (width, height)
    };
    (0..out_h)
        .flat_map(|y| (0..out_w).map(move |x| (x, y)))
        .filter_map(|(x, y)| match rotation {
            Rotation::None => at(x, y),
            Rotation::Quarter => at(y, height - 1 - x),
            Rotation::Half => at(width - 1 - x, height - 1 - y),
            Rotation::ThreeQuarters => at(width - 1 - y, x),
        })
        .collect()
}

/// Limited-range Y′CbCr to R′G′B′ coefficients: how much Cr adds to red, Cb and Cr take from
/// green, and Cb adds to blue.
#[derive(Debug, Clone, Copy)]
struct Matrix {
    red_cr: f32,
    green_cb: f32,
    green_cr: f32,
    blue_cb: f32,
}

/// ITU-R BT.601 (standard definition).
const BT601: Matrix = Matrix {
    red_cr: 1.596,
    green_cb: 0.392,
    green_cr: 0.813,
    blue_cb: 2.017,
};

/// ITU-R BT.709 (high definition).
const BT709: Matrix = Matrix {
    red_cr: 1.793,
    green_cb: 0.213,
    green_cr: 0.533,
    blue_cb: 2.112,
};

/// One limited-range (16–235 luma) pixel as full-range RGB.
fn to_rgb(m: Matrix, y: f32, u: f32, v: f32) -> [u8; 3] {
    let (y, cb, cr) = (1.164 * (y - 16.0), u - 128.0, v - 128.0);
    let byte = |c: f32| c.round().clamp(0.0, 255.0) as u8;
    [
        byte(y + m.red_cr * cr),
        byte(y - m.green_cb * cb - m.green_cr * cr),
        byte(y + m.blue_cb * cb),
    ]
}

/// The RGB pixels as a baseline 4:2:0 JPEG.
fn encode_jpeg(rgb: &[[u8; 3]], width: usize, height: usize) -> Result<Bytes, FramesError> {
    let side = |n: usize| {
        u16::try_from(n).map_err(|_| FramesError::Decode(format!("a {n}-pixel thumbnail side")))
    };
    let (w, h) = (side(width)?, side(height)?);
    let flat: Vec<u8> = rgb.iter().flatten().copied().collect();
    let mut jpeg = Vec::new();
    let mut encoder = Encoder::new(&mut jpeg, JPEG_QUALITY);
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    encoder
        .encode(&flat, w, h, ColorType::Rgb)
        .map_err(|e| FramesError::Decode(format!("the thumbnail does not encode: {e}")))?;
    Ok(Bytes::from(jpeg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_fit_480_on_the_longer_side_and_are_never_enlarged() {
        assert_eq!(fit(1080, 1920), (270, 480));
        assert_eq!(fit(1920, 1080), (480, 270));
        assert_eq!(fit(320, 568), (270, 480));
        assert_eq!(fit(3840, 2160), (480, 270));
        assert_eq!(fit(200, 100), (200, 100));
        assert_eq!(fit(10_000, 1), (480, 1));
    }

    #[test]
    fn rotation_turns_pixels_clockwise() {
        // 3 wide, 2 high:  a b c
        //                  d e f
        let pixels = ['a', 'b', 'c', 'd', 'e', 'f'];
        let turned = |degrees| rotate(&pixels, 3, 2, Rotation::from_degrees(degrees).unwrap());
        assert_eq!(turned(0), pixels.to_vec());
        assert_eq!(turned(90), vec!['d', 'a', 'e', 'b', 'f', 'c']);
        assert_eq!(turned(180), vec!['f', 'e', 'd', 'c', 'b', 'a']);
        assert_eq!(turned(270), vec!['c', 'f', 'b', 'e', 'a', 'd']);
        assert_eq!(turned(450), turned(90));
        assert!(matches!(
            Rotation::from_degrees(45),
            Err(FramesError::Decode(_))
        ));
    }

    #[test]
    fn area_averaging_weighs_each_pixel_by_the_share_it_covers() {
        // 3×1 to 2×1: the middle pixel is split between the two outputs.
        let row: [u8; 3] = [0, 90, 180];
        let out = resample(std::iter::once(&row[..]), (3, 1), (2, 1));
        assert_eq!(out, vec![30.0, 150.0]);
        // 2×2 to 1×1: the mean.
        let rows: [&[u8]; 2] = [&[10, 20], &[30, 40]];
        assert_eq!(resample(rows.into_iter(), (2, 2), (1, 1)), vec![25.0]);
    }

    #[test]
    fn planes_too_short_for_the_picture_are_a_decode_error() {
        let y = [16u8; 4 * 4];
        let c = [128u8; 2 * 2];
        assert!(Planes::new((&y, &c, &c), (4, 4), (4, 2, 2)).is_ok());
        let short = Planes::new((&y[..15], &c, &c), (4, 4), (4, 2, 2));
        assert!(matches!(short, Err(FramesError::Decode(_))), "{short:?}");
        let narrow_stride = Planes::new((&y, &c, &c), (4, 4), (3, 2, 2));
        assert!(matches!(narrow_stride, Err(FramesError::Decode(_))));
    }
}
