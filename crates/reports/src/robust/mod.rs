//! Statistics that make optimizer comparisons sound: robust aggregates with stratified
//! bootstrap intervals, the probability of improvement, the Wilcoxon signed-rank test over
//! seeds, expected validation performance against tuning budget, and AlgoPerf scoring.
//!
//! Every formula, with the choices made where the literature leaves one (quantile method, tie
//! handling, bootstrap type, defaults), is in `docs/statistics.md`; each function cites its
//! section. Scores of several tasks (workloads) are passed task by task: `scores[task][run]`,
//! so tasks may have different numbers of runs.
//!
//! ```
//! use reports::robust::{bootstrap, Goal};
//!
//! // Final accuracies of 4 seeds on 2 workloads, for two optimizers.
//! let adam = vec![vec![0.91, 0.93, 0.90, 0.92], vec![0.71, 0.74, 0.69, 0.73]];
//! let sgd = vec![vec![0.89, 0.90, 0.91, 0.88], vec![0.70, 0.68, 0.72, 0.69]];
//! let opts = bootstrap::Options { reps: 2_000, ..Default::default() };
//! let iqm = bootstrap::iqm_ci(&adam, &opts)?;
//! assert!(iqm.lower <= iqm.estimate && iqm.estimate <= iqm.upper);
//! let p = reports::robust::improvement::probability_of_improvement_ci(&adam, &sgd, Goal::Maximise, &opts)?;
//! assert!(p.estimate > 0.5);
//! # Ok::<(), reports::robust::StatsError>(())
//! ```

pub mod aggregate;
pub mod algoperf;
pub mod bootstrap;
pub mod error;
pub mod expected_max;
pub mod goal;
pub mod improvement;
pub mod iqm;
pub mod quantile;
pub mod ranks;
pub mod wilcoxon;

pub use error::StatsError;
pub use goal::Goal;
