//! Expected best validation score against search budget (Dodge et al.;
//! docs/statistics.md#expected-validation-performance): how good a method gets with k trials.

use std::fmt::Write as _;

use anyhow::Result;

use super::Figures;
use super::trials::Workload;
use crate::chart::{Chart, Legend, Series};
use crate::robust::Goal;
use crate::robust::expected_max::{ExpectedBest, expected_best_curve};

/// The expected best at k = 1..trials of every entry with more than one trial.
pub fn curves(workload: &Workload<'_>, column: &str, goal: Goal) -> Result<Vec<(String, Vec<ExpectedBest>)>> {
    let mut curves = Vec::new();
    for e in workload.entries.iter().filter(|e| e.trials.len() > 1) {
        let scores: Vec<f64> = e
            .trials
            .iter()
            .map(|t| t.score(column))
            .filter(|s| s.is_finite())
            .collect();
        if scores.is_empty() {
            continue;
        }
        curves.push((e.label.clone(), expected_best_curve(&scores, goal)?));
    }
    Ok(curves)
}

/// The section: a table and a chart per workload.
pub fn section(workloads: &[Workload<'_>], column: &str, goal: Goal, figures: &Figures<'_>) -> Result<String> {
    let mut md = format!(
        "## Expected best validation score against search budget\n\n\
         For k trials drawn from each entry's search, the expected best final `{column}` (mean over seeds per trial) \
         and, in brackets, the band of one standard deviation (Dodge et al., 2019; docs/statistics.md). \
         A trial that diverged has no score and is left out.\n\n"
    );
    for w in workloads {
        let curves = curves(w, column, goal)?;
        if curves.is_empty() {
            md.push_str("No entry has more than one trial.\n\n");
            continue;
        }
        let budget = curves.iter().map(|(_, c)| c.len()).max().unwrap_or(0);
        let _ = writeln!(md, "### {}\n", w.name);
        md.push_str("| entry | trials |");
        for k in 1..=budget {
            let _ = write!(md, " k = {k} |");
        }
        md.push_str("\n|---|---|");
        md.push_str(&"---|".repeat(budget));
        md.push('\n');
        for (label, curve) in &curves {
            let _ = write!(md, "| {label} | {} |", curve.len());
            for k in 0..budget {
                match curve.get(k) {
                    Some(b) => {
                        let _ = write!(md, " {:.4} [{:.4}, {:.4}] |", b.mean, b.lower, b.upper);
                    }
                    None => md.push_str(" - |"),
                }
            }
            md.push('\n');
        }
        md.push('\n');
        let series = curves
            .iter()
            .enumerate()
            .map(|(i, (label, curve))| Series {
                label: label.clone(),
                color: i,
                x: curve.iter().map(|b| b.budget as f64).collect(),
                y: curve.iter().map(|b| b.mean).collect(),
                band: Some((
                    curve.iter().map(|b| b.lower).collect(),
                    curve.iter().map(|b| b.upper).collect(),
                )),
                dashed: false,
                markers: true,
            })
            .collect();
        let chart = Chart {
            title: format!("Expected best {column} against search budget, {}", w.name),
            subtitle: Some(figures.subtitle.clone()),
            x_label: "Trials (k)".into(),
            y_label: format!("Expected best final {column}"),
            log_y: false,
            log_x: false,
            legend: if goal == Goal::Maximise {
                Legend::LowerRight
            } else {
                Legend::UpperRight
            },
            series,
        };
        md.push_str(&figures.save(&chart, &format!("expected-best-{}", w.name))?);
    }
    Ok(md)
}
