//! The training loop: timed updates, untimed evaluation, observers, termination.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::diagnostics::Diagnostics;
use crate::error::{OptimError, Result};
use crate::model::{Evaluation, Mlp};
use crate::optimizer::Optimizer;

/// Where a run stands: what a checkpoint must carry besides the model and optimizer state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The next iteration to run (iterations done so far).
    pub next_iteration: usize,
    /// Seconds spent in updates so far (evaluation excluded).
    pub cumulative_seconds: f64,
}

/// Everything measured about one iteration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IterationRecord {
    /// 0-based iteration index.
    pub iteration: usize,
    /// Seconds of this iteration's update (evaluation excluded).
    pub update_seconds: f64,
    /// Update seconds summed over iterations `0..=iteration`.
    pub cumulative_seconds: f64,
    /// Mean loss and accuracy on the training set after the update (`None` on iterations
    /// the evaluation schedule skips).
    pub train: Option<Evaluation>,
    /// The same on the test set, if one is given and this iteration is evaluated.
    pub test: Option<Evaluation>,
    /// The optimizer's own diagnostics.
    pub diagnostics: Diagnostics,
}

impl IterationRecord {
    /// Name of the first non-finite value of the record (diagnostics, losses), if any.
    pub fn first_non_finite(&self) -> Option<String> {
        self.diagnostics.first_non_finite().map(str::to_owned).or_else(|| {
            self.train
                .is_some_and(|t| !t.loss.is_finite())
                .then(|| "training loss".to_owned())
        })
    }
}

/// Why a run ended: a value, never a panic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Termination {
    /// The iteration budget was used.
    Completed,
    /// The wall-time budget was used.
    TimeBudget,
    /// A value became non-finite at `iteration`.
    Diverged {
        /// The iteration that produced the non-finite value.
        iteration: usize,
        /// Which value.
        what: String,
    },
    /// An observer asked to stop (e.g. an accuracy target was reached).
    Stopped {
        /// Why.
        reason: String,
    },
}

/// What an observer tells the executor after an iteration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// End the run with [`Termination::Stopped`].
    Stop(String),
}

/// Read access to the run for observers (checkpointing needs the model and the state).
pub struct RunView<'a> {
    /// The model after the iteration.
    pub model: &'a Mlp,
    /// The optimizer after the iteration.
    pub optimizer: &'a dyn Optimizer,
    /// Progress including the iteration just finished.
    pub progress: Progress,
}

/// A plug-in that sees every iteration: metrics writer, progress bar, checkpointer, ...
pub trait Observer {
    /// Called after each iteration's update and evaluation.
    fn observe(&mut self, run: &RunView<'_>, record: &IterationRecord) -> Result<Control>;

    /// Called once when the run ends.
    fn finish(&mut self, _run: &RunView<'_>, _termination: &Termination) -> Result<()> {
        Ok(())
    }
}

/// Budgets that end a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Iterations (epochs) to run in total.
    pub iterations: usize,
    /// Optional limit on cumulative update seconds.
    pub max_seconds: Option<f64>,
}

/// Owns the training loop of one run (as argmin's executor does).
pub struct Executor<'a> {
    /// The algorithm.
    pub optimizer: &'a mut dyn Optimizer,
    /// The parameters being trained.
    pub model: &'a mut Mlp,
    /// Training data (what the optimizer sees).
    pub train: &'a Dataset,
    /// Held-out data, evaluated but never trained on.
    pub test: Option<&'a Dataset>,
    /// When to stop.
    pub budget: Budget,
    /// Evaluate after iterations `0, k, 2k, ...` and the last one (1: every iteration).
    pub eval_every: usize,
}

impl Executor<'_> {
    /// Runs from `progress` (zero for a fresh run, a checkpoint's value when resuming) until
    /// a budget is used or a value diverges. The optimizer must already be initialised or
    /// restored. Errors are real failures (I/O, shapes); divergence is a [`Termination`].
    pub fn run(
        &mut self,
        mut progress: Progress,
        observers: &mut [&mut dyn Observer],
    ) -> Result<(Termination, Progress)> {
        let termination = loop {
            if progress.next_iteration >= self.budget.iterations {
                break Termination::Completed;
            }
            if self
                .budget
                .max_seconds
                .is_some_and(|s| progress.cumulative_seconds >= s)
            {
                break Termination::TimeBudget;
            }
            let iteration = progress.next_iteration;
            let start = Instant::now();
            let stepped = self.optimizer.step(self.model, self.train, iteration);
            let update_seconds = start.elapsed().as_secs_f64();
            let diagnostics = match stepped {
                Ok(d) => d,
                Err(OptimError::NonFinite { what }) => {
                    break Termination::Diverged { iteration, what };
                }
                Err(e) => return Err(e),
            };
            progress = Progress {
                next_iteration: iteration + 1,
                cumulative_seconds: progress.cumulative_seconds + update_seconds,
            };
            let evaluated = iteration.is_multiple_of(self.eval_every.max(1)) || iteration + 1 == self.budget.iterations;
            let train = evaluated.then(|| self.model.evaluate(self.train));
            let test = self.test.filter(|_| evaluated).map(|t| self.model.evaluate(t));
            let record = IterationRecord {
                iteration,
                update_seconds,
                cumulative_seconds: progress.cumulative_seconds,
                train,
                test,
                diagnostics,
            };
            let non_finite = record.first_non_finite();
            let view = RunView {
                model: self.model,
                optimizer: &*self.optimizer,
                progress,
            };
            let mut stop = None;
            for o in observers.iter_mut() {
                if let Control::Stop(reason) = o.observe(&view, &record)? {
                    stop.get_or_insert(reason);
                }
            }
            if let Some(what) = non_finite {
                break Termination::Diverged { iteration, what };
            }
            if let Some(reason) = stop {
                break Termination::Stopped { reason };
            }
        };
        let view = RunView {
            model: self.model,
            optimizer: &*self.optimizer,
            progress,
        };
        for o in observers.iter_mut() {
            o.finish(&view, &termination)?;
        }
        Ok((termination, progress))
    }
}

/// An observer that keeps every record in memory (tests, small runs).
#[derive(Debug, Default)]
pub struct History {
    /// The records, in order.
    pub records: Vec<IterationRecord>,
}

impl Observer for History {
    fn observe(&mut self, _run: &RunView<'_>, record: &IterationRecord) -> Result<Control> {
        self.records.push(record.clone());
        Ok(Control::Continue)
    }
}
