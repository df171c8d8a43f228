//! The output `z_L` subproblem solved to tolerance by Newton's method, sample by sample
//! (docs/dladmm.md#newton-solver-of-the-output-z-update).
//!
//! `f(z) = R(z; y) + rho/2 ||z - c||^2` separates into one strictly convex problem per
//! sample, `f_j(z) = logsumexp(z) - z_y + rho/2 ||z - c_j||^2` over the `n` entries of the
//! sample's column. Its Hessian `diag(s) - s s^T + rho I` (`s = softmax(z)`) is diagonal plus
//! rank one, so the Newton direction comes from the Sherman-Morrison formula in `O(n)`
//! operations, without forming or factorising an `n x n` matrix. Each sample runs damped
//! Newton (Armijo backtracking on the step length) in f64 from the current `z` and stops
//! when half its squared Newton decrement, the usual estimate of `f_j(z) - min f_j`, is at
//! most `tol`. Samples are independent, so the solve is parallel over blocks of columns and
//! its result depends neither on the number of threads nor on their scheduling.

use admm_kernels::{blocks, blocks_mut, label_blocks};
use optim_core::{OptimError, Result};
use rayon::prelude::*;

/// Settings of the Newton solver of the `z_L` subproblem.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NewtonSettings {
    /// A sample stops once half its squared Newton decrement is at most this.
    pub tol: f64,
    /// Most Newton steps per sample.
    pub max_iterations: u32,
}

/// What one Newton solve of the whole `z_L` block did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NewtonOutcome {
    /// Most Newton steps any sample took: the length of the solve.
    pub iterations: u32,
    /// Samples that ended on the step cap rather than on the stop rule.
    pub cap_hits: u64,
}

/// Sufficient decrease of the Armijo test: a step of length `t` must lower `f_j` by at
/// least `ARMIJO * t * lambda^2` (`lambda^2` being the decrease the quadratic model predicts
/// for the full step, times two).
const ARMIJO: f64 = 0.25;

/// Halvings of the step length before a sample gives up: by then the step is below the
/// rounding of `z`, and the sample has reached the accuracy f64 allows.
const MAX_HALVINGS: u32 = 60;

/// How one sample's solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SampleOutcome {
    /// Newton steps taken.
    pub iterations: u32,
    /// Ended on the step cap.
    pub cap_hit: bool,
    /// The objective was finite at the start and throughout.
    pub finite: bool,
}

/// `f_j(z)`, with `s <- softmax(z)` (the maximum subtracted before the exponentials).
fn objective(z: &[f64], c: &[f64], label: usize, rho: f64, s: &mut [f64]) -> f64 {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for (s, &z) in s.iter_mut().zip(z) {
        *s = (z - max).exp();
        sum += *s;
    }
    let mut quadratic = 0.0;
    for ((s, &z), &c) in s.iter_mut().zip(z).zip(c) {
        *s /= sum;
        quadratic += (z - c) * (z - c);
    }
    max + sum.ln() - z[label] + 0.5 * rho * quadratic
}

/// Scratch of one sample's solve, reused across the samples of a block.
struct Scratch {
    s: Vec<f64>,
    trial: Vec<f64>,
    trial_s: Vec<f64>,
    direction: Vec<f64>,
}

impl Scratch {
    fn new(n: usize) -> Self {
        Self {
            s: vec![0.0; n],
            trial: vec![0.0; n],
            trial_s: vec![0.0; n],
            direction: vec![0.0; n],
        }
    }
}

/// The Newton direction `d = -H^{-1} g` for `H = D - s s^T`, `D = diag(s + rho)`, by
/// Sherman-Morrison: `H^{-1} g = D^{-1} g + D^{-1} s (s^T D^{-1} g) / (1 - s^T D^{-1} s)`.
/// With `sum(s) = 1` the denominator is `rho sum_i s_i / (s_i + rho)`, a sum of positive
/// terms: written so it keeps its relative accuracy when `rho` is tiny, where `1 - s^T D^{-1}
/// s` would cancel. Returns `lambda^2 = g^T H^{-1} g`, the squared Newton decrement.
fn newton_direction(z: &[f64], c: &[f64], label: usize, rho: f64, s: &[f64], d: &mut [f64]) -> f64 {
    let mut s_dinv_g = 0.0;
    let mut s_dinv_s = 0.0;
    for (i, ((d, &s), (&z, &c))) in d.iter_mut().zip(s).zip(z.iter().zip(c)).enumerate() {
        let onehot = if i == label { 1.0 } else { 0.0 };
        let g = s - onehot + rho * (z - c);
        let dinv = 1.0 / (s + rho);
        // Holds `g` until the correction below is known.
        *d = g;
        s_dinv_g += s * dinv * g;
        s_dinv_s += s * dinv;
    }
    let correction = s_dinv_g / (rho * s_dinv_s);
    let mut lambda2 = 0.0;
    for (d, &s) in d.iter_mut().zip(s) {
        let g = *d;
        let step = (g + s * correction) / (s + rho);
        lambda2 += g * step;
        *d = -step;
    }
    lambda2
}

/// Minimises one sample's `f_j` in place from `z` (the warm start).
fn solve_sample(
    z: &mut [f64],
    c: &[f64],
    label: usize,
    rho: f64,
    settings: &NewtonSettings,
    scratch: &mut Scratch,
) -> SampleOutcome {
    let Scratch {
        s,
        trial,
        trial_s,
        direction,
    } = scratch;
    let mut f = objective(z, c, label, rho, s);
    let mut iterations = 0;
    loop {
        if !f.is_finite() {
            return SampleOutcome {
                iterations,
                cap_hit: false,
                finite: false,
            };
        }
        let lambda2 = newton_direction(z, c, label, rho, s, direction);
        let done = |cap_hit| SampleOutcome {
            iterations,
            cap_hit,
            finite: true,
        };
        if lambda2 <= 2.0 * settings.tol || lambda2.is_nan() {
            return done(false);
        }
        if iterations == settings.max_iterations {
            return done(true);
        }
        // `f` is known to a few ulps of its terms; comparisons closer than that are noise.
        let magnitude = 1.0 + f.abs() + z.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let slack = 16.0 * f64::EPSILON * magnitude;
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..=MAX_HALVINGS {
            for ((trial, &z), &d) in trial.iter_mut().zip(z.iter()).zip(direction.iter()) {
                *trial = z + t * d;
            }
            let f_trial = objective(trial, c, label, rho, trial_s);
            if f_trial <= f - ARMIJO * t * lambda2 + slack {
                z.copy_from_slice(trial);
                s.copy_from_slice(trial_s);
                f = f_trial;
                accepted = true;
                break;
            }
            t *= 0.5;
        }
        if !accepted {
            // No step along the Newton direction lowers `f` beyond rounding: as accurate as
            // f64 gets.
            return done(false);
        }
        iterations += 1;
    }
}

/// Solves in place: `z` is the warm start on entry and the result on exit. `c` and `z` are
/// `rows x labels.len()` column-major. Fails with `NonFinite { what: name }` when a sample's
/// objective is not finite.
pub(crate) fn solve_z_output_newton(
    settings: &NewtonSettings,
    z: &mut [f32],
    c: &[f32],
    labels: &[u32],
    rho: f64,
    name: &str,
) -> Result<NewtonOutcome> {
    let rows = z.len() / labels.len().max(1);
    let (outcome, finite) = (blocks_mut(z, rows), blocks(c, rows), label_blocks(labels))
        .into_par_iter()
        .map(|(z, c, labels)| {
            let mut scratch = Scratch::new(rows);
            let mut z64 = vec![0.0; rows];
            let mut c64 = vec![0.0; rows];
            let mut outcome = NewtonOutcome::default();
            let mut finite = true;
            for ((z, c), &label) in z.chunks_exact_mut(rows).zip(c.chunks_exact(rows)).zip(labels) {
                for (z64, &z) in z64.iter_mut().zip(z.iter()) {
                    *z64 = f64::from(z);
                }
                for (c64, &c) in c64.iter_mut().zip(c) {
                    *c64 = f64::from(c);
                }
                let sample = solve_sample(&mut z64, &c64, label as usize, rho, settings, &mut scratch);
                for (z, &z64) in z.iter_mut().zip(&z64) {
                    *z = z64 as f32;
                }
                outcome.iterations = outcome.iterations.max(sample.iterations);
                outcome.cap_hits += u64::from(sample.cap_hit);
                finite &= sample.finite;
            }
            (outcome, finite)
        })
        .reduce(
            || (NewtonOutcome::default(), true),
            |(a, fa), (b, fb)| {
                (
                    NewtonOutcome {
                        iterations: a.iterations.max(b.iterations),
                        cap_hits: a.cap_hits + b.cap_hits,
                    },
                    fa && fb,
                )
            },
        );
    if !finite {
        return Err(OptimError::NonFinite { what: name.into() });
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{random_matrix, rng};
    use crate::z_output::{FistaSettings, reference_rules, solve_z_output};
    use admm_kernels::FistaBuffers;
    use rand::Rng as _;

    struct Problem {
        z: Vec<f32>,
        c: Vec<f32>,
        labels: Vec<u32>,
    }

    fn problem(seed: u64, rows: usize, cols: usize, scale: f32) -> Problem {
        let mut r = rng(seed);
        let z = random_matrix(&mut r, rows, cols, scale);
        let c = random_matrix(&mut r, rows, cols, 2.0 * scale);
        let labels = (0..cols).map(|_| r.random_range(0..rows as u32)).collect();
        Problem {
            z: z.t().iter().copied().collect(),
            c: c.t().iter().copied().collect(),
            labels,
        }
    }

    /// `softmax(z) - onehot(y) + rho (z - c)` of one column, in f64.
    fn gradient(z: &[f64], c: &[f64], label: usize, rho: f64) -> Vec<f64> {
        let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = z.iter().map(|v| (v - max).exp()).sum();
        (0..z.len())
            .map(|i| (z[i] - max).exp() / sum - if i == label { 1.0 } else { 0.0 } + rho * (z[i] - c[i]))
            .collect()
    }

    fn max_abs(v: &[f64]) -> f64 {
        v.iter().fold(0.0, |m, g| m.max(g.abs()))
    }

    const SETTINGS: NewtonSettings = NewtonSettings {
        tol: 1e-12,
        max_iterations: 100,
    };

    /// The Sherman-Morrison direction solves the dense Newton system
    /// `(diag(s) - s s^T + rho I) d = -g`, and `lambda^2 = -g^T d`.
    #[test]
    fn direction_solves_the_dense_newton_system() {
        let rows = 10;
        let p = problem(5, rows, 20, 3.0);
        for rho in [1e-6, 1e-2, 1.0, 1e2] {
            for j in 0..p.labels.len() {
                let col = j * rows..(j + 1) * rows;
                let z: Vec<f64> = p.z[col.clone()].iter().map(|&v| f64::from(v)).collect();
                let c: Vec<f64> = p.c[col].iter().map(|&v| f64::from(v)).collect();
                let label = p.labels[j] as usize;
                let mut s = vec![0.0; rows];
                objective(&z, &c, label, rho, &mut s);
                let mut d = vec![0.0; rows];
                let lambda2 = newton_direction(&z, &c, label, rho, &s, &mut d);
                let g = gradient(&z, &c, label, rho);
                for i in 0..rows {
                    let hd: f64 = (0..rows)
                        .map(|k| (if i == k { s[i] + rho } else { 0.0 } - s[i] * s[k]) * d[k])
                        .sum();
                    assert!(
                        (hd + g[i]).abs() <= 1e-12 * (1.0 + g[i].abs()),
                        "rho {rho}: {hd} vs {}",
                        -g[i]
                    );
                }
                let gd: f64 = g.iter().zip(&d).map(|(g, d)| g * d).sum();
                assert!((lambda2 + gd).abs() <= 1e-10 * lambda2.abs().max(1e-12));
            }
        }
    }

    /// Each sample's result satisfies `softmax(z) - onehot + rho (z - c) = 0` to the
    /// tolerance's accuracy, over five decades of `rho` either side of 1, before rounding to
    /// f32. Half the squared decrement below 1e-12 bounds the gradient by
    /// `sqrt(2e-12 lambda_max(H))`, `lambda_max(H) <= 1 + rho`.
    #[test]
    fn samples_satisfy_the_optimality_condition() {
        let rows = 10;
        for (k, rho) in [1e-6, 1e-4, 1e-2, 1.0, 1e2].into_iter().enumerate() {
            for scale in [0.1, 1.0, 5.0] {
                let p = problem(10 + k as u64, rows, 200, scale);
                let mut scratch = Scratch::new(rows);
                for j in 0..p.labels.len() {
                    let col = j * rows..(j + 1) * rows;
                    let mut z: Vec<f64> = p.z[col.clone()].iter().map(|&v| f64::from(v)).collect();
                    let c: Vec<f64> = p.c[col].iter().map(|&v| f64::from(v)).collect();
                    let label = p.labels[j] as usize;
                    let out = solve_sample(&mut z, &c, label, rho, &SETTINGS, &mut scratch);
                    assert!(out.finite && !out.cap_hit, "rho {rho}: {out:?}");
                    let g = max_abs(&gradient(&z, &c, label, rho));
                    let bound = (2e-12 * (1.0 + rho)).sqrt() + 1e-12;
                    assert!(g <= bound, "rho {rho}, scale {scale}, sample {j}: |g| = {g:e}");
                }
            }
        }
    }

    /// The whole-block solve in f32 satisfies the condition up to the rounding of `z` to
    /// f32, and takes no step from its own result.
    #[test]
    fn block_solve_is_optimal_to_f32_rounding_and_a_fixed_point() {
        let rows = 10;
        for rho in [1e-6, 1e-3, 1.0, 1e2] {
            let p = problem(20, rows, 700, 1.0);
            let mut z = p.z.clone();
            let out = solve_z_output_newton(&SETTINGS, &mut z, &p.c, &p.labels, rho, "z_3").unwrap();
            assert_eq!(out.cap_hits, 0);
            // Newton's local quadratic convergence: a handful of steps, plus about one per
            // unit `z_y` must travel into the softmax's exponential tail at tiny `rho`.
            let most = if rho < 1e-3 { 25 } else { 10 };
            assert!((2..=most).contains(&out.iterations), "rho {rho}: {out:?}");
            for (j, &label) in p.labels.iter().enumerate() {
                let col = j * rows..(j + 1) * rows;
                let z: Vec<f64> = z[col.clone()].iter().map(|&v| f64::from(v)).collect();
                let c: Vec<f64> = p.c[col].iter().map(|&v| f64::from(v)).collect();
                let g = max_abs(&gradient(&z, &c, label as usize, rho));
                // Rounding moves `z` by up to 6e-8 |z| per entry, the gradient by about
                // (1 + rho) times that.
                let bound = 2e-6 + (1.0 + rho) * 1.2e-7 * max_abs(&z);
                assert!(g <= bound, "rho {rho}, sample {j}: |g| = {g:e} > {bound:e}");
            }
            let again = solve_z_output_newton(
                &NewtonSettings {
                    tol: 1e-6,
                    max_iterations: 100,
                },
                &mut z.clone(),
                &p.c,
                &p.labels,
                rho,
                "z_3",
            )
            .unwrap();
            assert_eq!(again.iterations, 0, "rho {rho}");
        }
    }

    /// Newton lands where FISTA lands when FISTA runs far past convergence with a step
    /// inside the curvature bound.
    #[test]
    fn matches_tightly_converged_fista() {
        let p = problem(30, 10, 300, 1.0);
        for rho in [0.1, 1.0] {
            let mut newton = p.z.clone();
            solve_z_output_newton(&SETTINGS, &mut newton, &p.c, &p.labels, rho, "z_3").unwrap();
            let mut fista = p.z.clone();
            let mut buffers = FistaBuffers::new(fista.len());
            // Tolerance 0: every one of the 3,000 passes runs, far past FISTA's linear
            // convergence at this conditioning, down to f32 noise.
            let settings = FistaSettings {
                step: 1.0 / (0.5 + rho),
                rules: reference_rules(0.0, 3000),
            };
            let out = solve_z_output(&settings, &mut fista, &p.c, &p.labels, rho, &mut buffers, "z_3").unwrap();
            assert_eq!(out.iterations, 3000);
            let worst = newton
                .iter()
                .zip(&fista)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-4, "rho {rho}: differs by {worst}");
        }
    }

    /// The cap is counted per sample and stops every sample at the cap.
    #[test]
    fn cap_hits_count_samples() {
        let p = problem(40, 10, 300, 3.0);
        let mut z = p.z.clone();
        let capped = NewtonSettings {
            tol: 0.0,
            max_iterations: 1,
        };
        let out = solve_z_output_newton(&capped, &mut z, &p.c, &p.labels, 1e-6, "z_3").unwrap();
        assert_eq!(out.iterations, 1);
        assert_eq!(out.cap_hits, 300);
    }

    #[test]
    fn non_finite_target_names_the_block() {
        let mut p = problem(3, 3, 10, 1.0);
        p.c[4] = f32::NAN;
        let err = solve_z_output_newton(&SETTINGS, &mut p.z, &p.c, &p.labels, 1.0, "z_3").unwrap_err();
        assert!(matches!(err, OptimError::NonFinite { what } if what == "z_3"));
    }
}
