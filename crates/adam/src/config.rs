//! Hyper-parameters of Adam and their validation.

use optim_core::validate::non_negative;
use optim_core::{OptimError, Result, RuleConfig};
use serde::{Deserialize, Serialize};

use crate::rule::Adam;

/// Hyper-parameters of [`Adam`], named and defaulted as in PyTorch's `torch.optim.Adam`.
///
/// Keys missing from an experiment file take the defaults documented on each field; unknown
/// keys are an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdamConfig {
    /// Learning rate, `>= 0`. Default `1e-3`.
    pub lr: f64,
    /// Decay rates `(beta1, beta2)` of the first and second moment estimates, each in
    /// `[0, 1)`. Default `(0.9, 0.999)`; written `betas = [0.9, 0.999]` in TOML.
    pub betas: (f64, f64),
    /// Added to the square root of the bias-corrected second moment, `> 0`. Default `1e-8`.
    pub eps: f64,
    /// L2 penalty, `>= 0`: `weight_decay * p` is added to the gradient before the moments
    /// (PyTorch's `Adam`, not the decoupled decay of `AdamW`). Default `0`.
    pub weight_decay: f64,
    /// AMSGrad: normalise by the running maximum of the second moment. Default `false`.
    pub amsgrad: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
        }
    }
}

impl RuleConfig for AdamConfig {
    type Rule = Adam;

    fn build(&self) -> Result<Adam> {
        let lr = non_negative("lr", self.lr)?;
        let (beta1, beta2) = self.betas;
        for (index, beta) in [beta1, beta2].into_iter().enumerate() {
            if !(0.0..1.0).contains(&beta) {
                return Err(OptimError::invalid(
                    "betas",
                    format!("betas[{index}] must be in [0, 1), got {beta}"),
                ));
            }
        }
        let eps = self.eps as f32;
        if !(eps > 0.0 && eps.is_finite()) {
            return Err(OptimError::invalid(
                "eps",
                format!("must be a finite number > 0 that f32 can represent, got {}", self.eps),
            ));
        }
        let weight_decay = non_negative("weight_decay", self.weight_decay)?;
        Ok(Adam {
            config: self.clone(),
            lr: f64::from(lr),
            beta1,
            beta2,
            beta1_single: beta1 as f32,
            beta2_single: beta2 as f32,
            one_minus_beta1: (1.0 - beta1) as f32,
            one_minus_beta2: (1.0 - beta2) as f32,
            eps,
            weight_decay,
            amsgrad: self.amsgrad,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected_key(config: AdamConfig) -> String {
        optim_core::validate::rejected_key(config.build())
    }

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let config = AdamConfig::default();
        assert_eq!(config.lr, 1e-3);
        assert_eq!(config.betas, (0.9, 0.999));
        assert_eq!(config.eps, 1e-8);
        assert_eq!(config.weight_decay, 0.0);
        assert!(!config.amsgrad);
        assert_eq!(config.build().unwrap().config(), &config);
    }

    #[test]
    fn each_bad_value_is_rejected_with_its_key() {
        let base = AdamConfig::default;
        let cases = [
            (AdamConfig { lr: -1e-3, ..base() }, "lr"),
            (AdamConfig { lr: f64::NAN, ..base() }, "lr"),
            (
                AdamConfig {
                    lr: f64::INFINITY,
                    ..base()
                },
                "lr",
            ),
            (
                AdamConfig {
                    betas: (-0.1, 0.999),
                    ..base()
                },
                "betas",
            ),
            (
                AdamConfig {
                    betas: (1.0, 0.999),
                    ..base()
                },
                "betas",
            ),
            (
                AdamConfig {
                    betas: (0.9, 1.0),
                    ..base()
                },
                "betas",
            ),
            (
                AdamConfig {
                    betas: (0.9, -0.5),
                    ..base()
                },
                "betas",
            ),
            (
                AdamConfig {
                    betas: (f64::NAN, 0.999),
                    ..base()
                },
                "betas",
            ),
            (AdamConfig { eps: 0.0, ..base() }, "eps"),
            (AdamConfig { eps: -1e-8, ..base() }, "eps"),
            (AdamConfig { eps: 1e-60, ..base() }, "eps"),
            (
                AdamConfig {
                    eps: f64::NAN,
                    ..base()
                },
                "eps",
            ),
            (
                AdamConfig {
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
        let config = AdamConfig {
            lr: 0.0,
            betas: (0.0, 0.0),
            ..AdamConfig::default()
        };
        assert!(config.build().is_ok());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = serde_json::from_str::<AdamConfig>(r#"{"lr": 0.1, "beta1": 0.9}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("beta1"), "{err}");
    }

    #[test]
    fn missing_keys_take_the_defaults() {
        let config: AdamConfig = serde_json::from_str(r#"{"betas": [0.5, 0.75], "amsgrad": true}"#).unwrap();
        assert_eq!(
            config,
            AdamConfig {
                betas: (0.5, 0.75),
                amsgrad: true,
                ..AdamConfig::default()
            }
        );
        let empty: AdamConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, AdamConfig::default());
    }
}
