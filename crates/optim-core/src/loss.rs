//! Softmax cross-entropy on logits stored one column per sample.

use ndarray::{ArrayView2, ArrayViewMut2, Axis, Zip};
use serde::{Deserialize, Serialize};

/// How per-sample losses are combined into the training objective.
///
/// The paper's baselines use the **summed** loss: its SGD learning rate of 1e-6 only makes
/// sense there (1e-6 on the sum of 55,000 samples is 0.055 on the mean).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reduction {
    /// Average over the samples of a batch (PyTorch's default).
    #[default]
    Mean,
    /// Sum over the samples of a batch.
    Sum,
}

impl Reduction {
    /// The factor that turns a summed loss over `n` samples into this reduction.
    pub fn scale(self, n: usize) -> f32 {
        match self {
            Reduction::Mean => 1.0 / n.max(1) as f32,
            Reduction::Sum => 1.0,
        }
    }
}

/// Numerically stable log-sum-exp of one column and its maximum.
#[inline]
fn log_sum_exp(column: impl Iterator<Item = f32> + Clone) -> (f32, f32) {
    let max = column.clone().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = column.map(|z| (z - max).exp()).sum();
    (max, max + sum.ln())
}

/// Summed cross-entropy `-sum_j log softmax(z_j)[y_j]` over the columns of `logits`.
pub fn cross_entropy_sum(logits: &ArrayView2<'_, f32>, labels: &[u32]) -> f64 {
    logits
        .axis_iter(Axis(1))
        .zip(labels)
        .map(|(z, &y)| {
            let (_, lse) = log_sum_exp(z.iter().copied());
            f64::from(lse - z[y as usize])
        })
        .sum()
}

/// Writes `scale * (softmax(logits) - onehot(labels))` into `grad` and returns the summed
/// cross-entropy. `grad` may alias nothing; it must have the shape of `logits`.
pub fn cross_entropy_grad(
    logits: &ArrayView2<'_, f32>,
    labels: &[u32],
    scale: f32,
    grad: &mut ArrayViewMut2<'_, f32>,
) -> f64 {
    let mut total = 0.0f64;
    for ((z, mut g), &y) in logits.axis_iter(Axis(1)).zip(grad.axis_iter_mut(Axis(1))).zip(labels) {
        let (max, lse) = log_sum_exp(z.iter().copied());
        let norm = (max - lse).exp();
        Zip::from(&mut g)
            .and(&z)
            .for_each(|g, &z| *g = scale * (z - max).exp() * norm);
        g[y as usize] -= scale;
        total += f64::from(lse - z[y as usize]);
    }
    total
}

/// Index of the largest logit in each column.
pub fn predictions(logits: &ArrayView2<'_, f32>) -> Vec<u32> {
    logits
        .axis_iter(Axis(1))
        .map(|z| {
            let mut best = 0;
            for (i, &v) in z.iter().enumerate() {
                if v > z[best] {
                    best = i;
                }
            }
            best as u32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use ndarray::array;

    #[test]
    fn cross_entropy_of_uniform_logits_is_log_classes() {
        let z = array![[0.0f32, 5.0], [0.0, 5.0], [0.0, 5.0]];
        let loss = cross_entropy_sum(&z.view(), &[0, 2]);
        assert_relative_eq!(loss, 2.0 * 3f64.ln(), epsilon = 1e-6);
    }

    #[test]
    fn cross_entropy_is_stable_for_huge_logits() {
        let z = array![[1000.0f32], [0.0]];
        assert_relative_eq!(cross_entropy_sum(&z.view(), &[0]), 0.0, epsilon = 1e-6);
        assert_relative_eq!(cross_entropy_sum(&z.view(), &[1]), 1000.0, epsilon = 1e-3);
    }

    #[test]
    fn gradient_is_softmax_minus_one_hot() {
        let z = array![[1.0f32], [2.0], [3.0]];
        let mut g = z.clone();
        let loss = cross_entropy_grad(&z.view(), &[1], 0.5, &mut g.view_mut());
        let e: Vec<f64> = [1.0f64, 2.0, 3.0].iter().map(|v| v.exp()).collect();
        let s: f64 = e.iter().sum();
        assert_relative_eq!(loss, -(e[1] / s).ln(), epsilon = 1e-6);
        assert_relative_eq!(f64::from(g[[0, 0]]), 0.5 * e[0] / s, epsilon = 1e-6);
        assert_relative_eq!(f64::from(g[[1, 0]]), 0.5 * (e[1] / s - 1.0), epsilon = 1e-6);
        assert_relative_eq!(f64::from(g[[2, 0]]), 0.5 * e[2] / s, epsilon = 1e-6);
    }
}
