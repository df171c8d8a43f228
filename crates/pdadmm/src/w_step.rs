//! The `W_l` and `b_l` updates (docs/pdadmm.md#w-update, docs/pdadmm.md#b-update).
//!
//! `W_l`: one gradient step with backtracking on `phi(W) = nu/2 ||z_l - W p_l - b_l||^2`,
//! gradient `G = nu r p^T` with `r = W p + b - z`; the test needs `||G p||^2` and `||G||^2`
//! (one product `G p`, which also moves the carried product `W p` to the new `W`).
//!
//! `b_l`: the exact minimiser of `phi` over `b`, `b - mean_j r_j`: the code's gradient step
//! `b - grad / nu` with the gradient averaged over the samples.

use admm_kernels::{
    blocks, ordered_row_sums, residual_into, small_squared_norm, squared_norm, storage, storage_mut, subtract_scaled,
};
use ndarray::{Array1, Array2, ArrayView2};
use optim_core::linalg::{gemm, zeros};
use rayon::prelude::*;

use admm_kernels::{Backtracking, Outcome};

/// Takes the `W` step in place. `product` holds `W p` on entry and on exit (at the new
/// `W`); `scratch` (the layer's width) is overwritten. `W` is left unchanged when the
/// search gives up.
pub(crate) fn w_step(
    w: &mut Array2<f32>,
    (b, z, p): (&Array1<f32>, &[f32], &ArrayView2<'_, f32>),
    (product, scratch): (&mut Array2<f32>, &mut Array2<f32>),
    nu: f64,
    search: &Backtracking,
) -> Outcome {
    let rows = b.len();
    let bias = b.as_slice().expect("biases are contiguous");
    residual_into(storage_mut(scratch), storage(product), bias, z, None);
    let mut gradient = zeros(w.nrows(), w.ncols());
    gemm(0.0, &mut gradient.view_mut(), nu as f32, &scratch.view(), &p.t());
    gemm(0.0, &mut scratch.view_mut(), 1.0, &gradient.view(), p);
    let curvature = nu * squared_norm(storage(scratch), rows);
    let outcome = search.search(small_squared_norm(&gradient), curvature);
    if let Some(t) = outcome.step {
        w.scaled_add(-(1.0 / t) as f32, &gradient);
        subtract_scaled(storage_mut(product), storage(scratch), rows, (1.0 / t) as f32);
    }
    outcome
}

/// `b <- b - mean_j (W p + b - z)_j`, from the carried product `W p`.
pub(crate) fn b_step(b: &mut Array1<f32>, product: &[f32], z: &[f32]) {
    let rows = b.len();
    let samples = product.len() / rows.max(1);
    let bias = b.to_vec();
    let parts: Vec<Vec<f64>> = (blocks(product, rows), blocks(z, rows))
        .into_par_iter()
        .map(|(m, z)| {
            let mut sums = vec![0.0f64; rows];
            for (mc, zc) in m.chunks_exact(rows).zip(z.chunks_exact(rows)) {
                for (((s, &m), &z), &b) in sums.iter_mut().zip(mc).zip(zc).zip(&bias) {
                    *s += f64::from(m + b - z);
                }
            }
            sums
        })
        .collect();
    let sums = ordered_row_sums(&parts, rows);
    for (b, s) in b.iter_mut().zip(sums) {
        *b -= (s / samples.max(1) as f64) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn column_major(m: Array2<f32>) -> Array2<f32> {
        let mut c = zeros(m.nrows(), m.ncols());
        c.assign(&m);
        c
    }

    /// One unit, one input, two samples: `W = 1`, `b = 0`, `p = (1, 2)`, `z = (3, 1)`,
    /// `nu = 1`. `r = W p + b - z = (-2, 1)`, `G = r p^T = -2 + 2 = 0`: no step at all.
    /// With `z = (0, 0)`: `r = (1, 2)`, `G = 1 + 4 = 5`, `G p = (5, 10)`, `||G p||^2 = 125`,
    /// `||G||^2 = 25`: `125 / t <= 25` first at `t = 10` (no growth from 10),
    /// `W = 1 - 5 / 10 = 0.5` and `W p = (0.5, 1)`.
    #[test]
    fn w_step_by_hand() {
        let p = column_major(array![[1.0f32, 2.0]]);
        let search = Backtracking {
            start: 10.0,
            growth: 2.0,
            max_growths: 60,
        };
        let b = array![0.0f32];
        for (z, expected_w, expected_product) in [([3.0f32, 1.0], 1.0f32, [1.0f32, 2.0]), ([0.0, 0.0], 0.5, [0.5, 1.0])]
        {
            let mut w = column_major(array![[1.0f32]]);
            let mut product = column_major(array![[1.0f32, 2.0]]);
            let mut scratch = zeros(1, 2);
            let o = w_step(&mut w, (&b, &z, &p.view()), (&mut product, &mut scratch), 1.0, &search);
            assert_eq!((o.step, o.trials), (Some(10.0), 1));
            assert_eq!(w[[0, 0]], expected_w);
            assert_eq!(product.as_slice_memory_order().unwrap(), expected_product);
        }
        // nu = 4 scales G and the curvature: G = 20, ||G p||^2 = 2000 nu = 8000 against
        // ||G||^2 = 400: t = 20 (one growth), W = 1 - 20 / 20 = 0.
        let mut w = column_major(array![[1.0f32]]);
        let mut product = column_major(array![[1.0f32, 2.0]]);
        let mut scratch = zeros(1, 2);
        let o = w_step(
            &mut w,
            (&b, &[0.0, 0.0], &p.view()),
            (&mut product, &mut scratch),
            4.0,
            &search,
        );
        assert_eq!((o.step, o.trials), (Some(20.0), 2));
        assert_eq!(w[[0, 0]], 0.0);
    }

    /// Two units, three samples: `b - mean(W p + b - z)` is `mean(z - W p)`, row by row.
    #[test]
    fn b_step_is_the_mean_gap() {
        let product = [1.0f32, 0.0, 2.0, 1.0, 3.0, 5.0];
        let z = [2.0f32, 1.0, 2.0, 4.0, 6.0, 4.0];
        let mut b = array![10.0f32, -3.0];
        b_step(&mut b, &product, &z);
        // Row 0: z - W p = (1, 0, 3), mean 4/3; row 1: (1, 3, -1), mean 1.
        assert!((b[0] - 4.0 / 3.0).abs() < 1e-5, "{}", b[0]);
        assert!((b[1] - 1.0).abs() < 1e-5, "{}", b[1]);
    }
}
