//! The validation split: samples carved from the training data by a seeded shuffle, never
//! trained on, on which every choice (tuning, targets) is made so that the test set stays
//! untouched (docs/statistics.md#validation-split).

use anyhow::{Result, bail};
use optim_core::Dataset;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `[dataset] validation = { size = 5000, seed = 0 }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationSpec {
    /// Samples held out of the training data.
    pub size: usize,
    /// Seed of the shuffle that picks them (default 0), independent of the run seeds: every
    /// seed and optimizer of an experiment sees the same split.
    #[serde(default)]
    pub seed: u64,
}

/// Training data with a validation split carved out of it.
#[derive(Debug)]
pub struct Carved {
    /// What remains to train on, in the original order.
    pub train: Dataset,
    /// The held-out samples, in the order of their original indices.
    pub validation: Dataset,
    /// Original indices of the held-out samples, ascending.
    pub indices: Vec<usize>,
}

impl Carved {
    /// SHA-256 of the held-out indices (decimal, comma separated): provenance that pins
    /// the split whatever code later computes it.
    pub fn indices_sha256(&self) -> String {
        let text = self.indices.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
        hex::encode(Sha256::digest(text.as_bytes()))
    }
}

/// The sort key of sample `index` under `seed`: ordering the samples by it is a uniformly
/// random permutation that depends on nothing but the seed and the index, so a split never
/// changes when an unrelated draw is added elsewhere.
fn shuffle_key(seed: u64, index: usize) -> u64 {
    let digest = Sha256::digest(format!("dladmm-bench validation {seed} {index}"));
    u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// The samples of `data` at `indices` (ascending), as a new dataset.
fn select(data: &Dataset, indices: &[usize]) -> Result<Dataset> {
    let features = data.features.select(ndarray::Axis(1), indices);
    let labels = indices.iter().map(|&i| data.labels[i]).collect();
    Ok(Dataset::new(features, labels, data.num_classes)?)
}

/// Splits `train` into what trains and `spec.size` held-out samples. The size must leave at
/// least one training sample.
pub fn carve(train: &Dataset, spec: &ValidationSpec) -> Result<Carved> {
    let n = train.len();
    if spec.size == 0 || spec.size >= n {
        bail!(
            "dataset.validation.size = {} must lie in 1..{n} (the training data has {n} samples)",
            spec.size
        );
    }
    let mut order: Vec<(u64, usize)> = (0..n).map(|i| (shuffle_key(spec.seed, i), i)).collect();
    order.sort_unstable();
    let mut held: Vec<usize> = order[..spec.size].iter().map(|&(_, i)| i).collect();
    held.sort_unstable();
    let mut is_held = vec![false; n];
    held.iter().for_each(|&i| is_held[i] = true);
    let kept: Vec<usize> = (0..n).filter(|&i| !is_held[i]).collect();
    Ok(Carved {
        train: select(train, &kept)?,
        validation: select(train, &held)?,
        indices: held,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use optim_core::synthetic::{BlobsConfig, blobs_split};

    fn data(samples: usize) -> Dataset {
        let cfg = BlobsConfig {
            samples,
            features: 3,
            classes: 4,
            separation: 1.0,
        };
        blobs_split(&cfg, 7, 0)
    }

    /// A sample's identity: its feature column and label, exactly.
    fn samples(d: &Dataset) -> Vec<(Vec<u32>, u32)> {
        (0..d.len())
            .map(|j| (d.features.column(j).iter().map(|x| x.to_bits()).collect(), d.labels[j]))
            .collect()
    }

    #[test]
    fn split_is_disjoint_complete_and_deterministic() {
        let d = data(200);
        let spec = ValidationSpec { size: 50, seed: 3 };
        let a = carve(&d, &spec).unwrap();
        assert_eq!((a.train.len(), a.validation.len()), (150, 50));
        // Every original sample lands in exactly one part.
        let mut all = samples(&a.train);
        all.extend(samples(&a.validation));
        all.sort();
        let mut original = samples(&d);
        original.sort();
        assert_eq!(all, original);
        let train: std::collections::HashSet<_> = samples(&a.train).into_iter().collect();
        assert!(samples(&a.validation).iter().all(|s| !train.contains(s)));
        // The held-out samples are the ones at the recorded indices.
        for (j, &i) in a.indices.iter().enumerate() {
            assert_eq!(a.validation.labels[j], d.labels[i]);
            assert_eq!(a.validation.features.column(j), d.features.column(i));
        }
        let b = carve(&d, &spec).unwrap();
        assert_eq!(a.indices, b.indices);
        assert_eq!(a.train, b.train);
        // Another seed holds out other samples; a shuffle, not the first or last ones.
        let c = carve(&d, &ValidationSpec { size: 50, seed: 4 }).unwrap();
        assert_ne!(a.indices, c.indices);
        assert_ne!(a.indices, (0..50).collect::<Vec<_>>());
        assert_ne!(a.indices, (150..200).collect::<Vec<_>>());
        assert_ne!(a.indices_sha256(), c.indices_sha256());
    }

    #[test]
    fn size_must_leave_training_data() {
        let d = data(20);
        for size in [0, 20, 30] {
            let msg = carve(&d, &ValidationSpec { size, seed: 0 }).unwrap_err().to_string();
            assert!(msg.contains("validation.size") && msg.contains("20 samples"), "{msg}");
        }
    }
}
