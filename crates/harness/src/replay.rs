//! Replays of stored cells: the first iterations of a finished cell rerun at the current code
//! and compared, value by value, with what is stored. A replay that agrees bit for bit shows
//! that stored reference outputs still follow from the code after the code has changed.

use std::fmt;

use anyhow::{Result, anyhow, bail};

use crate::observers::TIMING_COLUMNS;
use crate::results::CellResult;

/// How a replayed run agrees with the stored one, over the iterations the replay ran and the
/// columns both have.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    /// Iterations compared.
    pub iterations: usize,
    /// Values compared: non-timing columns where both runs recorded a number (evaluations
    /// run every few iterations, so some rows have none).
    pub values: usize,
    /// Values equal bit for bit.
    pub identical: usize,
    /// The largest |replayed - stored| / max(|replayed|, |stored|), with its column; `None`
    /// when every value is identical.
    pub worst: Option<(f64, String)>,
}

impl Agreement {
    /// Whether every value compared is identical.
    pub fn is_identical(&self) -> bool {
        self.identical == self.values
    }
}

impl fmt::Display for Agreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let over = format!("{} values over {} iterations", self.values, self.iterations);
        match &self.worst {
            None => write!(f, "identical, {over}"),
            Some((relative, column)) => write!(
                f,
                "DIFFERENT, {} of {over} identical; largest relative difference {relative:.2e} ({column})",
                self.identical
            ),
        }
    }
}

/// A run's metrics as stored: column names and rows (one per iteration).
#[derive(Debug, Clone, Copy)]
pub struct MetricsTable<'a> {
    /// Column names of `metrics.csv`.
    pub columns: &'a [String],
    /// Rows of values (NaN where a value is empty).
    pub rows: &'a [Vec<f64>],
}

impl<'a> From<&'a CellResult> for MetricsTable<'a> {
    fn from(r: &'a CellResult) -> Self {
        Self {
            columns: &r.columns,
            rows: &r.rows,
        }
    }
}

/// One value both runs recorded: the same column at the same iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedValue<'a> {
    /// The iteration.
    pub iteration: f64,
    /// The column.
    pub column: &'a str,
    /// The first run's value.
    pub first: f64,
    /// The second run's value.
    pub second: f64,
}

/// Two runs' metrics matched iteration by iteration.
#[derive(Debug, Clone, PartialEq)]
pub struct Pairing<'a> {
    /// Iterations both runs have.
    pub iterations: usize,
    /// Values of the non-timing columns both runs have, where both recorded a number
    /// (evaluations run every few iterations, so some rows have none), in the second run's
    /// row order.
    pub values: Vec<PairedValue<'a>>,
    /// Iterations only the first run has.
    pub only_first: Vec<f64>,
    /// Iterations only the second run has.
    pub only_second: Vec<f64>,
}

/// Matches the rows of `first` and `second` by their `iteration` and pairs the values they
/// share. Timing columns are left out: they differ between any two runs. Fails when either
/// has no iteration column.
pub fn pair_values<'a>(first: MetricsTable<'a>, second: MetricsTable<'a>) -> Result<Pairing<'a>> {
    let iteration = |t: &MetricsTable<'_>| t.columns.iter().position(|c| c == "iteration");
    let (Some(fi), Some(si)) = (iteration(&first), iteration(&second)) else {
        bail!("metrics without an iteration column");
    };
    let columns: Vec<(usize, usize, &str)> = second
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.as_str() != "iteration" && !TIMING_COLUMNS.contains(&c.as_str()))
        .filter_map(|(s, c)| Some((first.columns.iter().position(|f| f == c)?, s, c.as_str())))
        .collect();
    let first_rows: std::collections::HashMap<u64, &Vec<f64>> =
        first.rows.iter().map(|r| (r[fi].to_bits(), r)).collect();
    let mut pairing = Pairing {
        iterations: 0,
        values: Vec::new(),
        only_first: Vec::new(),
        only_second: Vec::new(),
    };
    let mut seen = std::collections::HashSet::new();
    for row in second.rows {
        let iteration = row[si];
        let Some(old) = first_rows.get(&iteration.to_bits()) else {
            pairing.only_second.push(iteration);
            continue;
        };
        seen.insert(iteration.to_bits());
        pairing.iterations += 1;
        for &(f, s, column) in &columns {
            let (a, b) = (old[f], row[s]);
            if !a.is_nan() && !b.is_nan() {
                pairing.values.push(PairedValue {
                    iteration,
                    column,
                    first: a,
                    second: b,
                });
            }
        }
    }
    pairing.only_first = first
        .rows
        .iter()
        .map(|r| r[fi])
        .filter(|i| !seen.contains(&i.to_bits()))
        .collect();
    Ok(pairing)
}

/// |a - b| / max(|a|, |b|): 0 for equal values, 1 when one of them is 0, infinite when one
/// is infinite and the other is not. Scale-free, so one tolerance serves losses, accuracies
/// and residuals alike.
pub fn relative_difference(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else if a.is_infinite() || b.is_infinite() {
        f64::INFINITY
    } else {
        (a - b).abs() / a.abs().max(b.abs())
    }
}

/// Compares `replayed` with `stored` on every iteration `replayed` has. Fails when the replay
/// has an iteration the stored run lacks or no value to compare.
pub fn compare(stored: &CellResult, replayed: &CellResult) -> Result<Agreement> {
    let pairing = pair_values(stored.into(), replayed.into()).map_err(|e| anyhow!("{}: {e}", stored.cell.label))?;
    if let Some(iteration) = pairing.only_second.first() {
        bail!(
            "{}: the replay has iteration {iteration} but the stored run does not",
            stored.cell.label
        );
    }
    let mut agreement = Agreement {
        iterations: pairing.iterations,
        values: pairing.values.len(),
        identical: 0,
        worst: None,
    };
    for v in &pairing.values {
        if v.first.to_bits() == v.second.to_bits() {
            agreement.identical += 1;
            continue;
        }
        let relative = relative_difference(v.second, v.first);
        if agreement.worst.as_ref().is_none_or(|(w, _)| relative > *w) {
            agreement.worst = Some((relative, v.column.to_owned()));
        }
    }
    if agreement.values == 0 {
        bail!("{}: the replay and the stored run share no value", stored.cell.label);
    }
    Ok(agreement)
}

/// The `provenance` object of a stored cell's `config.json` (`Null` when unreadable).
pub fn stored_provenance(results: &std::path::Path, experiment: &str, id: &str) -> serde_json::Value {
    let dir = crate::store::CellDir::new(results, experiment, id);
    std::fs::read_to_string(dir.config())
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .map_or(serde_json::Value::Null, |json| json["provenance"].clone())
}

/// What [`replay_experiment`] needs besides the experiment.
pub struct ReplayOptions<'a> {
    /// The project layout (its root names the code revision).
    pub layout: &'a crate::Layout,
    /// Where the stored cells are (`results/` or a suite's directory).
    pub results: &'a std::path::Path,
    /// Iterations to rerun from the start.
    pub iterations: usize,
    /// Threads; `None`: each cell's stored thread count, since threads can change the last
    /// bits of a product.
    pub threads: Option<usize>,
    /// Where the datasets are.
    pub data: &'a mut crate::data::DataCache,
}

/// Reruns the first iterations of every finished cell among `selected` (cells of `exp`)
/// stored under `opts.results` in a scratch directory, one cell at a time, and prints how each
/// agrees with its stored run as soon as it ends (a long replay keeps what it found if
/// stopped). Nothing stored changes.
pub fn replay_experiment(
    exp: &crate::experiment::Experiment,
    selected: &[crate::cells::Cell],
    opts: &mut ReplayOptions<'_>,
) -> Result<Vec<Agreement>> {
    anyhow::ensure!(opts.iterations > 0, "--replay needs at least one iteration");
    let stored: Vec<CellResult> = crate::results::read_all(opts.results, &exp.name, selected)?
        .into_iter()
        .filter(|r| r.status.is_some())
        .collect();
    if stored.is_empty() {
        eprintln!("{}: no finished cell to replay", exp.name);
        return Ok(Vec::new());
    }
    let scratch = tempfile::Builder::new().prefix("runner-replay-").tempdir()?;
    let short = crate::reduction::Reduction {
        iterations: Some(opts.iterations),
        ..Default::default()
    }
    .apply(exp.clone())?;
    let cells = crate::cells::expand(&short)?;
    let mut agreements = Vec::new();
    for old in &stored {
        let cell = cells
            .iter()
            .find(|c| c.id == old.cell.id)
            .ok_or_else(|| anyhow::anyhow!("{}: no cell to replay", old.cell.label))?;
        let p = stored_provenance(opts.results, &exp.name, &old.cell.id);
        let stored_threads = p["threads"].as_u64().map(|t| t as usize);
        let threads = opts.threads.or(stored_threads);
        let run = crate::RunOptions::new(opts.layout, scratch.path()).threads(threads);
        crate::execute::run_cells(&short, std::slice::from_ref(cell), opts.data, &run)?;
        let new = crate::results::read_cell(scratch.path(), &short.name, cell)?
            .ok_or_else(|| anyhow::anyhow!("{}: the replay wrote no metrics", cell.label))?;
        let agreement = compare(old, &new)?;
        // Only the metrics are compared: the cell's checkpoint (a gigabyte or more at the
        // paper's size) goes now, not with the whole scratch directory at the end.
        std::fs::remove_dir_all(scratch.path().join(&short.name).join(&cell.id))?;
        let used = threads.unwrap_or_else(crate::default_threads);
        println!(
            "{} {} (stored: revision {}, {} thread{}; replayed with {used}): {agreement}",
            exp.name,
            old.cell.label,
            p["git_revision"].as_str().unwrap_or("unknown"),
            stored_threads.map_or("?".into(), |t| t.to_string()),
            if stored_threads == Some(1) { "" } else { "s" },
        );
        agreements.push(agreement);
    }
    Ok(agreements)
}

/// The closing line of a replay, and an error if any cell differs.
pub fn verdict(agreements: &[Agreement], iterations: usize, root: &std::path::Path) -> Result<()> {
    let different = agreements.iter().filter(|a| !a.is_identical()).count();
    println!(
        "replayed {} cell{} for {iterations} iteration{} at revision {}: {different} differ",
        agreements.len(),
        if agreements.len() == 1 { "" } else { "s" },
        if iterations == 1 { "" } else { "s" },
        crate::provenance::git_revision(root)
    );
    match different {
        0 => Ok(()),
        n => bail!("{n} replayed cell(s) differ from their stored results"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(columns: &[&str], rows: Vec<Vec<f64>>) -> CellResult {
        let exp = crate::experiment::Experiment::parse(
            "replay".into(),
            "replay.toml".into(),
            r#"iterations = 2
[dataset]
name = "synthetic"
synthetic = { samples = 10, features = 2, classes = 2, separation = 1.0 }
[network]
hidden = [2]
[[optimizers]]
name = "sgd"
"#
            .into(),
        )
        .unwrap();
        CellResult {
            cell: crate::cells::expand(&exp).unwrap().remove(0),
            status: None,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
        }
    }

    const COLUMNS: [&str; 4] = ["iteration", "update_seconds", "train_loss", "residual"];

    #[test]
    fn identical_values_agree_whatever_the_timing() {
        let stored = result(&COLUMNS, vec![vec![0.0, 1.0, 0.5, 3.0], vec![1.0, 2.0, f64::NAN, 2.0]]);
        let replayed = result(&COLUMNS, vec![vec![0.0, 9.0, 0.5, 3.0], vec![1.0, 7.0, 0.25, 2.0]]);
        let a = compare(&stored, &replayed).unwrap();
        // train_loss at iteration 1 is missing from the stored run: three values compared.
        assert_eq!((a.iterations, a.values, a.identical), (2, 3, 3));
        assert!(a.is_identical());
        assert_eq!(a.to_string(), "identical, 3 values over 2 iterations");
    }

    #[test]
    fn the_largest_relative_difference_is_named_with_its_column() {
        let stored = result(&COLUMNS, vec![vec![0.0, 1.0, 0.5, 4.0], vec![1.0, 2.0, 0.5, 2.0]]);
        let replayed = result(&COLUMNS, vec![vec![0.0, 1.0, 0.5, 5.0], vec![1.0, 2.0, 0.4, 2.0]]);
        let a = compare(&stored, &replayed).unwrap();
        assert_eq!((a.values, a.identical), (4, 2));
        assert_eq!(a.worst, Some((0.2, "residual".to_owned())));
        assert!(!a.is_identical());
        assert_eq!(
            a.to_string(),
            "DIFFERENT, 2 of 4 values over 2 iterations identical; largest relative difference 2.00e-1 (residual)"
        );
    }

    #[test]
    fn a_replay_beyond_the_stored_run_is_an_error() {
        let stored = result(&COLUMNS, vec![vec![0.0, 1.0, 0.5, 4.0]]);
        let replayed = result(&COLUMNS, vec![vec![0.0, 1.0, 0.5, 4.0], vec![1.0, 1.0, 0.5, 4.0]]);
        let e = compare(&stored, &replayed).unwrap_err().to_string();
        assert!(e.contains("iteration 1 but the stored run does not"), "{e}");
    }
}
