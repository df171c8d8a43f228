//! The activation update: the exact minimiser of
//! `β ‖z_{l+1} - W_{l+1} a - b_{l+1}‖² + γ ‖a - relu(z_l)‖²` over `a = a_l`.
//!
//! Its normal equations are `(β Wᵀ W + γ I) a = β Wᵀ (z_{l+1} - b_{l+1}) + γ h` with
//! `W = W_{l+1}` (`n' × n`) and `h = relu(z_l)`. Two equivalent Cholesky-based forms are used,
//! whichever is cheaper:
//!
//! - **primal**: factorise the `n × n` matrix `β Wᵀ W + γ I` and solve for all `N` columns,
//!   `≈ 2 n n' N + 2 n² N` flops with the right-hand side `Wᵀ z_{l+1}`;
//! - **dual**: the solution is `a = h + Wᵀ c` with `(γ I + β W Wᵀ) c = β (z_{l+1} - b_{l+1} - W h)`,
//!   an `n' × n'` system, `≈ 4 n n' N + 2 n'² N` flops.
//!
//! The dual form is cheaper when `n' (n + n') < n²`, i.e. `n' < 0.62 n`: the last hidden layer
//! before 10 classes. Factorisations (`n³/3` flops) are negligible against the `N` columns.
//!
//! The dual form follows from the optimality condition `γ (a - h) = β Wᵀ (z - b - W a)`: `a - h`
//! lies in the range of `Wᵀ`. Neither form forms an inverse.

use faer::Mat;
use ndarray::{ArrayView2, ArrayViewMut2, Axis, Zip, s};
use optim_core::Dense;
use optim_core::linalg::{gemm, zeros};

use crate::cholesky::{Cholesky, NotPositiveDefinite};

/// Which linear system the update solves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `(β Wᵀ W + γ I) a = rhs`, order `n`.
    Primal,
    /// `(γ I + β W Wᵀ) c = rhs`, order `n'`, then `a = h + Wᵀ c`.
    Dual,
}

impl Form {
    /// The cheaper form for a layer of width `n` followed by one of width `n_next`.
    pub(crate) fn cheaper(n: usize, n_next: usize) -> Self {
        if n_next * (n + n_next) < n * n {
            Form::Dual
        } else {
            Form::Primal
        }
    }
}

/// Overwrites `a` (`n × N`) with the minimiser, given `z = z_l`, `z_next = z_{l+1}`, the next
/// layer's `W_{l+1}, b_{l+1}` and a `scratch` of at least `n'` rows and `N` columns.
/// `(beta, gamma)` weigh the next layer's constraint and this activation's.
pub(crate) fn update_activation(
    a: &mut ArrayViewMut2<'_, f32>,
    z: &ArrayView2<'_, f32>,
    z_next: &ArrayView2<'_, f32>,
    next: &Dense,
    (beta, gamma): (f32, f32),
    scratch: &mut ArrayViewMut2<'_, f32>,
    form: Form,
) -> Result<(), NotPositiveDefinite> {
    let w = next.weight.view();
    let (n_next, n) = w.dim();
    assert_eq!(a.nrows(), n, "a_l rows");
    assert_eq!(z_next.nrows(), n_next, "z_(l+1) rows");
    let (beta64, gamma64) = (f64::from(beta), f64::from(gamma));
    match form {
        Form::Primal => {
            let mut wtw = zeros(n, n);
            gemm(0.0, &mut wtw.view_mut(), 1.0, &w.t(), &w);
            let system = Mat::from_fn(n, n, |i, j| {
                beta64 * f64::from(wtw[[i, j]]) + if i == j { gamma64 } else { 0.0 }
            });
            let factor = Cholesky::factor(system)?.to_f32();
            let mut wtb = zeros(n, 1);
            let bias = next.bias.view().insert_axis(Axis(1));
            gemm(0.0, &mut wtb.view_mut(), 1.0, &w.t(), &bias);
            let wtb = wtb.column(0);
            gemm(0.0, a, beta, &w.t(), z_next);
            Zip::from(a.columns_mut()).and(z.columns()).par_for_each(|mut a, z| {
                Zip::from(&mut a)
                    .and(&z)
                    .and(&wtb)
                    .for_each(|a, &z, &wtb| *a += gamma * z.max(0.0) - beta * wtb);
            });
            factor.solve_in_place(a);
        }
        Form::Dual => {
            let mut wwt = zeros(n_next, n_next);
            gemm(0.0, &mut wwt.view_mut(), 1.0, &w, &w.t());
            let system = Mat::from_fn(n_next, n_next, |i, j| {
                beta64 * f64::from(wwt[[i, j]]) + if i == j { gamma64 } else { 0.0 }
            });
            let factor = Cholesky::factor(system)?.to_f32();
            Zip::from(&mut *a).and(z).par_for_each(|a, &z| *a = z.max(0.0));
            let mut c = scratch.slice_mut(s![..n_next, ..]);
            gemm(0.0, &mut c, 1.0, &w, &a.view());
            Zip::from(c.columns_mut())
                .and(z_next.columns())
                .par_for_each(|mut c, z| {
                    Zip::from(&mut c)
                        .and(&z)
                        .and(&next.bias)
                        .for_each(|c, &z, &b| *c = beta * (z - b - *c));
                });
            factor.solve_in_place(&mut c);
            gemm(1.0, a, 1.0, &w.t(), &c.view());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::random;
    use ndarray::Array2;

    struct Problem {
        z: Array2<f32>,
        z_next: Array2<f32>,
        next: Dense,
        beta: f32,
        gamma: f32,
    }

    impl Problem {
        fn new(n: usize, n_next: usize, samples: usize) -> Self {
            Self {
                z: random(n, samples, 11),
                z_next: random(n_next, samples, 12),
                next: Dense {
                    weight: random(n_next, n, 13),
                    bias: random(n_next, 1, 14).column(0).to_owned(),
                },
                beta: 1.5,
                gamma: 10.0,
            }
        }

        fn solve(&self, form: Form) -> Array2<f32> {
            let (n, samples) = self.z.dim();
            let mut a = zeros(n, samples);
            let mut scratch = zeros(n.max(self.z_next.nrows()), samples);
            update_activation(
                &mut a.view_mut(),
                &self.z.view(),
                &self.z_next.view(),
                &self.next,
                (self.beta, self.gamma),
                &mut scratch.view_mut(),
                form,
            )
            .unwrap();
            a
        }

        /// `β ‖z' - W a - b‖² + γ ‖a - relu(z)‖²` in f64.
        fn objective(&self, a: &Array2<f32>) -> f64 {
            let w = &self.next.weight;
            let mut total = 0.0;
            for j in 0..a.ncols() {
                for o in 0..w.nrows() {
                    let mut r = f64::from(self.z_next[[o, j]]) - f64::from(self.next.bias[o]);
                    for i in 0..a.nrows() {
                        r -= f64::from(w[[o, i]]) * f64::from(a[[i, j]]);
                    }
                    total += f64::from(self.beta) * r * r;
                }
                for i in 0..a.nrows() {
                    let d = f64::from(a[[i, j]]) - f64::from(self.z[[i, j]].max(0.0));
                    total += f64::from(self.gamma) * d * d;
                }
            }
            total
        }

        /// Relative residual of the normal equations at `a`, in f64.
        fn system_residual(&self, a: &Array2<f32>) -> f64 {
            let w = &self.next.weight;
            let (beta, gamma) = (f64::from(self.beta), f64::from(self.gamma));
            let (mut res, mut scale) = (0.0f64, 0.0f64);
            for j in 0..a.ncols() {
                // Wa - (z' - b), then Wᵀ of it.
                let r: Vec<f64> = (0..w.nrows())
                    .map(|o| {
                        (0..a.nrows())
                            .map(|i| f64::from(w[[o, i]]) * f64::from(a[[i, j]]))
                            .sum::<f64>()
                            - f64::from(self.z_next[[o, j]])
                            + f64::from(self.next.bias[o])
                    })
                    .collect();
                for i in 0..a.nrows() {
                    let wtr: f64 = (0..w.nrows()).map(|o| f64::from(w[[o, i]]) * r[o]).sum();
                    let h = f64::from(self.z[[i, j]].max(0.0));
                    let g = beta * wtr + gamma * (f64::from(a[[i, j]]) - h);
                    res += g * g;
                    scale += (gamma * h).powi(2);
                }
            }
            (res / scale).sqrt()
        }
    }

    #[test]
    fn both_forms_solve_the_normal_equations_and_minimise() {
        for (n, n_next) in [(6, 9), (6, 3), (5, 5)] {
            let p = Problem::new(n, n_next, 40);
            let primal = p.solve(Form::Primal);
            let dual = p.solve(Form::Dual);
            for a in [&primal, &dual] {
                let r = p.system_residual(a);
                assert!(r < 1e-5, "({n}, {n_next}): residual {r}");
            }
            for (x, y) in primal.iter().zip(&dual) {
                assert!((x - y).abs() < 1e-4 * (1.0 + x.abs()), "{x} vs {y}");
            }
            let best = p.objective(&primal);
            for (i, j) in [(0, 0), (n - 1, 7), (2, 39)] {
                for delta in [1e-2f32, -1e-2] {
                    let mut moved = primal.clone();
                    moved[[i, j]] += delta;
                    assert!(p.objective(&moved) > best, "({n}, {n_next}) at ({i}, {j})");
                }
            }
        }
    }

    #[test]
    fn the_dual_form_is_chosen_only_when_the_next_layer_is_much_narrower() {
        assert_eq!(Form::cheaper(1000, 10), Form::Dual);
        assert_eq!(Form::cheaper(1000, 600), Form::Dual);
        assert_eq!(Form::cheaper(1000, 700), Form::Primal);
        assert_eq!(Form::cheaper(1000, 1000), Form::Primal);
        assert_eq!(Form::cheaper(200, 400), Form::Primal);
    }
}
