//! What a thumbnail's luma says: how bright it is, how sharp (variance of the Laplacian), and
//! how different from another keyframe (mean absolute difference of coarse area averages, so
//! noise and small motion count for little and a cut counts for a lot).

use super::picture::resample;

/// The side of the grid keyframes are compared on.
pub const GRID_SIDE: usize = 64;

/// Mean of the samples, 0 to 255 (0 for none).
pub(super) fn mean(luma: &[u8]) -> f64 {
    if luma.is_empty() {
        return 0.0;
    }
    let sum: u64 = luma.iter().map(|&v| u64::from(v)).sum();
    sum as f64 / luma.len() as f64
}

/// Variance of the 4-neighbour Laplacian (`4·centre − up − down − left − right`) over the
/// pixels that have all four neighbours; 0 for a picture narrower or lower than 3 pixels.
pub(super) fn laplacian_variance(luma: &[u8], width: usize, height: usize) -> f64 {
    if width < 3 || height < 3 || luma.len() < width * height {
        return 0.0;
    }
    let at = |x: usize, y: usize| i32::from(luma[y * width + x]);
    let (mut sum, mut squares, mut count) = (0f64, 0f64, 0f64);
    for y in 1..height - 1 {
        for x in 1..width - 1 {
            let l = 4 * at(x, y) - at(x, y - 1) - at(x, y + 1) - at(x - 1, y) - at(x + 1, y);
            let l = f64::from(l);
            sum += l;
            squares += l * l;
            count += 1.0;
        }
    }
    let mean = sum / count;
    (squares / count - mean * mean).max(0.0)
}

/// A picture's luma as [`GRID_SIDE`]×[`GRID_SIDE`] area averages.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Grid(Vec<f32>);

impl Grid {
    /// The grid of a `width`×`height` luma plane.
    pub(super) fn of(luma: &[u8], width: usize, height: usize) -> Self {
        if width == 0 || height == 0 {
            return Self(vec![0.0; GRID_SIDE * GRID_SIDE]);
        }
        Self(resample(
            luma.chunks_exact(width),
            (width, height),
            (GRID_SIDE, GRID_SIDE),
        ))
    }

    /// Mean absolute difference between the two grids, 0 to 255.
    pub(super) fn mean_difference(&self, other: &Grid) -> f64 {
        let total: f64 = self
            .0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| f64::from((a - b).abs()))
            .sum();
        total / (GRID_SIDE * GRID_SIDE) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkerboards_laplacian_varies_by_1020_squared() {
        // Every inner pixel of a 0/255 checkerboard has four opposite neighbours: ±1020.
        let board: Vec<u8> = (0..16)
            .map(|i| if (i % 4 + i / 4) % 2 == 0 { 255 } else { 0 })
            .collect();
        assert_eq!(laplacian_variance(&board, 4, 4), 1020.0 * 1020.0);
        assert_eq!(laplacian_variance(&[7; 12], 4, 3), 0.0);
        assert_eq!(laplacian_variance(&[0, 255, 0, 255], 2, 2), 0.0);
        assert_eq!(mean(&board), 127.5);
    }

    #[test]
    fn the_change_between_flat_black_and_flat_white_is_219() {
        let black = Grid::of(&[16; 270 * 480], 270, 480);
        let white = Grid::of(&[235; 270 * 480], 270, 480);
        // The area shares are f32: 219 to within their rounding.
        assert!((black.mean_difference(&white) - 219.0).abs() < 1e-3);
        assert_eq!(white.mean_difference(&white), 0.0);
    }
}
