//! Aggregates over tasks and runs, as rliable computes them (docs/statistics.md#aggregates).

use super::StatsError;
use super::error::check_tasks;
use super::iqm::trimmed_mean_sorted;

/// Interquartile mean of all runs of all tasks pooled together (rliable's `aggregate_iqm`,
/// which trims the flattened runs x tasks matrix). `scores[task][run]`, finite.
pub fn aggregate_iqm(scores: &[Vec<f64>]) -> Result<f64, StatsError> {
    check_tasks(scores, "scores")?;
    Ok(aggregate_iqm_unchecked(scores))
}

/// Mean over tasks of each task's mean over runs (rliable's `aggregate_mean`), so every task
/// weighs the same whatever its number of runs. `scores[task][run]`, finite.
pub fn aggregate_mean(scores: &[Vec<f64>]) -> Result<f64, StatsError> {
    check_tasks(scores, "scores")?;
    Ok(aggregate_mean_unchecked(scores))
}

/// [`aggregate_iqm`] of checked scores.
pub(crate) fn aggregate_iqm_unchecked(scores: &[Vec<f64>]) -> f64 {
    let mut pooled: Vec<f64> = scores.iter().flatten().copied().collect();
    pooled.sort_by(f64::total_cmp);
    trimmed_mean_sorted(&pooled, 0.25)
}

/// [`aggregate_mean`] of checked scores.
pub(crate) fn aggregate_mean_unchecked(scores: &[Vec<f64>]) -> f64 {
    let task_means = scores.iter().map(|runs| runs.iter().sum::<f64>() / runs.len() as f64);
    task_means.sum::<f64>() / scores.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runs x tasks matrix SCORES of statistics_reference.py, here task by task.
    fn scores() -> Vec<Vec<f64>> {
        vec![
            vec![0.90, 0.85, 0.95, 0.80, 0.99],
            vec![0.40, 0.35, 0.55, 0.45, 0.20],
            vec![0.75, 0.80, 0.70, 0.60, 0.65],
        ]
    }

    #[test]
    fn matches_rliable_aggregates() {
        // trim_mean(SCORES, 0.25, axis=None) and mean(mean(SCORES, axis=0)).
        let iqm = aggregate_iqm(&scores()).unwrap();
        assert!((iqm - 0.6833333333333332).abs() < 1e-12, "{iqm}");
        let mean = aggregate_mean(&scores()).unwrap();
        assert!((mean - 0.6626666666666666).abs() < 1e-12, "{mean}");
    }

    #[test]
    fn mean_weighs_tasks_equally() {
        // Task means 1 and 3: 2, although the pooled mean of the 4 runs is 2.5.
        let m = aggregate_mean(&[vec![1.0], vec![3.0, 3.0, 3.0]]).unwrap();
        assert_eq!(m, 2.0);
    }

    #[test]
    fn rejects_an_empty_task() {
        let err = aggregate_iqm(&[vec![1.0], vec![]]).unwrap_err();
        assert!(err.to_string().contains("task 1"), "{err}");
        assert!(aggregate_mean(&[]).is_err());
    }
}
