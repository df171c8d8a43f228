//! Hyper-parameters of the ADMM optimizer, as written in experiment files.

use admm_kernels::validate::{at_least_one_count, non_negative, positive};
use optim_core::{MethodConfig, Optimizer, Result};
use serde::{Deserialize, Serialize};

use crate::optimizer::Admm;

/// The loss `ℓ(z_L; y)` on the output pre-activations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputLoss {
    /// Softmax cross-entropy summed over samples, the loss of every other method in the
    /// benchmark. Its `z_L` subproblem has no closed form and is solved by FISTA.
    #[default]
    CrossEntropy,
    /// Taylor et al.'s binary hinge loss applied to each class one-vs-all on the one-hot
    /// targets (`max(1 - z, 0)` where `y = 1`, `max(z, 0)` where `y = 0`), summed over classes
    /// and samples. Its `z_L` subproblem has an element-wise closed form.
    Hinge,
}

/// How the auxiliary output `z_L` starts; the hidden `z_l`, `a_l` always start from a forward
/// pass of the model and `λ` at zero.
///
/// The start of `z_L` largely decides where the method ends: once the multiplier moves (after
/// the warm start), the pull of the loss on `z_L` away from `W_L a_{L-1} + b_L` halves every
/// iteration, so `z_L` travels a bounded distance after the warm start (see the crate
/// documentation, "Where the output starts").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputInit {
    /// `z_L = 2y - 1`: 1 for the sample's class, -1 for the others (the default). The dlADMM
    /// paper publishes no code for its ADMM baseline; its authors' reference code for dlADMM
    /// starts `z_L` this way (`main.py:Net`, with the hidden variables from a forward pass,
    /// as here); Taylor et al.'s own initialisation could not be checked (public
    /// re-implementations draw `z` and `a` at random). It is a zero-loss point of Taylor
    /// et al.'s binary hinge (cross-entropy `ln(1 + 9e⁻²) ≈ 0.80` per sample for ten
    /// classes), so the first `W_L` update is a least-squares fit of the network's features
    /// to the targets.
    #[default]
    Targets,
    /// `z_L` equal to the model's logits, so that every constraint holds at the start. From
    /// the logits of an `N(0, 0.1²)` network (cross-entropy about 6.8 per sample on MNIST)
    /// `z_L` moves at most `1/(2β)` per entry and iteration during the warm start and about
    /// `1/β` in all after it, so the network stays close to chance (`docs/admm.md#initialisation`).
    ForwardPass,
}

/// Hyper-parameters of [`Admm`]; every field has a documented default, unknown keys are
/// rejected.
///
/// The penalties follow Taylor et al.'s convention: `β‖z - W a‖²` and `γ‖a - h(z)‖²`, without
/// the factor 1/2 of dlADMM's `ρ/2`. The same `β` and `γ` are used on every layer.
///
/// **The dlADMM paper's "ρ of ADMM = 1" is `beta = 1` with `gamma = 10`** (the defaults):
/// `beta` is accepted under the alias `rho`. ρ names the ADMM penalty on the linear
/// constraints that carry the multiplier and the multiplier's step size; in Taylor et al.'s
/// method that is `β` (`β_L` weighs `‖z_L - W_L a_{L-1}‖²` and steps `λ`), while `γ` weighs
/// the activation constraints `a_l = h(z_l)`, which carry no multiplier. With Taylor et al.'s
/// defaults `β = 1`, `γ = 10`, "ρ = 1" is exactly their default setting; the alternative
/// reading `β = γ = ρ = 1` would weaken the activation coupling tenfold against the
/// published recommendation, and nothing in the dlADMM paper asks for that. The mapping is
/// by name, not by the penalty's constant: a literal match of `ρ/2‖r‖²` would be `β = ρ/2`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdmmConfig {
    /// Output loss (default `cross_entropy`).
    pub loss: OutputLoss,
    /// Start of the auxiliary output `z_L`: `targets` (`2y - 1`, the default) or
    /// `forward_pass` (the model's logits); see [`OutputInit`].
    pub output_init: OutputInit,
    /// Penalty `β` on `‖z_l - W_l a_{l-1} - b_l‖²` for every layer, and the step of the
    /// Bregman update `λ ← λ + β (z_L - W_L a_{L-1} - b_L)` (default 1, Taylor et al.'s
    /// value). Also accepted as `rho` (see the type's documentation).
    #[serde(alias = "rho")]
    pub beta: f32,
    /// Penalty `γ` on `‖a_l - relu(z_l)‖²` for every hidden layer (default 10, Taylor et al.'s
    /// value).
    pub gamma: f32,
    /// Iterations at the start during which `λ` is not updated, so that every block update
    /// is an exact minimisation of one fixed objective (default 5). Taylor et al. warm-start
    /// "for several iterations" without giving a number. During the warm start `z_L` keeps
    /// following the loss (by at most `1/(2β)` per entry and iteration); after it the
    /// multiplier cancels the loss's pull within a few iterations (see [`OutputInit`]).
    pub warm_start_iterations: usize,
    /// Ridge per sample in the least-squares weight updates (default 1e-3): `W̃_l = [W_l b_l]`
    /// solves `(ã ãᵀ + ε I) W̃ᵀ = ã zᵀ` with `ã = [a_{l-1}; 1ᵀ]` and `ε = ridge · N`, i.e.
    /// minimises `‖z_l - W̃ ã‖² + ε ‖W̃‖²`. Taylor et al.'s pseudo-inverse `z_l a_{l-1}^†` is
    /// the limit `ε → 0`. Scaling with the sample count `N` keeps its effect independent of
    /// `N`. The term `β ε ‖W̃_l‖²` is part of the objective that is reported, so each update
    /// stays an exact minimisation of it.
    ///
    /// The ridge makes the normal equations positive definite when inputs are rank deficient
    /// (MNIST's always-black pixels), but its value matters for another reason: the `a_l`
    /// update moves the auxiliary activations towards fitting the next layer's `z_{l+1}`,
    /// which near the output carries the labels, and the least-squares `W_{l+1}` then fits
    /// its targets partly through that small label-bearing perturbation, which the plain
    /// forward network does not have. With a small ridge the auxiliary network fits the
    /// training set (over 0.99) while the forward network lags far behind; the ridge prices
    /// the large weights that such a fit needs. The default 1e-3 had the best training accuracy
    /// within 20 iterations on MNIST and Fashion-MNIST of 1e-5, 1e-4 and 1e-3
    /// (`docs/admm.md#choosing-the-ridge` has the measurements)
    /// (the dlADMM paper chose every parameter by training accuracy). The products are
    /// accumulated in f32 and factorised in f64; against an all-f64 solve at that scale this
    /// costs at most 1.3e-4 of the least-squares objective even at ridge 1e-8 (the
    /// `ls_precision` example), so precision does not constrain the ridge.
    pub ridge: f32,
    /// FISTA step size `η` of the cross-entropy `z_L` solve (default 2 = 1/L, where
    /// L = 1/2 bounds the curvature of softmax cross-entropy; larger steps carry no
    /// convergence guarantee; dlADMM's reference code uses 4).
    pub fista_step: f32,
    /// FISTA stops when the root-mean-square proximal-gradient step
    /// `‖x_k - v_k‖_F / sqrt(classes · N)` falls below this (default 1e-4). The subproblem
    /// is `2β`-strongly convex, so this also bounds the distance to its minimiser.
    pub fista_tol: f32,
    /// Cap on FISTA iterations per `z_L` solve (default 500, as in dlADMM's reference code);
    /// reaching it is counted in the `fista_cap_hits` diagnostic.
    pub fista_max_iterations: usize,
}

impl Default for AdmmConfig {
    fn default() -> Self {
        Self {
            loss: OutputLoss::CrossEntropy,
            output_init: OutputInit::Targets,
            beta: 1.0,
            gamma: 10.0,
            warm_start_iterations: 5,
            ridge: 1e-3,
            fista_step: 2.0,
            fista_tol: 1e-4,
            fista_max_iterations: 500,
        }
    }
}

impl AdmmConfig {
    /// Checks every value: `beta`, `gamma`, `ridge`, `fista_step` finite and positive,
    /// `fista_tol` finite and non-negative, `fista_max_iterations` at least 1.
    pub fn validate(&self) -> Result<()> {
        positive("beta", self.beta)?;
        positive("gamma", self.gamma)?;
        positive("ridge", self.ridge)?;
        positive("fista_step", self.fista_step)?;
        non_negative("fista_tol", self.fista_tol)?;
        at_least_one_count("fista_max_iterations", self.fista_max_iterations)
    }

    /// The absolute ridge `ε = ridge · N` for `samples` training samples.
    pub fn ridge_weight(&self, samples: usize) -> f64 {
        f64::from(self.ridge) * samples as f64
    }
}

impl MethodConfig for AdmmConfig {
    fn build(&self) -> Result<Box<dyn Optimizer>> {
        Ok(Box::new(Admm::new(self.clone())?))
    }

    /// Every ADMM value is independent of the others: the configuration is its own resolution.
    fn resolved(&self) -> Self {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optim_core::OptimError;

    #[test]
    fn defaults_are_taylor_et_al() {
        let c = AdmmConfig::default();
        assert_eq!((c.beta, c.gamma), (1.0, 10.0));
        assert_eq!(c.loss, OutputLoss::CrossEntropy);
        assert_eq!(c.output_init, OutputInit::Targets);
        assert_eq!((c.warm_start_iterations, c.ridge), (5, 1e-3));
        c.validate().unwrap();
    }

    #[test]
    fn empty_document_gives_defaults_and_rho_is_beta() {
        let c: AdmmConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c, AdmmConfig::default());
        let c: AdmmConfig =
            serde_json::from_str(r#"{"rho": 0.5, "loss": "hinge", "output_init": "forward_pass"}"#).unwrap();
        assert_eq!(c.beta, 0.5);
        assert_eq!(c.loss, OutputLoss::Hinge);
        assert_eq!(c.output_init, OutputInit::ForwardPass);
        // The recorded configuration names the field `beta`.
        assert!(serde_json::to_string(&c).unwrap().contains("\"beta\":0.5"));
    }

    #[test]
    fn rho_and_beta_together_are_rejected() {
        let both = serde_json::from_str::<AdmmConfig>(r#"{"rho": 1.0, "beta": 2.0}"#);
        assert!(both.is_err(), "{both:?}");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = serde_json::from_str::<AdmmConfig>(r#"{"betta": 1.0}"#).unwrap_err();
        assert!(err.to_string().contains("betta"), "{err}");
    }

    #[test]
    fn invalid_values_name_their_key() {
        let cases: [(&str, AdmmConfig); 5] = [
            (
                "beta",
                AdmmConfig {
                    beta: 0.0,
                    ..Default::default()
                },
            ),
            (
                "gamma",
                AdmmConfig {
                    gamma: f32::NAN,
                    ..Default::default()
                },
            ),
            (
                "ridge",
                AdmmConfig {
                    ridge: -1.0,
                    ..Default::default()
                },
            ),
            (
                "fista_tol",
                AdmmConfig {
                    fista_tol: -1e-3,
                    ..Default::default()
                },
            ),
            (
                "fista_max_iterations",
                AdmmConfig {
                    fista_max_iterations: 0,
                    ..Default::default()
                },
            ),
        ];
        for (key, config) in cases {
            match config.build() {
                Err(OptimError::InvalidParameter { key: k, .. }) => assert_eq!(k, key),
                Err(other) => panic!("{key}: unexpected error {other}"),
                Ok(_) => panic!("{key}: accepted an invalid value"),
            }
        }
    }
}
