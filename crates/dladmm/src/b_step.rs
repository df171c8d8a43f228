//! The `b_l` subproblem: its exact minimiser, the mean over samples (docs/dladmm.md#b-update).
//!
//! `phi` depends on `b_l` through `c/2 ||z_l - m_l - b_l 1^T (+ u / rho)||^2`, minimised by
//! `b_l = mean_columns(z_l - m_l (+ u / rho))`, which is what the reference code computes
//! (its "gradient" is averaged over the samples). The paper's `b - grad / nu` with a summed
//! gradient would overshoot by the number of samples.

use ndarray::Array1;
use optim_core::simd;
use optim_core::{OptimError, Result};
use rayon::prelude::*;

use admm_kernels::{blocks, ordered_row_sums};

/// `b <- row_sums / samples`; fails with `NonFinite { what: name }` on a non-finite mean.
pub(crate) fn set_mean(b: &mut Array1<f32>, row_sums: &[f64], samples: usize, name: &str) -> Result<()> {
    let n = samples as f64;
    for (b, &s) in b.iter_mut().zip(row_sums) {
        let mean = s / n;
        if !mean.is_finite() {
            return Err(OptimError::NonFinite { what: name.into() });
        }
        *b = mean as f32;
    }
    Ok(())
}

/// `b <- mean_columns(z - m (+ u / rho))` with `m` the carried product `W a`;
/// `dual = (u, 1 / rho)` for the last layer.
pub(crate) fn update_b(
    b: &mut Array1<f32>,
    z: &[f32],
    m: &[f32],
    dual: Option<(&[f32], f32)>,
    name: &str,
) -> Result<()> {
    let rows = b.len();
    let samples = z.len() / rows;
    let parts: Vec<Vec<f64>> = match dual {
        None => (blocks(z, rows), blocks(m, rows))
            .into_par_iter()
            .map(|(z, m)| {
                simd::dispatch(
                    #[inline(always)]
                    || {
                        let mut sums = vec![0.0f64; rows];
                        for (zc, mc) in z.chunks_exact(rows).zip(m.chunks_exact(rows)) {
                            for ((s, &z), &m) in sums.iter_mut().zip(zc).zip(mc) {
                                *s += f64::from(z - m);
                            }
                        }
                        sums
                    },
                )
            })
            .collect(),
        Some((u, inv_rho)) => (blocks(z, rows), blocks(m, rows), blocks(u, rows))
            .into_par_iter()
            .map(|(z, m, u)| {
                simd::dispatch(
                    #[inline(always)]
                    || {
                        let mut sums = vec![0.0f64; rows];
                        for ((zc, mc), uc) in z.chunks_exact(rows).zip(m.chunks_exact(rows)).zip(u.chunks_exact(rows)) {
                            for (((s, &z), &m), &u) in sums.iter_mut().zip(zc).zip(mc).zip(uc) {
                                *s += f64::from(z - m + u * inv_rho);
                            }
                        }
                        sums
                    },
                )
            })
            .collect(),
    };
    set_mean(b, &ordered_row_sums(&parts, rows), samples, name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{random_matrix, rng};
    use admm_kernels::storage;

    /// `phi(b) = rho/2 ||z - m - b 1^T + u / rho||^2`, evaluated directly in f64.
    fn phi(b: &[f32], z: &[f32], m: &[f32], u: &[f32], rho: f64) -> f64 {
        let rows = b.len();
        z.iter()
            .zip(m)
            .zip(u)
            .enumerate()
            .map(|(k, ((&z, &m), &u))| {
                let r = f64::from(z) - f64::from(m) - f64::from(b[k % rows]) + f64::from(u) / rho;
                r * r
            })
            .sum::<f64>()
            * rho
            / 2.0
    }

    /// Perturbing the computed `b` in any coordinate, either way, increases `phi`.
    #[test]
    fn update_is_the_exact_minimiser() {
        let mut r = rng(3);
        let (rows, cols) = (4, 37);
        let z = random_matrix(&mut r, rows, cols, 1.0);
        let m = random_matrix(&mut r, rows, cols, 1.0);
        let u = random_matrix(&mut r, rows, cols, 0.1);
        let rho = 0.5f64;
        let (z, m, u) = (storage(&z), storage(&m), storage(&u));
        for dual in [false, true] {
            let uu: Vec<f32> = if dual { u.to_vec() } else { vec![0.0; u.len()] };
            let mut b = Array1::from_elem(rows, 3.0f32);
            let d = dual.then_some((uu.as_slice(), (1.0 / rho) as f32));
            update_b(&mut b, z, m, d, "b_1").unwrap();
            let best = phi(b.as_slice().unwrap(), z, m, &uu, rho);
            for i in 0..rows {
                for delta in [1e-2f32, -1e-2] {
                    let mut p = b.clone();
                    p[i] += delta;
                    assert!(phi(p.as_slice().unwrap(), z, m, &uu, rho) > best);
                }
            }
        }
    }

    #[test]
    fn non_finite_mean_names_the_block() {
        let mut b = Array1::zeros(1);
        let err = set_mean(&mut b, &[f64::NAN], 3, "b_2").unwrap_err();
        assert!(matches!(err, OptimError::NonFinite { what } if what == "b_2"));
    }
}
