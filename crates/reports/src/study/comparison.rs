//! Robust comparison of the tuned optimizers on the test set (docs/statistics.md): the
//! interquartile mean with stratified bootstrap intervals over seeds and workloads, the
//! probability of improvement over the reference optimizer, and paired Wilcoxon tests over
//! seeds. The configurations compared were chosen on validation data; the test set only
//! reports.

use std::fmt::Write as _;

use anyhow::Result;

use super::trials::{Trial, Workload};
use crate::robust::bootstrap::{self, Interval, iqm_ci, mean_ci};
use crate::robust::improvement::probability_of_improvement_ci;
use crate::robust::wilcoxon::wilcoxon;
use crate::robust::{Goal, StatsError};

/// The metric the comparison reports.
pub const REPORTED: &str = "test_accuracy";

/// Each entry's chosen trial per workload: `(entry, trial per workload)`, entries in order.
pub type Chosen<'w, 'a> = Vec<(String, Vec<Option<&'w Trial<'a>>>)>;

fn interval(i: Result<Interval, StatsError>) -> String {
    match i {
        Ok(i) => format!("{:.4} [{:.4}, {:.4}]", i.estimate, i.lower, i.upper),
        Err(e) => format!("- ({e})"),
    }
}

/// `scores[workload][seed]` of the final reported metric of each workload's chosen trial
/// (workloads without one left out).
fn scores(trials: &[Option<&Trial<'_>>]) -> Vec<Vec<f64>> {
    trials
        .iter()
        .flatten()
        .map(|t| t.finals(REPORTED))
        .filter(|v| !v.is_empty())
        .collect()
}

/// Pairs `(entry, reference)` of final reported values with the same workload and seed.
fn pairs(x: &[Option<&Trial<'_>>], y: &[Option<&Trial<'_>>]) -> (Vec<f64>, Vec<f64>) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for (tx, ty) in x.iter().zip(y) {
        let (Some(tx), Some(ty)) = (tx, ty) else { continue };
        for rx in &tx.runs {
            let ry = ty.runs.iter().find(|r| r.cell.seed_index == rx.cell.seed_index);
            if let (Some(vx), Some(vy)) = (
                super::trials::final_value(rx, REPORTED),
                ry.and_then(|r| super::trials::final_value(r, REPORTED)),
            ) {
                a.push(vx);
                b.push(vy);
            }
        }
    }
    (a, b)
}

/// The section.
pub fn section(
    workloads: &[Workload<'_>],
    chosen: &Chosen<'_, '_>,
    reference: Option<&str>,
    opts: &bootstrap::Options,
) -> Result<String> {
    let mut md = format!(
        "## Robust comparison of the chosen configurations\n\n\
         Final `{REPORTED}` of each entry's configuration chosen on validation data, over seeds and {} workload(s). \
         IQM: interquartile mean; intervals: 95% percentile stratified bootstrap ({} resamples, seeds resampled \
         within each workload; docs/statistics.md).\n\n\
         | entry | runs | IQM | mean |\n|---|---|---|---|\n",
        workloads.len(),
        opts.reps
    );
    for (label, trials) in chosen {
        let s = scores(trials);
        let runs: usize = s.iter().map(Vec::len).sum();
        let _ = writeln!(
            md,
            "| {label} | {runs} | {} | {} |",
            interval(iqm_ci(&s, opts)),
            interval(mean_ci(&s, opts))
        );
    }
    md.push('\n');
    let Some(reference) = reference else {
        md.push_str("No reference optimizer is declared (`[scoring] reference`): no pairwise comparison.\n\n");
        return Ok(md);
    };
    let Some((_, ref_trials)) = chosen.iter().find(|(l, _)| l == reference) else {
        let _ = writeln!(md, "The reference `{reference}` has no results yet.\n");
        return Ok(md);
    };
    let _ = write!(
        md,
        "### Against the reference, {reference}\n\n\
         P(improvement): the probability that a run of the entry ends with a higher `{REPORTED}` than a run of \
         {reference} (ties count one half), averaged over workloads, with its 95% bootstrap interval. Wilcoxon: \
         two-sided signed-rank test of the paired differences (same workload and seed, hence the same initial \
         network), its p-value and the matched-pairs rank-biserial correlation as effect size (+1: the entry is \
         better in every pair). With n pairs the smallest possible two-sided p-value is 2^(1-n).\n\n\
         | entry | P(improvement) over {reference} | Wilcoxon statistic | p-value | rank-biserial | pairs |\n\
         |---|---|---|---|---|---|\n"
    );
    let y = scores(ref_trials);
    for (label, trials) in chosen.iter().filter(|(l, _)| l != reference) {
        let x = scores(trials);
        let poi = if x.len() == y.len() {
            interval(probability_of_improvement_ci(&x, &y, Goal::Maximise, opts))
        } else {
            "- (not on the same workloads)".into()
        };
        let (a, b) = pairs(trials, ref_trials);
        let test = match wilcoxon(&a, &b) {
            Ok(w) => format!("{} | {:.4} | {:+.3}", w.statistic, w.p_value, w.rank_biserial),
            Err(e) => format!("- | - ({e}) | -"),
        };
        let _ = writeln!(md, "| {label} | {poi} | {test} | {} |", a.len());
    }
    md.push('\n');
    Ok(md)
}
