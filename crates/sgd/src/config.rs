//! Hyper-parameters of SGD and their validation.

use optim_core::validate::non_negative;
use optim_core::{OptimError, Result, RuleConfig};
use serde::{Deserialize, Serialize};

use crate::rule::Sgd;

/// Hyper-parameters of [`Sgd`], named as in PyTorch's `torch.optim.SGD`.
///
/// Keys missing from an experiment file take the defaults documented on each field; unknown
/// keys are an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SgdConfig {
    /// Learning rate, `>= 0`. Default `1e-2` (older PyTorch releases have no default, recent
    /// ones use `1e-3`: set it explicitly when comparing with PyTorch).
    pub lr: f64,
    /// Momentum factor, `>= 0`. Default `0`: plain SGD, no momentum buffer is kept.
    pub momentum: f64,
    /// Dampening of the gradient entering the momentum buffer, in `[0, 1]`. Default `0`.
    /// Not applied on the first step, where the buffer is the gradient itself.
    pub dampening: f64,
    /// L2 penalty, `>= 0`: `weight_decay * p` is added to the gradient. Default `0`.
    pub weight_decay: f64,
    /// Nesterov momentum. Default `false`; needs `momentum > 0` and `dampening = 0`.
    pub nesterov: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        Self {
            lr: 1e-2,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        }
    }
}

impl RuleConfig for SgdConfig {
    type Rule = Sgd;

    fn build(&self) -> Result<Sgd> {
        let lr = non_negative("lr", self.lr)?;
        let momentum = non_negative("momentum", self.momentum)?;
        if !(0.0..=1.0).contains(&self.dampening) {
            return Err(OptimError::invalid(
                "dampening",
                format!("must be in [0, 1], got {}", self.dampening),
            ));
        }
        let weight_decay = non_negative("weight_decay", self.weight_decay)?;
        if self.nesterov && (momentum == 0.0 || self.dampening != 0.0) {
            return Err(OptimError::invalid(
                "nesterov",
                format!(
                    "needs momentum > 0 and dampening = 0, got momentum = {} and dampening = {}",
                    self.momentum, self.dampening
                ),
            ));
        }
        Ok(Sgd {
            config: self.clone(),
            lr,
            momentum,
            one_minus_dampening: (1.0 - self.dampening) as f32,
            weight_decay,
            nesterov: self.nesterov,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected_key(config: SgdConfig) -> String {
        optim_core::validate::rejected_key(config.build())
    }

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let config = SgdConfig::default();
        assert_eq!(config.lr, 1e-2);
        assert_eq!(config.momentum, 0.0);
        assert_eq!(config.dampening, 0.0);
        assert_eq!(config.weight_decay, 0.0);
        assert!(!config.nesterov);
        assert_eq!(config.build().unwrap().config(), &config);
    }

    #[test]
    fn each_bad_value_is_rejected_with_its_key() {
        let base = SgdConfig::default;
        let cases = [
            (SgdConfig { lr: -1e-3, ..base() }, "lr"),
            (SgdConfig { lr: f64::NAN, ..base() }, "lr"),
            (
                SgdConfig {
                    lr: f64::INFINITY,
                    ..base()
                },
                "lr",
            ),
            (SgdConfig { lr: 1e300, ..base() }, "lr"),
            (
                SgdConfig {
                    momentum: -0.5,
                    ..base()
                },
                "momentum",
            ),
            (
                SgdConfig {
                    dampening: -0.1,
                    ..base()
                },
                "dampening",
            ),
            (
                SgdConfig {
                    dampening: 1.5,
                    ..base()
                },
                "dampening",
            ),
            (
                SgdConfig {
                    dampening: f64::NAN,
                    ..base()
                },
                "dampening",
            ),
            (
                SgdConfig {
                    weight_decay: -1e-4,
                    ..base()
                },
                "weight_decay",
            ),
            (
                SgdConfig {
                    nesterov: true,
                    ..base()
                },
                "nesterov",
            ),
            (
                SgdConfig {
                    nesterov: true,
                    momentum: 0.9,
                    dampening: 0.1,
                    ..base()
                },
                "nesterov",
            ),
        ];
        for (config, key) in cases {
            assert_eq!(rejected_key(config), key);
        }
    }

    #[test]
    fn boundary_values_are_accepted() {
        let config = SgdConfig {
            lr: 0.0,
            momentum: 0.9,
            dampening: 1.0,
            weight_decay: 0.0,
            nesterov: false,
        };
        assert!(config.build().is_ok());
        let nesterov = SgdConfig {
            momentum: 0.9,
            nesterov: true,
            ..SgdConfig::default()
        };
        assert!(nesterov.build().is_ok());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = serde_json::from_str::<SgdConfig>(r#"{"lr": 0.1, "momentun": 0.9}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("momentun"), "{err}");
    }

    #[test]
    fn missing_keys_take_the_defaults() {
        let config: SgdConfig = serde_json::from_str(r#"{"momentum": 0.9}"#).unwrap();
        assert_eq!(
            config,
            SgdConfig {
                momentum: 0.9,
                ..SgdConfig::default()
            }
        );
        let empty: SgdConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, SgdConfig::default());
    }
}
