//! Sample quantiles by linear interpolation between order statistics (docs/statistics.md#quantiles).

/// The `q`-quantile (`0 <= q <= 1`) of `sorted` (ascending, non-empty) by linear interpolation
/// between the order statistics at positions `q (n - 1)`: Hyndman and Fan's type 7, the
/// default of NumPy's `percentile` and so of the percentile intervals of rliable.
///
/// # Panics
/// On an empty slice or `q` outside `[0, 1]`: callers validate both.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    assert!(!sorted.is_empty(), "quantile of an empty sample");
    assert!((0.0..=1.0).contains(&q), "quantile level {q} outside [0, 1]");
    let h = q * (sorted.len() - 1) as f64;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    let frac = h - lo as f64;
    // Written as a + frac (b - a), as NumPy does, so equal neighbours give exactly their value.
    sorted[lo] + frac * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_percentile_linear() {
        // numpy.percentile(Q, q), statistics_reference.py section "numpy.percentile".
        let mut q = vec![3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        q.sort_by(f64::total_cmp);
        let pinned = [
            (0.0, 1.0),
            (0.025, 1.0),
            (0.25, 1.75),
            (0.5, 3.5),
            (0.975, 8.475000000000001),
            (1.0, 9.0),
        ];
        for (level, want) in pinned {
            let got = quantile_sorted(&q, level);
            assert!((got - want).abs() < 1e-12, "q {level}: {got} vs {want}");
        }
    }
}
