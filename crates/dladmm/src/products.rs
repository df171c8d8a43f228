//! The matrix products of one iteration, counted.
//!
//! With `p_l = n_l n_{l-1} N` (the multiply-adds of `W_l a_{l-1}`), one iteration computes:
//!
//! | subproblem | products | where |
//! |---|---|---|
//! | `W_l`, each sweep, `l >= 2` | `G = c e_l a_{l-1}^T`, `G a_{l-1}`: `2 p_l` | [`crate::w_step`] |
//! | `a_{l-1}`, each sweep | `W_l^T e_l`, `W_l g`: `2 p_l` | [`crate::a_step`] |
//! | `W_1`, both sweeps | `e_1 X^T`, `m_1 = W_1 X`: `2 p_1`, plus two `n_1 n_0^2` Gram products | |
//! | `z_l`, `b_l`, `z_L` (FISTA), `u` | none (element-wise) | |
//!
//! in total `2 p_1 + 8 sum_{l>=2} p_l + 2 n_1 n_0^2`. The adaptive schedule adds the training
//! cost's forward pass, `sum_{l>=2} p_l` ([`training_cost_products`]), after the timed
//! iteration as the reference code counts it (`Optimizer::after_step`). Nothing else touches a
//! product: the carried `m_l` follow the steps from products they need anyway, the
//! backtracking trials are scalar tests, and the Gram matrix `X X^T` is computed once per run.
//! (The carried products are never recomputed; checkpoints hold them, see [`crate::state`].)
//!
//! At the paper's size (784-1000-1000-10, N = 55,000), in units of one
//! `(1000 x 1000) (1000 x 55,000)` product:
//!
//! | part | units |
//! |---|---|
//! | `W_1` pair (`2 p_1`) | 1.568 |
//! | layer 2 (`8 p_2`) | 8.000 |
//! | layer 3 (`8 p_3`) | 0.080 |
//! | Gram products | 0.022 |
//! | **iteration** ([`products_per_iteration`]) | **9.67** |
//! | training cost, adaptive schedule only, untimed | 1.010 |

/// Multiply-adds of one iteration (without the adaptive rule's training cost), in units of
/// one `(1000 x 1000) (1000 x n)` product, for layer widths `widths` (input first) and `n`
/// samples. Widths without a hidden layer (fewer than three entries) give NaN.
pub fn products_per_iteration(widths: &[usize], n: usize) -> f64 {
    if widths.len() < 3 {
        return f64::NAN;
    }
    let p = |l: usize| (widths[l] * widths[l - 1]) as f64 * n as f64;
    let later: f64 = (2..widths.len()).map(p).sum();
    let gram = 2.0 * (widths[1] * widths[0] * widths[0]) as f64;
    (2.0 * p(1) + 8.0 * later + gram) / unit(n)
}

/// Multiply-adds of the training-cost forward pass that the adaptive schedule adds to each
/// iteration, in the units of [`products_per_iteration`]. NaN without a hidden layer.
pub fn training_cost_products(widths: &[usize], n: usize) -> f64 {
    if widths.len() < 3 {
        return f64::NAN;
    }
    let later: f64 = (2..widths.len())
        .map(|l| (widths[l] * widths[l - 1]) as f64 * n as f64)
        .sum();
    later / unit(n)
}

fn unit(n: usize) -> f64 {
    1e6 * n.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_size_counts() {
        let widths = [784, 1000, 1000, 10];
        let sweeps = products_per_iteration(&widths, 55_000);
        let cost = training_cost_products(&widths, 55_000);
        assert!((sweeps - 9.67).abs() < 0.005, "{sweeps}");
        assert!((cost - 1.01).abs() < 1e-9, "{cost}");
        assert!(sweeps + cost < 11.0);
        assert!(products_per_iteration(&[784, 10], 10).is_nan());
    }
}
