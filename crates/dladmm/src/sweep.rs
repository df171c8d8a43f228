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

use ndarray::ArrayView2;
use optim_core::{Mlp, OptimError, Result};

use crate::a_step::{NextLayer, a_step};
use crate::b_step::{set_mean, update_b};
use crate::backtracking::{Backtracking, Outcome};
use crate::objective::{Closing, dual_update};
use crate::state::State;
use crate::w_step::{Carry, input_layer_pair, w_step};
use crate::workspace::Workspace;
use crate::z_output::{FistaSettings, output_target, solve_z_output};
use admm_kernels::{SumOrder, relu_prox_pass, residual_into, storage, storage_mut};

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
    pub fista: FistaSettings,
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

/// `z_L <- FISTA(z_L; c = m_L + b_L - u / rho)`.
fn solve_output(
    model: &Mlp,
    labels: &[u32],
    state: &mut State,
    work: &mut Workspace,
    settings: &Settings,
    counters: &mut Counters,
) -> Result<()> {
    let last = model.depth() - 1;
    output_target(
        &mut work.target,
        storage(&state.m[last]),
        bias(model, last),
        storage(&state.u),
        (1.0 / settings.rho) as f32,
    );
    let out = solve_z_output(
        &settings.fista,
        storage_mut(&mut state.z[last]),
        &work.target,
        labels,
        settings.rho,
        &mut work.fista,
        &name("z", last),
    )?;
    counters.fista_iterations += out.iterations as u64;
    counters.fista_cap_hits += u64::from(out.cap_hit);
    Ok(())
}

/// `b_L <- mean(z_L - m_L + u / rho)`.
fn output_bias(model: &mut Mlp, state: &State, rho: f64) -> Result<()> {
    let last = model.depth() - 1;
    update_b(
        &mut model.layers[last].bias,
        storage(&state.z[last]),
        storage(&state.m[last]),
        Some((storage(&state.u), (1.0 / rho) as f32)),
        &name("b", last),
    )
}

/// The backward sweep, including the forward sweep's `W_1` step (see the module docs).
pub(crate) fn backward_sweep(
    model: &mut Mlp,
    x: &ArrayView2<'_, f32>,
    labels: &[u32],
    state: &mut State,
    work: &mut Workspace,
    settings: &Settings,
    counters: &mut Counters,
) -> Result<()> {
    let depth = model.depth();
    let last = depth - 1;
    let samples = labels.len();
    let inv_rho = (1.0 / settings.rho) as f32;

    solve_output(model, labels, state, work, settings, counters)?;
    output_bias(model, state, settings.rho)?;
    let rows = model.layers[last].weight.nrows();
    residual_into(
        work.residual.slice_mut(rows),
        storage(&state.m[last]),
        bias(model, last),
        storage(&state.z[last]),
        Some((storage(&state.u), inv_rho)),
    );
    let out = w_step(
        &mut model.layers[last].weight,
        &mut work.grads[last],
        &state.a[last - 1].view(),
        &mut state.m[last],
        &mut work.residual,
        &mut work.product,
        settings.rho,
        &settings.w_search,
        Carry::WithResidual,
        &name("W", last),
    )?;
    counters.w(out);

    for k in (0..last).rev() {
        // a_k: the residual buffer holds e_{k+1} from the W_{k+1} step.
        let out = a_step(
            &mut state.a[k],
            &state.z[k],
            &model.layers[k + 1].weight,
            &mut state.m[k + 1],
            &mut work.residual,
            &mut work.product,
            settings.penalty(k + 1, depth),
            settings.nu,
            &settings.a_search,
            None,
            &name("a", k),
        )?;
        counters.a(out.outcome);

        let z = relu_prox_pass(
            storage_mut(&mut state.z[k]),
            storage(&state.m[k]),
            bias(model, k),
            storage(&state.a[k]),
            UNIT_WEIGHTS,
            SumOrder::ByRow,
        );
        if !z.row_sums.iter().all(|s| s.is_finite()) {
            return Err(OptimError::NonFinite { what: name("z", k) });
        }
        set_mean(&mut model.layers[k].bias, &z.row_sums, samples, &name("b", k))?;

        if k > 0 {
            let rows = model.layers[k].weight.nrows();
            residual_into(
                work.residual.slice_mut(rows),
                storage(&state.m[k]),
                bias(model, k),
                storage(&state.z[k]),
                None,
            );
            let layer = &mut model.layers[k];
            let out = w_step(
                &mut layer.weight,
                &mut work.grads[k],
                &state.a[k - 1].view(),
                &mut state.m[k],
                &mut work.residual,
                &mut work.product,
                settings.nu,
                &settings.w_search,
                Carry::WithResidual,
                &name("W", k),
            )?;
            counters.w(out);
        } else {
            let layer = &mut model.layers[0];
            let outs = input_layer_pair(
                &mut layer.weight,
                &mut work.grads[0],
                &mut work.gram_product,
                x,
                &work.gram,
                &mut state.m[0],
                layer.bias.as_slice().expect("biases are contiguous"),
                storage(&state.z[0]),
                settings.nu,
                &settings.w_search,
                "W_1",
            )?;
            outs.into_iter().for_each(|o| counters.w(o));
        }
    }
    Ok(())
}

/// The forward sweep (from `b_1`: its `W_1` step was taken by [`backward_sweep`]) and the
/// dual update.
pub(crate) fn forward_sweep(
    model: &mut Mlp,
    labels: &[u32],
    state: &mut State,
    work: &mut Workspace,
    settings: &Settings,
    counters: &mut Counters,
) -> Result<Measures> {
    let depth = model.depth();
    let last = depth - 1;
    let inv_rho = (1.0 / settings.rho) as f32;
    let (mut hidden_residual, mut activation_residual) = (0.0f64, 0.0f64);

    for k in 0..last {
        if k > 0 {
            // The residual buffer holds e_k from the a_{k-1} step.
            let layer = &mut model.layers[k];
            let out = w_step(
                &mut layer.weight,
                &mut work.grads[k],
                &state.a[k - 1].view(),
                &mut state.m[k],
                &mut work.residual,
                &mut work.product,
                settings.nu,
                &settings.w_search,
                Carry::ProductOnly,
                &name("W", k),
            )?;
            counters.w(out);
        }
        update_b(
            &mut model.layers[k].bias,
            storage(&state.z[k]),
            storage(&state.m[k]),
            None,
            &name("b", k),
        )?;
        let z = relu_prox_pass(
            storage_mut(&mut state.z[k]),
            storage(&state.m[k]),
            bias(model, k),
            storage(&state.a[k]),
            UNIT_WEIGHTS,
            SumOrder::ByRow,
        );
        if !z.residual.is_finite() {
            return Err(OptimError::NonFinite { what: name("z", k) });
        }
        hidden_residual += z.residual;

        let dual = (k + 1 == last).then(|| (storage(&state.u), inv_rho));
        let rows_next = model.layers[k + 1].weight.nrows();
        residual_into(
            work.residual.slice_mut(rows_next),
            storage(&state.m[k + 1]),
            bias(model, k + 1),
            storage(&state.z[k + 1]),
            dual,
        );
        let out = a_step(
            &mut state.a[k],
            &state.z[k],
            &model.layers[k + 1].weight,
            &mut state.m[k + 1],
            &mut work.residual,
            &mut work.product,
            settings.penalty(k + 1, depth),
            settings.nu,
            &settings.a_search,
            Some(NextLayer {
                b: bias(model, k + 1),
                z: storage(&state.z[k + 1]),
                dual,
            }),
            &name("a", k),
        )?;
        counters.a(out.outcome);
        activation_residual += out.activation_residual;
    }

    // W_L: the residual buffer holds e_L from the a_{L-1} step.
    let out = w_step(
        &mut model.layers[last].weight,
        &mut work.grads[last],
        &state.a[last - 1].view(),
        &mut state.m[last],
        &mut work.residual,
        &mut work.product,
        settings.rho,
        &settings.w_search,
        Carry::ProductOnly,
        &name("W", last),
    )?;
    counters.w(out);
    output_bias(model, state, settings.rho)?;
    solve_output(model, labels, state, work, settings, counters)?;
    let closing = dual_update(
        storage_mut(&mut state.u),
        storage(&state.z[last]),
        storage(&state.m[last]),
        bias(model, last),
        labels,
        settings.rho,
    )?;
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
                fista: crate::z_output::FistaSettings {
                    step: 4.0,
                    rules: crate::z_output::reference_rules(1e-3, 500),
                },
            };
            for _ in 0..10 {
                let mut counters = Counters::default();
                backward_sweep(
                    &mut model,
                    &x,
                    &data.labels,
                    &mut state,
                    &mut work,
                    &settings,
                    &mut counters,
                )
                .unwrap();
                assert!(counters.w_trials >= 2 * widths.len() as u64 - 2);
                for (l, layer) in model.layers.iter().enumerate() {
                    let input = if l == 0 { x.view() } else { state.a[l - 1].view() };
                    let fresh = matmul(&layer.weight.view(), &input);
                    let gap = max_relative_gap(&state.m[l], &fresh);
                    assert!(gap < 1e-4, "{widths:?}: m_{} off by {gap} after backward", l + 1);
                }
                forward_sweep(
                    &mut model,
                    &data.labels,
                    &mut state,
                    &mut work,
                    &settings,
                    &mut counters,
                )
                .unwrap();
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
