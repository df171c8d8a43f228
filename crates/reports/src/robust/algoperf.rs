//! AlgoPerf scoring of training algorithms by time to a target (docs/statistics.md#algoperf-scoring).
//!
//! Dahl et al. (2023) time each submission (optimizer) on each workload until its validation
//! metric reaches a fixed target, compare the times through performance ratios to the fastest
//! submission, and score a submission by the normalised area under its performance profile.
//! Times are positive; `f64::INFINITY` stands for a missed target.

use super::{Goal, StatsError};

/// Largest ratio the AlgoPerf benchmark score integrates to: a submission more than 4 times
/// slower than the fastest on a workload scores nothing there.
pub const R_MAX: f64 = 4.0;

/// First time at which `values` reaches `target` under `goal` (`>=` when maximising, `<=`
/// when minimising), scanning `(times[i], values[i])` in order; infinity when it never does.
/// A NaN value (a diverged evaluation) never reaches the target.
pub fn time_to_target(times: &[f64], values: &[f64], target: f64, goal: Goal) -> Result<f64, StatsError> {
    if times.len() != values.len() {
        return Err(StatsError::LengthMismatch {
            what: "evaluation times and values".into(),
            left: times.len(),
            right: values.len(),
        });
    }
    Ok(times
        .iter()
        .zip(values)
        .find(|(_, v)| goal.reaches(**v, target))
        .map_or(f64::INFINITY, |(t, _)| *t))
}

/// Time of a tuning study: its fastest trial's time to target (infinity when no trial
/// reached it). `trial_times` must not be empty.
pub fn study_time(trial_times: &[f64]) -> Result<f64, StatsError> {
    check_times(trial_times, "trial times")?;
    Ok(trial_times.iter().copied().fold(f64::INFINITY, f64::min))
}

/// Time of a submission on one workload under external tuning: the median over independent
/// studies of each study's fastest trial ([`study_time`]), `studies[study][trial]`. With an
/// even number of studies the median is the mean of the middle two, so it is infinite as soon
/// as one of them is.
pub fn external_tuning_time(studies: &[Vec<f64>]) -> Result<f64, StatsError> {
    if studies.is_empty() {
        return Err(StatsError::Empty { what: "studies".into() });
    }
    let mut best = studies.iter().map(|s| study_time(s)).collect::<Result<Vec<f64>, _>>()?;
    best.sort_by(f64::total_cmp);
    let m = best.len() / 2;
    Ok(if best.len() % 2 == 1 {
        best[m]
    } else {
        0.5 * (best[m - 1] + best[m])
    })
}

/// Performance ratios `r[s][w] = t[s][w] / min_s' t[s'][w]` from `times[submission][workload]`
/// (every submission timed on the same workloads). A missed target gives an infinite ratio;
/// on a workload no submission finished, every ratio is infinite.
pub fn performance_ratios(times: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, StatsError> {
    let workloads = check_table(times)?;
    let best: Vec<f64> = (0..workloads)
        .map(|w| times.iter().map(|s| s[w]).fold(f64::INFINITY, f64::min))
        .collect();
    Ok(times
        .iter()
        .map(|s| {
            s.iter()
                .zip(&best)
                .map(|(t, b)| if b.is_finite() { t / b } else { f64::INFINITY })
                .collect()
        })
        .collect())
}

/// Performance profile of one submission at `tau`: the share of workloads whose ratio is at
/// most `tau`. `ratios[w]` as from [`performance_ratios`].
pub fn performance_profile(ratios: &[f64], tau: f64) -> f64 {
    if ratios.is_empty() {
        return f64::NAN;
    }
    ratios.iter().filter(|&&r| r <= tau).count() as f64 / ratios.len() as f64
}

/// AlgoPerf benchmark score of one submission: `(1 / (r_max - 1)) * integral from 1 to r_max
/// of its performance profile`, in [0, 1]. The profile is a step function, so the integral is
/// exact: each workload adds `(r_max - max(r_w, 1))_+ / n`. 1 means fastest everywhere.
pub fn benchmark_score(ratios: &[f64], r_max: f64) -> Result<f64, StatsError> {
    if !(r_max > 1.0 && r_max.is_finite()) {
        return Err(StatsError::InvalidParameter {
            name: "r_max",
            value: r_max,
            valid: "a finite ratio above 1; AlgoPerf uses 4",
        });
    }
    if ratios.is_empty() {
        return Err(StatsError::Empty {
            what: "performance ratios".into(),
        });
    }
    if let Some(index) = ratios.iter().position(|r| r.is_nan()) {
        return Err(StatsError::NotFinite {
            what: "performance ratios".into(),
            index,
            value: f64::NAN,
        });
    }
    let area: f64 = ratios.iter().map(|r| (r_max - r.max(1.0)).max(0.0)).sum();
    Ok(area / (ratios.len() as f64 * (r_max - 1.0)))
}

/// [`benchmark_score`] of every submission of `times[submission][workload]`, from their
/// [`performance_ratios`].
pub fn benchmark_scores(times: &[Vec<f64>], r_max: f64) -> Result<Vec<f64>, StatsError> {
    performance_ratios(times)?
        .iter()
        .map(|r| benchmark_score(r, r_max))
        .collect()
}

/// Speed-up of a submission over a reference optimizer.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Speedup {
    /// Geometric mean over workloads of `t_reference / t_submission`: above 1 when the
    /// submission is faster. NaN when no workload qualifies.
    pub factor: f64,
    /// Workloads where both reached the target, the only ones averaged.
    pub workloads: usize,
}

/// Geometric-mean speed-up of `times[w]` over `reference[w]` (the same workloads in the same
/// order), over the workloads where both reached the target.
pub fn geometric_mean_speedup(times: &[f64], reference: &[f64]) -> Result<Speedup, StatsError> {
    check_times(times, "times")?;
    check_times(reference, "reference times")?;
    if times.len() != reference.len() {
        return Err(StatsError::LengthMismatch {
            what: "workloads of times and reference".into(),
            left: times.len(),
            right: reference.len(),
        });
    }
    let logs: Vec<f64> = times
        .iter()
        .zip(reference)
        .filter(|(t, r)| t.is_finite() && r.is_finite())
        .map(|(t, r)| (r / t).ln())
        .collect();
    let factor = if logs.is_empty() {
        f64::NAN
    } else {
        (logs.iter().sum::<f64>() / logs.len() as f64).exp()
    };
    Ok(Speedup {
        factor,
        workloads: logs.len(),
    })
}

/// Times are positive numbers or `+inf` (missed target).
fn check_times(times: &[f64], what: &str) -> Result<(), StatsError> {
    if times.is_empty() {
        return Err(StatsError::Empty { what: what.into() });
    }
    match times.iter().position(|t| t.is_nan() || *t <= 0.0) {
        Some(index) => Err(StatsError::InvalidParameter {
            name: "time to target",
            value: times[index],
            valid: "a positive time, or infinity for a missed target",
        }),
        None => Ok(()),
    }
}

/// Checks a `times[submission][workload]` table; returns the number of workloads.
fn check_table(times: &[Vec<f64>]) -> Result<usize, StatsError> {
    let first = times.first().ok_or_else(|| StatsError::Empty {
        what: "submissions".into(),
    })?;
    for (s, row) in times.iter().enumerate() {
        check_times(row, &format!("times of submission {s}"))?;
        if row.len() != first.len() {
            return Err(StatsError::LengthMismatch {
                what: format!("workloads of submissions 0 and {s}"),
                left: first.len(),
                right: row.len(),
            });
        }
    }
    Ok(first.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const INF: f64 = f64::INFINITY;

    /// TIMES of statistics_reference.py, section "AlgoPerf".
    fn times() -> Vec<Vec<f64>> {
        vec![
            vec![10.0, 200.0, INF, 50.0],
            vec![20.0, 100.0, 30.0, 45.0],
            vec![12.0, 450.0, 90.0, INF],
        ]
    }

    #[test]
    fn ratios_to_the_fastest() {
        let r = performance_ratios(&times()).unwrap();
        assert_eq!(r[0], vec![1.0, 2.0, INF, 50.0 / 45.0]);
        assert_eq!(r[1], vec![2.0, 1.0, 1.0, 1.0]);
        assert_eq!(r[2], vec![1.2, 4.5, 3.0, INF]);
        assert_eq!(performance_profile(&r[2], 1.2), 0.25);
        assert_eq!(performance_profile(&r[2], 3.0), 0.5);
        assert_eq!(performance_profile(&r[0], 1e300), 0.75);
    }

    /// By hand, with r_max = 4 and 4 workloads, each workload adds (4 - r)_+ / (4 * 3):
    /// submission 0: (3 + 2 + 0 + (4 - 10/9)) / 12 = 71/108 = 0.657407...;
    /// submission 1: (2 + 3 + 3 + 3) / 12 = 11/12;
    /// submission 2: (2.8 + 0 + 1 + 0) / 12 = 3.8/12.
    /// The trapezoid rule on 3e6 points of the reference script agrees to 1e-7
    /// (0.6574074166666667, 0.9166667083333334, 0.31666675).
    #[test]
    fn benchmark_score_is_the_normalised_profile_area() {
        let s = benchmark_scores(&times(), R_MAX).unwrap();
        let want = [71.0 / 108.0, 11.0 / 12.0, 3.8 / 12.0];
        let numeric = [0.6574074166666667, 0.9166667083333334, 0.31666675];
        for i in 0..3 {
            assert!((s[i] - want[i]).abs() < 1e-12, "{i}: {}", s[i]);
            assert!((s[i] - numeric[i]).abs() < 1e-6, "{i}: {}", s[i]);
        }
        assert_eq!(benchmark_score(&[1.0, 1.0], R_MAX).unwrap(), 1.0);
        assert_eq!(benchmark_score(&[INF, 4.0], R_MAX).unwrap(), 0.0);
        // Ratios below 1 (against a reference rather than the fastest) start at tau = 1.
        assert_eq!(benchmark_score(&[0.5], R_MAX).unwrap(), 1.0);
        assert!(benchmark_score(&[1.0], 1.0).is_err());
    }

    #[test]
    fn external_tuning_takes_the_median_of_the_fastest_trials() {
        // Fastest per study: 7, inf, 5, 7.5; median of 4 = (7 + 7.5) / 2 = 7.25 (NumPy agrees).
        let studies = vec![
            vec![9.0, INF, 7.0],
            vec![INF, INF, INF],
            vec![5.0, 6.0, 8.0],
            vec![7.5, 12.0, INF],
        ];
        assert_eq!(external_tuning_time(&studies).unwrap(), 7.25);
        assert_eq!(external_tuning_time(&studies[..3]).unwrap(), 7.0);
        assert_eq!(external_tuning_time(&studies[..2]).unwrap(), INF);
    }

    #[test]
    fn time_to_target_is_the_first_reaching_evaluation() {
        let t = [1.0, 2.0, 3.0, 4.0];
        let acc = [0.5, f64::NAN, 0.9, 0.95];
        assert_eq!(time_to_target(&t, &acc, 0.9, Goal::Maximise).unwrap(), 3.0);
        assert_eq!(time_to_target(&t, &acc, 0.99, Goal::Maximise).unwrap(), INF);
        let loss = [2.0, 1.0, 0.5, 0.7];
        assert_eq!(time_to_target(&t, &loss, 1.0, Goal::Minimise).unwrap(), 2.0);
        assert!(time_to_target(&t, &loss[..2], 1.0, Goal::Minimise).is_err());
    }

    #[test]
    fn speedup_is_a_geometric_mean_over_shared_finishes() {
        // Workloads 0, 1, 3 qualify: (20/10 * 100/200 * 45/50)^(1/3) = 0.9^(1/3);
        // NumPy gives 0.9654893846056297.
        let s = geometric_mean_speedup(&[10.0, 200.0, INF, 50.0], &[20.0, 100.0, 30.0, 45.0]).unwrap();
        assert_eq!(s.workloads, 3);
        assert!((s.factor - 0.9654893846056297).abs() < 1e-12, "{}", s.factor);
        assert!((s.factor - 0.9f64.cbrt()).abs() < 1e-12);
        let none = geometric_mean_speedup(&[INF], &[1.0]).unwrap();
        assert!(none.factor.is_nan() && none.workloads == 0);
        assert!(geometric_mean_speedup(&[0.0], &[1.0]).is_err());
    }
}
