//! Regression checks across revisions: `runner compare A B` matches the cells stored in two
//! places by experiment and id and compares each pair, so that a code change shows which
//! results it moved, and by how much.
//!
//! A and B are each a results directory (or one experiment's directory) or a git revision
//! whose committed results are read ([`source`]). For every cell in both, [`cell`] compares
//! how the runs ended, their iterations, every metric value at every iteration both have
//! (relative difference against a tolerance; timings aside) and, when both ran on the same
//! CPU with the same threads, their update and wall seconds per iteration (B/A against a
//! ratio). [`tolerance`] holds the defaults and how an experiment file's `[compare]` table and
//! the command line replace them. A regression, or a cell on one side only, fails the check.
//!
//! ```no_run
//! use harness::compare::{self, Options};
//!
//! # fn main() -> anyhow::Result<()> {
//! let layout = harness::Layout::at(".");
//! let a = compare::Store::open("HEAD~3", &layout.root, &layout.results)?;
//! let b = compare::Store::open("results", &layout.root, &layout.results)?;
//! let comparison = compare::compare(&a, &b, &layout.root, &Options::default())?;
//! print!("{comparison}");
//! comparison.check(false)?;
//! # Ok(())
//! # }
//! ```

pub mod cell;
pub mod source;
pub mod tolerance;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use anyhow::{Result, bail, ensure};
use clap::Args;

pub use cell::{CellComparison, Timing, Verdict};
pub use source::{Store, StoredCell};
pub use tolerance::{CompareSpec, Overrides, Tolerances};

/// `runner compare A B`.
#[derive(Args, Debug, Clone)]
pub struct CompareArgs {
    /// The reference: a results directory (or an experiment's directory), or a git revision
    /// (`HEAD~3`, a commit id) whose committed results directory is read.
    pub a: String,
    /// What is checked against A, given the same way.
    pub b: String,
    /// Compare only the cells of this experiment (repeatable; a directory name under the
    /// results, e.g. `mnist` or `paper-fig2`).
    #[arg(long = "experiment", value_name = "NAME")]
    pub experiments: Vec<String>,
    /// Largest relative difference |a - b| / max(|a|, |b|) of any metric value, replacing the
    /// experiment files' tolerances (default 1e-5; 0: bit-identical).
    #[arg(long, value_name = "X")]
    pub metric_tolerance: Option<f64>,
    /// Largest B/A of update and wall seconds per iteration (default 1.25).
    #[arg(long, value_name = "R")]
    pub timing_ratio: Option<f64>,
    /// Compare no timings (runs on different machines).
    #[arg(long)]
    pub no_timing: bool,
    /// Do not fail on cells stored on one side only.
    #[arg(long)]
    pub allow_missing: bool,
}

/// How to compare.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only these experiments (none: all).
    pub experiments: Vec<String>,
    /// Tolerances given on the command line.
    pub overrides: Overrides,
    /// Leave timings out.
    pub no_timing: bool,
}

/// The comparison of two stores.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// What A is.
    pub a: String,
    /// What B is.
    pub b: String,
    /// One entry per cell, in key order.
    pub cells: Vec<CellComparison>,
    /// Whether timings were compared.
    pub timing: bool,
}

impl Comparison {
    /// Cells with verdict `v`.
    pub fn count(&self, v: Verdict) -> usize {
        self.cells.iter().filter(|c| c.verdict == v).count()
    }

    /// The closing line.
    pub fn summary(&self) -> String {
        let missing = self.count(Verdict::OnlyInA) + self.count(Verdict::OnlyInB);
        let timing = if self.timing {
            let not = self
                .cells
                .iter()
                .filter(|c| matches!(c.timing, Timing::NotComparable(_)))
                .count();
            format!("timings compared where comparable ({not} not comparable)")
        } else {
            "timings not compared".to_owned()
        };
        format!(
            "compared {} cells of {} (A) and {} (B): {} same, {} within tolerance, {} improved, {} regressions, {} only in A, {} only in B; {timing}",
            self.cells.len() - missing,
            self.a,
            self.b,
            self.count(Verdict::Same),
            self.count(Verdict::Within),
            self.count(Verdict::Improved),
            self.count(Verdict::Regression),
            self.count(Verdict::OnlyInA),
            self.count(Verdict::OnlyInB),
        )
    }

    /// An error if any cell regressed, or (unless `allow_missing`) is stored on one side only.
    pub fn check(&self, allow_missing: bool) -> Result<()> {
        let regressions = self.count(Verdict::Regression);
        let missing = self.count(Verdict::OnlyInA) + self.count(Verdict::OnlyInB);
        match (regressions, missing) {
            (0, 0) => Ok(()),
            (0, _) if allow_missing => Ok(()),
            (r, 0) => bail!("{r} cell(s) of {} regressed against {}", self.b, self.a),
            (r, m) if allow_missing => bail!(
                "{r} cell(s) of {} regressed against {} ({m} on one side only allowed)",
                self.b,
                self.a
            ),
            (r, m) => bail!(
                "{r} cell(s) of {} regressed against {}, and {m} are stored on one side only (--allow-missing accepts that)",
                self.b,
                self.a
            ),
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.cells {
            writeln!(f, "{c}")?;
        }
        writeln!(f, "{}", self.summary())
    }
}

/// Compares every cell of `a` with the same cell of `b`; the tolerances of an experiment come
/// from `root`'s `experiments/NAME.toml` (a reduced run's from its full experiment's file),
/// replaced by the command line's.
pub fn compare(a: &Store, b: &Store, root: &Path, opts: &Options) -> Result<Comparison> {
    if let Some(t) = opts.overrides.metric_tolerance {
        tolerance::check_metric_tolerance(t).map_err(|m| anyhow::anyhow!("--metric-tolerance {m}"))?;
    }
    if let Some(r) = opts.overrides.timing_ratio {
        tolerance::check_timing_ratio(r).map_err(|m| anyhow::anyhow!("--timing-ratio {m}"))?;
    }
    let selected = |c: &StoredCell| opts.experiments.is_empty() || opts.experiments.iter().any(|e| names(e, c));
    let by_key = |store: &Store| -> Result<BTreeMap<String, StoredCell>> {
        Ok(store
            .cells()?
            .into_iter()
            .filter(|c| selected(c))
            .map(|c| (c.key(), c))
            .collect())
    };
    let (cells_a, cells_b) = (by_key(a)?, by_key(b)?);
    for e in &opts.experiments {
        ensure!(
            cells_a.values().chain(cells_b.values()).any(|c| names(e, c)),
            "no stored cell of experiment `{e}` in {} ({}) or {} ({})",
            a.name,
            a.dir.display(),
            b.name,
            b.dir.display()
        );
    }
    ensure!(
        !cells_a.is_empty() || !cells_b.is_empty(),
        "no stored cell in {} ({}) or {} ({})",
        a.name,
        a.dir.display(),
        b.name,
        b.dir.display()
    );
    let mut tolerances: HashMap<String, Tolerances> = HashMap::new();
    let mut cells = Vec::new();
    let keys: std::collections::BTreeSet<&String> = cells_a.keys().chain(cells_b.keys()).collect();
    for key in keys {
        let comparison = match (cells_a.get(key), cells_b.get(key)) {
            (Some(ca), Some(cb)) => {
                let t = match tolerances.get(&ca.experiment_name) {
                    Some(t) => t,
                    None => {
                        let t = experiment_tolerances(root, &ca.experiment_name, opts.overrides)?;
                        tolerances.entry(ca.experiment_name.clone()).or_insert(t)
                    }
                };
                cell::compare_cell(ca, cb, t, !opts.no_timing)?
            }
            (Some(ca), None) => CellComparison::one_sided(ca, Verdict::OnlyInA),
            (None, Some(cb)) => CellComparison::one_sided(cb, Verdict::OnlyInB),
            (None, None) => unreachable!("a key comes from one of the stores"),
        };
        cells.push(comparison);
    }
    Ok(Comparison {
        a: a.name.clone(),
        b: b.name.clone(),
        cells,
        timing: !opts.no_timing,
    })
}

/// Whether `--experiment e` selects cell `c`: by its experiment directory's path or name, or
/// the experiment its configuration names.
fn names(e: &str, c: &StoredCell) -> bool {
    e == c.experiment || c.experiment.rsplit('/').next() == Some(e) || e == c.experiment_name
}

/// The tolerances of experiment `name`: its file's `[compare]` table under `root` if it has
/// one (a reduced run, `NAME-reduced-...`, uses NAME's file), then `overrides`.
pub fn experiment_tolerances(root: &Path, name: &str, overrides: Overrides) -> Result<Tolerances> {
    let base = name.split("-reduced-").next().unwrap_or(name);
    let path = root.join("experiments").join(format!("{base}.toml"));
    if !path.is_file() {
        return Ok(Tolerances::resolve(None, overrides));
    }
    let exp = crate::experiment::Experiment::load(root, base)?;
    Ok(Tolerances::resolve(
        exp.file.compare.as_ref().map(|s| s.get_ref()),
        overrides,
    ))
}

/// `runner compare`: opens both stores, prints a line per cell and the summary, and fails on a
/// regression (or a missing cell, unless allowed).
pub fn run(layout: &crate::Layout, args: &CompareArgs) -> Result<()> {
    let a = Store::open(&args.a, &layout.root, &layout.results)?;
    let b = Store::open(&args.b, &layout.root, &layout.results)?;
    let opts = Options {
        experiments: args.experiments.clone(),
        overrides: Overrides {
            metric_tolerance: args.metric_tolerance,
            timing_ratio: args.timing_ratio,
        },
        no_timing: args.no_timing,
    };
    let comparison = compare(&a, &b, &layout.root, &opts)?;
    print!("{comparison}");
    comparison.check(args.allow_missing)
}
