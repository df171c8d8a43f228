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

/// Helpers for tests that pin a rule to hand-computed values.
pub mod testing {
    use super::UpdateRule;

    /// Applies `grads` in turn to a copy of `param`; returns the parameters after each step
    /// and the final state.
    pub fn trajectory<R: UpdateRule>(rule: &R, param: &[f32], grads: &[&[f32]]) -> (Vec<Vec<f32>>, R::State) {
        let mut param = param.to_vec();
        let mut state = rule.init_state(param.len());
        let steps = grads
            .iter()
            .map(|g| {
                rule.update(&mut param, g, &mut state);
                param.clone()
            })
            .collect();
        (steps, state)
    }

    /// Asserts `actual` equals `expected` to a relative 1e-6 (f32 arithmetic against values
    /// worked out by hand).
    pub fn assert_close(actual: &[f32], expected: &[f64]) {
        assert_eq!(actual.len(), expected.len(), "lengths");
        for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
            let a = f64::from(a);
            assert!(
                (a - e).abs() <= 1e-6 * a.abs().max(e.abs()) + 1e-12,
                "element {i}: {a} vs {e}"
            );
        }
    }
}
