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

/// Helpers for tests that pin a rule to hand-computed values or to its baseline copy.
pub mod testing {
    use rand::Rng;
    use rand_distr::StandardNormal;

    use super::UpdateRule;
    use crate::rng::{Stream, rng_for};

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

    /// Asserts that [`UpdateRule::update`] (run through [`crate::simd::dispatch`]) and
    /// `baseline` (the same scalar update run through [`crate::simd::baseline`]) leave
    /// bit-identical parameters and states after several steps from the same random inputs.
    ///
    /// The tensor length is not a multiple of any vector width, so the vector loop and its
    /// scalar remainder both run; gradient scales change from step to step (1e-4 to 1e2) and
    /// some gradients are exactly zero.
    pub fn assert_dispatch_is_bitwise<R: UpdateRule>(rule: &R, baseline: impl Fn(&mut [f32], &[f32], &mut R::State)) {
        const LEN: usize = 4099;
        let mut rng = rng_for(17, Stream::Optimizer, 0);
        let normal = |rng: &mut crate::Rng, scale: f32| scale * rng.sample::<f32, _>(StandardNormal);
        let start: Vec<f32> = (0..LEN).map(|_| normal(&mut rng, 1.0)).collect();
        let (mut dispatched, mut reference) = (start.clone(), start.clone());
        let (mut dispatched_state, mut reference_state) = (rule.init_state(LEN), rule.init_state(LEN));
        for (step, scale) in [1.0f32, 1e-4, 1e2, 0.5, 3e-2, 10.0].into_iter().enumerate() {
            let grad: Vec<f32> = (0..LEN)
                .map(|_| {
                    if rng.random_bool(0.05) {
                        0.0
                    } else {
                        normal(&mut rng, scale)
                    }
                })
                .collect();
            rule.update(&mut dispatched, &grad, &mut dispatched_state);
            baseline(&mut reference, &grad, &mut reference_state);
            assert!(
                dispatched.iter().all(|p| p.is_finite()),
                "step {step}: non-finite parameter"
            );
            let differing = dispatched
                .iter()
                .zip(&reference)
                .position(|(a, b)| a.to_bits() != b.to_bits());
            assert_eq!(differing, None, "step {step}: first parameter that differs");
            let state_bytes = |s: &R::State| postcard::to_stdvec(s).expect("states serialize");
            assert!(
                state_bytes(&dispatched_state) == state_bytes(&reference_state),
                "step {step}: the states differ"
            );
        }
        // Equal because nothing moved would prove nothing.
        assert!(
            dispatched.iter().zip(&start).filter(|(p, s)| p != s).count() > LEN / 2,
            "most parameters moved"
        );
    }
}
