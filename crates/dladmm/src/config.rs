//! Hyper-parameters of dlADMM, their documented defaults, and their validation.
//!
//! Two settings depend on the variant: `rho_schedule` and `nu`. They are `Option`s here so
//! that an experiment file may leave them out; [`DladmmConfig::resolved`] fills them in, and
//! the runner records that resolved form, so results always show the values in force.

use admm_kernels::validate::{at_least_one, at_least_one_count, non_negative, positive};
use optim_core::{MethodConfig, OptimError, Optimizer, Result};
use serde::{Deserialize, Serialize};

use crate::optimizer::Dladmm;

/// Which reading of dlADMM runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// As the public reference code runs: one penalty `rho` weighs every term (the paper's
    /// `nu` is tied to `rho`), `rho` adapts to the training cost by default.
    #[default]
    Reference,
    /// As the paper states it: `nu` (default 1e-6) is separate from `rho`, and `rho` grows
    /// x10 every 100 iterations by default (or stays fixed, as in the paper's Figs 2-3).
    Paper,
}

/// How `rho` evolves over the iterations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RhoSchedule {
    /// The reference code's rule: after iteration `i`, if the training cost rose
    /// `rising_iterations` times in a row, `rho <- min(rho_growth * rho, rho_cap)` and, when a
    /// hidden layer has at least `width_threshold` units, `tau` and `theta` grow by
    /// `start_growth`. Default of the reference variant.
    Adaptive,
    /// `rho` keeps its initial value.
    Fixed,
    /// The paper's schedule: `rho = min(rho * rho_growth^floor(k / rho_step_every), rho_cap)`
    /// at iteration `k`. Default of the paper variant.
    Step,
}

/// The solver of the output `z_L` subproblem (docs/dladmm.md#output-z-update).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputSolver {
    /// FISTA exactly as the reference code runs it (fixed step, absolute objective-change
    /// stop, at most `fista_max_iterations` passes). Default.
    #[default]
    Fista,
    /// Damped Newton per sample to tolerance `newton_tol`, at most `newton_max_iterations`
    /// steps (docs/dladmm.md#newton-solver-of-the-output-z-update).
    Newton,
}

impl OutputSolver {
    /// Whether this is the default; the default is left out of serialized configurations so
    /// that configurations without the key keep their recorded form and cell identities.
    fn is_fista(&self) -> bool {
        *self == Self::Fista
    }
}

/// Default `newton_tol`: half the squared Newton decrement of every sample at most this.
pub const NEWTON_TOL: f64 = 1e-12;

/// Default `newton_max_iterations`.
pub const NEWTON_MAX_ITERATIONS: u32 = 100;

/// Hyper-parameters of dlADMM as written in experiment files.
///
/// Every field has a default (below, and in [`Default`]); unknown keys are errors. Sources:
/// docs/dladmm.md#variants and #paper-experiments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DladmmConfig {
    /// `reference` (default) or `paper`; also sets the defaults of `rho_schedule` and `nu`.
    pub variant: Variant,
    /// `adaptive` | `fixed` | `step`. Default: `adaptive` for the reference variant, `step`
    /// for the paper variant.
    pub rho_schedule: Option<RhoSchedule>,
    /// Initial penalty `rho` of the last layer's constraint (default 1e-6). In the reference
    /// variant it also weighs the hidden layers' penalties.
    pub rho: f64,
    /// Penalty `nu` of the hidden layers' relaxed constraints. Paper variant: default 1e-6.
    /// Reference variant: tied to `rho` (resolves to `rho`; any other value is an error).
    pub nu: Option<f64>,
    /// Initial value of every `a_l` backtracking search (global `tau`, default 1).
    pub tau: f64,
    /// Initial value of every `W_l` backtracking search (global `theta`, default 1).
    pub theta: f64,
    /// Factor by which a backtracking search grows its step parameter (default 2).
    pub backtracking_growth: f64,
    /// Most growth steps a backtracking search takes before giving up and leaving its block
    /// unchanged (default 60; the reference code has no cap).
    pub max_backtracking: u32,
    /// Fixed step of the FISTA solver of the `z_L` subproblem (default 4, as the code).
    pub fista_step: f64,
    /// FISTA stops when its summed objective changes by less than this (absolute, default
    /// 1e-3).
    pub fista_tol: f64,
    /// Most FISTA iterations per `z_L` subproblem (default 500).
    pub fista_max_iterations: u32,
    /// Solver of the `z_L` subproblem: `fista` (default, as the reference code) or `newton`.
    /// Left out of the serialized form when `fista`.
    #[serde(skip_serializing_if = "OutputSolver::is_fista")]
    pub output_solver: OutputSolver,
    /// Newton: a sample stops once half its squared Newton decrement (an estimate of its
    /// objective's distance to the minimum) is at most this ([`NEWTON_TOL`], 1e-12, by
    /// default). Only with `output_solver = "newton"`, which resolves it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newton_tol: Option<f64>,
    /// Newton: most steps per sample ([`NEWTON_MAX_ITERATIONS`], 100, by default). Only
    /// with `output_solver = "newton"`, which resolves it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newton_max_iterations: Option<u32>,
    /// Factor by which the `adaptive` and `step` schedules grow `rho` (default 10).
    pub rho_growth: f64,
    /// Upper bound of `rho` under the `adaptive` and `step` schedules (default 0.1; the
    /// `step` schedule reaches it only after 500 iterations from 1e-6).
    pub rho_cap: f64,
    /// Iterations between two growths of the `step` schedule (default 100).
    pub rho_step_every: usize,
    /// Consecutive strict rises of the training cost that trigger the `adaptive` rule
    /// (default 3).
    pub rising_iterations: usize,
    /// Factor applied to `tau` and `theta` when the `adaptive` rule fires (default 10).
    pub start_growth: f64,
    /// The `adaptive` rule grows `tau` and `theta` only if the widest hidden layer has at
    /// least this many units (default 100).
    pub width_threshold: usize,
}

impl Default for DladmmConfig {
    fn default() -> Self {
        Self {
            variant: Variant::Reference,
            rho_schedule: None,
            rho: 1e-6,
            nu: None,
            tau: 1.0,
            theta: 1.0,
            backtracking_growth: 2.0,
            max_backtracking: 60,
            fista_step: 4.0,
            fista_tol: 1e-3,
            fista_max_iterations: 500,
            output_solver: OutputSolver::Fista,
            newton_tol: None,
            newton_max_iterations: None,
            rho_growth: 10.0,
            rho_cap: 0.1,
            rho_step_every: 100,
            rising_iterations: 3,
            start_growth: 10.0,
            width_threshold: 100,
        }
    }
}

/// Default `nu` of the paper variant (paper section 5.1).
pub const PAPER_NU: f64 = 1e-6;

/// The validated, resolved hyper-parameters the optimizer runs with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Params {
    pub variant: Variant,
    pub schedule: RhoSchedule,
    pub rho: f64,
    /// `None`: tied to `rho` (reference variant).
    pub nu: Option<f64>,
    pub tau: f64,
    pub theta: f64,
    pub backtracking_growth: f64,
    pub max_backtracking: u32,
    pub fista_step: f64,
    pub fista_tol: f64,
    pub fista_max_iterations: u32,
    pub output_solver: OutputSolver,
    pub newton_tol: f64,
    pub newton_max_iterations: u32,
    pub rho_growth: f64,
    pub rho_cap: f64,
    pub rho_step_every: usize,
    pub rising_iterations: usize,
    pub start_growth: f64,
    pub width_threshold: usize,
}

impl DladmmConfig {
    /// The schedule in force: the configured one, else the variant's default.
    pub fn effective_schedule(&self) -> RhoSchedule {
        self.rho_schedule.unwrap_or(match self.variant {
            Variant::Reference => RhoSchedule::Adaptive,
            Variant::Paper => RhoSchedule::Step,
        })
    }

    /// This configuration with every `Option` filled by the value in force (`nu` of the
    /// reference variant reads as its initial `rho`; the Newton settings only under the
    /// Newton solver, as they mean nothing to FISTA). What the runner records with results;
    /// it validates and behaves exactly as `self`.
    pub fn resolved(&self) -> Self {
        let nu = match self.variant {
            Variant::Reference => self.rho,
            Variant::Paper => self.nu.unwrap_or(PAPER_NU),
        };
        let newton = self.output_solver == OutputSolver::Newton;
        Self {
            rho_schedule: Some(self.effective_schedule()),
            nu: Some(nu),
            newton_tol: self.newton_tol.or(newton.then_some(NEWTON_TOL)),
            newton_max_iterations: self.newton_max_iterations.or(newton.then_some(NEWTON_MAX_ITERATIONS)),
            ..self.clone()
        }
    }

    /// Checks every value once and returns the resolved parameters.
    pub(crate) fn validate(&self) -> Result<Params> {
        positive("rho", self.rho)?;
        let nu = match (self.variant, self.nu) {
            (Variant::Reference, None) => None,
            (Variant::Reference, Some(nu)) if nu == self.rho => None,
            (Variant::Reference, Some(nu)) => {
                return Err(OptimError::invalid(
                    "nu",
                    format!(
                        "the reference variant ties nu to rho ({}); got nu = {nu}: omit nu, \
                         or use variant = \"paper\" for a separate nu",
                        self.rho
                    ),
                ));
            }
            (Variant::Paper, nu) => {
                let nu = nu.unwrap_or(PAPER_NU);
                positive("nu", nu)?;
                Some(nu)
            }
        };
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
        if self.output_solver == OutputSolver::Fista {
            for (key, set) in [
                ("newton_tol", self.newton_tol.is_some()),
                ("newton_max_iterations", self.newton_max_iterations.is_some()),
            ] {
                if set {
                    return Err(OptimError::invalid(
                        key,
                        "applies only to output_solver = \"newton\" (the default solver is \"fista\"): \
                         omit it, or set output_solver = \"newton\"",
                    ));
                }
            }
        }
        let newton_tol = self.newton_tol.unwrap_or(NEWTON_TOL);
        non_negative("newton_tol", newton_tol)?;
        let newton_max_iterations = self.newton_max_iterations.unwrap_or(NEWTON_MAX_ITERATIONS);
        at_least_one_count("newton_max_iterations", newton_max_iterations as usize)?;
        at_least_one("rho_growth", self.rho_growth)?;
        positive("rho_cap", self.rho_cap)?;
        at_least_one_count("rho_step_every", self.rho_step_every)?;
        at_least_one_count("rising_iterations", self.rising_iterations)?;
        at_least_one("start_growth", self.start_growth)?;
        Ok(Params {
            variant: self.variant,
            schedule: self.effective_schedule(),
            rho: self.rho,
            nu,
            tau: self.tau,
            theta: self.theta,
            backtracking_growth: self.backtracking_growth,
            max_backtracking: self.max_backtracking,
            fista_step: self.fista_step,
            fista_tol: self.fista_tol,
            fista_max_iterations: self.fista_max_iterations,
            output_solver: self.output_solver,
            newton_tol,
            newton_max_iterations,
            rho_growth: self.rho_growth,
            rho_cap: self.rho_cap,
            rho_step_every: self.rho_step_every,
            rising_iterations: self.rising_iterations,
            start_growth: self.start_growth,
            width_threshold: self.width_threshold,
        })
    }
}

impl MethodConfig for DladmmConfig {
    fn build(&self) -> Result<Box<dyn Optimizer>> {
        Ok(Box::new(Dladmm::new(self)?))
    }

    /// The variant's `rho_schedule` and `nu` filled in ([`DladmmConfig::resolved`]).
    fn resolved(&self) -> Self {
        DladmmConfig::resolved(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_resolve_their_defaults() {
        let reference = DladmmConfig::default().resolved();
        assert_eq!(reference.rho_schedule, Some(RhoSchedule::Adaptive));
        assert_eq!(reference.nu, Some(1e-6));
        let paper = DladmmConfig {
            variant: Variant::Paper,
            ..Default::default()
        }
        .resolved();
        assert_eq!(paper.rho_schedule, Some(RhoSchedule::Step));
        assert_eq!(paper.nu, Some(PAPER_NU));
        // A resolved configuration is a fixed point and validates to the same parameters.
        for c in [reference, paper] {
            assert_eq!(c.resolved(), c);
            assert!(c.validate().is_ok());
        }
    }

    #[test]
    fn resolved_reference_validates_like_the_original() {
        let c = DladmmConfig {
            rho: 1.0,
            rho_schedule: Some(RhoSchedule::Fixed),
            ..Default::default()
        };
        assert_eq!(c.validate().unwrap(), c.resolved().validate().unwrap());
    }

    #[test]
    fn reference_rejects_a_separate_nu() {
        let c = DladmmConfig {
            nu: Some(1.0),
            ..Default::default()
        };
        match c.validate() {
            Err(OptimError::InvalidParameter { key, .. }) => assert_eq!(key, "nu"),
            other => panic!("expected an error about nu, got {other:?}"),
        }
    }

    #[test]
    fn invalid_values_name_their_key() {
        let cases: Vec<(DladmmConfig, &str)> = vec![
            (
                DladmmConfig {
                    rho: 0.0,
                    ..Default::default()
                },
                "rho",
            ),
            (
                DladmmConfig {
                    backtracking_growth: 1.0,
                    ..Default::default()
                },
                "backtracking_growth",
            ),
            (
                DladmmConfig {
                    fista_max_iterations: 0,
                    ..Default::default()
                },
                "fista_max_iterations",
            ),
            (
                DladmmConfig {
                    variant: Variant::Paper,
                    nu: Some(f64::NAN),
                    ..Default::default()
                },
                "nu",
            ),
            (
                DladmmConfig {
                    rho_step_every: 0,
                    ..Default::default()
                },
                "rho_step_every",
            ),
        ];
        for (c, expected) in cases {
            match c.validate() {
                Err(OptimError::InvalidParameter { key, .. }) => assert_eq!(key, expected),
                other => panic!("expected an error about {expected}, got {other:?}"),
            }
        }
    }

    /// The resolved JSON of FISTA configurations, what cell identities hash, is byte for
    /// byte what it was before the output solver became a key.
    #[test]
    fn fista_configurations_serialize_as_before_the_solver_key() {
        let tail = "\"rho\":1e-6,\"nu\":1e-6,\"tau\":1.0,\"theta\":1.0,\"backtracking_growth\":2.0,\
                    \"max_backtracking\":60,\"fista_step\":4.0,\"fista_tol\":0.001,\"fista_max_iterations\":500,\
                    \"rho_growth\":10.0,\"rho_cap\":0.1,\"rho_step_every\":100,\"rising_iterations\":3,\
                    \"start_growth\":10.0,\"width_threshold\":100}";
        let cases = [
            (
                DladmmConfig::default(),
                "{\"variant\":\"reference\",\"rho_schedule\":\"adaptive\",",
            ),
            (
                DladmmConfig {
                    variant: Variant::Paper,
                    ..Default::default()
                },
                "{\"variant\":\"paper\",\"rho_schedule\":\"step\",",
            ),
            (
                DladmmConfig {
                    variant: Variant::Paper,
                    rho_schedule: Some(RhoSchedule::Fixed),
                    ..Default::default()
                },
                "{\"variant\":\"paper\",\"rho_schedule\":\"fixed\",",
            ),
        ];
        for (config, head) in cases {
            let json = serde_json::to_string(&config.resolved()).unwrap();
            assert_eq!(json, format!("{head}{tail}"));
        }
    }

    /// Under Newton the resolved form records the solver and both of its settings.
    #[test]
    fn newton_resolves_and_records_its_settings() {
        let c: DladmmConfig = serde_json::from_str(r#"{"output_solver": "newton"}"#).unwrap();
        let resolved = c.resolved();
        assert_eq!(resolved.newton_tol, Some(NEWTON_TOL));
        assert_eq!(resolved.newton_max_iterations, Some(NEWTON_MAX_ITERATIONS));
        assert_eq!(resolved.resolved(), resolved);
        assert_eq!(c.validate().unwrap(), resolved.validate().unwrap());
        let json = serde_json::to_value(&resolved).unwrap();
        assert_eq!(json["output_solver"], "newton");
        assert_eq!(json["newton_tol"], NEWTON_TOL);
        assert_eq!(json["newton_max_iterations"], NEWTON_MAX_ITERATIONS);
        let back: DladmmConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, resolved);
        let params = DladmmConfig {
            newton_tol: Some(1e-8),
            ..c
        }
        .validate()
        .unwrap();
        assert_eq!((params.output_solver, params.newton_tol), (OutputSolver::Newton, 1e-8));
    }

    #[test]
    fn newton_settings_are_errors_under_fista_and_when_invalid() {
        let newton = DladmmConfig {
            output_solver: OutputSolver::Newton,
            ..Default::default()
        };
        let cases: Vec<(DladmmConfig, &str)> = vec![
            (
                DladmmConfig {
                    newton_tol: Some(1e-8),
                    ..Default::default()
                },
                "newton_tol",
            ),
            (
                DladmmConfig {
                    newton_max_iterations: Some(10),
                    ..Default::default()
                },
                "newton_max_iterations",
            ),
            (
                DladmmConfig {
                    newton_tol: Some(-1.0),
                    ..newton.clone()
                },
                "newton_tol",
            ),
            (
                DladmmConfig {
                    newton_max_iterations: Some(0),
                    ..newton.clone()
                },
                "newton_max_iterations",
            ),
        ];
        for (c, expected) in cases {
            match c.validate() {
                Err(OptimError::InvalidParameter { key, .. }) => assert_eq!(key, expected),
                other => panic!("expected an error about {expected}, got {other:?}"),
            }
        }
    }

    #[test]
    fn serde_denies_unknown_keys_and_fills_defaults() {
        let c: DladmmConfig = serde_json::from_str(r#"{"variant": "paper", "rho": 1.0}"#).unwrap();
        assert_eq!(c.variant, Variant::Paper);
        assert_eq!(c.rho, 1.0);
        assert_eq!(c.fista_max_iterations, 500);
        assert!(serde_json::from_str::<DladmmConfig>(r#"{"rhoo": 1.0}"#).is_err());
        let json = serde_json::to_value(c.resolved()).unwrap();
        assert_eq!(json["rho_schedule"], "step");
        assert_eq!(json["nu"], 1e-6);
    }
}
