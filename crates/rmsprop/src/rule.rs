//! The RMSprop update rule and its per-tensor state.

use optim_core::UpdateRule;
use serde::{Deserialize, Serialize};

use crate::config::RmspropConfig;

/// RMSprop as in PyTorch's `torch.optim.RMSprop`, built from a validated [`RmspropConfig`].
///
/// With gradient `g`, learning rate `lr`, decay `alpha`, momentum `mu` and weight decay `wd`,
/// one update of a parameter `p` is
///
/// ```text
/// g <- g + wd * p
/// v <- alpha * v + (1 - alpha) * g^2
/// if centered:  m <- alpha * m + (1 - alpha) * g;  d = sqrt(v - m^2) + eps
/// else:                                            d = sqrt(v) + eps
/// if mu != 0:   b <- mu * b + g / d;  p <- p - lr * b
/// else:                               p <- p - lr * g / d
/// ```
///
/// `eps` is added after the square root, and the momentum buffer starts at zero (unlike
/// SGD's, it has no special first step). One deliberate difference from PyTorch: the centred
/// variance `v - m^2` is clamped at zero before the square root. It is never negative in
/// exact arithmetic, but f32 rounding can make it a tiny negative number once the gradient
/// has been nearly constant for long, where PyTorch would return NaN.
///
/// [`UpdateRule::update`] panics if the gradient or a state buffer does not have the
/// parameter's length: a state from [`UpdateRule::init_state`] for that tensor always has.
#[derive(Debug, Clone)]
pub struct Rmsprop {
    pub(crate) config: RmspropConfig,
    pub(crate) lr: f32,
    pub(crate) alpha: f32,
    pub(crate) one_minus_alpha: f32,
    pub(crate) eps: f32,
    pub(crate) weight_decay: f32,
    pub(crate) momentum: f32,
    pub(crate) centered: bool,
}

/// Per-tensor state of [`Rmsprop`] (field names as in PyTorch's optimizer state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RmspropState {
    /// Updates applied to the tensor so far (the rule itself does not depend on it).
    pub step: u64,
    /// Running average `v` of the squared gradients, one value per parameter.
    pub square_avg: Vec<f32>,
    /// Momentum buffer `b`, one value per parameter; empty when `momentum` is zero.
    pub momentum_buffer: Vec<f32>,
    /// Running average `m` of the gradients, one value per parameter; empty unless centred.
    pub grad_avg: Vec<f32>,
}

impl Rmsprop {
    /// The validated configuration this rule was built from.
    pub fn config(&self) -> &RmspropConfig {
        &self.config
    }

    /// The update, monomorphised for centring and momentum so that the loop body has no
    /// branch; a buffer an option does not use is empty and never read.
    fn apply<const CENTERED: bool, const MOMENTUM: bool>(
        &self,
        param: &mut [f32],
        grad: &[f32],
        square_avg: &mut [f32],
        grad_avg: &mut [f32],
        buffer: &mut [f32],
    ) {
        let len = param.len();
        assert_eq!(grad.len(), len, "parameter and gradient lengths");
        assert_eq!(square_avg.len(), len, "square average length");
        if CENTERED {
            assert_eq!(grad_avg.len(), len, "gradient average length");
        }
        if MOMENTUM {
            assert_eq!(buffer.len(), len, "momentum buffer length");
        }
        let (lr, alpha, one_minus_alpha) = (self.lr, self.alpha, self.one_minus_alpha);
        let (eps, wd, mu) = (self.eps, self.weight_decay, self.momentum);
        for i in 0..len {
            // A zero weight decay adds exactly zero to the gradient of a finite parameter.
            let g = grad[i] + wd * param[i];
            let v = alpha * square_avg[i] + one_minus_alpha * (g * g);
            square_avg[i] = v;
            let denom = if CENTERED {
                let m = alpha * grad_avg[i] + one_minus_alpha * g;
                grad_avg[i] = m;
                (v - m * m).max(0.0).sqrt() + eps
            } else {
                v.sqrt() + eps
            };
            if MOMENTUM {
                buffer[i] = mu * buffer[i] + g / denom;
                param[i] -= lr * buffer[i];
            } else {
                param[i] -= lr * (g / denom);
            }
        }
    }
}

impl UpdateRule for Rmsprop {
    type State = RmspropState;

    fn init_state(&self, len: usize) -> RmspropState {
        let momentum_len = if self.momentum == 0.0 { 0 } else { len };
        let centered_len = if self.centered { len } else { 0 };
        RmspropState {
            step: 0,
            square_avg: vec![0.0; len],
            momentum_buffer: vec![0.0; momentum_len],
            grad_avg: vec![0.0; centered_len],
        }
    }

    fn update(&self, param: &mut [f32], grad: &[f32], state: &mut RmspropState) {
        state.step += 1;
        let square_avg = state.square_avg.as_mut_slice();
        let grad_avg = state.grad_avg.as_mut_slice();
        let buffer = state.momentum_buffer.as_mut_slice();
        match (self.centered, self.momentum != 0.0) {
            (false, false) => self.apply::<false, false>(param, grad, square_avg, grad_avg, buffer),
            (false, true) => self.apply::<false, true>(param, grad, square_avg, grad_avg, buffer),
            (true, false) => self.apply::<true, false>(param, grad, square_avg, grad_avg, buffer),
            (true, true) => self.apply::<true, true>(param, grad, square_avg, grad_avg, buffer),
        }
    }
}

#[cfg(test)]
mod tests {
    use optim_core::RuleConfig;

    use super::*;
    use optim_core::rule::testing::assert_close;

    // Every pinned value below was worked out in f64 by hand (the steps are in the comments)
    // and checked against a plain-Python transcription of PyTorch's RMSprop algorithm.

    /// Applies `grads` in turn to `param` and returns the parameters after each step.
    fn run(config: RmspropConfig, param: &[f32], grads: &[&[f32]]) -> (Vec<Vec<f32>>, RmspropState) {
        optim_core::rule::testing::trajectory(&config.build().unwrap(), param, grads)
    }

    /// lr = 0.1, alpha = 0.9 and a large eps = 0.1, so that where eps goes shows.
    fn large_eps() -> RmspropConfig {
        RmspropConfig {
            lr: 0.1,
            alpha: 0.9,
            eps: 0.1,
            ..RmspropConfig::default()
        }
    }

    #[test]
    fn plain_update_divides_by_the_root_mean_square() {
        // p = [1, 0].
        // step 1, g = [2, -0.5]: v = 0.1 g^2 = [0.4, 0.025]
        //   sqrt(v) + eps = [0.632455532034 + 0.1, 0.158113883008 + 0.1]
        //   p = [1 - 0.1 * 2 / 0.732455532034, 0 + 0.1 * 0.5 / 0.258113883008]
        //     = [1 - 0.273054118992, 0.193712943361] = [0.726945881008, 0.193712943361]
        // step 2, g = [-1, 0]: v = [0.36 + 0.1, 0.0225 + 0] = [0.46, 0.0225]
        //   p = [0.726945881008 + 0.1 / (0.678232998313 + 0.1), 0.193712943361 - 0]
        //     = [0.726945881008 + 0.128496221847, 0.193712943361]
        //     = [0.855442102856, 0.193712943361]
        let (p, state) = run(large_eps(), &[1.0, 0.0], &[&[2.0, -0.5], &[-1.0, 0.0]]);
        assert_close(&p[0], &[0.726945881008, 0.193712943361]);
        assert_close(&p[1], &[0.855442102856, 0.193712943361]);
        assert_close(&state.square_avg, &[0.46, 0.0225]);
        assert_eq!(state.step, 2);
        assert!(state.momentum_buffer.is_empty());
        assert!(state.grad_avg.is_empty());
    }

    #[test]
    fn default_first_step_moves_by_lr_over_root_one_minus_alpha() {
        // Defaults lr = 1e-2, alpha = 0.99, eps = 1e-8. At step 1, v = 0.01 g^2, so
        // sqrt(v) = 0.1 |g| and p moves by 1e-2 * g / (0.1 |g| + 1e-8), about 0.1 sign(g):
        // g = [3, -0.25]: p = [1 - 0.03 / 0.30000001, 0 + 0.0025 / 0.02500001]
        //   = [0.900000003333, 0.099999960000]
        let (p, state) = run(RmspropConfig::default(), &[1.0, 0.0], &[&[3.0, -0.25]]);
        assert_close(&p[0], &[0.900000003333, 0.099999960000]);
        assert_close(&state.square_avg, &[0.09, 0.000625]);
    }

    #[test]
    fn eps_is_added_after_the_square_root() {
        // lr = 1, alpha = 0, eps = 1, p = 0, g = 1: v = 1; p = -1 / (sqrt(1) + 1) = -0.5
        // (eps inside the square root would give -1 / sqrt(2) = -0.707106781187).
        let config = RmspropConfig {
            lr: 1.0,
            alpha: 0.0,
            eps: 1.0,
            ..RmspropConfig::default()
        };
        let (p, _) = run(config, &[0.0], &[&[1.0]]);
        assert_close(&p[0], &[-0.5]);
    }

    #[test]
    fn zero_gradient_on_an_empty_average_is_a_no_op() {
        // v = 0 and g = 0: 0 / (0 + eps) = 0, not 0 / 0.
        for centered in [false, true] {
            let config = RmspropConfig {
                centered,
                momentum: 0.9,
                ..RmspropConfig::default()
            };
            let (p, state) = run(config, &[0.5], &[&[0.0]]);
            assert_eq!(p[0], [0.5]);
            assert_eq!(state.square_avg, [0.0]);
            assert_eq!(state.momentum_buffer, [0.0]);
        }
    }

    #[test]
    fn momentum_accumulates_normalised_gradients_from_zero() {
        // large_eps with mu = 0.5, p = [1, 0]; the averages v are those of the plain test.
        // step 1, g = [2, -0.5]: g / d = [2 / 0.732455532034, -0.5 / 0.258113883008]
        //   = [2.730541189916, -1.937129433614]; b = 0.5 * 0 + g / d = g / d
        //   p = [1 - 0.273054118992, 0 + 0.193712943361]: the plain step, as b starts at zero
        // step 2, g = [-1, 0]: g / d = [-1 / 0.778232998313, 0] = [-1.284962218472, 0]
        //   b = [1.365270594958 - 1.284962218472, -0.968564716807] = [0.080308376486, -0.968564716807]
        //   p = [0.726945881008 - 0.008030837649, 0.193712943361 + 0.096856471681]
        //     = [0.718915043360, 0.290569415042]
        // step 3, g = [0, 0]: v = [0.414, 0.02025]; g / d = 0, so b = [0.040154188243, -0.484282358403]
        //   p = [0.718915043360 - 0.004015418824, 0.290569415042 + 0.048428235840]
        //     = [0.714899624535, 0.338997650882]: the parameter keeps moving on a zero gradient
        let config = RmspropConfig {
            momentum: 0.5,
            ..large_eps()
        };
        let (p, state) = run(config, &[1.0, 0.0], &[&[2.0, -0.5], &[-1.0, 0.0], &[0.0, 0.0]]);
        assert_close(&p[0], &[0.726945881008, 0.193712943361]);
        assert_close(&p[1], &[0.718915043360, 0.290569415042]);
        assert_close(&p[2], &[0.714899624535, 0.338997650882]);
        assert_close(&state.momentum_buffer, &[0.040154188243, -0.484282358403]);
        assert_close(&state.square_avg, &[0.414, 0.02025]);
        assert!(state.grad_avg.is_empty());
    }

    #[test]
    fn centered_subtracts_the_squared_mean_gradient() {
        // lr = 0.1, alpha = 0.5, eps = 0.1, p = 1.
        // step 1, g = 2: v = 0.5 * 4 = 2; m = 0.5 * 2 = 1; v - m^2 = 1
        //   p = 1 - 0.1 * 2 / (1 + 0.1) = 0.818181818182
        // step 2, g = 1: v = 1 + 0.5 = 1.5; m = 0.5 + 0.5 = 1; v - m^2 = 0.5
        //   p = 0.818181818182 - 0.1 / (0.707106781187 + 0.1) = 0.818181818182 - 0.123899343099
        //     = 0.694282475083
        // Uncentred, the same steps divide by sqrt(v) + eps:
        //   p = 1 - 0.2 / (1.414213562373 + 0.1) = 0.867918234937
        //   p = 0.867918234937 - 0.1 / (1.224744871392 + 0.1) = 0.792432001958
        let centered = RmspropConfig {
            lr: 0.1,
            alpha: 0.5,
            eps: 0.1,
            centered: true,
            ..RmspropConfig::default()
        };
        let (p, state) = run(centered.clone(), &[1.0], &[&[2.0], &[1.0]]);
        assert_close(&p[0], &[0.818181818182]);
        assert_close(&p[1], &[0.694282475083]);
        assert_close(&state.square_avg, &[1.5]);
        assert_close(&state.grad_avg, &[1.0]);
        assert!(state.momentum_buffer.is_empty());
        let uncentered = RmspropConfig {
            centered: false,
            ..centered
        };
        let (plain, _) = run(uncentered, &[1.0], &[&[2.0], &[1.0]]);
        assert_close(&plain[0], &[0.867918234937]);
        assert_close(&plain[1], &[0.792432001958]);
    }

    #[test]
    fn a_rounded_negative_variance_is_clamped_at_zero() {
        // A state whose v - m^2 is negative, as f32 rounding can leave it: v = 0, m = 1.
        // lr = 0.1, alpha = 0.5, eps = 0.1, g = 1: v = 0.5, m = 1, v - m^2 = -0.5 -> 0
        //   p = 1 - 0.1 * 1 / (0 + 0.1) = 0 (PyTorch: sqrt(-0.5) = NaN)
        let rule = RmspropConfig {
            lr: 0.1,
            alpha: 0.5,
            eps: 0.1,
            centered: true,
            ..RmspropConfig::default()
        }
        .build()
        .unwrap();
        let mut state = rule.init_state(1);
        state.grad_avg[0] = 1.0;
        let mut p = [1.0];
        rule.update(&mut p, &[1.0], &mut state);
        assert_close(&p, &[0.0]);
        assert_close(&state.square_avg, &[0.5]);
        assert_close(&state.grad_avg, &[1.0]);
    }

    #[test]
    fn weight_decay_is_added_to_the_gradient() {
        // large_eps with wd = 0.5, p = 2, g = 0 at both steps.
        // step 1: g + wd p = 1; v = 0.1; d = 0.316227766017 + 0.1 = 0.416227766017
        //   p = 2 - 0.1 / 0.416227766017 = 2 - 0.240253073352 = 1.759746926648
        // step 2: g + wd p = 0.879873463324; v = 0.09 + 0.1 * 0.774177311462 = 0.167417731146
        //   p = 1.759746926648 - 0.1 * 0.879873463324 / (0.409167118848 + 0.1)
        //     = 1.759746926648 - 0.172806418709 = 1.586940507939
        let config = RmspropConfig {
            weight_decay: 0.5,
            ..large_eps()
        };
        let (p, state) = run(config, &[2.0], &[&[0.0], &[0.0]]);
        assert_close(&p[0], &[1.759746926648]);
        assert_close(&p[1], &[1.586940507939]);
        assert_close(&state.square_avg, &[0.167417731146]);
    }

    #[test]
    fn all_options_together() {
        // lr = 0.1, alpha = 0.5, eps = 0.1, wd = 0.5, mu = 0.9, centred; p = [1, -1].
        // step 1, g = [2, 0.5]: g + wd p = [2.5, 0]
        //   v = [3.125, 0]; m = [1.25, 0]; v - m^2 = [1.5625, 0]; d = [1.35, 0.1]
        //   b = g / d = [1.851851851852, 0]; p = [1 - 0.185185185185, -1] = [0.814814814815, -1]
        // step 2, g = [1, -1]: g + wd p = [1.407407407407, -1.5]
        //   v = [1.5625 + 0.990397805213, 1.125] = [2.552897805213, 1.125]
        //   m = [0.625 + 0.703703703704, -0.75] = [1.328703703704, -0.75]
        //   v - m^2 = [2.552897805213 - 1.765453532236, 1.125 - 0.5625] = [0.787444272977, 0.5625]
        //   d = [0.887380568289 + 0.1, 0.75 + 0.1] = [0.987380568289, 0.85]
        //   b = [0.9 * 1.851851851852 + 1.407407407407 / 0.987380568289, -1.5 / 0.85]
        //     = [1.666666666667 + 1.425395083323, -1.764705882353]
        //     = [3.092061749989, -1.764705882353]
        //   p = [0.814814814815 - 0.309206174999, -1 + 0.176470588235] = [0.505608639816, -0.823529411765]
        let config = RmspropConfig {
            lr: 0.1,
            alpha: 0.5,
            eps: 0.1,
            weight_decay: 0.5,
            momentum: 0.9,
            centered: true,
        };
        let (p, state) = run(config, &[1.0, -1.0], &[&[2.0, 0.5], &[1.0, -1.0]]);
        assert_close(&p[0], &[0.814814814815, -1.0]);
        assert_close(&p[1], &[0.505608639816, -0.823529411765]);
        assert_close(&state.square_avg, &[2.552897805213, 1.125]);
        assert_close(&state.grad_avg, &[1.328703703704, -0.75]);
        assert_close(&state.momentum_buffer, &[3.092061749989, -1.764705882353]);
    }

    #[test]
    fn state_survives_serialization() {
        let rule = RmspropConfig {
            momentum: 0.9,
            centered: true,
            ..RmspropConfig::default()
        }
        .build()
        .unwrap();
        let mut state = rule.init_state(3);
        rule.update(&mut [1.0, 2.0, 3.0], &[0.1, 0.2, 0.3], &mut state);
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<RmspropState>(&json).unwrap(), state);
    }
}
