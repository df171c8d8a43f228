//! The penalised objective that the method decreases, term by term.
//!
//! Taylor et al.'s formulation, with the ridge of the weight updates as the regulariser
//! (`m_l = W_l a_{l-1} + b_l`, `a_0 = x`, `W̃_l = [W_l b_l]`, `ε = ridge · N`):
//!
//! ```text
//! ℓ(z_L; y) + ⟨z_L, λ⟩ + β ‖z_L - m_L‖²
//!   + Σ_{l<L} ( γ ‖a_l - relu(z_l)‖² + β ‖z_l - m_l‖² )
//!   + β ε Σ_l ‖W̃_l‖²
//! ```
//!
//! With `λ` fixed every block update is its exact minimiser over that block (up to the FISTA
//! tolerance for cross-entropy), so it cannot increase during the warm start.

use ndarray::Array2;
use optim_core::linalg::{gemm, zeros};
use optim_core::loss::cross_entropy_sum;
use optim_core::{Dataset, Mlp, Result};

use crate::config::{AdmmConfig, OutputLoss};
use crate::state::AdmmState;
use crate::z_output::hinge_loss;

/// The terms of the penalised objective, unweighted.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ObjectiveTerms {
    /// `ℓ(z_L; y)`, summed over samples (and classes for the hinge).
    pub output_loss: f64,
    /// `⟨z_L, λ⟩`.
    pub multiplier: f64,
    /// `‖z_L - W_L a_{L-1} - b_L‖²`.
    pub output_residual: f64,
    /// `Σ_{l<L} ‖z_l - W_l a_{l-1} - b_l‖²`.
    pub hidden_residual: f64,
    /// `Σ_{l<L} ‖a_l - relu(z_l)‖²`.
    pub activation_residual: f64,
    /// `Σ_l (‖W_l‖² + ‖b_l‖²)`.
    pub weight_norm: f64,
}

impl ObjectiveTerms {
    /// The weighted sum: `ℓ + ⟨z_L, λ⟩ + β (output_residual + hidden_residual + ε weight_norm)
    /// + γ activation_residual`, with `ε = ridge · samples`.
    pub fn penalised(&self, config: &AdmmConfig, samples: usize) -> f64 {
        let beta = f64::from(config.beta);
        let gamma = f64::from(config.gamma);
        self.output_loss
            + self.multiplier
            + beta * (self.output_residual + self.hidden_residual + config.ridge_weight(samples) * self.weight_norm)
            + gamma * self.activation_residual
    }
}

/// `Σ_l (‖W_l‖² + ‖b_l‖²)` in f64.
pub fn weight_norm(model: &Mlp) -> f64 {
    model
        .tensors()
        .iter()
        .flat_map(|t| t.iter())
        .map(|&v| f64::from(v) * f64::from(v))
        .sum()
}

/// Recomputes every term from `state`, `model` and `train` (products included), sequentially
/// and in f64: an independent check of the values the optimizer reports.
pub fn evaluate_objective(
    config: &AdmmConfig,
    model: &Mlp,
    train: &Dataset,
    state: &AdmmState,
) -> Result<ObjectiveTerms> {
    state.check_shapes(&model.widths(), train.len())?;
    let depth = model.depth();
    let mut terms = ObjectiveTerms {
        weight_norm: weight_norm(model),
        ..Default::default()
    };
    for (l, layer) in model.layers.iter().enumerate() {
        let input = if l == 0 {
            train.features.view()
        } else {
            state.a[l - 1].view()
        };
        let mut m: Array2<f32> = zeros(layer.weight.nrows(), train.len());
        gemm(0.0, &mut m.view_mut(), 1.0, &layer.weight.view(), &input);
        let z = &state.z[l];
        let residual: f64 = z
            .indexed_iter()
            .map(|((i, j), &zij)| (f64::from(zij) - f64::from(m[[i, j]]) - f64::from(layer.bias[i])).powi(2))
            .sum();
        if l + 1 < depth {
            terms.hidden_residual += residual;
            terms.activation_residual += state.a[l]
                .iter()
                .zip(z)
                .map(|(&a, &z)| (f64::from(a) - f64::from(z.max(0.0))).powi(2))
                .sum::<f64>();
        } else {
            terms.output_residual = residual;
            terms.multiplier = z
                .iter()
                .zip(&state.lambda)
                .map(|(&z, &lam)| f64::from(z) * f64::from(lam))
                .sum();
            terms.output_loss = match config.loss {
                OutputLoss::CrossEntropy => cross_entropy_sum(&z.view(), &train.labels),
                OutputLoss::Hinge => z
                    .indexed_iter()
                    .map(|((c, j), &v)| f64::from(hinge_loss(v, c == train.labels[j] as usize)))
                    .sum(),
            };
        }
    }
    Ok(terms)
}
