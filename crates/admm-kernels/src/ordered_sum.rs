//! Sums of per-block partial sums, added in block order, and the sums of squares the
//! passes reduce to.
//!
//! Rayon's own `sum` splits work adaptively, so its rounding would change from run to run;
//! adding fixed blocks' partial sums in block order keeps "same seed, same run" bit for bit
//! whatever the thread count.

use ndarray::Array2;

use crate::blocks::blocks;
use rayon::prelude::*;

/// Adds per-block partial sums in block order.
pub fn ordered_sum(parts: &[f64]) -> f64 {
    parts.iter().fold(0.0, |total, &p| total + p)
}

/// Adds per-block partial sums of `K` quantities in block order, each on its own.
pub fn ordered_sums<const K: usize>(parts: &[[f64; K]]) -> [f64; K] {
    let mut total = [0.0; K];
    for part in parts {
        for (t, p) in total.iter_mut().zip(part) {
            *t += p;
        }
    }
    total
}

/// Adds per-block row sums (one entry per row) in block order.
pub fn ordered_row_sums(parts: &[Vec<f64>], rows: usize) -> Vec<f64> {
    let mut total = vec![0.0f64; rows];
    for p in parts {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

/// 1 if `x` is not finite, else 0: a flag that passes carry through their block sums, so
/// that one non-finite entry anywhere shows in the total.
#[inline]
pub fn non_finite_indicator(x: f32) -> f64 {
    if x.is_finite() { 0.0 } else { 1.0 }
}

/// Sum of squares of `x` with eight independent f64 accumulators (vectorisable; no long
/// chain of dependent additions).
#[inline]
pub fn sum_of_squares(x: &[f32]) -> f64 {
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
pub fn squared_norm(x: &[f32], rows: usize) -> f64 {
    let parts: Vec<f64> = blocks(x, rows).map(sum_of_squares).collect();
    ordered_sum(&parts)
}

/// `sum_ij x_ij y_ij` of two small matrices of the same shape (any layout), in f64.
pub fn frobenius_product(x: &Array2<f32>, y: &Array2<f32>) -> f64 {
    assert_eq!(x.dim(), y.dim(), "shapes of a Frobenius product");
    ndarray::Zip::from(x)
        .and(y)
        .fold(0.0f64, |acc, &a, &b| acc + f64::from(a) * f64::from(b))
}

/// `||x||^2` of a small matrix (any layout), in f64.
pub fn small_squared_norm(x: &Array2<f32>) -> f64 {
    match x.as_slice_memory_order() {
        Some(s) => sum_of_squares(s),
        None => frobenius_product(x, x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_follow_block_order() {
        // 1e16 + 1 + (-1e16): in block order the 1 is lost, another order would keep it.
        assert_eq!(ordered_sum(&[1e16, 1.0, -1e16]), 0.0);
        assert_eq!(ordered_sum(&[1e16, -1e16, 1.0]), 1.0);
        assert_eq!(ordered_sums(&[[1.0, 2.0], [3.0, -4.0]]), [4.0, -2.0]);
        assert_eq!(ordered_row_sums(&[vec![1.0, 2.0], vec![0.5, 0.25]], 2), [1.5, 2.25]);
        assert_eq!(ordered_sum(&[]), 0.0);
    }

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
    fn small_norms_by_hand() {
        let x = ndarray::array![[1.0f32, 2.0], [3.0, 4.0]];
        assert_eq!(small_squared_norm(&x), 30.0);
        assert_eq!(small_squared_norm(&x.t().to_owned()), 30.0);
        assert_eq!(
            frobenius_product(&x, &ndarray::array![[1.0f32, 0.0], [0.0, -1.0]]),
            -3.0
        );
        assert_eq!(sum_of_squares(&[1.0; 11]), 11.0);
        assert_eq!(
            non_finite_indicator(f32::NAN) + non_finite_indicator(f32::NEG_INFINITY),
            2.0
        );
        assert_eq!(non_finite_indicator(f32::MAX), 0.0);
    }
}
