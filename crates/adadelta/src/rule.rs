//! The Adadelta update rule and its per-tensor state.

use optim_core::{UpdateRule, simd};
use serde::{Deserialize, Serialize};

use crate::config::AdadeltaConfig;

/// Adadelta as in PyTorch's `torch.optim.Adadelta`, built from a validated
/// [`AdadeltaConfig`].
///
/// With gradient `g`, learning rate `lr`, decay `rho` and weight decay `wd`, one update of a
/// parameter `p` is
///
/// ```text
/// g <- g + wd * p
/// v <- rho * v + (1 - rho) * g^2
/// delta = sqrt(u + eps) / sqrt(v + eps) * g
/// u <- rho * u + (1 - rho) * delta^2
/// p <- p - lr * delta
/// ```
///
/// [`UpdateRule::update`] panics if the gradient or a state buffer does not have the
/// parameter's length: a state from [`UpdateRule::init_state`] for that tensor always has.
#[derive(Debug, Clone)]
pub struct Adadelta {
    pub(crate) config: AdadeltaConfig,
    pub(crate) lr: f32,
    pub(crate) rho: f32,
    pub(crate) one_minus_rho: f32,
    pub(crate) eps: f32,
    pub(crate) weight_decay: f32,
}

/// Per-tensor state of [`Adadelta`] (field names as in PyTorch's optimizer state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdadeltaState {
    /// Updates applied to the tensor so far (the rule itself does not depend on it).
    pub step: u64,
    /// Running average `v` of the squared gradients, one value per parameter.
    pub square_avg: Vec<f32>,
    /// Running average `u` of the squared deltas, one value per parameter.
    pub acc_delta: Vec<f32>,
}

impl Adadelta {
    /// The validated configuration this rule was built from.
    pub fn config(&self) -> &AdadeltaConfig {
        &self.config
    }

    /// One update as plain scalar code: [`UpdateRule::update`] runs it through
    /// [`simd::dispatch`], tests compare both copies bit by bit.
    #[inline(always)]
    fn update_scalar(&self, param: &mut [f32], grad: &[f32], state: &mut AdadeltaState) {
        let len = param.len();
        assert_eq!(grad.len(), len, "parameter and gradient lengths");
        assert_eq!(state.square_avg.len(), len, "squared-gradient average length");
        assert_eq!(state.acc_delta.len(), len, "squared-delta average length");
        state.step += 1;
        let (lr, rho, one_minus_rho) = (self.lr, self.rho, self.one_minus_rho);
        let (eps, wd) = (self.eps, self.weight_decay);
        for (((p, &g), v), u) in param
            .iter_mut()
            .zip(grad)
            .zip(&mut state.square_avg)
            .zip(&mut state.acc_delta)
        {
            // A zero weight decay adds exactly zero to the gradient of a finite parameter.
            let g = g + wd * *p;
            *v = rho * *v + one_minus_rho * (g * g);
            let delta = (*u + eps).sqrt() / (*v + eps).sqrt() * g;
            *u = rho * *u + one_minus_rho * (delta * delta);
            *p -= lr * delta;
        }
    }
}

impl UpdateRule for Adadelta {
    type State = AdadeltaState;

    fn init_state(&self, len: usize) -> AdadeltaState {
        AdadeltaState {
            step: 0,
            square_avg: vec![0.0; len],
            acc_delta: vec![0.0; len],
        }
    }

    fn update(&self, param: &mut [f32], grad: &[f32], state: &mut AdadeltaState) {
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
    fn run(config: AdadeltaConfig, param: &[f32], grads: &[&[f32]]) -> (Vec<Vec<f32>>, AdadeltaState) {
        optim_core::rule::testing::trajectory(&config.build().unwrap(), param, grads)
    }

    #[test]
    fn first_two_steps_with_the_defaults() {
        // lr = 1, rho = 0.9, eps = 1e-6, p = [0, 0] (so that p is minus the summed deltas).
        // step 1, g = [1, -2]: v = 0.1 g^2 = [0.1, 0.4]
        //   delta = sqrt(0 + 1e-6) / sqrt(v + 1e-6) * g
        //         = [0.001 / 0.316229347152, -2 * 0.001 / 0.632456322603]
        //         = [0.003162261849, -0.003162273707]
        //   u = 0.1 delta^2 = [9.999900001e-7, 9.999975000e-7]
        //   p = -delta = [-0.003162261849, 0.003162273707]
        // step 2, g = [1, 0.5]: v = [0.09 + 0.1, 0.36 + 0.025] = [0.19, 0.385]
        //   sqrt(u + eps) = [0.001414210027, 0.001414212678]
        //   sqrt(v + eps) = [0.435891041431, 0.620484488122]
        //   delta = [0.001414210027 / 0.435891041431, 0.5 * 0.001414212678 / 0.620484488122]
        //         = [0.003244411774, 0.001139603572]
        //   u = 0.9 u + 0.1 delta^2 = [1.952611776e-6, 1.029867380e-6]
        //   p = [-0.003162261849 - 0.003244411774, 0.003162273707 - 0.001139603572]
        //     = [-0.006406673623, 0.002022670135]
        let (p, state) = run(AdadeltaConfig::default(), &[0.0, 0.0], &[&[1.0, -2.0], &[1.0, 0.5]]);
        assert_close(&p[0], &[-0.003162261849, 0.003162273707]);
        assert_close(&p[1], &[-0.006406673623, 0.002022670135]);
        assert_close(&state.square_avg, &[0.19, 0.385]);
        assert_close(&state.acc_delta, &[1.952611776e-6, 1.029867380e-6]);
        assert_eq!(state.step, 2);
    }

    #[test]
    fn learning_rate_scales_the_delta() {
        // lr = 0.5, rho = 0.5, eps = 0.01, p = 0, g = 1 at both steps.
        // step 1: v = 0.5; delta = sqrt(0.01) / sqrt(0.51) = 0.1 / 0.714142842854
        //         = 0.140028008403; u = 0.5 * 0.019607843137 = 0.009803921569
        //         p = -0.5 * 0.140028008403 = -0.070014004201
        // step 2: v = 0.75; delta = sqrt(0.019803921569) / sqrt(0.76)
        //         = 0.140726406792 / 0.871779788708 = 0.161424259446
        //         u = 0.004901960784 + 0.5 * 0.026057793 = 0.017930856553
        //         p = -0.070014004201 - 0.080712129723 = -0.150726133924
        let config = AdadeltaConfig {
            lr: 0.5,
            rho: 0.5,
            eps: 0.01,
            ..AdadeltaConfig::default()
        };
        let (p, state) = run(config, &[0.0], &[&[1.0], &[1.0]]);
        assert_close(&p[0], &[-0.070014004201]);
        assert_close(&p[1], &[-0.150726133924]);
        assert_close(&state.acc_delta, &[0.017930856553]);
    }

    #[test]
    fn weight_decay_is_added_to_the_gradient() {
        // rho = 0.5, eps = 0.01, wd = 0.5, p = 2, g = 0: g + wd p = 1, so the delta is that
        // of the test above, 0.140028008403, and p = 2 - 0.140028008403 = 1.859971991597.
        let config = AdadeltaConfig {
            rho: 0.5,
            eps: 0.01,
            weight_decay: 0.5,
            ..AdadeltaConfig::default()
        };
        let (p, _) = run(config, &[2.0], &[&[0.0]]);
        assert_close(&p[0], &[1.859971991597]);
    }

    #[test]
    fn dispatched_update_is_bitwise_the_baseline_one() {
        for config in [
            AdadeltaConfig::default(),
            AdadeltaConfig {
                rho: 0.5,
                weight_decay: 1e-2,
                ..AdadeltaConfig::default()
            },
        ] {
            let rule = config.build().unwrap();
            assert_dispatch_is_bitwise(&rule, |p, g, s| simd::baseline(|| rule.update_scalar(p, g, s)));
        }
    }

    #[test]
    fn state_survives_serialization() {
        let rule = AdadeltaConfig::default().build().unwrap();
        let mut state = rule.init_state(3);
        rule.update(&mut [1.0, 2.0, 3.0], &[0.1, 0.2, 0.3], &mut state);
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<AdadeltaState>(&json).unwrap(), state);
    }
}
