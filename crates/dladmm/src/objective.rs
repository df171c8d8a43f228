//! The dual update that ends an iteration, and the quantities the iteration reports:
//! residuals, the augmented Lagrangian (docs/dladmm.md#residuals-and-objective) and the stationarity gap (docs/dladmm.md#convergence).

use optim_core::simd;
use optim_core::{OptimError, Result};
use rayon::prelude::*;

use admm_kernels::{blocks, blocks_mut, label_blocks, ordered_sums};

/// What the closing pass measured at the end of an iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Closing {
    /// `R(z_L; y)`: cross-entropy of the auxiliary `z_L`, summed over samples.
    pub output_loss: f64,
    /// `||r||^2` with `r = z_L - W_L a_{L-1} - b_L` (squared Frobenius norm).
    pub residual: f64,
    /// `<u, r>` with the updated dual `u`.
    pub dual_product: f64,
    /// `||grad R(z_L) + u||` with the updated `u`: zero at an exact `z_L` solve (Lemma B.2).
    pub stationarity_gap: f64,
}

/// `u <- u + rho r` with `r = z_L - m_L - b_L`, measuring [`Closing`] in the same pass.
pub(crate) fn dual_update(u: &mut [f32], z: &[f32], m: &[f32], b: &[f32], labels: &[u32], rho: f64) -> Result<Closing> {
    let rows = b.len();
    let rho32 = rho as f32;
    let parts: Vec<[f64; 4]> = (
        blocks_mut(u, rows),
        blocks(z, rows),
        blocks(m, rows),
        label_blocks(labels),
    )
        .into_par_iter()
        .map(|(u, z, m, labels)| {
            simd::dispatch(
                #[inline(always)]
                || {
                    let mut sums = [0.0f64; 4];
                    for (((uc, zc), mc), &y) in u
                        .chunks_exact_mut(rows)
                        .zip(z.chunks_exact(rows))
                        .zip(m.chunks_exact(rows))
                        .zip(labels)
                    {
                        let y = y as usize;
                        let max = zc.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v));
                        let sum: f32 = zc.iter().map(|&v| (v - max).exp()).sum();
                        sums[0] += f64::from(max + sum.ln() - zc[y]);
                        for (i, (((u, &z), &m), &b)) in uc.iter_mut().zip(zc).zip(mc).zip(b).enumerate() {
                            let r = z - m - b;
                            *u += rho32 * r;
                            sums[1] += f64::from(r) * f64::from(r);
                            sums[2] += f64::from(*u) * f64::from(r);
                            let p = (z - max).exp() / sum - if i == y { 1.0 } else { 0.0 };
                            let s = f64::from(p + *u);
                            sums[3] += s * s;
                        }
                    }
                    sums
                },
            )
        })
        .collect();
    let total = ordered_sums(&parts);
    if !total.iter().all(|v| v.is_finite()) {
        return Err(OptimError::NonFinite { what: "u".into() });
    }
    Ok(Closing {
        output_loss: total[0],
        residual: total[1],
        dual_product: total[2],
        stationarity_gap: total[3].sqrt(),
    })
}

/// The augmented Lagrangian of Problem 2 (docs/dladmm.md#augmented-lagrangian, no regulariser):
/// `R(z_L) + <u, r> + rho/2 ||r||^2 + nu/2 sum_{l<L} (||z_l - W_l a_{l-1} - b_l||^2 +
/// ||a_l - relu(z_l)||^2)`.
pub(crate) fn augmented_lagrangian(
    closing: &Closing,
    rho: f64,
    nu: f64,
    hidden_residual: f64,
    activation_residual: f64,
) -> f64 {
    closing.output_loss
        + closing.dual_product
        + 0.5 * rho * closing.residual
        + 0.5 * nu * (hidden_residual + activation_residual)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dual_update_and_measures_by_hand() {
        // Two classes, two samples; b = 0.
        let z = [1.0f32, -1.0, 0.0, 2.0];
        let m = [0.5f32, -1.0, 0.0, 1.0];
        let mut u = [0.1f32, 0.0, 0.0, -0.1];
        let rho = 2.0;
        let c = dual_update(&mut u, &z, &m, &[0.0, 0.0], &[0, 1], rho).unwrap();
        // r = [0.5, 0, 0, 1]; u = [1.1, 0, 0, 1.9].
        assert_eq!(u, [1.1, 0.0, 0.0, 1.9]);
        assert!((c.residual - 1.25).abs() < 1e-12);
        assert!((c.dual_product - (1.1 * 0.5 + 1.9)).abs() < 1e-6);
        let ce0 = (1f64.exp() + (-1f64).exp()).ln() - 1.0;
        let ce1 = (1f64 + 2f64.exp()).ln() - 2.0;
        assert!((c.output_loss - (ce0 + ce1)).abs() < 1e-6);
        let p0 = 1f64.exp() / (1f64.exp() + (-1f64).exp());
        let p1 = 1.0 / (1.0 + 2f64.exp());
        let gap = ((p0 - 1.0 + 1.1).powi(2) + (1.0 - p0).powi(2) + p1.powi(2) + (1.0 - p1 - 1.0 + 1.9).powi(2)).sqrt();
        assert!((c.stationarity_gap - gap).abs() < 1e-6);
        let al = augmented_lagrangian(&c, rho, 0.5, 2.0, 4.0);
        assert!((al - (c.output_loss + c.dual_product + 1.25 + 1.5)).abs() < 1e-9);
    }
}
