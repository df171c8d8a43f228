//! The adapter that turns any [`UpdateRule`] into an [`Optimizer`] by mini-batch (or
//! full-batch) back-propagation with a seeded shuffle.

use std::io::{Read, Write};

use ndarray::ShapeBuilder;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::checkpoint;
use crate::dataset::Dataset;
use crate::diagnostics::Diagnostics;
use crate::error::{OptimError, Result};
use crate::loss::Reduction;
use crate::model::{CHUNK, Mlp};
use crate::optimizer::Optimizer;
use crate::rng::{Stream, rng_for};
use crate::rule::UpdateRule;

/// How a gradient rule walks through the training set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchConfig {
    /// Samples per mini-batch; `None` (the default) is full batch, as in the dlADMM paper.
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// Loss reduction within a batch (default `mean`; the paper's baselines use `sum`).
    #[serde(default)]
    pub reduction: Reduction,
    /// Reshuffle the samples every epoch (default true; ignored for full batch).
    #[serde(default = "default_true")]
    pub shuffle: bool,
}

fn default_true() -> bool {
    true
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self {
            batch_size: None,
            reduction: Reduction::Mean,
            shuffle: true,
        }
    }
}

impl BatchConfig {
    /// Checks the values once.
    pub fn validate(&self) -> Result<()> {
        if self.batch_size == Some(0) {
            return Err(OptimError::invalid("batch_size", "must be at least 1"));
        }
        Ok(())
    }
}

/// Any [`UpdateRule`] trained by back-propagation over mini-batches.
///
/// One [`Optimizer::step`] is one epoch. With shuffling on, epoch `k` visits the samples in
/// a permutation drawn from the run seed and `k` alone, so a resumed run sees the same
/// batches as an uninterrupted one without storing generator state.
pub struct GradientMethod<R: UpdateRule> {
    rule: R,
    batch: BatchConfig,
    seed: u64,
    states: Vec<R::State>,
    lengths: Vec<usize>,
}

#[derive(Serialize, Deserialize)]
struct SavedState<V> {
    seed: u64,
    /// Length of each tensor, checked against the model on load.
    lengths: Vec<usize>,
    states: V,
}

impl<R: UpdateRule> GradientMethod<R> {
    /// Wraps `rule`; fails if `batch` is invalid.
    pub fn new(rule: R, batch: BatchConfig) -> Result<Self> {
        batch.validate()?;
        Ok(Self {
            rule,
            batch,
            seed: 0,
            states: Vec::new(),
            lengths: Vec::new(),
        })
    }

    /// The wrapped rule.
    pub fn rule(&self) -> &R {
        &self.rule
    }
}

impl<R: UpdateRule> Optimizer for GradientMethod<R> {
    fn initialize(&mut self, model: &Mlp, _train: &Dataset, seed: u64) -> Result<()> {
        self.seed = seed;
        self.lengths = model.tensors().iter().map(|t| t.len()).collect();
        self.states = model.tensors().iter().map(|t| self.rule.init_state(t.len())).collect();
        Ok(())
    }

    fn step(&mut self, model: &mut Mlp, train: &Dataset, iteration: usize) -> Result<Diagnostics> {
        let n = train.len();
        let batch_size = self.batch.batch_size.unwrap_or(n).min(n).max(1);
        let full_batch = batch_size == n;
        let mut order: Vec<usize> = (0..n).collect();
        if self.batch.shuffle && !full_batch {
            order.shuffle(&mut rng_for(self.seed, Stream::Shuffle, iteration as u64));
        }
        let mut grads = model.zeros_like();
        let features = train.num_features();
        let mut x = ndarray::Array2::<f32>::zeros((features, batch_size.min(CHUNK)).f());
        let mut labels = Vec::with_capacity(batch_size.min(CHUNK));
        let (mut loss_sum, mut updates, mut grad_norm_sq) = (0.0f64, 0usize, 0.0f64);
        let batches = order.chunks(batch_size).count();
        for (b, batch) in order.chunks(batch_size).enumerate() {
            let scale = self.batch.reduction.scale(batch.len());
            for (c, chunk) in batch.chunks(CHUNK).enumerate() {
                let accumulate = c > 0;
                let loss = if is_contiguous(chunk) {
                    let (s, e) = (chunk[0], chunk[chunk.len() - 1] + 1);
                    model.gradients_into(
                        &train.feature_columns(s, e),
                        &train.labels[s..e],
                        scale,
                        &mut grads,
                        accumulate,
                    )
                } else {
                    gather(train, chunk, &mut x, &mut labels);
                    let xv = x.slice(ndarray::s![.., ..chunk.len()]);
                    model.gradients_into(&xv, &labels, scale, &mut grads, accumulate)
                };
                loss_sum += loss;
            }
            if b + 1 == batches {
                grad_norm_sq = grads
                    .tensors()
                    .iter()
                    .flat_map(|t| t.iter())
                    .map(|&g| f64::from(g) * f64::from(g))
                    .sum();
            }
            // Tensors are independent: update them in parallel (the largest alone on one
            // thread while the others share the rest).
            let rule = &self.rule;
            model
                .tensors_mut()
                .into_par_iter()
                .zip(grads.tensors().into_par_iter())
                .zip(self.states.par_iter_mut())
                .for_each(|((p, g), s)| rule.update(p, g, s));
            updates += 1;
        }
        let mean_loss = loss_sum / n.max(1) as f64;
        if !mean_loss.is_finite() {
            return Err(OptimError::NonFinite {
                what: "training loss".into(),
            });
        }
        if let Some(what) = model.first_non_finite() {
            return Err(OptimError::NonFinite { what });
        }
        let mut d = Diagnostics::new();
        d.push("batch_loss", mean_loss);
        // The norm of the epoch's last mini-batch gradient: one cheap pass, not one per batch.
        d.push("grad_norm", grad_norm_sq.sqrt());
        d.push("updates", updates as f64);
        Ok(d)
    }

    fn diagnostic_names(&self) -> Vec<String> {
        ["batch_loss", "grad_norm", "updates"].map(String::from).to_vec()
    }

    fn save_state(&self, out: &mut dyn Write) -> Result<()> {
        let saved = SavedState {
            seed: self.seed,
            lengths: self.lengths.clone(),
            states: &self.states,
        };
        checkpoint::write(&saved, out)
    }

    fn load_state(&mut self, input: &mut dyn Read, model: &Mlp, _train: &Dataset) -> Result<()> {
        let saved: SavedState<Vec<R::State>> = checkpoint::read(input)?;
        let lengths: Vec<usize> = model.tensors().iter().map(|t| t.len()).collect();
        if saved.states.len() != lengths.len() || saved.lengths != lengths {
            return Err(OptimError::Checkpoint(format!(
                "the state is for tensors of lengths {:?}, the model has {lengths:?}",
                saved.lengths
            )));
        }
        self.seed = saved.seed;
        self.lengths = saved.lengths;
        self.states = saved.states;
        Ok(())
    }
}

fn is_contiguous(indices: &[usize]) -> bool {
    indices.windows(2).all(|w| w[1] == w[0] + 1)
}

/// Copies the columns `indices` of the training set into the front of `x`.
fn gather(train: &Dataset, indices: &[usize], x: &mut ndarray::Array2<f32>, labels: &mut Vec<u32>) {
    labels.clear();
    for (dst, &j) in x.columns_mut().into_iter().zip(indices) {
        let mut dst = dst;
        dst.assign(&train.features.column(j));
        labels.push(train.labels[j]);
    }
}
