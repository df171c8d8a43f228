//! RMSprop (Tieleman & Hinton, 2012), optionally centred (Graves, 2013), with momentum and L2
//! weight decay, with the semantics of PyTorch's `torch.optim.RMSprop`.
//!
//! [`RmspropConfig`] holds the hyper-parameters as written in experiment files; its
//! [`RuleConfig::build`](optim_core::RuleConfig::build) checks them and returns the
//! [`Rmsprop`] rule, which [`GradientMethod`](optim_core::GradientMethod) trains with by
//! mini-batch or full-batch back-propagation. The update is written out in
//! `docs/gradient-rules.md#rmsprop`.
//!
//! ```
//! use optim_core::{BatchConfig, GradientMethod, RuleConfig};
//! use rmsprop::RmspropConfig;
//!
//! let rule = RmspropConfig { lr: 1e-3, momentum: 0.9, ..RmspropConfig::default() }.build()?;
//! let optimizer = GradientMethod::new(
//!     rule,
//!     BatchConfig { batch_size: Some(128), ..BatchConfig::default() },
//! )?;
//! assert_eq!(optimizer.rule().config().alpha, 0.99);
//! # Ok::<(), optim_core::OptimError>(())
//! ```

#![warn(missing_docs)]

mod config;
mod rule;

pub use config::RmspropConfig;
pub use rule::{Rmsprop, RmspropState};
