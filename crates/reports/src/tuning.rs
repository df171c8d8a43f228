//! The tuning section of a report: every point of each optimizer entry's grid with its final
//! metrics, the point chosen by the experiment's `[tuning]` rule, and the chosen points'
//! accuracy curves.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use harness::experiment::{Experiment, Goal};
use harness::results::CellResult;

use crate::chart::{Chart, Legend, Series};
use crate::plots::{Band, aggregate};
use crate::reference::fmt;
use crate::suite::ItemReport;

/// The last finite value of a column.
fn last_finite(r: &CellResult, column: &str) -> Option<f64> {
    r.column(column)?.into_iter().rev().find(|v| v.is_finite())
}

/// The chosen configuration of each entry, as its runs (one per seed): the mean over seeds
/// of their last `metric` value is the best under `goal` (a seed without one counts as the
/// worst value).
pub fn chosen<'a>(results: &'a [CellResult], metric: &str, goal: Goal) -> BTreeMap<String, Vec<&'a CellResult>> {
    let worst = if goal == Goal::Min {
        f64::INFINITY
    } else {
        f64::NEG_INFINITY
    };
    let mut best: BTreeMap<String, (f64, Vec<&CellResult>)> = BTreeMap::new();
    for (_, group) in harness::results::group_by_config(results) {
        let value = group
            .iter()
            .map(|r| last_finite(r, metric).unwrap_or(worst))
            .sum::<f64>()
            / group.len() as f64;
        let entry = &group[0].cell.entry;
        let better = best.get(entry).is_none_or(|(b, _)| match goal {
            Goal::Min => value < *b,
            Goal::Max => value > *b,
        });
        if better {
            best.insert(entry.clone(), (value, group));
        }
    }
    best.into_iter().map(|(k, (_, runs))| (k, runs)).collect()
}

/// The section of one experiment with a `[tuning]` rule.
pub fn tuning_section(draft: &ItemReport<'_>, exp: &Experiment, results: &[CellResult]) -> Result<String> {
    if exp.file.tuning.is_none() {
        return Ok(String::new());
    }
    let (metric, goal) = exp.selection();
    let mut md = format!(
        "## Tuned configurations\n\n{} (`experiments/{}.toml`). Each entry's grid point with the {} final `{}`{} is chosen; every point is one full run{}.\n\n",
        exp.file.description,
        exp.name.trim_end_matches(&draft.reduction.suffix()),
        if goal == Goal::Min { "lowest" } else { "highest" },
        metric,
        if exp.file.seeds > 1 { " (mean over seeds)" } else { "" },
        if exp.file.seeds > 1 { " per seed" } else { "" }
    );
    if results.is_empty() {
        md.push_str("No results yet: run the item without `--no-run`.\n\n");
        return Ok(md);
    }
    let chosen = chosen(results, &metric, goal);
    let _ = writeln!(
        md,
        "| configuration | iterations | final {} | final train accuracy | final test accuracy | chosen |\n|---|---|---|---|---|---|",
        metric
    );
    for r in results {
        let is_chosen = chosen
            .get(&r.cell.entry)
            .is_some_and(|c| c[0].cell.config_key == r.cell.config_key);
        let iterations = r.column("iteration").and_then(|c| c.last().copied()).map(|e| e + 1.0);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            r.cell.optimizer_label,
            iterations.map_or("-".into(), |e| format!("{e}")),
            // Scientific: tuned losses differ in their exponent, not in three decimals.
            last_finite(r, &metric).map_or("-".into(), |v| format!("{v:.1e}")),
            fmt(last_finite(r, "train_accuracy")),
            fmt(last_finite(r, "test_accuracy")),
            if is_chosen { "yes" } else { "" }
        );
    }
    md.push('\n');
    for (column, words) in [
        ("train_accuracy", "Training accuracy"),
        ("test_accuracy", "Test accuracy"),
    ] {
        let series: Vec<Series> = chosen
            .values()
            .enumerate()
            .filter_map(|(i, runs)| {
                let agg = aggregate(runs, column, Band::None)?;
                Some(Series {
                    label: runs[0].cell.optimizer_label.clone(),
                    color: i,
                    x: agg.iteration,
                    y: agg.mean,
                    band: None,
                    dashed: false,
                    markers: false,
                })
            })
            .collect();
        let chart = Chart {
            title: format!("{words} of the tuned configurations"),
            subtitle: Some(draft.reduction.note().unwrap_or_else(|| exp.file.description.clone())),
            x_label: "Iteration".into(),
            y_label: words.into(),
            log_x: false,
            log_y: false,
            legend: Legend::LowerRight,
            series,
        };
        let stem = draft.figure_stem(&format!("-tuned-{}", column.replace('_', "-")));
        chart.save(&stem)?;
        let name = stem.file_name().unwrap_or_default().to_string_lossy();
        let _ = writeln!(md, "![{name}]({}/{name}.png)\n", draft.link_dir());
    }
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_reads_the_mean_over_seeds() {
        let text = r#"
iterations = 1
seeds = 2
[dataset]
name = "synthetic"
synthetic = { samples = 20, features = 2, classes = 2, separation = 1.0 }
validation = { size = 5 }
[network]
hidden = [2]
[[optimizers]]
name = "adam"
grid = { lr = [0.1, 0.01] }
"#;
        let exp = Experiment::parse("t".into(), "t.toml".into(), text.into()).unwrap();
        let cells = harness::cells::expand(&exp).unwrap();
        // lr = 0.1: one lucky seed (0.9) and one bad (0.1); lr = 0.01: 0.6 twice.
        let finals = [0.9, 0.1, 0.6, 0.6];
        let results: Vec<CellResult> = cells
            .iter()
            .zip(finals)
            .map(|(c, v)| CellResult {
                cell: c.clone(),
                status: None,
                columns: vec!["iteration".into(), "val_accuracy".into()],
                rows: vec![vec![0.0, v]],
            })
            .collect();
        assert_eq!(results[0].cell.params["lr"].as_float(), Some(0.1));
        let chosen = chosen(&results, "val_accuracy", Goal::Max);
        let runs = &chosen["adam"];
        assert_eq!(runs.len(), 2);
        assert!(runs.iter().all(|r| r.cell.params["lr"].as_float() == Some(0.01)));
        let chosen = chosen_min(&results);
        assert!(chosen.iter().all(|r| r.cell.params["lr"].as_float() == Some(0.1)));
    }

    fn chosen_min(results: &[CellResult]) -> Vec<&CellResult> {
        chosen(results, "val_accuracy", Goal::Min).remove("adam").unwrap()
    }
}
