//! The `W_l` subproblem: one linearised gradient step with backtracking (docs/dladmm.md#w-update).
//!
//! With `e_l = W_l a_{l-1} + b_l - z_l (- u / rho for l = L)` and penalty `c` (`nu`, or `rho`
//! for the last layer), `phi(W) = c/2 ||e_l||^2`, its gradient is `G = c e_l a_{l-1}^T` and
//! its curvature along `G` is `c ||G a_{l-1}||^2`; the step is `W - G / alpha` with `alpha`
//! from [`crate::backtracking`].
//!
//! Products (`p_l = n_l n_{l-1} N` multiply-adds): `G` costs `p_l`, `G a_{l-1}` costs `p_l`;
//! the carried `m_l = W_l a_{l-1}` then follows without a product
//! (`m_new = m - G a_{l-1} / alpha`, see [`Carry`]).
//!
//! The first layer's two steps (the last of the backward sweep and the first of the forward
//! sweep, with nothing in between) share one product `e_1 X^T` through the input Gram
//! matrix `X X^T`, see [`input_layer_pair`].

use ndarray::{Array2, ArrayView2};
use optim_core::linalg::gemm;
use optim_core::{OptimError, Result};

use crate::backtracking::{Outcome, StepRule};
use admm_kernels::{
    Scratch, frobenius_product, residual_in_place, small_squared_norm, squared_norm, storage_mut, subtract_scaled,
    subtract_scaled_pair,
};

/// What follows a `W_l` step besides the carried product `m_l <- m_l - G a_{l-1} / alpha`
/// (no product either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carry {
    /// The residual in the scratch buffer follows too: the next subproblem, `a_{l-1}` in
    /// the backward sweep, reads it.
    WithResidual,
    /// Only `m_l`: in the forward sweep the next subproblem forms its own residual.
    ProductOnly,
}

/// A layer's weights with what a step on them changes alongside: the gradient buffer and
/// the carried product `m_l = W_l a_{l-1}`.
pub(crate) struct WeightBlock<'a> {
    /// `W_l`.
    pub weight: &'a mut Array2<f32>,
    /// Receives the gradient of `W_l`.
    pub grad: &'a mut Array2<f32>,
    /// `m_l = W_l a_{l-1}`, kept equal to it.
    pub m: &'a mut Array2<f32>,
}

/// One backtracked gradient step on `W_l` (`l >= 2`, or the last layer).
///
/// On entry `residual` holds `e_l` (rows `n_l`). `product` receives `G a_{l-1}`. With
/// [`Carry::WithResidual`], `residual` holds `e_l` at the new `W_l` on exit.
pub(crate) fn w_step(
    block: WeightBlock<'_>,
    input: &ArrayView2<'_, f32>,
    residual: &mut Scratch,
    product: &mut Scratch,
    rule: StepRule<'_>,
    carry: Carry,
) -> Result<Outcome> {
    let WeightBlock { weight, grad, m } = block;
    let StepRule { penalty, search, name } = rule;
    let rows = weight.nrows();
    gemm(
        0.0,
        &mut grad.view_mut(),
        penalty as f32,
        &residual.view(rows),
        &input.t(),
    );
    gemm(0.0, &mut product.view_mut(rows), 1.0, &grad.view(), input);
    let grad_sq = small_squared_norm(grad);
    let product_sq = squared_norm(product.slice(rows), rows);
    if !(grad_sq.is_finite() && product_sq.is_finite()) {
        return Err(OptimError::NonFinite { what: name.into() });
    }
    let outcome = search.search(grad_sq, penalty * product_sq);
    if let Some(alpha) = outcome.step {
        let step = (1.0 / alpha) as f32;
        weight.scaled_add(-step, grad);
        match carry {
            Carry::WithResidual => subtract_scaled_pair(
                (storage_mut(m), product.slice(rows), rows),
                (residual.slice_mut(rows), product.slice(rows), rows),
                step,
            ),
            Carry::ProductOnly => subtract_scaled(storage_mut(m), product.slice(rows), rows, step),
        }
    }
    Ok(outcome)
}

/// The two consecutive `W_1` steps (backward, then forward) from one product `e_1 X^T`.
///
/// With the input Gram matrix `S = X X^T` (computed once per run):
/// `G_1 = nu e_1 X^T`; its curvature `nu ||G_1 X||^2 = nu tr(G_1 S G_1^T)`; after the step
/// `W - G_1 / alpha_1` the residual is `e_1 - G_1 X / alpha_1`, so the second gradient is
/// `G_2 = G_1 - (nu / alpha_1) G_1 S` with curvature `nu tr(G_2 S G_2^T)`. Only `S`-sized
/// products (`n_1 n_0^2` each) on top of `e_1 X^T`; then `m_1 = W_1 X` is recomputed (the
/// carried `m_1` holds `e_1` meanwhile, so no scratch is used). Products: `2 p_1` for both
/// steps instead of `4 p_1`.
pub(crate) fn input_layer_pair(
    block: WeightBlock<'_>,
    gram_product: &mut Array2<f32>,
    x: &ArrayView2<'_, f32>,
    gram: &Array2<f32>,
    b: &[f32],
    z: &[f32],
    rule: StepRule<'_>,
) -> Result<[Outcome; 2]> {
    let WeightBlock { weight, grad, m } = block;
    let StepRule { penalty, search, name } = rule;
    residual_in_place(storage_mut(m), b, z);
    gemm(0.0, &mut grad.view_mut(), penalty as f32, &m.view(), &x.t());
    let mut outcomes = [Outcome { step: None, trials: 0 }; 2];
    for k in 0..2 {
        if k == 1 {
            // G_2 = G_1 - (nu / alpha_1) G_1 S, from the G_1 S of the first step.
            if let Some(alpha) = outcomes[0].step {
                grad.scaled_add(-(penalty / alpha) as f32, gram_product);
            }
        }
        gemm(0.0, &mut gram_product.view_mut(), 1.0, &grad.view(), &gram.view());
        let grad_sq = small_squared_norm(grad);
        let curvature = penalty * frobenius_product(gram_product, grad);
        if !(grad_sq.is_finite() && curvature.is_finite()) {
            return Err(OptimError::NonFinite { what: name.into() });
        }
        outcomes[k] = search.search(grad_sq, curvature);
        if let Some(alpha) = outcomes[k].step {
            weight.scaled_add(-(1.0 / alpha) as f32, grad);
        }
    }
    gemm(0.0, &mut m.view_mut(), 1.0, &weight.view(), x);
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{random_matrix, rng};
    use admm_kernels::storage;
    use ndarray::{Array1, ShapeBuilder};
    use optim_core::linalg::matmul;

    use crate::backtracking::Backtracking;

    fn rule(penalty: f64, search: &Backtracking) -> StepRule<'_> {
        StepRule {
            penalty,
            search,
            name: "W_2",
        }
    }

    /// `phi(W) = c/2 ||W a + b - z - shift||^2` and its gradient, directly in f64.
    fn phi_and_grad(
        w: &Array2<f32>,
        a: &Array2<f32>,
        b: &Array1<f32>,
        z: &Array2<f32>,
        shift: &Array2<f32>,
        c: f64,
    ) -> (f64, Array2<f64>) {
        let w = w.mapv(f64::from);
        let a = a.mapv(f64::from);
        let mut e = w.dot(&a);
        for (j, mut col) in e.columns_mut().into_iter().enumerate() {
            for (i, v) in col.iter_mut().enumerate() {
                *v += f64::from(b[i]) - f64::from(z[[i, j]]) - f64::from(shift[[i, j]]);
            }
        }
        let value = c / 2.0 * e.iter().map(|v| v * v).sum::<f64>();
        (value, e.dot(&a.t()) * c)
    }

    struct Layer {
        w: Array2<f32>,
        a: Array2<f32>,
        b: Array1<f32>,
        z: Array2<f32>,
    }

    fn layer(seed: u64, rows: usize, fan_in: usize, cols: usize) -> Layer {
        let mut r = rng(seed);
        Layer {
            w: random_matrix(&mut r, rows, fan_in, 0.5),
            a: random_matrix(&mut r, fan_in, cols, 1.0).mapv(|v| v.max(0.0)),
            b: random_matrix(&mut r, rows, 1, 0.3).column(0).to_owned(),
            z: random_matrix(&mut r, rows, cols, 1.0),
        }
    }

    fn residual_buffer(l: &Layer) -> (Array2<f32>, Scratch) {
        let m = matmul(&l.w.view(), &l.a.view());
        let mut s = Scratch::new(l.w.nrows(), l.a.ncols());
        admm_kernels::residual_into(
            s.slice_mut(l.w.nrows()),
            storage(&m),
            l.b.as_slice().unwrap(),
            storage(&l.z),
            None,
        );
        (m, s)
    }

    /// The step satisfies the reference acceptance test, checked on `phi` evaluated
    /// directly, and its trial count equals that of the literal loop evaluating `phi`.
    #[test]
    fn step_decreases_phi_and_counts_trials_like_the_literal_loop() {
        let zero = Array2::zeros((6, 40).f());
        for (seed, start, c) in [(1u64, 1.0f64, 1.0f64), (2, 1e-3, 1.0), (3, 1.0, 1e-3), (4, 50.0, 2.0)] {
            let mut l = layer(seed, 6, 5, 40);
            let (mut m, mut e) = residual_buffer(&l);
            let (before, g) = phi_and_grad(&l.w, &l.a, &l.b, &l.z, &zero, c);
            let grad_sq: f64 = g.iter().map(|v| v * v).sum();
            // The literal loop: evaluate phi at every candidate.
            let mut s = start;
            let mut literal = 1u32;
            loop {
                let cand = (&l.w.mapv(f64::from) - &(&g / s)).mapv(|v| v as f32);
                let (value, _) = phi_and_grad(&cand, &l.a, &l.b, &l.z, &zero, c);
                if value <= before - grad_sq / (2.0 * s) {
                    break;
                }
                s *= 2.0;
                literal += 1;
            }
            let search = Backtracking {
                start,
                growth: 2.0,
                max_growths: 60,
            };
            let mut grad = Array2::zeros((6, 5).f());
            let mut product = Scratch::new(6, 40);
            let out = w_step(
                WeightBlock {
                    weight: &mut l.w,
                    grad: &mut grad,
                    m: &mut m,
                },
                &l.a.view(),
                &mut e,
                &mut product,
                rule(c, &search),
                Carry::WithResidual,
            )
            .unwrap();
            assert_eq!(out.trials, literal, "seed {seed}");
            let alpha = out.step.unwrap();
            let (after, _) = phi_and_grad(&l.w, &l.a, &l.b, &l.z, &zero, c);
            assert!(
                after <= before - grad_sq / (2.0 * alpha) + 1e-5 * before,
                "seed {seed}: {after} > {before} - {}",
                grad_sq / (2.0 * alpha)
            );
            // The carried product and residual follow the step.
            let fresh = matmul(&l.w.view(), &l.a.view());
            let scale = fresh.iter().fold(0.0f32, |s, v| s.max(v.abs()));
            assert!(m.iter().zip(&fresh).all(|(x, y)| (x - y).abs() <= 1e-4 * scale));
            let (check_m, check_e) = residual_buffer(&l);
            let _ = check_m;
            assert!(
                e.slice(6)
                    .iter()
                    .zip(check_e.slice(6))
                    .all(|(x, y)| (x - y).abs() <= 1e-4 * scale)
            );
        }
    }

    #[test]
    fn cap_leaves_the_block_unchanged() {
        let mut l = layer(5, 4, 3, 20);
        let (mut m, mut e) = residual_buffer(&l);
        let (w0, m0) = (l.w.clone(), m.clone());
        let search = Backtracking {
            start: 1e-12,
            growth: 2.0,
            max_growths: 3,
        };
        let out = w_step(
            WeightBlock {
                weight: &mut l.w,
                grad: &mut Array2::zeros((4, 3).f()),
                m: &mut m,
            },
            &l.a.view(),
            &mut e,
            &mut Scratch::new(4, 20),
            rule(1.0, &search),
            Carry::ProductOnly,
        )
        .unwrap();
        assert!(out.cap_hit());
        assert_eq!(out.trials, 4);
        assert_eq!(l.w, w0);
        assert_eq!(m, m0);
    }

    /// [`Carry::ProductOnly`] moves `m` exactly as [`Carry::WithResidual`] does and leaves
    /// the residual buffer alone.
    #[test]
    fn product_only_carry_moves_the_product_alone() {
        let search = Backtracking {
            start: 1.0,
            growth: 2.0,
            max_growths: 60,
        };
        let run = |carry| {
            let mut l = layer(9, 5, 4, 30);
            let (mut m, mut e) = residual_buffer(&l);
            let (mut grad, mut product) = (Array2::zeros((5, 4).f()), Scratch::new(5, 30));
            w_step(
                WeightBlock {
                    weight: &mut l.w,
                    grad: &mut grad,
                    m: &mut m,
                },
                &l.a.view(),
                &mut e,
                &mut product,
                rule(0.8, &search),
                carry,
            )
            .unwrap();
            (l, m, e.slice(5).to_vec())
        };
        let (with_l, with_m, with_e) = run(Carry::WithResidual);
        let (only_l, only_m, only_e) = run(Carry::ProductOnly);
        assert_eq!(only_l.w, with_l.w);
        assert_eq!(only_m, with_m);
        let (_, untouched) = residual_buffer(&layer(9, 5, 4, 30));
        assert_eq!(only_e, untouched.slice(5));
        assert_ne!(with_e, only_e);
    }

    /// Both `W_1` steps against the direct gradient and `phi` at each point.
    #[test]
    fn input_layer_pair_takes_two_exact_steps() {
        let mut l = layer(7, 5, 4, 60);
        let zero = Array2::zeros((5, 60).f());
        let c = 0.7;
        let x = l.a.clone();
        let gram = matmul(&x.view(), &x.t());
        let mut m = matmul(&l.w.view(), &x.view());
        let search = Backtracking {
            start: 1.0,
            growth: 2.0,
            max_growths: 60,
        };
        let (phi0, g1) = phi_and_grad(&l.w, &x, &l.b, &l.z, &zero, c);
        let w0 = l.w.clone();
        let mut grad = Array2::zeros((5, 4).f());
        let mut h = Array2::zeros((5, 4).f());
        let out = input_layer_pair(
            WeightBlock {
                weight: &mut l.w,
                grad: &mut grad,
                m: &mut m,
            },
            &mut h,
            &x.view(),
            &gram,
            l.b.as_slice().unwrap(),
            storage(&l.z),
            StepRule {
                penalty: c,
                search: &search,
                name: "W_1",
            },
        )
        .unwrap();
        let (a1, a2) = (out[0].step.unwrap(), out[1].step.unwrap());
        let g1_sq: f64 = g1.iter().map(|v| v * v).sum();
        let w_mid = (&w0.mapv(f64::from) - &(&g1 / a1)).mapv(|v| v as f32);
        let (phi1, g2) = phi_and_grad(&w_mid, &x, &l.b, &l.z, &zero, c);
        assert!(phi1 <= phi0 - g1_sq / (2.0 * a1) + 1e-5 * phi0);
        let g2_sq: f64 = g2.iter().map(|v| v * v).sum();
        let (phi2, _) = phi_and_grad(&l.w, &x, &l.b, &l.z, &zero, c);
        assert!(phi2 <= phi1 - g2_sq / (2.0 * a2) + 1e-5 * phi0);
        // The final weights are W0 - G1/a1 - G2/a2 with the directly computed gradients.
        let expected = &w0.mapv(f64::from) - &(&g1 / a1) - &(&g2 / a2);
        let scale = expected.iter().fold(0.0f64, |s, v| s.max(v.abs()));
        assert!(
            l.w.iter()
                .zip(&expected)
                .all(|(&w, &e)| (f64::from(w) - e).abs() <= 1e-4 * scale)
        );
        assert_eq!(m, matmul(&l.w.view(), &x.view()));
    }
}
