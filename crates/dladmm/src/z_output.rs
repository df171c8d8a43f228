//! The output `z_L` subproblem: softmax cross-entropy plus a quadratic, by FISTA exactly as
//! the reference code runs it (docs/dladmm.md#output-z-update).
//!
//! Minimises `f(z) = R(z; y) + rho/2 ||z - c||^2` with `c = W_L a_{L-1} + b_L - u / rho` and
//! `R` the cross-entropy summed over samples. From `v_0 = x_{-1} = z` (warm start), `t_0 = 1`,
//! at most `max_iterations` times: evaluate `f(v_k)`; stop if it moved by less than `tol`
//! (absolute) since the previous evaluation; else take the proximal gradient step with the
//! fixed step `eta`, `x_k = (rho c + (v_k - eta grad R(v_k)) / eta) / (rho + 1 / eta)`, and
//! extrapolate `v_{k+1} = x_k + (t_k - 1) / t_{k+1} (x_k - x_{k-1})`. The result is the last
//! extrapolated point `v`, not `x`.
//!
//! One fused pass per iteration evaluates `f(v_k)` and, speculatively, `x_k` and `v_{k+1}`
//! into spare buffers; the shared FISTA driver ([`admm_kernels::fista`]) runs it with the
//! objective-change stop rule, which discards the stopping pass's speculative half, and
//! returns the extrapolated point, so the result is the reference's.

use admm_kernels::{
    Fista, FistaBuffers, FistaOutcome, ReturnPoint, StopRule, blocks, blocks_mut, softmax_quadratic_pass,
};
use optim_core::simd;
use optim_core::{OptimError, Result};
use rayon::prelude::*;

/// The reference code's FISTA rules: stop on an absolute change of the objective below
/// `tol`, return the extrapolated point, at most `max_iterations` passes.
pub(crate) fn reference_rules(tol: f64, max_iterations: u32) -> Fista {
    Fista {
        stop: StopRule::ObjectiveChange(tol),
        returns: ReturnPoint::Extrapolated,
        max_iterations: max_iterations as usize,
    }
}

/// Settings of the `z_L` solver.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FistaSettings {
    /// Fixed step `eta` (4 in the reference code).
    pub step: f64,
    /// Stop rule, return point and cap ([`reference_rules`]).
    pub rules: Fista,
}

/// Solves in place: `z` is the warm start on entry and the result on exit. `c` and `z`
/// are `rows x labels.len()` column-major. Fails with `NonFinite { what: name }` when the
/// objective is not finite.
pub(crate) fn solve_z_output(
    settings: &FistaSettings,
    z: &mut [f32],
    c: &[f32],
    labels: &[u32],
    rho: f64,
    buffers: &mut FistaBuffers,
    name: &str,
) -> Result<FistaOutcome> {
    let rows = z.len() / labels.len().max(1);
    let out = settings.rules.solve(z, labels, buffers, |block| {
        softmax_quadratic_pass(block, c, rows, rho, settings.step)
    });
    if out.non_finite {
        return Err(OptimError::NonFinite { what: name.into() });
    }
    Ok(out)
}

/// `c <- m + b 1^T - u / rho`: the point the `z_L` subproblem is drawn to.
pub(crate) fn output_target(c: &mut [f32], m: &[f32], b: &[f32], u: &[f32], inv_rho: f32) {
    let rows = b.len();
    (blocks_mut(c, rows), blocks(m, rows), blocks(u, rows))
        .into_par_iter()
        .for_each(|(c, m, u)| {
            simd::dispatch(
                #[inline(always)]
                || {
                    for ((cc, mc), uc) in c
                        .chunks_exact_mut(rows)
                        .zip(m.chunks_exact(rows))
                        .zip(u.chunks_exact(rows))
                    {
                        for (((c, &m), &u), &b) in cc.iter_mut().zip(mc).zip(uc).zip(b) {
                            *c = m + b - u * inv_rho;
                        }
                    }
                },
            )
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{random_matrix, rng};
    use rand::Rng as _;

    struct Problem {
        z: Vec<f32>,
        c: Vec<f32>,
        labels: Vec<u32>,
        rows: usize,
    }

    fn problem(seed: u64, rows: usize, cols: usize) -> Problem {
        let mut r = rng(seed);
        let z = random_matrix(&mut r, rows, cols, 1.0);
        let c = random_matrix(&mut r, rows, cols, 2.0);
        let labels = (0..cols).map(|_| r.random_range(0..rows as u32)).collect();
        Problem {
            z: z.t().iter().copied().collect(),
            c: c.t().iter().copied().collect(),
            labels,
            rows,
        }
    }

    /// `f(z)` and its gradient in f64, column by column.
    fn objective(p: &Problem, z: &[f64], rho: f64) -> (f64, Vec<f64>) {
        let mut grad = vec![0.0; z.len()];
        let mut f = 0.0;
        for (j, &y) in p.labels.iter().enumerate() {
            let col = &z[j * p.rows..(j + 1) * p.rows];
            let max = col.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = col.iter().map(|v| (v - max).exp()).sum();
            f += max + sum.ln() - col[y as usize];
            for (i, &v) in col.iter().enumerate() {
                let k = j * p.rows + i;
                let d = v - f64::from(p.c[k]);
                f += 0.5 * rho * d * d;
                grad[k] = (v - max).exp() / sum - if i == y as usize { 1.0 } else { 0.0 } + rho * d;
            }
        }
        (f, grad)
    }

    /// The reference algorithm written plainly in f64 (evaluate, test, step, extrapolate).
    fn reference(p: &Problem, rho: f64, step: f64, tol: f64, max: u32) -> Vec<f64> {
        let mut v: Vec<f64> = p.z.iter().map(|&v| f64::from(v)).collect();
        let mut x_prev = v.clone();
        let (mut t, mut previous) = (1.0f64, 1e11);
        for _ in 0..max {
            let (f, grad) = objective(p, &v, rho);
            if (f - previous).abs() < tol {
                break;
            }
            previous = f;
            let t_next = (1.0 + (1.0 + 4.0 * t * t).sqrt()) / 2.0;
            let gamma = (t - 1.0) / t_next;
            let x: Vec<f64> = (0..v.len())
                .map(|k| {
                    let c = f64::from(p.c[k]);
                    let g = grad[k] - rho * (v[k] - c);
                    (rho * c + (v[k] - step * g) / step) / (rho + 1.0 / step)
                })
                .collect();
            v = (0..v.len()).map(|k| x[k] + gamma * (x[k] - x_prev[k])).collect();
            x_prev = x;
            t = t_next;
        }
        v
    }

    fn settings(step: f64, tol: f64, max_iterations: u32) -> FistaSettings {
        FistaSettings {
            step,
            rules: reference_rules(tol, max_iterations),
        }
    }

    fn solve(p: &Problem, fista: FistaSettings, rho: f64) -> (Vec<f32>, FistaOutcome) {
        let mut z = p.z.clone();
        let mut buffers = FistaBuffers::new(z.len());
        let out = solve_z_output(&fista, &mut z, &p.c, &p.labels, rho, &mut buffers, "z_3").unwrap();
        (z, out)
    }

    /// The fused solver returns the reference algorithm's point (the extrapolated one) after
    /// any number of iterations, capped or converged.
    #[test]
    fn matches_the_plain_reference_algorithm() {
        let p = problem(1, 5, 300);
        for (max, tol) in [(1u32, 1e-3), (2, 1e-3), (7, 1e-3), (500, 1e-3)] {
            let fista = settings(4.0, tol, max);
            let (z, out) = solve(&p, fista, 0.5);
            let expected = reference(&p, 0.5, 4.0, tol, max);
            let worst = z
                .iter()
                .zip(&expected)
                .map(|(&a, &b)| (f64::from(a) - b).abs())
                .fold(0.0, f64::max);
            assert!(worst < 1e-4, "max {max}: differs by {worst}");
            assert_eq!(out.cap_hit, out.iterations == max as usize && max < 500);
        }
    }

    /// The default solve lands close to the minimiser found by a long, tightly converged
    /// gradient descent.
    #[test]
    fn default_solve_is_close_to_a_tight_solution() {
        let rho = 1.0;
        let p = problem(2, 10, 200);
        let fista = settings(4.0, 1e-3, 500);
        let (z, out) = solve(&p, fista, rho);
        assert!(!out.cap_hit);
        // Gradient descent with step 1 / (1/2 + rho), the objective's Lipschitz bound.
        let mut best: Vec<f64> = p.z.iter().map(|&v| f64::from(v)).collect();
        for _ in 0..20_000 {
            let (_, g) = objective(&p, &best, rho);
            for (b, g) in best.iter_mut().zip(g) {
                *b -= g / (0.5 + rho);
            }
        }
        let (f_best, g_best) = objective(&p, &best, rho);
        assert!(g_best.iter().map(|g| g * g).sum::<f64>().sqrt() < 1e-9);
        let z64: Vec<f64> = z.iter().map(|&v| f64::from(v)).collect();
        let (f, _) = objective(&p, &z64, rho);
        assert!(f - f_best < 1e-2 && f >= f_best - 1e-6, "{f} vs optimum {f_best}");
        let distance = z64
            .iter()
            .zip(&best)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        // Strong convexity (modulus rho): ||z - z*||^2 <= 2 (f - f*) / rho.
        assert!(distance <= (2.0 * (f - f_best).max(0.0) / rho).sqrt() + 1e-3);
        assert!(distance < 0.15, "distance {distance}");
    }

    #[test]
    fn non_finite_target_names_the_block() {
        let mut p = problem(3, 3, 10);
        p.c[4] = f32::NAN;
        let mut z = p.z.clone();
        let mut buffers = FistaBuffers::new(z.len());
        let fista = settings(4.0, 1e-3, 10);
        let err = solve_z_output(&fista, &mut z, &p.c, &p.labels, 1.0, &mut buffers, "z_3").unwrap_err();
        assert!(matches!(err, OptimError::NonFinite { what } if what == "z_3"));
    }
}
