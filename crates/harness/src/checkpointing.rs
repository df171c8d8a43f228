//! Checkpointing as a plug-in of the executor, as argmin attaches its checkpointing: a run
//! starts from the newest checkpoint of its directory if there is one ([`Checkpointing::start`]),
//! and an observer attached to [`optim_core::Executor`] saves one every few iterations and at
//! the end ([`Checkpointing::observer`]). The runner attaches it to every cell; a library user
//! attaches it to a loop of their own the same way.
//!
//! ```no_run
//! use harness::checkpointing::Checkpointing;
//! use harness::store::CellDir;
//! use optim_core::{Budget, Executor, Observer};
//! # fn run(optimizer: &mut dyn optim_core::Optimizer, train: &optim_core::Dataset,
//! #        fresh: optim_core::Mlp) -> anyhow::Result<()> {
//! let checkpointing = Checkpointing { dir: CellDir { path: "runs/mine".into() }, every: 5 };
//! // Resumes where an interrupted run stopped, or starts from `fresh`.
//! let start = checkpointing.start(optimizer, train, |opt| {
//!     opt.initialize(&fresh, train, 0)?;
//!     Ok(fresh)
//! })?;
//! let mut model = start.model;
//! let mut saver = checkpointing.observer(start.wall);
//! let mut executor = Executor {
//!     optimizer,
//!     model: &mut model,
//!     train,
//!     test: None,
//!     budget: Budget { iterations: 100, max_seconds: None },
//!     eval_every: 1,
//! };
//! let observers: &mut [&mut dyn Observer] = &mut [&mut saver];
//! let (termination, _) = executor.run(start.progress, observers)?;
//! # Ok(()) }
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use optim_core::{Dataset, Mlp, Optimizer, Progress};

use crate::observers::Checkpointer;
use crate::store::{CellDir, WallClock, load_checkpoint};

/// Where and how often a run saves checkpoints.
#[derive(Debug, Clone)]
pub struct Checkpointing {
    /// The run's directory: checkpoints are `checkpoint-<iteration>/` inside it.
    pub dir: CellDir,
    /// Save every this many iterations (and when the run ends).
    pub every: usize,
}

/// Where a run starts.
pub struct Start {
    /// The parameters to train.
    pub model: Mlp,
    /// The iteration to start from and the update seconds already spent.
    pub progress: Progress,
    /// The run's wall clock, carrying the time of the runs it resumes.
    pub wall: WallClock,
    /// The checkpoint it resumed from, if any.
    pub resumed_from: Option<PathBuf>,
}

impl Checkpointing {
    /// The newest checkpoint restored into `optimizer`, or, without one, `fresh(optimizer)`: a
    /// new model, the optimizer initialised for it.
    pub fn start(
        &self,
        optimizer: &mut dyn Optimizer,
        train: &Dataset,
        fresh: impl FnOnce(&mut dyn Optimizer) -> optim_core::Result<Mlp>,
    ) -> Result<Start> {
        let started = Instant::now();
        match self.dir.checkpoints().pop() {
            Some((_, checkpoint)) => {
                let resumed = load_checkpoint(&checkpoint, optimizer, train)
                    .with_context(|| format!("resuming from {}", checkpoint.display()))?;
                Ok(Start {
                    model: resumed.model,
                    progress: resumed.progress,
                    wall: WallClock::resume(started, resumed.wall_seconds),
                    resumed_from: Some(checkpoint),
                })
            }
            None => Ok(Start {
                model: fresh(optimizer)?,
                progress: Progress::default(),
                wall: WallClock::resume(started, Some(0.0)),
                resumed_from: None,
            }),
        }
    }

    /// The observer that saves the checkpoints, to attach to the executor.
    pub fn observer(&self, wall: WallClock) -> Checkpointer {
        Checkpointer {
            dir: self.dir.clone(),
            every: self.every,
            wall,
        }
    }
}
