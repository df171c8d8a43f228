//! Core of dladmm-bench: what every optimizer shares.
//!
//! - [`Optimizer`]: a training algorithm at the level of whole iterations (dlADMM, ADMM and
//!   gradient methods alike), with serializable state for checkpoints;
//! - [`UpdateRule`] and [`GradientMethod`]: per-tensor rules (SGD, Adam, ...) and the one
//!   adapter that trains with them by mini-batch back-propagation;
//! - [`Mlp`], [`loss`], [`init`]: the network, softmax cross-entropy, initialisations;
//! - [`Executor`]: the loop with timing, evaluation, observers and termination;
//! - [`conformance`]: the suite every optimizer crate runs in its tests;
//! - `bench` (feature `bench`): what the criterion benchmarks of every crate share;
//! - [`simd`]: element-wise kernels compiled for the CPU's widest instructions, chosen at run
//!   time, so that one binary runs everywhere at full speed.
//!
//! ```
//! use optim_core::{synthetic, Init, Mlp, rng_for, Stream};
//! let data = synthetic::blobs(&synthetic::BlobsConfig::default(), 0);
//! let model = Mlp::new(&[20, 32, 4], &Init::KaimingNormal, &mut rng_for(0, Stream::Init, 0)).unwrap();
//! let eval = model.evaluate(&data);
//! assert!(eval.accuracy <= 1.0);
//! ```

#[cfg(feature = "bench")]
pub mod bench;
pub mod checkpoint;
pub mod config;
pub mod conformance;
pub mod dataset;
pub mod diagnostics;
pub mod error;
pub mod executor;
pub mod fortran_serde;
pub mod gradient_method;
pub mod init;
pub mod linalg;
pub mod loss;
pub mod model;
pub mod optimizer;
pub mod rng;
pub mod rule;
pub mod simd;
pub mod synthetic;
pub mod validate;

pub use config::{MethodConfig, RuleConfig};
pub use dataset::Dataset;
pub use diagnostics::Diagnostics;
pub use error::{OptimError, Result};
pub use executor::{Budget, Control, Executor, History, IterationRecord, Observer, Progress, RunView, Termination};
pub use gradient_method::{BatchConfig, GradientMethod};
pub use init::Init;
pub use loss::Reduction;
pub use model::{Dense, Evaluation, Mlp};
pub use optimizer::Optimizer;
pub use rng::{Rng, Stream, rng_for};
pub use rule::UpdateRule;
