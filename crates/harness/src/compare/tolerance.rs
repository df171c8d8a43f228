//! How far two stored runs of a cell may differ before `runner compare` calls it a regression:
//! documented defaults, an experiment's own `[compare]` table, and the command line's values.
//!
//! ```toml
//! [compare]
//! metric_tolerance = 1e-5                 # largest relative difference of any metric value
//! timing_ratio = 1.25                     # largest B/A of seconds per iteration
//! metrics = { test_accuracy = 1e-3 }      # per-metric tolerances, replacing metric_tolerance
//! ```

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Deserialize;

use crate::experiment::Experiment;
use crate::observers::TIMING_COLUMNS;

/// Default largest relative difference |a - b| / max(|a|, |b|) of a metric value: about a
/// hundred f32 roundings, so a reordered sum passes while a changed algorithm does not.
pub const DEFAULT_METRIC_TOLERANCE: f64 = 1e-5;

/// Default largest ratio B/A of seconds per iteration (and its inverse for an improvement):
/// run-to-run noise on one machine stays well inside 25%.
pub const DEFAULT_TIMING_RATIO: f64 = 1.25;

/// An experiment file's `[compare]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareSpec {
    /// Largest relative difference of any metric value (default
    /// [`DEFAULT_METRIC_TOLERANCE`]).
    #[serde(default)]
    pub metric_tolerance: Option<f64>,
    /// Largest ratio B/A of seconds per iteration (default [`DEFAULT_TIMING_RATIO`]).
    #[serde(default)]
    pub timing_ratio: Option<f64>,
    /// Tolerances of single metrics columns, replacing `metric_tolerance` for them.
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
}

/// Checks an experiment's `[compare]` table; errors name the file, the line and the key.
pub fn validate(exp: &Experiment) -> Result<()> {
    let Some(spanned) = &exp.file.compare else {
        return Ok(());
    };
    let region = exp.table_region(spanned.span());
    let spec = spanned.get_ref();
    if let Some(t) = spec.metric_tolerance {
        check_metric_tolerance(t).map_err(|m| exp.key_error(&region, "metric_tolerance", &m))?;
    }
    if let Some(r) = spec.timing_ratio {
        check_timing_ratio(r).map_err(|m| exp.key_error(&region, "timing_ratio", &m))?;
    }
    for (column, &t) in &spec.metrics {
        if column == "iteration" || TIMING_COLUMNS.contains(&column.as_str()) {
            let message = "of [compare] metrics is not a metric; timings are checked with `timing_ratio`";
            return Err(exp.key_error(&region, column, message));
        }
        check_metric_tolerance(t).map_err(|m| exp.key_error(&region, column, &format!("of [compare] metrics {m}")))?;
    }
    Ok(())
}

/// Why `t` is no metric tolerance, if it is not.
pub fn check_metric_tolerance(t: f64) -> std::result::Result<(), String> {
    if t.is_finite() && t >= 0.0 {
        Ok(())
    } else {
        Err(format!(
            "must be a relative difference >= 0 (0: bit-identical values), got {t}"
        ))
    }
}

/// Why `r` is no timing ratio, if it is not.
pub fn check_timing_ratio(r: f64) -> std::result::Result<(), String> {
    if r.is_finite() && r >= 1.0 {
        Ok(())
    } else {
        Err(format!(
            "must be a ratio of seconds >= 1 (1.25: B may take 25% longer), got {r}"
        ))
    }
}

/// Tolerances given on the command line: they replace the experiment files' for every cell.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides {
    /// `--metric-tolerance`: every metric, per-metric values of the files included.
    pub metric_tolerance: Option<f64>,
    /// `--timing-ratio`.
    pub timing_ratio: Option<f64>,
}

/// The tolerances that apply to one experiment's cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Tolerances {
    /// Largest relative difference of a metric value without its own tolerance.
    pub metric: f64,
    /// Per-metric tolerances.
    pub metrics: BTreeMap<String, f64>,
    /// Largest ratio B/A of seconds per iteration.
    pub timing_ratio: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Self {
            metric: DEFAULT_METRIC_TOLERANCE,
            metrics: BTreeMap::new(),
            timing_ratio: DEFAULT_TIMING_RATIO,
        }
    }
}

impl Tolerances {
    /// The defaults, then the experiment's `[compare]` table, then the command line.
    pub fn resolve(spec: Option<&CompareSpec>, overrides: Overrides) -> Self {
        let mut t = Self::default();
        if let Some(spec) = spec {
            t.metric = spec.metric_tolerance.unwrap_or(t.metric);
            t.timing_ratio = spec.timing_ratio.unwrap_or(t.timing_ratio);
            t.metrics = spec.metrics.clone();
        }
        if let Some(m) = overrides.metric_tolerance {
            t.metric = m;
            t.metrics.clear();
        }
        t.timing_ratio = overrides.timing_ratio.unwrap_or(t.timing_ratio);
        t
    }

    /// The tolerance of metrics column `column`.
    pub fn metric(&self, column: &str) -> f64 {
        self.metrics.get(column).copied().unwrap_or(self.metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_replaces_the_file_which_replaces_the_defaults() {
        let spec = CompareSpec {
            metric_tolerance: Some(1e-3),
            timing_ratio: None,
            metrics: BTreeMap::from([("test_accuracy".to_owned(), 0.1)]),
        };
        let file = Tolerances::resolve(Some(&spec), Overrides::default());
        assert_eq!(file.metric("train_loss"), 1e-3);
        assert_eq!(file.metric("test_accuracy"), 0.1);
        assert_eq!(file.timing_ratio, DEFAULT_TIMING_RATIO);
        let cli = Tolerances::resolve(
            Some(&spec),
            Overrides {
                metric_tolerance: Some(0.0),
                timing_ratio: Some(2.0),
            },
        );
        assert_eq!(cli.metric("test_accuracy"), 0.0);
        assert_eq!(cli.timing_ratio, 2.0);
        assert_eq!(Tolerances::resolve(None, Overrides::default()), Tolerances::default());
    }

    #[test]
    fn impossible_tolerances_are_refused() {
        assert!(check_metric_tolerance(0.0).is_ok());
        assert!(check_metric_tolerance(-1e-3).is_err());
        assert!(check_metric_tolerance(f64::NAN).is_err());
        assert!(check_timing_ratio(1.0).is_ok());
        assert!(check_timing_ratio(0.8).unwrap_err().contains(">= 1"));
    }
}
