//! Hyper-parameters of RMSprop and their validation.

use optim_core::validate::non_negative;
use optim_core::{OptimError, Result, RuleConfig};
use serde::{Deserialize, Serialize};

use crate::rule::Rmsprop;

/// Hyper-parameters of [`Rmsprop`], named and defaulted as in PyTorch's
/// `torch.optim.RMSprop`.
///
/// Keys missing from an experiment file take the defaults documented on each field; unknown
/// keys are an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RmspropConfig {
    /// Learning rate, `>= 0`. Default `1e-2`.
    pub lr: f64,
    /// Decay rate of the running average of squared gradients (and, centred, of gradients),
    /// in `[0, 1)`. Default `0.99`. PyTorch also accepts `alpha >= 1`, but then the average
    /// never leaves zero and every step divides the gradient by `eps` alone.
    pub alpha: f64,
    /// Added to the square root of the running average, `> 0`. Default `1e-8`.
    pub eps: f64,
    /// L2 penalty, `>= 0`: `weight_decay * p` is added to the gradient before the averages.
    /// Default `0`.
    pub weight_decay: f64,
    /// Momentum factor of the buffer that accumulates the normalised gradients, `>= 0`.
    /// Default `0`: no momentum buffer is kept.
    pub momentum: f64,
    /// Centred RMSprop: normalise by an estimate of the gradient's variance (the running
    /// average of squares minus the square of the running average) instead of its second
    /// moment. Default `false`.
    pub centered: bool,
}

impl Default for RmspropConfig {
    fn default() -> Self {
        Self {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
        }
    }
}

impl RuleConfig for RmspropConfig {
    type Rule = Rmsprop;

    fn build(&self) -> Result<Rmsprop> {
        let lr = non_negative("lr", self.lr)?;
        if !(0.0..1.0).contains(&self.alpha) {
            return Err(OptimError::invalid(
                "alpha",
                format!("must be in [0, 1), got {}", self.alpha),
            ));
        }
        let eps = self.eps as f32;
        if !(eps > 0.0 && eps.is_finite()) {
            return Err(OptimError::invalid(
                "eps",
                format!("must be a finite number > 0 that f32 can represent, got {}", self.eps),
            ));
        }
        let weight_decay = non_negative("weight_decay", self.weight_decay)?;
        let momentum = non_negative("momentum", self.momentum)?;
        Ok(Rmsprop {
            config: self.clone(),
            lr,
            alpha: self.alpha as f32,
            one_minus_alpha: (1.0 - self.alpha) as f32,
            eps,
            weight_decay,
            momentum,
            centered: self.centered,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected_key(config: RmspropConfig) -> String {
        optim_core::validate::rejected_key(config.build())
    }

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let config = RmspropConfig::default();
        assert_eq!(config.lr, 1e-2);
        assert_eq!(config.alpha, 0.99);
        assert_eq!(config.eps, 1e-8);
        assert_eq!(config.weight_decay, 0.0);
        assert_eq!(config.momentum, 0.0);
        assert!(!config.centered);
        assert_eq!(config.build().unwrap().config(), &config);
    }

    #[test]
    fn each_bad_value_is_rejected_with_its_key() {
        let base = RmspropConfig::default;
        let cases = [
            (RmspropConfig { lr: -1e-3, ..base() }, "lr"),
            (RmspropConfig { lr: f64::NAN, ..base() }, "lr"),
            (
                RmspropConfig {
                    lr: f64::INFINITY,
                    ..base()
                },
                "lr",
            ),
            (RmspropConfig { alpha: -0.1, ..base() }, "alpha"),
            (RmspropConfig { alpha: 1.0, ..base() }, "alpha"),
            (RmspropConfig { alpha: 1.5, ..base() }, "alpha"),
            (
                RmspropConfig {
                    alpha: f64::NAN,
                    ..base()
                },
                "alpha",
            ),
            (RmspropConfig { eps: 0.0, ..base() }, "eps"),
            (RmspropConfig { eps: -1e-8, ..base() }, "eps"),
            (RmspropConfig { eps: 1e-60, ..base() }, "eps"),
            (
                RmspropConfig {
                    eps: f64::NAN,
                    ..base()
                },
                "eps",
            ),
            (
                RmspropConfig {
                    weight_decay: -1e-4,
                    ..base()
                },
                "weight_decay",
            ),
            (
                RmspropConfig {
                    momentum: -0.9,
                    ..base()
                },
                "momentum",
            ),
            (
                RmspropConfig {
                    momentum: f64::NAN,
                    ..base()
                },
                "momentum",
            ),
        ];
        for (config, key) in cases {
            assert_eq!(rejected_key(config), key);
        }
    }

    #[test]
    fn boundary_values_are_accepted() {
        let config = RmspropConfig {
            lr: 0.0,
            alpha: 0.0,
            weight_decay: 0.0,
            momentum: 0.0,
            ..RmspropConfig::default()
        };
        assert!(config.build().is_ok());
        let almost_one = RmspropConfig {
            alpha: 0.999_999,
            ..RmspropConfig::default()
        };
        assert!(almost_one.build().is_ok());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = serde_json::from_str::<RmspropConfig>(r#"{"lr": 0.1, "rho": 0.9}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("rho"), "{err}");
    }

    #[test]
    fn missing_keys_take_the_defaults() {
        let config: RmspropConfig = serde_json::from_str(r#"{"alpha": 0.9, "centered": true}"#).unwrap();
        assert_eq!(
            config,
            RmspropConfig {
                alpha: 0.9,
                centered: true,
                ..RmspropConfig::default()
            }
        );
        let empty: RmspropConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, RmspropConfig::default());
    }
}
