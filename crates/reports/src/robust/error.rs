//! Why a statistic could not be computed.

/// An input a statistic cannot be computed from; the message names the input and what would
/// be valid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// An input that needs at least one value has none (`what` names it).
    #[error("{what} is empty; at least one value is needed")]
    Empty {
        /// The input at fault, e.g. `scores of task 2`.
        what: String,
    },
    /// A value is NaN (or infinite where only finite values make sense).
    #[error("{what}[{index}] is {value}; only finite values are allowed")]
    NotFinite {
        /// The input at fault.
        what: String,
        /// Position of the first offending value.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// Two inputs that must have the same length (paired samples, the same tasks) do not.
    #[error("{what}: lengths {left} and {right} differ; they must be equal")]
    LengthMismatch {
        /// The pair of inputs at fault.
        what: String,
        /// Length of the first input.
        left: usize,
        /// Length of the second input.
        right: usize,
    },
    /// A parameter outside its valid range; the message says the range.
    #[error("{name} = {value} is invalid: {valid}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What would be valid.
        valid: &'static str,
    },
}

/// `Err(Empty)` for an empty slice, `Err(NotFinite)` at the first NaN or infinity.
pub(crate) fn check_finite(values: &[f64], what: impl Fn() -> String) -> Result<(), StatsError> {
    if values.is_empty() {
        return Err(StatsError::Empty { what: what() });
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(StatsError::NotFinite {
            what: what(),
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Checks every task of a `scores[task][run]` table with [`check_finite`].
pub(crate) fn check_tasks(scores: &[Vec<f64>], name: &str) -> Result<(), StatsError> {
    if scores.is_empty() {
        return Err(StatsError::Empty {
            what: format!("{name} (no task)"),
        });
    }
    for (t, runs) in scores.iter().enumerate() {
        check_finite(runs, || format!("{name} of task {t}"))?;
    }
    Ok(())
}
