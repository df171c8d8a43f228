//! Whether a score is better high (accuracy) or low (loss, time).

/// Which direction of a score is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    /// Higher is better: accuracy, F1.
    #[default]
    Maximise,
    /// Lower is better: loss, error rate, time.
    Minimise,
}

impl Goal {
    /// `a` is strictly better than `b` under this goal.
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Goal::Maximise => a > b,
            Goal::Minimise => a < b,
        }
    }

    /// `value` reaches `target` (ties count as reached).
    pub fn reaches(self, value: f64, target: f64) -> bool {
        match self {
            Goal::Maximise => value >= target,
            Goal::Minimise => value <= target,
        }
    }
}
