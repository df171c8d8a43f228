//! Adagrad (Duchi, Hazan & Singer, 2011) with learning-rate decay, L2 weight decay and an
//! initial accumulator value, with the semantics of PyTorch's `torch.optim.Adagrad`.
//!
//! [`AdagradConfig`] holds the hyper-parameters as written in experiment files; its
//! [`RuleConfig::build`](optim_core::RuleConfig::build) checks them and returns the
//! [`Adagrad`] rule, which [`GradientMethod`](optim_core::GradientMethod) trains with by
//! mini-batch or full-batch back-propagation.
//!
//! ```
//! use optim_core::{BatchConfig, GradientMethod, RuleConfig};
//! use adagrad::AdagradConfig;
//!
//! let rule = AdagradConfig { lr: 0.1, ..AdagradConfig::default() }.build()?;
//! let optimizer = GradientMethod::new(
//!     rule,
//!     BatchConfig { batch_size: Some(128), ..BatchConfig::default() },
//! )?;
//! assert_eq!(optimizer.rule().config().eps, 1e-10);
//! # Ok::<(), optim_core::OptimError>(())
//! ```

#![warn(missing_docs)]

mod config;
mod rule;

pub use config::AdagradConfig;
pub use rule::{Adagrad, AdagradState};
