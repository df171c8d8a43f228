//! [`Pdadmm`]: the [`Optimizer`] that runs pdADMM iterations on the shared [`Mlp`].

use std::io::{Read, Write};

use admm_kernels::diagnostics::{
    ACTIVATION_RESIDUAL, FISTA_CAP_HITS, FISTA_ITERATIONS, HIDDEN_RESIDUAL, OUTPUT_LOSS, RESIDUAL,
};
use admm_kernels::{storage, storage_mut};
use ndarray::Array2;
use optim_core::{Dataset, Diagnostics, Mlp, OptimError, Optimizer, Result, checkpoint};
use rayon::prelude::*;

use crate::config::{Params, PdadmmConfig};
use crate::layer::{Input, LayerBlock, LayerBuffers, LayerReport, Settings};
use crate::q_step::{CouplingSums, q_and_dual_step};
use crate::state::State;
use crate::z_output::OutputSolver;
use admm_kernels::Backtracking;

/// Names of the per-iteration diagnostics, in order (docs/pdadmm.md#residuals-and-objective).
///
/// - `augmented_lagrangian`: the objective of the split problem at the end of the iteration,
///   with the updated duals;
/// - `output_loss`: `R(z_L; y)`, the summed cross-entropy of the auxiliary `z_L`;
/// - `residual`: `||z_L - W_L p_L - b_L||^2`, the output layer's residual;
/// - `hidden_residual`: `sum_{l<L} ||z_l - W_l p_l - b_l||^2`;
/// - `activation_residual`: `sum_{l<L} ||q_l - relu(z_l)||^2`;
/// - `primal_residual`: `sum_{l<L} ||p_{l+1} - q_l||^2`, the residual of the constraints the
///   duals enforce;
/// - `p_trials`, `w_trials`: backtracking trials of all `p_l` and `W_l` steps;
/// - `backtracking_cap_hits`: searches that hit `max_backtracking` (block left unchanged);
/// - `fista_iterations`, `fista_cap_hits`: of the `z_L` solve;
/// - `rho`, `nu`: the values in force.
pub const DIAGNOSTICS: [&str; 13] = [
    "augmented_lagrangian",
    OUTPUT_LOSS,
    RESIDUAL,
    HIDDEN_RESIDUAL,
    ACTIVATION_RESIDUAL,
    "primal_residual",
    "p_trials",
    "w_trials",
    "backtracking_cap_hits",
    FISTA_ITERATIONS,
    FISTA_CAP_HITS,
    "rho",
    "nu",
];

/// pdADMM as an [`Optimizer`] (build it from a [`PdadmmConfig`]).
///
/// It writes `W_l`, `b_l` into the shared model (the plain forward network the executor
/// evaluates) and keeps `p_l`, `q_l`, `z_l` and the duals `u_l` in its own state. The
/// model's initialisation is the caller's (the code draws `N(0, 0.1^2)` weights and biases,
/// [`optim_core::Init::default`]).
#[derive(Debug)]
pub struct Pdadmm {
    params: Params,
    config: PdadmmConfig,
    run: Option<Run>,
}

struct Run {
    widths: Vec<usize>,
    samples: usize,
    state: State,
    buffers: Vec<LayerBuffers>,
}

/// A summary: the matrices run to gigabytes.
impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("widths", &self.widths)
            .field("samples", &self.samples)
            .field("iterations", &self.state.iterations)
            .finish_non_exhaustive()
    }
}

fn check_problem(model: &Mlp, train: &Dataset) -> Result<Vec<usize>> {
    let widths = model.widths();
    admm_kernels::check_problem("pdADMM", &widths, train, 2)?;
    Ok(widths)
}

fn buffers(widths: &[usize], samples: usize) -> Vec<LayerBuffers> {
    (0..widths.len() - 1)
        .map(|k| LayerBuffers::new(widths, k, samples))
        .collect()
}

impl Pdadmm {
    /// Validates `config` and builds the optimizer (state comes with
    /// [`Optimizer::initialize`] or [`Optimizer::load_state`]).
    pub fn new(config: &PdadmmConfig) -> Result<Self> {
        Ok(Self {
            params: config.validate()?,
            config: config.resolved(),
            run: None,
        })
    }

    /// The configuration in force, every default resolved.
    pub fn config(&self) -> &PdadmmConfig {
        &self.config
    }

    fn settings(&self) -> Settings {
        let p = &self.params;
        let search = |start| Backtracking {
            start,
            growth: p.backtracking_growth,
            max_growths: p.max_backtracking,
        };
        Settings {
            rho: p.rho,
            nu: p.nu,
            p_search: search(p.tau),
            w_search: search(p.theta),
            output: OutputSolver {
                step: p.fista_step,
                tol: p.fista_tol,
                max_iterations: p.fista_max_iterations,
            },
        }
    }
}

/// Phase one (docs/pdadmm.md#update-order): every layer's `p`, `W`, `b`, `z` block, from the
/// previous `q` and `u`; in parallel or one after the other, with the same arithmetic.
fn layer_blocks(
    model: &mut Mlp,
    train: &Dataset,
    run: &mut Run,
    settings: &Settings,
    parallel: bool,
) -> Vec<LayerReport> {
    let depth = model.depth();
    let State { p, q, z, u, .. } = &mut run.state;
    let mut inputs: Vec<Input<'_>> = Vec::with_capacity(depth);
    inputs.push(Input::Data(train.features.view()));
    for ((p, q), u) in p.iter_mut().zip(q.iter()).zip(u.iter()) {
        inputs.push(Input::Coupled { p, q, u });
    }
    let blocks: Vec<LayerBlock<'_>> = model
        .layers
        .iter_mut()
        .zip(inputs)
        .zip(z.iter_mut())
        .zip(run.buffers.iter_mut())
        .enumerate()
        .map(|(k, (((layer, input), z), buffers))| LayerBlock {
            w: &mut layer.weight,
            b: &mut layer.bias,
            input,
            z,
            q_own: q.get(k),
            labels: &train.labels,
            buffers,
        })
        .collect();
    if parallel {
        blocks.into_par_iter().map(|b| b.run(settings)).collect()
    } else {
        blocks.into_iter().map(|b| b.run(settings)).collect()
    }
}

/// One hidden layer's phase-two variables: `q_l`, `u_l` (updated), `p_{l+1}`, `z_l` (read).
type Coupling<'a> = (
    &'a mut Array2<f32>,
    &'a mut Array2<f32>,
    &'a Array2<f32>,
    &'a Array2<f32>,
);

/// Phase two: every hidden layer's `q` and dual, from the new `p` and `z`.
fn couplings(run: &mut Run, settings: &Settings, parallel: bool) -> Vec<CouplingSums> {
    let State { p, q, z, u, .. } = &mut run.state;
    let widths = &run.widths;
    let step = |(k, (q, u, p, z)): (usize, Coupling<'_>)| {
        q_and_dual_step(
            (storage_mut(q), storage_mut(u)),
            (storage(p), storage(z)),
            widths[k + 1],
            (settings.rho, settings.nu),
        )
    };
    let tasks: Vec<(usize, Coupling<'_>)> = q
        .iter_mut()
        .zip(u.iter_mut())
        .zip(p.iter().zip(z.iter()))
        .map(|((q, u), (p, z))| (q, u, p, z))
        .enumerate()
        .collect();
    if parallel {
        tasks.into_par_iter().map(step).collect()
    } else {
        tasks.into_iter().map(step).collect()
    }
}

impl Optimizer for Pdadmm {
    fn initialize(&mut self, model: &Mlp, train: &Dataset, _seed: u64) -> Result<()> {
        let widths = check_problem(model, train)?;
        self.run = None; // release a previous run's memory first
        let state = State::initial(model, train, &self.params);
        self.run = Some(Run {
            buffers: buffers(&widths, train.len()),
            widths,
            samples: train.len(),
            state,
        });
        Ok(())
    }

    fn step(&mut self, model: &mut Mlp, train: &Dataset, _iteration: usize) -> Result<Diagnostics> {
        let settings = self.settings();
        let parallel = self.params.parallel;
        let run = self
            .run
            .as_mut()
            .ok_or_else(|| OptimError::Shape("pdADMM step before initialize or load_state".into()))?;
        if check_problem(model, train)? != run.widths || train.len() != run.samples {
            return Err(OptimError::Shape(
                "model or training set differ from those the optimizer was initialised for".into(),
            ));
        }
        let layers = layer_blocks(model, train, run, &settings, parallel);
        let coupling = couplings(run, &settings, parallel);
        run.state.iterations += 1;

        // Sums in layer order, whichever way the layers ran.
        let (last, hidden) = layers.split_last().expect("at least two layers");
        let hidden_residual: f64 = hidden.iter().map(|r| r.residual).sum();
        let activation_residual: f64 = coupling.iter().map(|c| c.activation_residual).sum();
        let primal_residual: f64 = coupling.iter().map(|c| c.primal_residual).sum();
        let dual_term: f64 = coupling.iter().map(|c| c.dual_term).sum();
        let (rho, nu) = (settings.rho, settings.nu);
        let augmented_lagrangian = last.output_loss
            + 0.5 * nu * (last.residual + hidden_residual + activation_residual)
            + dual_term
            + 0.5 * rho * primal_residual;
        let count = |f: fn(&LayerReport) -> u32| f64::from(layers.iter().map(f).sum::<u32>());
        let values = [
            augmented_lagrangian,
            last.output_loss,
            last.residual,
            hidden_residual,
            activation_residual,
            primal_residual,
            count(|r| r.p_trials),
            count(|r| r.w_trials),
            count(|r| r.cap_hits),
            last.fista_iterations as f64,
            last.fista_cap_hits as f64,
            rho,
            nu,
        ];
        let mut diagnostics = Diagnostics::new();
        for (name, value) in DIAGNOSTICS.iter().zip(values) {
            diagnostics.push(name, value);
        }
        if let Some(k) = layers.iter().position(|r| r.non_finite) {
            return Err(OptimError::NonFinite {
                what: format!("z_{}", k + 1),
            });
        }
        if let Some(name) = diagnostics.first_non_finite() {
            return Err(OptimError::NonFinite { what: name.into() });
        }
        Ok(diagnostics)
    }

    fn diagnostic_names(&self) -> Vec<String> {
        DIAGNOSTICS.iter().map(|s| (*s).to_owned()).collect()
    }

    fn save_state(&self, out: &mut dyn Write) -> Result<()> {
        let run = self
            .run
            .as_ref()
            .ok_or_else(|| OptimError::Checkpoint("no state to save before initialize".into()))?;
        checkpoint::write(&run.state, out)
    }

    fn load_state(&mut self, input: &mut dyn Read, model: &Mlp, train: &Dataset) -> Result<()> {
        let widths = check_problem(model, train)?;
        self.run = None;
        let state: State = checkpoint::read(input)?;
        state.check(&widths, train.len(), &self.params)?;
        self.run = Some(Run {
            buffers: buffers(&widths, train.len()),
            widths,
            samples: train.len(),
            state,
        });
        Ok(())
    }
}
