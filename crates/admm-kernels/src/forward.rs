//! The bias-add forward pass of one layer: `z = W a + b` from the product `W a`, and
//! `a = relu(z)` for a hidden layer. Both optimizers start their auxiliary variables with
//! it, and dlADMM's adaptive rule runs it over the training set after every iteration.

use optim_core::simd;
use rayon::prelude::*;

use crate::blocks::{blocks, blocks_mut};

/// `out <- product + b 1^T`, then `max(., 0)` if `relu`, for matrices of `b.len()` rows.
pub fn add_bias(out: &mut [f32], product: &[f32], b: &[f32], relu: bool) {
    let rows = b.len();
    (blocks_mut(out, rows), blocks(product, rows))
        .into_par_iter()
        .for_each(|(out, product)| {
            simd::dispatch(
                #[inline(always)]
                || {
                    for (oc, pc) in out.chunks_exact_mut(rows).zip(product.chunks_exact(rows)) {
                        for ((o, &p), &b) in oc.iter_mut().zip(pc).zip(b) {
                            let v = p + b;
                            *o = if relu { v.max(0.0) } else { v };
                        }
                    }
                },
            )
        });
}

/// [`add_bias`] in place: `x <- x + b 1^T`, then `max(., 0)` if `relu`.
pub fn add_bias_in_place(x: &mut [f32], b: &[f32], relu: bool) {
    let rows = b.len();
    blocks_mut(x, rows).for_each(|x| {
        simd::dispatch(
            #[inline(always)]
            || {
                for xc in x.chunks_exact_mut(rows) {
                    for (x, &b) in xc.iter_mut().zip(b) {
                        let v = *x + b;
                        *x = if relu { v.max(0.0) } else { v };
                    }
                }
            },
        )
    });
}

/// Entries per parallel task of [`relu_into`]: enough to amortise the task and the
/// dispatch, small enough to spread over the threads.
const RELU_CHUNK: usize = 1 << 14;

/// `a <- relu(z)` entry by entry (any shape: `a` and `z` are read as flat storage).
pub fn relu_into(a: &mut [f32], z: &[f32]) {
    assert_eq!(a.len(), z.len(), "lengths of a ReLU");
    a.par_chunks_mut(RELU_CHUNK)
        .zip(z.par_chunks(RELU_CHUNK))
        .for_each(|(a, z)| {
            simd::dispatch(
                #[inline(always)]
                || a.iter_mut().zip(z).for_each(|(a, &z)| *a = z.max(0.0)),
            )
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bias_and_relu_by_hand() {
        // Two rows, two columns.
        let product = [1.0f32, -2.0, -0.5, 3.0];
        let b = [0.25f32, 1.0];
        let mut z = [0.0f32; 4];
        add_bias(&mut z, &product, &b, false);
        assert_eq!(z, [1.25, -1.0, -0.25, 4.0]);
        let mut a = [9.0f32; 4];
        relu_into(&mut a, &z);
        assert_eq!(a, [1.25, 0.0, 0.0, 4.0]);
        let mut h = [0.0f32; 4];
        add_bias(&mut h, &product, &b, true);
        assert_eq!(h, a);
        let mut x = product;
        add_bias_in_place(&mut x, &b, false);
        assert_eq!(x, z);
        let mut x = product;
        add_bias_in_place(&mut x, &b, true);
        assert_eq!(x, a);
    }
}
