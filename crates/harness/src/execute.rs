//! Running cells: resume or start, train under the executor, record everything.

use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::{Context, Result, anyhow};
use indicatif::MultiProgress;
use optim_core::{Budget, Executor, Mlp, Observer, Stream, rng_for};
use serde::Serialize;

use crate::cells::Cell;
use crate::checkpointing::Checkpointing;
use crate::data::{DataCache, LoadedData};
use crate::experiment::Experiment;
use crate::observers::{MetricsWriter, ProgressReporter};
use crate::provenance::Provenance;
use crate::registry;
use crate::store::{CellDir, Status, write_json};

/// How to run an experiment's cells.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Repository root (for git provenance).
    pub root: PathBuf,
    /// Where `results/` lives.
    pub results: PathBuf,
    /// Rerun finished cells from scratch.
    pub force: bool,
    /// Total threads for products and element-wise work.
    pub threads: usize,
    /// Cells run at once; the threads are split between them.
    pub jobs: usize,
}

impl RunOptions {
    /// Runs into `results` under `layout`'s root with every core, one cell at a time,
    /// finished cells kept.
    pub fn new(layout: &crate::Layout, results: &std::path::Path) -> Self {
        Self {
            root: layout.root.clone(),
            results: results.to_path_buf(),
            force: false,
            threads: crate::default_threads(),
            jobs: 1,
        }
    }

    /// `threads` in total (`None`: every core).
    pub fn threads(mut self, threads: Option<usize>) -> Self {
        self.threads = threads.unwrap_or_else(crate::default_threads);
        self
    }

    /// `jobs` cells at once.
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs;
        self
    }

    /// Whether finished cells are rerun from scratch.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }
}

/// What `config.json` holds.
#[derive(Serialize)]
struct CellRecord<'a> {
    experiment: &'a str,
    cell: &'a Cell,
    iterations: usize,
    max_seconds: Option<f64>,
    checkpoint_every: usize,
    widths: Vec<usize>,
    provenance: Provenance,
    #[serde(skip_serializing_if = "Option::is_none")]
    validation: Option<ValidationRecord<'a>>,
}

/// The validation split a cell's choices read: its spec, size and which samples it holds.
#[derive(Serialize)]
struct ValidationRecord<'a> {
    spec: &'a crate::validation::ValidationSpec,
    samples: usize,
    indices_sha256: &'a str,
}

/// The layer widths of `cell` on `data`: input, hidden, classes.
pub fn widths(cell: &Cell, data: &LoadedData) -> Vec<usize> {
    let mut w = vec![data.train.num_features()];
    w.extend(&cell.network.hidden);
    w.push(data.train.num_classes);
    w
}

/// Runs one cell to its budget, resuming from its newest checkpoint if it has one.
pub fn run_cell(
    exp: &Experiment,
    cell: &Cell,
    data: &LoadedData,
    opts: &RunOptions,
    threads: usize,
    multi: &MultiProgress,
    claim_guard: &mut (dyn Observer + Send),
) -> Result<Status> {
    let dir = CellDir::new(&opts.results, &exp.name, &cell.id);
    let iterations = cell.iterations;
    std::fs::create_dir_all(&dir.path).with_context(|| format!("creating {}", dir.path.display()))?;
    dir.clean_temporaries();
    let widths = widths(cell, data);
    let mut optimizer = (registry::find(&cell.optimizer)?.build)(&cell.params)?.optimizer;
    let checkpointing = Checkpointing {
        dir: dir.clone(),
        every: exp.file.checkpoint_every,
    };
    let start = checkpointing
        .start(optimizer.as_mut(), &data.train, |optimizer| {
            let model = Mlp::new(&widths, &cell.network.init, &mut rng_for(cell.seed, Stream::Init, 0))?;
            optimizer.initialize(&model, &data.train, cell.seed)?;
            Ok(model)
        })
        .with_context(|| format!("starting cell {} ({})", cell.id, cell.label))?;
    let (mut model, progress, wall) = (start.model, start.progress, start.wall);
    if progress.next_iteration == 0 || !dir.config().exists() {
        let record = CellRecord {
            experiment: &exp.name,
            cell,
            iterations,
            max_seconds: exp.file.max_seconds,
            checkpoint_every: exp.file.checkpoint_every,
            widths: widths.clone(),
            provenance: Provenance::collect(&opts.root, threads, data.checksums.clone()),
            validation: cell
                .dataset
                .validation
                .as_ref()
                .zip(data.validation.as_ref())
                .map(|(spec, v)| ValidationRecord {
                    spec,
                    samples: v.len(),
                    indices_sha256: data.validation_sha256.as_deref().unwrap_or_default(),
                }),
        };
        write_json(&dir.config(), &record)?;
    }
    std::fs::remove_file(dir.status_path()).ok();
    let header = MetricsWriter::header_with(&optimizer.diagnostic_names(), data.validation.is_some());
    let mut metrics = MetricsWriter::open(dir.metrics(), &header, progress.next_iteration)?;
    metrics.validation = data.validation.as_ref();
    let mut checkpointer = checkpointing.observer(wall);
    let prefix = format!("{} seed {}", cell.label, cell.seed_index);
    let mut reporter = ProgressReporter::new(multi, prefix, progress.next_iteration, iterations);
    let mut executor = Executor {
        optimizer: optimizer.as_mut(),
        model: &mut model,
        train: &data.train,
        test: Some(&data.test),
        budget: Budget {
            iterations,
            max_seconds: exp.file.max_seconds,
        },
        eval_every: exp.file.eval_every,
    };
    let observers: &mut [&mut dyn Observer] = &mut [&mut metrics, &mut checkpointer, &mut reporter, claim_guard];
    let (termination, progress) = executor
        .run(progress, observers)
        .map_err(|e| anyhow!("cell {} ({}): {e}", cell.id, cell.label))?;
    let status = Status {
        termination,
        progress,
        iterations,
        wall_seconds: wall.seconds(),
        wall_partial: wall.is_partial(),
        finished: crate::provenance::now_utc(),
    };
    write_json(&dir.status_path(), &status)?;
    Ok(status)
}

/// Runs `cells` (skipping finished ones unless `force`), `jobs` at a time.
pub fn run_cells(exp: &Experiment, cells: &[Cell], data: &mut DataCache, opts: &RunOptions) -> Result<()> {
    let policy = crate::claim::Policy::from_env()?;
    let mut loaded = Vec::with_capacity(cells.len());
    let mut todo = Vec::new();
    for cell in cells {
        let dir = CellDir::new(&opts.results, &exp.name, &cell.id);
        if opts.force && dir.path.exists() && !crate::share::held_elsewhere(&dir, &policy) {
            std::fs::remove_dir_all(&dir.path).with_context(|| format!("removing {}", dir.path.display()))?;
        }
        if dir.is_done(cell.iterations)? {
            eprintln!(
                "skip {} seed {} (finished: {})",
                cell.label,
                cell.seed_index,
                dir.path.display()
            );
            continue;
        }
        loaded.push(data.get(&cell.dataset)?);
        todo.push(cell);
    }
    let jobs = opts.jobs.clamp(1, todo.len().max(1));
    let threads_per_job = (opts.threads / jobs).max(1);
    let multi = MultiProgress::new();
    let queue = crate::share::WorkQueue::new(todo.into_iter().zip(loaded));
    let errors = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads_per_job).build() {
                    Ok(p) => p,
                    Err(e) => {
                        errors.lock().expect("lock").push(anyhow!("thread pool: {e}"));
                        return;
                    }
                };
                while let Some((cell, data)) = queue.next() {
                    let dir = CellDir::new(&opts.results, &exp.name, &cell.id);
                    let outcome = crate::share::run_claimed(&dir, cell.iterations, &policy, |guard| {
                        pool.install(|| run_cell(exp, cell, &data, opts, threads_per_job, &multi, guard))
                    });
                    match outcome {
                        Ok(crate::share::Outcome::Held(holder)) => {
                            crate::share::note_held(&multi, cell, &holder);
                            queue.held((cell, data));
                        }
                        Ok(crate::share::Outcome::Ran(Ok(_)) | crate::share::Outcome::AlreadyDone) => queue.claimed(),
                        Ok(crate::share::Outcome::Ran(Err(e))) | Err(e) => {
                            queue.claimed();
                            multi.println(format!("error: {e:#}")).ok();
                            errors.lock().expect("lock").push(e);
                        }
                    }
                }
            });
        }
    });
    crate::share::report_held(
        &exp.name,
        &queue.into_held().into_iter().map(|(c, _)| c).collect::<Vec<_>>(),
    );
    let errors = errors.into_inner().expect("lock");
    match errors.len() {
        0 => Ok(()),
        n => Err(anyhow!(
            "{n} cell(s) failed; finished cells are kept. First error: {:#}",
            errors.into_iter().next().expect("one error")
        )),
    }
}
