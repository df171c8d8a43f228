//! The Adagrad update rule and its per-tensor state.

use optim_core::{UpdateRule, simd};
use serde::{Deserialize, Serialize};

use crate::config::AdagradConfig;

/// Adagrad as in PyTorch's `torch.optim.Adagrad`, built from a validated [`AdagradConfig`].
///
/// With gradient `g`, step `t = 1, 2, ...`, learning rate `lr`, decay `lr_decay` and weight
/// decay `wd`, one update of a parameter `p` is
///
/// ```text
/// g <- g + wd * p
/// clr = lr / (1 + (t - 1) * lr_decay)
/// sum <- sum + g^2                      (sum starts at initial_accumulator_value)
/// p <- p - clr * g / (sqrt(sum) + eps)
/// ```
///
/// [`UpdateRule::update`] panics if the gradient or a state buffer does not have the
/// parameter's length: a state from [`UpdateRule::init_state`] for that tensor always has.
#[derive(Debug, Clone)]
pub struct Adagrad {
    pub(crate) config: AdagradConfig,
    pub(crate) lr: f64,
    pub(crate) lr_decay: f64,
    pub(crate) weight_decay: f32,
    pub(crate) initial_accumulator_value: f32,
    pub(crate) eps: f32,
}

/// Per-tensor state of [`Adagrad`] (field names as in PyTorch's optimizer state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdagradState {
    /// Updates applied to the tensor so far: the `t` of the learning-rate decay.
    pub step: u64,
    /// Sum of the squared gradients, one value per parameter.
    pub sum: Vec<f32>,
}

impl Adagrad {
    /// The validated configuration this rule was built from.
    pub fn config(&self) -> &AdagradConfig {
        &self.config
    }

    /// One update as plain scalar code: [`UpdateRule::update`] runs it through
    /// [`simd::dispatch`], tests compare both copies bit by bit.
    #[inline(always)]
    fn update_scalar(&self, param: &mut [f32], grad: &[f32], state: &mut AdagradState) {
        assert_eq!(grad.len(), param.len(), "parameter and gradient lengths");
        assert_eq!(state.sum.len(), param.len(), "accumulator length");
        state.step += 1;
        let decayed_lr = (self.lr / (1.0 + (state.step - 1) as f64 * self.lr_decay)) as f32;
        let (eps, wd) = (self.eps, self.weight_decay);
        for ((p, &g), sum) in param.iter_mut().zip(grad).zip(&mut state.sum) {
            // A zero weight decay adds exactly zero to the gradient of a finite parameter.
            let g = g + wd * *p;
            *sum += g * g;
            *p -= decayed_lr * (g / (sum.sqrt() + eps));
        }
    }
}

impl UpdateRule for Adagrad {
    type State = AdagradState;

    fn init_state(&self, len: usize) -> AdagradState {
        AdagradState {
            step: 0,
            sum: vec![self.initial_accumulator_value; len],
        }
    }

    fn update(&self, param: &mut [f32], grad: &[f32], state: &mut AdagradState) {
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
    fn run(config: AdagradConfig, param: &[f32], grads: &[&[f32]]) -> (Vec<Vec<f32>>, AdagradState) {
        optim_core::rule::testing::trajectory(&config.build().unwrap(), param, grads)
    }

    #[test]
    fn initial_accumulator_and_lr_decay() {
        // lr = 0.1, lr_decay = 0.5, initial_accumulator_value = 1, eps = 1e-10, p = [1, -1].
        // step 1, clr = 0.1, g = [1, 0]: sum = [2, 1]
        //   p = [1 - 0.1 / sqrt(2), -1] = [1 - 0.070710678119, -1] = [0.929289321881, -1]
        // step 2, clr = 0.1 / 1.5, g = [2, -3]: sum = [6, 10]
        //   p = [0.929289321881 - 0.2 / 1.5 / sqrt(6), -1 + 0.3 / 1.5 / sqrt(10)]
        //     = [0.929289321881 - 0.054433105395, -1 + 0.063245553203]
        //     = [0.874856216486, -0.936754446797]
        // step 3, clr = 0.1 / 2, g = [-1, 1]: sum = [7, 11]
        //   p = [0.874856216486 + 0.05 / sqrt(7), -0.936754446797 - 0.05 / sqrt(11)]
        //     = [0.874856216486 + 0.018898223650, -0.936754446797 - 0.015075567229]
        //     = [0.893754440136, -0.951830014026]
        let config = AdagradConfig {
            lr: 0.1,
            lr_decay: 0.5,
            initial_accumulator_value: 1.0,
            ..AdagradConfig::default()
        };
        let (p, state) = run(config, &[1.0, -1.0], &[&[1.0, 0.0], &[2.0, -3.0], &[-1.0, 1.0]]);
        assert_close(&p[0], &[0.929289321881, -1.0]);
        assert_close(&p[1], &[0.874856216486, -0.936754446797]);
        assert_close(&p[2], &[0.893754440136, -0.951830014026]);
        assert_close(&state.sum, &[7.0, 11.0]);
        assert_eq!(state.step, 3);
    }

    #[test]
    fn eps_is_added_after_the_square_root() {
        // lr = 1, eps = 1, p = 0, g = 1: sum = 1; p = -1 / (sqrt(1) + 1) = -0.5
        // (eps inside the square root would give -1 / sqrt(2) = -0.707106781187).
        let config = AdagradConfig {
            lr: 1.0,
            eps: 1.0,
            ..AdagradConfig::default()
        };
        let (p, _) = run(config, &[0.0], &[&[1.0]]);
        assert_close(&p[0], &[-0.5]);
    }

    #[test]
    fn zero_gradient_on_an_empty_accumulator_is_a_no_op() {
        // sum = 0 and g = 0: 0 / (0 + eps) = 0, not 0 / 0.
        let (p, state) = run(AdagradConfig::default(), &[0.5], &[&[0.0]]);
        assert_eq!(p[0], [0.5]);
        assert_eq!(state.sum, [0.0]);
    }

    #[test]
    fn weight_decay_is_added_to_the_gradient() {
        // lr = 0.1, wd = 0.5, p = 2, g = 0 at both steps.
        // step 1: g + wd p = 1; sum = 1; p = 2 - 0.1 * 1 / 1 = 1.9
        // step 2: g + wd p = 0.95; sum = 1 + 0.9025 = 1.9025
        //   p = 1.9 - 0.1 * 0.95 / 1.379311422413 = 1.9 - 0.068874946191 = 1.831125053809
        let config = AdagradConfig {
            lr: 0.1,
            weight_decay: 0.5,
            ..AdagradConfig::default()
        };
        let (p, state) = run(config, &[2.0], &[&[0.0], &[0.0]]);
        assert_close(&p[0], &[1.9]);
        assert_close(&p[1], &[1.831125053809]);
        assert_close(&state.sum, &[1.9025]);
    }

    #[test]
    fn dispatched_update_is_bitwise_the_baseline_one() {
        for config in [
            AdagradConfig::default(),
            AdagradConfig {
                lr_decay: 1e-2,
                weight_decay: 1e-2,
                initial_accumulator_value: 0.1,
                ..AdagradConfig::default()
            },
        ] {
            let rule = config.build().unwrap();
            assert_dispatch_is_bitwise(&rule, |p, g, s| simd::baseline(|| rule.update_scalar(p, g, s)));
        }
    }

    #[test]
    fn state_survives_serialization() {
        let rule = AdagradConfig::default().build().unwrap();
        let mut state = rule.init_state(3);
        rule.update(&mut [1.0, 2.0, 3.0], &[0.1, 0.2, 0.3], &mut state);
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<AdagradState>(&json).unwrap(), state);
    }
}
