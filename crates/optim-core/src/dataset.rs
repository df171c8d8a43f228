//! The in-memory dataset every optimizer trains on.

use ndarray::{Array2, ArrayView2, ShapeBuilder};

use crate::error::{OptimError, Result};

/// A labelled classification dataset stored **one column per sample** (`features × samples`),
/// column-major, so that each sample is a contiguous slice and the layer products
/// `W · A` run on column-major operands (the fast path of the matrix-product kernels).
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Features, shape `(num_features, num_samples)`, Fortran (column-major) order.
    pub features: Array2<f32>,
    /// Class index of each sample, `< num_classes`.
    pub labels: Vec<u32>,
    /// Number of classes.
    pub num_classes: usize,
}

impl Dataset {
    /// Builds a dataset, checking that shapes and labels agree.
    pub fn new(features: Array2<f32>, labels: Vec<u32>, num_classes: usize) -> Result<Self> {
        if features.ncols() != labels.len() {
            return Err(OptimError::Shape(format!(
                "{} feature columns but {} labels",
                features.ncols(),
                labels.len()
            )));
        }
        if let Some(bad) = labels.iter().find(|&&l| l as usize >= num_classes) {
            return Err(OptimError::Shape(format!(
                "label {bad} out of range for {num_classes} classes"
            )));
        }
        let features = if features.t().is_standard_layout() {
            features
        } else {
            let mut f = Array2::zeros(features.raw_dim().f());
            f.assign(&features);
            f
        };
        Ok(Self {
            features,
            labels,
            num_classes,
        })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True if the dataset holds no sample.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of input features.
    pub fn num_features(&self) -> usize {
        self.features.nrows()
    }

    /// The first `n` samples (the paper's MNIST training set is the first 55,000 of 60,000).
    pub fn first(&self, n: usize) -> Result<Self> {
        if n > self.len() {
            return Err(OptimError::Shape(format!(
                "asked for the first {n} samples of a dataset of {}",
                self.len()
            )));
        }
        Self::new(
            self.features.slice(ndarray::s![.., ..n]).to_owned(),
            self.labels[..n].to_vec(),
            self.num_classes,
        )
    }

    /// One-hot labels, shape `(num_classes, num_samples)`, column-major.
    pub fn one_hot(&self) -> Array2<f32> {
        one_hot(&self.labels, self.num_classes)
    }

    /// Features of samples `start..end` as a view.
    pub fn feature_columns(&self, start: usize, end: usize) -> ArrayView2<'_, f32> {
        self.features.slice(ndarray::s![.., start..end])
    }
}

/// One-hot encoding of `labels`, shape `(num_classes, labels.len())`, column-major.
pub fn one_hot(labels: &[u32], num_classes: usize) -> Array2<f32> {
    let mut y = Array2::zeros((num_classes, labels.len()).f());
    for (j, &l) in labels.iter().enumerate() {
        y[[l as usize, j]] = 1.0;
    }
    y
}
