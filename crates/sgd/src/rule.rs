//! The SGD update rule and its per-tensor state.

use optim_core::{UpdateRule, simd};
use serde::{Deserialize, Serialize};

use crate::config::SgdConfig;

/// Stochastic gradient descent as in PyTorch's `torch.optim.SGD`, built from a validated
/// [`SgdConfig`].
///
/// With gradient `g`, learning rate `lr`, momentum `mu`, dampening `tau` and weight decay
/// `wd`, one update of a parameter `p` is
///
/// ```text
/// g <- g + wd * p
/// if mu != 0:
///     b <- g                          (first step: no dampening)
///     b <- mu * b + (1 - tau) * g     (later steps)
///     g <- g + mu * b  if nesterov, else  g <- b
/// p <- p - lr * g
/// ```
///
/// [`UpdateRule::update`] panics if the gradient or a state buffer does not have the
/// parameter's length: a state from [`UpdateRule::init_state`] for that tensor always has.
#[derive(Debug, Clone)]
pub struct Sgd {
    pub(crate) config: SgdConfig,
    pub(crate) lr: f32,
    pub(crate) momentum: f32,
    pub(crate) one_minus_dampening: f32,
    pub(crate) weight_decay: f32,
    pub(crate) nesterov: bool,
}

/// Per-tensor state of [`Sgd`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SgdState {
    /// Updates applied to the tensor so far.
    pub step: u64,
    /// The momentum buffer `b` (PyTorch's `momentum_buffer`), one value per parameter;
    /// empty when `momentum` is zero.
    pub momentum_buffer: Vec<f32>,
}

impl Sgd {
    /// The validated configuration this rule was built from.
    pub fn config(&self) -> &SgdConfig {
        &self.config
    }

    /// One update as plain scalar code: [`UpdateRule::update`] runs it through
    /// [`simd::dispatch`], tests compare both copies bit by bit.
    #[inline(always)]
    fn update_scalar(&self, param: &mut [f32], grad: &[f32], state: &mut SgdState) {
        assert_eq!(param.len(), grad.len(), "parameter and gradient lengths");
        state.step += 1;
        if self.momentum == 0.0 {
            // A zero weight decay adds exactly zero to the gradient of a finite parameter.
            let (lr, wd) = (self.lr, self.weight_decay);
            for (p, &g) in param.iter_mut().zip(grad) {
                *p -= lr * (g + wd * *p);
            }
            return;
        }
        let buffer = state.momentum_buffer.as_mut_slice();
        assert_eq!(buffer.len(), param.len(), "momentum buffer length");
        match (state.step == 1, self.nesterov) {
            (true, false) => self.momentum_update::<true, false>(param, grad, buffer),
            (true, true) => self.momentum_update::<true, true>(param, grad, buffer),
            (false, false) => self.momentum_update::<false, false>(param, grad, buffer),
            (false, true) => self.momentum_update::<false, true>(param, grad, buffer),
        }
    }

    /// The momentum update, monomorphised for the first step (buffer = gradient) and for
    /// Nesterov so that the loop body has no branch and vectorises; always inlined, so that
    /// it is compiled into each copy [`simd::dispatch`] makes of the update.
    #[inline(always)]
    fn momentum_update<const FIRST: bool, const NESTEROV: bool>(
        &self,
        param: &mut [f32],
        grad: &[f32],
        buffer: &mut [f32],
    ) {
        let (lr, mu, wd, one_minus_tau) = (self.lr, self.momentum, self.weight_decay, self.one_minus_dampening);
        for ((p, &g), b) in param.iter_mut().zip(grad).zip(buffer) {
            let g = g + wd * *p;
            *b = if FIRST { g } else { mu * *b + one_minus_tau * g };
            let direction = if NESTEROV { g + mu * *b } else { *b };
            *p -= lr * direction;
        }
    }
}

impl UpdateRule for Sgd {
    type State = SgdState;

    fn init_state(&self, len: usize) -> SgdState {
        let buffer_len = if self.momentum == 0.0 { 0 } else { len };
        SgdState {
            step: 0,
            momentum_buffer: vec![0.0; buffer_len],
        }
    }

    fn update(&self, param: &mut [f32], grad: &[f32], state: &mut SgdState) {
        simd::dispatch(
            #[inline(always)]
            || self.update_scalar(param, grad, state),
        );
    }
}

#[cfg(test)]
mod tests {
    use optim_core::RuleConfig;

    use super::*;
    use optim_core::rule::testing::{assert_close, assert_dispatch_is_bitwise};

    /// Applies `grads` in turn to `param` and returns the parameters after each step.
    fn run(config: SgdConfig, param: &[f32], grads: &[&[f32]]) -> (Vec<Vec<f32>>, SgdState) {
        optim_core::rule::testing::trajectory(&config.build().unwrap(), param, grads)
    }

    #[test]
    fn plain_sgd_with_weight_decay() {
        // lr = 0.1, wd = 0.1, p = [1, -2], g = [0.5, 0.25] at both steps.
        // step 1: g + wd p = [0.5 + 0.1, 0.25 - 0.2] = [0.6, 0.05]
        //         p = [1 - 0.06, -2 - 0.005] = [0.94, -2.005]
        // step 2: g + wd p = [0.5 + 0.094, 0.25 - 0.2005] = [0.594, 0.0495]
        //         p = [0.94 - 0.0594, -2.005 - 0.00495] = [0.8806, -2.00995]
        let config = SgdConfig {
            lr: 0.1,
            weight_decay: 0.1,
            ..SgdConfig::default()
        };
        let (p, state) = run(config, &[1.0, -2.0], &[&[0.5, 0.25], &[0.5, 0.25]]);
        assert_close(&p[0], &[0.94, -2.005]);
        assert_close(&p[1], &[0.8806, -2.00995]);
        assert_eq!(state.step, 2);
        assert!(state.momentum_buffer.is_empty());
    }

    #[test]
    fn momentum_skips_dampening_on_the_first_step() {
        // lr = 0.1, mu = 0.9, tau = 0.5, p = [1, 0].
        // step 1, g = [1, -0.5]: b = g = [1, -0.5] (undamped)
        //         p = [1 - 0.1, 0 + 0.05] = [0.9, 0.05]
        // step 2, g = [2, 0.5]:  b = [0.9 + 0.5 * 2, -0.45 + 0.5 * 0.5] = [1.9, -0.2]
        //         p = [0.9 - 0.19, 0.05 + 0.02] = [0.71, 0.07]
        // step 3, g = [-1, 0]:   b = [1.71 - 0.5, -0.18 + 0] = [1.21, -0.18]
        //         p = [0.71 - 0.121, 0.07 + 0.018] = [0.589, 0.088]
        let config = SgdConfig {
            lr: 0.1,
            momentum: 0.9,
            dampening: 0.5,
            ..SgdConfig::default()
        };
        let (p, state) = run(config, &[1.0, 0.0], &[&[1.0, -0.5], &[2.0, 0.5], &[-1.0, 0.0]]);
        assert_close(&p[0], &[0.9, 0.05]);
        assert_close(&p[1], &[0.71, 0.07]);
        assert_close(&p[2], &[0.589, 0.088]);
        assert_close(&state.momentum_buffer, &[1.21, -0.18]);
        assert_eq!(state.step, 3);
    }

    #[test]
    fn nesterov_momentum() {
        // lr = 0.1, mu = 0.9, tau = 0, p = [1, -1].
        // step 1, g = [1, 0]: b = [1, 0]; g + mu b = [1.9, 0]
        //         p = [1 - 0.19, -1] = [0.81, -1]
        // step 2, g = [2, 1]: b = [0.9 + 2, 0 + 1] = [2.9, 1]
        //         g + mu b = [2 + 2.61, 1 + 0.9] = [4.61, 1.9]
        //         p = [0.81 - 0.461, -1 - 0.19] = [0.349, -1.19]
        let config = SgdConfig {
            lr: 0.1,
            momentum: 0.9,
            nesterov: true,
            ..SgdConfig::default()
        };
        let (p, state) = run(config, &[1.0, -1.0], &[&[1.0, 0.0], &[2.0, 1.0]]);
        assert_close(&p[0], &[0.81, -1.0]);
        assert_close(&p[1], &[0.349, -1.19]);
        assert_close(&state.momentum_buffer, &[2.9, 1.0]);
    }

    #[test]
    fn momentum_buffer_includes_weight_decay() {
        // lr = 0.5, mu = 0.5, wd = 1, p = [2], g = [1] at both steps.
        // step 1: g + wd p = 3; b = 3; p = 2 - 1.5 = 0.5
        // step 2: g + wd p = 1.5; b = 1.5 + 1.5 = 3; p = 0.5 - 1.5 = -1
        let config = SgdConfig {
            lr: 0.5,
            momentum: 0.5,
            weight_decay: 1.0,
            ..SgdConfig::default()
        };
        let (p, state) = run(config, &[2.0], &[&[1.0], &[1.0]]);
        assert_close(&p[0], &[0.5]);
        assert_close(&p[1], &[-1.0]);
        assert_close(&state.momentum_buffer, &[3.0]);
    }

    #[test]
    fn dispatched_update_is_bitwise_the_baseline_one() {
        for config in [
            SgdConfig::default(),
            SgdConfig {
                momentum: 0.9,
                dampening: 0.1,
                weight_decay: 1e-2,
                ..SgdConfig::default()
            },
            SgdConfig {
                momentum: 0.9,
                nesterov: true,
                ..SgdConfig::default()
            },
        ] {
            let rule = config.build().unwrap();
            assert_dispatch_is_bitwise(&rule, |p, g, s| simd::baseline(|| rule.update_scalar(p, g, s)));
        }
    }

    #[test]
    fn state_survives_serialization() {
        let rule = SgdConfig {
            momentum: 0.9,
            ..SgdConfig::default()
        }
        .build()
        .unwrap();
        let mut state = rule.init_state(3);
        rule.update(&mut [1.0, 2.0, 3.0], &[0.1, 0.2, 0.3], &mut state);
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<SgdState>(&json).unwrap(), state);
    }
}
