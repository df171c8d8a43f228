//! Named per-iteration values an optimizer reports about itself.

use serde::{Deserialize, Serialize};

/// Ordered `(name, value)` pairs: objective, residuals, inner-loop counts, ...
///
/// Names are stable column headers in the metrics CSV, so an optimizer always reports the
/// same names in the same order (those of [`crate::Optimizer::diagnostic_names`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Diagnostics(pub Vec<(String, f64)>);

impl Diagnostics {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a value.
    pub fn push(&mut self, name: &str, value: f64) {
        self.0.push((name.to_owned(), value));
    }

    /// Appends every value of `other`, in its order (e.g. what
    /// [`crate::Optimizer::after_step`] reports after the step's own values).
    pub fn append(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// The value called `name`, if reported.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }

    /// Name of the first non-finite value, if any.
    pub fn first_non_finite(&self) -> Option<&str> {
        self.0.iter().find(|(_, v)| !v.is_finite()).map(|(n, _)| n.as_str())
    }

    /// Iterates over the pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.0.iter().map(|(n, v)| (n.as_str(), *v))
    }
}
