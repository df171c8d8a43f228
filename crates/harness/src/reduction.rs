//! The reduction of a quick run (`--samples`, `--iterations`, `--widths`) of any experiment, named
//! in every output so that it is never mistaken for the full one.

use std::fmt::Write as _;

use anyhow::{Result, anyhow};

use crate::experiment::Experiment;

/// A scaled-down run's settings, printed on every output so that it is never mistaken for
/// the full one.
#[derive(Debug, Clone, Default)]
pub struct Reduction {
    /// At most this many training samples (an axis of sizes is scaled down proportionally).
    pub samples: Option<usize>,
    /// This many iterations instead of the experiment's.
    pub iterations: Option<usize>,
    /// Hidden widths: the width axis, or the first value for every hidden layer.
    pub widths: Option<Vec<usize>>,
}

impl Reduction {
    /// Whether anything is reduced.
    pub fn is_reduced(&self) -> bool {
        self.samples.is_some() || self.iterations.is_some() || self.widths.is_some()
    }

    /// Suffix of the experiment name of a reduced run: results never mix with full ones.
    pub fn suffix(&self) -> String {
        let mut s = String::new();
        if let Some(n) = self.samples {
            let _ = write!(s, "-s{n}");
        }
        if let Some(n) = self.iterations {
            let _ = write!(s, "-i{n}");
        }
        if let Some(w) = &self.widths {
            let _ = write!(s, "-w{}", w.iter().map(|w| w.to_string()).collect::<Vec<_>>().join("_"));
        }
        if s.is_empty() { s } else { format!("-reduced{s}") }
    }

    /// The line that marks every output of a reduced run.
    pub fn note(&self) -> Option<String> {
        self.is_reduced().then(|| {
            let mut parts = Vec::new();
            if let Some(n) = self.samples {
                parts.push(format!("at most {n} training samples"));
            }
            if let Some(n) = self.iterations {
                parts.push(format!("{n} iterations"));
            }
            if let Some(w) = &self.widths {
                parts.push(format!("widths {w:?}"));
            }
            format!("REDUCED RUN ({}), not the paper's full setting", parts.join(", "))
        })
    }

    /// Applies the scale to an experiment loaded from its file.
    pub fn apply(&self, mut exp: Experiment) -> Result<Experiment> {
        exp.name.push_str(&self.suffix());
        if let Some(n) = self.iterations {
            exp.file.iterations = n;
            for e in &mut exp.optimizers {
                e.iterations = Some(n);
            }
        }
        let grid = exp.file.grid.as_mut().map(|g| g.get_mut());
        let mut has_samples_axis = false;
        let mut has_width_axis = false;
        if let Some(grid) = grid {
            if let Some(toml::Value::Array(values)) = grid.get_mut("dataset.train_samples") {
                has_samples_axis = true;
                if let Some(n) = self.samples {
                    let max = values.iter().filter_map(|v| v.as_integer()).max().unwrap_or(1).max(1);
                    for v in values.iter_mut() {
                        if let Some(x) = v.as_integer() {
                            *v = toml::Value::Integer(((x as f64) * n as f64 / max as f64).round().max(1.0) as i64);
                        }
                    }
                }
            }
            if let Some(toml::Value::Array(values)) = grid.get_mut("network.hidden") {
                has_width_axis = true;
                if let Some(widths) = &self.widths {
                    let depth = exp.file.network.hidden.len();
                    *values = widths
                        .iter()
                        .map(|&w| toml::Value::Array(vec![toml::Value::Integer(w as i64); depth]))
                        .collect();
                }
            }
        }
        if let Some(n) = self.samples
            && !has_samples_axis
        {
            let current = exp.file.dataset.train_samples.unwrap_or(usize::MAX);
            exp.file.dataset.train_samples = Some(current.min(n));
        }
        if let Some(widths) = &self.widths
            && !has_width_axis
        {
            let w = *widths
                .first()
                .ok_or_else(|| anyhow!("--widths needs at least one width"))?;
            exp.file.network.hidden.iter_mut().for_each(|h| *h = w);
        }
        Ok(exp)
    }
}
