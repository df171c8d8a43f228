//! The hidden `a_l` subproblem: one linearised gradient step with backtracking
//! (docs/dladmm.md#a-update).
//!
//! `psi(a) = c'/2 ||e_{l+1}||^2 + nu/2 ||a - relu(z_l)||^2` with
//! `e_{l+1} = W_{l+1} a + b_{l+1} - z_{l+1} (- u / rho if l + 1 = L)` and `c'` the next
//! layer's penalty (`nu`, or `rho` for the last layer). Its gradient is
//! `g = c' W_{l+1}^T e_{l+1} + nu (a - relu(z_l))`, its curvature along `g` is
//! `c' ||W_{l+1} g||^2 + nu ||g||^2`; the step is `a - g / t` with `t` from
//! [`crate::backtracking`].
//!
//! Products: `W_{l+1}^T e_{l+1}` and `W_{l+1} g` (`p_{l+1} = n_{l+1} n_l N` each). The
//! second is also the change of the carried `m_{l+1} = W_{l+1} a_l`, which follows without
//! a product.

use ndarray::{Array2, ArrayView2, ArrayViewMut2, ShapeBuilder};
use optim_core::linalg::{gemm, gemm_sequential};
use optim_core::simd;
use optim_core::{OptimError, Result};
use rayon::prelude::*;

use crate::backtracking::{Outcome, StepRule};
use admm_kernels::{
    BLOCK_COLUMNS, Scratch, blocks, blocks_mut, ordered_sum, residual_into, squared_norm, storage, storage_mut,
    subtract_scaled_pair, sum_of_squares,
};

/// What the forward sweep needs besides the step: the next layer's `b` and `z` (and the
/// dual `(u, 1 / rho)` if the next layer is the last), to leave `e_{l+1}` at the new `a_l`
/// in the residual buffer for the `W_{l+1}` step that follows.
pub(crate) struct NextLayer<'a> {
    pub b: &'a [f32],
    pub z: &'a [f32],
    pub dual: Option<(&'a [f32], f32)>,
}

/// Result of an `a_l` step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AStep {
    pub outcome: Outcome,
    /// `||a_l - relu(z_l)||^2` after the step (forward sweep only, else 0).
    pub activation_residual: f64,
}

/// `g <- g + nu (a - relu(z))` on one block of columns, returning its `||g||^2`.
///
/// Squares accumulate per row (f64), column after column: the inner loop runs over equally
/// long slices and vectorises.
#[inline(always)]
fn activation_gradient_block(g: &mut [f32], a: &[f32], z: &[f32], rows: usize, nu: f32) -> f64 {
    let mut acc = vec![0.0f64; rows];
    for ((gc, ac), zc) in g
        .chunks_exact_mut(rows)
        .zip(a.chunks_exact(rows))
        .zip(z.chunks_exact(rows))
    {
        for (((g, &a), &z), s) in gc.iter_mut().zip(ac).zip(zc).zip(acc.iter_mut()) {
            *g += nu * (a - z.max(0.0));
            *s += f64::from(*g) * f64::from(*g);
        }
    }
    acc.iter().sum()
}

/// `g <- g + nu (a - relu(z))`, returning `||g||^2`.
fn add_activation_gradient(g: &mut [f32], a: &[f32], z: &[f32], rows: usize, nu: f32) -> f64 {
    let parts: Vec<f64> = (blocks_mut(g, rows), blocks(a, rows), blocks(z, rows))
        .into_par_iter()
        .map(|(g, a, z)| {
            simd::dispatch(
                #[inline(always)]
                || activation_gradient_block(g, a, z, rows, nu),
            )
        })
        .collect();
    ordered_sum(&parts)
}

/// Layers at most this wide (the output layer: one row per class) take the fused path of
/// [`thin_gradient_and_product`].
const THIN_ROWS: usize = 32;

/// For a thin next layer (`n_{l+1} <= THIN_ROWS`): `g = c' W^T e + nu (a - relu(z))` and
/// `P = W g` in one pass over blocks of columns, each block's products computed on its own
/// thread while the block is in cache; `e` is overwritten by `P` block by block. Returns
/// `(||g||^2, ||P||^2)`.
///
/// The two products have an inner or outer dimension of `n_{l+1}`: as whole-matrix products
/// they are bound by memory, not arithmetic, and the separate passes write `g` and read it
/// back twice; fused, each value of `g` is written once.
/// `(penalty_next, nu)` weigh the next layer's constraint and the activation's.
fn thin_gradient_and_product(
    g: &mut [f32],
    residual: &mut [f32],
    w_next: &Array2<f32>,
    a: &[f32],
    z: &[f32],
    rows: usize,
    (penalty_next, nu): (f32, f32),
) -> (f64, f64) {
    let rows_next = w_next.nrows();
    let parts: Vec<(f64, f64)> = (
        blocks_mut(g, rows),
        blocks_mut(residual, rows_next),
        blocks(a, rows),
        blocks(z, rows),
    )
        .into_par_iter()
        .map(|(g, r, a, z)| {
            simd::dispatch(
                #[inline(always)]
                || {
                    let cols = g.len() / rows;
                    let mut gv = ArrayViewMut2::from_shape((rows, cols).f(), g).expect("a block of whole columns");
                    let e = ArrayView2::from_shape((rows_next, cols).f(), &*r).expect("a block of whole columns");
                    gemm_sequential(0.0, &mut gv, penalty_next, &w_next.t(), &e);
                    let g = gv.into_slice_memory_order().expect("contiguous block");
                    let grad_sq = activation_gradient_block(g, a, z, rows, nu);
                    let gv = ArrayView2::from_shape((rows, cols).f(), &*g).expect("a block of whole columns");
                    let mut p = ArrayViewMut2::from_shape((rows_next, cols).f(), r).expect("a block of whole columns");
                    gemm_sequential(0.0, &mut p, 1.0, &w_next.view(), &gv);
                    (grad_sq, sum_of_squares(r))
                },
            )
        })
        .collect();
    let grad: Vec<f64> = parts.iter().map(|p| p.0).collect();
    let product: Vec<f64> = parts.iter().map(|p| p.1).collect();
    (ordered_sum(&grad), ordered_sum(&product))
}

/// `||a - relu(z)||^2`.
fn activation_residual(a: &[f32], z: &[f32], rows: usize) -> f64 {
    let parts: Vec<f64> = (blocks(a, rows), blocks(z, rows))
        .into_par_iter()
        .map(|(a, z)| {
            simd::dispatch(
                #[inline(always)]
                || {
                    let mut acc = vec![0.0f64; rows];
                    for (ac, zc) in a.chunks_exact(rows).zip(z.chunks_exact(rows)) {
                        for ((&a, &z), s) in ac.iter().zip(zc).zip(acc.iter_mut()) {
                            let r = f64::from(a - z.max(0.0));
                            *s += r * r;
                        }
                    }
                    acc.iter().sum()
                },
            )
        })
        .collect();
    ordered_sum(&parts)
}

/// The forward sweep's update in one pass: `a <- a - g / t` (measuring
/// `||a - relu(z)||^2`), `m' <- m' - P / t` and `P <- m' + b' - z' (- u / rho)`, i.e. the
/// residual buffer goes from `W_{l+1} g` to `e_{l+1}` at the new `a_l`.
/// `(m_next, product)` are the next layer's carried product and the residual buffer.
fn forward_update(
    a: &mut [f32],
    g: &[f32],
    z: &[f32],
    rows: usize,
    (m_next, product): (&mut [f32], &mut [f32]),
    next: &NextLayer<'_>,
    step: f32,
) -> f64 {
    let rows_next = next.b.len();
    let block = rows_next * BLOCK_COLUMNS;
    let parts: Vec<f64> = (
        blocks_mut(a, rows),
        blocks(g, rows),
        blocks(z, rows),
        blocks_mut(m_next, rows_next),
        blocks_mut(product, rows_next),
        blocks(next.z, rows_next),
    )
        .into_par_iter()
        .enumerate()
        .map(|(k, (a, g, z, m, p, zn))| {
            simd::dispatch(
                #[inline(always)]
                || {
                    let mut acc = vec![0.0f64; rows];
                    for ((ac, gc), zc) in a
                        .chunks_exact_mut(rows)
                        .zip(g.chunks_exact(rows))
                        .zip(z.chunks_exact(rows))
                    {
                        for (((a, &g), &z), s) in ac.iter_mut().zip(gc).zip(zc).zip(acc.iter_mut()) {
                            *a -= step * g;
                            let r = f64::from(*a - z.max(0.0));
                            *s += r * r;
                        }
                    }
                    let shift = next.dual.map(|(u, inv_rho)| {
                        let start = k * block;
                        (&u[start..start + m.len()], inv_rho)
                    });
                    for (((mc, pc), zc), col) in m
                        .chunks_exact_mut(rows_next)
                        .zip(p.chunks_exact_mut(rows_next))
                        .zip(zn.chunks_exact(rows_next))
                        .zip(0..)
                    {
                        for (((m, p), &z), &b) in mc.iter_mut().zip(pc.iter_mut()).zip(zc).zip(next.b) {
                            *m -= step * *p;
                            *p = *m + b - z;
                        }
                        if let Some((u, inv_rho)) = shift {
                            let uc = &u[col * rows_next..(col + 1) * rows_next];
                            for (p, &u) in pc.iter_mut().zip(uc) {
                                *p -= u * inv_rho;
                            }
                        }
                    }
                    acc.iter().sum()
                },
            )
        })
        .collect();
    ordered_sum(&parts)
}

/// The hidden activation `a_l` with what its step reads and changes alongside.
pub(crate) struct ActivationBlock<'a> {
    /// `a_l`.
    pub a: &'a mut Array2<f32>,
    /// `z_l`.
    pub z: &'a Array2<f32>,
    /// `W_{l+1}`.
    pub w_next: &'a Array2<f32>,
    /// `m_{l+1} = W_{l+1} a_l`, kept equal to it.
    pub m_next: &'a mut Array2<f32>,
}

/// One backtracked gradient step on `a_l`.
///
/// On entry `residual` holds `e_{l+1}` (rows `n_{l+1}`); `grad` receives `g` (rows `n_l`).
/// With `next` (forward sweep), `residual` holds `e_{l+1}` at the new `a_l` on exit and the
/// activation residual is measured; otherwise `residual` is left holding `W_{l+1} g`.
///
/// `rule.penalty` is the next layer's (`nu`, or `rho` if it is the last).
pub(crate) fn a_step(
    block: ActivationBlock<'_>,
    residual: &mut Scratch,
    grad: &mut Scratch,
    rule: StepRule<'_>,
    nu: f64,
    next: Option<NextLayer<'_>>,
) -> Result<AStep> {
    let ActivationBlock { a, z, w_next, m_next } = block;
    let StepRule {
        penalty: penalty_next,
        search,
        name,
    } = rule;
    let rows = a.nrows();
    let rows_next = w_next.nrows();
    let (grad_sq, product_sq) = if rows_next <= THIN_ROWS {
        thin_gradient_and_product(
            grad.slice_mut(rows),
            residual.slice_mut(rows_next),
            w_next,
            storage(a),
            storage(z),
            rows,
            (penalty_next as f32, nu as f32),
        )
    } else {
        gemm(
            0.0,
            &mut grad.view_mut(rows),
            penalty_next as f32,
            &w_next.t(),
            &residual.view(rows_next),
        );
        let grad_sq = add_activation_gradient(grad.slice_mut(rows), storage(a), storage(z), rows, nu as f32);
        gemm(
            0.0,
            &mut residual.view_mut(rows_next),
            1.0,
            &w_next.view(),
            &grad.view(rows),
        );
        (grad_sq, squared_norm(residual.slice(rows_next), rows_next))
    };
    if !(grad_sq.is_finite() && product_sq.is_finite()) {
        return Err(OptimError::NonFinite { what: name.into() });
    }
    let outcome = search.search(grad_sq, penalty_next * product_sq + nu * grad_sq);
    let activation = match (outcome.step, next) {
        (Some(t), None) => {
            subtract_scaled_pair(
                (storage_mut(a), grad.slice(rows), rows),
                (storage_mut(m_next), residual.slice(rows_next), rows_next),
                (1.0 / t) as f32,
            );
            0.0
        }
        (Some(t), Some(next)) => forward_update(
            storage_mut(a),
            grad.slice(rows),
            storage(z),
            rows,
            (storage_mut(m_next), residual.slice_mut(rows_next)),
            &next,
            (1.0 / t) as f32,
        ),
        (None, None) => 0.0,
        (None, Some(next)) => {
            residual_into(
                residual.slice_mut(rows_next),
                storage(m_next),
                next.b,
                next.z,
                next.dual,
            );
            activation_residual(storage(a), storage(z), rows)
        }
    };
    if !activation.is_finite() {
        return Err(OptimError::NonFinite { what: name.into() });
    }
    Ok(AStep {
        outcome,
        activation_residual: activation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtracking::Backtracking;
    use crate::test_support::{random_matrix, rng};
    use ndarray::Array1;
    use optim_core::linalg::matmul;

    struct Problem {
        a: Array2<f32>,
        z: Array2<f32>,
        w: Array2<f32>,
        b: Array1<f32>,
        z_next: Array2<f32>,
        u: Array2<f32>,
    }

    /// `a_l` of 6 rows under a next layer of `n_next` rows, `cols` samples.
    fn sized_problem(seed: u64, n_next: usize, cols: usize) -> Problem {
        let mut r = rng(seed);
        let n = 6;
        Problem {
            a: random_matrix(&mut r, n, cols, 1.0).mapv(|v| v.max(0.0)),
            z: random_matrix(&mut r, n, cols, 1.0),
            w: random_matrix(&mut r, n_next, n, 0.5),
            b: random_matrix(&mut r, n_next, 1, 0.3).column(0).to_owned(),
            z_next: random_matrix(&mut r, n_next, cols, 1.0),
            u: random_matrix(&mut r, n_next, cols, 0.2),
        }
    }

    /// `psi(a)` and its gradient directly in f64, with the dual shift `u / rho` if given.
    fn psi_and_grad(p: &Problem, a: &Array2<f32>, c_next: f64, nu: f64, rho: Option<f64>) -> (f64, Array2<f64>) {
        let w = p.w.mapv(f64::from);
        let a64 = a.mapv(f64::from);
        let mut e = w.dot(&a64);
        for ((i, j), v) in e.indexed_iter_mut() {
            *v += f64::from(p.b[i]) - f64::from(p.z_next[[i, j]]);
            if let Some(rho) = rho {
                *v -= f64::from(p.u[[i, j]]) / rho;
            }
        }
        let d = &a64 - &p.z.mapv(|v| f64::from(v.max(0.0)));
        let value =
            c_next / 2.0 * e.iter().map(|v| v * v).sum::<f64>() + nu / 2.0 * d.iter().map(|v| v * v).sum::<f64>();
        (value, w.t().dot(&e) * c_next + &d * nu)
    }

    fn residual_of(p: &Problem, a: &Array2<f32>, dual: Option<f32>) -> (Array2<f32>, Scratch) {
        let m = matmul(&p.w.view(), &a.view());
        let mut s = Scratch::new(p.w.nrows(), a.ncols());
        residual_into(
            s.slice_mut(p.w.nrows()),
            storage(&m),
            p.b.as_slice().unwrap(),
            storage(&p.z_next),
            dual.map(|inv_rho| (storage(&p.u), inv_rho)),
        );
        (m, s)
    }

    /// Sufficient decrease on `psi` evaluated directly, the literal loop's trial count, and
    /// the carried `m_{l+1}` and refreshed residual, in both sweeps and with the dual.
    ///
    /// Over both paths: a thin next layer (fused, in one block of columns and in several) and
    /// a wide one (separate products).
    #[test]
    fn step_decreases_psi_like_the_literal_loop() {
        for (seed, start, c_next, nu, rho, n_next, cols) in [
            (1u64, 1.0f64, 1.0f64, 1.0f64, None, 4usize, 50usize),
            (2, 1e-2, 0.5, 2.0, Some(0.5f64), 4, 50),
            (3, 1.0, 1e-3, 1e-3, None, 4, 50),
            (4, 30.0, 1.0, 1.0, Some(1.0), 4, 50),
            (5, 1.0, 1.0, 0.5, Some(1.0), 3, 3 * BLOCK_COLUMNS + 17),
            (6, 1.0, 0.5, 1.0, None, THIN_ROWS + 1, 2 * BLOCK_COLUMNS + 5),
        ] {
            for forward in [false, true] {
                let mut p = sized_problem(seed, n_next, cols);
                let inv_rho = rho.map(|r| (1.0 / r) as f32);
                let (mut m, mut e) = residual_of(&p, &p.a, inv_rho);
                let (before, g) = psi_and_grad(&p, &p.a, c_next, nu, rho);
                let grad_sq: f64 = g.iter().map(|v| v * v).sum();
                let mut s = start;
                let mut literal = 1;
                loop {
                    let cand = (&p.a.mapv(f64::from) - &(&g / s)).mapv(|v| v as f32);
                    if psi_and_grad(&p, &cand, c_next, nu, rho).0 <= before - grad_sq / (2.0 * s) {
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
                let mut grad = Scratch::new(6, cols);
                let mut a = p.a.clone();
                let next = forward.then(|| NextLayer {
                    b: p.b.as_slice().unwrap(),
                    z: storage(&p.z_next),
                    dual: inv_rho.map(|i| (storage(&p.u), i)),
                });
                let block = ActivationBlock {
                    a: &mut a,
                    z: &p.z,
                    w_next: &p.w,
                    m_next: &mut m,
                };
                let rule = StepRule {
                    penalty: c_next,
                    search: &search,
                    name: "a_1",
                };
                let out = a_step(block, &mut e, &mut grad, rule, nu, next).unwrap();
                assert_eq!(out.outcome.trials, literal, "seed {seed}");
                let t = out.outcome.step.unwrap();
                let (after, _) = psi_and_grad(&p, &a, c_next, nu, rho);
                assert!(after <= before - grad_sq / (2.0 * t) + 1e-5 * before, "seed {seed}");
                let fresh = matmul(&p.w.view(), &a.view());
                let scale = fresh.iter().fold(1.0f32, |s, v| s.max(v.abs()));
                assert!(m.iter().zip(&fresh).all(|(x, y)| (x - y).abs() <= 1e-4 * scale));
                if forward {
                    let act: f64 = a
                        .iter()
                        .zip(&p.z)
                        .map(|(&a, &z)| f64::from(a - z.max(0.0)).powi(2))
                        .sum();
                    assert!((out.activation_residual - act).abs() <= 1e-9 * act.max(1.0));
                    p.a = a;
                    let (_, expected) = residual_of(&p, &p.a, inv_rho);
                    assert!(
                        e.slice(n_next)
                            .iter()
                            .zip(expected.slice(n_next))
                            .all(|(x, y)| (x - y).abs() <= 1e-4 * scale)
                    );
                }
            }
        }
    }
}
