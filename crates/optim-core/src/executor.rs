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
            let finished = stepped.and_then(|mut d| {
                d.append(self.optimizer.after_step(self.model, self.train, iteration)?);
                Ok(d)
            });
            let diagnostics = match finished {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{BlobsConfig, blobs};
    use crate::{Init, Stream, rng_for};

    /// Counts its calls; `after_step` reports how many steps preceded it.
    #[derive(Default)]
    struct Counting {
        steps: usize,
        afters: Vec<usize>,
    }

    impl Optimizer for Counting {
        fn initialize(&mut self, _: &Mlp, _: &Dataset, _: u64) -> Result<()> {
            Ok(())
        }
        fn step(&mut self, _: &mut Mlp, _: &Dataset, _: usize) -> Result<Diagnostics> {
            self.steps += 1;
            let mut d = Diagnostics::new();
            d.push("steps", self.steps as f64);
            Ok(d)
        }
        fn after_step(&mut self, _: &Mlp, _: &Dataset, iteration: usize) -> Result<Diagnostics> {
            assert_eq!(self.steps, iteration + 1, "after_step follows its own step");
            self.afters.push(iteration);
            let mut d = Diagnostics::new();
            d.push("after", iteration as f64);
            Ok(d)
        }
        fn diagnostic_names(&self) -> Vec<String> {
            vec!["steps".into(), "after".into()]
        }
        fn save_state(&self, _: &mut dyn std::io::Write) -> Result<()> {
            Ok(())
        }
        fn load_state(&mut self, _: &mut dyn std::io::Read, _: &Mlp, _: &Dataset) -> Result<()> {
            Ok(())
        }
    }

    /// The executor runs `after_step` after every step, before the observers, and appends
    /// its diagnostics to the step's.
    #[test]
    fn after_step_runs_after_each_step_and_its_diagnostics_follow() {
        let data = blobs(
            &BlobsConfig {
                samples: 20,
                features: 3,
                classes: 2,
                separation: 1.0,
            },
            0,
        );
        let mut model = Mlp::new(&[3, 4, 2], &Init::default(), &mut rng_for(0, Stream::Init, 0)).unwrap();
        let mut optimizer = Counting::default();
        let mut history = History::default();
        let mut executor = Executor {
            optimizer: &mut optimizer,
            model: &mut model,
            train: &data,
            test: None,
            budget: Budget {
                iterations: 3,
                max_seconds: None,
            },
            eval_every: 1,
        };
        let (termination, _) = executor.run(Progress::default(), &mut [&mut history]).unwrap();
        assert_eq!(termination, Termination::Completed);
        assert_eq!(optimizer.afters, vec![0, 1, 2]);
        for (k, r) in history.records.iter().enumerate() {
            let names: Vec<&str> = r.diagnostics.iter().map(|(n, _)| n).collect();
            assert_eq!(names, ["steps", "after"]);
            assert_eq!(r.diagnostics.get("after"), Some(k as f64));
        }
    }
}
