//! `[scoring]`: how reports score optimizers as AlgoPerf does (docs/statistics.md#algoperf-scoring):
//! time to a validation target on each workload (each setting of the experiment's `[grid]`,
//! or the experiment itself), against a reference optimizer.

use std::collections::BTreeMap;

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

/// A suite item's scoring: its experiments are the workloads, each with its own validation
/// target (`scoring = { reference = "SGD", targets = { exp-a = 0.95, exp-b = 0.85 } }`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteScoring {
    /// Label of the reference entry, in every experiment.
    pub reference: String,
    /// Validation target of each experiment of the item, by experiment name.
    pub targets: BTreeMap<String, f64>,
    /// The validation metric the targets are on (default `val_accuracy`).
    #[serde(default)]
    pub metric: Option<String>,
    /// `max` or `min` (default: by the metric's name).
    #[serde(default)]
    pub goal: Option<Goal>,
}

impl SuiteScoring {
    /// Every experiment has a finite target and every target names an experiment; the metric
    /// is a validation one.
    pub fn check(&self, experiments: &[String]) -> Result<(), String> {
        if let Some(name) = self.targets.keys().find(|k| !experiments.contains(k)) {
            return Err(format!(
                "targets names `{name}`, which is not an experiment of the item ({})",
                experiments.join(", ")
            ));
        }
        if let Some(name) = experiments.iter().find(|e| !self.targets.contains_key(*e)) {
            return Err(format!("targets has no value for experiment `{name}`"));
        }
        if let Some((name, t)) = self.targets.iter().find(|(_, t)| !t.is_finite()) {
            return Err(format!("target {t} of `{name}` must be a finite number"));
        }
        match self.metric.as_deref() {
            Some(m) if !m.starts_with("val_") => Err(format!(
                "metric `{m}`: targets are on the validation split (`val_accuracy`, `val_loss`); the test set plays no part in a choice"
            )),
            _ => Ok(()),
        }
    }

    /// The scoring rule of one experiment of the item.
    pub fn for_experiment(&self, name: &str) -> Option<ScoringSpec> {
        Some(ScoringSpec {
            reference: self.reference.clone(),
            target: *self.targets.get(name)?,
            metric: self.metric.clone(),
            goal: self.goal,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_scoring_needs_a_validation_target_per_experiment() {
        let experiments = vec!["a".to_owned(), "b".to_owned()];
        let scoring = |text: &str| -> SuiteScoring { toml::from_str(text).unwrap() };
        let good = scoring("reference = \"SGD\"\ntargets = { a = 0.9, b = 0.8 }");
        assert_eq!(good.check(&experiments), Ok(()));
        assert_eq!(good.for_experiment("b").unwrap().target, 0.8);
        assert_eq!(good.for_experiment("b").unwrap().metric(), "val_accuracy");
        let missing = scoring("reference = \"SGD\"\ntargets = { a = 0.9 }");
        assert!(missing.check(&experiments).unwrap_err().contains("`b`"));
        let stranger = scoring("reference = \"SGD\"\ntargets = { a = 0.9, b = 0.8, c = 1.0 }");
        assert!(stranger.check(&experiments).unwrap_err().contains("`c`"));
        let test = scoring("reference = \"SGD\"\nmetric = \"test_accuracy\"\ntargets = { a = 0.9, b = 0.8 }");
        assert!(test.check(&experiments).unwrap_err().contains("test set"));
    }
}
