//! The ReLU proximal map: the closed-form pre-activation update of a hidden layer, and its
//! pass over a whole layer.
//!
//! Each entry minimises `gamma (a - relu(z))^2 + beta (z - p)^2` over `z`, with `p` the
//! entry of `W_l a_{l-1} + b_l` and `a` that of `a_l` (see `docs/admm-kernels.md` for
//! how dlADMM and ADMM weigh the two terms). The objective is convex on each half-line: on
//! `z >= 0` it is minimised at `max((gamma a + beta p) / (gamma + beta), 0)`, on `z <= 0`
//! at `min(p, 0)`; the better of the two is kept, ties to the non-positive one.

use optim_core::simd;
use rayon::prelude::*;

use crate::blocks::{blocks, blocks_mut};
use crate::ordered_sum::{non_finite_indicator, ordered_row_sums, ordered_sums};

/// The minimiser over `z` of `gamma (a - max(z, 0))^2 + beta (z - p)^2`; ties (and NaN)
/// go to the non-positive branch.
///
/// With `beta = gamma = 1` every operation is exact scaling or the same rounding as the
/// unweighted form `(z - p)^2 + (a - relu(z))^2` with the candidate `0.5 (p + a)`, so
/// dlADMM's update is this function at unit weights, bit for bit.
#[inline(always)]
pub fn relu_prox(p: f32, a: f32, beta: f32, gamma: f32) -> f32 {
    let objective = |z: f32| {
        let r = a - z.max(0.0);
        let d = z - p;
        gamma * r * r + beta * d * d
    };
    let positive = ((gamma * a + beta * p) / (gamma + beta)).max(0.0);
    let non_positive = p.min(0.0);
    if objective(positive) < objective(non_positive) {
        positive
    } else {
        non_positive
    }
}

/// How a pass adds up the squared residual of its entries within a block of columns (the
/// blocks themselves are always added in block order). Both are deterministic; they round
/// differently, and each optimizer keeps the order its recorded runs were made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SumOrder {
    /// One running sum per block, entry after entry in storage order (ADMM).
    Running,
    /// One running sum per row and block, the rows added at the end of the block (dlADMM).
    ByRow,
}

/// What [`relu_prox_pass`] measured on its way, at the new `z`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReluProxSums {
    /// `sum_j (z - W a)_ij` per row `i` (without the bias): dlADMM's `b_l` update reads it.
    pub row_sums: Vec<f64>,
    /// `||z - W a - b||^2`: the layer's primal residual when `b` is final.
    pub residual: f64,
    /// `||a - relu(z)||^2`.
    pub activation_residual: f64,
    /// Some entry of `a` was not finite.
    pub non_finite_a: bool,
    /// Some entry of `W a + b` was not finite.
    pub non_finite_p: bool,
}

/// `z <- relu_prox(product + b, a, beta, gamma)` in one parallel pass, where `product` is
/// `W_l a_{l-1}` without the bias; the residual is added in `order`.
pub fn relu_prox_pass(
    z: &mut [f32],
    product: &[f32],
    b: &[f32],
    a: &[f32],
    (beta, gamma): (f32, f32),
    order: SumOrder,
) -> ReluProxSums {
    let rows = b.len();
    let parts: Vec<(Vec<f64>, [f64; 4])> = (blocks_mut(z, rows), blocks(product, rows), blocks(a, rows))
        .into_par_iter()
        .map(|(z, product, a)| {
            simd::dispatch(
                #[inline(always)]
                || {
                    let mut sums = vec![0.0f64; rows];
                    let mut squares = vec![0.0f64; rows];
                    let (mut running, mut activation, mut bad_a, mut bad_p) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
                    for ((zc, mc), ac) in z
                        .chunks_exact_mut(rows)
                        .zip(product.chunks_exact(rows))
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
                            let new = relu_prox(p, a, beta, gamma);
                            *z = new;
                            *s += f64::from(new - m);
                            let d = f64::from(new - p);
                            *q += d * d;
                            running += d * d;
                            let r = f64::from(a - new.max(0.0));
                            activation += r * r;
                            bad_a = bad_a.max(non_finite_indicator(a));
                            bad_p = bad_p.max(non_finite_indicator(p));
                        }
                    }
                    let residual = match order {
                        SumOrder::Running => running,
                        SumOrder::ByRow => squares.iter().sum(),
                    };
                    (sums, [residual, activation, bad_a, bad_p])
                },
            )
        })
        .collect();
    let (sums, scalars): (Vec<Vec<f64>>, Vec<[f64; 4]>) = parts.into_iter().unzip();
    let [residual, activation_residual, bad_a, bad_p] = ordered_sums(&scalars);
    ReluProxSums {
        row_sums: ordered_row_sums(&sums, rows),
        residual,
        activation_residual,
        non_finite_a: bad_a > 0.0,
        non_finite_p: bad_p > 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-derived values. `beta = 1, gamma = 10`, `p = 1, a = 2`: the positive branch
    /// `(20 + 1) / 11` costs `10 (2 - 21/11)^2 + (10/11)^2 = 10/11`, the non-positive one
    /// (`z = 0`) costs `40 + 1`. `p = -1, a = 0.1`: the positive branch is `(1 - 1) / 11 = 0`
    /// and costs `0.1 + 1`, `z = min(p, 0) = -1` costs `0.1` and wins.
    #[test]
    fn closed_form_by_hand() {
        assert_eq!(relu_prox(1.0, 2.0, 1.0, 10.0), 21.0 / 11.0);
        assert_eq!(relu_prox(-1.0, 0.1, 1.0, 10.0), -1.0);
        // Unit weights: the midpoint of p and a when it is the better branch.
        assert_eq!(relu_prox(1.0, 2.0, 1.0, 1.0), 1.5);
        // p = -0.5, a = 0.25: z = 0 costs 0.0625 + 0.25, z = -0.5 costs 0.0625: below wins.
        assert_eq!(relu_prox(-0.5, 0.25, 1.0, 1.0), -0.5);
        // p = -0.1, a = 1: midpoint 0.45 costs 2 * 0.55^2 = 0.605 < 1: above wins.
        assert_eq!(relu_prox(-0.1, 1.0, 1.0, 1.0), 0.45);
        // A NaN p: `min` ignores it, so the non-positive branch gives 0 (passes flag it).
        assert_eq!(relu_prox(f32::NAN, 1.0, 1.0, 1.0), 0.0);
    }

    /// The unit-weight form as dlADMM writes it, for the bit-for-bit claim above.
    fn unweighted(p: f32, a: f32) -> f32 {
        let below = p.min(0.0);
        let above = (0.5 * (p + a)).max(0.0);
        let cost_below = (below - p) * (below - p) + a * a;
        let cost_above = (above - p) * (above - p) + (a - above) * (a - above);
        if cost_below > cost_above { above } else { below }
    }

    #[test]
    fn unit_weights_equal_the_unweighted_form_bit_for_bit() {
        let values: Vec<f32> = (-300..300).map(|k| k as f32 * 0.0137 + 1e-3 * (k % 7) as f32).collect();
        for &p in &values {
            for &a in values.iter().step_by(7) {
                assert_eq!(
                    relu_prox(p, a, 1.0, 1.0).to_bits(),
                    unweighted(p, a).to_bits(),
                    "p {p} a {a}"
                );
            }
        }
    }

    /// The closed form against a brute-force minimisation on a fine grid.
    #[test]
    fn closed_form_matches_grid_minimisation() {
        let grid: Vec<f64> = (-40_000..=40_000).map(|i| f64::from(i) * 1e-4).collect();
        for &(beta, gamma) in &[(1.0f32, 10.0f32), (1.0, 1.0), (3.0, 0.5)] {
            for p in [-2.0f32, -0.3, 0.0, 0.4, 1.7] {
                for a in [-1.0f32, 0.0, 0.2, 0.9, 2.5] {
                    let cost = |z: f64| {
                        let r = f64::from(a) - z.max(0.0);
                        let d = z - f64::from(p);
                        f64::from(gamma) * r * r + f64::from(beta) * d * d
                    };
                    let best = grid.iter().map(|&z| cost(z)).fold(f64::INFINITY, f64::min);
                    let z = relu_prox(p, a, beta, gamma);
                    assert!(
                        cost(f64::from(z)) <= best + 1e-6,
                        "beta {beta} gamma {gamma} p {p} a {a}"
                    );
                }
            }
        }
    }

    #[test]
    fn pass_updates_every_entry_and_sums_in_either_order() {
        // 2 rows, 3 columns.
        let m = [1.0f32, -2.0, 0.5, 0.5, -1.0, 3.0];
        let a = [0.0f32, 1.0, 2.0, f32::INFINITY, 0.0, 1.0];
        let b = [0.5f32, -0.5];
        let mut z = [9.0f32; 6];
        let out = relu_prox_pass(&mut z, &m, &b, &a[..], (1.0, 2.0), SumOrder::ByRow);
        assert!(out.non_finite_a && !out.non_finite_p);
        let a = [0.0f32, 1.0, 2.0, 0.0, 0.0, 1.0];
        for order in [SumOrder::Running, SumOrder::ByRow] {
            let out = relu_prox_pass(&mut z, &m, &b, &a, (1.0, 2.0), order);
            let (mut sums, mut residual, mut activation) = ([0.0f64; 2], 0.0f64, 0.0f64);
            for k in 0..6 {
                let i = k % 2;
                assert_eq!(z[k], relu_prox(m[k] + b[i], a[k], 1.0, 2.0));
                sums[i] += f64::from(z[k] - m[k]);
                residual += f64::from(z[k] - m[k] - b[i]).powi(2);
                activation += f64::from(a[k] - z[k].max(0.0)).powi(2);
            }
            assert_eq!(out.row_sums, sums.to_vec());
            assert!((out.residual - residual).abs() < 1e-12);
            assert!((out.activation_residual - activation).abs() < 1e-12);
            assert!(!out.non_finite_a && !out.non_finite_p);
        }
    }
}
