//! Trimmed means and the interquartile mean (docs/statistics.md#interquartile-mean).

use super::StatsError;
use super::error::check_finite;

/// Mean of `values` after removing `g = floor(proportion_to_cut * n)` values from each end of
/// the sorted sample, as SciPy's `trim_mean` does: whole values only, no fractional weight
/// for the boundary values when `proportion_to_cut * n` is not an integer.
///
/// `proportion_to_cut` must be in `[0, 0.5)`; values must be finite.
pub fn trimmed_mean(values: &[f64], proportion_to_cut: f64) -> Result<f64, StatsError> {
    if !(0.0..0.5).contains(&proportion_to_cut) {
        return Err(StatsError::InvalidParameter {
            name: "proportion_to_cut",
            value: proportion_to_cut,
            valid: "a proportion in [0, 0.5)",
        });
    }
    check_finite(values, || "values".into())?;
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Ok(trimmed_mean_sorted(&sorted, proportion_to_cut))
}

/// [`trimmed_mean`] of an ascending, finite, non-empty sample; the bootstrap calls this on
/// resamples it has already checked.
pub(crate) fn trimmed_mean_sorted(sorted: &[f64], proportion_to_cut: f64) -> f64 {
    let n = sorted.len();
    let g = (proportion_to_cut * n as f64) as usize;
    let kept = &sorted[g..n - g];
    kept.iter().sum::<f64>() / kept.len() as f64
}

/// Interquartile mean: [`trimmed_mean`] with a quarter cut from each end, rliable's
/// definition (`scipy.stats.trim_mean(x, 0.25)`). For `n` not divisible by 4 the number cut
/// from each end is `floor(n / 4)`, so slightly more than half the values are averaged.
pub fn iqm(values: &[f64]) -> Result<f64, StatsError> {
    trimmed_mean(values, 0.25)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SciPy's `trim_mean(x, 0.25)` of the samples of statistics_reference.py, section
    /// "trimmed mean": sizes 4 to 10 cover every remainder of n modulo 4.
    #[test]
    fn matches_scipy_trim_mean() {
        let cases: [(&[f64], f64); 7] = [
            (&[1.0, 2.0, 3.0, 5.0], 2.5),
            (&[9.0, 1.0, 4.0, 7.0, 2.0], 4.333333333333333),
            (&[0.5, 3.5, -1.0, 8.0, 2.0, 2.0], 2.0),
            (&[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0], 3.0),
            (&[6.0, 5.0, 3.0, 5.0, 8.0, 9.0, 7.0, 9.0], 6.5),
            (&[0.91, 0.87, 0.95, 0.42, 0.88, 0.90, 0.93, 0.11, 0.89], 0.89),
            (
                &[2.5, -3.0, 7.25, 1.0, 0.0, 4.0, 10.0, -8.0, 3.0, 6.5],
                2.8333333333333335,
            ),
        ];
        for (xs, want) in cases {
            let got = iqm(xs).unwrap();
            assert!((got - want).abs() < 1e-12, "n {}: {got} vs {want}", xs.len());
        }
        let n10 = [2.5, -3.0, 7.25, 1.0, 0.0, 4.0, 10.0, -8.0, 3.0, 6.5];
        assert!((trimmed_mean(&n10, 0.1).unwrap() - 2.65625).abs() < 1e-12);
    }

    #[test]
    fn n5_is_not_fractionally_weighted() {
        // A fractional (interpolated) IQM of [1, 2, 4, 7, 9] would give weight 3/4 to 2 and
        // 7: (0.75*2 + 4 + 0.75*7) / 2.5 = 4.3; the whole-value rule averages 2, 4, 7.
        let got = iqm(&[9.0, 1.0, 4.0, 7.0, 2.0]).unwrap();
        assert!((got - 13.0 / 3.0).abs() < 1e-12);
        assert!((got - 4.3).abs() > 1e-3);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(iqm(&[]), Err(StatsError::Empty { .. })));
        assert!(matches!(
            iqm(&[1.0, f64::NAN]),
            Err(StatsError::NotFinite { index: 1, .. })
        ));
        assert!(trimmed_mean(&[1.0, 2.0], 0.5).is_err());
    }
}
