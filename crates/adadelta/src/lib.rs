//! Adadelta (Zeiler, 2012) with a learning rate and L2 weight decay, with the semantics of
//! PyTorch's `torch.optim.Adadelta`.
//!
//! [`AdadeltaConfig`] holds the hyper-parameters as written in experiment files; its
//! [`RuleConfig::build`](optim_core::RuleConfig::build) checks them and returns the
//! [`Adadelta`] rule, which [`GradientMethod`](optim_core::GradientMethod) trains with by
//! mini-batch or full-batch back-propagation.
//!
//! ```
//! use optim_core::{BatchConfig, GradientMethod, RuleConfig};
//! use adadelta::AdadeltaConfig;
//!
//! let rule = AdadeltaConfig::default().build()?;
//! let optimizer = GradientMethod::new(
//!     rule,
//!     BatchConfig { batch_size: Some(128), ..BatchConfig::default() },
//! )?;
//! assert_eq!(optimizer.rule().config().rho, 0.9);
//! # Ok::<(), optim_core::OptimError>(())
//! ```

#![warn(missing_docs)]

mod config;
mod rule;

pub use config::AdadeltaConfig;
pub use rule::{Adadelta, AdadeltaState};
