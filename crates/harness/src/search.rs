//! Random search: `search = { budget = 8, seed = 0, lr = { log_uniform = [1e-4, 1e-1] } }`
//! in an optimizer entry draws `budget` trials from the given distributions, each a cell
//! configuration like a grid point (docs/statistics.md#random-search).

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Significant digits kept of a drawn real value: the value written in the cell's
/// configuration and label is the one that ran, and reads as a number a person would write.
const SIGNIFICANT_DIGITS: i32 = 4;

/// Where a hyper-parameter's trial values come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// Uniform on `[low, high]`.
    Uniform(f64, f64),
    /// `exp` of a uniform on `[ln low, ln high]` (learning rates): `low > 0`.
    LogUniform(f64, f64),
    /// An integer uniform on `low..=high`.
    IntUniform(i64, i64),
    /// One of the values, equally likely.
    Choice(Vec<toml::Value>),
}

impl Distribution {
    /// Whether values are best shown on a log axis.
    pub fn is_log(&self) -> bool {
        matches!(self, Distribution::LogUniform(..))
    }

    /// The value at quantile `u` in `[0, 1)`.
    fn at(&self, u: f64) -> toml::Value {
        match self {
            Distribution::Uniform(lo, hi) => toml::Value::Float(round_significant(lo + u * (hi - lo)).clamp(*lo, *hi)),
            Distribution::LogUniform(lo, hi) => {
                let v = (lo.ln() + u * (hi.ln() - lo.ln())).exp();
                toml::Value::Float(round_significant(v).clamp(*lo, *hi))
            }
            Distribution::IntUniform(lo, hi) => {
                let span = (hi - lo + 1) as f64;
                toml::Value::Integer(lo + ((u * span).floor() as i64).min(hi - lo))
            }
            Distribution::Choice(values) => values[((u * values.len() as f64) as usize).min(values.len() - 1)].clone(),
        }
    }
}

fn round_significant(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let scale = 10f64.powi(SIGNIFICANT_DIGITS - 1 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}

/// An entry's random search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchSpec {
    /// Number of trials.
    pub budget: usize,
    /// Seed of the draws (default 0), independent of the run seeds: every run seed of a
    /// trial trains the same hyper-parameters.
    pub seed: u64,
    /// The searched hyper-parameters.
    pub space: BTreeMap<String, Distribution>,
}

/// What is wrong with a `search` table: the key at fault and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchError {
    /// The key as written (`budget`, `lr`, ...).
    pub key: String,
    /// What is wrong and what would be valid.
    pub message: String,
}

fn error(key: &str, message: impl Into<String>) -> SearchError {
    SearchError {
        key: key.to_owned(),
        message: message.into(),
    }
}

fn number(v: &toml::Value) -> Option<f64> {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}

const KINDS: &str =
    "`uniform = [low, high]`, `log_uniform = [low, high]`, `int_uniform = [low, high]` or `choice = [values]`";

fn distribution(key: &str, value: &toml::Value) -> Result<Distribution, SearchError> {
    let bad = || error(key, format!("must be a table with one of {KINDS}"));
    let table = value.as_table().filter(|t| t.len() == 1).ok_or_else(bad)?;
    let (kind, args) = table.iter().next().ok_or_else(bad)?;
    let args = args.as_array().ok_or_else(bad)?;
    if kind == "choice" {
        if args.is_empty() {
            return Err(error(key, "`choice` needs at least one value"));
        }
        return Ok(Distribution::Choice(args.clone()));
    }
    let pair = |what: &str| error(key, format!("`{kind}` needs two {what} `[low, high]` with low < high"));
    if kind == "int_uniform" {
        let ints: Vec<i64> = args.iter().filter_map(toml::Value::as_integer).collect();
        return match ints[..] {
            [lo, hi] if args.len() == 2 && lo < hi => Ok(Distribution::IntUniform(lo, hi)),
            _ => Err(pair("integers")),
        };
    }
    let reals: Vec<f64> = args.iter().filter_map(number).collect();
    let [lo, hi] = reals[..] else {
        return Err(pair("numbers"));
    };
    if args.len() != 2 || !lo.is_finite() || !hi.is_finite() || lo >= hi {
        return Err(pair("finite numbers"));
    }
    match kind.as_str() {
        "uniform" => Ok(Distribution::Uniform(lo, hi)),
        "log_uniform" if lo > 0.0 => Ok(Distribution::LogUniform(lo, hi)),
        "log_uniform" => Err(error(key, "`log_uniform` needs 0 < low < high")),
        _ => Err(error(key, format!("unknown distribution `{kind}`; valid: {KINDS}"))),
    }
}

impl SearchSpec {
    /// Reads the `search` table of an entry.
    pub fn parse(table: &toml::Table) -> Result<Self, SearchError> {
        let mut budget = None;
        let mut seed = 0;
        let mut space = BTreeMap::new();
        for (key, value) in table {
            match key.as_str() {
                "budget" => match value.as_integer() {
                    Some(n) if n >= 1 => budget = Some(n as usize),
                    _ => return Err(error(key, "must be a positive integer (the number of trials)")),
                },
                "seed" => match value.as_integer() {
                    Some(n) if n >= 0 => seed = n as u64,
                    _ => return Err(error(key, "must be a non-negative integer")),
                },
                _ => {
                    space.insert(key.clone(), distribution(key, value)?);
                }
            }
        }
        let budget = budget.ok_or_else(|| error("search", "needs `budget = N`, the number of trials"))?;
        if space.is_empty() {
            return Err(error(
                "search",
                format!(
                    "names no hyper-parameter to search; give e.g. `lr = {{ log_uniform = [1e-4, 1e-1] }}` ({KINDS})"
                ),
            ));
        }
        Ok(Self { budget, seed, space })
    }

    /// Uniform number in `[0, 1)` for `trial` and `key`: each value is its own draw, so adding
    /// a hyper-parameter to the space leaves the others' values as they were.
    fn uniform(&self, trial: usize, key: &str) -> f64 {
        let digest = Sha256::digest(format!("dladmm-bench search {} {trial} {key}", self.seed));
        let bits = u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"));
        (bits >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The values of every trial, `0..budget`, in key order.
    pub fn trials(&self) -> Vec<Vec<(String, toml::Value)>> {
        (0..self.budget)
            .map(|trial| {
                self.space
                    .iter()
                    .map(|(key, dist)| (key.clone(), dist.at(self.uniform(trial, key))))
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Result<SearchSpec, SearchError> {
        let table: toml::Table = toml::from_str(text).unwrap();
        SearchSpec::parse(&table)
    }

    const SPACE: &str = r#"
budget = 200
seed = 5
lr = { log_uniform = [1e-4, 1e-1] }
momentum = { uniform = [0.5, 0.99] }
batch_size = { int_uniform = [16, 128] }
nesterov = { choice = [true, false] }
"#;

    #[test]
    fn trials_are_deterministic_and_within_ranges() {
        let s = spec(SPACE).unwrap();
        let trials = s.trials();
        assert_eq!(trials.len(), 200);
        assert_eq!(trials, spec(SPACE).unwrap().trials());
        let values = |key: &str| -> Vec<toml::Value> {
            trials
                .iter()
                .map(|t| t.iter().find(|(k, _)| k == key).unwrap().1.clone())
                .collect()
        };
        let lr: Vec<f64> = values("lr").iter().map(|v| v.as_float().unwrap()).collect();
        assert!(lr.iter().all(|v| (1e-4..=1e-1).contains(v)), "{lr:?}");
        // Log-uniform: about a third of the draws in each decade.
        let low_decade = lr.iter().filter(|v| **v < 1e-3).count();
        assert!((40..=95).contains(&low_decade), "{low_decade}");
        let momentum: Vec<f64> = values("momentum").iter().map(|v| v.as_float().unwrap()).collect();
        assert!(momentum.iter().all(|v| (0.5..=0.99).contains(v)));
        assert!(momentum.iter().any(|v| *v < 0.6) && momentum.iter().any(|v| *v > 0.9));
        let batch: Vec<i64> = values("batch_size").iter().map(|v| v.as_integer().unwrap()).collect();
        assert!(batch.iter().all(|v| (16..=128).contains(v)));
        assert!(batch.contains(&16) || batch.contains(&128) || batch.iter().any(|v| *v < 20));
        let nesterov = values("nesterov");
        assert!(nesterov.contains(&toml::Value::Boolean(true)) && nesterov.contains(&toml::Value::Boolean(false)));
        // Values are kept to four significant digits: what is recorded is what ran.
        assert!(lr.iter().all(|v| (round_significant(*v) - v).abs() == 0.0));
        // Another seed draws other values; a key added to the space leaves the others alone.
        let other = spec(&SPACE.replace("seed = 5", "seed = 6")).unwrap().trials();
        assert_ne!(trials, other);
        let grown = spec(&format!("{SPACE}dampening = {{ uniform = [0.0, 0.1] }}\n")).unwrap();
        for (a, b) in trials.iter().zip(grown.trials()) {
            let lr_of = |t: &Vec<(String, toml::Value)>| t.iter().find(|(k, _)| k == "lr").unwrap().1.clone();
            assert_eq!(lr_of(a), lr_of(&b));
        }
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            ("budget = 0\nlr = { uniform = [0.1, 0.2] }", "budget"),
            ("lr = { uniform = [0.1, 0.2] }", "search"),
            ("budget = 2", "search"),
            ("budget = 2\nlr = { log_uniform = [0.0, 0.1] }", "lr"),
            ("budget = 2\nlr = { uniform = [0.2, 0.1] }", "lr"),
            ("budget = 2\nlr = { normal = [0.1, 0.2] }", "lr"),
            ("budget = 2\nlr = [0.1, 0.2]", "lr"),
            ("budget = 2\nbatch_size = { int_uniform = [1.5, 3] }", "batch_size"),
        ];
        for (text, key) in cases {
            let e = spec(text).unwrap_err();
            assert_eq!(e.key, key, "{text}: {}", e.message);
        }
    }
}
