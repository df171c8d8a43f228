//! Hyper-parameters of pdADMM, their documented defaults (those of the authors' code,
//! docs/pdadmm.md#defaults), and their validation.
//!
//! `nu` is an `Option` so that an experiment file may leave it out: it then takes the value
//! of `rho`, as in the authors' code, where one constant weighs every term.
//! [`PdadmmConfig::resolved`] writes that value out, so results always show the `nu` in force.

use admm_kernels::validate::{at_least_one_count, non_negative, positive};
use optim_core::{MethodConfig, OptimError, Optimizer, Result};
use serde::{Deserialize, Serialize};

use crate::optimizer::Pdadmm;

/// Hyper-parameters of pdADMM as written in experiment files.
///
/// Every field has a default (below, and in [`Default`]); unknown keys are errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PdadmmConfig {
    /// Penalty `rho` of the coupling constraints `p_{l+1} = q_l` and step of the dual
    /// update (default 1e-4, as the code).
    pub rho: f64,
    /// Weight `nu` of the relaxed layer equations `z_l = W_l p_l + b_l`, `q_l = relu(z_l)`.
    /// Default: equal to `rho` (the code has one constant for both).
    pub nu: Option<f64>,
    /// Initial value of every `p_l` backtracking search, `tau` (default 10, as the code; each
    /// search starts afresh from it).
    pub tau: f64,
    /// Initial value of every `W_l` backtracking search, `theta` (default 10, as the code).
    pub theta: f64,
    /// Factor by which a backtracking search grows its parameter (default 2).
    pub backtracking_growth: f64,
    /// Most growth steps a backtracking search takes before giving up and leaving its block
    /// unchanged (default 60; the code has no cap, docs/pdadmm.md#backtracking).
    pub max_backtracking: u32,
    /// Fixed step of the FISTA solver of the `z_L` subproblem (default 4, as the code).
    pub fista_step: f64,
    /// FISTA stops when its summed objective changes by less than this (absolute, default
    /// 1e-3, as the code).
    pub fista_tol: f64,
    /// Most FISTA iterations per `z_L` subproblem (default 500, as the code).
    pub fista_max_iterations: u32,
    /// Update the layers at the same time, one rayon task per layer (default true), or one
    /// after the other (false). Both give the same iterates bit for bit; only the time differs.
    pub parallel: bool,
}

impl Default for PdadmmConfig {
    fn default() -> Self {
        Self {
            rho: 1e-4,
            nu: None,
            tau: 10.0,
            theta: 10.0,
            backtracking_growth: 2.0,
            max_backtracking: 60,
            fista_step: 4.0,
            fista_tol: 1e-3,
            fista_max_iterations: 500,
            parallel: true,
        }
    }
}

/// The validated, resolved hyper-parameters the optimizer runs with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Params {
    pub rho: f64,
    pub nu: f64,
    pub tau: f64,
    pub theta: f64,
    pub backtracking_growth: f64,
    pub max_backtracking: u32,
    pub fista_step: f64,
    pub fista_tol: f64,
    pub fista_max_iterations: u32,
    pub parallel: bool,
}

impl PdadmmConfig {
    /// This configuration with `nu` written out (`rho` when it was left out). What the runner
    /// records with results; it validates and behaves exactly as `self`.
    pub fn resolved(&self) -> Self {
        Self {
            nu: Some(self.nu.unwrap_or(self.rho)),
            ..self.clone()
        }
    }

    /// Checks every value once and returns the resolved parameters.
    pub(crate) fn validate(&self) -> Result<Params> {
        positive("rho", self.rho)?;
        let nu = self.nu.unwrap_or(self.rho);
        positive("nu", nu)?;
        positive("tau", self.tau)?;
        positive("theta", self.theta)?;
        if !(self.backtracking_growth.is_finite() && self.backtracking_growth > 1.0) {
            return Err(OptimError::invalid(
                "backtracking_growth",
                format!("must be a finite number > 1, got {}", self.backtracking_growth),
            ));
        }
        positive("fista_step", self.fista_step)?;
        non_negative("fista_tol", self.fista_tol)?;
        at_least_one_count("fista_max_iterations", self.fista_max_iterations as usize)?;
        Ok(Params {
            rho: self.rho,
            nu,
            tau: self.tau,
            theta: self.theta,
            backtracking_growth: self.backtracking_growth,
            max_backtracking: self.max_backtracking,
            fista_step: self.fista_step,
            fista_tol: self.fista_tol,
            fista_max_iterations: self.fista_max_iterations,
            parallel: self.parallel,
        })
    }
}

impl MethodConfig for PdadmmConfig {
    fn build(&self) -> Result<Box<dyn Optimizer>> {
        Ok(Box::new(Pdadmm::new(self)?))
    }

    /// `nu` written out ([`PdadmmConfig::resolved`]).
    fn resolved(&self) -> Self {
        PdadmmConfig::resolved(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optim_core::validate::rejected_key;

    #[test]
    fn nu_resolves_to_rho_and_resolution_is_a_fixed_point() {
        let c = PdadmmConfig::default().resolved();
        assert_eq!(c.nu, Some(1e-4));
        assert_eq!(c.resolved(), c);
        assert_eq!(c.validate().unwrap(), PdadmmConfig::default().validate().unwrap());
        let separate = PdadmmConfig {
            nu: Some(0.5),
            ..Default::default()
        };
        assert_eq!(separate.resolved().nu, Some(0.5));
        assert_eq!(separate.validate().unwrap().nu, 0.5);
    }

    #[test]
    fn invalid_values_name_their_key() {
        let cases = [
            (
                PdadmmConfig {
                    rho: 0.0,
                    ..Default::default()
                },
                "rho",
            ),
            (
                PdadmmConfig {
                    nu: Some(-1.0),
                    ..Default::default()
                },
                "nu",
            ),
            (
                PdadmmConfig {
                    tau: f64::NAN,
                    ..Default::default()
                },
                "tau",
            ),
            (
                PdadmmConfig {
                    theta: 0.0,
                    ..Default::default()
                },
                "theta",
            ),
            (
                PdadmmConfig {
                    backtracking_growth: 1.0,
                    ..Default::default()
                },
                "backtracking_growth",
            ),
            (
                PdadmmConfig {
                    fista_step: -4.0,
                    ..Default::default()
                },
                "fista_step",
            ),
            (
                PdadmmConfig {
                    fista_tol: -1.0,
                    ..Default::default()
                },
                "fista_tol",
            ),
            (
                PdadmmConfig {
                    fista_max_iterations: 0,
                    ..Default::default()
                },
                "fista_max_iterations",
            ),
        ];
        for (c, key) in cases {
            assert_eq!(rejected_key(c.validate()), key);
        }
    }

    #[test]
    fn serde_denies_unknown_keys_and_fills_defaults() {
        let c: PdadmmConfig = serde_json::from_str(r#"{"rho": 1.0, "parallel": false}"#).unwrap();
        assert_eq!((c.rho, c.parallel, c.tau), (1.0, false, 10.0));
        assert!(serde_json::from_str::<PdadmmConfig>(r#"{"rhoo": 1.0}"#).is_err());
    }
}
