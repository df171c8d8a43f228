//! Down-sampling of images by linear interpolation on a corner-aligned grid: the pdADMM
//! code's reduction of 28x28 MNIST images to 14x14 (docs/pdadmm.md#input-down-sampling).
//!
//! An image of `H x W` pixels shrinks by an integer `factor` to `h x w` with `h = round(H /
//! factor)` (likewise `w`). Output pixel `(i, j)` is the bilinear interpolation of the input
//! at `(i (H - 1) / (h - 1), j (W - 1) / (w - 1))`: the first and last output rows and
//! columns sit exactly on the input's, and the points in between are evenly spaced (for 28
//! to 14, `27 / 13` pixels apart). This is what linear-order spline zooming by `1 / factor`
//! computes (as the code does with `scipy.ndimage.zoom(x, 0.5, order=1)`); it is neither
//! averaging over `factor x factor` blocks nor taking every `factor`-th pixel. The
//! coordinates are exact rationals here, so the last row and column are the input's last,
//! never a point just beyond it; the arithmetic is f64, rounded once to f32.

use ndarray::ShapeBuilder;
use optim_core::{Dataset, OptimError};

use crate::idx::ImageShape;

/// The shape of `shape`'s images after down-sampling by `factor`.
pub fn downsampled_shape(shape: ImageShape, factor: usize) -> ImageShape {
    let side = |n: usize| ((2 * n + factor) / (2 * factor)).max(1);
    ImageShape {
        rows: side(shape.rows),
        cols: side(shape.cols),
    }
}

/// Where output index `i` of `out` samples an input axis of `len` pixels: the pixel below
/// and the weight of the one above.
fn sample_point(i: usize, len: usize, out: usize) -> (usize, f64) {
    if out <= 1 {
        return (0, 0.0);
    }
    let numerator = i * (len - 1);
    let below = numerator / (out - 1);
    (below, (numerator % (out - 1)) as f64 / (out - 1) as f64)
}

/// `data` with every image (a column of `shape.pixels()` row-major pixels) down-sampled by
/// `factor`; labels unchanged.
///
/// # Errors
/// `factor` below 2, images of another size than `shape`, or a factor larger than a side.
pub fn downsample(data: &Dataset, shape: ImageShape, factor: usize) -> Result<Dataset, OptimError> {
    if factor < 2 || factor > shape.rows.min(shape.cols) {
        return Err(OptimError::invalid(
            "downsample",
            format!(
                "must be an integer from 2 to {} for {}x{} images, got {factor}",
                shape.rows.min(shape.cols),
                shape.rows,
                shape.cols
            ),
        ));
    }
    if data.num_features() != shape.pixels() {
        return Err(OptimError::Shape(format!(
            "{} features per sample, not the {} pixels of {}x{} images",
            data.num_features(),
            shape.pixels(),
            shape.rows,
            shape.cols
        )));
    }
    let out = downsampled_shape(shape, factor);
    let rows: Vec<(usize, f64)> = (0..out.rows).map(|i| sample_point(i, shape.rows, out.rows)).collect();
    let cols: Vec<(usize, f64)> = (0..out.cols).map(|j| sample_point(j, shape.cols, out.cols)).collect();
    let mut features = ndarray::Array2::<f32>::zeros((out.pixels(), data.len()).f());
    for (image, mut target) in data.features.columns().into_iter().zip(features.columns_mut()) {
        let pixel = |r: usize, c: usize| f64::from(image[r * shape.cols + c]);
        for (i, &(r0, fr)) in rows.iter().enumerate() {
            let r1 = (r0 + 1).min(shape.rows - 1);
            for (j, &(c0, fc)) in cols.iter().enumerate() {
                let c1 = (c0 + 1).min(shape.cols - 1);
                let top = (1.0 - fc) * pixel(r0, c0) + fc * pixel(r0, c1);
                let bottom = (1.0 - fc) * pixel(r1, c0) + fc * pixel(r1, c1);
                target[i * out.cols + j] = ((1.0 - fr) * top + fr * bottom) as f32;
            }
        }
    }
    Dataset::new(features, data.labels.clone(), data.num_classes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_image(pixels: Vec<f32>) -> Dataset {
        let n = pixels.len();
        Dataset::new(ndarray::Array2::from_shape_vec((n, 1).f(), pixels).unwrap(), vec![0], 1).unwrap()
    }

    /// 28 to 14: rows 0 and 13 sit on input rows 0 and 27; row 1 on `27 / 13 = 2 + 1/13`.
    #[test]
    fn sample_points_of_mnist() {
        assert_eq!(
            downsampled_shape(ImageShape::MNIST, 2),
            ImageShape { rows: 14, cols: 14 }
        );
        assert_eq!(sample_point(0, 28, 14), (0, 0.0));
        assert_eq!(sample_point(13, 28, 14), (27, 0.0));
        assert_eq!(sample_point(1, 28, 14), (2, 1.0 / 13.0));
        assert_eq!(sample_point(7, 28, 14), (14, 7.0 / 13.0));
        assert_eq!(downsampled_shape(ImageShape::MNIST, 3).rows, 9);
    }

    /// A 4x4 image to 2x2 samples the four corners exactly; a 5x5 ramp `v = 10 r + c` to
    /// 3x3 (factor 2, `round(2.5) = 3`) samples rows and columns 0, 2, 4 exactly.
    #[test]
    fn corner_aligned_linear_interpolation_by_hand() {
        let corners = one_image((0..16).map(|k| k as f32).collect());
        let small = downsample(&corners, ImageShape { rows: 4, cols: 4 }, 2).unwrap();
        assert_eq!(small.features.column(0).to_vec(), [0.0, 3.0, 12.0, 15.0]);
        let ramp = one_image((0..25).map(|k| (10 * (k / 5) + k % 5) as f32).collect());
        let small = downsample(&ramp, ImageShape { rows: 5, cols: 5 }, 2).unwrap();
        assert_eq!(
            small.features.column(0).to_vec(),
            [0.0, 2.0, 4.0, 20.0, 22.0, 24.0, 40.0, 42.0, 44.0]
        );
    }

    /// Between input pixels the value is interpolated, not averaged over a block nor picked:
    /// a 28x28 image that is 1 on row 2 alone gives, on output row 1 (input row `2 + 1/13`),
    /// `12/13` in every column, and 0 on the other output rows.
    #[test]
    fn mnist_row_between_pixels() {
        let mut pixels = vec![0.0f32; 784];
        pixels[2 * 28..3 * 28].fill(1.0);
        let small = downsample(&one_image(pixels), ImageShape::MNIST, 2).unwrap();
        let column = small.features.column(0);
        for j in 0..14 {
            assert!((column[14 + j] - 12.0 / 13.0).abs() < 1e-7);
            assert_eq!(column[j], 0.0);
            assert_eq!(column[2 * 14 + j], 0.0);
        }
        assert_eq!(small.num_features(), 196);
    }

    #[test]
    fn impossible_factors_and_shapes_are_refused() {
        let data = one_image(vec![0.0; 16]);
        let shape = ImageShape { rows: 4, cols: 4 };
        assert!(matches!(
            downsample(&data, shape, 1),
            Err(OptimError::InvalidParameter { key, .. }) if key == "downsample"
        ));
        assert!(downsample(&data, shape, 5).is_err());
        assert!(downsample(&data, ImageShape::MNIST, 2).is_err());
    }
}
