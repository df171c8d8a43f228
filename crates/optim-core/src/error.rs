//! Typed errors of the core crate.

use thiserror::Error;

/// Everything that can go wrong inside an optimizer, the model or the executor.
#[derive(Debug, Error)]
pub enum OptimError {
    /// A value became NaN or infinite; the run has diverged.
    #[error("non-finite value in {what}")]
    NonFinite {
        /// Which quantity (block, loss, diagnostic) was not finite.
        what: String,
    },
    /// Shapes that must agree do not.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A hyper-parameter or configuration value is outside its valid range.
    #[error("invalid value for `{key}`: {message}")]
    InvalidParameter {
        /// The configuration key, as written in experiment files.
        key: String,
        /// What is wrong and what would be valid.
        message: String,
    },
    /// A checkpoint could not be written or read back.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// Underlying I/O failure.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl OptimError {
    /// Shorthand for [`OptimError::InvalidParameter`].
    pub fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidParameter {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Result alias used throughout the core crate.
pub type Result<T, E = OptimError> = std::result::Result<T, E>;
