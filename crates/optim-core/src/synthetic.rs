//! A seeded synthetic classification problem for tests and offline demos.

use ndarray::Array2;
use ndarray::ShapeBuilder;
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::rng::{Stream, rng_for};

/// Gaussian blobs: one random centre per class, unit-variance noise around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobsConfig {
    /// Number of samples.
    pub samples: usize,
    /// Input dimension.
    pub features: usize,
    /// Number of classes.
    pub classes: usize,
    /// Standard deviation of the class centres: larger is easier.
    pub separation: f32,
}

impl Default for BlobsConfig {
    /// 2,000 samples, 20 features, 4 classes, separation 1.
    fn default() -> Self {
        Self {
            samples: 2000,
            features: 20,
            classes: 4,
            separation: 1.0,
        }
    }
}

/// Draws a blobs dataset. The class centres depend only on `seed`, so two calls with the
/// same seed and different `sample_stream` give a train and a test split of one problem.
pub fn blobs_split(config: &BlobsConfig, seed: u64, sample_stream: u64) -> Dataset {
    let mut centre_rng = rng_for(seed, Stream::Data, 0);
    let centres: Vec<Vec<f32>> = (0..config.classes)
        .map(|_| {
            (0..config.features)
                .map(|_| {
                    let v: f32 = StandardNormal.sample(&mut centre_rng);
                    config.separation * v
                })
                .collect::<Vec<f32>>()
        })
        .collect();
    let mut rng = rng_for(seed, Stream::Data, 1 + sample_stream);
    let mut features = Array2::zeros((config.features, config.samples).f());
    let mut labels = Vec::with_capacity(config.samples);
    for (j, mut column) in features.columns_mut().into_iter().enumerate() {
        let class = if j < config.classes {
            j
        } else {
            rng.random_range(0..config.classes)
        };
        for (x, &c) in column.iter_mut().zip(&centres[class]) {
            let noise: f32 = StandardNormal.sample(&mut rng);
            *x = c + noise;
        }
        labels.push(class as u32);
    }
    Dataset::new(features, labels, config.classes).expect("labels are in range by construction")
}

/// A blobs dataset (the training split of [`blobs_split`]).
pub fn blobs(config: &BlobsConfig, seed: u64) -> Dataset {
    blobs_split(config, seed, 0)
}
