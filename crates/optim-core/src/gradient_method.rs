//! The adapter that turns any [`UpdateRule`] into an [`Optimizer`] by mini-batch (or
//! full-batch) back-propagation with a seeded shuffle.

use std::io::{Read, Write};

use ndarray::ShapeBuilder;
use rand::seq::SliceRandom;
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
    steps: u64,
}

#[derive(Serialize, Deserialize)]
struct SavedState<V> {
    seed: u64,
    steps: u64,
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
            steps: 0,
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
        self.steps = 0;
        self.states = model
            .tensors()
            .iter()
            .map(|t| self.rule.init_state(t.len()))
            .collect();
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
        for batch in order.chunks(batch_size) {
            let scale = self.batch.reduction.scale(batch.len());
            grads.tensors_mut().into_iter().for_each(|g| g.fill(0.0));
            for chunk in batch.chunks(CHUNK) {
                let loss = if is_contiguous(chunk) {
                    let (s, e) = (chunk[0], chunk[chunk.len() - 1] + 1);
                    model.accumulate_gradients(
                        &train.feature_columns(s, e),
                        &train.labels[s..e],
                        scale,
                        &mut grads,
                    )
                } else {
                    gather(train, chunk, &mut x, &mut labels);
                    let xv = x.slice(ndarray::s![.., ..chunk.len()]);
                    model.accumulate_gradients(&xv, &labels, scale, &mut grads)
                };
                loss_sum += loss;
            }
            grad_norm_sq = grads
                .tensors()
                .iter()
                .flat_map(|t| t.iter())
                .map(|&g| f64::from(g) * f64::from(g))
                .sum();
            for ((p, g), s) in model
                .tensors_mut()
                .into_iter()
                .zip(grads.tensors())
                .zip(&mut self.states)
            {
                self.rule.update(p, g, s);
            }
            updates += 1;
        }
        self.steps += updates as u64;
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
        d.push("grad_norm", grad_norm_sq.sqrt());
        d.push("updates", updates as f64);
        Ok(d)
    }

    fn diagnostic_names(&self) -> Vec<String> {
        ["batch_loss", "grad_norm", "updates"]
            .map(String::from)
            .to_vec()
    }

    fn save_state(&self, out: &mut dyn Write) -> Result<()> {
        let saved = SavedState {
            seed: self.seed,
            steps: self.steps,
            states: &self.states,
        };
        checkpoint::write(&saved, out)
    }

    fn load_state(&mut self, input: &mut dyn Read, model: &Mlp, _train: &Dataset) -> Result<()> {
        let saved: SavedState<Vec<R::State>> = checkpoint::read(input)?;
        if saved.states.len() != model.tensors().len() {
            return Err(OptimError::Checkpoint(format!(
                "state holds {} tensors, the model has {}",
                saved.states.len(),
                model.tensors().len()
            )));
        }
        self.seed = saved.seed;
        self.steps = saved.steps;
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
