//! The conformance suite every optimizer crate runs in its own tests.
//!
//! ```ignore
//! #[test]
//! fn conforms() {
//!     optim_core::conformance::Conformance::default().check_all(&|| my_optimizer());
//! }
//! ```

use crate::dataset::Dataset;
use crate::executor::{Budget, Executor, History, IterationRecord, Progress, Termination};
use crate::init::Init;
use crate::model::Mlp;
use crate::optimizer::Optimizer;
use crate::rng::{Stream, rng_for};
use crate::synthetic::{BlobsConfig, blobs};

/// A small synthetic problem and the properties every optimizer must show on it.
#[derive(Debug, Clone)]
pub struct Conformance {
    /// Layer widths; the first must equal `data.features`, the last `data.classes`.
    pub widths: Vec<usize>,
    /// The synthetic training data.
    pub data: BlobsConfig,
    /// Initialisation of the network.
    pub init: Init,
    /// Iterations for the loss-decrease check (and twice the resume split point).
    pub iterations: usize,
    /// The final training loss must be below this fraction of the initial one.
    pub loss_ratio: f64,
    /// Run seed.
    pub seed: u64,
}

impl Default for Conformance {
    /// Three layers on 300 four-class samples, 10 iterations, loss must at least halve.
    fn default() -> Self {
        Self {
            widths: vec![10, 16, 16, 4],
            data: BlobsConfig {
                samples: 300,
                features: 10,
                classes: 4,
                separation: 1.0,
            },
            init: Init::KaimingNormal,
            iterations: 10,
            loss_ratio: 0.5,
            seed: 42,
        }
    }
}

/// A factory of fresh, unconfigured-state optimizers.
pub type Factory<'a> = &'a dyn Fn() -> Box<dyn Optimizer>;

impl Conformance {
    fn problem(&self) -> (Dataset, Mlp) {
        let data = blobs(&self.data, self.seed);
        let model =
            Mlp::new(&self.widths, &self.init, &mut rng_for(self.seed, Stream::Init, 0)).expect("valid test network");
        (data, model)
    }

    fn run(
        &self,
        optimizer: &mut dyn Optimizer,
        model: &mut Mlp,
        data: &Dataset,
        from: usize,
        to: usize,
    ) -> (Termination, Vec<IterationRecord>) {
        let mut history = History::default();
        let mut executor = Executor {
            optimizer,
            model,
            train: data,
            test: None,
            budget: Budget {
                iterations: to,
                max_seconds: None,
            },
            eval_every: 1,
        };
        let progress = Progress {
            next_iteration: from,
            cumulative_seconds: 0.0,
        };
        let (termination, _) = executor
            .run(progress, &mut [&mut history])
            .expect("run without I/O errors");
        (termination, history.records)
    }

    fn fresh_run(&self, make: Factory<'_>, iterations: usize) -> (Mlp, Vec<IterationRecord>) {
        let (data, mut model) = self.problem();
        let mut opt = make();
        opt.initialize(&model, &data, self.seed).expect("initialize");
        let (termination, records) = self.run(opt.as_mut(), &mut model, &data, 0, iterations);
        assert_eq!(termination, Termination::Completed, "the run must complete");
        (model, records)
    }

    /// Runs every check.
    pub fn check_all(&self, make: Factory<'_>) {
        self.check_deterministic(make);
        self.check_resume(make);
        self.check_loss_decreases(make);
    }

    /// The same seed gives the same run: parameters and diagnostics bit for bit.
    pub fn check_deterministic(&self, make: Factory<'_>) {
        let (m1, r1) = self.fresh_run(make, 3);
        let (m2, r2) = self.fresh_run(make, 3);
        assert_eq!(m1, m2, "same seed, different parameters");
        for (a, b) in r1.iter().zip(&r2) {
            assert_eq!(
                a.diagnostics, b.diagnostics,
                "same seed, different diagnostics at {}",
                a.iteration
            );
            assert_eq!(a.train, b.train);
        }
    }

    /// Saving and restoring mid-run (model and optimizer state through their byte
    /// encodings, into a fresh optimizer) continues exactly like the uninterrupted run.
    pub fn check_resume(&self, make: Factory<'_>) {
        let split = (self.iterations / 2).max(1);
        let total = 2 * split;
        let (straight_model, straight) = self.fresh_run(make, total);

        let (data, mut model) = self.problem();
        let mut first = make();
        first.initialize(&model, &data, self.seed).expect("initialize");
        self.run(first.as_mut(), &mut model, &data, 0, split);
        let mut state = Vec::new();
        first.save_state(&mut state).expect("save state");
        let model_bytes = postcard::to_stdvec(&model).expect("encode model");
        drop(first);

        let mut model: Mlp = postcard::from_bytes(&model_bytes).expect("decode model");
        let mut second = make();
        second
            .load_state(&mut state.as_slice(), &model, &data)
            .expect("load state");
        let (termination, resumed) = self.run(second.as_mut(), &mut model, &data, split, total);
        assert_eq!(termination, Termination::Completed);
        assert_eq!(model, straight_model, "resumed run ends with different parameters");
        for (a, b) in straight[split..].iter().zip(&resumed) {
            assert_eq!(a.iteration, b.iteration);
            assert_eq!(
                a.diagnostics, b.diagnostics,
                "resumed diagnostics differ at {}",
                a.iteration
            );
        }
    }

    /// Training loss falls below `loss_ratio` times the initial loss, and every parameter
    /// and diagnostic stays finite throughout.
    pub fn check_loss_decreases(&self, make: Factory<'_>) {
        let (data, model) = self.problem();
        let initial = model.evaluate(&data).loss;
        let (model, records) = self.fresh_run(make, self.iterations);
        for r in &records {
            assert!(
                r.diagnostics.first_non_finite().is_none(),
                "non-finite diagnostic at {}: {:?}",
                r.iteration,
                r.diagnostics
            );
            assert!(
                r.train.is_some_and(|t| t.loss.is_finite()),
                "training loss not finite at {}",
                r.iteration
            );
        }
        assert!(model.first_non_finite().is_none(), "non-finite parameters");
        let last = records
            .last()
            .and_then(|r| r.train)
            .expect("an evaluated last iteration")
            .loss;
        assert!(
            last < self.loss_ratio * initial,
            "training loss went from {initial} to {last}, not below {} of it",
            self.loss_ratio
        );
    }
}
