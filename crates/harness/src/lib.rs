//! Experiments as data: the library behind `runner exp`.
//!
//! An experiment file (`experiments/NAME.toml`) names a dataset, a network and a list of
//! optimizer entries with hyper-parameters, some of them lists to sweep. This crate reads and
//! checks it ([`experiment`]; a validation split: [`validation`], random search: [`search`],
//! scoring rules: [`scoring`]), expands it into cells, one per configuration and seed, each
//! identified by a hash of its content ([`cells`]), builds each cell's optimizer from the
//! [`registry`], runs the cells resumably into a results store ([`execute`], [`store`]),
//! splits and merges work across machines ([`shard`]) and reruns stored cells to check them
//! ([`replay`]) and compares two stores of results, such as two revisions' ([`compare`]).
//!
//! ```no_run
//! use harness::{Layout, RunOptions, cells, experiment::Experiment};
//!
//! # fn main() -> anyhow::Result<()> {
//! let layout = Layout::at(".");
//! let exp = Experiment::load(&layout.root, "synthetic-demo")?;
//! let cells = cells::expand(&exp)?;
//! harness::run_cells(&exp, &cells, None, &RunOptions::new(&layout, &layout.results).threads(Some(1)))?;
//! let results = harness::results::read_all(&layout.results, &exp.name, &cells)?;
//! println!("{} cells finished", results.len());
//! # Ok(())
//! # }
//! ```

pub mod cells;
pub mod checkpointing;
pub mod claim;
pub mod compare;
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

pub use execute::RunOptions;

use std::path::PathBuf;

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

/// Runs `cells` of `exp` as `opts` says, loading datasets from `data_dir` (default:
/// `$DLADMM_DATA` or the user cache).
pub fn run_cells(
    exp: &experiment::Experiment,
    cells: &[cells::Cell],
    data_dir: Option<PathBuf>,
    opts: &execute::RunOptions,
) -> anyhow::Result<()> {
    let mut data = data::DataCache::new(data_dir);
    execute::run_cells(exp, cells, &mut data, opts)
}

/// Every core of the machine.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
