//! The Adam update rule and its per-tensor state.

use optim_core::{UpdateRule, simd};
use serde::{Deserialize, Serialize};

use crate::config::AdamConfig;

/// Adam as in PyTorch's `torch.optim.Adam`, built from a validated [`AdamConfig`].
///
/// With gradient `g`, step `t = 1, 2, ...`, learning rate `lr`, betas `(b1, b2)` and weight
/// decay `wd`, one update of a parameter `p` is
///
/// ```text
/// g <- g + wd * p
/// m <- b1 * m + (1 - b1) * g
/// v <- b2 * v + (1 - b2) * g^2
/// v_max <- max(v_max, v)                       (AMSGrad only; then v_max replaces v below)
/// p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
/// ```
///
/// that is `p <- p - lr * m_hat / (sqrt(v_hat) + eps)`: `eps` is added after the square root
/// of the bias-corrected second moment. AMSGrad keeps the maximum of the raw `v`, as PyTorch's
/// implementation does, and bias-corrects it with the current step.
///
/// [`UpdateRule::update`] panics if the gradient or a state buffer does not have the
/// parameter's length: a state from [`UpdateRule::init_state`] for that tensor always has.
#[derive(Debug, Clone)]
pub struct Adam {
    pub(crate) config: AdamConfig,
    // `lr` and the betas stay f64 for the once-per-call bias corrections; the loop uses f32.
    pub(crate) lr: f64,
    pub(crate) beta1: f64,
    pub(crate) beta2: f64,
    pub(crate) beta1_single: f32,
    pub(crate) beta2_single: f32,
    pub(crate) one_minus_beta1: f32,
    pub(crate) one_minus_beta2: f32,
    pub(crate) eps: f32,
    pub(crate) weight_decay: f32,
    pub(crate) amsgrad: bool,
}

/// Per-tensor state of [`Adam`] (field names as in PyTorch's optimizer state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdamState {
    /// Updates applied to the tensor so far: the `t` of the bias corrections.
    pub step: u64,
    /// First moment estimate `m`, one value per parameter.
    pub exp_avg: Vec<f32>,
    /// Second moment estimate `v`, one value per parameter.
    pub exp_avg_sq: Vec<f32>,
    /// Running maximum of `v` (AMSGrad), one value per parameter; empty without AMSGrad.
    pub max_exp_avg_sq: Vec<f32>,
}

impl Adam {
    /// The validated configuration this rule was built from.
    pub fn config(&self) -> &AdamConfig {
        &self.config
    }

    /// One update as plain scalar code: [`UpdateRule::update`] runs it through
    /// [`simd::dispatch`], tests compare both copies bit by bit.
    #[inline(always)]
    fn update_scalar(&self, param: &mut [f32], grad: &[f32], state: &mut AdamState) {
        let len = param.len();
        assert_eq!(grad.len(), len, "parameter and gradient lengths");
        assert_eq!(state.exp_avg.len(), len, "first moment length");
        assert_eq!(state.exp_avg_sq.len(), len, "second moment length");
        state.step += 1;
        // Bias corrections in f64, once per call, as PyTorch computes them in Python floats.
        let t = state.step as f64;
        let bias_correction1 = 1.0 - self.beta1.powf(t);
        let bias_correction2 = 1.0 - self.beta2.powf(t);
        let step_size = (self.lr / bias_correction1) as f32;
        let bias_correction2_sqrt = bias_correction2.sqrt() as f32;
        let (b1, b2) = (self.beta1_single, self.beta2_single);
        let (c1, c2) = (self.one_minus_beta1, self.one_minus_beta2);
        let (eps, wd) = (self.eps, self.weight_decay);
        let moments = param
            .iter_mut()
            .zip(grad)
            .zip(&mut state.exp_avg)
            .zip(&mut state.exp_avg_sq);
        if self.amsgrad {
            assert_eq!(state.max_exp_avg_sq.len(), len, "AMSGrad maximum length");
            for ((((p, &g), m), v), v_max) in moments.zip(&mut state.max_exp_avg_sq) {
                let g = g + wd * *p;
                *m = b1 * *m + c1 * g;
                *v = b2 * *v + c2 * (g * g);
                *v_max = v_max.max(*v);
                let denom = v_max.sqrt() / bias_correction2_sqrt + eps;
                *p -= step_size * (*m / denom);
            }
        } else {
            for (((p, &g), m), v) in moments {
                // A zero weight decay adds exactly zero to the gradient of a finite parameter.
                let g = g + wd * *p;
                *m = b1 * *m + c1 * g;
                *v = b2 * *v + c2 * (g * g);
                let denom = v.sqrt() / bias_correction2_sqrt + eps;
                *p -= step_size * (*m / denom);
            }
        }
    }
}

impl UpdateRule for Adam {
    type State = AdamState;

    fn init_state(&self, len: usize) -> AdamState {
        AdamState {
            step: 0,
            exp_avg: vec![0.0; len],
            exp_avg_sq: vec![0.0; len],
            max_exp_avg_sq: vec![0.0; if self.amsgrad { len } else { 0 }],
        }
    }

    fn update(&self, param: &mut [f32], grad: &[f32], state: &mut AdamState) {
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
    fn run(config: AdamConfig, param: &[f32], grads: &[&[f32]]) -> (Vec<Vec<f32>>, AdamState) {
        optim_core::rule::testing::trajectory(&config.build().unwrap(), param, grads)
    }

    /// lr = 0.1, betas = (0.9, 0.999) and a large eps = 0.1, so that where eps goes shows.
    fn large_eps() -> AdamConfig {
        AdamConfig {
            lr: 0.1,
            eps: 0.1,
            ..AdamConfig::default()
        }
    }

    #[test]
    fn bias_correction_and_eps_after_the_square_root() {
        // p = [1, 0].
        // step 1, g = [2, -0.5]: m = 0.1 g = [0.2, -0.05]; v = 0.001 g^2 = [0.004, 0.00025]
        //   m_hat = m / 0.1 = [2, -0.5]; v_hat = v / 0.001 = [4, 0.25]
        //   p = [1 - 0.1 * 2 / (2 + 0.1), 0 + 0.1 * 0.5 / (0.5 + 0.1)]
        //     = [0.904761904762, 0.0833333333333]
        // step 2, g = [-1, 0]: m = [0.18 - 0.1, -0.045] = [0.08, -0.045]
        //   v = [0.003996 + 0.001, 0.00024975] = [0.004996, 0.00024975]
        //   1 - b1^2 = 0.19; 1 - b2^2 = 0.001999
        //   m_hat = [0.421052631579, -0.236842105263]; v_hat = [2.499249624812, 0.124937468734]
        //   sqrt(v_hat) + eps = [1.680901522807, 0.453464946967]
        //   p = [0.904761904762 - 0.1 * 0.421052631579 / 1.680901522807,
        //        0.0833333333333 + 0.1 * 0.236842105263 / 0.453464946967]
        //     = [0.904761904762 - 0.025049214714, 0.0833333333333 + 0.052229418580]
        //     = [0.879712690048, 0.135562751913]
        let (p, state) = run(large_eps(), &[1.0, 0.0], &[&[2.0, -0.5], &[-1.0, 0.0]]);
        assert_close(&p[0], &[0.904761904762, 0.0833333333333]);
        assert_close(&p[1], &[0.879712690048, 0.135562751913]);
        assert_close(&state.exp_avg, &[0.08, -0.045]);
        assert_close(&state.exp_avg_sq, &[0.004996, 0.00024975]);
        assert_eq!(state.step, 2);
        assert!(state.max_exp_avg_sq.is_empty());
    }

    #[test]
    fn default_eps_first_step_moves_by_lr() {
        // At step 1, m_hat = g and v_hat = g^2, so p moves by lr * g / (|g| + 1e-8):
        // g = [3, -0.25], lr = 1e-3: p = [1 - 1e-3 * 3 / 3.00000001, 0 + 1e-3 * 0.25 / 0.25000001]
        //   = [0.999000000003, 0.000999999960]
        let (p, _) = run(AdamConfig::default(), &[1.0, 0.0], &[&[3.0, -0.25]]);
        assert_close(&p[0], &[0.999000000003, 0.000999999960]);
    }

    #[test]
    fn weight_decay_is_added_to_the_gradient() {
        // wd = 0.5, p = 1, g = 0.5: g + wd p = 1; step 1: m_hat = 1, v_hat = 1
        //   p = 1 - 0.1 * 1 / (1 + 0.1) = 0.909090909091
        // (decoupled AdamW decay would give 1 - 0.05 - 0.1 * 0.5 / 0.6 = 0.866666666667)
        let config = AdamConfig {
            weight_decay: 0.5,
            ..large_eps()
        };
        let (p, _) = run(config, &[1.0], &[&[0.5]]);
        assert_close(&p[0], &[0.909090909091]);
    }

    #[test]
    fn amsgrad_normalises_by_the_largest_second_moment() {
        // p = 1, g = 2 then 0. Step 1 as without AMSGrad: p = 0.904761904762, v = 0.004.
        // step 2: m = 0.18, v = 0.003996 < v_max = 0.004; m_hat = 0.18 / 0.19 = 0.947368421053
        //   AMSGrad: sqrt(0.004 / 0.001999) + eps = 1.414567248401 + 0.1 = 1.514567248401
        //   p = 0.904761904762 - 0.1 * 0.947368421053 / 1.514567248401
        //     = 0.904761904762 - 0.062550436242 = 0.842211468520
        //   plain Adam: sqrt(0.003996 / 0.001999) + eps = 1.513859787868
        //   p = 0.904761904762 - 0.062579667460 = 0.842182237302
        let amsgrad = AdamConfig {
            amsgrad: true,
            ..large_eps()
        };
        let (p, state) = run(amsgrad, &[1.0], &[&[2.0], &[0.0]]);
        assert_close(&p[0], &[0.904761904762]);
        assert_close(&p[1], &[0.842211468520]);
        assert_close(&state.max_exp_avg_sq, &[0.004]);
        assert_close(&state.exp_avg_sq, &[0.003996]);
        let (plain, _) = run(large_eps(), &[1.0], &[&[2.0], &[0.0]]);
        assert_close(&plain[1], &[0.842182237302]);
    }

    #[test]
    fn dispatched_update_is_bitwise_the_baseline_one() {
        let amsgrad_with_decay = AdamConfig {
            amsgrad: true,
            weight_decay: 1e-2,
            ..AdamConfig::default()
        };
        for config in [AdamConfig::default(), amsgrad_with_decay] {
            let rule = config.build().unwrap();
            assert_dispatch_is_bitwise(&rule, |p, g, s| simd::baseline(|| rule.update_scalar(p, g, s)));
        }
    }

    #[test]
    fn state_survives_serialization() {
        let rule = AdamConfig {
            amsgrad: true,
            ..AdamConfig::default()
        }
        .build()
        .unwrap();
        let mut state = rule.init_state(3);
        rule.update(&mut [1.0, 2.0, 3.0], &[0.1, 0.2, 0.3], &mut state);
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<AdamState>(&json).unwrap(), state);
    }
}
