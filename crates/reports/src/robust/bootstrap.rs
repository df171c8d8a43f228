//! Stratified bootstrap confidence intervals (docs/statistics.md#stratified-bootstrap).
//!
//! Runs are resampled with replacement within each task, never across tasks: the interval
//! says how the aggregate would move if the runs (seeds) were drawn again on the same tasks,
//! as rliable's `StratifiedBootstrap` does. The interval is the percentile interval.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::StatsError;
use super::aggregate::{aggregate_iqm_unchecked, aggregate_mean_unchecked};
use super::error::check_tasks;
use super::quantile::quantile_sorted;

/// Settings of a bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Bootstrap replications (default 50,000, rliable's `get_interval_estimates`).
    pub reps: usize,
    /// Coverage of the interval, in (0, 1) (default 0.95).
    pub confidence: f64,
    /// Seed of the ChaCha8 generator that draws the resamples: the same seed gives the same
    /// interval (default 0).
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            reps: 50_000,
            confidence: 0.95,
            seed: 0,
        }
    }
}

impl Options {
    fn check(&self) -> Result<(), StatsError> {
        if self.reps == 0 {
            return Err(StatsError::InvalidParameter {
                name: "reps",
                value: 0.0,
                valid: "at least one replication",
            });
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(StatsError::InvalidParameter {
                name: "confidence",
                value: self.confidence,
                valid: "a coverage strictly between 0 and 1, e.g. 0.95",
            });
        }
        Ok(())
    }
}

/// A point estimate with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Interval {
    /// The statistic on the observed scores.
    pub estimate: f64,
    /// Lower end: the `(1 - confidence) / 2` quantile of the bootstrap replicates.
    pub lower: f64,
    /// Upper end: the `(1 + confidence) / 2` quantile of the bootstrap replicates.
    pub upper: f64,
}

/// Fills `out` with one stratified resample of `scores[task][run]`: for each task, as many
/// runs as it has, drawn uniformly with replacement from that task's runs only.
pub fn resample_stratified<R: Rng + ?Sized>(scores: &[Vec<f64>], rng: &mut R, out: &mut Vec<Vec<f64>>) {
    out.resize_with(scores.len(), Vec::new);
    for (runs, drawn) in scores.iter().zip(out.iter_mut()) {
        drawn.clear();
        drawn.extend((0..runs.len()).map(|_| runs[rng.random_range(0..runs.len())]));
    }
}

/// Percentile interval of `statistic` over stratified resamples of `scores[task][run]`.
///
/// `statistic` receives resamples with the same tasks and run counts as `scores`; a NaN it
/// returns sorts above every number and so can only widen the upper end.
pub fn stratified_ci<F>(scores: &[Vec<f64>], statistic: F, opts: &Options) -> Result<Interval, StatsError>
where
    F: Fn(&[Vec<f64>]) -> f64,
{
    opts.check()?;
    check_tasks(scores, "scores")?;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut sample = Vec::new();
    let replicates = (0..opts.reps).map(|_| {
        resample_stratified(scores, &mut rng, &mut sample);
        statistic(&sample)
    });
    Ok(percentile_interval(
        statistic(scores),
        replicates.collect(),
        opts.confidence,
    ))
}

/// Percentile interval of a two-sample `statistic(x, y)`, resampling `x` and `y`
/// independently, each stratified by task (rliable's `StratifiedIndependentBootstrap`), so
/// the two need not have the same number of runs.
pub fn independent_stratified_ci<F>(
    x: &[Vec<f64>],
    y: &[Vec<f64>],
    statistic: F,
    opts: &Options,
) -> Result<Interval, StatsError>
where
    F: Fn(&[Vec<f64>], &[Vec<f64>]) -> f64,
{
    opts.check()?;
    check_tasks(x, "x")?;
    check_tasks(y, "y")?;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let (mut sx, mut sy) = (Vec::new(), Vec::new());
    let replicates = (0..opts.reps).map(|_| {
        resample_stratified(x, &mut rng, &mut sx);
        resample_stratified(y, &mut rng, &mut sy);
        statistic(&sx, &sy)
    });
    Ok(percentile_interval(
        statistic(x, y),
        replicates.collect(),
        opts.confidence,
    ))
}

/// Interquartile mean of the pooled runs ([`super::aggregate::aggregate_iqm`]) with its
/// stratified bootstrap interval.
pub fn iqm_ci(scores: &[Vec<f64>], opts: &Options) -> Result<Interval, StatsError> {
    stratified_ci(scores, aggregate_iqm_unchecked, opts)
}

/// Mean of the per-task means ([`super::aggregate::aggregate_mean`]) with its stratified
/// bootstrap interval.
pub fn mean_ci(scores: &[Vec<f64>], opts: &Options) -> Result<Interval, StatsError> {
    stratified_ci(scores, aggregate_mean_unchecked, opts)
}

fn percentile_interval(estimate: f64, mut replicates: Vec<f64>, confidence: f64) -> Interval {
    replicates.sort_by(f64::total_cmp);
    let alpha = (1.0 - confidence) / 2.0;
    Interval {
        estimate,
        lower: quantile_sorted(&replicates, alpha),
        upper: quantile_sorted(&replicates, 1.0 - alpha),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Distribution, Normal};

    fn opts(reps: usize, seed: u64) -> Options {
        Options {
            reps,
            confidence: 0.95,
            seed,
        }
    }

    #[test]
    fn resampling_stays_within_each_task() {
        // Disjoint value ranges per task and unequal run counts: a resample that mixed tasks
        // or changed a task's size would show here.
        let scores = vec![vec![1.0, 2.0, 3.0], vec![10.0, 20.0], vec![100.0, 200.0, 300.0, 400.0]];
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut out = Vec::new();
        let mut seen_repeat = false;
        for _ in 0..200 {
            resample_stratified(&scores, &mut rng, &mut out);
            assert_eq!(out.len(), scores.len());
            for (task, drawn) in scores.iter().zip(&out) {
                assert_eq!(drawn.len(), task.len());
                assert!(drawn.iter().all(|v| task.contains(v)), "{drawn:?} not from {task:?}");
                let mut d = drawn.clone();
                d.sort_by(f64::total_cmp);
                d.dedup();
                seen_repeat |= d.len() < drawn.len();
            }
        }
        assert!(seen_repeat, "sampling with replacement must repeat runs");
    }

    #[test]
    fn seeded_and_deterministic() {
        let scores = vec![vec![0.1, 0.5, 0.9, 0.4, 0.7], vec![2.0, 2.5, 1.0, 3.0]];
        let a = iqm_ci(&scores, &opts(2_000, 11)).unwrap();
        let b = iqm_ci(&scores, &opts(2_000, 11)).unwrap();
        let c = iqm_ci(&scores, &opts(2_000, 12)).unwrap();
        assert_eq!(a, b);
        assert_ne!((a.lower, a.upper), (c.lower, c.upper));
        assert_eq!(a.estimate, c.estimate);
        assert!(a.lower < a.estimate && a.estimate < a.upper, "{a:?}");
    }

    #[test]
    fn constant_scores_give_a_point_interval() {
        let scores = vec![vec![0.5; 4], vec![0.5; 3]];
        let ci = mean_ci(&scores, &opts(500, 1)).unwrap();
        assert_eq!((ci.lower, ci.estimate, ci.upper), (0.5, 0.5, 0.5));
    }

    #[test]
    fn a_task_with_one_run_does_not_vary() {
        // Stratification keeps the single-run task fixed: only the first task varies, so the
        // mean of task means moves by half of the first task's spread at most.
        let scores = vec![vec![0.0, 1.0], vec![5.0]];
        let ci = mean_ci(&scores, &opts(2_000, 3)).unwrap();
        assert_eq!(ci.lower, 2.5);
        assert_eq!(ci.upper, 3.0);
    }

    /// Percentile intervals of the mean and the IQM cover the centre of a symmetric
    /// distribution in about 95% of repeated experiments.
    #[test]
    fn covers_the_true_centre_about_95_percent_of_the_time() {
        let normal = Normal::new(3.0, 1.0).unwrap();
        let mut data_rng = ChaCha8Rng::seed_from_u64(2021);
        let experiments = 300;
        let (mut mean_hits, mut iqm_hits) = (0, 0);
        for e in 0..experiments {
            // 3 tasks with offsets -1, 0, +1 around 3: mean of task centres 3; pooled
            // distribution symmetric about 3, so its interquartile mean is 3 as well.
            let scores: Vec<Vec<f64>> = (0..3)
                .map(|t| (0..20).map(|_| normal.sample(&mut data_rng) + t as f64 - 1.0).collect())
                .collect();
            let m = mean_ci(&scores, &opts(1_000, e)).unwrap();
            mean_hits += usize::from(m.lower <= 3.0 && 3.0 <= m.upper);
            let q = iqm_ci(&scores, &opts(1_000, e)).unwrap();
            iqm_hits += usize::from(q.lower <= 3.0 && 3.0 <= q.upper);
        }
        let mean_cov = mean_hits as f64 / experiments as f64;
        let iqm_cov = iqm_hits as f64 / experiments as f64;
        // Binomial sd at 0.95 over 300 experiments is 0.0126; the percentile interval
        // under-covers slightly at 20 runs per task.
        assert!((0.89..=0.99).contains(&mean_cov), "mean coverage {mean_cov}");
        assert!((0.89..=0.99).contains(&iqm_cov), "IQM coverage {iqm_cov}");
    }

    #[test]
    fn rejects_bad_options() {
        let scores = vec![vec![1.0, 2.0]];
        assert!(mean_ci(&scores, &opts(0, 0)).is_err());
        let bad = Options {
            confidence: 1.0,
            ..Default::default()
        };
        assert!(mean_ci(&scores, &bad).is_err());
    }
}
