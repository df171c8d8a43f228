//! Fixtures of the library's execution tests (also used by crates/reports/tests): a temporary
//! project with small synthetic experiments run through `harness::run_cells`, and readers for
//! the files a run stores.

#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use harness::cells::{self, Cell};
use harness::experiment::Experiment;
use harness::{Layout, RunOptions};

/// Columns of `metrics.csv` that measure time and so differ between runs.
pub const METRICS_TIMING: &[&str] = &["update_seconds", "cumulative_seconds"];

/// Columns of `summary.csv` that measure time.
pub const SUMMARY_TIMING: &[&str] = &["seconds_per_iteration", "seconds_to_*"];

/// Adam and SGD with momentum, mini-batches of 50.
pub const ADAM_AND_SGD: &str = r#"[[optimizers]]
name = "adam"
label = "Adam"
batch_size = 50
lr = 0.01

[[optimizers]]
name = "sgd"
label = "SGD"
batch_size = 50
lr = 0.05
momentum = 0.9
"#;

/// A small synthetic experiment: `optimizers` is the text of the `[[optimizers]]` entries.
pub fn synthetic_experiment(seeds: usize, iterations: usize, checkpoint_every: usize, optimizers: &str) -> String {
    format!(
        r#"description = "library test"
seed = 11
seeds = {seeds}
iterations = {iterations}
checkpoint_every = {checkpoint_every}
targets = [0.5, 0.8]

[dataset]
name = "synthetic"
synthetic = {{ samples = 400, features = 8, classes = 3, separation = 1.0, test_samples = 200 }}

[network]
hidden = [16]
init = {{ kind = "kaiming_normal" }}

{optimizers}"#
    )
}

/// A temporary project root: `experiments/`, `results/` and `plots/` live under it.
pub struct Project {
    dir: tempfile::TempDir,
    /// Where its results and plots go.
    pub layout: Layout,
}

impl Default for Project {
    fn default() -> Self {
        Self::new()
    }
}

impl Project {
    /// A fresh, empty project.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("harness-test-")
            .tempdir()
            .expect("temporary directory");
        let layout = Layout::at(dir.path());
        Self { dir, layout }
    }

    /// Writes `experiments/NAME.toml` and loads it as the runner does.
    pub fn experiment(&self, name: &str, text: &str) -> Experiment {
        let dir = self.layout.root.join("experiments");
        std::fs::create_dir_all(&dir).expect("create experiments/");
        std::fs::write(dir.join(format!("{name}.toml")), text).expect("write experiment file");
        Experiment::load(&self.layout.root, name).expect("a valid experiment")
    }

    /// Runs `cells` of `exp` on one thread into this project's results.
    pub fn run_cells(&self, exp: &Experiment, cells: &[Cell], force: bool) -> anyhow::Result<()> {
        let opts = RunOptions::new(&self.layout, &self.layout.results)
            .threads(Some(1))
            .force(force);
        harness::run_cells(exp, cells, None, &opts)
    }

    /// Expands `exp` and runs every cell; returns the cells.
    pub fn run(&self, exp: &Experiment, force: bool) -> Vec<Cell> {
        let cells = cells::expand(exp).expect("cells");
        self.run_cells(exp, &cells, force).expect("the run succeeds");
        cells
    }

    /// `<root>/results/NAME`.
    pub fn results_of(&self, name: &str) -> PathBuf {
        self.layout.results.join(name)
    }

    /// `<root>/plots/NAME`.
    pub fn plots_of(&self, name: &str) -> PathBuf {
        self.layout.plots.join(name)
    }

    /// The cell directories of experiment `name`: id -> directory.
    pub fn cells(&self, name: &str) -> BTreeMap<String, PathBuf> {
        cell_dirs(&self.results_of(name))
    }
}

/// Directories under `experiment_dir` that are cells (hold a `config.json`), by id.
pub fn cell_dirs(experiment_dir: &Path) -> BTreeMap<String, PathBuf> {
    let mut cells = BTreeMap::new();
    for entry in std::fs::read_dir(experiment_dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() && !name.starts_with('.') && path.join("config.json").exists() {
            cells.insert(name, path);
        }
    }
    cells
}

/// Contents and modification time of each file directly in each cell directory.
pub fn files(experiment_dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    cell_dirs(experiment_dir)
        .values()
        .flat_map(|d| std::fs::read_dir(d).unwrap().flatten())
        .filter(|e| e.path().is_file())
        .map(|e| {
            let p = e.path();
            let bytes = std::fs::read(&p).unwrap();
            let modified = e.metadata().unwrap().modified().unwrap();
            (p, (bytes, modified))
        })
        .collect()
}

/// A CSV file as header and rows of raw field text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The values of column `name`.
    pub fn column(&self, name: &str) -> Vec<String> {
        let i = self
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header));
        self.rows.iter().map(|r| r[i].clone()).collect()
    }
}

fn dropped(column: &str, drop: &[&str]) -> bool {
    drop.iter().any(|d| match d.strip_suffix('*') {
        Some(prefix) => column.starts_with(prefix),
        None => column == *d,
    })
}

/// Reads a CSV file, dropping the columns `drop` (exact names, or prefixes when they end in
/// `*`); every row must be complete.
pub fn read_csv(path: &Path, drop: &[&str]) -> Table {
    let mut reader = csv::ReaderBuilder::new()
        .from_path(path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let all: Vec<String> = reader
        .headers()
        .unwrap_or_else(|e| panic!("header of {}: {e}", path.display()))
        .iter()
        .map(str::to_owned)
        .collect();
    let keep: Vec<usize> = (0..all.len()).filter(|&i| !dropped(&all[i], drop)).collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("row of {}: {e}", path.display()));
            keep.iter().map(|&i| r[i].to_owned()).collect()
        })
        .collect();
    Table {
        header: keep.iter().map(|&i| all[i].clone()).collect(),
        rows,
    }
}

/// A cell's `status.json`.
pub fn status(cell_dir: &Path) -> serde_json::Value {
    let path = cell_dir.join("status.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Lines of `metrics.csv` after the header (0 if the file does not exist).
pub fn metric_rows(cell_dir: &Path) -> usize {
    std::fs::read_to_string(cell_dir.join("metrics.csv"))
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

/// What must not change between runs of a cell: its deterministic metric columns and how
/// it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct CellSnapshot {
    pub metrics: Table,
    pub termination: serde_json::Value,
    pub next_iteration: serde_json::Value,
}

/// Snapshots of every cell under a results directory `results/NAME`, by id.
pub fn snapshot(experiment_dir: &Path) -> BTreeMap<String, CellSnapshot> {
    cell_dirs(experiment_dir)
        .into_iter()
        .map(|(id, dir)| {
            let s = status(&dir);
            let snap = CellSnapshot {
                metrics: read_csv(&dir.join("metrics.csv"), METRICS_TIMING),
                termination: s["termination"].clone(),
                next_iteration: s["progress"]["next_iteration"].clone(),
            };
            (id, snap)
        })
        .collect()
}

/// The same cells with the same deterministic metrics and endings.
pub fn assert_same_cells(expected: &BTreeMap<String, CellSnapshot>, actual: &BTreeMap<String, CellSnapshot>) {
    assert!(!expected.is_empty(), "no cells to compare");
    assert_eq!(
        expected.keys().collect::<Vec<_>>(),
        actual.keys().collect::<Vec<_>>(),
        "cell ids"
    );
    for (id, e) in expected {
        let a = &actual[id];
        assert_eq!(e.metrics.header, a.metrics.header, "columns of cell {id}");
        assert_eq!(e.metrics.rows.len(), a.metrics.rows.len(), "rows of cell {id}");
        for (i, (re, ra)) in e.metrics.rows.iter().zip(&a.metrics.rows).enumerate() {
            assert_eq!(re, ra, "cell {id}, metrics row {i} (columns {:?})", e.metrics.header);
        }
        assert_eq!(e.termination, a.termination, "termination of cell {id}");
        assert_eq!(e.next_iteration, a.next_iteration, "iterations done by cell {id}");
    }
}
