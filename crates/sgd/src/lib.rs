//! Stochastic gradient descent, optionally with momentum, dampening, L2 weight decay and
//! Nesterov momentum, with the semantics of PyTorch's `torch.optim.SGD`.
//!
//! [`SgdConfig`] holds the hyper-parameters as written in experiment files; its
//! [`RuleConfig::build`](optim_core::RuleConfig::build) checks them and returns the [`Sgd`]
//! rule, which [`GradientMethod`](optim_core::GradientMethod) trains with by mini-batch or
//! full-batch back-propagation.
//!
//! ```
//! use optim_core::{BatchConfig, GradientMethod, RuleConfig};
//! use sgd::SgdConfig;
//!
//! let rule = SgdConfig { lr: 0.1, momentum: 0.9, ..SgdConfig::default() }.build()?;
//! let optimizer = GradientMethod::new(
//!     rule,
//!     BatchConfig { batch_size: Some(128), ..BatchConfig::default() },
//! )?;
//! assert_eq!(optimizer.rule().config().momentum, 0.9);
//! # Ok::<(), optim_core::OptimError>(())
//! ```

#![warn(missing_docs)]

mod config;
mod rule;

pub use config::SgdConfig;
pub use rule::{Sgd, SgdState};
