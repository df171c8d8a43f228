//! MNIST and Fashion-MNIST for the benchmark: found locally or downloaded, always verified
//! against their published SHA-256, decoded from IDX into [`optim_core::Dataset`]
//! (features `784 × N`, column-major, pixels scaled to `[0, 1]`; labels `0..10`).
//!
//! Files are looked for in this order, each directory laid out as `<dir>/<dataset>/<file>`
//! (e.g. `<dir>/mnist/train-images-idx3-ubyte.gz`):
//! 1. an explicit directory ([`DataSource::data_dir`], the runner's `--data-dir`);
//! 2. the `DLADMM_DATA` environment variable;
//! 3. the user's cache directory, `dirs::cache_dir()/dladmm-bench`.
//!
//! A file found nowhere is downloaded into the cache from the dataset's mirrors, in order; it
//! only appears under its final name once complete and verified. If every mirror fails, the
//! error lists the full paths where the files are expected and each mirror's failure.
//!
//! Datasets ([`available`]): `mnist`, `fashion-mnist`, and `mnist-55k`, the dlADMM paper's
//! MNIST whose training set is the first 55,000 of the 60,000 training images (the same files
//! as `mnist`). For another number of training samples use [`optim_core::Dataset::first`];
//! for smaller images, [`downsample`].
//!
//! ```no_run
//! use datasets::DataSource;
//!
//! let mnist = datasets::load("mnist", &DataSource::from_env())?;
//! assert_eq!(mnist.train.features.dim(), (784, 60_000));
//! for file in &mnist.files {
//!     println!("{} {}", file.sha256, file.path.display());
//! }
//! # Ok::<(), datasets::DatasetError>(())
//! ```

#![warn(missing_docs)]

pub mod catalog;
mod download;
pub mod downsample;
pub mod error;
pub mod idx;
mod load;
pub mod source;

pub use catalog::{DatasetSpec, FileSpec, available};
pub use downsample::{downsample, downsampled_shape};
pub use error::DatasetError;
pub use load::{FileRecord, LoadedDataset, load, load_spec};
pub use source::DataSource;
