//! Expected validation performance against tuning budget
//! (docs/statistics.md#expected-validation-performance).
//!
//! Given the scores of `N` hyper-parameter trials drawn at random from a search space, the
//! expected best score of `k` trials is estimated by drawing `k` of the observed scores with
//! replacement, i.e. from their empirical distribution (Dodge et al., 2019).

use super::error::check_finite;
use super::{Goal, StatsError};

/// Expected best score at one budget, with the band of one standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExpectedBest {
    /// Number of trials `k`.
    pub budget: usize,
    /// Expected best of `k` draws with replacement from the observed scores.
    pub mean: f64,
    /// Standard deviation of that best (its spread over repeated draws of `k` trials).
    pub std: f64,
    /// `mean - std`, clipped to the observed scores' range.
    pub lower: f64,
    /// `mean + std`, clipped to the observed scores' range.
    pub upper: f64,
}

/// [`ExpectedBest`] for every budget `k = 1..=N`, `N = scores.len()`, the range the curve of
/// Dodge et al. is drawn over. `goal` says whether the best is the largest score (accuracy)
/// or the smallest (loss). Scores must be finite.
pub fn expected_best_curve(scores: &[f64], goal: Goal) -> Result<Vec<ExpectedBest>, StatsError> {
    check_finite(scores, || "trial scores".into())?;
    let sorted = sorted_worst_first(scores, goal);
    Ok((1..=scores.len()).map(|k| at_budget(&sorted, k)).collect())
}

/// [`ExpectedBest`] at one budget `k >= 1`; `k` may exceed the number of trials since draws
/// are with replacement.
pub fn expected_best(scores: &[f64], budget: usize, goal: Goal) -> Result<ExpectedBest, StatsError> {
    check_finite(scores, || "trial scores".into())?;
    if budget == 0 {
        return Err(StatsError::InvalidParameter {
            name: "budget",
            value: 0.0,
            valid: "at least one trial",
        });
    }
    Ok(at_budget(&sorted_worst_first(scores, goal), budget))
}

/// Scores ordered from worst to best under `goal`, the order of the empirical CDF of "how
/// good", so one formula serves both goals.
fn sorted_worst_first(scores: &[f64], goal: Goal) -> Vec<f64> {
    let mut sorted = scores.to_vec();
    match goal {
        Goal::Maximise => sorted.sort_by(f64::total_cmp),
        Goal::Minimise => sorted.sort_by(|a, b| b.total_cmp(a)),
    }
    sorted
}

/// With `v_(1..N)` worst to best, the best of `k` draws is `v_(i)` with probability
/// `(i/N)^k - ((i-1)/N)^k` (tied values split one atom of the CDF between them, which leaves
/// mean and variance unchanged).
fn at_budget(sorted: &[f64], k: usize) -> ExpectedBest {
    let n = sorted.len() as f64;
    let kk = k as i32;
    let probs: Vec<f64> = (1..=sorted.len())
        .map(|i| (i as f64 / n).powi(kk) - ((i - 1) as f64 / n).powi(kk))
        .collect();
    let mean: f64 = sorted.iter().zip(&probs).map(|(v, p)| v * p).sum();
    let var: f64 = sorted.iter().zip(&probs).map(|(v, p)| p * (v - mean).powi(2)).sum();
    let std = var.sqrt();
    let (lo, hi) = (
        sorted[0].min(sorted[sorted.len() - 1]),
        sorted[0].max(sorted[sorted.len() - 1]),
    );
    ExpectedBest {
        budget: k,
        mean,
        std,
        lower: (mean - std).clamp(lo, hi),
        upper: (mean + std).clamp(lo, hi),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRIALS: [f64; 5] = [0.71, 0.64, 0.80, 0.64, 0.77];

    /// Mean and population sd of the best over all 5^k equally likely draws, enumerated by
    /// statistics_reference.py (section "expected best of k draws").
    #[test]
    fn matches_enumeration_of_all_draws() {
        let maximise = [
            (0.7120000000000001, 0.06554387843269575),
            (0.748, 0.05713142742834282),
            (0.7671999999999999, 0.045388985448013716),
            (0.778144, 0.035666164133531394),
            (0.7847872, 0.028329396678362234),
        ];
        let minimise = [
            (0.7120000000000001, 0.06554387843269575),
            (0.6759999999999999, 0.05230678732248808),
            (0.6591999999999999, 0.039081453401837545),
            (0.6506559999999999, 0.029027739560634057),
            (0.6460671999999998, 0.021676648360851352),
        ];
        for (goal, want) in [(Goal::Maximise, maximise), (Goal::Minimise, minimise)] {
            let curve = expected_best_curve(&TRIALS, goal).unwrap();
            assert_eq!(curve.len(), 5);
            for (got, (mean, std)) in curve.iter().zip(want) {
                assert!(
                    (got.mean - mean).abs() < 1e-12,
                    "{goal:?} k {}: {}",
                    got.budget,
                    got.mean
                );
                assert!((got.std - std).abs() < 1e-12, "{goal:?} k {}: {}", got.budget, got.std);
            }
        }
    }

    #[test]
    fn band_is_clipped_to_the_observed_range() {
        let curve = expected_best_curve(&TRIALS, Goal::Maximise).unwrap();
        // k = 5: 0.7848 + 0.0283 = 0.8131 exceeds the best trial 0.80.
        let last = curve[4];
        assert_eq!(last.upper, 0.80);
        assert!((last.lower - (last.mean - last.std)).abs() < 1e-15);
        let first = expected_best(&TRIALS, 1, Goal::Minimise).unwrap();
        assert!(first.lower >= 0.64 && first.upper <= 0.80);
    }

    #[test]
    fn approaches_the_best_trial_as_budget_grows() {
        let far = expected_best(&TRIALS, 200, Goal::Maximise).unwrap();
        assert!((far.mean - 0.80).abs() < 1e-12, "{}", far.mean);
        assert!(far.std < 1e-6);
        let curve = expected_best_curve(&TRIALS, Goal::Maximise).unwrap();
        assert!(curve.windows(2).all(|w| w[1].mean >= w[0].mean));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(expected_best_curve(&[], Goal::Maximise).is_err());
        assert!(expected_best(&TRIALS, 0, Goal::Maximise).is_err());
    }
}
