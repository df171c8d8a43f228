//! Loading a cell's data: the published datasets through the `datasets` crate, or the
//! seeded synthetic problem.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use optim_core::Dataset;
use optim_core::synthetic::blobs_split;
use serde::Serialize;

use crate::experiment::DatasetSpec;

/// Dataset names an experiment may use: the published ones and `synthetic`.
pub fn names() -> Vec<&'static str> {
    let mut names = datasets::available();
    names.push("synthetic");
    names
}

/// Train and test splits with what provenance needs.
#[derive(Debug)]
pub struct LoadedData {
    /// Training split (possibly the first `train_samples`, possibly down-sampled).
    pub train: Dataset,
    /// Test split.
    pub test: Dataset,
    /// File checksums (empty for synthetic data).
    pub checksums: Vec<FileChecksum>,
    /// The validation split carved from the training data, when the spec asks for one.
    pub validation: Option<Dataset>,
    /// SHA-256 of the validation split's original indices, for provenance.
    pub validation_sha256: Option<String>,
}

/// One source file and its SHA-256.
#[derive(Debug, Clone, Serialize)]
pub struct FileChecksum {
    /// File name within the dataset.
    pub file: String,
    /// Hex SHA-256.
    pub sha256: String,
}

/// Loads datasets once per process and hands out shared references.
pub struct DataCache {
    source: datasets::DataSource,
    loaded: HashMap<String, Arc<LoadedData>>,
}

impl DataCache {
    /// A cache reading from `data_dir` if given, else `DLADMM_DATA`, else the user cache
    /// (downloading on first use).
    pub fn new(data_dir: Option<PathBuf>) -> Self {
        let mut source = datasets::DataSource::from_env();
        if data_dir.is_some() {
            source.data_dir = data_dir;
        }
        Self {
            source,
            loaded: HashMap::new(),
        }
    }

    /// The data of `spec`, loaded on first request.
    pub fn get(&mut self, spec: &DatasetSpec) -> Result<Arc<LoadedData>> {
        let key = serde_json::to_string(spec)?;
        if let Some(d) = self.loaded.get(&key) {
            return Ok(d.clone());
        }
        let mut data = match &spec.synthetic {
            Some(s) => {
                let train = blobs_split(&s.blobs, s.seed, 0);
                let test_cfg = optim_core::synthetic::BlobsConfig {
                    samples: s.test_samples,
                    ..s.blobs.clone()
                };
                let test = blobs_split(&test_cfg, s.seed, 1);
                LoadedData {
                    train,
                    test,
                    checksums: Vec::new(),
                    validation: None,
                    validation_sha256: None,
                }
            }
            None => {
                let loaded = datasets::load(&spec.name, &self.source)
                    .with_context(|| format!("loading dataset `{}`", spec.name))?;
                LoadedData {
                    train: loaded.train,
                    test: loaded.test,
                    checksums: loaded
                        .files
                        .iter()
                        .map(|f| FileChecksum {
                            file: f.file.clone(),
                            sha256: f.sha256.clone(),
                        })
                        .collect(),
                    validation: None,
                    validation_sha256: None,
                }
            }
        };
        // Carved before `train_samples` applies: the first n samples that train are the
        // first n of those not held out, so a split never shrinks the training set asked for.
        if let Some(v) = &spec.validation {
            let carved = crate::validation::carve(&data.train, v)?;
            data.validation_sha256 = Some(carved.indices_sha256());
            data.validation = Some(carved.validation);
            data.train = carved.train;
        }
        if let Some(n) = spec.train_samples {
            data.train = data
                .train
                .first(n)
                .with_context(|| format!("dataset.train_samples = {n}"))?;
        }
        if let Some(n) = spec.test_samples {
            data.test = data
                .test
                .first(n)
                .with_context(|| format!("dataset.test_samples = {n}"))?;
        }
        if let Some(factor) = spec.downsample {
            let shape = datasets::idx::ImageShape::MNIST;
            for split in [&mut data.train, &mut data.test] {
                *split = datasets::downsample(split, shape, factor)
                    .map_err(|e| anyhow::anyhow!("dataset.downsample = {factor}: {e}"))?;
            }
        }
        let data = Arc::new(data);
        self.loaded.insert(key, data.clone());
        Ok(data)
    }
}
