//! pdADMM ("Toward Model Parallelism for Deep Neural Network based on Gradient-free ADMM
//! Framework", Wang, Chai, Cheng, Zhao, ICDM 2020) for ReLU networks of any depth `L >= 2`
//! with a softmax cross-entropy loss summed over the samples.
//!
//! The network is split at every layer boundary: layer `l` has its own input `p_l`, its
//! pre-activation `z_l` and output `q_l`, tied to the next layer by `p_{l+1} = q_l` with a
//! dual `u_l`. One iteration ([`Optimizer::step`](optim_core::Optimizer::step)) updates every
//! layer's `p_l, W_l, b_l, z_l` from the previous iterate of its neighbours, then every
//! `q_l` (which reads the new `p_{l+1}`) and `u_l`: each phase touches every layer
//! independently, so the layers run at the same time (`parallel = true`, one rayon task
//! per layer) or one after the other, with bit-identical iterates. The weights and biases
//! live in the shared [`optim_core::Mlp`]; `p`, `q`, `z` and `u` are the optimizer's state.
//! The algorithm, its defaults and every difference between the paper and the authors' code
//! are in docs/pdadmm.md.
//!
//! ```
//! use pdadmm::PdadmmConfig;
//! use optim_core::synthetic::{blobs, BlobsConfig};
//! use optim_core::{rng_for, Init, MethodConfig, Mlp, Stream};
//!
//! let data = blobs(&BlobsConfig { samples: 200, features: 8, classes: 3, separation: 2.0 }, 0);
//! let mut model = Mlp::new(&[8, 16, 16, 3], &Init::default(), &mut rng_for(0, Stream::Init, 0))?;
//! let mut optimizer = PdadmmConfig { rho: 1.0, ..PdadmmConfig::default() }.build()?;
//! optimizer.initialize(&model, &data, 0)?;
//! let diagnostics = optimizer.step(&mut model, &data, 0)?;
//! assert!(diagnostics.get("augmented_lagrangian").is_some_and(f64::is_finite));
//! # Ok::<(), optim_core::OptimError>(())
//! ```

#![warn(missing_docs)]

mod config;
mod layer;
mod optimizer;
mod p_step;
mod q_step;
mod state;
mod w_step;
mod z_output;
mod z_step;

pub use config::PdadmmConfig;
pub use optimizer::{DIAGNOSTICS, Pdadmm};
