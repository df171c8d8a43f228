//! Hyper-parameters of Adadelta and their validation.

use optim_core::validate::non_negative;
use optim_core::{OptimError, Result, RuleConfig};
use serde::{Deserialize, Serialize};

use crate::rule::Adadelta;

/// Hyper-parameters of [`Adadelta`], named and defaulted as in PyTorch's
/// `torch.optim.Adadelta`.
///
/// Keys missing from an experiment file take the defaults documented on each field; unknown
/// keys are an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdadeltaConfig {
    /// Learning rate scaling the delta, `>= 0`. Default `1.0` (Zeiler's original method).
    pub lr: f64,
    /// Decay rate of the running averages of squared gradients and squared deltas, in
    /// `[0, 1]`. Default `0.9`.
    pub rho: f64,
    /// Added inside both square roots, `> 0`. Default `1e-6`.
    pub eps: f64,
    /// L2 penalty, `>= 0`: `weight_decay * p` is added to the gradient. Default `0`.
    pub weight_decay: f64,
}

impl Default for AdadeltaConfig {
    fn default() -> Self {
        Self {
            lr: 1.0,
            rho: 0.9,
            eps: 1e-6,
            weight_decay: 0.0,
        }
    }
}

impl RuleConfig for AdadeltaConfig {
    type Rule = Adadelta;

    fn build(&self) -> Result<Adadelta> {
        let lr = non_negative("lr", self.lr)?;
        if !(0.0..=1.0).contains(&self.rho) {
            return Err(OptimError::invalid(
                "rho",
                format!("must be in [0, 1], got {}", self.rho),
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
        Ok(Adadelta {
            config: self.clone(),
            lr,
            rho: self.rho as f32,
            one_minus_rho: (1.0 - self.rho) as f32,
            eps,
            weight_decay,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected_key(config: AdadeltaConfig) -> String {
        optim_core::validate::rejected_key(config.build())
    }

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let config = AdadeltaConfig::default();
        assert_eq!(config.lr, 1.0);
        assert_eq!(config.rho, 0.9);
        assert_eq!(config.eps, 1e-6);
        assert_eq!(config.weight_decay, 0.0);
        assert_eq!(config.build().unwrap().config(), &config);
    }

    #[test]
    fn each_bad_value_is_rejected_with_its_key() {
        let base = AdadeltaConfig::default;
        let cases = [
            (AdadeltaConfig { lr: -1.0, ..base() }, "lr"),
            (AdadeltaConfig { lr: f64::NAN, ..base() }, "lr"),
            (
                AdadeltaConfig {
                    lr: f64::INFINITY,
                    ..base()
                },
                "lr",
            ),
            (AdadeltaConfig { rho: -0.1, ..base() }, "rho"),
            (AdadeltaConfig { rho: 1.1, ..base() }, "rho"),
            (
                AdadeltaConfig {
                    rho: f64::NAN,
                    ..base()
                },
                "rho",
            ),
            (AdadeltaConfig { eps: 0.0, ..base() }, "eps"),
            (AdadeltaConfig { eps: -1e-6, ..base() }, "eps"),
            (AdadeltaConfig { eps: 1e-60, ..base() }, "eps"),
            (
                AdadeltaConfig {
                    eps: f64::NAN,
                    ..base()
                },
                "eps",
            ),
            (
                AdadeltaConfig {
                    weight_decay: -1e-4,
                    ..base()
                },
                "weight_decay",
            ),
        ];
        for (config, key) in cases {
            assert_eq!(rejected_key(config), key);
        }
    }

    #[test]
    fn boundary_values_are_accepted() {
        for rho in [0.0, 1.0] {
            let config = AdadeltaConfig {
                lr: 0.0,
                rho,
                ..AdadeltaConfig::default()
            };
            assert!(config.build().is_ok());
        }
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = serde_json::from_str::<AdadeltaConfig>(r#"{"lr": 1.0, "decay": 0.9}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("decay"), "{err}");
    }

    #[test]
    fn missing_keys_take_the_defaults() {
        let config: AdadeltaConfig = serde_json::from_str(r#"{"rho": 0.95}"#).unwrap();
        assert_eq!(
            config,
            AdadeltaConfig {
                rho: 0.95,
                ..AdadeltaConfig::default()
            }
        );
        let empty: AdadeltaConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, AdadeltaConfig::default());
    }
}
