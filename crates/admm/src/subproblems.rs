//! ADMM's block updates one at a time, for benchmarks and experiments that time or study a
//! single subproblem outside a full iteration (docs/admm.md#iteration).
//!
//! [`Subproblems`] holds a problem initialised as [`Admm`](crate::Admm) initialises it;
//! [`Subproblems::run`] takes one update of one block from the current point with the code
//! the iteration runs. Repeated calls keep updating the same block.

use std::fmt;

use optim_core::{Dataset, Mlp, Result};

use crate::config::AdmmConfig;
use crate::optimizer::Run;

/// One block update of an ADMM iteration. Layers are numbered from 1 to `L`, as in
/// docs/admm.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subproblem {
    /// `W_l` (and `b_l`) by least squares, `1 <= l <= L`.
    Weights(usize),
    /// `a_l` of a hidden layer `l < L`: a linear system.
    Activation(usize),
    /// `z_l` of a hidden layer `l < L`: closed form.
    HiddenZ(usize),
    /// `z_L`: closed form for the hinge, FISTA for cross-entropy (with the product
    /// `W_L a_{L-1}` it reads).
    OutputZ,
    /// The Bregman update of the multiplier (with the product `W_L a_{L-1}` it reads).
    Multiplier,
}

impl fmt::Display for Subproblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Weights(l) => write!(f, "W_{l}"),
            Self::Activation(l) => write!(f, "a_{l}"),
            Self::HiddenZ(l) => write!(f, "z_{l}"),
            Self::OutputZ => write!(f, "z_L"),
            Self::Multiplier => write!(f, "lambda"),
        }
    }
}

/// An ADMM problem whose block updates can be taken one at a time.
#[derive(Debug)]
pub struct Subproblems {
    config: AdmmConfig,
    model: Mlp,
    train: Dataset,
    run: Run,
}

impl Subproblems {
    /// Validates `config` and initialises the blocks from `model` on `train`, as
    /// [`Optimizer::initialize`](optim_core::Optimizer::initialize) does.
    pub fn new(config: &AdmmConfig, model: Mlp, train: Dataset) -> Result<Self> {
        config.validate()?;
        let run = Run::start(config, &model, &train)?;
        Ok(Self {
            config: config.clone(),
            model,
            train,
            run,
        })
    }

    /// Every block update of one iteration, in the order the iteration takes them.
    pub fn all(&self) -> Vec<Subproblem> {
        let depth = self.model.depth();
        let mut list = Vec::new();
        for l in 1..depth {
            list.extend([
                Subproblem::Weights(l),
                Subproblem::Activation(l),
                Subproblem::HiddenZ(l),
            ]);
        }
        list.extend([Subproblem::Weights(depth), Subproblem::OutputZ, Subproblem::Multiplier]);
        list
    }

    /// The current weights and biases.
    pub fn model(&self) -> &Mlp {
        &self.model
    }

    /// Takes one update of `which` from the current point (the multiplier update as after
    /// the warm start).
    pub fn run(&mut self, which: Subproblem) -> Result<()> {
        let depth = self.model.depth();
        let layer = |l: usize, hidden: bool| admm_kernels::subproblem_layer(&which, l, depth, hidden);
        let (config, run, model) = (&self.config, &mut self.run, &mut self.model);
        let x = self.train.features.view();
        match which {
            Subproblem::Weights(l) => run.weights(config, layer(l, false)?, model, &x),
            Subproblem::Activation(l) => run.activation(config, layer(l, true)?, model),
            Subproblem::HiddenZ(l) => run.hidden_z(config, layer(l, true)?, model, &x).map(|_| ()),
            Subproblem::OutputZ => {
                run.output_product(model, &x);
                run.output_z(config, model, &self.train.labels);
                Ok(())
            }
            Subproblem::Multiplier => {
                run.output_product(model, &x);
                run.close(config, model, &self.train.labels, true).map(|_| ())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optim_core::synthetic::{BlobsConfig, blobs};
    use optim_core::{Init, Optimizer, Stream, rng_for};

    fn problem() -> (Mlp, Dataset) {
        let data = blobs(
            &BlobsConfig {
                samples: 300,
                features: 6,
                classes: 3,
                separation: 1.5,
            },
            3,
        );
        let model = Mlp::new(&[6, 9, 7, 3], &Init::default(), &mut rng_for(3, Stream::Init, 0)).unwrap();
        (model, data)
    }

    /// Every block in the iteration's order is one iteration after the warm start: the
    /// model and the auxiliary variables end where one step of the optimizer leaves them,
    /// bit for bit.
    #[test]
    fn all_in_order_is_one_iteration() {
        let (model, data) = problem();
        let config = AdmmConfig {
            warm_start_iterations: 0,
            ..AdmmConfig::default()
        };
        let mut blocks = Subproblems::new(&config, model.clone(), data.clone()).unwrap();
        let names: Vec<String> = blocks.all().iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            ["W_1", "a_1", "z_1", "W_2", "a_2", "z_2", "W_3", "z_L", "lambda"]
        );
        for s in blocks.all() {
            blocks.run(s).unwrap();
        }
        let mut optimizer = crate::Admm::new(config).unwrap();
        let mut stepped = model;
        optimizer.initialize(&stepped, &data, 0).unwrap();
        optimizer.step(&mut stepped, &data, 0).unwrap();
        assert_eq!(blocks.model(), &stepped);
        let state = optimizer.state().unwrap();
        assert_eq!(blocks.run.state.z, state.z);
        assert_eq!(blocks.run.state.a, state.a);
        assert_eq!(blocks.run.state.lambda, state.lambda);
    }

    #[test]
    fn out_of_range_layers_are_errors() {
        let (model, data) = problem();
        let mut blocks = Subproblems::new(&AdmmConfig::default(), model, data).unwrap();
        for bad in [
            Subproblem::Weights(0),
            Subproblem::Weights(4),
            Subproblem::Activation(3),
            Subproblem::HiddenZ(0),
        ] {
            let err = blocks.run(bad).unwrap_err().to_string();
            assert!(err.contains(&bad.to_string()) && err.contains("3 layers"), "{err}");
        }
    }
}
