//! Seconds per dlADMM iteration at the paper's size (784-1000-1000-10, N = 55,000, f32) on
//! random MNIST-like data, against the seconds of one `(1000 x 1000) (1000 x 55,000)`
//! product measured in the same process.
//!
//! `cargo run --release -p dladmm --example paper_size [ITERATIONS] [reference|paper]
//! [interleaved]` (default: 3 iterations of the reference variant's defaults; needs about
//! 2 GB of memory). The product is timed before and after the run; with `interleaved` it is
//! also timed between the iterations, and each iteration is compared with the products
//! around it, which keeps the ratio meaningful on a machine shared with other jobs (the
//! product's 440 MB of buffers then stay allocated and add to the peak memory).

use std::time::Instant;

use dladmm::{DladmmConfig, RhoSchedule, TRAINING_COST, Variant, products_per_iteration, training_cost_products};
use ndarray::{Array2, ShapeBuilder};
use optim_core::linalg::{gemm, zeros};
use optim_core::{Dataset, Init, MethodConfig, Mlp, Stream, rng_for};
use rand::Rng as _;

const WIDTHS: [usize; 4] = [784, 1000, 1000, 10];
const SAMPLES: usize = 55_000;

/// Operands of the reference product `(1000 x 1000) (1000 x N)`.
struct Product {
    w: Array2<f32>,
    a: Array2<f32>,
    c: Array2<f32>,
}

impl Product {
    fn new() -> Self {
        let mut rng = rng_for(1, Stream::Data, 0);
        let mut w = zeros(1000, 1000);
        w.iter_mut().for_each(|v| *v = rng.random::<f32>() - 0.5);
        let mut a = zeros(1000, SAMPLES);
        a.iter_mut().for_each(|v| *v = rng.random::<f32>());
        Self {
            w,
            a,
            c: zeros(1000, SAMPLES),
        }
    }

    /// Best of `repeats` timings.
    fn seconds(&mut self, repeats: usize) -> f64 {
        (0..repeats)
            .map(|_| {
                let t = Instant::now();
                gemm(0.0, &mut self.c.view_mut(), 1.0, &self.w.view(), &self.a.view());
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    }
}

/// Pixels in [0, 1], about 20% of them non-zero (as MNIST), ten random classes.
fn random_data() -> Dataset {
    let mut rng = rng_for(2, Stream::Data, 0);
    let mut x = Array2::<f32>::zeros((WIDTHS[0], SAMPLES).f());
    x.iter_mut().for_each(|v| {
        if rng.random::<f32>() < 0.2 {
            *v = rng.random::<f32>();
        }
    });
    let labels = (0..SAMPLES).map(|_| rng.random_range(0..10u32)).collect();
    Dataset::new(x, labels, 10).expect("labels are in range")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let iterations: usize = match args.next() {
        Some(s) => s.parse()?,
        None => 3,
    };
    let variant = match args.next().as_deref() {
        None | Some("reference") => Variant::Reference,
        Some("paper") => Variant::Paper,
        Some(other) => return Err(format!("unknown variant {other:?}: reference | paper").into()),
    };
    let interleaved = match args.next().as_deref() {
        None => false,
        Some("interleaved") => true,
        Some(other) => return Err(format!("unknown option {other:?}: interleaved").into()),
    };
    println!("threads: {}", rayon::current_num_threads());
    let mut product = Product::new();
    let product_before = product.seconds(3);
    println!("one (1000x1000)(1000x{SAMPLES}) product: {product_before:.3} s");
    let mut product = interleaved.then_some(product);

    let data = random_data();
    let mut model = Mlp::new(&WIDTHS, &Init::default(), &mut rng_for(13, Stream::Init, 0))?;
    let config = DladmmConfig {
        variant,
        ..DladmmConfig::default()
    };
    println!("config: {}", serde_json::to_string(&config.resolved())?);
    let mut optimizer = config.build()?;
    let t = Instant::now();
    optimizer.initialize(&model, &data, 13)?;
    println!("initialize: {:.3} s", t.elapsed().as_secs_f64());
    let mut seconds = Vec::new();
    let mut local_ratios = Vec::new();
    let mut previous_product = product.as_mut().map(|p| p.seconds(2));
    for k in 0..iterations {
        let t = Instant::now();
        let mut d = optimizer.step(&mut model, &data, k)?;
        let s = t.elapsed().as_secs_f64();
        seconds.push(s);
        // Untimed, as the executor runs it: the adaptive rule's training cost.
        d.append(optimizer.after_step(&model, &data, k)?);
        let get = |n: &str| d.get(n).unwrap_or(f64::NAN);
        println!(
            "iteration {k}: {s:.3} s  augmented_lagrangian {:.6e}  residual {:.4e}  w_trials {}  a_trials {}  \
             fista_iterations {}  training_cost {:.6e}",
            get("augmented_lagrangian"),
            get("residual"),
            get("w_trials"),
            get("a_trials"),
            get("fista_iterations"),
            get(TRAINING_COST),
        );
        if let (Some(p), Some(before)) = (product.as_mut(), previous_product) {
            let after = p.seconds(2);
            let around = 0.5 * (before + after);
            local_ratios.push(s / around);
            println!(
                "  products around it: {before:.3} s, {after:.3} s; ratio {:.2}",
                s / around
            );
            previous_product = Some(after);
        }
    }
    drop(optimizer);
    let mut product = product.unwrap_or_else(Product::new);
    let product_after = product.seconds(3);
    let best_product = product_before.min(product_after);
    let mean = seconds.iter().sum::<f64>() / seconds.len().max(1) as f64;
    // Iteration 0 also pays the first touch of the scratch buffers and, from z_L = 2y - 1,
    // usually the full 500 FISTA iterations: report the later ones separately.
    let later = &seconds[1.min(seconds.len())..];
    let steady = later.iter().sum::<f64>() / later.len().max(1) as f64;
    // The timed iteration; the adaptive rule's training cost runs untimed after it.
    let counted = products_per_iteration(&WIDTHS, SAMPLES);
    let untimed = if config.effective_schedule() == RhoSchedule::Adaptive {
        training_cost_products(&WIDTHS, SAMPLES)
    } else {
        0.0
    };
    println!("product: {product_before:.3} s before, {product_after:.3} s after");
    println!(
        "seconds per iteration: {mean:.3} (all), {steady:.3} (after the first); best product {best_product:.3} s; \
         ratio {:.2} (all), {:.2} (after the first); products counted {counted:.2} (and {untimed:.2} untimed)",
        mean / best_product,
        steady / best_product
    );
    if !local_ratios.is_empty() {
        let later = &local_ratios[1.min(local_ratios.len())..];
        println!(
            "ratio to the products around each iteration: {:?}; mean after the first {:.2}",
            local_ratios
                .iter()
                .map(|r| (r * 100.0).round() / 100.0)
                .collect::<Vec<_>>(),
            later.iter().sum::<f64>() / later.len().max(1) as f64
        );
    }
    Ok(())
}
