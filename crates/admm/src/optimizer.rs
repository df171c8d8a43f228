//! [`Admm`]: one iteration of Taylor et al.'s algorithm per [`Optimizer::step`].

use std::io::{Read, Write};

use admm_kernels::diagnostics::{
    ACTIVATION_RESIDUAL, FISTA_CAP_HITS, FISTA_ITERATIONS, HIDDEN_RESIDUAL, OUTPUT_LOSS, RESIDUAL,
};
use admm_kernels::{FistaBuffers, ReluProxSums, Scratch, SumOrder, relu_prox_pass, storage, storage_mut};
use ndarray::{Array2, ArrayView2};
use optim_core::linalg::gemm;
use optim_core::{Dataset, Diagnostics, Mlp, OptimError, Optimizer, Result, checkpoint};
use serde::{Deserialize, Serialize};

use crate::a_step::{Form, update_activation};
use crate::cholesky::Cholesky;
use crate::config::{AdmmConfig, OutputInit, OutputLoss};
use crate::objective::{ObjectiveTerms, evaluate_objective, weight_norm};
use crate::state::AdmmState;
use crate::w_step::{factor_gram, solve_weights};
use crate::z_output::{FistaSettings, OutputSums, finish_output, fista_cross_entropy, update_hinge_z};

/// Names of the per-iteration diagnostics, in the order [`Optimizer::step`] reports them:
///
/// - `penalised_objective`: the objective of [`crate::objective`] at the end of the iteration
///   (with the updated `λ`);
/// - `output_loss`: `ℓ(z_L; y)` of the auxiliary output `z_L` (not of the network's logits);
/// - `residual`: `‖z_L - W_L a_{L-1} - b_L‖²` (the name dlADMM reports it under);
/// - `hidden_residual`: `Σ_{l<L} ‖z_l - W_l a_{l-1} - b_l‖²`;
/// - `activation_residual`: `Σ_{l<L} ‖a_l - relu(z_l)‖²`;
/// - `fista_iterations`: FISTA iterations of the `z_L` solve (0 for the hinge);
/// - `fista_cap_hits`: 1 if that solve reached `fista_max_iterations`, else 0;
/// - `warm_start`: 1 during the warm start (no multiplier update), else 0.
pub const DIAGNOSTIC_NAMES: [&str; 8] = [
    "penalised_objective",
    OUTPUT_LOSS,
    RESIDUAL,
    HIDDEN_RESIDUAL,
    ACTIVATION_RESIDUAL,
    FISTA_ITERATIONS,
    FISTA_CAP_HITS,
    "warm_start",
];

/// Gradient-free ADMM of Taylor et al. (ICML 2016) for the shared [`Mlp`].
///
/// One [`Optimizer::step`] is one forward sweep: for each hidden layer `l`, `W_l` (least
/// squares), `a_l` (linear system), `z_l` (closed form); then `W_L`, the output `z_L`
/// (closed form for the hinge, FISTA for cross-entropy), and outside the warm start the
/// Bregman update `λ ← λ + β (z_L - W_L a_{L-1} - b_L)`. Each weight update is written into
/// the model at once, so the executor evaluates the plain forward network.
#[derive(Debug)]
pub struct Admm {
    config: AdmmConfig,
    run: Option<Run>,
}

/// Everything allocated for one run.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) state: AdmmState,
    widths: Vec<usize>,
    /// `max_l n_l × N`: products `W_l a_{l-1}` and the dual activation systems.
    scratch: Scratch,
    /// The widest layer after the input, `max_l n_l`.
    widest: usize,
    /// FISTA's iterates, `n_L × N` each.
    fista: FistaBuffers,
    /// `N × 1` of ones: row sums by a product.
    ones: Array2<f32>,
    /// Cholesky factor of `x̃ x̃ᵀ + ε I` for the input layer, fixed for the run.
    input_factor: Cholesky,
}

/// The checkpoint, written by reference.
#[derive(Serialize)]
struct SavedRef<'a> {
    config: &'a AdmmConfig,
    widths: &'a [usize],
    samples: usize,
    state: &'a AdmmState,
}

/// The checkpoint, read back.
#[derive(Deserialize)]
struct Saved {
    config: AdmmConfig,
    widths: Vec<usize>,
    samples: usize,
    state: AdmmState,
}

fn non_finite(what: String) -> OptimError {
    OptimError::NonFinite { what }
}

impl Run {
    /// A run from the initial state of `model` on `train` (docs/admm.md#initialisation).
    pub(crate) fn start(config: &AdmmConfig, model: &Mlp, train: &Dataset) -> Result<Self> {
        check_problem(&model.widths(), train)?;
        let mut state = AdmmState::from_forward_pass(model, &train.features.view());
        if config.output_init == OutputInit::Targets {
            state.set_output_to_targets(&train.labels);
        }
        Self::new(config, state, model, train)
    }

    fn new(config: &AdmmConfig, state: AdmmState, model: &Mlp, train: &Dataset) -> Result<Self> {
        let widths = model.widths();
        check_problem(&widths, train)?;
        state.check_shapes(&widths, train.len())?;
        let samples = train.len();
        let ones = Array2::from_elem((samples, 1), 1.0f32);
        let input_factor = factor_gram(&train.features.view(), &ones.view(), config.ridge_weight(samples))
            .map_err(|_| non_finite("W_1 normal equations (input Gram matrix)".to_owned()))?;
        let widest = widths[1..].iter().copied().max().unwrap_or(0);
        Ok(Self {
            state,
            scratch: Scratch::new(widest, samples),
            widest,
            fista: FistaBuffers::new(widths[widths.len() - 1] * samples),
            ones,
            input_factor,
            widths,
        })
    }
}

/// The block updates of one iteration, in the order [`Admm`]'s step takes them
/// (docs/admm.md#iteration); [`crate::Subproblems`] takes them one at a time.
impl Run {
    /// `W_l`: least squares against `z_l`, from the activations updated just before.
    pub(crate) fn weights(
        &mut self,
        config: &AdmmConfig,
        l: usize,
        model: &mut Mlp,
        x: &ArrayView2<'_, f32>,
    ) -> Result<()> {
        let input: ArrayView2<'_, f32> = if l == 0 { x.view() } else { self.state.a[l - 1].view() };
        let owned;
        let factor = if l == 0 {
            &self.input_factor
        } else {
            owned = factor_gram(&input, &self.ones.view(), config.ridge_weight(x.ncols()))
                .map_err(|_| non_finite(format!("W_{} normal equations", l + 1)))?;
            &owned
        };
        solve_weights(
            factor,
            &input,
            &self.state.z[l].view(),
            &self.ones.view(),
            &mut model.layers[l],
        )
        .map_err(|_| non_finite(format!("W_{}", l + 1)))
    }

    /// `a_l` (hidden): a linear system that uses the previous iteration's `W_{l+1}`,
    /// `b_{l+1}`, `z_{l+1}`.
    pub(crate) fn activation(&mut self, config: &AdmmConfig, l: usize, model: &Mlp) -> Result<()> {
        let (n, n_next) = (self.widths[l + 1], self.widths[l + 2]);
        update_activation(
            &mut self.state.a[l].view_mut(),
            &self.state.z[l].view(),
            &self.state.z[l + 1].view(),
            &model.layers[l + 1],
            (config.beta, config.gamma),
            &mut self.scratch.view_mut(self.widest),
            Form::cheaper(n, n_next),
        )
        .map_err(|_| non_finite(format!("a_{} linear system", l + 1)))
    }

    /// `z_l` (hidden): closed form from the new `W_l`, `b_l`, `a_{l-1}` and `a_l`.
    pub(crate) fn hidden_z(
        &mut self,
        config: &AdmmConfig,
        l: usize,
        model: &Mlp,
        x: &ArrayView2<'_, f32>,
    ) -> Result<ReluProxSums> {
        let input: ArrayView2<'_, f32> = if l == 0 { x.view() } else { self.state.a[l - 1].view() };
        let layer = &model.layers[l];
        let rows = layer.weight.nrows();
        gemm(0.0, &mut self.scratch.view_mut(rows), 1.0, &layer.weight.view(), &input);
        let sums = relu_prox_pass(
            storage_mut(&mut self.state.z[l]),
            self.scratch.slice(rows),
            layer.bias.as_slice().expect("biases are contiguous"),
            storage(&self.state.a[l]),
            (config.beta, config.gamma),
            SumOrder::Running,
        );
        if sums.non_finite_a {
            return Err(non_finite(format!("a_{}", l + 1)));
        }
        if sums.non_finite_p {
            return Err(non_finite(format!("z_{}", l + 1)));
        }
        Ok(sums)
    }

    /// `m_L = W_L a_{L-1}` into the scratch buffer, which [`Run::output_z`] and
    /// [`Run::close`] read.
    pub(crate) fn output_product(&mut self, model: &Mlp, x: &ArrayView2<'_, f32>) {
        let out = model.depth() - 1;
        let input: ArrayView2<'_, f32> = if out == 0 {
            x.view()
        } else {
            self.state.a[out - 1].view()
        };
        let layer = &model.layers[out];
        gemm(
            0.0,
            &mut self.scratch.view_mut(layer.weight.nrows()),
            1.0,
            &layer.weight.view(),
            &input,
        );
    }

    /// `z_L` against `m_L + b_L`: closed form for the hinge, FISTA for cross-entropy.
    /// Returns FISTA's iterations and whether it hit its cap.
    pub(crate) fn output_z(&mut self, config: &AdmmConfig, model: &Mlp, labels: &[u32]) -> (usize, usize) {
        let layer = &model.layers[model.depth() - 1];
        let rows = layer.weight.nrows();
        let z_out = &mut self.state.z[model.depth() - 1];
        match config.loss {
            OutputLoss::Hinge => {
                update_hinge_z(
                    &mut z_out.view_mut(),
                    &self.scratch.view(rows),
                    &layer.bias.view(),
                    &self.state.lambda.view(),
                    labels,
                    config.beta,
                );
                (0, 0)
            }
            OutputLoss::CrossEntropy => {
                let outcome = fista_cross_entropy(
                    storage_mut(z_out),
                    &mut self.fista,
                    (
                        self.scratch.slice(rows),
                        layer.bias.as_slice().expect("biases are contiguous"),
                    ),
                    storage(&self.state.lambda),
                    labels,
                    config.beta,
                    &FistaSettings {
                        step: config.fista_step,
                        tol: config.fista_tol,
                        max_iterations: config.fista_max_iterations,
                    },
                );
                (outcome.iterations, usize::from(outcome.cap_hit))
            }
        }
    }

    /// The output's measures and, with `update_multiplier`, the Bregman update
    /// `lambda <- lambda + beta (z_L - m_L - b_L)`.
    pub(crate) fn close(
        &mut self,
        config: &AdmmConfig,
        model: &Mlp,
        labels: &[u32],
        update_multiplier: bool,
    ) -> Result<OutputSums> {
        let depth = model.depth();
        let layer = &model.layers[depth - 1];
        let sums = finish_output(
            &self.state.z[depth - 1].view(),
            (&self.scratch.view(layer.weight.nrows()), &layer.bias.view()),
            &mut self.state.lambda.view_mut(),
            labels,
            config.loss,
            config.beta,
            update_multiplier,
        );
        if sums.non_finite_z {
            return Err(non_finite(format!("z_{depth}")));
        }
        if sums.non_finite_lambda {
            return Err(non_finite("lambda".to_owned()));
        }
        Ok(sums)
    }
}

fn check_problem(widths: &[usize], train: &Dataset) -> Result<()> {
    admm_kernels::check_problem("ADMM", widths, train, 1)
}

impl Admm {
    /// An optimizer with validated hyper-parameters; call [`Optimizer::initialize`] next.
    pub fn new(config: AdmmConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self { config, run: None })
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &AdmmConfig {
        &self.config
    }

    /// The auxiliary variables, once initialised or restored.
    pub fn state(&self) -> Option<&AdmmState> {
        self.run.as_ref().map(|r| &r.state)
    }

    /// The objective's terms at the current state, recomputed from scratch (see
    /// [`evaluate_objective`]).
    pub fn objective_terms(&self, model: &Mlp, train: &Dataset) -> Result<ObjectiveTerms> {
        let state = self.state().ok_or_else(not_initialised)?;
        evaluate_objective(&self.config, model, train, state)
    }
}

fn not_initialised() -> OptimError {
    OptimError::invalid(
        "state",
        "the ADMM optimizer was stepped before initialize or load_state",
    )
}

impl Optimizer for Admm {
    fn initialize(&mut self, model: &Mlp, train: &Dataset, _seed: u64) -> Result<()> {
        self.run = Some(Run::start(&self.config, model, train)?);
        Ok(())
    }

    fn step(&mut self, model: &mut Mlp, train: &Dataset, iteration: usize) -> Result<Diagnostics> {
        let config = &self.config;
        let run = self.run.as_mut().ok_or_else(not_initialised)?;
        if model.widths() != run.widths || train.len() != run.state.lambda.ncols() {
            return Err(OptimError::Shape(format!(
                "ADMM state was built for widths {:?} and {} samples, got {:?} and {}",
                run.widths,
                run.state.lambda.ncols(),
                model.widths(),
                train.len()
            )));
        }
        let samples = train.len();
        let depth = model.depth();
        let warm_start = iteration < config.warm_start_iterations;
        let x = train.features.view();
        let (mut hidden_residual, mut activation_residual) = (0.0f64, 0.0f64);

        for l in 0..depth {
            run.weights(config, l, model, &x)?;
            if l + 1 == depth {
                break;
            }
            run.activation(config, l, model)?;
            let sums = run.hidden_z(config, l, model, &x)?;
            hidden_residual += sums.residual;
            activation_residual += sums.activation_residual;
        }
        run.output_product(model, &x);
        let (fista_iterations, fista_cap_hits) = run.output_z(config, model, &train.labels);
        let sums = run.close(config, model, &train.labels, !warm_start)?;
        let terms = ObjectiveTerms {
            output_loss: sums.loss,
            multiplier: sums.multiplier,
            output_residual: sums.residual,
            hidden_residual,
            activation_residual,
            weight_norm: weight_norm(model),
        };
        let objective = terms.penalised(config, samples);
        if !objective.is_finite() {
            return Err(non_finite("penalised_objective".to_owned()));
        }
        let values = [
            objective,
            terms.output_loss,
            terms.output_residual,
            terms.hidden_residual,
            terms.activation_residual,
            fista_iterations as f64,
            fista_cap_hits as f64,
            f64::from(u8::from(warm_start)),
        ];
        let mut diagnostics = Diagnostics::new();
        for (name, value) in DIAGNOSTIC_NAMES.iter().zip(values) {
            diagnostics.push(name, value);
        }
        Ok(diagnostics)
    }

    fn diagnostic_names(&self) -> Vec<String> {
        DIAGNOSTIC_NAMES.iter().map(|&n| n.to_owned()).collect()
    }

    fn save_state(&self, out: &mut dyn Write) -> Result<()> {
        let run = self.run.as_ref().ok_or_else(not_initialised)?;
        checkpoint::write(
            &SavedRef {
                config: &self.config,
                widths: &run.widths,
                samples: run.state.lambda.ncols(),
                state: &run.state,
            },
            out,
        )
    }

    fn load_state(&mut self, input: &mut dyn Read, model: &Mlp, train: &Dataset) -> Result<()> {
        let saved: Saved = checkpoint::read(input)?;
        if saved.config != self.config {
            return Err(OptimError::Checkpoint(format!(
                "the ADMM state was saved with {:?}, this optimizer is configured with {:?}",
                saved.config, self.config
            )));
        }
        if saved.widths != model.widths() || saved.samples != train.len() {
            return Err(OptimError::Checkpoint(format!(
                "the ADMM state is for widths {:?} and {} samples, the run has {:?} and {}",
                saved.widths,
                saved.samples,
                model.widths(),
                train.len()
            )));
        }
        // The cached input factorisation is recomputed from the data.
        self.run = Some(Run::new(&self.config, saved.state, model, train)?);
        Ok(())
    }
}
