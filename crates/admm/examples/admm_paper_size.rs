//! Seconds per ADMM iteration at the dlADMM paper's problem size: 784 features, 60,000
//! samples, 10 classes, widths 784-H-H-10 for H in 200, 400, ..., 1000 (the sweep of the
//! paper's Table 2), on random data (the cost of an iteration depends on the shapes only,
//! apart from the few FISTA iterations of the cross-entropy output).
//!
//! ```text
//! cargo run --release -p admm --example admm_paper_size [-- SAMPLES ITERATIONS]
//! ```
//!
//! Prints, per width, the mean and fastest iteration, the dense-product flops of one
//! iteration (see `iteration_flops`) and the rate they imply, next to the rate of one plain
//! product of the shape of a Gram matrix measured just before: on a shared machine the ratio
//! of the two separates the method's own cost from other load. Ends with the exponents `p`
//! of least-squares fits `t ∝ H^p` to the mean and to the fastest times.

use std::time::Instant;

use admm::{Admm, AdmmConfig};
use ndarray::{Array2, ShapeBuilder, s};
use optim_core::linalg::{gemm, zeros};
use optim_core::{Dataset, Init, Mlp, Optimizer, Stream, rng_for};
use rand::Rng as _;
use rand_distr::{Distribution, Uniform};

fn arg(position: usize, default: usize) -> usize {
    match std::env::args().nth(position) {
        None => default,
        Some(text) => text.parse().unwrap_or_else(|_| {
            eprintln!("argument {position} must be a positive integer, got {text:?}");
            std::process::exit(2)
        }),
    }
}

fn random_dataset(features: usize, samples: usize, classes: usize) -> Dataset {
    let mut rng = rng_for(0, Stream::Data, 0);
    let pixel = Uniform::new(0.0f32, 1.0).expect("valid range");
    let mut x = Array2::zeros((features, samples).f());
    x.iter_mut().for_each(|v| *v = pixel.sample(&mut rng));
    let labels = (0..samples).map(|_| rng.random_range(0..classes as u32)).collect();
    Dataset::new(x, labels, classes).expect("labels in range")
}

/// Flops of the dense products of one iteration for widths `n0-h-h-c` and `n` samples:
/// `W_1`'s right-hand side and `m_1` (`2 n0 h n` each); `a_1` in primal form (`Wᵀ z` and two
/// triangular solves, `4 h² n`); `W_2`'s Gram matrix and right-hand side, `m_2` and `W_3`'s
/// Gram matrix (`2 h² n` each); the products with `c` rows (`a_2` in dual form, `W_3`'s
/// right-hand side, `m_3`: `8 c h n`). The input Gram matrix is factorised once per run.
fn iteration_flops(n0: usize, h: usize, c: usize, n: usize) -> f64 {
    let (n0, h, c, n) = (n0 as f64, h as f64, c as f64, n as f64);
    4.0 * n0 * h * n + 12.0 * h * h * n + 8.0 * c * h * n
}

/// GFLOP/s of one `k × n` by `n × k` product on the data (`k ≤ 784`).
fn product_rate(data: &Dataset, k: usize) -> f64 {
    let a = data.features.slice(s![..k, ..]);
    let mut c = zeros(k, k);
    let start = Instant::now();
    gemm(0.0, &mut c.view_mut(), 1.0, &a, &a.t());
    2.0 * (k * k * a.ncols()) as f64 / start.elapsed().as_secs_f64() / 1e9
}

/// Least-squares slope of `y` against `x`.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / points.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>()
}

fn main() -> Result<(), optim_core::OptimError> {
    let samples = arg(1, 60_000);
    let iterations = arg(2, 2).max(1);
    let data = random_dataset(784, samples, 10);
    println!(
        "ADMM seconds per iteration, 784-H-H-10, {samples} samples, {iterations} iterations each, {} threads",
        rayon::current_num_threads()
    );
    println!(
        "{:>6} {:>10} {:>10} {:>8} {:>9} {:>13} {:>13}",
        "H", "mean s/it", "min s/it", "init s", "GFLOP/it", "GFLOP/s(min)", "gemm GFLOP/s"
    );
    let (mut fit_mean, mut fit_min) = (Vec::new(), Vec::new());
    for hidden in [200usize, 400, 600, 800, 1000] {
        let mut model = Mlp::new(
            &[784, hidden, hidden, 10],
            &Init::default(),
            &mut rng_for(0, Stream::Init, 0),
        )?;
        let mut admm = Admm::new(AdmmConfig::default())?;
        let start = Instant::now();
        admm.initialize(&model, &data, 0)?;
        let init_seconds = start.elapsed().as_secs_f64();
        let gemm_rate = product_rate(&data, hidden.min(784));
        let mut each = Vec::with_capacity(iterations);
        for k in 0..iterations {
            let start = Instant::now();
            admm.step(&mut model, &data, k)?;
            each.push(start.elapsed().as_secs_f64());
        }
        let mean = each.iter().sum::<f64>() / each.len() as f64;
        let min = each.iter().copied().fold(f64::INFINITY, f64::min);
        let gflop = iteration_flops(784, hidden, 10, samples) / 1e9;
        println!(
            "{hidden:>6} {mean:>10.3} {min:>10.3} {init_seconds:>8.3} {gflop:>9.1} {:>13.1} {gemm_rate:>13.1}",
            gflop / min
        );
        fit_mean.push(((hidden as f64).ln(), mean.ln()));
        fit_min.push(((hidden as f64).ln(), min.ln()));
    }
    println!(
        "power-law fit: mean seconds per iteration ~ H^{:.2}, fastest ~ H^{:.2}",
        slope(&fit_mean),
        slope(&fit_min)
    );
    Ok(())
}
