//! The training-algorithm trait every optimizer implements.

use std::io::{Read, Write};

use crate::dataset::Dataset;
use crate::diagnostics::Diagnostics;
use crate::error::Result;
use crate::model::Mlp;

/// A training algorithm at the level of whole iterations.
///
/// One call of [`Optimizer::step`] is one iteration: one pass over the training data (an
/// epoch of mini-batches for gradient rules, one backward and forward sweep for dlADMM).
/// The optimizer owns all of its state (moments, auxiliary variables `z_l`, `a_l`, duals,
/// penalty parameters) and leaves the trained parameters in the shared [`Mlp`], so that
/// evaluation, checkpoints and plots never depend on which optimizer ran.
///
/// Optimizers never print, time themselves or write files: the executor owns the loop.
pub trait Optimizer: Send {
    /// Prepares the state for training `model` on `train`: allocates per-layer variables,
    /// resets counters. `seed` is the run's seed; derive any randomness from it.
    fn initialize(&mut self, model: &Mlp, train: &Dataset, seed: u64) -> Result<()>;

    /// Runs iteration `iteration` (0-based) and returns its diagnostics.
    ///
    /// A non-finite value must end the step with [`crate::OptimError::NonFinite`]; the
    /// executor then stops the run as diverged and keeps everything recorded so far.
    fn step(&mut self, model: &mut Mlp, train: &Dataset, iteration: usize) -> Result<Diagnostics>;

    /// Bookkeeping that ends iteration `iteration` outside its timed update: the executor
    /// calls it right after [`Optimizer::step`], untimed like the evaluation, and before any
    /// observer sees the iteration (so checkpoints include it); its diagnostics follow the
    /// step's. Default: nothing.
    ///
    /// This is for work that the method's own accounting does not count as training, such as
    /// the training cost that the reference dlADMM code reads from its untimed evaluation to
    /// adapt its penalty. A caller that drives [`Optimizer::step`] alone must get the same run:
    /// an optimizer doing work here does it at the start of the next step when it was not
    /// called, so only where the seconds are counted differs.
    fn after_step(&mut self, model: &Mlp, train: &Dataset, iteration: usize) -> Result<Diagnostics> {
        let _ = (model, train, iteration);
        Ok(Diagnostics::new())
    }

    /// Names of the diagnostics [`Optimizer::step`] and then [`Optimizer::after_step`]
    /// report, in order.
    fn diagnostic_names(&self) -> Vec<String>;

    /// Writes the optimizer's state (not the model) so that [`Optimizer::load_state`] can
    /// resume the run exactly.
    fn save_state(&self, out: &mut dyn Write) -> Result<()>;

    /// Restores a state written by [`Optimizer::save_state`] for this `model` and `train`,
    /// replacing [`Optimizer::initialize`].
    fn load_state(&mut self, input: &mut dyn Read, model: &Mlp, train: &Dataset) -> Result<()>;
}
