//! Wilcoxon signed-rank test for paired samples (docs/statistics.md#wilcoxon-signed-rank-test).
//!
//! Pairs are typically the same seed (initialisation, data order) run with two optimizers.
//! The defaults follow `scipy.stats.wilcoxon` (SciPy 1.17) called with its default arguments:
//! zero differences dropped (`zero_method="wilcox"`), no continuity correction, two-sided,
//! `method="auto"`.

use statrs::function::erf::erfc;

use super::StatsError;
use super::error::check_finite;
use super::ranks::average_ranks;

/// How the p-value is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// SciPy's choice: [`Method::Asymptotic`] for more than 50 pairs; otherwise
    /// [`Method::Exact`] without ties or zero differences, [`Method::ExactConditional`] with
    /// them for at most 13 pairs, and [`Method::Asymptotic`] for 14 to 50 pairs with them.
    Auto,
    /// The exact null distribution of the signed-rank sum of ranks `1..=n`. With ties the
    /// statistic may be a half-integer; it is then rounded away from the centre (conservative),
    /// as SciPy does.
    Exact,
    /// The exact null distribution given the observed mid-ranks: all `2^n` sign assignments
    /// of the nonzero differences, equally likely. What SciPy's `auto` computes, by
    /// enumerating sign flips, when ties or zeros rule out [`Method::Exact`] for at most 13
    /// pairs.
    ExactConditional,
    /// Normal approximation of the signed-rank sum with the tie correction of its variance
    /// and no continuity correction.
    Asymptotic,
}

/// The test's result for pairs `(x_i, y_i)`, differences `d_i = x_i - y_i`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Wilcoxon {
    /// `min(r_plus, r_minus)`, what SciPy reports for the two-sided test.
    pub statistic: f64,
    /// Sum of the ranks of `|d_i|` over positive differences (x larger).
    pub r_plus: f64,
    /// Sum of the ranks of `|d_i|` over negative differences (y larger).
    pub r_minus: f64,
    /// Two-sided p-value under the hypothesis that the differences are symmetric about 0.
    pub p_value: f64,
    /// The method that computed `p_value` (never [`Method::Auto`]).
    pub method: Method,
    /// Standardised signed-rank sum `(r_plus - n (n + 1) / 4) / sd`, with the tie-corrected
    /// sd; positive when x tends to be larger. NaN when all differences are zero.
    pub z: f64,
    /// Pairs with a nonzero difference (the `n` of the test).
    pub n: usize,
    /// Pairs with a zero difference, dropped before ranking.
    pub zeros: usize,
    /// Whether some nonzero `|d_i|` are tied.
    pub ties: bool,
    /// Matched-pairs rank-biserial correlation `(r_plus - r_minus) / (r_plus + r_minus)`, in
    /// [-1, 1]: +1 when x is larger in every pair; 0 when all differences are zero.
    pub rank_biserial: f64,
}

/// The test with SciPy's default choice of method ([`Method::Auto`]).
pub fn wilcoxon(x: &[f64], y: &[f64]) -> Result<Wilcoxon, StatsError> {
    wilcoxon_with(x, y, Method::Auto)
}

/// The test with the p-value computed by `method`. `x` and `y` are paired, of equal length,
/// finite.
pub fn wilcoxon_with(x: &[f64], y: &[f64], method: Method) -> Result<Wilcoxon, StatsError> {
    check_finite(x, || "x".into())?;
    check_finite(y, || "y".into())?;
    if x.len() != y.len() {
        return Err(StatsError::LengthMismatch {
            what: "paired samples x and y".into(),
            left: x.len(),
            right: y.len(),
        });
    }
    let diffs: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
    let nonzero: Vec<f64> = diffs.iter().copied().filter(|d| *d != 0.0).collect();
    let zeros = diffs.len() - nonzero.len();
    let abs: Vec<f64> = nonzero.iter().map(|d| d.abs()).collect();
    let (ranks, tie_groups) = average_ranks(&abs);
    let (mut r_plus, mut r_minus) = (0.0, 0.0);
    for (d, r) in nonzero.iter().zip(&ranks) {
        if *d > 0.0 {
            r_plus += r;
        } else {
            r_minus += r;
        }
    }
    let n = nonzero.len();
    let ties = !tie_groups.is_empty();
    let z = z_score(r_plus, n, &tie_groups);

    let method = match method {
        Method::Auto if diffs.len() > 50 => Method::Asymptotic,
        Method::Auto if !ties && zeros == 0 => Method::Exact,
        Method::Auto if diffs.len() <= 13 => Method::ExactConditional,
        Method::Auto => Method::Asymptotic,
        m => m,
    };
    let p_value = match method {
        Method::Exact => exact_p(r_plus, n),
        Method::ExactConditional => conditional_p(&ranks, &nonzero),
        _ => erfc(z.abs() / std::f64::consts::SQRT_2),
    };
    let total = r_plus + r_minus;
    Ok(Wilcoxon {
        statistic: r_plus.min(r_minus),
        r_plus,
        r_minus,
        p_value,
        method,
        z,
        n,
        zeros,
        ties,
        rank_biserial: if total > 0.0 { (r_plus - r_minus) / total } else { 0.0 },
    })
}

/// Mean `n (n + 1) / 4` and variance `(n (n + 1) (2n + 1) - sum (t^3 - t) / 2) / 24` of the
/// signed-rank sum, `t` the size of each group of tied `|d|`.
fn z_score(r_plus: f64, n: usize, tie_groups: &[usize]) -> f64 {
    let nf = n as f64;
    let mean = nf * (nf + 1.0) / 4.0;
    let ties: f64 = tie_groups.iter().map(|&t| (t * t * t - t) as f64).sum();
    let var = (nf * (nf + 1.0) * (2.0 * nf + 1.0) - ties / 2.0) / 24.0;
    (r_plus - mean) / var.sqrt()
}

/// Two-sided p of `r_plus` under the exact null of ranks `1..=n`:
/// `min(1, 2 min(P(W <= ceil r), P(W >= floor r)))`.
fn exact_p(r_plus: f64, n: usize) -> f64 {
    let counts = subset_sum_counts(&(1..=n).collect::<Vec<_>>());
    two_sided_from_counts(&counts, r_plus.ceil() as usize, r_plus.floor() as usize)
}

/// Two-sided p under the null of all sign assignments of the observed mid-ranks. Mid-ranks
/// are multiples of 1/2, so doubled ranks are integers and the count of each doubled sum is
/// exact.
fn conditional_p(ranks: &[f64], nonzero: &[f64]) -> f64 {
    let doubled: Vec<usize> = ranks.iter().map(|r| (2.0 * r).round() as usize).collect();
    let observed: usize = doubled
        .iter()
        .zip(nonzero)
        .filter(|(_, d)| **d > 0.0)
        .map(|(r, _)| r)
        .sum();
    let counts = subset_sum_counts(&doubled);
    two_sided_from_counts(&counts, observed, observed)
}

/// `counts[s]`: how many subsets of `weights` sum to `s` (each weight counted once), i.e.
/// how many sign assignments give a positive-rank sum `s`. Counts up to `2^n` are exact in
/// f64 for `n <= 53`.
fn subset_sum_counts(weights: &[usize]) -> Vec<f64> {
    let total: usize = weights.iter().sum();
    let mut counts = vec![0.0; total + 1];
    counts[0] = 1.0;
    let mut reach = 0;
    for &w in weights {
        reach += w;
        for s in (w..=reach).rev() {
            counts[s] += counts[s - w];
        }
    }
    counts
}

/// `min(1, 2 min(P(S <= upper_of_lower_tail), P(S >= lower_of_upper_tail)))` for the
/// distribution whose counts are `counts`.
fn two_sided_from_counts(counts: &[f64], lower_tail_end: usize, upper_tail_start: usize) -> f64 {
    let all: f64 = counts.iter().sum();
    let below: f64 = counts[..=lower_tail_end.min(counts.len() - 1)].iter().sum();
    let above: f64 = counts[upper_tail_start.min(counts.len())..].iter().sum();
    (2.0 * below.min(above) / all).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values of `scipy.stats.wilcoxon(x, y)` printed by statistics_reference.py, section
    /// "scipy.stats.wilcoxon", for the case of the same name.
    struct Pinned {
        statistic: f64,
        p_value: f64,
        r_plus: f64,
        r_minus: f64,
        rank_biserial: f64,
        asymptotic_p: f64,
        asymptotic_z: f64,
        method: Method,
    }

    fn check(x: &[f64], y: &[f64], want: Pinned) {
        let got = wilcoxon(x, y).unwrap();
        assert_eq!(got.method, want.method);
        assert_eq!(got.statistic, want.statistic);
        assert_eq!((got.r_plus, got.r_minus), (want.r_plus, want.r_minus));
        let rel = |a: f64, b: f64| (a - b).abs() <= 1e-10 * b.abs().max(1e-300);
        assert!(rel(got.p_value, want.p_value), "p {} vs {}", got.p_value, want.p_value);
        assert!((got.rank_biserial - want.rank_biserial).abs() < 1e-12);
        let asym = wilcoxon_with(x, y, Method::Asymptotic).unwrap();
        assert!(
            rel(asym.p_value, want.asymptotic_p),
            "{} vs {}",
            asym.p_value,
            want.asymptotic_p
        );
        // SciPy reports -|z| for the two-sided test; ours keeps the sign.
        assert!(
            rel(-asym.z.abs(), want.asymptotic_z),
            "{} vs {}",
            asym.z,
            want.asymptotic_z
        );
        assert_eq!(asym.z.signum(), (want.r_plus - want.r_minus).signum());
    }

    #[test]
    fn exact_without_ties_or_zeros() {
        let x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30, 2.01];
        let y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.12, 1.29, 1.20];
        check(
            &x,
            &y,
            Pinned {
                statistic: 5.0,
                p_value: 0.01953125,
                r_plus: 50.0,
                r_minus: 5.0,
                rank_biserial: 0.8181818181818182,
                asymptotic_p: 0.02182427562605354,
                asymptotic_z: -2.293412361469315,
                method: Method::Exact,
            },
        );
        let forced = wilcoxon_with(&x, &y, Method::Exact).unwrap();
        assert_eq!(forced.p_value, 0.01953125);
    }

    #[test]
    fn ties_use_the_exact_conditional_distribution() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let y = [0.0, 1.0, 4.0, 3.0, 3.0, 5.0, 4.0, 10.0];
        check(
            &x,
            &y,
            Pinned {
                statistic: 9.5,
                p_value: 0.3046875,
                r_plus: 26.5,
                r_minus: 9.5,
                rank_biserial: 0.4722222222222222,
                asymptotic_p: 0.22166801217700272,
                asymptotic_z: -1.222104762972302,
                method: Method::ExactConditional,
            },
        );
    }

    #[test]
    fn zeros_are_dropped_before_ranking() {
        let x = [5.0, 3.0, 6.0, 2.0, 7.0, 4.0, 4.0, 9.0, 1.0];
        let y = [5.0, 1.0, 4.0, 2.0, 3.0, 5.0, 1.0, 3.0, 2.0];
        check(
            &x,
            &y,
            Pinned {
                statistic: 3.0,
                p_value: 0.0625,
                r_plus: 25.0,
                r_minus: 3.0,
                rank_biserial: 0.7857142857142857,
                asymptotic_p: 0.06203917662384968,
                asymptotic_z: -1.8660156452959362,
                method: Method::ExactConditional,
            },
        );
        let w = wilcoxon(&x, &y).unwrap();
        assert_eq!((w.n, w.zeros), (7, 2));
    }

    #[test]
    fn ties_beyond_13_pairs_use_the_normal_approximation() {
        let x = [
            3., 5., 2., 8., 6., 4., 7., 9., 5., 6., 4., 3., 8., 7., 5., 6., 9., 2., 4., 7.,
        ];
        let y = [
            1., 5., 3., 6., 3., 4., 4., 6., 2., 5., 1., 4., 6., 4., 3., 3., 5., 2., 2., 5.,
        ];
        check(
            &x,
            &y,
            Pinned {
                statistic: 4.0,
                p_value: 0.000504023721926648,
                r_plus: 149.0,
                r_minus: 4.0,
                rank_biserial: 0.9477124183006536,
                asymptotic_p: 0.000504023721926648,
                asymptotic_z: -3.4786088346435897,
                method: Method::Asymptotic,
            },
        );
    }

    #[test]
    fn exact_for_30_pairs() {
        #[rustfmt::skip]
        let x = [-0.045376, -2.690575, -1.64352, 1.397892, -1.035812, 0.634585, -1.041013, 0.670923, 0.355738, 0.326209, 0.579791, 2.697204, 0.518318, -0.018382, 0.390171, -3.052746, 1.376307, -0.503659, 0.809391, 0.612408, 1.292176, 0.750613, 1.030064, 2.388126, 1.407518, 0.461471, -0.396627, 1.823739, 0.920122, 1.480427];
        #[rustfmt::skip]
        let y = [0.512586, -0.828504, -1.793138, 0.565494, -0.723908, -0.174988, 0.179704, 0.342608, -0.615546, 0.501871, 0.439177, 0.80496, 1.118201, 0.347096, -0.930858, -2.001034, -0.235314, -1.434403, 1.106009, 0.460958, 1.178608, 1.481402, 1.647802, 1.760353, 2.067195, 0.042157, -0.182168, 0.559817, 0.902319, 1.42395];
        check(
            &x,
            &y,
            Pinned {
                statistic: 206.0,
                p_value: 0.5978077705949545,
                r_plus: 259.0,
                r_minus: 206.0,
                rank_biserial: 0.11397849462365592,
                asymptotic_p: 0.5857115693468691,
                asymptotic_z: -0.5450609929046938,
                method: Method::Exact,
            },
        );
    }

    #[test]
    fn more_than_50_pairs_use_the_normal_approximation() {
        #[rustfmt::skip]
        let x = [1.472325, 1.776079, 0.866151, -1.069017, -0.183218, 0.647943, 1.246808, 1.391691, 1.69484, -0.644379, -2.003752, -0.307808, -0.985266, 0.39283, 0.06413, 0.928906, 1.611222, 1.185905, -0.059428, 1.848073, -0.091905, 0.380625, 0.141711, 0.00986, 0.908602, -0.713563, -0.460858, 0.861077, -1.343463, -0.45177, 0.965242, -1.190832, 0.275147, 0.705582, 0.30537, -0.790831, -0.306179, 0.759608, 0.384015, -0.032404, -0.904334, -1.829424, -1.600488, -0.433325, -0.680511, -0.750231, -1.101937, 1.328253, 0.834003, 0.437052, -0.18327, -0.536745, -0.215516, -0.480905, 0.209964, 0.692086, 0.821544, 0.835808, -0.989631, 0.49583];
        #[rustfmt::skip]
        let y = [3.000113, 1.9627, 2.092479, -0.012807, 1.315941, 0.488853, 1.979958, 0.891685, 2.545352, -0.360347, -0.671206, -0.605988, -0.22419, -0.033854, -2.393124, 1.48254, 2.229693, 1.493568, -0.751809, 0.893566, 1.675747, -0.71376, -0.892821, -0.874141, 2.453681, 0.064305, -0.105554, 1.295479, -1.668777, -0.595536, 0.344843, -0.60632, -1.415179, 3.882226, 0.652704, -1.140186, 1.586806, -0.632293, 0.282733, 1.026434, -1.731436, -2.359438, -1.673016, 0.476457, 0.896426, 0.36363, -1.492441, 2.147474, 2.043946, 0.130285, 0.045383, 1.839481, 0.128173, -1.031886, 0.918172, 1.488177, 2.165355, 2.331018, -2.623818, 1.295699];
        check(
            &x,
            &y,
            Pinned {
                statistic: 601.0,
                p_value: 0.020802862007809782,
                r_plus: 601.0,
                r_minus: 1229.0,
                rank_biserial: -0.34316939890710385,
                asymptotic_p: 0.020802862007809782,
                asymptotic_z: -2.311543342510724,
                method: Method::Asymptotic,
            },
        );
    }

    #[test]
    fn exact_distribution_of_small_n_by_hand() {
        // n = 3: the 8 sign patterns give W+ in {0, 1, 2, 3, 3, 4, 5, 6}.
        assert_eq!(subset_sum_counts(&[1, 2, 3]), vec![1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0]);
        // All positive, n = 3: P(W+ >= 6) = 1/8, two-sided 1/4.
        let w = wilcoxon(&[2.0, 3.0, 4.0], &[1.0, 1.0, 1.0]).unwrap();
        assert_eq!((w.statistic, w.p_value, w.rank_biserial), (0.0, 0.25, 1.0));
    }

    #[test]
    fn all_zero_differences() {
        let w = wilcoxon(&[1.0, 2.0], &[1.0, 2.0]).unwrap();
        assert_eq!((w.n, w.zeros, w.p_value, w.rank_biserial), (0, 2, 1.0, 0.0));
        assert!(
            wilcoxon_with(&[1.0, 2.0], &[1.0, 2.0], Method::Asymptotic)
                .unwrap()
                .p_value
                .is_nan()
        );
    }

    #[test]
    fn rejects_unpaired_input() {
        assert!(matches!(
            wilcoxon(&[1.0, 2.0], &[1.0]),
            Err(StatsError::LengthMismatch { .. })
        ));
    }
}
