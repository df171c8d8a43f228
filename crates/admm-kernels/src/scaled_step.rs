//! Gradient steps on large matrices, `x <- x - step * y`, in one parallel pass.

use optim_core::simd;
use rayon::prelude::*;

use crate::blocks::{blocks, blocks_mut};

/// `x <- x - step * y` for two matrices of `rows` rows, in parallel over aligned blocks.
pub fn subtract_scaled(x: &mut [f32], y: &[f32], rows: usize, step: f32) {
    assert_eq!(x.len(), y.len(), "lengths of a scaled subtraction");
    (blocks_mut(x, rows), blocks(y, rows))
        .into_par_iter()
        .for_each(|(x, y)| {
            simd::dispatch(
                #[inline(always)]
                || {
                    for (x, &y) in x.iter_mut().zip(y) {
                        *x -= step * y;
                    }
                },
            )
        });
}

/// `x <- x - step * y` and `w <- w - step * v` in one pass over aligned blocks (the carried
/// product and the residual after a `W_l` step, or `a_l` and `m_{l+1}` after an `a_l` step:
/// the two matrices may have different numbers of rows).
pub fn subtract_scaled_pair(x: (&mut [f32], &[f32], usize), w: (&mut [f32], &[f32], usize), step: f32) {
    let (x, y, rx) = x;
    let (w, v, rw) = w;
    (blocks_mut(x, rx), blocks(y, rx), blocks_mut(w, rw), blocks(v, rw))
        .into_par_iter()
        .for_each(|(x, y, w, v)| {
            simd::dispatch(
                #[inline(always)]
                || {
                    for (x, &y) in x.iter_mut().zip(y) {
                        *x -= step * y;
                    }
                    for (w, &v) in w.iter_mut().zip(v) {
                        *w -= step * v;
                    }
                },
            )
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_by_hand() {
        let mut x = [1.0f32, 2.0, 3.0, 4.0];
        subtract_scaled(&mut x, &[1.0, 0.0, -1.0, 2.0], 2, 0.5);
        assert_eq!(x, [0.5, 2.0, 3.5, 3.0]);
        // Different heights: 2 rows and 1 row over the same 2 columns.
        let mut w = [1.0f32, 1.0];
        subtract_scaled_pair((&mut x, &[1.0; 4], 2), (&mut w, &[4.0, -4.0], 1), 0.25);
        assert_eq!(x, [0.25, 1.75, 3.25, 2.75]);
        assert_eq!(w, [0.0, 2.0]);
    }
}
