//! One cell stored in two places, compared: how it ended, its iterations, every metric value
//! at every iteration both runs have, and (on the same CPU and threads) its seconds per
//! iteration. The worst finding decides the cell's verdict.

use std::fmt;

use anyhow::Result;
use optim_core::Termination;

use super::source::StoredCell;
use super::tolerance::Tolerances;
use crate::observers::TIMING_COLUMNS;
use crate::replay::{MetricsTable, pair_values, relative_difference};
use crate::store::Status;

/// What a comparison says about one cell, from best to worst (the cells found on one side
/// only come last).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Every value compared is bit-identical (and timings, if compared, within tolerance).
    Same,
    /// Values differ, all within their tolerances.
    Within,
    /// Something is better beyond its tolerance and nothing is worse.
    Improved,
    /// Something is worse beyond its tolerance, or changed where no direction is better.
    Regression,
    /// The cell is stored in A only.
    OnlyInA,
    /// The cell is stored in B only.
    OnlyInB,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Verdict::Same => "same",
            Verdict::Within => "within tolerance",
            Verdict::Improved => "improved",
            Verdict::Regression => "REGRESSION",
            Verdict::OnlyInA => "only in A",
            Verdict::OnlyInB => "only in B",
        })
    }
}

/// One thing that differs between the two runs of a cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// What it says about the cell.
    pub verdict: Verdict,
    /// The metric (column), the timing or the part of the status that differs.
    pub what: String,
    /// The values, where and by how much.
    pub detail: String,
    /// How far beyond (or within) its tolerance: the largest is the cell's worst.
    severity: f64,
}

/// Whether a cell's timings were compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timing {
    /// `--no-timing`.
    NotChecked,
    /// Compared.
    Compared,
    /// Not comparable: the runs differ in CPU or threads, one has no status, or they are too
    /// short to time ([`MIN_TIMED_SECONDS`]).
    NotComparable(String),
}

/// The comparison of one cell stored in A and in B (or in one of them).
#[derive(Debug, Clone)]
pub struct CellComparison {
    /// `experiment/id`.
    pub key: String,
    /// The cell's label.
    pub label: String,
    /// The verdict.
    pub verdict: Verdict,
    /// The finding that decided the verdict (none for a cell on one side only or with no
    /// difference).
    pub worst: Option<Finding>,
    /// Metric values compared.
    pub values: usize,
    /// Iterations compared.
    pub iterations: usize,
    /// Whether timings were compared.
    pub timing: Timing,
}

impl CellComparison {
    /// A cell found in one store only.
    pub fn one_sided(cell: &StoredCell, verdict: Verdict) -> Self {
        Self {
            key: cell.key(),
            label: cell.label.clone(),
            verdict,
            worst: None,
            values: 0,
            iterations: 0,
            timing: Timing::NotChecked,
        }
    }
}

impl fmt::Display for CellComparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<16}  {}", self.verdict, self.key)?;
        if !self.label.is_empty() {
            write!(f, "  {}", self.label)?;
        }
        match (&self.worst, self.verdict) {
            (Some(w), _) => write!(f, ": {}", w.detail)?,
            (None, Verdict::Same) => write!(
                f,
                ": identical, {} values over {} iterations",
                self.values, self.iterations
            )?,
            _ => {}
        }
        if let Timing::NotComparable(why) = &self.timing {
            write!(f, "; timing not comparable ({why})")?;
        }
        Ok(())
    }
}

/// Which way a metric is better, judged by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Higher,
    Lower,
    /// Hyper-parameters and counts (rho, FISTA iterations): any change is a change.
    Neither,
}

fn direction(column: &str) -> Direction {
    const LOWER: [&str; 5] = ["loss", "residual", "objective", "lagrangian", "gap"];
    if column.contains("accuracy") {
        Direction::Higher
    } else if LOWER.iter().any(|s| column.ends_with(s)) {
        Direction::Lower
    } else {
        Direction::Neither
    }
}

/// The worst finding of each verdict so far.
#[derive(Default)]
struct Findings {
    worst: [Option<Finding>; 4],
}

impl Findings {
    /// Records a finding if it is worse than the one of its verdict so far; `detail` is
    /// formatted only then.
    fn add(&mut self, verdict: Verdict, severity: f64, what: &str, detail: impl FnOnce() -> String) {
        let slot = &mut self.worst[verdict as usize];
        if slot.as_ref().is_none_or(|w| severity > w.severity) {
            *slot = Some(Finding {
                verdict,
                what: what.to_owned(),
                detail: detail(),
                severity,
            });
        }
    }

    /// The worst finding of the worst verdict.
    fn worst(self) -> Option<Finding> {
        self.worst.into_iter().rev().flatten().next()
    }
}

fn describe(status: Option<&Status>) -> String {
    match status.map(|s| &s.termination) {
        None => "unfinished".into(),
        Some(Termination::Completed) => "completed".into(),
        Some(Termination::TimeBudget) => "time budget used".into(),
        Some(Termination::Diverged { iteration, what }) => format!("diverged at iteration {iteration} ({what})"),
        Some(Termination::Stopped { reason }) => format!("stopped ({reason})"),
    }
}

/// Compares the runs `a` and `b` of one cell under `tolerances`, timings too when `timing`.
pub fn compare_cell(a: &StoredCell, b: &StoredCell, tolerances: &Tolerances, timing: bool) -> Result<CellComparison> {
    let mut findings = Findings::default();
    let (ta, tb) = (
        a.status.as_ref().map(|s| &s.termination),
        b.status.as_ref().map(|s| &s.termination),
    );
    if ta != tb {
        let verdict = match (ta, tb) {
            (Some(Termination::Diverged { .. }), Some(Termination::Completed)) => Verdict::Improved,
            _ => Verdict::Regression,
        };
        findings.add(verdict, f64::INFINITY, "termination", || {
            format!(
                "termination: {} -> {}",
                describe(a.status.as_ref()),
                describe(b.status.as_ref())
            )
        });
    }
    let pairing = pair_values(table(a), table(b)).map_err(|e| anyhow::anyhow!("{}: {e}", a.key()))?;
    if !pairing.only_first.is_empty() || !pairing.only_second.is_empty() {
        let last = |rows: &[Vec<f64>], columns: &[String]| {
            let i = columns.iter().position(|c| c == "iteration");
            i.and_then(|i| rows.last().map(|r| r[i].to_string()))
                .unwrap_or_else(|| "none".into())
        };
        findings.add(Verdict::Regression, f64::INFINITY, "iterations", || {
            format!(
                "iterations: A has {} (last {}), B has {} (last {})",
                a.rows.len(),
                last(&a.rows, &a.columns),
                b.rows.len(),
                last(&b.rows, &b.columns)
            )
        });
    }
    for column in &a.columns {
        let metric = column != "iteration" && !TIMING_COLUMNS.contains(&column.as_str());
        if metric && !b.columns.contains(column) {
            findings.add(Verdict::Regression, f64::INFINITY, column, || {
                format!("{column}: recorded in A, missing from B")
            });
        }
    }
    if pairing.values.is_empty() && (!a.rows.is_empty() || !b.rows.is_empty()) {
        findings.add(Verdict::Regression, f64::INFINITY, "metrics", || {
            "metrics: no value in common".into()
        });
    }
    for v in &pairing.values {
        let relative = relative_difference(v.first, v.second);
        if relative == 0.0 && v.first.to_bits() == v.second.to_bits() {
            continue;
        }
        let tolerance = tolerances.metric(v.column);
        let better = match direction(v.column) {
            Direction::Higher => v.second > v.first,
            Direction::Lower => v.second < v.first,
            Direction::Neither => false,
        };
        let (verdict, relation) = if relative <= tolerance {
            (Verdict::Within, "<=")
        } else if better {
            (Verdict::Improved, ">")
        } else {
            (Verdict::Regression, ">")
        };
        let severity = relative / tolerance.max(f64::MIN_POSITIVE);
        findings.add(verdict, severity, v.column, || {
            format!(
                "{} at iteration {}: {} -> {} (relative difference {relative:.2e} {relation} {tolerance:e})",
                v.column, v.iteration, v.first, v.second
            )
        });
    }
    let timing = if timing {
        compare_timing(a, b, tolerances.timing_ratio, &mut findings)
    } else {
        Timing::NotChecked
    };
    let worst = findings.worst();
    Ok(CellComparison {
        key: a.key(),
        label: if a.label.is_empty() {
            b.label.clone()
        } else {
            a.label.clone()
        },
        verdict: worst.as_ref().map_or(Verdict::Same, |w| w.verdict),
        worst,
        values: pairing.values.len(),
        iterations: pairing.iterations,
        timing,
    })
}

fn table(c: &StoredCell) -> MetricsTable<'_> {
    MetricsTable {
        columns: &c.columns,
        rows: &c.rows,
    }
}

/// Runs with less update time than this are not timed against each other: at milliseconds,
/// scheduling noise alone moves a ratio by more than any sensible tolerance.
pub const MIN_TIMED_SECONDS: f64 = 1.0;

/// Compares update and wall seconds per iteration as B/A against `ratio`, when both runs
/// ended on the same CPU with the same threads.
fn compare_timing(a: &StoredCell, b: &StoredCell, ratio: f64, findings: &mut Findings) -> Timing {
    let (Some(sa), Some(sb)) = (&a.status, &b.status) else {
        return Timing::NotComparable("a run without status.json".into());
    };
    let machine = |c: &StoredCell| match (&c.cpu, c.threads) {
        (Some(cpu), Some(t)) => Some(format!("{cpu}, {t} thread{}", if t == 1 { "" } else { "s" })),
        _ => None,
    };
    match (machine(a), machine(b)) {
        (Some(ma), Some(mb)) if ma == mb => {}
        (ma, mb) => {
            let or_unknown = |m: Option<String>| m.unwrap_or_else(|| "CPU or threads unknown".into());
            return Timing::NotComparable(format!("A: {}; B: {}", or_unknown(ma), or_unknown(mb)));
        }
    }
    let shortest = sa.progress.cumulative_seconds.min(sb.progress.cumulative_seconds);
    if shortest.is_nan() || shortest < MIN_TIMED_SECONDS {
        return Timing::NotComparable(format!("under {MIN_TIMED_SECONDS} s of update time"));
    }
    let per_iteration = |s: &Status, seconds: f64| seconds / s.progress.next_iteration.max(1) as f64;
    let mut measures = vec![(
        "update seconds per iteration",
        per_iteration(sa, sa.progress.cumulative_seconds),
        per_iteration(sb, sb.progress.cumulative_seconds),
    )];
    if !sa.wall_is_partial() && !sb.wall_is_partial() {
        measures.push((
            "wall seconds per iteration",
            per_iteration(sa, sa.wall_seconds),
            per_iteration(sb, sb.wall_seconds),
        ));
    }
    for (what, ta, tb) in measures {
        if !(ta > 0.0 && tb.is_finite()) {
            continue;
        }
        let r = tb / ta;
        let (verdict, severity, relation) = if r > ratio {
            (Verdict::Regression, r / ratio, format!("> {ratio}"))
        } else if r < 1.0 / ratio {
            (Verdict::Improved, 1.0 / (r * ratio), format!("< 1/{ratio}"))
        } else if r == 1.0 {
            continue;
        } else {
            (Verdict::Within, r.max(1.0 / r) / ratio, format!("within {ratio}"))
        };
        findings.add(verdict, severity, what, || {
            format!("{what}: {ta:.4} -> {tb:.4} (B/A {r:.2} {relation})")
        });
    }
    Timing::Compared
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_follow_the_metric_names() {
        assert_eq!(direction("test_accuracy"), Direction::Higher);
        assert_eq!(direction("train_loss"), Direction::Lower);
        assert_eq!(direction("hidden_residual"), Direction::Lower);
        assert_eq!(direction("augmented_lagrangian"), Direction::Lower);
        assert_eq!(direction("rho"), Direction::Neither);
        assert_eq!(direction("fista_iterations"), Direction::Neither);
    }
}
