//! The hidden `z_l` update as the code makes it (docs/pdadmm.md#z-update).
//!
//! Entry by entry, with `m` the entry of `W_l p_l + b_l` (new `W`, `b`, `p`), `z0` the
//! previous `z_l` and `q` that of `q_l`: the subproblem
//! `(z - m)^2 + (q - relu(z))^2 + (z - z0)^2` has the candidate `min((m + z0) / 2, 0)` on
//! `z <= 0` and `max((m + z0 + q) / 3, 0)` on `z >= 0`; the code keeps the one with the
//! smaller `(z - m)^2 + (q - relu(z))^2`, that is, it compares without the proximal term,
//! ties to the non-positive one. (`admm_kernels::relu_prox` compares with its whole
//! objective, so it is not this rule.)

use admm_kernels::{blocks, blocks_mut, ordered_sums, storage, storage_mut};
use ndarray::{Array1, Array2};
use rayon::prelude::*;

/// The code's choice for one entry.
#[inline]
pub(crate) fn z_entry(m: f32, z0: f32, q: f32) -> f32 {
    let mid = (m + z0) / 2.0;
    let below = mid.min(0.0);
    let above = ((2.0 * mid + q) / 3.0).max(0.0);
    let cost = |z: f32| (z - m) * (z - m) + (q - z.max(0.0)) * (q - z.max(0.0));
    if cost(below) > cost(above) { above } else { below }
}

/// `z <- z_entry(product + b, z, q)` over a layer; returns `||z - product - b||^2` at the
/// new `z` (the layer's residual) and a non-finite flag.
pub(crate) fn z_pass(z: &mut Array2<f32>, product: &Array2<f32>, b: &Array1<f32>, q: &[f32]) -> (f64, bool) {
    let rows = b.len();
    let bias = b.as_slice().expect("biases are contiguous");
    let parts: Vec<[f64; 2]> = (
        blocks_mut(storage_mut(z), rows),
        blocks(storage(product), rows),
        blocks(q, rows),
    )
        .into_par_iter()
        .map(|(z, m, q)| {
            let (mut residual, mut bad) = (0.0f64, 0.0f64);
            for ((zc, mc), qc) in z
                .chunks_exact_mut(rows)
                .zip(m.chunks_exact(rows))
                .zip(q.chunks_exact(rows))
            {
                for (((z, &m), &q), &b) in zc.iter_mut().zip(mc).zip(qc).zip(bias) {
                    let target = m + b;
                    let new = z_entry(target, *z, q);
                    *z = new;
                    let d = f64::from(new - target);
                    residual += d * d;
                    if !target.is_finite() {
                        bad = 1.0;
                    }
                }
            }
            [residual, bad]
        })
        .collect();
    let [residual, bad] = ordered_sums(&parts);
    (residual, bad > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::ShapeBuilder;

    /// Hand-derived choices.
    /// - `m = 1, z0 = 1, q = 1`: candidates `min(1, 0) = 0` (cost `1 + 1 = 2`) and `max(1, 0)
    ///   = 1` (cost 0): 1.
    /// - `m = -2, z0 = 0, q = 0.5`: `min(-1, 0) = -1` (cost `1 + 0.25`) and
    ///   `max((-2 + 0.5) / 3, 0) = 0` (cost `4 + 0.25`): -1.
    /// - `m = 0.3, z0 = -0.9, q = 0.9`: `mid = -0.3`, below `-0.3` costs `0.36 + 0.81 =
    ///   1.17`, above `max((-0.6 + 0.9) / 3, 0) = 0.1` costs `0.04 + 0.64 = 0.68`: 0.1.
    /// - The proximal term is left out of the comparison: `m = 1, z0 = -3, q = 0`: below
    ///   `min(-1, 0) = -1` costs 4 (with the proximal term 8), above `max(-2/3, 0) = 0`
    ///   costs 1 (with it 10): the code keeps 0, although -1 is the better point of the
    ///   subproblem it solved.
    #[test]
    fn choices_by_hand() {
        assert_eq!(z_entry(1.0, 1.0, 1.0), 1.0);
        assert_eq!(z_entry(-2.0, 0.0, 0.5), -1.0);
        assert!((z_entry(0.3, -0.9, 0.9) - 0.1).abs() < 1e-7);
        assert_eq!(z_entry(1.0, -3.0, 0.0), 0.0);
        // A tie goes to the non-positive candidate: m = 0, z0 = 0, q = 0: both are 0.
        assert_eq!(z_entry(0.0, 0.0, 0.0).to_bits(), 0.0f32.to_bits());
    }

    #[test]
    fn pass_applies_the_rule_with_the_bias_and_sums_the_residual() {
        // 2 rows, 2 samples.
        let mut z = Array2::from_shape_vec((2, 2).f(), vec![1.0f32, 0.0, -3.0, 0.5]).unwrap();
        let product = Array2::from_shape_vec((2, 2).f(), vec![0.5f32, -2.5, 0.5, 1.0]).unwrap();
        let b = Array1::from(vec![0.5f32, 0.5]);
        let q = [1.0f32, 0.5, 0.0, 2.0];
        let (residual, bad) = z_pass(&mut z, &product, &b, &q);
        let expected = [
            z_entry(1.0, 1.0, 1.0),
            z_entry(-2.0, 0.0, 0.5),
            z_entry(1.0, -3.0, 0.0),
            z_entry(1.5, 0.5, 2.0),
        ];
        assert_eq!(z.as_slice_memory_order().unwrap(), expected);
        let targets = [1.0f32, -2.0, 1.0, 1.5];
        let by_hand: f64 = expected
            .iter()
            .zip(targets)
            .map(|(&z, m)| f64::from(z - m).powi(2))
            .sum();
        assert_eq!(residual, by_hand);
        assert!(!bad);
    }
}
