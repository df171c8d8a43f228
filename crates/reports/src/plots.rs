//! Convergence plots of an experiment: every metric against iteration and against time,
//! one line per optimizer configuration (mean over seeds) with a band over seeds.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::ValueEnum;

use crate::chart::{Chart, Legend, Series};
use crate::stats::mean_ci95;
use harness::results::{CellResult, group_by_config};

/// What the shaded band around a mean shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Band {
    /// Smallest to largest value over seeds.
    #[default]
    MinMax,
    /// 95% confidence interval of the mean over seeds (Student t).
    Ci95,
    /// No band.
    None,
}

/// The mean over seeds of one column, aligned by row (iteration).
#[derive(Debug, Clone)]
pub struct Aggregate {
    /// Iteration of each point.
    pub iteration: Vec<f64>,
    /// Mean cumulative update seconds at each point.
    pub seconds: Vec<f64>,
    /// Mean of the column.
    pub mean: Vec<f64>,
    /// Band edges.
    pub band: Option<(Vec<f64>, Vec<f64>)>,
}

/// Aggregates `column` over the cells of one configuration.
pub fn aggregate(group: &[&CellResult], column: &str, band: Band) -> Option<Aggregate> {
    let cols: Vec<Vec<f64>> = group.iter().filter_map(|r| r.column(column)).collect();
    let times: Vec<Vec<f64>> = group.iter().filter_map(|r| r.column("cumulative_seconds")).collect();
    let iters: Vec<Vec<f64>> = group.iter().filter_map(|r| r.column("iteration")).collect();
    let len = cols.iter().map(Vec::len).max()?;
    if len == 0 {
        return None;
    }
    let mut agg = Aggregate {
        iteration: Vec::new(),
        seconds: Vec::new(),
        mean: Vec::new(),
        band: (band != Band::None).then(|| (Vec::new(), Vec::new())),
    };
    for i in 0..len {
        let at = |v: &Vec<Vec<f64>>| -> Vec<f64> {
            v.iter()
                .filter_map(|c| c.get(i).copied())
                .filter(|x| x.is_finite())
                .collect()
        };
        let values = at(&cols);
        let (mean, half) = mean_ci95(&values);
        agg.iteration.push(at(&iters).first().copied().unwrap_or(i as f64));
        agg.seconds.push(mean_ci95(&at(&times)).0);
        agg.mean.push(mean);
        if let Some((lo, hi)) = agg.band.as_mut() {
            let (l, h) = match band {
                Band::MinMax => (
                    values.iter().copied().fold(f64::INFINITY, f64::min),
                    values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                ),
                _ if half.is_finite() => (mean - half, mean + half),
                _ => (mean, mean),
            };
            lo.push(l);
            hi.push(h);
        }
    }
    Some(agg)
}

/// A human title for a metric column.
pub fn describe(column: &str) -> String {
    match column {
        "test_accuracy" => "Test accuracy".into(),
        "train_accuracy" => "Training accuracy".into(),
        "test_loss" => "Test loss (mean cross-entropy)".into(),
        "train_loss" => "Training loss (mean cross-entropy)".into(),
        "val_accuracy" => "Validation accuracy".into(),
        "val_loss" => "Validation loss (mean cross-entropy)".into(),
        other => {
            let s = other.replace('_', " ");
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        }
    }
}

fn wants_log(values: &[f64]) -> bool {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    let (lo, hi) = v
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    !v.is_empty() && lo > 0.0 && hi / lo > 100.0
}

/// Draws every plot of an experiment into `out` and returns the written stems.
pub fn draw_all(
    experiment: &str,
    description: &str,
    results: &[CellResult],
    out: &Path,
    band: Band,
) -> Result<Vec<PathBuf>> {
    let groups = group_by_config(results);
    let mut columns: Vec<String> = ["test_accuracy", "train_accuracy", "test_loss", "train_loss"]
        .map(String::from)
        .to_vec();
    for r in results {
        for c in r.columns.iter().skip(harness::observers::BASE_COLUMNS.len()) {
            if !columns.contains(c) {
                columns.push(c.clone());
            }
        }
    }
    let seeds = groups.iter().map(|(_, g)| g.len()).max().unwrap_or(0);
    let band_note = match band {
        Band::MinMax if seeds > 1 => format!(", band: min-max over {seeds} seeds"),
        Band::Ci95 if seeds > 1 => format!(", band: 95% CI over {seeds} seeds"),
        _ => String::new(),
    };
    let mut written = Vec::new();
    for column in &columns {
        let aggs: Vec<(String, Aggregate)> = groups
            .iter()
            .filter_map(|(_, g)| aggregate(g, column, band).map(|a| (g[0].cell.label.clone(), a)))
            .collect();
        if aggs.is_empty() || aggs.iter().all(|(_, a)| a.mean.iter().all(|v| !v.is_finite())) {
            continue;
        }
        let log_y = aggs.iter().all(|(_, a)| wants_log(&a.mean));
        let rising = column.contains("accuracy");
        for (axis, x_label) in [
            ("iteration", "Iteration (epoch)"),
            ("time", "Update time (s, evaluation excluded)"),
        ] {
            let measured = harness::observers::BASE_COLUMNS
                .iter()
                .chain(&harness::observers::VALIDATION_COLUMNS)
                .any(|c| c == column);
            if axis == "time" && !measured {
                continue;
            }
            let series = aggs
                .iter()
                .enumerate()
                .map(|(i, (label, a))| Series {
                    label: label.clone(),
                    color: i,
                    x: if axis == "time" {
                        a.seconds.clone()
                    } else {
                        a.iteration.clone()
                    },
                    y: a.mean.clone(),
                    band: a.band.clone(),
                    dashed: false,
                    markers: a.mean.len() <= 12,
                })
                .collect();
            let chart = Chart {
                title: format!("{} on {experiment}", describe(column)),
                subtitle: Some(format!("{description}{band_note}")),
                x_label: x_label.into(),
                y_label: format!("{}{}", describe(column), if log_y { " (log scale)" } else { "" }),
                log_y,
                log_x: false,
                legend: if rising { Legend::LowerRight } else { Legend::UpperRight },
                series,
            };
            let stem = out.join(format!("{column}-vs-{axis}"));
            chart.save(&stem)?;
            written.push(stem);
        }
    }
    Ok(written)
}
