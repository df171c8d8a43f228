//! [`Dladmm`]: the [`Optimizer`] that runs dlADMM iterations on the shared [`Mlp`].

use std::io::{Read, Write};

use admm_kernels::diagnostics::{
    ACTIVATION_RESIDUAL, FISTA_CAP_HITS, FISTA_ITERATIONS, HIDDEN_RESIDUAL, OUTPUT_LOSS, RESIDUAL,
};
use optim_core::{Dataset, Diagnostics, Mlp, OptimError, Optimizer, Result, checkpoint};

use crate::backtracking::Backtracking;
use crate::config::{DladmmConfig, OutputSolver, Params, RhoSchedule};
use crate::objective::augmented_lagrangian;
use crate::rho_schedule::{after_iteration, before_iteration};
use crate::state::State;
use crate::sweep::{Blocks, Counters, OutputSettings, Settings, backward_sweep, forward_sweep};
use crate::training_cost::training_cost;
use crate::workspace::Workspace;
use crate::z_newton::NewtonSettings;
use crate::z_output::{FistaSettings, reference_rules};

/// Names of the per-iteration diagnostics, in order ([`NEWTON_DIAGNOSTICS`] follow them
/// under the Newton `z_L` solver, then `training_cost` under the adaptive schedule).
///
/// - `augmented_lagrangian`: the paper's objective (docs/dladmm.md#augmented-lagrangian) at the end of the
///   iteration, with the variant's `nu` and `rho` and the updated dual;
/// - `output_loss`: `R(z_L; y)`, the summed cross-entropy of the auxiliary `z_L`;
/// - `residual`: `||z_L - W_L a_{L-1} - b_L||^2` (squared Frobenius, the paper's Fig. 2-3
///   residual);
/// - `hidden_residual`: `sum_{l<L} ||z_l - W_l a_{l-1} - b_l||^2`;
/// - `activation_residual`: `sum_{l<L} ||a_l - relu(z_l)||^2`;
/// - `stationarity_gap`: `||grad R(z_L) + u||` (zero at an exact `z_L` solve, docs/dladmm.md#convergence);
/// - `w_trials`, `a_trials`: backtracking trials of all `W_l` and `a_l` steps;
/// - `backtracking_cap_hits`: searches that hit `max_backtracking` (block left unchanged);
/// - `fista_iterations`, `fista_cap_hits`: over both `z_L` solves (0 under the Newton solver);
/// - `rho`, `nu`, `tau`, `theta`: the values this iteration ran with.
pub const DIAGNOSTICS: [&str; 15] = [
    "augmented_lagrangian",
    OUTPUT_LOSS,
    RESIDUAL,
    HIDDEN_RESIDUAL,
    ACTIVATION_RESIDUAL,
    "stationarity_gap",
    "w_trials",
    "a_trials",
    "backtracking_cap_hits",
    FISTA_ITERATIONS,
    FISTA_CAP_HITS,
    "rho",
    "nu",
    "tau",
    "theta",
];

/// Under `output_solver = "newton"` only, after [`DIAGNOSTICS`], so that the metrics of
/// FISTA runs keep their columns:
///
/// - `newton_iterations`: the most Newton steps any sample took, added over both `z_L`
///   solves (the counterpart of `fista_iterations`: the length of the solves);
/// - `newton_cap_hits`: samples whose solve ended on `newton_max_iterations`, added over
///   both `z_L` solves.
pub const NEWTON_DIAGNOSTICS: [&str; 2] = ["newton_iterations", "newton_cap_hits"];

/// Under the adaptive schedule: the summed cross-entropy of the plain forward network on
/// the training set after the iteration (the cost the rule watches), reported by
/// [`Optimizer::after_step`]: outside the timed iteration, as the reference code times it
/// (see [`crate::training_cost_products`]).
pub const TRAINING_COST: &str = "training_cost";

/// dlADMM as an [`Optimizer`] (build it from a [`DladmmConfig`]).
///
/// It writes `W_l`, `b_l` into the shared model (the plain forward network the executor
/// evaluates) and keeps `z_l`, `a_l`, `u` in its own state. The model's initialisation is
/// the caller's (the reference code draws `N(0, 0.1^2)`, [`optim_core::Init::default`]).
#[derive(Debug)]
pub struct Dladmm {
    params: Params,
    config: DladmmConfig,
    run: Option<Run>,
}

struct Run {
    widths: Vec<usize>,
    samples: usize,
    state: State,
    work: Workspace,
}

/// A summary: the matrices run to gigabytes.
impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("widths", &self.widths)
            .field("samples", &self.samples)
            .field("iterations", &self.state.iterations)
            .field("rho", &self.state.rho)
            .field("nu", &self.state.nu)
            .field("tau", &self.state.tau)
            .field("theta", &self.state.theta)
            .finish_non_exhaustive()
    }
}

pub(crate) fn check_problem(model: &Mlp, train: &Dataset) -> Result<Vec<usize>> {
    let widths = model.widths();
    admm_kernels::check_problem("dlADMM", &widths, train, 2)?;
    Ok(widths)
}

impl Dladmm {
    /// Validates `config` and builds the optimizer (state comes with
    /// [`Optimizer::initialize`] or [`Optimizer::load_state`]).
    pub fn new(config: &DladmmConfig) -> Result<Self> {
        Ok(Self {
            params: config.validate()?,
            config: config.resolved(),
            run: None,
        })
    }

    /// The configuration in force, every default resolved.
    pub fn config(&self) -> &DladmmConfig {
        &self.config
    }

    fn adaptive(&self) -> bool {
        self.params.schedule == RhoSchedule::Adaptive
    }
}

/// The settings of the iteration about to run, from the penalties and starts in force.
pub(crate) fn settings(params: &Params, state: &State) -> Settings {
    let search = |start| Backtracking {
        start,
        growth: params.backtracking_growth,
        max_growths: params.max_backtracking,
    };
    Settings {
        rho: state.rho,
        nu: state.nu,
        w_search: search(state.theta),
        a_search: search(state.tau),
        output: match params.output_solver {
            OutputSolver::Fista => OutputSettings::Fista(FistaSettings {
                step: params.fista_step,
                rules: reference_rules(params.fista_tol, params.fista_max_iterations),
            }),
            OutputSolver::Newton => OutputSettings::Newton(NewtonSettings {
                tol: params.newton_tol,
                max_iterations: params.newton_max_iterations,
            }),
        },
    }
}

/// The adaptive rule's bookkeeping after an iteration: the training cost (returned), then
/// `rho`, `tau`, `theta` for the next iteration.
fn adapt(run: &mut Run, model: &Mlp, train: &Dataset, params: &Params) -> Result<f64> {
    let buffers = run
        .work
        .forward
        .as_mut()
        .expect("forward buffers exist under the adaptive schedule");
    let state = &mut run.state;
    let cost = training_cost(model, &state.m[0], &train.labels, buffers);
    if !cost.is_finite() {
        return Err(OptimError::NonFinite {
            what: TRAINING_COST.into(),
        });
    }
    state.training_costs.push(cost);
    let widest_hidden = run.widths[1..run.widths.len() - 1].iter().copied().max().unwrap_or(0);
    after_iteration(state, params, widest_hidden);
    state.cost_pending = false;
    Ok(cost)
}

impl Optimizer for Dladmm {
    fn initialize(&mut self, model: &Mlp, train: &Dataset, _seed: u64) -> Result<()> {
        let widths = check_problem(model, train)?;
        self.run = None; // release a previous run's memory first
        let state = State::initial(model, train, &self.params);
        let work = Workspace::new(model, &train.features.view(), self.adaptive());
        self.run = Some(Run {
            widths,
            samples: train.len(),
            state,
            work,
        });
        Ok(())
    }

    fn step(&mut self, model: &mut Mlp, train: &Dataset, iteration: usize) -> Result<Diagnostics> {
        let adaptive = self.adaptive();
        let params = &self.params;
        let run = self
            .run
            .as_mut()
            .ok_or_else(|| OptimError::Shape("dlADMM step before initialize or load_state".into()))?;
        if check_problem(model, train)? != run.widths || train.len() != run.samples {
            return Err(OptimError::Shape(
                "model or training set differ from those the optimizer was initialised for".into(),
            ));
        }
        if run.state.cost_pending {
            // `after_step` was not called after the previous iteration: its bookkeeping
            // comes first, so the run is the same either way.
            adapt(run, &*model, train, params)?;
        }
        before_iteration(&mut run.state, params, iteration);
        let settings = settings(params, &run.state);
        let mut counters = Counters::default();
        let x = train.features.view();
        let measures = {
            let mut blocks = Blocks {
                model: &mut *model,
                labels: &train.labels,
                state: &mut run.state,
                work: &mut run.work,
                settings: &settings,
                counters: &mut counters,
            };
            backward_sweep(&mut blocks, &x)?;
            forward_sweep(&mut blocks)?
        };
        if let Some(what) = model.first_non_finite() {
            return Err(OptimError::NonFinite { what });
        }
        let state = &mut run.state;
        let mut d = Diagnostics::new();
        d.push(
            "augmented_lagrangian",
            augmented_lagrangian(
                &measures.closing,
                settings.rho,
                settings.nu,
                measures.hidden_residual,
                measures.activation_residual,
            ),
        );
        d.push(OUTPUT_LOSS, measures.closing.output_loss);
        d.push(RESIDUAL, measures.closing.residual);
        d.push(HIDDEN_RESIDUAL, measures.hidden_residual);
        d.push(ACTIVATION_RESIDUAL, measures.activation_residual);
        d.push("stationarity_gap", measures.closing.stationarity_gap);
        d.push("w_trials", counters.w_trials as f64);
        d.push("a_trials", counters.a_trials as f64);
        d.push("backtracking_cap_hits", counters.backtracking_cap_hits as f64);
        d.push(FISTA_ITERATIONS, counters.fista_iterations as f64);
        d.push(FISTA_CAP_HITS, counters.fista_cap_hits as f64);
        d.push("rho", settings.rho);
        d.push("nu", settings.nu);
        d.push("tau", settings.a_search.start);
        d.push("theta", settings.w_search.start);
        if let OutputSettings::Newton(_) = settings.output {
            let [iterations, cap_hits] = NEWTON_DIAGNOSTICS;
            d.push(iterations, counters.newton_iterations as f64);
            d.push(cap_hits, counters.newton_cap_hits as f64);
        }
        if adaptive {
            state.cost_pending = true;
        }
        state.iterations += 1;
        Ok(d)
    }

    /// Under the adaptive schedule: the training cost of the plain forward network and the
    /// rule that watches it, outside the timed iteration as in the reference code (which
    /// reads the cost from its untimed evaluation).
    fn after_step(&mut self, model: &Mlp, train: &Dataset, _iteration: usize) -> Result<Diagnostics> {
        let mut d = Diagnostics::new();
        if let Some(run) = self.run.as_mut()
            && run.state.cost_pending
        {
            d.push(TRAINING_COST, adapt(run, model, train, &self.params)?);
        }
        Ok(d)
    }

    fn diagnostic_names(&self) -> Vec<String> {
        let mut names: Vec<String> = DIAGNOSTICS.iter().map(|s| s.to_string()).collect();
        if self.params.output_solver == OutputSolver::Newton {
            names.extend(NEWTON_DIAGNOSTICS.iter().map(|s| s.to_string()));
        }
        if self.adaptive() {
            names.push(TRAINING_COST.into());
        }
        names
    }

    fn save_state(&self, out: &mut dyn Write) -> Result<()> {
        let run = self
            .run
            .as_ref()
            .ok_or_else(|| OptimError::Checkpoint("no dlADMM state to save before initialize".into()))?;
        checkpoint::write(&run.state, out)
    }

    fn load_state(&mut self, input: &mut dyn Read, model: &Mlp, train: &Dataset) -> Result<()> {
        let widths = check_problem(model, train)?;
        self.run = None;
        let state: State = checkpoint::read(input)?;
        state.check(&widths, train.len(), &self.params)?;
        let work = Workspace::new(model, &train.features.view(), self.adaptive());
        self.run = Some(Run {
            widths,
            samples: train.len(),
            state,
            work,
        });
        Ok(())
    }
}
