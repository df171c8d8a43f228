//! The output pre-activation update and the Bregman (multiplier) update.
//!
//! The update minimises `ℓ(z; y) + ⟨z, λ⟩ + β ‖z - m_L‖²` over `z = z_L`, with
//! `m_L = W_L a_{L-1} + b_L`:
//!
//! - **hinge** (Taylor et al.'s binary hinge, per class on the one-hot targets): element-wise
//!   closed form, see [`hinge_z`];
//! - **softmax cross-entropy**: no closed form; FISTA (Beck and Teboulle, 2009) with the
//!   smooth part `ℓ` (gradient `softmax(z) - y`, Lipschitz constant 1/2 per sample) and the
//!   quadratic `⟨z, λ⟩ + β ‖z - m‖²` handled exactly by its proximal map, warm-started from the
//!   current `z_L` as in dlADMM's `z_L` solver. It returns the last proximal point `x_k`
//!   (dlADMM's reference code returns the extrapolated point instead).
//!
//! After the update, one pass computes the output residual `z_L - m_L`, applies
//! `λ ← λ + β (z_L - m_L)` outside the warm start, and sums the loss and `⟨z_L, λ⟩`.

use ndarray::{ArrayView1, ArrayView2, ArrayViewMut2, Axis, Zip};
use optim_core::loss::cross_entropy_sum;
use rayon::prelude::*;

use crate::config::OutputLoss;
use admm_kernels::{
    BLOCK_COLUMNS, Fista, FistaBlock, FistaBuffers, FistaOutcome, ReturnPoint, StopRule, block_of,
    non_finite_indicator, ordered_sums,
};

/// Taylor et al.'s binary hinge loss of one output: `max(1 - z, 0)` if the target is 1,
/// `max(z, 0)` if it is 0.
pub fn hinge_loss(z: f32, target: bool) -> f32 {
    if target { (1.0 - z).max(0.0) } else { z.max(0.0) }
}

/// The minimiser over `z` of `hinge_loss(z, target) + λ z + β (z - m)²`.
///
/// On each linear piece of the hinge the objective is a parabola; its minimiser restricted to
/// the piece is (target 1) `max(m - λ/(2β), 1)` on `z ≥ 1` and `min(m + (1 - λ)/(2β), 1)` on
/// `z ≤ 1`; (target 0) `min(m - λ/(2β), 0)` on `z ≤ 0` and `max(m - (1 + λ)/(2β), 0)` on
/// `z ≥ 0`. The better of the two is kept.
pub fn hinge_z(m: f32, lambda: f32, target: bool, beta: f32) -> f32 {
    let objective = |z: f32| {
        let d = z - m;
        hinge_loss(z, target) + lambda * z + beta * d * d
    };
    let two_beta = 2.0 * beta;
    let (first, second) = if target {
        (
            (m - lambda / two_beta).max(1.0),
            (m + (1.0 - lambda) / two_beta).min(1.0),
        )
    } else {
        (
            (m - lambda / two_beta).min(0.0),
            (m - (1.0 + lambda) / two_beta).max(0.0),
        )
    };
    if objective(second) < objective(first) {
        second
    } else {
        first
    }
}

/// Overwrites `z` with [`hinge_z`] element-wise, targets from `labels` (one-hot).
pub(crate) fn update_hinge_z(
    z: &mut ArrayViewMut2<'_, f32>,
    product: &ArrayView2<'_, f32>,
    bias: &ArrayView1<'_, f32>,
    lambda: &ArrayView2<'_, f32>,
    labels: &[u32],
    beta: f32,
) {
    Zip::from(z.columns_mut())
        .and(product.columns())
        .and(lambda.columns())
        .and(labels)
        .par_for_each(|z, product, lambda, &label| {
            for (c, (((z, &p), &lam), &b)) in z.into_iter().zip(&product).zip(&lambda).zip(bias).enumerate() {
                *z = hinge_z(p + b, lam, c == label as usize, beta);
            }
        });
}

/// Step size, stopping tolerance and cap of the FISTA solve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FistaSettings {
    /// Step size `η` (at most 2 for a convergence guarantee).
    pub(crate) step: f32,
    /// Stop when `‖x_k - v_k‖_F / sqrt(entries) ≤ tol`.
    pub(crate) tol: f32,
    /// Iteration cap.
    pub(crate) max_iterations: usize,
}

impl FistaSettings {
    /// The shared driver's rules: stop on the root-mean-square step, return the last
    /// proximal point `x_k`.
    fn rules(&self) -> Fista {
        Fista {
            stop: StopRule::StepRms(f64::from(self.tol)),
            returns: ReturnPoint::Proximal,
            max_iterations: self.max_iterations,
        }
    }
}

/// One block of a FISTA pass: the proximal gradient point `x` from `v` for
/// `CE(z; y) + ⟨z, λ⟩ + β ‖z - m‖²`, `m = product + bias`, and the extrapolated point;
/// returns the block's `‖x - v‖²`.
fn fista_block(block: FistaBlock<'_>, product: &[f32], bias: &[f32], lambda: &[f32], beta: f32, eta: f32) -> f64 {
    let rows = bias.len();
    let shrink = 1.0 / (1.0 + 2.0 * beta * eta);
    let pull = 2.0 * beta * eta;
    let momentum = block.momentum;
    let product = block_of(product, rows, block.index);
    let lambda = block_of(lambda, rows, block.index);
    let mut step_squared = 0.0f64;
    for (((((v, x_prev), (x_next, v_next)), product), lambda), &label) in block
        .v
        .chunks_exact(rows)
        .zip(block.x.chunks_exact(rows))
        .zip(
            block
                .x_next
                .chunks_exact_mut(rows)
                .zip(block.v_next.chunks_exact_mut(rows)),
        )
        .zip(product.chunks_exact(rows))
        .zip(lambda.chunks_exact(rows))
        .zip(block.labels)
    {
        let max = v.iter().fold(f32::NEG_INFINITY, |acc, &x| acc.max(x));
        let log_norm = max + v.iter().fold(0.0f32, |acc, &x| acc + (x - max).exp()).ln();
        for c in 0..rows {
            let vc = v[c];
            let target = if c == label as usize { 1.0 } else { 0.0 };
            let gradient = (vc - log_norm).exp() - target;
            let m = product[c] + bias[c];
            let x = (vc - eta * (gradient + lambda[c]) + pull * m) * shrink;
            let d = f64::from(x - vc);
            step_squared += d * d;
            v_next[c] = x + momentum * (x - x_prev[c]);
            x_next[c] = x;
        }
    }
    step_squared
}

/// Minimises `Σ_j CE(z_j; y_j) + ⟨z, λ⟩ + β ‖z - m‖²` with `m = product + bias` (all
/// column-major, one column per sample), starting from and overwriting `z`; `m` is given
/// as its two terms `(product, bias)`.
pub(crate) fn fista_cross_entropy(
    z: &mut [f32],
    buffers: &mut FistaBuffers,
    (product, bias): (&[f32], &[f32]),
    lambda: &[f32],
    labels: &[u32],
    beta: f32,
    settings: &FistaSettings,
) -> FistaOutcome {
    // A diverged solve stops the driver; the caller's finiteness checks name the block.
    settings.rules().solve(z, labels, buffers, |block| {
        fista_block(block, product, bias, lambda, beta, settings.step)
    })
}

/// Sums over the output layer after its update.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct OutputSums {
    /// `ℓ(z_L; y)` summed over samples (and classes for the hinge).
    pub(crate) loss: f64,
    /// `‖z_L - m_L‖²`.
    pub(crate) residual: f64,
    /// `⟨z_L, λ⟩` with the updated `λ`.
    pub(crate) multiplier: f64,
    /// Some entry of `z_L` or `m_L` was not finite.
    pub(crate) non_finite_z: bool,
    /// Some entry of `λ` was not finite.
    pub(crate) non_finite_lambda: bool,
}

/// Computes the residual `z_L - m_L` (`m_L = product + bias`), applies the Bregman update
/// `λ ← λ + β (z_L - m_L)` if `update_multiplier`, and sums the output terms; `m_L` is
/// given as its two terms `(product, bias)`.
pub(crate) fn finish_output(
    z: &ArrayView2<'_, f32>,
    (product, bias): (&ArrayView2<'_, f32>, &ArrayView1<'_, f32>),
    lambda: &mut ArrayViewMut2<'_, f32>,
    labels: &[u32],
    loss: OutputLoss,
    beta: f32,
    update_multiplier: bool,
) -> OutputSums {
    let labels = ArrayView1::from(labels);
    let parts: Vec<[f64; 5]> = lambda
        .axis_chunks_iter_mut(Axis(1), BLOCK_COLUMNS)
        .into_par_iter()
        .zip(z.axis_chunks_iter(Axis(1), BLOCK_COLUMNS))
        .zip(product.axis_chunks_iter(Axis(1), BLOCK_COLUMNS))
        .zip(labels.axis_chunks_iter(Axis(0), BLOCK_COLUMNS))
        .map(|(((mut lambda, z), product), labels)| {
            let (mut residual, mut multiplier, mut bad_z, mut bad_lambda) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
            let mut hinge = 0.0f64;
            for (((mut lambda, z), product), &label) in lambda
                .columns_mut()
                .into_iter()
                .zip(z.columns())
                .zip(product.columns())
                .zip(&labels)
            {
                for (c, (((lam, &z), &p), &b)) in lambda.iter_mut().zip(&z).zip(&product).zip(bias).enumerate() {
                    let r = z - (p + b);
                    if update_multiplier {
                        *lam += beta * r;
                    }
                    residual += f64::from(r) * f64::from(r);
                    multiplier += f64::from(z) * f64::from(*lam);
                    if loss == OutputLoss::Hinge {
                        hinge += f64::from(hinge_loss(z, c == label as usize));
                    }
                    bad_z = bad_z.max(non_finite_indicator(r));
                    bad_lambda = bad_lambda.max(non_finite_indicator(*lam));
                }
            }
            let loss_sum = match loss {
                OutputLoss::Hinge => hinge,
                OutputLoss::CrossEntropy => cross_entropy_sum(&z, labels.as_slice().expect("contiguous labels")),
            };
            [loss_sum, residual, multiplier, bad_z, bad_lambda]
        })
        .collect();
    let [loss, residual, multiplier, bad_z, bad_lambda] = ordered_sums(&parts);
    OutputSums {
        loss,
        residual,
        multiplier,
        non_finite_z: bad_z > 0.0 || !loss.is_finite(),
        non_finite_lambda: bad_lambda > 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::random;
    use admm_kernels::{storage, storage_mut};
    use ndarray::{Array1, Array2};
    use optim_core::linalg::zeros;

    #[test]
    fn hinge_closed_form_matches_grid_search() {
        let grid: Vec<f32> = (-6000..=6000).map(|k| k as f32 * 1e-3).collect();
        for target in [false, true] {
            for beta in [0.5f32, 1.0, 4.0] {
                for m in [-2.0f32, -0.4, 0.0, 0.3, 0.8, 1.0, 1.6] {
                    for lambda in [-1.5f32, -0.2, 0.0, 0.7, 2.0] {
                        let objective = |z: f32| {
                            let d = f64::from(z - m);
                            f64::from(hinge_loss(z, target))
                                + f64::from(lambda) * f64::from(z)
                                + f64::from(beta) * d * d
                        };
                        let best_grid = grid.iter().map(|&z| objective(z)).fold(f64::INFINITY, f64::min);
                        let z = hinge_z(m, lambda, target, beta);
                        assert!(
                            objective(z) <= best_grid + 1e-6,
                            "y {target} beta {beta} m {m} lambda {lambda}: z {z} gives {} > {best_grid}",
                            objective(z)
                        );
                    }
                }
            }
        }
    }

    struct Problem {
        product: Array2<f32>,
        bias: Array1<f32>,
        lambda: Array2<f32>,
        labels: Vec<u32>,
        beta: f32,
    }

    impl Problem {
        fn new(classes: usize, samples: usize, beta: f32) -> Self {
            Self {
                product: random(classes, samples, 21).mapv(|v| 3.0 * v),
                bias: random(classes, 1, 22).column(0).to_owned(),
                lambda: random(classes, samples, 23).mapv(|v| 0.3 * v),
                labels: (0..samples).map(|j| (j * 7 % classes) as u32).collect(),
                beta,
            }
        }

        fn solve(&self, start: &Array2<f32>, settings: &FistaSettings) -> (Array2<f32>, FistaOutcome) {
            let mut z = start.clone();
            let mut buffers = FistaBuffers::new(z.len());
            let outcome = fista_cross_entropy(
                storage_mut(&mut z),
                &mut buffers,
                (storage(&self.product), self.bias.as_slice().unwrap()),
                storage(&self.lambda),
                &self.labels,
                self.beta,
                settings,
            );
            (z, outcome)
        }

        /// Largest entry of the objective's gradient, in f64.
        fn gradient_max(&self, z: &Array2<f32>) -> f64 {
            let mut worst = 0.0f64;
            for (j, col) in z.columns().into_iter().enumerate() {
                let max = col.iter().fold(f64::NEG_INFINITY, |a, &x| a.max(f64::from(x)));
                let norm: f64 = col.iter().map(|&x| (f64::from(x) - max).exp()).sum();
                for c in 0..col.len() {
                    let p = (f64::from(col[c]) - max).exp() / norm;
                    let y = if c == self.labels[j] as usize { 1.0 } else { 0.0 };
                    let m = f64::from(self.product[[c, j]]) + f64::from(self.bias[c]);
                    let g =
                        p - y + f64::from(self.lambda[[c, j]]) + 2.0 * f64::from(self.beta) * (f64::from(col[c]) - m);
                    worst = worst.max(g.abs());
                }
            }
            worst
        }
    }

    #[test]
    fn fista_matches_a_long_tight_solve() {
        for beta in [1.0f32, 0.05] {
            let p = Problem::new(5, 700, beta);
            let start = zeros(p.product.nrows(), p.product.ncols());
            let tight = FistaSettings {
                step: 2.0,
                tol: 0.0,
                max_iterations: 5000,
            };
            let (reference, outcome) = p.solve(&start, &tight);
            assert!(outcome.cap_hit, "tol 0 runs to the cap");
            assert!(p.gradient_max(&reference) < 1e-5, "reference not optimal");
            let default = FistaSettings {
                step: 2.0,
                tol: 1e-4,
                max_iterations: 500,
            };
            let (z, outcome) = p.solve(&start, &default);
            assert!(!outcome.cap_hit && outcome.iterations > 1, "{outcome:?}");
            let worst = z
                .iter()
                .zip(&reference)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            let bound = 1e-4 * (1.0 + 1.0 / (2.0 * beta)) * 10.0;
            assert!(worst < bound, "beta {beta}: {worst} from the reference (bound {bound})");
            // Warm-started at the solution, one step suffices.
            let (_, again) = p.solve(&reference, &default);
            assert_eq!(again.iterations, 1);
        }
    }

    #[test]
    fn cap_is_reported() {
        let p = Problem::new(3, 50, 0.01);
        let start = zeros(p.product.nrows(), p.product.ncols());
        let settings = FistaSettings {
            step: 2.0,
            tol: 1e-7,
            max_iterations: 3,
        };
        let (_, outcome) = p.solve(&start, &settings);
        assert_eq!((outcome.iterations, outcome.cap_hit), (3, true));
    }

    /// With `m` held fixed, each multiplier update halves the pull `∇ℓ(z) + λ` on the output,
    /// so the residual `z - m` halves every iteration (while `∇ℓ` changes little, i.e. unless
    /// `β` is small) and `z` stops within `1/β` of where it started: the reason the start of
    /// `z_L` matters (crate documentation).
    #[test]
    fn the_multiplier_halves_the_output_residual_until_the_output_stops() {
        for beta in [1.0f32, 4.0] {
            let mut p = Problem::new(4, 300, beta);
            p.lambda.fill(0.0);
            let mut m = p.product.clone();
            m.columns_mut().into_iter().for_each(|mut c| c += &p.bias);
            let mut z = m.clone();
            let mut buffers = FistaBuffers::new(z.len());
            let settings = FistaSettings {
                step: 2.0,
                tol: 1e-7,
                max_iterations: 5000,
            };
            let mut residuals = Vec::new();
            for _ in 0..12 {
                fista_cross_entropy(
                    storage_mut(&mut z),
                    &mut buffers,
                    (storage(&p.product), p.bias.as_slice().unwrap()),
                    storage(&p.lambda),
                    &p.labels,
                    p.beta,
                    &settings,
                );
                let sums = finish_output(
                    &z.view(),
                    (&p.product.view(), &p.bias.view()),
                    &mut p.lambda.view_mut(),
                    &p.labels,
                    OutputLoss::CrossEntropy,
                    p.beta,
                    true,
                );
                residuals.push(sums.residual.sqrt());
            }
            for w in residuals.windows(2).take(8) {
                let ratio = w[1] / w[0];
                assert!(
                    (0.45..0.55).contains(&ratio),
                    "beta {beta}: ratio {ratio} in {residuals:?}"
                );
            }
            let travelled = z.iter().zip(&m).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(travelled < 1.0 / beta, "beta {beta}: z moved {travelled}");
        }
    }

    #[test]
    fn output_pass_updates_the_multiplier_and_sums() {
        let p = Problem::new(4, 300, 2.0);
        let z = random(4, 300, 31);
        for (loss, update) in [(OutputLoss::CrossEntropy, true), (OutputLoss::Hinge, false)] {
            let mut lambda = p.lambda.clone();
            let sums = finish_output(
                &z.view(),
                (&p.product.view(), &p.bias.view()),
                &mut lambda.view_mut(),
                &p.labels,
                loss,
                p.beta,
                update,
            );
            let (mut residual, mut multiplier, mut hinge) = (0.0f64, 0.0f64, 0.0f64);
            for ((c, j), &zc) in z.indexed_iter() {
                let r = zc - (p.product[[c, j]] + p.bias[c]);
                let expected = p.lambda[[c, j]] + if update { p.beta * r } else { 0.0 };
                assert_eq!(lambda[[c, j]], expected);
                residual += f64::from(r).powi(2);
                multiplier += f64::from(zc) * f64::from(expected);
                hinge += f64::from(hinge_loss(zc, c == p.labels[j] as usize));
            }
            let expected_loss = match loss {
                OutputLoss::Hinge => hinge,
                OutputLoss::CrossEntropy => cross_entropy_sum(&z.view(), &p.labels),
            };
            assert!((sums.residual - residual).abs() < 1e-9 * residual);
            assert!((sums.multiplier - multiplier).abs() < 1e-9 * multiplier.abs().max(1.0));
            assert!((sums.loss - expected_loss).abs() < 1e-6 * expected_loss);
        }
    }
}
