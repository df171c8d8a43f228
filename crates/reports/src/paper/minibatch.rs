//! Beyond the paper: mini-batch SGD, Adam and Adagrad at rates tuned with an equal budget.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;

use super::accuracy::{ACCURACY_PANELS, METHODS, accuracy_axis, paper_accuracy};
use super::report::{fmt, save_and_link};
use super::{ItemReport, Loaded};
use crate::chart::{Chart, Legend, Series};
use crate::plots::{Band, aggregate};
use harness::cells::Cell;
use harness::results::CellResult;

/// The method of a tuning cell: its label without the learning rate the grid adds.
fn method_label(cell: &Cell) -> &str {
    cell.optimizer_label
        .rsplit_once(" lr=")
        .map_or(cell.optimizer_label.as_str(), |(base, _)| base)
}

/// The last finite value of a column.
fn last_finite(r: &CellResult, column: &str) -> Option<f64> {
    r.column(column)?.into_iter().rev().find(|v| v.is_finite())
}

/// Beyond the paper: the mini-batch baselines, each at the rate of its tuning grid with the
/// lowest final training loss, beside our full-batch dlADMM.
pub(super) fn tuned_minibatch(draft: &ItemReport<'_>, minibatch: &Loaded, report: &mut String) -> Result<()> {
    let (full_exp, _, full) = &draft.loaded[0];
    let (exp, _, results) = minibatch;
    let _ = writeln!(
        report,
        "## Beyond the paper: mini-batch baselines at tuned rates\n\n{} (`experiments/{}.toml`). \
         Each method gets the same tuning budget, one full run per learning rate of its grid; the \
         tuned rate is the one with the lowest final training loss (the test set plays no part in \
         the choice). One iteration is one epoch, as for the full-batch methods above.\n",
        exp.file.description,
        exp.name.trim_end_matches(&draft.scale.suffix())
    );
    if results.is_empty() {
        report.push_str("No results yet: run `runner paper` for this item without `--no-run`.\n");
        return Ok(());
    }
    report.push_str("| method | learning rate | epochs | final train loss | final train accuracy | final test accuracy | tuned |\n|---|---|---|---|---|---|---|\n");
    // method -> (train loss, result) of the best rate so far.
    let mut tuned: BTreeMap<String, (f64, &CellResult)> = BTreeMap::new();
    let mut rows = Vec::new();
    for r in results {
        let method = method_label(&r.cell).to_owned();
        let loss = last_finite(r, "train_loss").unwrap_or(f64::INFINITY);
        let better = tuned.get(&method).is_none_or(|(best, _)| loss < *best);
        if better {
            tuned.insert(method.clone(), (loss, r));
        }
        rows.push((method, r));
    }
    for (method, r) in &rows {
        let lr = r.cell.resolved.get("lr").and_then(|v| v.as_f64());
        let chosen = tuned.get(method).is_some_and(|(_, best)| std::ptr::eq(*best, *r));
        let epochs = r.column("iteration").and_then(|c| c.last().copied()).map(|e| e + 1.0);
        let _ = writeln!(
            report,
            "| {method} | {} | {} | {} | {} | {} | {} |",
            lr.map_or("-".into(), |v| format!("{v}")),
            epochs.map_or("-".into(), |e| format!("{e}")),
            // Scientific: the tuned losses differ in their exponent, not in three decimals.
            last_finite(r, "train_loss").map_or("-".into(), |v| format!("{v:.1e}")),
            fmt(last_finite(r, "train_accuracy")),
            fmt(last_finite(r, "test_accuracy")),
            if chosen { "yes" } else { "" }
        );
    }
    report.push('\n');
    let color_of = |label: &str| {
        METHODS
            .iter()
            .position(|m| label.starts_with(m))
            .unwrap_or(METHODS.len())
    };
    let dladmm: Vec<&CellResult> = full.iter().filter(|r| r.cell.optimizer == "dladmm").collect();
    for (panel, split, column) in ACCURACY_PANELS {
        let mut series = Vec::new();
        for (method, (_, r)) in &tuned {
            let Some(agg) = aggregate(&[*r], column, Band::None) else {
                continue;
            };
            let lr = r.cell.resolved.get("lr").and_then(|v| v.as_f64()).unwrap_or(f64::NAN);
            series.push(Series {
                label: format!("{method}, mini-batch, lr {lr}"),
                color: color_of(method),
                x: agg.iteration.clone(),
                y: agg.mean.clone(),
                band: None,
                dashed: false,
                markers: false,
            });
        }
        if let Some(agg) = aggregate(&dladmm, column, Band::None) {
            series.push(Series {
                label: "dlADMM, full batch".into(),
                color: color_of("dlADMM"),
                x: agg.iteration.clone(),
                y: agg.mean.clone(),
                band: None,
                dashed: false,
                markers: false,
            });
        }
        let chart = Chart {
            title: format!(
                "Fig. {} ({panel}) beyond the paper: {split}ing accuracy, tuned mini-batch baselines",
                &draft.item.name()[3..]
            ),
            subtitle: Some(match draft.scale.note() {
                Some(n) => format!("{n}. Tuned by final training loss."),
                None => format!("{}; dlADMM as in {}.", exp.file.description, full_exp.name),
            }),
            x_label: "Epoch (one full-batch iteration for dlADMM)".into(),
            y_label: accuracy_axis(split),
            log_y: false,
            log_x: false,
            legend: Legend::LowerRight,
            series,
        };
        let stem = draft.figure_stem(&format!("{panel}-{split}-accuracy-minibatch"));
        save_and_link(&chart, &stem, report)?;
    }
    report.push_str("| method | final test accuracy, tuned mini-batch | full batch, ours | full batch, paper (it. 195) |\n|---|---|---|---|\n");
    let paper_test = paper_accuracy(&draft.ctx.layout.root, draft.item, "b", "test")?;
    for (method, (_, r)) in &tuned {
        let paper_label = METHODS.iter().find(|m| method.starts_with(**m)).copied().unwrap_or("");
        let ours_full = full
            .iter()
            .find(|f| f.cell.optimizer_label == paper_label)
            .and_then(|f| last_finite(f, "test_accuracy"));
        let paper = paper_test.at(paper_label, 195.0);
        let _ = writeln!(
            report,
            "| {method} | {} | {} | {} |",
            fmt(last_finite(r, "test_accuracy")),
            fmt(ours_full),
            fmt(paper)
        );
    }
    report.push('\n');
    Ok(())
}
