//! Adam (Kingma & Ba, 2015), optionally with the AMSGrad maximum and L2 weight decay, with
//! the semantics of PyTorch's `torch.optim.Adam` (not `AdamW`: the decay is added to the
//! gradient).
//!
//! [`AdamConfig`] holds the hyper-parameters as written in experiment files; its
//! [`RuleConfig::build`](optim_core::RuleConfig::build) checks them and returns the [`Adam`]
//! rule, which [`GradientMethod`](optim_core::GradientMethod) trains with by mini-batch or
//! full-batch back-propagation.
//!
//! ```
//! use optim_core::{BatchConfig, GradientMethod, RuleConfig};
//! use adam::AdamConfig;
//!
//! let rule = AdamConfig { lr: 1e-2, ..AdamConfig::default() }.build()?;
//! let optimizer = GradientMethod::new(
//!     rule,
//!     BatchConfig { batch_size: Some(128), ..BatchConfig::default() },
//! )?;
//! assert_eq!(optimizer.rule().config().betas, (0.9, 0.999));
//! # Ok::<(), optim_core::OptimError>(())
//! ```

#![warn(missing_docs)]

mod config;
mod rule;

pub use config::AdamConfig;
pub use rule::{Adam, AdamState};
