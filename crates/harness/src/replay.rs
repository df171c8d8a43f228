//! Replays of stored cells: the first iterations of a finished cell rerun at the current code
//! and compared, value by value, with what is stored. A replay that agrees bit for bit shows
//! that stored reference outputs still follow from the code after the code has changed.

use std::fmt;

use anyhow::{Result, bail};

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

/// Compares `replayed` with `stored` on every iteration `replayed` has. Fails when the replay
/// has an iteration the stored run lacks or no value to compare.
pub fn compare(stored: &CellResult, replayed: &CellResult) -> Result<Agreement> {
    let iteration = |r: &CellResult| r.columns.iter().position(|c| c == "iteration");
    let (Some(si), Some(ri)) = (iteration(stored), iteration(replayed)) else {
        bail!("{}: metrics without an iteration column", stored.cell.label);
    };
    let columns: Vec<(usize, usize, &str)> = replayed
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.as_str() != "iteration" && !TIMING_COLUMNS.contains(&c.as_str()))
        .filter_map(|(r, c)| Some((stored.columns.iter().position(|s| s == c)?, r, c.as_str())))
        .collect();
    let mut agreement = Agreement {
        iterations: 0,
        values: 0,
        identical: 0,
        worst: None,
    };
    for row in &replayed.rows {
        let Some(old) = stored.rows.iter().find(|s| s[si] == row[ri]) else {
            bail!(
                "{}: the replay has iteration {} but the stored run does not",
                stored.cell.label,
                row[ri]
            );
        };
        agreement.iterations += 1;
        for &(s, r, column) in &columns {
            let (a, b) = (row[r], old[s]);
            if a.is_nan() || b.is_nan() {
                continue;
            }
            agreement.values += 1;
            if a.to_bits() == b.to_bits() {
                agreement.identical += 1;
                continue;
            }
            let relative = (a - b).abs() / a.abs().max(b.abs());
            if agreement.worst.as_ref().is_none_or(|(w, _)| relative > *w) {
                agreement.worst = Some((relative, column.to_owned()));
            }
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

/// Reruns the first iterations of every finished cell of `exp` stored under `opts.results` in
/// a scratch directory, one cell at a time, and prints how each agrees with its stored run as
/// soon as it ends (a long replay keeps what it found if stopped). Nothing stored changes.
pub fn replay_experiment(exp: &crate::experiment::Experiment, opts: &mut ReplayOptions<'_>) -> Result<Vec<Agreement>> {
    anyhow::ensure!(opts.iterations > 0, "--replay needs at least one iteration");
    let stored: Vec<CellResult> = crate::results::read_all(opts.results, &exp.name, &crate::cells::expand(exp)?)?
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
