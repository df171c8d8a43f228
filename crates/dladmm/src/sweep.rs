//! One dlADMM iteration: the backward sweep, the forward sweep and the dual update, in the
//! order of the paper's Algorithm 1 and the reference code (docs/dladmm.md#update-order), for any depth.
//!
//! Backward: `z_L, b_L, W_L`, then for `l = L-1 .. 1`: `a_l, z_l, b_l, W_l`.
//! Forward: for `l = 1 .. L-1`: `W_l, b_l, z_l, a_l`; then `W_L, b_L, z_L`; then `u`.
//!
//! Every subproblem reads the latest values of the other blocks (Gauss-Seidel). The two
//! `W_1` steps (the last of the backward sweep, the first of the forward sweep) are
//! consecutive with nothing in between and are taken together by
//! [`crate::w_step::input_layer_pair`] at the end of [`backward_sweep`].
//!
//! The residual scratch buffer hands `e_l = W_l a_{l-1} + b_l - z_l (- u / rho)` from a
//! `W_l` step to the `a_{l-1}` step after it (backward), and from an `a_{l-1}` step to the
//! `W_l` step after it (forward), so no residual is formed twice.

use ndarray::{Array2, ArrayView2};
use optim_core::{Mlp, OptimError, Result};

use crate::a_step::{ActivationBlock, NextLayer, a_step};
use crate::b_step::{set_mean, update_b};
use crate::backtracking::{Backtracking, Outcome, StepRule};
use crate::objective::{Closing, dual_update};
use crate::state::State;
use crate::w_step::{Carry, WeightBlock, input_layer_pair, w_step};
use crate::workspace::Workspace;
use crate::z_newton::{NewtonSettings, solve_z_output_newton};
use crate::z_output::{FistaSettings, output_target, solve_z_output};
use admm_kernels::{ReluProxSums, SumOrder, relu_prox_pass, residual_into, storage, storage_mut};

/// The penalties and inner-solver settings of one iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Settings {
    /// Penalty of the last layer's constraint and dual step.
    pub rho: f64,
    /// Penalty of the hidden layers' relaxed constraints.
    pub nu: f64,
    /// Backtracking of the `W_l` steps (starts at `theta`).
    pub w_search: Backtracking,
    /// Backtracking of the `a_l` steps (starts at `tau`).
    pub a_search: Backtracking,
    /// The `z_L` solver.
    pub output: OutputSettings,
}

/// The solver of the `z_L` subproblem and its settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum OutputSettings {
    /// FISTA as the reference code runs it.
    Fista(FistaSettings),
    /// Newton per sample, to tolerance.
    Newton(NewtonSettings),
}

impl Settings {
    /// Penalty of layer `k` (0-based) in a network of `depth` layers.
    fn penalty(&self, k: usize, depth: usize) -> f64 {
        if k + 1 == depth { self.rho } else { self.nu }
    }
}

/// Inner-loop counts of one iteration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    /// Backtracking trials of all `W_l` steps.
    pub w_trials: u64,
    /// Backtracking trials of all `a_l` steps.
    pub a_trials: u64,
    /// Backtracking searches that hit the cap (their block left unchanged).
    pub backtracking_cap_hits: u64,
    /// FISTA iterations of both `z_L` solves.
    pub fista_iterations: u64,
    /// FISTA solves that ended on the iteration cap.
    pub fista_cap_hits: u64,
    /// Newton solver: most Newton steps of any sample, added over both `z_L` solves.
    pub newton_iterations: u64,
    /// Newton solver: samples that ended on the step cap, added over both `z_L` solves.
    pub newton_cap_hits: u64,
}

impl Counters {
    fn w(&mut self, o: Outcome) {
        self.w_trials += u64::from(o.trials);
        self.backtracking_cap_hits += u64::from(o.cap_hit());
    }

    fn a(&mut self, o: Outcome) {
        self.a_trials += u64::from(o.trials);
        self.backtracking_cap_hits += u64::from(o.cap_hit());
    }
}

/// What the forward sweep measured at the final point of the iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Measures {
    /// `sum_{l<L} ||z_l - W_l a_{l-1} - b_l||^2`.
    pub hidden_residual: f64,
    /// `sum_{l<L} ||a_l - relu(z_l)||^2`.
    pub activation_residual: f64,
    /// The dual update's measures (output loss, residual, stationarity gap).
    pub closing: Closing,
}

/// dlADMM weighs both terms of the `z_l` subproblem by `nu / 2`: the ReLU proximal map at
/// unit weights.
const UNIT_WEIGHTS: (f32, f32) = (1.0, 1.0);

fn name(kind: &str, k: usize) -> String {
    format!("{kind}_{}", k + 1)
}

fn bias(model: &Mlp, k: usize) -> &[f32] {
    model.layers[k].bias.as_slice().expect("biases are contiguous")
}

/// The blocks of one iteration and what their updates need, borrowed for one sweep. Each
/// method is one subproblem (or the residual it reads), called in the sweeps' order by
/// [`backward_sweep`] and [`forward_sweep`] and one at a time by [`crate::subproblems`].
pub(crate) struct Blocks<'a> {
    /// Weights and biases.
    pub model: &'a mut Mlp,
    /// Class of each training sample.
    pub labels: &'a [u32],
    /// `z_l`, `a_l`, `u` and the carried products.
    pub state: &'a mut State,
    /// Buffers.
    pub work: &'a mut Workspace,
    /// Penalties and inner-solver settings.
    pub settings: &'a Settings,
    /// Inner-loop counts.
    pub counters: &'a mut Counters,
}

/// The dual term `(u, 1 / rho)` of layer `k`'s residual: the last layer's only.
fn dual_term<'u>(u: &'u Array2<f32>, settings: &Settings, k: usize, last: usize) -> Option<(&'u [f32], f32)> {
    (k == last).then(|| (storage(u), (1.0 / settings.rho) as f32))
}

impl Blocks<'_> {
    fn last(&self) -> usize {
        self.model.depth() - 1
    }

    /// `z_L <- argmin R(z; y) + rho/2 ||z - c||^2`, `c = m_L + b_L - u / rho`, by FISTA or
    /// Newton.
    pub fn output_z(&mut self) -> Result<()> {
        let last = self.last();
        output_target(
            &mut self.work.target,
            storage(&self.state.m[last]),
            bias(self.model, last),
            storage(&self.state.u),
            (1.0 / self.settings.rho) as f32,
        );
        let z = storage_mut(&mut self.state.z[last]);
        match &self.settings.output {
            OutputSettings::Fista(fista) => {
                let out = solve_z_output(
                    fista,
                    z,
                    &self.work.target,
                    self.labels,
                    self.settings.rho,
                    &mut self.work.fista,
                    &name("z", last),
                )?;
                self.counters.fista_iterations += out.iterations as u64;
                self.counters.fista_cap_hits += u64::from(out.cap_hit);
            }
            OutputSettings::Newton(newton) => {
                let out = solve_z_output_newton(
                    newton,
                    z,
                    &self.work.target,
                    self.labels,
                    self.settings.rho,
                    &name("z", last),
                )?;
                self.counters.newton_iterations += u64::from(out.iterations);
                self.counters.newton_cap_hits += out.cap_hits;
            }
        }
        Ok(())
    }

    /// `b_L <- mean(z_L - m_L + u / rho)`.
    pub fn output_bias(&mut self) -> Result<()> {
        let last = self.last();
        update_b(
            &mut self.model.layers[last].bias,
            storage(&self.state.z[last]),
            storage(&self.state.m[last]),
            Some((storage(&self.state.u), (1.0 / self.settings.rho) as f32)),
            &name("b", last),
        )
    }

    /// `b_k <- mean(z_k - m_k)` (hidden layer `k`).
    pub fn hidden_bias(&mut self, k: usize) -> Result<()> {
        update_b(
            &mut self.model.layers[k].bias,
            storage(&self.state.z[k]),
            storage(&self.state.m[k]),
            None,
            &name("b", k),
        )
    }

    /// `b_k <- mean(z_k - m_k)` from the row sums the `z_k` pass already formed.
    fn hidden_bias_from_sums(&mut self, k: usize, row_sums: &[f64]) -> Result<()> {
        let samples = self.labels.len();
        set_mean(&mut self.model.layers[k].bias, row_sums, samples, &name("b", k))
    }

    /// The `z_k` proximal pass (hidden layer `k`); the caller checks what it needs finite.
    pub fn hidden_z(&mut self, k: usize) -> ReluProxSums {
        relu_prox_pass(
            storage_mut(&mut self.state.z[k]),
            storage(&self.state.m[k]),
            bias(self.model, k),
            storage(&self.state.a[k]),
            UNIT_WEIGHTS,
            SumOrder::ByRow,
        )
    }

    /// Leaves `e_k = m_k + b_k - z_k (- u / rho for the last layer)` in the residual buffer.
    pub fn residual(&mut self, k: usize) {
        let rows = self.model.layers[k].weight.nrows();
        let dual = dual_term(&self.state.u, self.settings, k, self.last());
        residual_into(
            self.work.residual.slice_mut(rows),
            storage(&self.state.m[k]),
            bias(self.model, k),
            storage(&self.state.z[k]),
            dual,
        );
    }

    /// The `W_k` step (`k >= 1`) from the residual `e_k` in the residual buffer.
    pub fn weights(&mut self, k: usize, carry: Carry) -> Result<()> {
        let name = name("W", k);
        let rule = StepRule {
            penalty: self.settings.penalty(k, self.model.depth()),
            search: &self.settings.w_search,
            name: &name,
        };
        let block = WeightBlock {
            weight: &mut self.model.layers[k].weight,
            grad: &mut self.work.grads[k],
            m: &mut self.state.m[k],
        };
        let input = self.state.a[k - 1].view();
        let out = w_step(
            block,
            &input,
            &mut self.work.residual,
            &mut self.work.product,
            rule,
            carry,
        )?;
        self.counters.w(out);
        Ok(())
    }

    /// Both `W_1` steps (see the module docs).
    pub fn input_pair(&mut self, x: &ArrayView2<'_, f32>) -> Result<()> {
        let layer = &mut self.model.layers[0];
        let block = WeightBlock {
            weight: &mut layer.weight,
            grad: &mut self.work.grads[0],
            m: &mut self.state.m[0],
        };
        let rule = StepRule {
            penalty: self.settings.nu,
            search: &self.settings.w_search,
            name: "W_1",
        };
        let outs = input_layer_pair(
            block,
            &mut self.work.gram_product,
            x,
            &self.work.gram,
            layer.bias.as_slice().expect("biases are contiguous"),
            storage(&self.state.z[0]),
            rule,
        )?;
        outs.into_iter().for_each(|o| self.counters.w(o));
        Ok(())
    }

    /// The `a_k` step from `e_{k+1}` in the residual buffer. `forward` leaves `e_{k+1}` at
    /// the new `a_k` there for the `W_{k+1}` step that follows and measures
    /// `||a_k - relu(z_k)||^2` (returned; 0 otherwise).
    pub fn activation(&mut self, k: usize, forward: bool) -> Result<f64> {
        let depth = self.model.depth();
        let next = forward.then(|| NextLayer {
            b: bias(self.model, k + 1),
            z: storage(&self.state.z[k + 1]),
            dual: dual_term(&self.state.u, self.settings, k + 1, depth - 1),
        });
        let name = name("a", k);
        let rule = StepRule {
            penalty: self.settings.penalty(k + 1, depth),
            search: &self.settings.a_search,
            name: &name,
        };
        let block = ActivationBlock {
            a: &mut self.state.a[k],
            z: &self.state.z[k],
            w_next: &self.model.layers[k + 1].weight,
            m_next: &mut self.state.m[k + 1],
        };
        let out = a_step(
            block,
            &mut self.work.residual,
            &mut self.work.product,
            rule,
            self.settings.nu,
            next,
        )?;
        self.counters.a(out.outcome);
        Ok(out.activation_residual)
    }

    /// `u <- u + rho (z_L - m_L - b_L)`.
    pub fn dual(&mut self) -> Result<Closing> {
        let last = self.last();
        dual_update(
            storage_mut(&mut self.state.u),
            storage(&self.state.z[last]),
            storage(&self.state.m[last]),
            bias(self.model, last),
            self.labels,
            self.settings.rho,
        )
    }
}

/// The backward sweep, including the forward sweep's `W_1` step (see the module docs).
pub(crate) fn backward_sweep(blocks: &mut Blocks<'_>, x: &ArrayView2<'_, f32>) -> Result<()> {
    let last = blocks.last();
    blocks.output_z()?;
    blocks.output_bias()?;
    blocks.residual(last);
    blocks.weights(last, Carry::WithResidual)?;
    for k in (0..last).rev() {
        // a_k: the residual buffer holds e_{k+1} from the W_{k+1} step.
        blocks.activation(k, false)?;
        let z = blocks.hidden_z(k);
        if !z.row_sums.iter().all(|s| s.is_finite()) {
            return Err(OptimError::NonFinite { what: name("z", k) });
        }
        blocks.hidden_bias_from_sums(k, &z.row_sums)?;
        if k > 0 {
            blocks.residual(k);
            blocks.weights(k, Carry::WithResidual)?;
        } else {
            blocks.input_pair(x)?;
        }
    }
    Ok(())
}

/// The forward sweep (from `b_1`: its `W_1` step was taken by [`backward_sweep`]) and the
/// dual update.
pub(crate) fn forward_sweep(blocks: &mut Blocks<'_>) -> Result<Measures> {
    let last = blocks.last();
    let (mut hidden_residual, mut activation_residual) = (0.0f64, 0.0f64);
    for k in 0..last {
        if k > 0 {
            // The residual buffer holds e_k from the a_{k-1} step.
            blocks.weights(k, Carry::ProductOnly)?;
        }
        blocks.hidden_bias(k)?;
        let z = blocks.hidden_z(k);
        if !z.residual.is_finite() {
            return Err(OptimError::NonFinite { what: name("z", k) });
        }
        hidden_residual += z.residual;
        blocks.residual(k + 1);
        activation_residual += blocks.activation(k, true)?;
    }
    // W_L: the residual buffer holds e_L from the a_{L-1} step.
    blocks.weights(last, Carry::ProductOnly)?;
    blocks.output_bias()?;
    blocks.output_z()?;
    let closing = blocks.dual()?;
    Ok(Measures {
        hidden_residual,
        activation_residual,
        closing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DladmmConfig, RhoSchedule, Variant};
    use optim_core::linalg::matmul;
    use optim_core::synthetic::{BlobsConfig, blobs};
    use optim_core::{Init, Stream, rng_for};

    fn max_relative_gap(carried: &ndarray::Array2<f32>, fresh: &ndarray::Array2<f32>) -> f32 {
        let scale = fresh.iter().fold(0.0f32, |s, v| s.max(v.abs())).max(1e-30);
        carried.iter().zip(fresh).fold(0.0f32, |g, (a, b)| g.max((a - b).abs())) / scale
    }

    /// The carried `m_l` equal `W_l a_{l-1}` recomputed from scratch after each sweep, over
    /// iterations in which they were only ever updated through the subproblems' own products,
    /// for several depths and both variants.
    #[test]
    fn carried_products_match_fresh_products() {
        for (widths, variant) in [
            (vec![7, 12, 3], Variant::Reference),
            (vec![7, 12, 9, 3], Variant::Paper),
            (vec![7, 6, 10, 8, 3], Variant::Paper),
        ] {
            let data = blobs(
                &BlobsConfig {
                    samples: 700,
                    features: 7,
                    classes: 3,
                    separation: 1.0,
                },
                1,
            );
            let mut model = Mlp::new(&widths, &Init::default(), &mut rng_for(1, Stream::Init, 0)).unwrap();
            let params = DladmmConfig {
                variant,
                rho: 0.5,
                nu: (variant == Variant::Paper).then_some(0.2),
                rho_schedule: Some(RhoSchedule::Fixed),
                ..DladmmConfig::default()
            }
            .validate()
            .unwrap();
            let x = data.features.view();
            let mut state = State::initial(&model, &data, &params);
            let mut work = Workspace::new(&model, &x, false);
            let settings = Settings {
                rho: state.rho,
                nu: state.nu,
                w_search: Backtracking {
                    start: 1.0,
                    growth: 2.0,
                    max_growths: 60,
                },
                a_search: Backtracking {
                    start: 1.0,
                    growth: 2.0,
                    max_growths: 60,
                },
                output: OutputSettings::Fista(crate::z_output::FistaSettings {
                    step: 4.0,
                    rules: crate::z_output::reference_rules(1e-3, 500),
                }),
            };
            for _ in 0..10 {
                let mut counters = Counters::default();
                let mut blocks = Blocks {
                    model: &mut model,
                    labels: &data.labels,
                    state: &mut state,
                    work: &mut work,
                    settings: &settings,
                    counters: &mut counters,
                };
                backward_sweep(&mut blocks, &x).unwrap();
                assert!(blocks.counters.w_trials >= 2 * widths.len() as u64 - 2);
                for (l, layer) in blocks.model.layers.iter().enumerate() {
                    let input = if l == 0 { x.view() } else { blocks.state.a[l - 1].view() };
                    let fresh = matmul(&layer.weight.view(), &input);
                    let gap = max_relative_gap(&blocks.state.m[l], &fresh);
                    assert!(gap < 1e-4, "{widths:?}: m_{} off by {gap} after backward", l + 1);
                }
                forward_sweep(&mut blocks).unwrap();
                for (l, layer) in model.layers.iter().enumerate() {
                    let input = if l == 0 { x.view() } else { state.a[l - 1].view() };
                    let fresh = matmul(&layer.weight.view(), &input);
                    if l == 0 {
                        // The W_1 pair recomputes m_1: equal bit for bit.
                        assert_eq!(state.m[l], fresh, "{widths:?}: m_1 after forward");
                    } else {
                        // Carried through every iteration so far, never recomputed.
                        let gap = max_relative_gap(&state.m[l], &fresh);
                        assert!(gap < 1e-4, "{widths:?}: m_{} off by {gap} after forward", l + 1);
                    }
                }
            }
        }
    }
}
