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
//! iteration ([`Admm`]'s `step`) sweeps forward: per hidden layer, `W_l` by least squares
//!, `a_l` by a linear system, `z_l` by an element-wise closed form
//! ([`relu_z`]); then `W_L`, the output `z_L` ([`hinge_z`] or FISTA for softmax
//! cross-entropy) and `λ ← λ + β (z_L - m_L)`, skipped during the first
//! `warm_start_iterations`. Every system is solved through a Cholesky factorisation (faer);
//! no inverse is formed.
//!
//! **Biases** are the weights of a constant input row: the least-squares update fits
//! `[W_l b_l]` against `[a_{l-1}; 1ᵀ]` (the row is never stored) and writes both into the
//! shared [`optim_core::Mlp`] after each weight update, so the executor evaluates the plain
//! forward network. **Prediction** is the argmax of that network's logits for both losses.
//! The least-squares updates carry a ridge `ε = ridge · N` (default `ridge = 1e-4`), which is
//! part of the objective reported as `penalised_objective`.
//!
//! **Initialisation**: `z_l`, `a_l` and the output `z_L` come from a forward pass of the
//! model the caller drew (so every constraint holds at the start), and `λ = 0`.
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

#![warn(missing_docs)]

mod a_step;
mod cholesky;
pub mod config;
pub mod objective;
pub mod optimizer;
mod reduce;
pub mod state;
#[cfg(test)]
mod test_util;
mod w_step;
pub mod z_hidden;
pub mod z_output;

pub use config::{AdmmConfig, OutputLoss};
pub use objective::{ObjectiveTerms, evaluate_objective};
pub use optimizer::{Admm, DIAGNOSTIC_NAMES};
pub use state::AdmmState;
pub use z_hidden::relu_z;
pub use z_output::{hinge_loss, hinge_z};
