//! dlADMM's subproblems one at a time, for benchmarks and experiments that time or study a
//! single block update outside a full iteration (docs/dladmm.md#update-order).
//!
//! [`Subproblems`] holds a problem initialised as [`Dladmm`](crate::Dladmm) initialises it.
//! [`Subproblems::run`] takes one update of one block from the current point with the same
//! code the sweeps run, preparing whatever the sweep would have left in the buffers before
//! it (the layer residual a `W_l` or `a_l` step reads). Repeated calls keep updating the
//! same block, each from the point the last one left.

use std::fmt;

use optim_core::{Dataset, Mlp, OptimError, Result};

use crate::config::DladmmConfig;
use crate::optimizer::{check_problem, settings};
use crate::state::State;
use crate::sweep::{Blocks, Counters, Settings};
use crate::w_step::Carry;
use crate::workspace::Workspace;

/// One block update of a dlADMM iteration. Layers are numbered from 1 to `L`, as in
/// docs/dladmm.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subproblem {
    /// `z_L`: the output subproblem, solved by the configured `output_solver`.
    OutputZ,
    /// `b_L`: closed form.
    OutputBias,
    /// `W_l` by a backtracked gradient step; for `l = 1`, the pair of consecutive `W_1`
    /// steps that ends the backward sweep and starts the forward sweep.
    Weights(usize),
    /// `b_l` of a hidden layer `l < L`: closed form.
    HiddenBias(usize),
    /// `z_l` of a hidden layer `l < L`: the ReLU proximal map.
    HiddenZ(usize),
    /// `a_l` of a hidden layer `l < L` by a backtracked gradient step (forward form).
    Activation(usize),
    /// The dual update of `u`.
    Dual,
}

impl fmt::Display for Subproblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutputZ => write!(f, "z_L"),
            Self::OutputBias => write!(f, "b_L"),
            Self::Weights(l) => write!(f, "W_{l}"),
            Self::HiddenBias(l) => write!(f, "b_{l}"),
            Self::HiddenZ(l) => write!(f, "z_{l}"),
            Self::Activation(l) => write!(f, "a_{l}"),
            Self::Dual => write!(f, "u"),
        }
    }
}

/// A dlADMM problem whose block updates can be taken one at a time.
#[derive(Debug)]
pub struct Subproblems {
    model: Mlp,
    train: Dataset,
    state: State,
    work: Workspace,
    settings: Settings,
    counters: Counters,
}

impl Subproblems {
    /// Validates `config` and initialises the blocks from `model` on `train`, as
    /// [`Optimizer::initialize`](optim_core::Optimizer::initialize) does, with the penalties
    /// and inner-solver settings of the first iteration.
    pub fn new(config: &DladmmConfig, model: Mlp, train: Dataset) -> Result<Self> {
        let params = config.validate()?;
        check_problem(&model, &train)?;
        let state = State::initial(&model, &train, &params);
        let work = Workspace::new(&model, &train.features.view(), false);
        let settings = settings(&params, &state);
        Ok(Self {
            model,
            train,
            state,
            work,
            settings,
            counters: Counters::default(),
        })
    }

    /// Every block update of one iteration, from the output layer down.
    pub fn all(&self) -> Vec<Subproblem> {
        let depth = self.model.depth();
        let mut list = vec![Subproblem::OutputZ, Subproblem::OutputBias, Subproblem::Weights(depth)];
        for l in (1..depth).rev() {
            list.extend([
                Subproblem::Activation(l),
                Subproblem::HiddenZ(l),
                Subproblem::HiddenBias(l),
                Subproblem::Weights(l),
            ]);
        }
        list.push(Subproblem::Dual);
        list
    }

    /// The current weights and biases.
    pub fn model(&self) -> &Mlp {
        &self.model
    }

    /// Takes one update of `which` from the current point.
    pub fn run(&mut self, which: Subproblem) -> Result<()> {
        let depth = self.model.depth();
        let layer = |l: usize, hidden: bool| admm_kernels::subproblem_layer(&which, l, depth, hidden);
        let x = self.train.features.view();
        let mut blocks = Blocks {
            model: &mut self.model,
            labels: &self.train.labels,
            state: &mut self.state,
            work: &mut self.work,
            settings: &self.settings,
            counters: &mut self.counters,
        };
        match which {
            Subproblem::OutputZ => blocks.output_z(),
            Subproblem::OutputBias => blocks.output_bias(),
            Subproblem::Weights(1) => blocks.input_pair(&x),
            Subproblem::Weights(l) => {
                let k = layer(l, false)?;
                blocks.residual(k);
                blocks.weights(k, Carry::WithResidual)
            }
            Subproblem::HiddenBias(l) => blocks.hidden_bias(layer(l, true)?),
            Subproblem::HiddenZ(l) => {
                let k = layer(l, true)?;
                let sums = blocks.hidden_z(k);
                if sums.residual.is_finite() {
                    Ok(())
                } else {
                    Err(OptimError::NonFinite {
                        what: which.to_string(),
                    })
                }
            }
            Subproblem::Activation(l) => {
                let k = layer(l, true)?;
                blocks.residual(k + 1);
                blocks.activation(k, true).map(|_| ())
            }
            Subproblem::Dual => blocks.dual().map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RhoSchedule;
    use optim_core::synthetic::{BlobsConfig, blobs};
    use optim_core::{Init, Stream, rng_for};

    fn problem() -> (Mlp, Dataset) {
        let data = blobs(
            &BlobsConfig {
                samples: 300,
                features: 6,
                classes: 3,
                separation: 1.5,
            },
            2,
        );
        let model = Mlp::new(&[6, 9, 7, 3], &Init::default(), &mut rng_for(2, Stream::Init, 0)).unwrap();
        (model, data)
    }

    fn config() -> DladmmConfig {
        DladmmConfig {
            rho: 0.5,
            rho_schedule: Some(RhoSchedule::Fixed),
            ..DladmmConfig::default()
        }
    }

    #[test]
    fn all_lists_one_iteration_from_the_output_down() {
        let (model, data) = problem();
        let blocks = Subproblems::new(&config(), model, data).unwrap();
        let names: Vec<String> = blocks.all().iter().map(ToString::to_string).collect();
        let expected = [
            "z_L", "b_L", "W_3", "a_2", "z_2", "b_2", "W_2", "a_1", "z_1", "b_1", "W_1", "u",
        ];
        assert_eq!(names, expected);
    }

    /// `b_l` is the closed-form minimiser `mean_j (z_l - W_l a_{l-1})`, against a product
    /// formed afresh, after every other block of the layer below has moved.
    #[test]
    fn hidden_bias_is_the_mean_of_the_fresh_residual() {
        let (model, data) = problem();
        let mut blocks = Subproblems::new(&config(), model, data).unwrap();
        for s in [
            Subproblem::Weights(1),
            Subproblem::Activation(1),
            Subproblem::Weights(2),
        ] {
            blocks.run(s).unwrap();
        }
        blocks.run(Subproblem::HiddenBias(2)).unwrap();
        let input = &blocks.state.a[0];
        let fresh = optim_core::linalg::matmul(&blocks.model.layers[1].weight.view(), &input.view());
        let z = &blocks.state.z[1];
        for (i, b) in blocks.model.layers[1].bias.iter().enumerate() {
            let mean = (z.row(i).to_owned() - fresh.row(i)).mean().unwrap();
            assert!((b - mean).abs() < 1e-5, "b_2[{i}] = {b}, mean {mean}");
        }
    }

    /// The `z_l` update is an exact minimiser of its block: taken twice from the same
    /// point it lands on the same values, bit for bit.
    #[test]
    fn hidden_z_is_a_fixed_point() {
        let (model, data) = problem();
        let mut blocks = Subproblems::new(&config(), model, data).unwrap();
        blocks.run(Subproblem::Weights(2)).unwrap();
        blocks.run(Subproblem::HiddenZ(2)).unwrap();
        let once = blocks.state.z[1].clone();
        blocks.run(Subproblem::HiddenZ(2)).unwrap();
        assert_eq!(blocks.state.z[1], once);
    }

    #[test]
    fn each_subproblem_changes_only_its_block() {
        let (model, data) = problem();
        let mut blocks = Subproblems::new(&config(), model, data).unwrap();
        let before = blocks.model().clone();
        blocks.run(Subproblem::HiddenZ(2)).unwrap();
        assert_eq!(blocks.model(), &before, "z_2 leaves weights and biases alone");
        blocks.run(Subproblem::HiddenBias(2)).unwrap();
        assert_eq!(blocks.model().layers[2], before.layers[2]);
        assert_eq!(blocks.model().layers[0], before.layers[0]);
        assert_ne!(blocks.model().layers[1].bias, before.layers[1].bias);
        blocks.run(Subproblem::Weights(3)).unwrap();
        assert_ne!(blocks.model().layers[2].weight, before.layers[2].weight);
        assert_eq!(blocks.model().layers[0], before.layers[0]);
    }

    #[test]
    fn out_of_range_layers_are_errors() {
        let (model, data) = problem();
        let mut blocks = Subproblems::new(&config(), model, data).unwrap();
        for bad in [
            Subproblem::Weights(0),
            Subproblem::Weights(4),
            Subproblem::HiddenZ(3),
            Subproblem::Activation(3),
            Subproblem::HiddenBias(0),
        ] {
            let err = blocks.run(bad).unwrap_err().to_string();
            assert!(err.contains(&bad.to_string()) && err.contains("3 layers"), "{err}");
        }
    }
}
