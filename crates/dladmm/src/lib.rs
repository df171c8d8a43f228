//! dlADMM ("ADMM for Efficient Deep Learning with Global Convergence", Wang, Yu, Chen,
//! Zhao, KDD 2019) for ReLU networks of any depth `L >= 2` with a softmax cross-entropy
//! loss summed over the samples.
//!
//! One iteration ([`Optimizer::step`](optim_core::Optimizer::step)) is a backward sweep
//! (`z_L, b_L, W_L`, then `a_l, z_l, b_l, W_l` for `l = L-1..1`), a forward sweep (`W_l,
//! b_l, z_l, a_l` for `l = 1..L-1`, then `W_L, b_L, z_L`) and the dual update
//! `u <- u + rho (z_L - W_L a_{L-1} - b_L)`. The weights and biases live in the shared
//! [`optim_core::Mlp`], so the executor evaluates the plain forward network; `z_l`, `a_l`
//! and `u` are the optimizer's state.
//!
//! Two variants ([`Variant`]): `reference`, as the public code runs (one penalty for `nu`
//! and `rho`, adaptive `rho`), and `paper`, as the paper states (separate `nu`, `rho` x10
//! every 100 iterations or fixed). Every constant is a hyper-parameter of
//! [`DladmmConfig`].
//!
//! Speed: an iteration computes `2 p_1 + 8 sum_{l>=2} p_l` multiply-adds in products
//! (`p_l = n_l n_{l-1} N`; [`products_per_iteration`]), about 9.7 products of size
//! `(1000 x 1000) (1000 x 55,000)` at the paper's size; everything else is element-wise,
//! fused and parallel over samples. The adaptive rule's training cost (one more product)
//! is computed outside the timed iteration, in
//! [`Optimizer::after_step`](optim_core::Optimizer::after_step), as the reference code
//! times it.
//!
//! ```
//! use dladmm::{DladmmConfig, RhoSchedule};
//! use optim_core::synthetic::{blobs, BlobsConfig};
//! use optim_core::{rng_for, Init, MethodConfig, Mlp, Stream};
//!
//! let data = blobs(&BlobsConfig { samples: 200, features: 8, classes: 3, separation: 2.0 }, 0);
//! let mut model = Mlp::new(&[8, 16, 3], &Init::default(), &mut rng_for(0, Stream::Init, 0))?;
//! let config = DladmmConfig {
//!     rho: 1.0,
//!     rho_schedule: Some(RhoSchedule::Fixed),
//!     ..DladmmConfig::default()
//! };
//! let mut optimizer = config.build()?;
//! optimizer.initialize(&model, &data, 0)?;
//! let diagnostics = optimizer.step(&mut model, &data, 0)?;
//! assert!(diagnostics.get("augmented_lagrangian").is_some_and(f64::is_finite));
//! # Ok::<(), optim_core::OptimError>(())
//! ```

#![warn(missing_docs)]

mod a_step;
mod b_step;
mod backtracking;
mod config;
mod objective;
mod optimizer;
mod products;
mod rho_schedule;
mod state;
mod subproblems;
mod sweep;
mod training_cost;
mod w_step;
mod workspace;
mod z_newton;
mod z_output;

#[cfg(test)]
mod test_support;

pub use config::{DladmmConfig, NEWTON_MAX_ITERATIONS, NEWTON_TOL, OutputSolver, PAPER_NU, RhoSchedule, Variant};
pub use optimizer::{DIAGNOSTICS, Dladmm, NEWTON_DIAGNOSTICS, TRAINING_COST};
pub use products::{products_per_iteration, training_cost_products};
pub use subproblems::{Subproblem, Subproblems};
