//! Per-tensor update rules: the maths of SGD-type methods without the training loop.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A gradient update rule applied tensor by tensor (in the spirit of optax's
/// `GradientTransformation` and burn's `SimpleOptimizer`).
///
/// The rule is pure maths on `(parameter, gradient, state)`; turning it into a training
/// algorithm (mini-batches, shuffling, back-propagation) is the job of
/// [`crate::GradientMethod`], shared by every rule.
pub trait UpdateRule: Send + Sync {
    /// Per-tensor state (moments, accumulators, step counters); serializable so that a run
    /// can be checkpointed.
    type State: Serialize + DeserializeOwned + Send;

    /// The state for a fresh tensor of `len` scalars.
    fn init_state(&self, len: usize) -> Self::State;

    /// Updates `param` in place from its gradient `grad` (same length, same element order).
    fn update(&self, param: &mut [f32], grad: &[f32], state: &mut Self::State);
}
