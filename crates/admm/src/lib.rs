//! Gradient-free ADMM for multi-layer perceptrons: the method of Taylor et al., "Training
//! Neural Networks Without Gradients: A Scalable ADMM Approach" (ICML 2016), the "ADMM"
//! baseline of the dlADMM paper.
//!
//! The network's layer equations become variables and penalties (Taylor et al.'s convention,
//! no factor 1/2; `m_l = W_l a_{l-1} + b_l`, `a_0 = x`):
//!
//! ```text
//! min  ℓ(z_L; y) + ⟨z_L, λ⟩ + β ‖z_L - m_L‖² + Σ_{l<L} ( γ ‖a_l - relu(z_l)‖² + β ‖z_l - m_l‖² )
//! ```
//!
//! with a Lagrange multiplier `λ` on the output layer only (a Bregman iteration). One
//! iteration ([`Admm`]'s `step`) sweeps forward: per hidden layer, `W_l` by least squares,
//! `a_l` by a linear system, `z_l` by an element-wise closed form (the weighted ReLU
//! proximal map [`admm_kernels::relu_prox`]); then `W_L`,
//! the output `z_L` ([`hinge_z`] or FISTA for softmax cross-entropy) and
//! `λ ← λ + β (z_L - m_L)`, skipped during the first `warm_start_iterations`. Every system is solved through a Cholesky factorisation (faer);
//! no inverse is formed.
//!
//! **Biases** are the weights of a constant input row: the least-squares update fits
//! `[W_l b_l]` against `[a_{l-1}; 1ᵀ]` (the row is never stored) and writes both into the
//! shared [`optim_core::Mlp`] after each weight update, so the executor evaluates the plain
//! forward network. **Prediction** is the argmax of that network's logits for both losses.
//! The least-squares updates carry a ridge `ε = ridge · N` (default `ridge = 1e-3`), which is
//! part of the objective reported as `penalised_objective`; see [`AdmmConfig::ridge`] for why
//! its value matters to the forward network.
//!
//! **Initialisation**: `z_l`, `a_l` (`l < L`) come from a forward pass of the model the caller
//! drew, `λ = 0`, and the output starts at the targets, `z_L = 2y - 1` (1 for the sample's
//! class, -1 elsewhere), as in the dlADMM authors' reference code; `output_init =
//! "forward_pass"` starts it at the logits instead ([`OutputInit`]).
//!
//! **The dlADMM paper's "ρ of ADMM = 1"** is `beta = 1` with `gamma = 10`, the defaults.
//! `ρ` is the penalty of the constraints that carry the multiplier and the multiplier's step,
//! which is `β` here; `γ` weighs the activation constraints, which carry no multiplier, and
//! keeps Taylor et al.'s value. Experiment files may write `rho` for `beta` (an alias; giving
//! both is an error). See [`AdmmConfig`] for the full argument.
//!
//! ```
//! use admm::{AdmmConfig, OutputLoss};
//! use optim_core::{synthetic, Init, MethodConfig, Mlp, Stream, rng_for};
//!
//! let data = synthetic::blobs(&synthetic::BlobsConfig::default(), 0);
//! let mut model = Mlp::new(&[20, 32, 32, 4], &Init::KaimingNormal, &mut rng_for(0, Stream::Init, 0))?;
//! let config = AdmmConfig { loss: OutputLoss::CrossEntropy, ..AdmmConfig::default() };
//! let mut admm = config.build()?;
//! admm.initialize(&model, &data, 0)?;
//! let before = model.evaluate(&data).loss;
//! for iteration in 0..10 {
//!     let diagnostics = admm.step(&mut model, &data, iteration)?;
//!     assert!(diagnostics.get("penalised_objective").is_some());
//! }
//! assert!(model.evaluate(&data).loss < before);
//! # Ok::<(), optim_core::OptimError>(())
//! ```
//!
//! # Where the output starts
//!
//! The start of `z_L` largely decides where the method ends, because of the multiplier.
//! Per entry, the `z_L` update solves `∇ℓ(z) + λ + 2β (z - m) = 0` with `m = W_L a_{L-1} + b_L`,
//! so `z_L - m = -(∇ℓ(z_L) + λ)/(2β)`; the multiplier step `λ ← λ + β (z_L - m)` then gives
//!
//! ```text
//! ∇ℓ(z_L) + λ_new = (∇ℓ(z_L) + λ_old) / 2.
//! ```
//!
//! The pull of the loss on `z_L`, which the next `W_L` refits `m` to follow, halves every
//! iteration once the multiplier moves (as long as `∇ℓ(z_L)` changes little from one
//! iteration to the next, as at `β = 1`): `λ` converges to `-∇ℓ(z_L)` and `z_L` stops. The
//! `W_L` update does not see `λ` (in Taylor et al.'s formulation `λ` multiplies `z_L` alone),
//! so nothing moves the output further, and every point with `z_L = m` and `λ = -∇ℓ(z_L)` is a
//! fixed point. Both losses have gradients bounded by 1 per entry, so `z_L` moves at most
//! `1/(2β)` per entry and iteration during the warm start and about `1/β` in all after it.
//!
//! From the logits of an `N(0, 0.1²)` network that is far too little movement to fit the
//! training set, so by default the output starts at the targets
//! ([`AdmmConfig::output_init`]): the first `W_L` is then a least-squares fit of the features to
//! the targets, and what remains is for the forward network to catch up with the auxiliary
//! activations, which the ridge speeds up ([`AdmmConfig::ridge`]). The algorithm and every
//! option are in `docs/admm.md`; what the defaults reach on MNIST and Fashion-MNIST is in the
//! reports of `experiments/admm-check.toml` and `admm-check-fashion.toml` and of the paper's
//! Figs 4-5 (`results/paper/`).

#![warn(missing_docs)]

mod a_step;
mod cholesky;
pub mod config;
pub mod objective;
pub mod optimizer;
pub mod state;
mod subproblems;
#[cfg(test)]
mod test_util;
mod w_step;
pub mod z_output;

pub use config::{AdmmConfig, OutputInit, OutputLoss};
pub use objective::{ObjectiveTerms, evaluate_objective};
pub use optimizer::{Admm, DIAGNOSTIC_NAMES};
pub use state::AdmmState;
pub use subproblems::{Subproblem, Subproblems};
pub use z_output::{hinge_loss, hinge_z};
