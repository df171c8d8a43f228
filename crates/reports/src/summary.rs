//! The per-experiment summary: final and best metrics over seeds, time to targets.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use optim_core::Termination;

use crate::stats::{mean_ci95, median};
use harness::results::{CellResult, group_by_config};
use harness::store::write_atomic;

/// One configuration's summary row.
#[derive(Debug, Clone)]
pub struct Row {
    /// Configuration label.
    pub label: String,
    /// Seeds with results.
    pub seeds: usize,
    /// Cells that diverged.
    pub diverged: usize,
    /// Mean iterations done.
    pub iterations: f64,
    /// Final test accuracy: mean and 95% CI half-width.
    pub final_test_accuracy: (f64, f64),
    /// Best test accuracy over iterations: mean and CI.
    pub best_test_accuracy: (f64, f64),
    /// Final test loss: mean and CI.
    pub final_test_loss: (f64, f64),
    /// Best (lowest) test loss: mean and CI.
    pub best_test_loss: (f64, f64),
    /// Final training accuracy: mean and CI.
    pub final_train_accuracy: (f64, f64),
    /// Median seconds per iteration over all iterations of all seeds.
    pub seconds_per_iteration: f64,
    /// Per target: (target, median iterations to first reach it, median seconds, seeds that never did).
    pub targets: Vec<(f64, f64, f64, usize)>,
    /// The accuracy column the targets are on: `val_accuracy` with a validation split, else
    /// `test_accuracy`.
    pub target_column: String,
}

fn last(v: &[f64]) -> f64 {
    v.iter().rev().copied().find(|x| x.is_finite()).unwrap_or(f64::NAN)
}

/// Summarises results by configuration; times to `targets` are on `target_column`.
pub fn summarise(results: &[CellResult], targets: &[f64], target_column: &str) -> Vec<Row> {
    group_by_config(results)
        .into_iter()
        .map(|(_, g)| {
            let col = |name: &str| -> Vec<Vec<f64>> { g.iter().map(|r| r.column(name).unwrap_or_default()).collect() };
            let test_acc = col("test_accuracy");
            let target_acc = col(target_column);
            let test_loss = col("test_loss");
            let secs = col("update_seconds");
            let cum = col("cumulative_seconds");
            let finals = |c: &Vec<Vec<f64>>| mean_ci95(&c.iter().map(|v| last(v)).collect::<Vec<_>>());
            let best = |c: &Vec<Vec<f64>>, hi: bool| {
                mean_ci95(
                    &c.iter()
                        .map(|v| {
                            v.iter().copied().filter(|x| x.is_finite()).fold(
                                if hi { f64::NEG_INFINITY } else { f64::INFINITY },
                                |a, b| {
                                    if hi { a.max(b) } else { a.min(b) }
                                },
                            )
                        })
                        .filter(|x| x.is_finite())
                        .collect::<Vec<_>>(),
                )
            };
            let targets = targets
                .iter()
                .map(|&t| {
                    let hits: Vec<Option<(f64, f64)>> = target_acc
                        .iter()
                        .zip(&cum)
                        .map(|(acc, time)| acc.iter().position(|&a| a >= t).map(|i| ((i + 1) as f64, time[i])))
                        .collect();
                    let reached: Vec<(f64, f64)> = hits.iter().flatten().copied().collect();
                    let its: Vec<f64> = reached.iter().map(|h| h.0).collect();
                    let ts: Vec<f64> = reached.iter().map(|h| h.1).collect();
                    (t, median(&its), median(&ts), hits.len() - reached.len())
                })
                .collect();
            Row {
                label: g[0].cell.label.clone(),
                seeds: g.len(),
                diverged: g
                    .iter()
                    .filter(|r| {
                        matches!(
                            r.status.as_ref().map(|s| &s.termination),
                            Some(Termination::Diverged { .. })
                        )
                    })
                    .count(),
                iterations: g.iter().map(|r| r.rows.len() as f64).sum::<f64>() / g.len() as f64,
                final_test_accuracy: finals(&test_acc),
                best_test_accuracy: best(&test_acc, true),
                final_test_loss: finals(&test_loss),
                best_test_loss: best(&test_loss, false),
                final_train_accuracy: finals(&col("train_accuracy")),
                seconds_per_iteration: median(&secs.concat()),
                targets,
                target_column: target_column.to_owned(),
            }
        })
        .collect()
}

fn pm((m, h): (f64, f64), digits: usize) -> String {
    if !m.is_finite() {
        "-".into()
    } else if h.is_finite() {
        format!("{m:.digits$} ± {h:.digits$}")
    } else {
        format!("{m:.digits$}")
    }
}

/// The summary as a Markdown table.
pub fn markdown(rows: &[Row]) -> String {
    let mut s = String::new();
    let targets: Vec<f64> = rows
        .first()
        .map(|r| r.targets.iter().map(|t| t.0).collect())
        .unwrap_or_default();
    s.push_str("| configuration | seeds | iterations | final test acc | best test acc | final test loss | final train acc | s/iteration |");
    let on = match rows.first().map(|r| r.target_column.as_str()) {
        Some("val_accuracy") => "val ",
        _ => "",
    };
    for t in &targets {
        let _ = write!(s, " to {on}{t} (it / s / missed) |");
    }
    s.push_str(" diverged |\n|---|---|---|---|---|---|---|---|");
    s.push_str(&"---|".repeat(targets.len() + 1));
    s.push('\n');
    for r in rows {
        let _ = write!(
            s,
            "| {} | {} | {:.0} | {} | {} | {} | {} | {:.3} |",
            r.label,
            r.seeds,
            r.iterations,
            pm(r.final_test_accuracy, 4),
            pm(r.best_test_accuracy, 4),
            pm(r.final_test_loss, 4),
            pm(r.final_train_accuracy, 4),
            r.seconds_per_iteration
        );
        for &(_, it, secs, missed) in &r.targets {
            if it.is_finite() {
                let _ = write!(s, " {it:.0} / {secs:.1} / {missed} |");
            } else {
                let _ = write!(s, " never / - / {missed} |");
            }
        }
        let _ = writeln!(s, " {} |", r.diverged);
    }
    s
}

/// Writes `summary.csv` and `summary.md` into `dir`.
pub fn write(rows: &[Row], dir: &Path) -> Result<()> {
    write_atomic(&dir.join("summary.csv"), |w| {
        let mut out = csv::Writer::from_writer(w);
        let mut header: Vec<String> = [
            "configuration",
            "seeds",
            "diverged",
            "iterations",
            "final_test_accuracy",
            "final_test_accuracy_ci95",
            "best_test_accuracy",
            "best_test_accuracy_ci95",
            "final_test_loss",
            "final_test_loss_ci95",
            "best_test_loss",
            "best_test_loss_ci95",
            "final_train_accuracy",
            "final_train_accuracy_ci95",
            "seconds_per_iteration",
        ]
        .map(String::from)
        .to_vec();
        if let Some(r) = rows.first() {
            for (t, ..) in &r.targets {
                header.extend([
                    format!("iterations_to_{t}"),
                    format!("seconds_to_{t}"),
                    format!("missed_{t}"),
                ]);
            }
        }
        out.write_record(&header)?;
        for r in rows {
            let mut rec = vec![
                r.label.clone(),
                r.seeds.to_string(),
                r.diverged.to_string(),
                r.iterations.to_string(),
            ];
            for (m, h) in [
                r.final_test_accuracy,
                r.best_test_accuracy,
                r.final_test_loss,
                r.best_test_loss,
                r.final_train_accuracy,
            ] {
                rec.push(m.to_string());
                rec.push(h.to_string());
            }
            rec.push(r.seconds_per_iteration.to_string());
            for &(_, it, secs, missed) in &r.targets {
                rec.extend([it.to_string(), secs.to_string(), missed.to_string()]);
            }
            out.write_record(&rec)?;
        }
        out.flush()?;
        Ok(())
    })?;
    write_atomic(&dir.join("summary.md"), |w| Ok(w.write_all(markdown(rows).as_bytes())?))
}
