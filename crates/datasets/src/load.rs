//! Loading a dataset: locate each file, download what is missing, verify, decode.

use std::path::{Path, PathBuf};

use optim_core::Dataset;
use sha2::{Digest, Sha256};

use crate::catalog::{DatasetSpec, FileSpec};
use crate::download::{Download, download};
use crate::error::{DatasetError, DownloadOutcome, Unavailable};
use crate::idx;
use crate::source::DataSource;

/// A dataset's training and test sets, with the files they were read from.
#[derive(Debug, Clone)]
pub struct LoadedDataset {
    /// The dataset name, as passed to [`load`].
    pub name: String,
    /// The training set (truncated to the spec's `train_samples` if set).
    pub train: Dataset,
    /// The test set.
    pub test: Dataset,
    /// The four files read, in the order train images, train labels, test images, test labels.
    pub files: Vec<FileRecord>,
}

/// One file a dataset was read from, for provenance records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// File name, e.g. `train-images-idx3-ubyte.gz`.
    pub file: String,
    /// Where it was read from.
    pub path: PathBuf,
    /// Its SHA-256, lowercase hex (verified equal to the published one).
    pub sha256: String,
}

/// Loads the catalog dataset `name` (see [`crate::available`]) from `source`.
pub fn load(name: &str, source: &DataSource) -> Result<LoadedDataset, DatasetError> {
    load_spec(&DatasetSpec::named(name)?, source)
}

/// Loads the dataset described by `spec` from `source`, downloading missing files into
/// `source.cache_dir` if allowed.
pub fn load_spec(spec: &DatasetSpec, source: &DataSource) -> Result<LoadedDataset, DatasetError> {
    let paths = locate(spec, source)?;
    let [train_images, train_labels, test_images, test_labels] = paths;

    let (train, test, files) = std::thread::scope(|scope| {
        // The test split decodes on a second core while the (larger) training split decodes here.
        let test_job = scope.spawn(|| {
            read_split(
                spec,
                (&test_images, &spec.test_images),
                (&test_labels, &spec.test_labels),
            )
        });
        let train = read_split(
            spec,
            (&train_images, &spec.train_images),
            (&train_labels, &spec.train_labels),
        );
        let test = join(test_job);
        let (train, mut files) = train?;
        let (test, test_files) = test?;
        files.extend(test_files);
        Ok::<_, DatasetError>((train, test, files))
    })?;

    let train = match spec.train_samples {
        None => train,
        Some(n) if n > train.len() => {
            return Err(DatasetError::TooFewSamples {
                dataset: spec.name.clone(),
                requested: n,
                available: train.len(),
            });
        }
        Some(n) => train.first(n).map_err(|source| DatasetError::Dataset {
            context: spec.name.clone(),
            source,
        })?,
    };
    Ok(LoadedDataset {
        name: spec.name.clone(),
        train,
        test,
        files,
    })
}

/// The path of each of the spec's four files, downloading the missing ones.
fn locate(spec: &DatasetSpec, source: &DataSource) -> Result<[PathBuf; 4], DatasetError> {
    let search_dirs = source.search_dirs();
    let dataset_dirs: Vec<PathBuf> = search_dirs.iter().map(|d| d.join(&spec.directory)).collect();
    let mut found = spec
        .files()
        .map(|file| dataset_dirs.iter().map(|d| d.join(&file.name)).find(|p| p.is_file()));

    let unavailable = |found: &[Option<PathBuf>; 4], download: DownloadOutcome| {
        // A missing file is expected in the first directory searched.
        let home = dataset_dirs.first().cloned().unwrap_or_default();
        let missing = spec
            .files()
            .iter()
            .zip(found)
            .filter(|(_, path)| path.is_none())
            .map(|(file, _)| home.join(&file.name))
            .collect();
        DatasetError::Unavailable(Box::new(Unavailable {
            dataset: spec.name.clone(),
            missing,
            searched: search_dirs.clone(),
            download,
        }))
    };

    let mut resolved: [PathBuf; 4] = Default::default();
    for (index, file) in spec.files().into_iter().enumerate() {
        if let Some(path) = &found[index] {
            resolved[index] = path.clone();
            continue;
        }
        if !source.allow_download {
            return Err(unavailable(&found, DownloadOutcome::Disabled));
        }
        let Some(cache) = &source.cache_dir else {
            return Err(unavailable(&found, DownloadOutcome::NoCacheDir));
        };
        let dest = cache.join(&spec.directory).join(&file.name);
        match download(&spec.mirrors, file, &dest, source.show_progress)? {
            Download::Done => {
                found[index] = Some(dest.clone());
                resolved[index] = dest;
            }
            Download::Failed(failures) => {
                let outcome = DownloadOutcome::MirrorsFailed {
                    file: file.name.clone(),
                    failures,
                };
                return Err(unavailable(&found, outcome));
            }
        }
    }
    Ok(resolved)
}

/// Reads, verifies and decodes one images/labels pair.
fn read_split(
    spec: &DatasetSpec,
    (images_path, images_file): (&Path, &FileSpec),
    (labels_path, labels_file): (&Path, &FileSpec),
) -> Result<(Dataset, Vec<FileRecord>), DatasetError> {
    let (features, images_record) = read_verified(images_path, images_file, |bytes| {
        idx::decode_images(images_path, bytes, spec.shape)
    })?;
    let (labels, labels_record) = read_verified(labels_path, labels_file, |bytes| {
        idx::decode_labels(labels_path, bytes, spec.num_classes)
    })?;
    let dataset = idx::pair(images_path, features, labels_path, labels, spec.num_classes)?;
    Ok((dataset, vec![images_record, labels_record]))
}

/// Reads `path`, checks its SHA-256 against the published one and decodes it; the hash and
/// the decoding run concurrently, but a checksum mismatch is reported before a decoding error.
fn read_verified<T: Send>(
    path: &Path,
    file: &FileSpec,
    decode: impl FnOnce(&[u8]) -> Result<T, DatasetError> + Send,
) -> Result<(T, FileRecord), DatasetError> {
    let bytes = idx::read_file(path)?;
    let (actual, decoded) = std::thread::scope(|scope| {
        let hash_job = scope.spawn(|| hex::encode(Sha256::digest(&bytes)));
        let decoded = decode(&bytes);
        (join(hash_job), decoded)
    });
    if actual != file.sha256 {
        return Err(DatasetError::ChecksumMismatch {
            path: path.to_path_buf(),
            expected: file.sha256.clone(),
            actual,
        });
    }
    let record = FileRecord {
        file: file.name.clone(),
        path: path.to_path_buf(),
        sha256: actual,
    };
    Ok((decoded?, record))
}

/// Joins a scoped thread, passing its panic (a bug, never a data error) on to the caller.
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    match handle.join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}
