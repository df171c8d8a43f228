//! AlgoPerf scores (docs/statistics.md#algoperf-scoring): time to the validation target per
//! optimizer and workload under external tuning, performance ratios and profiles, the
//! benchmark score (the profile's normalised area) and the geometric-mean speed-up over the
//! reference optimizer.

use std::fmt::Write as _;

use anyhow::Result;
use harness::scoring::ScoringSpec;

use super::Figures;
use super::trials::{Entry, Workload, goal};
use crate::chart::{Chart, Legend, Series};
use crate::robust::algoperf::{
    R_MAX, benchmark_score, external_tuning_time, geometric_mean_speedup, performance_profile, performance_ratios,
    time_to_target,
};

/// Seconds of update (evaluation excluded) until `column` first reaches the target, infinity
/// when it never does.
fn run_time(r: &harness::results::CellResult, scoring: &ScoringSpec) -> Result<f64> {
    let times = r.column("cumulative_seconds").unwrap_or_default();
    let Some(values) = r.column(scoring.metric()) else {
        return Ok(f64::INFINITY);
    };
    Ok(time_to_target(&times, &values, scoring.target, goal(scoring.goal()))?)
}

/// An entry's time on a workload: each seed is one study of all its trials; the study's time
/// is its fastest trial's, the entry's the median over studies.
pub fn entry_time(entry: &Entry<'_>, scoring: &ScoringSpec) -> Result<f64> {
    let seeds: std::collections::BTreeSet<usize> = entry
        .trials
        .iter()
        .flat_map(|t| t.runs.iter().map(|r| r.cell.seed_index))
        .collect();
    let mut studies = Vec::new();
    for s in seeds {
        let study: Vec<f64> = entry
            .trials
            .iter()
            .filter_map(|t| t.runs.iter().find(|r| r.cell.seed_index == s))
            .map(|r| run_time(r, scoring))
            .collect::<Result<_>>()?;
        studies.push(study);
    }
    Ok(external_tuning_time(&studies)?)
}

fn seconds(t: f64) -> String {
    if t.is_finite() { format!("{t:.2}") } else { "inf".into() }
}

fn op(scoring: &ScoringSpec) -> &'static str {
    if scoring.goal() == harness::experiment::Goal::Max {
        ">="
    } else {
        "<="
    }
}

/// The section: times, scores, speed-ups and the performance profiles. `scoring[w]` is
/// workload `w`'s rule (its target); all name the same reference.
pub fn section(workloads: &[Workload<'_>], scoring: &[ScoringSpec], figures: &Figures<'_>) -> Result<String> {
    anyhow::ensure!(
        scoring.len() == workloads.len() && !scoring.is_empty(),
        "one scoring rule per workload is needed ({} rules, {} workloads)",
        scoring.len(),
        workloads.len()
    );
    let reference_label = &scoring[0].reference;
    let mut labels: Vec<String> = Vec::new();
    for e in workloads.iter().flat_map(|w| &w.entries) {
        if !labels.contains(&e.label) {
            labels.push(e.label.clone());
        }
    }
    // times[entry][workload]
    let mut times = vec![vec![f64::INFINITY; workloads.len()]; labels.len()];
    for (j, w) in workloads.iter().enumerate() {
        for e in &w.entries {
            let i = labels.iter().position(|l| *l == e.label).expect("listed");
            times[i][j] = entry_time(e, &scoring[j])?;
        }
    }
    let mut md = format!(
        "## AlgoPerf scores\n\n\
         Time to target: update seconds (evaluation excluded) until the workload's validation target (in each column's heading); under \
         external tuning each seed is one study of all an entry's trials, the study's time is its fastest trial's \
         and the entry's the median over studies (inf: missed). Benchmark score: the area under the performance \
         profile for ratios 1 to {R_MAX}, normalised to [0, 1]. Speed-up: geometric mean over the workloads both \
         reached of the reference's time over the entry's; reference: {reference_label}.\n\n"
    );
    md.push_str("| entry |");
    for (w, s) in workloads.iter().zip(scoring) {
        let _ = write!(md, " {}: s to {} {} {} |", w.name, s.metric(), op(s), s.target);
    }
    md.push_str(" benchmark score | speed-up over the reference (workloads) |\n|---|");
    md.push_str(&"---|".repeat(workloads.len() + 2));
    md.push('\n');
    let ratios = performance_ratios(&times)?;
    let reference = labels.iter().position(|l| l == reference_label);
    for (i, label) in labels.iter().enumerate() {
        let _ = write!(md, "| {label} |");
        for t in &times[i] {
            let _ = write!(md, " {} |", seconds(*t));
        }
        let score = benchmark_score(&ratios[i], R_MAX)?;
        let speedup = match reference {
            Some(r) if r == i => "1 (reference)".to_owned(),
            Some(r) => {
                let s = geometric_mean_speedup(&times[i], &times[r])?;
                if s.factor.is_finite() {
                    format!("{:.2} ({})", s.factor, s.workloads)
                } else {
                    format!("- ({})", s.workloads)
                }
            }
            None => "-".into(),
        };
        let _ = writeln!(md, " {score:.3} | {speedup} |");
    }
    md.push('\n');
    let taus: Vec<f64> = (0..=300).map(|i| 1.0 + (R_MAX - 1.0) * i as f64 / 300.0).collect();
    let series = labels
        .iter()
        .enumerate()
        .map(|(i, label)| Series {
            label: label.clone(),
            color: i,
            x: taus.clone(),
            y: taus.iter().map(|&tau| performance_profile(&ratios[i], tau)).collect(),
            band: None,
            dashed: false,
            markers: false,
        })
        .collect();
    let chart = Chart {
        title: format!(
            "Performance profiles: time to the validation target ({})",
            scoring[0].metric()
        ),
        subtitle: Some(format!("{}; {} workload(s)", figures.subtitle, workloads.len())),
        x_label: "tau: time relative to the fastest optimizer".into(),
        y_label: "Share of workloads reached within tau".into(),
        log_y: false,
        log_x: false,
        legend: Legend::LowerRight,
        series,
    };
    md.push_str(&figures.save(&chart, "algoperf-profiles")?);
    Ok(md)
}
