//! The hidden `z_l` subproblem for ReLU: an element-wise closed form (spec 2.2(b)).
//!
//! Each entry minimises `(z - p)^2 + (a - relu(z))^2` with `p = (W_l a_{l-1} + b_l)_ij` and
//! `a = (a_l)_ij` (both terms carry the same weight `nu / 2`). On `z <= 0` the best point is
//! `min(p, 0)`, on `z >= 0` it is `max((p + a) / 2, 0)`; the reference code keeps the second
//! only where its value is strictly smaller.

use rayon::prelude::*;

use crate::passes::{blocks, blocks_mut, ordered_row_sums, ordered_sum};

/// The minimiser of `(z - p)^2 + (a - relu(z))^2` over `z`, ties to the non-positive branch.
#[inline]
pub(crate) fn relu_prox(p: f32, a: f32) -> f32 {
    let below = p.min(0.0);
    let above = (0.5 * (p + a)).max(0.0);
    let cost_below = (below - p) * (below - p) + a * a;
    let cost_above = (above - p) * (above - p) + (a - above) * (a - above);
    if cost_below > cost_above { above } else { below }
}

/// What a `z_l` pass measured on its way.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ZUpdate {
    /// `sum_j (z_new - m)_ij` per row: the backward sweep's `b_l` update needs it.
    pub row_sums: Vec<f64>,
    /// `||z_new - m - b||^2` with the `b` used here: the layer's primal residual when `b`
    /// is final (forward sweep).
    pub residual: f64,
}

/// `z <- relu_prox(m + b, a)` in one parallel pass, where `m = W_l a_{l-1}` is the carried
/// product. Also returns the row sums and residual of [`ZUpdate`].
pub(crate) fn update_z(z: &mut [f32], m: &[f32], b: &[f32], a: &[f32]) -> ZUpdate {
    let rows = b.len();
    let parts: Vec<(Vec<f64>, f64)> = (blocks_mut(z, rows), blocks(m, rows), blocks(a, rows))
        .into_par_iter()
        .map(|(z, m, a)| {
            let mut sums = vec![0.0f64; rows];
            let mut squares = vec![0.0f64; rows];
            for ((zc, mc), ac) in z
                .chunks_exact_mut(rows)
                .zip(m.chunks_exact(rows))
                .zip(a.chunks_exact(rows))
            {
                for (((((z, &m), &a), &b), s), q) in zc
                    .iter_mut()
                    .zip(mc)
                    .zip(ac)
                    .zip(b)
                    .zip(sums.iter_mut())
                    .zip(squares.iter_mut())
                {
                    let p = m + b;
                    let new = relu_prox(p, a);
                    *z = new;
                    *s += f64::from(new - m);
                    let r = f64::from(new - p);
                    *q += r * r;
                }
            }
            (sums, squares.iter().sum())
        })
        .collect();
    let (sums, residuals): (Vec<Vec<f64>>, Vec<f64>) = parts.into_iter().unzip();
    ZUpdate {
        row_sums: ordered_row_sums(&sums, rows),
        residual: ordered_sum(&residuals),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The closed form against a brute-force minimisation on a fine grid.
    #[test]
    fn closed_form_matches_grid_minimisation() {
        let cost = |z: f64, p: f64, a: f64| (z - p).powi(2) + (a - z.max(0.0)).powi(2);
        let values = [-3.0f32, -1.2, -0.4, -0.05, 0.0, 0.05, 0.3, 0.9, 1.7, 3.2];
        for &p in &values {
            for &a in &values {
                let z = relu_prox(p, a);
                let (p64, a64) = (f64::from(p), f64::from(a));
                let best = (-50_000..=50_000)
                    .map(|i| f64::from(i) * 1e-4)
                    .map(|g| cost(g, p64, a64))
                    .fold(f64::INFINITY, f64::min);
                let got = cost(f64::from(z), p64, a64);
                assert!(
                    got <= best + 1e-6,
                    "p = {p}, a = {a}: z = {z} costs {got}, grid best {best}"
                );
            }
        }
    }

    #[test]
    fn pass_updates_every_entry_and_reports_sums() {
        // 2 rows, 3 columns: m, a, b as below.
        let m = [1.0f32, -2.0, 0.5, 0.5, -1.0, 3.0];
        let a = [0.0f32, 1.0, 2.0, 0.0, 0.0, 1.0];
        let b = [0.5f32, -0.5];
        let mut z = [9.0f32; 6];
        let out = update_z(&mut z, &m, &b, &a);
        let mut sums = [0.0f64; 2];
        let mut residual = 0.0f64;
        for j in 0..3 {
            for i in 0..2 {
                let k = j * 2 + i;
                assert_eq!(z[k], relu_prox(m[k] + b[i], a[k]));
                sums[i] += f64::from(z[k] - m[k]);
                residual += f64::from(z[k] - m[k] - b[i]).powi(2);
            }
        }
        assert_eq!(out.row_sums, sums.to_vec());
        assert!((out.residual - residual).abs() < 1e-9);
    }
}
