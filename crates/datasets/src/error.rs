//! Typed errors of the datasets crate.

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong while finding, downloading, verifying or reading a dataset.
#[derive(Debug, Error)]
pub enum DatasetError {
    /// The dataset name is not in the catalog.
    #[error("unknown dataset `{name}`; valid names: {}", valid.join(", "))]
    UnknownDataset {
        /// The name that was asked for.
        name: String,
        /// The names that would be valid.
        valid: Vec<String>,
    },
    /// A file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// An IDX file does not hold what its header, or the dataset, says it should.
    #[error("{}: {problem}", path.display())]
    Idx {
        /// The IDX file.
        path: PathBuf,
        /// What is wrong with it.
        problem: IdxProblem,
    },
    /// An images file and its labels file disagree on the number of samples.
    #[error(
        "{} holds {images} images but {} holds {labels} labels",
        images_path.display(),
        labels_path.display()
    )]
    CountMismatch {
        /// The images file.
        images_path: PathBuf,
        /// Number of images in it.
        images: usize,
        /// The labels file.
        labels_path: PathBuf,
        /// Number of labels in it.
        labels: usize,
    },
    /// A file's SHA-256 differs from the published one.
    #[error(
        "{}: SHA-256 mismatch: expected {expected}, found {actual} \
         (the file is corrupted or not the published one; delete or replace it)",
        path.display()
    )]
    ChecksumMismatch {
        /// The file whose content is wrong.
        path: PathBuf,
        /// The published SHA-256, lowercase hex.
        expected: String,
        /// The SHA-256 of the file as found, lowercase hex.
        actual: String,
    },
    /// Files are missing locally and could not be downloaded (or downloading is disabled).
    #[error("{0}")]
    Unavailable(Box<Unavailable>),
    /// More training samples were asked for than the training set holds.
    #[error("dataset `{dataset}`: asked for {requested} training samples but it has {available}")]
    TooFewSamples {
        /// The dataset name.
        dataset: String,
        /// Number of training samples asked for.
        requested: usize,
        /// Number of training samples in the files.
        available: usize,
    },
    /// The decoded arrays were rejected by [`optim_core::Dataset::new`].
    #[error("{context}: {source}")]
    Dataset {
        /// The dataset or file concerned.
        context: String,
        /// The error from the core crate.
        source: optim_core::error::OptimError,
    },
}

impl DatasetError {
    /// Shorthand for [`DatasetError::Io`].
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// Shorthand for [`DatasetError::Idx`].
    pub(crate) fn idx(path: impl Into<PathBuf>, problem: IdxProblem) -> Self {
        Self::Idx {
            path: path.into(),
            problem,
        }
    }
}

/// What is wrong with an IDX file.
#[derive(Debug, Error)]
pub enum IdxProblem {
    /// The gzip stream is corrupted or cut short.
    #[error("corrupted gzip stream: {0}")]
    Gzip(std::io::Error),
    /// The file ends before its header does.
    #[error("file is {found} bytes long (after decompression), shorter than the {expected}-byte {kind} header")]
    TruncatedHeader {
        /// "images" or "labels".
        kind: &'static str,
        /// Header length in bytes.
        expected: usize,
        /// Bytes available.
        found: usize,
    },
    /// The magic number is not the one of the expected IDX kind.
    #[error(
        "magic number {found} (0x{found:08x}) is not {expected} (0x{expected:08x}), the magic of an IDX {kind} file"
    )]
    BadMagic {
        /// "images" or "labels".
        kind: &'static str,
        /// The magic number required.
        expected: u32,
        /// The magic number found.
        found: u32,
    },
    /// The image dimensions in the header are not the dataset's.
    #[error("images are {found_rows}x{found_cols}, expected {expected_rows}x{expected_cols}")]
    WrongDimensions {
        /// Rows required.
        expected_rows: usize,
        /// Columns required.
        expected_cols: usize,
        /// Rows in the header.
        found_rows: usize,
        /// Columns in the header.
        found_cols: usize,
    },
    /// The header declares no sample at all.
    #[error("header declares 0 {kind}")]
    Empty {
        /// "images" or "labels".
        kind: &'static str,
    },
    /// Fewer payload bytes than the header announces.
    #[error("expected {expected} {unit} bytes after the header, found {found} (file truncated)")]
    TruncatedPayload {
        /// "pixel" or "label".
        unit: &'static str,
        /// Bytes the header announces.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// More payload bytes than the header announces.
    #[error("expected {expected} {unit} bytes after the header, found {found} ({} trailing bytes)", found - expected)]
    TrailingBytes {
        /// "pixel" or "label".
        unit: &'static str,
        /// Bytes the header announces.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// A label is not a valid class index.
    #[error("label {label} of sample {index} is out of range: the dataset has {num_classes} classes (0..={})", num_classes.saturating_sub(1))]
    LabelOutOfRange {
        /// Sample index (0-based).
        index: usize,
        /// The label found.
        label: u8,
        /// Number of classes of the dataset.
        num_classes: usize,
    },
}

/// Details of a dataset that could not be made available: which files are missing, where to
/// put them, and why each download attempt failed.
#[derive(Debug)]
pub struct Unavailable {
    /// The dataset name.
    pub dataset: String,
    /// Full paths at which the missing files are expected.
    pub missing: Vec<PathBuf>,
    /// Every directory searched, in order.
    pub searched: Vec<PathBuf>,
    /// Why downloading was not possible, or each mirror's failure.
    pub download: DownloadOutcome,
}

/// Why a download did not provide the missing files.
#[derive(Debug)]
pub enum DownloadOutcome {
    /// Downloading was disabled by the caller.
    Disabled,
    /// No cache directory is known to download into.
    NoCacheDir,
    /// Every mirror failed for the file named here.
    MirrorsFailed {
        /// The file that could not be downloaded.
        file: String,
        /// One entry per mirror, in the order they were tried.
        failures: Vec<MirrorFailure>,
    },
}

/// One failed download attempt.
#[derive(Debug, Clone)]
pub struct MirrorFailure {
    /// The URL requested.
    pub url: String,
    /// What went wrong.
    pub reason: String,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "dataset `{}`: {} file(s) missing. Put them at:",
            self.dataset,
            self.missing.len()
        )?;
        for path in &self.missing {
            writeln!(f, "  {}", path.display())?;
        }
        write!(
            f,
            "or set DLADMM_DATA (or pass --data-dir) to a directory laid out as \
             <dir>/{}/<file>. Directories searched:",
            self.missing_dir_name()
        )?;
        if self.searched.is_empty() {
            write!(f, " none")?;
        }
        for dir in &self.searched {
            write!(f, "\n  {}", dir.display())?;
        }
        match &self.download {
            DownloadOutcome::Disabled => write!(f, "\ndownloading is disabled"),
            DownloadOutcome::NoCacheDir => {
                write!(f, "\nno user cache directory is known, so nothing could be downloaded")
            }
            DownloadOutcome::MirrorsFailed { file, failures } => {
                write!(f, "\ndownloading {file} failed from every mirror:")?;
                for failure in failures {
                    write!(f, "\n  {}: {}", failure.url, failure.reason)?;
                }
                Ok(())
            }
        }
    }
}

impl Unavailable {
    /// The dataset's directory name as it appears in the missing paths.
    fn missing_dir_name(&self) -> String {
        self.missing
            .first()
            .and_then(|p| p.parent())
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.dataset.clone())
    }
}
