//! Cross-cell plots: seconds per iteration against width and training-set size (with the
//! fitted power law), and performance profiles for the accuracy targets.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::chart::{Chart, Legend, Series};
use crate::stats::{fit_power_law, median};
use harness::results::CellResult;

/// Median seconds per iteration of a cell.
fn seconds_per_iteration(r: &CellResult) -> f64 {
    median(&r.column("update_seconds").unwrap_or_default())
}

/// One timing chart: x from `key` of each cell (None: cell not on this axis).
fn timing_chart(
    results: &[CellResult],
    key: impl Fn(&CellResult) -> Option<f64>,
    x_label: &str,
    title: &str,
    subtitle: &str,
) -> Option<Chart> {
    let mut by_config: BTreeMap<String, BTreeMap<u64, Vec<f64>>> = BTreeMap::new();
    for r in results {
        if let Some(x) = key(r) {
            by_config
                .entry(r.cell.optimizer_label.clone())
                .or_default()
                .entry(x as u64)
                .or_default()
                .push(seconds_per_iteration(r));
        }
    }
    let series: Vec<Series> = by_config
        .into_iter()
        .enumerate()
        .filter(|(_, (_, points))| points.len() >= 2)
        .map(|(i, (label, points))| {
            let x: Vec<f64> = points.keys().map(|&k| k as f64).collect();
            let y: Vec<f64> = points.values().map(|v| median(v)).collect();
            let fit = fit_power_law(&x, &y)
                .map(|(_, b, r2)| format!(": time ∝ x^{b:.2} (R² {r2:.3})"))
                .unwrap_or_default();
            Series {
                label: format!("{label}{fit}"),
                color: i,
                x,
                y,
                band: None,
                dashed: false,
                markers: true,
            }
        })
        .collect();
    (!series.is_empty()).then(|| Chart {
        title: title.into(),
        subtitle: Some(subtitle.into()),
        x_label: x_label.into(),
        y_label: "Seconds per iteration (median, log scale)".into(),
        log_y: true,
        log_x: true,
        legend: Legend::LowerRight,
        series,
    })
}

/// Timing charts against hidden width and training-set size, when the experiment varies them.
pub fn timing(experiment: &str, description: &str, results: &[CellResult], out: &Path) -> Result<Vec<PathBuf>> {
    let varies = |key: &str| results.iter().any(|r| r.cell.setting.iter().any(|(k, _)| k == key));
    let mut written = Vec::new();
    if varies("network.hidden") {
        let width = |r: &CellResult| r.cell.network.hidden.first().map(|&w| w as f64);
        if let Some(chart) = timing_chart(
            results,
            width,
            "Neurons per hidden layer (log scale)",
            &format!("Seconds per iteration against width, {experiment}"),
            description,
        ) {
            let stem = out.join("seconds-per-iteration-vs-width");
            chart.save(&stem)?;
            written.push(stem);
        }
    }
    if varies("dataset.train_samples") {
        let samples = |r: &CellResult| r.cell.dataset.train_samples.map(|n| n as f64);
        if let Some(chart) = timing_chart(
            results,
            samples,
            "Training samples (log scale)",
            &format!("Seconds per iteration against training-set size, {experiment}"),
            description,
        ) {
            let stem = out.join("seconds-per-iteration-vs-samples");
            chart.save(&stem)?;
            written.push(stem);
        }
    }
    Ok(written)
}

/// Dolan-Moré performance profile of time to reach each accuracy target: for each
/// configuration, the fraction of problems (target x seed x setting) it solves within a
/// factor tau of the fastest configuration on that problem.
pub fn performance_profile(
    experiment: &str,
    results: &[CellResult],
    targets: &[f64],
    target_column: &str,
    out: &Path,
) -> Result<Option<PathBuf>> {
    let configs: Vec<String> = {
        let mut v: Vec<String> = results.iter().map(|r| r.cell.optimizer_label.clone()).collect();
        v.dedup();
        let mut seen = std::collections::HashSet::new();
        v.retain(|c| seen.insert(c.clone()));
        v
    };
    if targets.is_empty() || configs.len() < 2 {
        return Ok(None);
    }
    // problem -> config -> seconds to target (infinite when never reached).
    let mut problems: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for r in results {
        let acc = r.column(target_column).unwrap_or_default();
        let time = r.column("cumulative_seconds").unwrap_or_default();
        let setting: Vec<String> = r.cell.setting.iter().map(|(k, v)| format!("{k}={v}")).collect();
        for &t in targets {
            let hit = acc
                .iter()
                .position(|&a| a >= t)
                .map(|i| time[i])
                .unwrap_or(f64::INFINITY);
            let problem = format!("{t} {} {}", r.cell.seed_index, setting.join(","));
            problems
                .entry(problem)
                .or_default()
                .insert(r.cell.optimizer_label.clone(), hit);
        }
    }
    let mut ratios: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for by_config in problems.values() {
        let best = by_config.values().copied().fold(f64::INFINITY, f64::min);
        for c in &configs {
            let t = by_config.get(c).copied().unwrap_or(f64::INFINITY);
            ratios
                .entry(c.as_str())
                .or_default()
                .push(if best.is_finite() { t / best } else { f64::INFINITY });
        }
    }
    let max_ratio = ratios
        .values()
        .flatten()
        .copied()
        .filter(|r| r.is_finite())
        .fold(1.0, f64::max)
        * 1.2;
    let taus: Vec<f64> = (0..=200).map(|i| max_ratio.powf(i as f64 / 200.0)).collect();
    let series = configs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let rs = &ratios[c.as_str()];
            let y = taus
                .iter()
                .map(|&tau| rs.iter().filter(|&&r| r <= tau).count() as f64 / rs.len() as f64)
                .collect();
            Series {
                label: c.clone(),
                color: i,
                x: taus.clone(),
                y,
                band: None,
                dashed: false,
                markers: false,
            }
        })
        .collect();
    let chart = Chart {
        title: format!("Performance profile: time to {target_column} targets, {experiment}"),
        subtitle: Some(format!(
            "{} problems (targets {:?} x seeds x settings); y: share solved within tau times the fastest",
            problems.len(),
            targets
        )),
        x_label: "tau: time relative to the fastest configuration (log scale)".into(),
        y_label: "Fraction of problems solved".into(),
        log_y: false,
        log_x: true,
        legend: Legend::LowerRight,
        series,
    };
    let stem = out.join("performance-profile");
    chart.save(&stem)?;
    Ok(Some(stem))
}
