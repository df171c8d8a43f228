//! Deterministic parallel reductions over the sample axis.
//!
//! Element-wise passes run in parallel over fixed blocks of columns (samples); each block
//! returns its partial sums, which are added in block order. Rayon's own `sum` splits work
//! adaptively, so its rounding would change from run to run; fixed blocks keep "same seed,
//! same run" bit for bit.

/// Columns per block of a parallel pass: large enough to amortise scheduling, small enough
/// to balance two to a few dozen threads on 60,000 samples.
pub(crate) const BLOCK_COLUMNS: usize = 256;

/// Adds per-block partial sums in block order.
pub(crate) fn sum_in_order<const K: usize>(parts: &[[f64; K]]) -> [f64; K] {
    let mut total = [0.0; K];
    for part in parts {
        for (t, p) in total.iter_mut().zip(part) {
            *t += p;
        }
    }
    total
}
