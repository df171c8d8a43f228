//! The hidden pre-activation update: element-wise closed form for ReLU.
//!
//! For `l < L` the update minimises `γ ‖a_l - relu(z)‖² + β ‖z - m_l‖²` with
//! `m_l = W_l a_{l-1} + b_l`. Element by element the objective is convex on each half-line:
//! on `z ≥ 0` it is `γ (a - z)² + β (z - m)²`, minimised at `max((γ a + β m)/(γ + β), 0)`; on
//! `z ≤ 0` it is `γ a² + β (z - m)²`, minimised at `min(m, 0)`. The update keeps the candidate
//! with the smaller objective (ties go to the non-positive one).

use ndarray::{ArrayView1, ArrayView2, ArrayViewMut2, Axis, Zip};
use rayon::prelude::*;

use crate::reduce::{BLOCK_COLUMNS, sum_in_order};

/// The minimiser over `z` of `γ (a - max(z, 0))² + β (z - m)²`.
pub fn relu_z(m: f32, a: f32, beta: f32, gamma: f32) -> f32 {
    let objective = |z: f32| {
        let r = a - z.max(0.0);
        let d = z - m;
        gamma * r * r + beta * d * d
    };
    let positive = ((gamma * a + beta * m) / (gamma + beta)).max(0.0);
    let non_positive = m.min(0.0);
    if objective(positive) < objective(non_positive) {
        positive
    } else {
        non_positive
    }
}

/// Sums over one hidden layer after its update, and which inputs were not finite.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct HiddenSums {
    /// `‖z_l - m_l‖²`.
    pub(crate) residual: f64,
    /// `‖a_l - relu(z_l)‖²`.
    pub(crate) activation_residual: f64,
    /// Some entry of `a_l` was not finite.
    pub(crate) non_finite_a: bool,
    /// Some entry of `m_l` (hence of `z_l`) was not finite.
    pub(crate) non_finite_m: bool,
}

/// Overwrites `z` with the closed form given `product = W_l a_{l-1}` (the bias is added here)
/// and `a = a_l`, and returns the layer's residuals at the new `z`, in one parallel pass.
pub(crate) fn update_hidden_z(
    z: &mut ArrayViewMut2<'_, f32>,
    product: &ArrayView2<'_, f32>,
    bias: &ArrayView1<'_, f32>,
    a: &ArrayView2<'_, f32>,
    beta: f32,
    gamma: f32,
) -> HiddenSums {
    let parts: Vec<[f64; 4]> = z
        .axis_chunks_iter_mut(Axis(1), BLOCK_COLUMNS)
        .into_par_iter()
        .zip(product.axis_chunks_iter(Axis(1), BLOCK_COLUMNS))
        .zip(a.axis_chunks_iter(Axis(1), BLOCK_COLUMNS))
        .map(|((mut z, product), a)| {
            let (mut residual, mut activation, mut bad_a, mut bad_m) = (0.0f64, 0.0f64, 0.0, 0.0);
            for ((mut z, product), a) in z.columns_mut().into_iter().zip(product.columns()).zip(a.columns()) {
                Zip::from(&mut z)
                    .and(&product)
                    .and(&a)
                    .and(bias)
                    .for_each(|z, &p, &a, &b| {
                        let m = p + b;
                        let new = relu_z(m, a, beta, gamma);
                        *z = new;
                        let d = f64::from(new - m);
                        let r = f64::from(a - new.max(0.0));
                        residual += d * d;
                        activation += r * r;
                        if !a.is_finite() {
                            bad_a = 1.0;
                        }
                        if !m.is_finite() {
                            bad_m = 1.0;
                        }
                    });
            }
            [residual, activation, bad_a, bad_m]
        })
        .collect();
    let [residual, activation_residual, bad_a, bad_m] = sum_in_order(&parts);
    HiddenSums {
        residual,
        activation_residual,
        non_finite_a: bad_a > 0.0,
        non_finite_m: bad_m > 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2, ShapeBuilder};

    /// The closed form against brute force on a fine grid of `z`.
    #[test]
    fn closed_form_matches_grid_search() {
        let grid: Vec<f32> = (-4000..=4000).map(|k| k as f32 * 1e-3).collect();
        for &(beta, gamma) in &[(1.0f32, 10.0f32), (1.0, 1.0), (3.0, 0.5)] {
            for m in [-2.0f32, -0.3, 0.0, 0.4, 1.7] {
                for a in [-1.0f32, 0.0, 0.2, 0.9, 2.5] {
                    let objective = |z: f32| {
                        let r = f64::from(a - z.max(0.0));
                        let d = f64::from(z - m);
                        f64::from(gamma) * r * r + f64::from(beta) * d * d
                    };
                    let best_grid = grid.iter().map(|&z| objective(z)).fold(f64::INFINITY, f64::min);
                    let z = relu_z(m, a, beta, gamma);
                    assert!(
                        objective(z) <= best_grid + 1e-6,
                        "beta {beta} gamma {gamma} m {m} a {a}: z {z} gives {} > {best_grid}",
                        objective(z)
                    );
                }
            }
        }
    }

    #[test]
    fn pass_adds_the_bias_and_reports_residuals() {
        let (n, samples) = (3, 600);
        let product = Array2::from_shape_fn((n, samples).f(), |(i, j)| {
            (i as f32 - 1.0) * 0.5 + (j % 7) as f32 * 0.1 - 0.3
        });
        let a = Array2::from_shape_fn((n, samples).f(), |(i, j)| ((i + j) % 5) as f32 * 0.3);
        let bias = Array1::from(vec![0.1f32, -0.2, 0.3]);
        let mut z = Array2::zeros((n, samples).f());
        let sums = update_hidden_z(&mut z.view_mut(), &product.view(), &bias.view(), &a.view(), 1.0, 10.0);
        let (mut residual, mut activation) = (0.0f64, 0.0f64);
        for ((i, j), &zij) in z.indexed_iter() {
            let m = product[[i, j]] + bias[i];
            assert_eq!(zij, relu_z(m, a[[i, j]], 1.0, 10.0));
            residual += f64::from(zij - m).powi(2);
            activation += f64::from(a[[i, j]] - zij.max(0.0)).powi(2);
        }
        assert!((sums.residual - residual).abs() < 1e-9 * residual.max(1.0));
        assert!((sums.activation_residual - activation).abs() < 1e-9 * activation.max(1.0));
        assert!(!sums.non_finite_a && !sums.non_finite_m);
    }
}
