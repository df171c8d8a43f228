//! Element-wise passes over matrices stored one column per sample, in parallel over blocks
//! of columns.
//!
//! Every big matrix of the optimizer is column-major and contiguous, so a block of
//! [`BLOCK_COLUMNS`] columns is one contiguous slice, and several matrices with the same
//! number of columns split into aligned blocks however many rows each has. Reductions are
//! computed per block and summed in block order, so results do not depend on the number
//! of threads or on work stealing: the same seed gives the same run, bit for bit.

use ndarray::{Array2, ArrayView2, ArrayViewMut2, ShapeBuilder};
use rayon::prelude::*;

/// Columns per block of a parallel pass: large enough to amortise scheduling, small enough
/// to balance 55,000 columns over the threads (and to keep per-block row accumulators
/// small).
pub(crate) const BLOCK_COLUMNS: usize = 256;

/// The storage of a column-major matrix as one slice.
///
/// # Panics
/// If `m` is not contiguous column-major: the optimizer allocates all its matrices so.
pub(crate) fn storage(m: &Array2<f32>) -> &[f32] {
    assert!(m.t().is_standard_layout(), "matrix must be column-major");
    m.as_slice_memory_order().expect("contiguous matrix")
}

/// Mutable storage of a column-major matrix, see [`storage`].
pub(crate) fn storage_mut(m: &mut Array2<f32>) -> &mut [f32] {
    assert!(m.t().is_standard_layout(), "matrix must be column-major");
    m.as_slice_memory_order_mut().expect("contiguous matrix")
}

/// Parallel blocks of [`BLOCK_COLUMNS`] columns of a matrix with `rows` rows.
pub(crate) fn blocks(x: &[f32], rows: usize) -> rayon::slice::Chunks<'_, f32> {
    x.par_chunks(rows * BLOCK_COLUMNS)
}

/// Mutable parallel blocks, aligned with [`blocks`].
pub(crate) fn blocks_mut(x: &mut [f32], rows: usize) -> rayon::slice::ChunksMut<'_, f32> {
    x.par_chunks_mut(rows * BLOCK_COLUMNS)
}

/// Labels of the samples of each block, aligned with [`blocks`].
pub(crate) fn label_blocks(labels: &[u32]) -> rayon::slice::Chunks<'_, u32> {
    labels.par_chunks(BLOCK_COLUMNS)
}

/// Sums per-block partial sums in block order (deterministic).
pub(crate) fn ordered_sum(parts: &[f64]) -> f64 {
    parts.iter().sum()
}

/// Adds per-block row sums in block order (deterministic).
pub(crate) fn ordered_row_sums(parts: &[Vec<f64>], rows: usize) -> Vec<f64> {
    let mut total = vec![0.0f64; rows];
    for p in parts {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

/// Sum of squares of `x` with eight independent f64 accumulators (vectorisable; no long
/// chain of dependent additions).
#[inline]
pub(crate) fn sum_of_squares(x: &[f32]) -> f64 {
    let mut lanes = [0.0f64; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l += f64::from(v) * f64::from(v);
        }
    }
    let tail: f64 = chunks.remainder().iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    lanes.iter().sum::<f64>() + tail
}

/// `||x||^2` of a matrix with `rows` rows stored in `x`, in parallel, in f64.
pub(crate) fn squared_norm(x: &[f32], rows: usize) -> f64 {
    let parts: Vec<f64> = blocks(x, rows).map(sum_of_squares).collect();
    ordered_sum(&parts)
}

/// `sum_ij x_ij y_ij` of two small matrices of the same shape (any layout), in f64.
pub(crate) fn frobenius_product(x: &Array2<f32>, y: &Array2<f32>) -> f64 {
    assert_eq!(x.dim(), y.dim(), "shapes of a Frobenius product");
    ndarray::Zip::from(x)
        .and(y)
        .fold(0.0f64, |acc, &a, &b| acc + f64::from(a) * f64::from(b))
}

/// `||x||^2` of a small matrix (any layout), in f64.
pub(crate) fn small_squared_norm(x: &Array2<f32>) -> f64 {
    match x.as_slice_memory_order() {
        Some(s) => sum_of_squares(s),
        None => frobenius_product(x, x),
    }
}

/// `out <- m + b 1^T - z - (shift / rho)`: the residual `W a + b - z (- u / rho)` of a
/// layer, given the carried product `m = W a`. `dual` is `(u, 1 / rho)` for the last layer.
pub(crate) fn residual_into(out: &mut [f32], m: &[f32], b: &[f32], z: &[f32], dual: Option<(&[f32], f32)>) {
    let rows = b.len();
    match dual {
        None => (blocks_mut(out, rows), blocks(m, rows), blocks(z, rows))
            .into_par_iter()
            .for_each(|(o, m, z)| {
                for ((oc, mc), zc) in o
                    .chunks_exact_mut(rows)
                    .zip(m.chunks_exact(rows))
                    .zip(z.chunks_exact(rows))
                {
                    for (((o, &m), &z), &b) in oc.iter_mut().zip(mc).zip(zc).zip(b) {
                        *o = m + b - z;
                    }
                }
            }),
        Some((u, inv_rho)) => (blocks_mut(out, rows), blocks(m, rows), blocks(z, rows), blocks(u, rows))
            .into_par_iter()
            .for_each(|(o, m, z, u)| {
                for (((oc, mc), zc), uc) in o
                    .chunks_exact_mut(rows)
                    .zip(m.chunks_exact(rows))
                    .zip(z.chunks_exact(rows))
                    .zip(u.chunks_exact(rows))
                {
                    for ((((o, &m), &z), &u), &b) in oc.iter_mut().zip(mc).zip(zc).zip(uc).zip(b) {
                        *o = m + b - z - u * inv_rho;
                    }
                }
            }),
    }
}

/// `m <- m + b 1^T - z` in place: the residual `W a + b - z` overwriting the carried
/// product, for the one layer (the first) whose product is recomputed right after.
pub(crate) fn residual_in_place(m: &mut [f32], b: &[f32], z: &[f32]) {
    let rows = b.len();
    (blocks_mut(m, rows), blocks(z, rows))
        .into_par_iter()
        .for_each(|(m, z)| {
            for (mc, zc) in m.chunks_exact_mut(rows).zip(z.chunks_exact(rows)) {
                for ((m, &z), &b) in mc.iter_mut().zip(zc).zip(b) {
                    *m = *m + b - z;
                }
            }
        });
}

/// `x <- x - step * y` for two matrices of `rows` rows, in parallel over aligned blocks.
pub(crate) fn subtract_scaled(x: &mut [f32], y: &[f32], rows: usize, step: f32) {
    assert_eq!(x.len(), y.len(), "lengths of a scaled subtraction");
    (blocks_mut(x, rows), blocks(y, rows))
        .into_par_iter()
        .for_each(|(x, y)| {
            for (x, &y) in x.iter_mut().zip(y) {
                *x -= step * y;
            }
        });
}

/// `x <- x - step * y` and `w <- w - step * v` in one pass over aligned blocks (the carried
/// product and the residual after a `W_l` step, or `a_l` and `m_{l+1}` after an `a_l` step:
/// the two matrices may have different numbers of rows).
pub(crate) fn subtract_scaled_pair(x: (&mut [f32], &[f32], usize), w: (&mut [f32], &[f32], usize), step: f32) {
    let (x, y, rx) = x;
    let (w, v, rw) = w;
    (blocks_mut(x, rx), blocks(y, rx), blocks_mut(w, rw), blocks(v, rw))
        .into_par_iter()
        .for_each(|(x, y, w, v)| {
            for (x, &y) in x.iter_mut().zip(y) {
                *x -= step * y;
            }
            for (w, &v) in w.iter_mut().zip(v) {
                *w -= step * v;
            }
        });
}

/// A reusable buffer for matrices of up to `max_rows` rows and a fixed number of columns,
/// viewed as a contiguous column-major `(rows, cols)` matrix for any `rows <= max_rows`.
///
/// The optimizer holds two of these for all its temporaries (residuals, gradients,
/// products), so no subproblem allocates a features-by-samples matrix.
#[derive(Debug)]
pub(crate) struct Scratch {
    data: Vec<f32>,
    cols: usize,
}

impl Scratch {
    /// A zeroed buffer (the pages are only touched when first used).
    pub(crate) fn new(max_rows: usize, cols: usize) -> Self {
        Self {
            data: vec![0.0; max_rows * cols],
            cols,
        }
    }

    /// The first `rows * cols` values as storage.
    pub(crate) fn slice(&self, rows: usize) -> &[f32] {
        &self.data[..rows * self.cols]
    }

    /// The first `rows * cols` values as mutable storage.
    pub(crate) fn slice_mut(&mut self, rows: usize) -> &mut [f32] {
        &mut self.data[..rows * self.cols]
    }

    /// A `(rows, cols)` column-major view.
    pub(crate) fn view(&self, rows: usize) -> ArrayView2<'_, f32> {
        ArrayView2::from_shape((rows, self.cols).f(), self.slice(rows)).expect("scratch holds rows * cols values")
    }

    /// A mutable `(rows, cols)` column-major view.
    pub(crate) fn view_mut(&mut self, rows: usize) -> ArrayViewMut2<'_, f32> {
        let cols = self.cols;
        self.view_mut_with(rows, cols)
    }

    /// A mutable `(rows, cols)` column-major view with fewer columns than the buffer's.
    pub(crate) fn view_mut_with(&mut self, rows: usize, cols: usize) -> ArrayViewMut2<'_, f32> {
        assert!(cols <= self.cols, "scratch has {} columns", self.cols);
        ArrayViewMut2::from_shape((rows, cols).f(), &mut self.data[..rows * cols])
            .expect("scratch holds rows * cols values")
    }

    /// A `(rows, cols)` column-major view with fewer columns than the buffer's.
    pub(crate) fn view_with(&self, rows: usize, cols: usize) -> ArrayView2<'_, f32> {
        assert!(cols <= self.cols, "scratch has {} columns", self.cols);
        ArrayView2::from_shape((rows, cols).f(), &self.data[..rows * cols]).expect("scratch holds rows * cols values")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reductions_do_not_depend_on_the_thread_count() {
        let x: Vec<f32> = (0..3 * 1000).map(|i| ((i * 7919) % 113) as f32 * 0.37).collect();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| squared_norm(&x, 3));
        let many = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap()
            .install(|| squared_norm(&x, 3));
        assert_eq!(one.to_bits(), many.to_bits());
        let direct: f64 = x.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        assert!((one - direct).abs() <= 1e-12 * direct);
    }

    #[test]
    fn residual_includes_bias_and_dual() {
        let m = [1.0f32, 2.0, 3.0, 4.0];
        let z = [0.5f32, 0.5, 0.5, 0.5];
        let u = [2.0f32, 0.0, -2.0, 4.0];
        let b = [10.0f32, 20.0];
        let mut out = [0.0f32; 4];
        residual_into(&mut out, &m, &b, &z, Some((&u, 0.5)));
        assert_eq!(out, [9.5, 21.5, 13.5, 21.5]);
        residual_into(&mut out, &m, &b, &z, None);
        assert_eq!(out, [10.5, 21.5, 12.5, 23.5]);
    }
}
