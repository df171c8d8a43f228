//! The `p_l` update (docs/pdadmm.md#p-update): one gradient step with backtracking on
//! `f(p) = nu/2 ||z_l - W_l p - b_l||^2 + <u_{l-1}, p - q_{l-1}> + rho/2 ||p - q_{l-1}||^2`.
//!
//! The gradient is `g = nu W^T r + u + rho (p - q)` with `r = W p + b - z`; `f` is quadratic
//! with Hessian `nu W^T W + rho I`, so the backtracking test needs `||W g||^2` and `||g||^2`
//! (one product `W g`, which also moves the carried product `W p` to the new `p`).

use admm_kernels::{blocks, blocks_mut, ordered_sum, residual_into, squared_norm, subtract_scaled_pair};
use ndarray::{Array1, Array2};
use optim_core::linalg::gemm;
use rayon::prelude::*;

use admm_kernels::{Backtracking, Outcome};

/// The inputs of a layer's `p` step besides `p` itself.
pub(crate) struct PInputs<'a> {
    pub w: &'a Array2<f32>,
    pub b: &'a Array1<f32>,
    pub z: &'a [f32],
    /// `q_{l-1}` and `u_{l-1}`: the previous layer's output and the coupling's dual.
    pub q: &'a [f32],
    pub u: &'a [f32],
}

/// Buffers: `product` holds `W p` on entry and on exit (at the new `p`); `scratch` (the
/// layer's width) and `gradient` (the input's width) are overwritten.
pub(crate) struct PBuffers<'a> {
    pub product: &'a mut Array2<f32>,
    pub scratch: &'a mut Array2<f32>,
    pub gradient: &'a mut Array2<f32>,
}

/// Takes the step in place and returns the search's outcome (`p` is left as it was when
/// the search gives up).
pub(crate) fn p_step(
    p: &mut Array2<f32>,
    inputs: &PInputs<'_>,
    buffers: PBuffers<'_>,
    (rho, nu): (f64, f64),
    search: &Backtracking,
) -> Outcome {
    let PBuffers {
        product,
        scratch,
        gradient,
    } = buffers;
    let rows = inputs.b.len();
    let input_rows = p.nrows();
    let bias = inputs.b.as_slice().expect("biases are contiguous");
    residual_into(storage_mut(scratch), storage(product), bias, inputs.z, None);
    gemm(0.0, &mut gradient.view_mut(), nu as f32, &inputs.w.t(), &scratch.view());
    let rho32 = rho as f32;
    let parts: Vec<f64> = (
        blocks_mut(storage_mut(gradient), input_rows),
        blocks(storage(p), input_rows),
        blocks(inputs.q, input_rows),
        blocks(inputs.u, input_rows),
    )
        .into_par_iter()
        .map(|(g, p, q, u)| {
            let mut norm = 0.0f64;
            for (((g, &p), &q), &u) in g.iter_mut().zip(p).zip(q).zip(u) {
                *g += u + rho32 * (p - q);
                norm += f64::from(*g) * f64::from(*g);
            }
            norm
        })
        .collect();
    let gradient_norm = ordered_sum(&parts);
    gemm(0.0, &mut scratch.view_mut(), 1.0, &inputs.w.view(), &gradient.view());
    let curvature = nu * squared_norm(storage(scratch), rows) + rho * gradient_norm;
    let outcome = search.search(gradient_norm, curvature);
    if let Some(t) = outcome.step {
        subtract_scaled_pair(
            (storage_mut(p), storage(gradient), input_rows),
            (storage_mut(product), storage(scratch), rows),
            (1.0 / t) as f32,
        );
    }
    outcome
}

fn storage(m: &Array2<f32>) -> &[f32] {
    admm_kernels::storage(m)
}

fn storage_mut(m: &mut Array2<f32>) -> &mut [f32] {
    admm_kernels::storage_mut(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use optim_core::linalg::zeros;

    fn column_major(m: Array2<f32>) -> Array2<f32> {
        let mut c = zeros(m.nrows(), m.ncols());
        c.assign(&m);
        c
    }

    /// One unit, one input, one sample: `W = 2`, `b = 1`, `z = 4`, `p = 1`, `q = 0.5`,
    /// `u = 0.25`, `rho = nu = 1`. Then `r = 2 + 1 - 4 = -1`, `g = 2 (-1) + 0.25 + 0.5 =
    /// -1.25`, `g^T H g = (4 + 1) 1.5625 = 7.8125`: from `t = 1`, `7.8125 / 1 > 1.5625`,
    /// `/ 2 > 1.5625`, `/ 4 > 1.5625`, `/ 8 <= 1.5625`: `t = 8` after 3 growths, `p = 1 +
    /// 1.25 / 8 = 1.15625`, `W p = 2.3125`. (The exact minimiser is `p = 1.25`.)
    #[test]
    fn one_step_by_hand() {
        let w = column_major(array![[2.0f32]]);
        let b = array![1.0f32];
        let mut p = column_major(array![[1.0f32]]);
        let mut product = column_major(array![[2.0f32]]);
        let (mut scratch, mut gradient) = (zeros(1, 1), zeros(1, 1));
        let inputs = PInputs {
            w: &w,
            b: &b,
            z: &[4.0],
            q: &[0.5],
            u: &[0.25],
        };
        let search = Backtracking {
            start: 1.0,
            growth: 2.0,
            max_growths: 10,
        };
        let buffers = PBuffers {
            product: &mut product,
            scratch: &mut scratch,
            gradient: &mut gradient,
        };
        let o = p_step(&mut p, &inputs, buffers, (1.0, 1.0), &search);
        assert_eq!((o.step, o.trials), (Some(8.0), 4));
        assert_eq!(p[[0, 0]], 1.15625);
        assert_eq!(product[[0, 0]], 2.3125);
    }

    /// Two inputs, one unit, two samples, `nu = 2`, `rho = 0.5`: the step equals the one
    /// computed from the formula in f64, and the carried product equals `W p` afterwards.
    #[test]
    fn step_and_carried_product_match_the_formula() {
        let w = column_major(array![[1.0f32, -2.0]]);
        let b = array![0.5f32];
        let p0 = column_major(array![[0.5f32, 1.0], [0.25, -1.0]]);
        let z = [1.0f32, -0.5];
        let q = [0.0f32, 0.5, 1.0, 0.0];
        let u = [0.1f32, -0.2, 0.0, 0.3];
        let mut p = p0.clone();
        let mut product = column_major(w.dot(&p0));
        let (mut scratch, mut gradient) = (zeros(1, 2), zeros(2, 2));
        let inputs = PInputs {
            w: &w,
            b: &b,
            z: &z,
            q: &q,
            u: &u,
        };
        let search = Backtracking {
            start: 10.0,
            growth: 2.0,
            max_growths: 60,
        };
        let buffers = PBuffers {
            product: &mut product,
            scratch: &mut scratch,
            gradient: &mut gradient,
        };
        let o = p_step(&mut p, &inputs, buffers, (0.5, 2.0), &search);
        // By hand in f64: r_j = W p_j + b - z_j, g = 2 W^T r + u + 0.5 (p - q).
        let mut g = [0.0f64; 4];
        for j in 0..2 {
            let r = f64::from(w[[0, 0]] * p0[[0, j]] + w[[0, 1]] * p0[[1, j]] + 0.5 - z[j]);
            for i in 0..2 {
                let k = 2 * j + i;
                g[k] = 2.0 * f64::from(w[[0, i]]) * r + f64::from(u[k]) + 0.5 * (f64::from(p0[[i, j]] - q[k]));
            }
        }
        let norm: f64 = g.iter().map(|v| v * v).sum();
        let wg: f64 = (0..2)
            .map(|j| (f64::from(w[[0, 0]]) * g[2 * j] + f64::from(w[[0, 1]]) * g[2 * j + 1]).powi(2))
            .sum();
        let mut t = 10.0;
        while (2.0 * wg + 0.5 * norm) / t > norm {
            t *= 2.0;
        }
        assert_eq!(o.step, Some(t));
        for j in 0..2 {
            for i in 0..2 {
                let expected = f64::from(p0[[i, j]]) - g[2 * j + i] / t;
                assert!((f64::from(p[[i, j]]) - expected).abs() < 1e-6);
            }
        }
        let direct = w.dot(&p);
        for j in 0..2 {
            assert!((product[[0, j]] - direct[[0, j]]).abs() < 1e-6);
        }
    }
}
