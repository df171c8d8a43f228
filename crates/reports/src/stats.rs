//! Statistics over seeds.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Mean and half-width of the 95% confidence interval (Student t) of `values`, ignoring
/// NaN; the half-width is NaN for fewer than two values.
pub fn mean_ci95(values: &[f64]) -> (f64, f64) {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    let n = v.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, f64::NAN);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .map(|d| d.inverse_cdf(0.975))
        .unwrap_or(f64::NAN);
    (mean, t * (var / n as f64).sqrt())
}

/// Median of the finite values (NaN if none).
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_of_known_sample() {
        // mean 2, sd 1, n 3: t(0.975, 2) = 4.3027, half-width 4.3027 / sqrt(3) = 2.4841.
        let (m, h) = mean_ci95(&[1.0, 2.0, 3.0]);
        assert!((m - 2.0).abs() < 1e-12);
        assert!((h - 2.4841).abs() < 1e-3, "{h}");
        assert!(mean_ci95(&[5.0]).1.is_nan());
        assert_eq!(median(&[3.0, 1.0, 2.0, f64::NAN]), 2.0);
    }
}

/// Least-squares fit of `y = a x^b` on log-log axes: `(a, b, r^2)`; `None` for fewer than
/// two usable points.
pub fn fit_power_law(xs: &[f64], ys: &[f64]) -> Option<(f64, f64, f64)> {
    let pts: Vec<(f64, f64)> = xs
        .iter()
        .zip(ys)
        .filter(|(x, y)| **x > 0.0 && **y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    let n = pts.len() as f64;
    if pts.len() < 2 {
        return None;
    }
    let (mx, my) = (
        pts.iter().map(|p| p.0).sum::<f64>() / n,
        pts.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let syy: f64 = pts.iter().map(|p| (p.1 - my).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let b = sxy / sxx;
    let r2 = if syy == 0.0 { 1.0 } else { sxy * sxy / (sxx * syy) };
    Some(((my - b * mx).exp(), b, r2))
}

#[cfg(test)]
mod power_law_tests {
    use super::*;

    #[test]
    fn recovers_exponent() {
        let xs = [200.0, 400.0, 600.0, 800.0, 1000.0];
        let ys: Vec<f64> = xs.iter().map(|x: &f64| 3e-6 * x.powf(2.0)).collect();
        let (a, b, r2) = fit_power_law(&xs, &ys).unwrap();
        assert!((b - 2.0).abs() < 1e-9 && (a - 3e-6).abs() < 1e-12 && (r2 - 1.0).abs() < 1e-12);
        assert!(fit_power_law(&[1.0], &[1.0]).is_none());
    }
}
