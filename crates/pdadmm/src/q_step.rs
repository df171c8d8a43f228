//! The `q_l` and dual updates (docs/pdadmm.md#q-update, docs/pdadmm.md#dual-update), fused
//! in one pass over a hidden layer.
//!
//! `q_l` minimises `nu/2 ||q - relu(z_l)||^2 - <u_l, q> + rho/2 ||p_{l+1} - q||^2`:
//! `q = (nu relu(z_l) + rho p_{l+1} + u_l) / (nu + rho)`, with the new `z_l` and `p_{l+1}`
//! (the code's `(p + u / rho + relu(z)) / 2` when `nu = rho`). Then
//! `u_l <- u_l + rho (p_{l+1} - q_l)`.

use admm_kernels::{blocks, blocks_mut, ordered_sums};
use rayon::prelude::*;

/// What the pass measured after both updates.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct CouplingSums {
    /// `||q_l - relu(z_l)||^2`.
    pub activation_residual: f64,
    /// `||p_{l+1} - q_l||^2`.
    pub primal_residual: f64,
    /// `<u_l, p_{l+1} - q_l>` with the updated dual.
    pub dual_term: f64,
}

/// Updates `q` and `u` of one hidden layer of `rows` units in place.
pub(crate) fn q_and_dual_step(
    (q, u): (&mut [f32], &mut [f32]),
    (p, z): (&[f32], &[f32]),
    rows: usize,
    (rho, nu): (f64, f64),
) -> CouplingSums {
    let inv = (1.0 / (nu + rho)) as f32;
    let (rho32, nu32) = (rho as f32, nu as f32);
    let parts: Vec<[f64; 3]> = (
        blocks_mut(q, rows),
        blocks_mut(u, rows),
        blocks(p, rows),
        blocks(z, rows),
    )
        .into_par_iter()
        .map(|(q, u, p, z)| {
            let mut sums = [0.0f64; 3];
            for (((q, u), &p), &z) in q.iter_mut().zip(u.iter_mut()).zip(p).zip(z) {
                let activation = z.max(0.0);
                let new = (nu32 * activation + rho32 * p + *u) * inv;
                *q = new;
                let gap = p - new;
                *u += rho32 * gap;
                let a = f64::from(new - activation);
                sums[0] += a * a;
                sums[1] += f64::from(gap) * f64::from(gap);
                sums[2] += f64::from(*u) * f64::from(gap);
            }
            sums
        })
        .collect();
    let [activation_residual, primal_residual, dual_term] = ordered_sums(&parts);
    CouplingSums {
        activation_residual,
        primal_residual,
        dual_term,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One entry, `rho = nu = 0.5`: `z = 2`, `p = 1`, `u = 0.25`:
    /// `q = (0.5 * 2 + 0.5 * 1 + 0.25) / 1 = 1.75` (the code's `(1 + 0.5 + 2) / 2`),
    /// `u = 0.25 + 0.5 (1 - 1.75) = -0.125`; residuals `0.0625` and `0.5625`, dual term
    /// `-0.125 * -0.75 = 0.09375`. With `z = -1` the activation is 0: `q = 0.75`, `u = 0.375`.
    #[test]
    fn by_hand() {
        let (mut q, mut u) = ([9.0f32, 9.0], [0.25f32, 0.25]);
        let sums = q_and_dual_step((&mut q, &mut u), (&[1.0, 1.0], &[2.0, -1.0]), 1, (0.5, 0.5));
        assert_eq!(q, [1.75, 0.75]);
        assert_eq!(u, [-0.125, 0.375]);
        assert_eq!(sums.activation_residual, 0.0625 + 0.5625);
        assert_eq!(sums.primal_residual, 0.5625 + 0.0625);
        assert_eq!(sums.dual_term, 0.09375 + 0.375 * 0.25);
    }

    /// `nu != rho` weighs the two pulls: `nu = 3`, `rho = 1`, `z = 1`, `p = 0`, `u = 0`:
    /// `q = 3 / 4`.
    #[test]
    fn separate_weights() {
        let (mut q, mut u) = ([0.0f32], [0.0f32]);
        q_and_dual_step((&mut q, &mut u), (&[0.0], &[1.0]), 1, (1.0, 3.0));
        assert_eq!(q, [0.75]);
        assert_eq!(u, [-0.75]);
    }
}
