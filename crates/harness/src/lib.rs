//! Experiments as data: the library behind `runner exp`.
//!
//! An experiment file (`experiments/NAME.toml`) names a dataset, a network and a list of
//! optimizer entries with hyper-parameters, some of them lists to sweep. This crate reads and
//! checks it ([`experiment`]; a validation split: [`validation`], random search: [`search`],
//! scoring rules: [`scoring`]), expands it into cells, one per configuration and seed, each
//! identified by a hash of its content ([`cells`]), builds each cell's optimizer from the
//! [`registry`], runs the cells resumably into a results store ([`execute`], [`store`]),
//! splits and merges work across machines ([`shard`]) and reruns stored cells to check them
//! ([`replay`]).
//!
//! ```no_run
//! use harness::{Layout, cells, experiment::Experiment};
//!
//! # fn main() -> anyhow::Result<()> {
//! let layout = Layout::at(".");
//! let exp = Experiment::load(&layout.root, "synthetic-demo")?;
//! let cells = cells::expand(&exp)?;
//! harness::run_cells(&exp, &cells, &layout.results, &layout, None, Some(1), 1, false)?;
//! let results = harness::results::read_all(&layout.results, &exp.name, &cells)?;
//! println!("{} cells finished", results.len());
//! # Ok(())
//! # }
//! ```

pub mod cells;
pub mod checkpointing;
pub mod claim;
pub mod data;
pub mod execute;
pub mod experiment;
pub mod manifest;
pub mod migrate;
pub mod observers;
pub mod provenance;
pub mod reduction;
pub mod reference;
pub mod registry;
pub mod replay;
pub mod results;
pub mod scoring;
pub mod search;
pub mod shard;
pub mod share;
pub mod slurm;
pub mod status;
pub mod store;
pub mod suite;
pub mod validation;

use std::path::{Path, PathBuf};

/// Where a project's inputs and outputs live.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Project root, holding `experiments/`.
    pub root: PathBuf,
    /// Results directory (one directory per experiment).
    pub results: PathBuf,
    /// Plots directory (one directory per experiment).
    pub plots: PathBuf,
}

impl Layout {
    /// The conventional layout under `root`: `results/` and `plots/` beside `experiments/`.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        Layout {
            results: root.join("results"),
            plots: root.join("plots"),
            root,
        }
    }
}

/// Runs `cells` of `exp` into `results` (skipping finished ones unless `force`).
#[allow(clippy::too_many_arguments)]
pub fn run_cells(
    exp: &experiment::Experiment,
    cells: &[cells::Cell],
    results: &Path,
    layout: &Layout,
    data_dir: Option<PathBuf>,
    threads: Option<usize>,
    jobs: usize,
    force: bool,
) -> anyhow::Result<()> {
    let opts = run_options(layout, results, threads, jobs, force);
    let mut data = data::DataCache::new(data_dir);
    execute::run_cells(exp, cells, &mut data, &opts)
}

/// How to run cells into `results`: `threads` in total (default: all cores), `jobs` cells at
/// once, finished cells rerun from scratch when `force`.
pub fn run_options(
    layout: &Layout,
    results: &Path,
    threads: Option<usize>,
    jobs: usize,
    force: bool,
) -> execute::RunOptions {
    execute::RunOptions {
        root: layout.root.clone(),
        results: results.to_path_buf(),
        force,
        threads: threads.unwrap_or_else(default_threads),
        jobs,
    }
}

/// Every core of the machine.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
