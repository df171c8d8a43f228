//! `[scoring]`: how reports score optimizers as AlgoPerf does (docs/statistics.md#algoperf-scoring):
//! time to a validation target on each workload (each setting of the experiment's `[grid]`,
//! or the experiment itself), against a reference optimizer.

use serde::Deserialize;

use crate::experiment::Goal;

/// The scoring rule of an experiment.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringSpec {
    /// Label of the reference entry (its `label`, else its name): speed-ups, probabilities of
    /// improvement and paired tests compare every other entry with it.
    pub reference: String,
    /// The validation target every workload is timed to.
    pub target: f64,
    /// The validation metric the target is on (default `val_accuracy`).
    #[serde(default)]
    pub metric: Option<String>,
    /// `max` when the metric is better high (default for accuracies), `min` for losses.
    #[serde(default)]
    pub goal: Option<Goal>,
}

impl ScoringSpec {
    /// The metric the target is on.
    pub fn metric(&self) -> &str {
        self.metric.as_deref().unwrap_or("val_accuracy")
    }

    /// Whether the metric is better high or low: as written, else by its name.
    pub fn goal(&self) -> Goal {
        self.goal.unwrap_or(if self.metric().ends_with("loss") {
            Goal::Min
        } else {
            Goal::Max
        })
    }
}
