//! The weight update: ridge-regularised least squares, with the bias as the weight of a
//! constant input row.
//!
//! With `ã = [a_{l-1}; 1ᵀ]` (`n + 1` rows) and `W̃ = [W_l b_l]`, the update minimises
//! `‖z_l - W̃ ã‖² + ε ‖W̃‖²` (times `β`, which does not move the minimiser) by solving the
//! normal equations `(ã ãᵀ + ε I) W̃ᵀ = ã z_lᵀ` with a Cholesky factorisation; no inverse is
//! formed. The constant row is never stored: `ã ãᵀ` is assembled from `a aᵀ`, the row sums
//! `a 1` and `N`, and `ã zᵀ` from `a zᵀ` and `z 1`.

use faer::Mat;
use ndarray::ArrayView2;
use optim_core::Dense;
use optim_core::linalg::{gemm, zeros};

use crate::cholesky::{Cholesky, NotPositiveDefinite};

/// Factorises `ã ãᵀ + ε I` for the augmented `input` (`n × N`); `ones` is an `N × 1` column
/// of ones and `ridge` is `ε`.
pub(crate) fn factor_gram(
    input: &ArrayView2<'_, f32>,
    ones: &ArrayView2<'_, f32>,
    ridge: f64,
) -> Result<Cholesky, NotPositiveDefinite> {
    let (n, samples) = input.dim();
    let mut gram = zeros(n, n);
    gemm(0.0, &mut gram.view_mut(), 1.0, input, &input.t());
    let mut row_sums = zeros(n, 1);
    gemm(0.0, &mut row_sums.view_mut(), 1.0, input, ones);
    let augmented = Mat::from_fn(n + 1, n + 1, |i, j| {
        let value = match (i < n, j < n) {
            (true, true) => f64::from(gram[[i, j]]),
            (true, false) => f64::from(row_sums[[i, 0]]),
            (false, true) => f64::from(row_sums[[j, 0]]),
            (false, false) => samples as f64,
        };
        if i == j { value + ridge } else { value }
    });
    Cholesky::factor(augmented)
}

/// The solution was not finite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NonFiniteWeights;

/// Solves for `[W b]` given the factor of [`factor_gram`] for `input` and the targets `z`
/// (`n_out × N`), and writes them into `layer`.
pub(crate) fn solve_weights(
    factor: &Cholesky,
    input: &ArrayView2<'_, f32>,
    z: &ArrayView2<'_, f32>,
    ones: &ArrayView2<'_, f32>,
    layer: &mut Dense,
) -> Result<(), NonFiniteWeights> {
    let n = input.nrows();
    let n_out = z.nrows();
    assert_eq!(factor.dim(), n + 1, "factor of the augmented input");
    assert_eq!(layer.weight.dim(), (n_out, n), "layer shape");
    let mut cross = zeros(n, n_out);
    gemm(0.0, &mut cross.view_mut(), 1.0, input, &z.t());
    let mut target_sums = zeros(n_out, 1);
    gemm(0.0, &mut target_sums.view_mut(), 1.0, z, ones);
    let mut solution = Mat::from_fn(n + 1, n_out, |i, o| {
        f64::from(if i < n { cross[[i, o]] } else { target_sums[[o, 0]] })
    });
    factor.solve_in_place(solution.as_mut());
    for o in 0..n_out {
        for i in 0..=n {
            if !solution[(i, o)].is_finite() {
                return Err(NonFiniteWeights);
            }
        }
    }
    // The weight matrix is column-major: walk it column by column.
    for i in 0..n {
        for o in 0..n_out {
            layer.weight[[o, i]] = solution[(i, o)] as f32;
        }
    }
    for o in 0..n_out {
        layer.bias[o] = solution[(n, o)] as f32;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::random;
    use ndarray::{Array1, Array2, ShapeBuilder};

    /// `‖z - W a - b 1ᵀ‖² + ε (‖W‖² + ‖b‖²)` and its gradient in `[W b]`, in f64.
    fn objective_and_gradient(a: &Array2<f32>, z: &Array2<f32>, layer: &Dense, ridge: f64) -> (f64, Array2<f64>) {
        let (n, samples) = a.dim();
        let n_out = z.nrows();
        let mut value = 0.0;
        let mut grad = Array2::<f64>::zeros((n_out, n + 1));
        for j in 0..samples {
            for o in 0..n_out {
                let mut pred = f64::from(layer.bias[o]);
                for i in 0..n {
                    pred += f64::from(layer.weight[[o, i]]) * f64::from(a[[i, j]]);
                }
                let r = pred - f64::from(z[[o, j]]);
                value += r * r;
                for i in 0..n {
                    grad[[o, i]] += 2.0 * r * f64::from(a[[i, j]]);
                }
                grad[[o, n]] += 2.0 * r;
            }
        }
        for o in 0..n_out {
            for i in 0..n {
                let w = f64::from(layer.weight[[o, i]]);
                value += ridge * w * w;
                grad[[o, i]] += 2.0 * ridge * w;
            }
            let b = f64::from(layer.bias[o]);
            value += ridge * b * b;
            grad[[o, n]] += 2.0 * ridge * b;
        }
        (value, grad)
    }

    #[test]
    fn least_squares_gradient_vanishes_at_the_solution() {
        let (n, n_out, samples) = (6, 4, 50);
        let mut a = random(n, samples, 1);
        // A rank-deficient input row (an always-black pixel) and a shifted one.
        a.row_mut(2).fill(0.0);
        a.row_mut(4).mapv_inplace(|v| v + 3.0);
        let z = random(n_out, samples, 2);
        let ones = Array2::from_elem((samples, 1), 1.0f32);
        let ridge = 1e-3;
        let factor = factor_gram(&a.view(), &ones.view(), ridge).unwrap();
        let mut layer = Dense {
            weight: Array2::zeros((n_out, n).f()),
            bias: Array1::zeros(n_out),
        };
        solve_weights(&factor, &a.view(), &z.view(), &ones.view(), &mut layer).unwrap();
        let (value, grad) = objective_and_gradient(&a, &z, &layer, ridge);
        let grad_norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
        // Scale: the gradient's size at W = 0.
        let zero = Dense {
            weight: Array2::zeros((n_out, n).f()),
            bias: Array1::zeros(n_out),
        };
        let (_, grad0) = objective_and_gradient(&a, &z, &zero, ridge);
        let scale = grad0.iter().map(|g| g * g).sum::<f64>().sqrt();
        assert!(grad_norm < 1e-5 * scale, "gradient {grad_norm} vs {scale}");
        // The ridge zeroes the weights of the dead input.
        assert!(layer.weight.column(2).iter().all(|&w| w.abs() < 1e-6));
        // And perturbing any entry increases the objective.
        for (o, i) in [(0, 0), (3, 5), (1, 4)] {
            for delta in [1e-2f32, -1e-2] {
                let mut moved = layer.clone();
                moved.weight[[o, i]] += delta;
                assert!(objective_and_gradient(&a, &z, &moved, ridge).0 > value);
            }
        }
        let mut moved = layer.clone();
        moved.bias[2] += 1e-2;
        assert!(objective_and_gradient(&a, &z, &moved, ridge).0 > value);
    }

    #[test]
    fn exact_fit_is_recovered() {
        let (n, n_out, samples) = (5, 3, 40);
        let a = random(n, samples, 3);
        let w = random(n_out, n, 4);
        let b = Array1::from(vec![0.5f32, -1.0, 2.0]);
        let mut z = zeros(n_out, samples);
        gemm(0.0, &mut z.view_mut(), 1.0, &w.view(), &a.view());
        z.columns_mut()
            .into_iter()
            .for_each(|mut c| c.zip_mut_with(&b, |z, b| *z += b));
        let ones = Array2::from_elem((samples, 1), 1.0f32);
        let factor = factor_gram(&a.view(), &ones.view(), 1e-9).unwrap();
        let mut layer = Dense {
            weight: Array2::zeros((n_out, n).f()),
            bias: Array1::zeros(n_out),
        };
        solve_weights(&factor, &a.view(), &z.view(), &ones.view(), &mut layer).unwrap();
        for (x, y) in layer.weight.iter().zip(&w) {
            assert!((x - y).abs() < 1e-4, "{x} vs {y}");
        }
        for (x, y) in layer.bias.iter().zip(&b) {
            assert!((x - y).abs() < 1e-4, "{x} vs {y}");
        }
    }
}
