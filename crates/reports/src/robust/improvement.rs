//! Probability of improvement (docs/statistics.md#probability-of-improvement).

use super::bootstrap::{self, Interval, independent_stratified_ci};
use super::error::{check_finite, check_tasks};
use super::{Goal, StatsError};

/// Probability that a run of X is better than a run of Y on one task:
/// `(#{(i, j): x_i better than y_j} + #{(i, j): x_i = y_j} / 2) / (n m)`, the Mann-Whitney
/// U statistic of X over Y divided by the number of pairs. 0.5 means no difference.
pub fn probability_of_improvement_task(x: &[f64], y: &[f64], goal: Goal) -> Result<f64, StatsError> {
    check_finite(x, || "x".into())?;
    check_finite(y, || "y".into())?;
    Ok(task_unchecked(x, y, goal))
}

/// Probability of improvement of X over Y averaged over tasks with equal weight (rliable's
/// `probability_of_improvement`): `x[task][run]` and `y[task][run]` have the same tasks, in
/// the same order, and any numbers of runs.
pub fn probability_of_improvement(x: &[Vec<f64>], y: &[Vec<f64>], goal: Goal) -> Result<f64, StatsError> {
    check_pair(x, y)?;
    Ok(average_unchecked(x, y, goal))
}

/// [`probability_of_improvement`] with its percentile interval over independent stratified
/// resamples of X and Y ([`bootstrap::independent_stratified_ci`]).
pub fn probability_of_improvement_ci(
    x: &[Vec<f64>],
    y: &[Vec<f64>],
    goal: Goal,
    opts: &bootstrap::Options,
) -> Result<Interval, StatsError> {
    check_pair(x, y)?;
    independent_stratified_ci(x, y, |a, b| average_unchecked(a, b, goal), opts)
}

fn check_pair(x: &[Vec<f64>], y: &[Vec<f64>]) -> Result<(), StatsError> {
    check_tasks(x, "x")?;
    check_tasks(y, "y")?;
    if x.len() != y.len() {
        return Err(StatsError::LengthMismatch {
            what: "tasks of x and y".into(),
            left: x.len(),
            right: y.len(),
        });
    }
    Ok(())
}

fn average_unchecked(x: &[Vec<f64>], y: &[Vec<f64>], goal: Goal) -> f64 {
    let sum: f64 = x.iter().zip(y).map(|(a, b)| task_unchecked(a, b, goal)).sum();
    sum / x.len() as f64
}

/// Counts pairs directly: O(n m), which for the handful of seeds per task of a benchmark is
/// cheaper than ranking.
fn task_unchecked(x: &[f64], y: &[f64], goal: Goal) -> f64 {
    let mut wins = 0.0;
    for &a in x {
        for &b in y {
            if goal.better(a, b) {
                wins += 1.0;
            } else if a == b {
                wins += 0.5;
            }
        }
    }
    wins / (x.len() * y.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const PX: [f64; 5] = [0.9, 0.8, 0.8, 0.7, 0.95];
    const PY: [f64; 4] = [0.8, 0.6, 0.85, 0.7];

    #[test]
    fn matches_mann_whitney_u_over_pairs() {
        // scipy mannwhitneyu(PX, PY, alternative='greater').statistic / 20
        // (statistics_reference.py, section "probability of improvement").
        let p = probability_of_improvement_task(&PX, &PY, Goal::Maximise).unwrap();
        assert!((p - 0.725).abs() < 1e-12, "{p}");
        // Minimising swaps the roles, ties still count a half: P(X < Y) = 1 - P(X > Y).
        let q = probability_of_improvement_task(&PX, &PY, Goal::Minimise).unwrap();
        assert!((q - 0.275).abs() < 1e-12, "{q}");
    }

    #[test]
    fn averages_tasks_with_equal_weight() {
        let tx = vec![PX.to_vec(), vec![0.3, 0.5, 0.4], vec![1.0, 1.0, 2.0]];
        let ty = vec![PY.to_vec(), vec![0.5, 0.5, 0.6, 0.2], vec![1.0, 2.0, 1.0]];
        // Per task 0.725, 1/3, 1/2 from SciPy; their mean 0.5194444444444445.
        let per_task = [0.725, 0.3333333333333333, 0.5];
        for (t, want) in per_task.iter().enumerate() {
            let got = probability_of_improvement_task(&tx[t], &ty[t], Goal::Maximise).unwrap();
            assert!((got - want).abs() < 1e-12, "task {t}: {got}");
        }
        let p = probability_of_improvement(&tx, &ty, Goal::Maximise).unwrap();
        assert!((p - 0.5194444444444445).abs() < 1e-12, "{p}");
    }

    #[test]
    fn identical_samples_give_one_half() {
        let x = vec![vec![3.0, 1.0, 2.0, 2.0]];
        assert_eq!(probability_of_improvement(&x, &x, Goal::Maximise).unwrap(), 0.5);
    }

    #[test]
    fn interval_brackets_the_estimate_and_saturates_when_separated() {
        let opts = bootstrap::Options {
            reps: 2_000,
            ..Default::default()
        };
        let tx = vec![PX.to_vec(), vec![0.3, 0.5, 0.4]];
        let ty = vec![PY.to_vec(), vec![0.5, 0.5, 0.6, 0.2]];
        let ci = probability_of_improvement_ci(&tx, &ty, Goal::Maximise, &opts).unwrap();
        assert!(ci.lower < ci.estimate && ci.estimate < ci.upper, "{ci:?}");
        assert!(ci.lower >= 0.0 && ci.upper <= 1.0);
        // Every run of X beats every run of Y: every resample says 1.
        let sep =
            probability_of_improvement_ci(&[vec![5.0, 6.0]], &[vec![1.0, 2.0, 3.0]], Goal::Maximise, &opts).unwrap();
        assert_eq!((sep.lower, sep.estimate, sep.upper), (1.0, 1.0, 1.0));
    }

    #[test]
    fn rejects_different_task_counts() {
        let err = probability_of_improvement(&[vec![1.0]], &[vec![1.0], vec![2.0]], Goal::Maximise).unwrap_err();
        assert!(matches!(err, StatsError::LengthMismatch { left: 1, right: 2, .. }));
    }
}
