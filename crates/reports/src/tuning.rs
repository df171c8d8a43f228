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

/// The chosen cell of each entry: its last `metric` value is the best under `goal`.
pub fn chosen<'a>(results: &'a [CellResult], metric: &str, goal: Goal) -> BTreeMap<String, &'a CellResult> {
    let mut best: BTreeMap<String, (f64, &CellResult)> = BTreeMap::new();
    for r in results {
        let worst = if goal == Goal::Min {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        };
        let value = last_finite(r, metric).unwrap_or(worst);
        let better = best.get(&r.cell.entry).is_none_or(|(b, _)| match goal {
            Goal::Min => value < *b,
            Goal::Max => value > *b,
        });
        if better {
            best.insert(r.cell.entry.clone(), (value, r));
        }
    }
    best.into_iter().map(|(k, (_, r))| (k, r)).collect()
}

/// The section of one experiment with a `[tuning]` rule.
pub fn tuning_section(draft: &ItemReport<'_>, exp: &Experiment, results: &[CellResult]) -> Result<String> {
    if exp.file.tuning.is_none() {
        return Ok(String::new());
    }
    let (metric, goal) = exp.selection();
    let mut md = format!(
        "## Tuned configurations\n\n{} (`experiments/{}.toml`). Each entry's grid point with the {} final `{}` is chosen; every point is one full run.\n\n",
        exp.file.description,
        exp.name.trim_end_matches(&draft.reduction.suffix()),
        if goal == Goal::Min { "lowest" } else { "highest" },
        metric
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
        let is_chosen = chosen.get(&r.cell.entry).is_some_and(|c| std::ptr::eq(*c, r));
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
            .filter_map(|(i, r)| {
                let agg = aggregate(&[*r], column, Band::None)?;
                Some(Series {
                    label: r.cell.optimizer_label.clone(),
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
