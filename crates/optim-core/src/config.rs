//! Configuration traits that let the runner build any optimizer from an experiment file.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Result;
use crate::optimizer::Optimizer;
use crate::rule::UpdateRule;

/// Hyper-parameters of a full training algorithm (dlADMM, ADMM, ...).
///
/// `Default` gives the documented defaults; deserialization should deny unknown fields so
/// that a typo in an experiment file is an error, not a silently ignored key.
pub trait MethodConfig: Serialize + DeserializeOwned + Default + Debug + Clone {
    /// Checks every value once and builds the optimizer.
    fn build(&self) -> Result<Box<dyn Optimizer>>;

    /// The configuration with every value that depends on others (a variant's defaults,
    /// say) filled in: what results record as the effective hyper-parameters, and what cell
    /// identities hash. Deliberately without a default: two entries that run the same
    /// optimizer must resolve to the same value, so every configuration says how it resolves
    /// (a configuration without dependent values returns a clone).
    fn resolved(&self) -> Self;
}

/// Hyper-parameters of a per-tensor update rule (SGD, Adam, ...); the runner pairs them with
/// a [`crate::BatchConfig`] and wraps the rule in [`crate::GradientMethod`].
pub trait RuleConfig: Serialize + DeserializeOwned + Default + Debug + Clone {
    /// The rule this configuration builds.
    type Rule: UpdateRule + 'static;
    /// Checks every value once and builds the rule.
    fn build(&self) -> Result<Self::Rule>;
}
