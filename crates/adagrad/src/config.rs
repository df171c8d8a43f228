//! Hyper-parameters of Adagrad and their validation.

use optim_core::validate::non_negative;
use optim_core::{OptimError, Result, RuleConfig};
use serde::{Deserialize, Serialize};

use crate::rule::Adagrad;

/// Hyper-parameters of [`Adagrad`], named and defaulted as in PyTorch's
/// `torch.optim.Adagrad`.
///
/// Keys missing from an experiment file take the defaults documented on each field; unknown
/// keys are an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdagradConfig {
    /// Learning rate, `>= 0`. Default `1e-2`.
    pub lr: f64,
    /// Learning-rate decay, `>= 0`: step `t` uses `lr / (1 + (t - 1) * lr_decay)`.
    /// Default `0`.
    pub lr_decay: f64,
    /// L2 penalty, `>= 0`: `weight_decay * p` is added to the gradient. Default `0`.
    pub weight_decay: f64,
    /// Starting value of every sum of squared gradients, `>= 0`. Default `0`.
    pub initial_accumulator_value: f64,
    /// Added to the square root of the sum of squared gradients, `> 0`. Default `1e-10`.
    pub eps: f64,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        Self {
            lr: 1e-2,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
        }
    }
}

impl RuleConfig for AdagradConfig {
    type Rule = Adagrad;

    fn build(&self) -> Result<Adagrad> {
        let lr = non_negative("lr", self.lr)?;
        let lr_decay = non_negative("lr_decay", self.lr_decay)?;
        let weight_decay = non_negative("weight_decay", self.weight_decay)?;
        let initial_accumulator_value = non_negative("initial_accumulator_value", self.initial_accumulator_value)?;
        let eps = self.eps as f32;
        if !(eps > 0.0 && eps.is_finite()) {
            return Err(OptimError::invalid(
                "eps",
                format!("must be a finite number > 0 that f32 can represent, got {}", self.eps),
            ));
        }
        Ok(Adagrad {
            config: self.clone(),
            lr: f64::from(lr),
            lr_decay: f64::from(lr_decay),
            weight_decay,
            initial_accumulator_value,
            eps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected_key(config: AdagradConfig) -> String {
        optim_core::validate::rejected_key(config.build())
    }

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let config = AdagradConfig::default();
        assert_eq!(config.lr, 1e-2);
        assert_eq!(config.lr_decay, 0.0);
        assert_eq!(config.weight_decay, 0.0);
        assert_eq!(config.initial_accumulator_value, 0.0);
        assert_eq!(config.eps, 1e-10);
        assert_eq!(config.build().unwrap().config(), &config);
    }

    #[test]
    fn each_bad_value_is_rejected_with_its_key() {
        let base = AdagradConfig::default;
        let cases = [
            (AdagradConfig { lr: -1e-3, ..base() }, "lr"),
            (AdagradConfig { lr: f64::NAN, ..base() }, "lr"),
            (
                AdagradConfig {
                    lr: f64::INFINITY,
                    ..base()
                },
                "lr",
            ),
            (
                AdagradConfig {
                    lr_decay: -0.1,
                    ..base()
                },
                "lr_decay",
            ),
            (
                AdagradConfig {
                    lr_decay: f64::NAN,
                    ..base()
                },
                "lr_decay",
            ),
            (
                AdagradConfig {
                    weight_decay: -1e-4,
                    ..base()
                },
                "weight_decay",
            ),
            (
                AdagradConfig {
                    initial_accumulator_value: -1.0,
                    ..base()
                },
                "initial_accumulator_value",
            ),
            (AdagradConfig { eps: 0.0, ..base() }, "eps"),
            (AdagradConfig { eps: -1e-10, ..base() }, "eps"),
            (AdagradConfig { eps: 1e-60, ..base() }, "eps"),
            (
                AdagradConfig {
                    eps: f64::NAN,
                    ..base()
                },
                "eps",
            ),
        ];
        for (config, key) in cases {
            assert_eq!(rejected_key(config), key);
        }
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = serde_json::from_str::<AdagradConfig>(r#"{"lr": 0.1, "initial_accumulator": 1}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("initial_accumulator"), "{err}");
    }

    #[test]
    fn missing_keys_take_the_defaults() {
        let config: AdagradConfig =
            serde_json::from_str(r#"{"lr_decay": 0.5, "initial_accumulator_value": 0.1}"#).unwrap();
        assert_eq!(
            config,
            AdagradConfig {
                lr_decay: 0.5,
                initial_accumulator_value: 0.1,
                ..AdagradConfig::default()
            }
        );
        let empty: AdagradConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, AdagradConfig::default());
    }
}
