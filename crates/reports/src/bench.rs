//! `runner bench`: speed measurements at the paper's sizes (never part of the tests).

use std::time::Instant;

use anyhow::{Result, anyhow};
use clap::{Args, Subcommand};
use optim_core::linalg::{gemm, zeros};
use optim_core::{BatchConfig, GradientMethod, Init, Mlp, Optimizer, RuleConfig, Stream, rng_for};

use crate::stats::median;
use harness::data::DataCache;
use harness::experiment::DatasetSpec;

/// Which measurement.
#[derive(Subcommand)]
pub enum Bench {
    /// Seconds of one epoch of Adam (batch 128, mean loss) on MNIST, 784-1000-1000-10.
    AdamEpoch(AdamEpochArgs),
    /// GFLOP/s of the f32 products dlADMM needs at the paper's size.
    Products(ProductArgs),
    /// Seconds per iteration of a full-batch method (dladmm, admm) at the paper's size,
    /// against the time of one (1000x1000)(1000xN) product measured between iterations.
    Method(MethodArgs),
}

/// Options of `bench method`.
#[derive(Args)]
pub struct MethodArgs {
    /// Registry name of the optimizer (`dladmm`, `admm`, ...).
    pub optimizer: String,
    /// Hidden widths to time (two hidden layers of each width).
    #[arg(long, value_delimiter = ',', default_value = "1000")]
    pub widths: Vec<usize>,
    /// Training samples (random data of MNIST's shape; the paper: 55,000).
    #[arg(long, default_value_t = 55_000)]
    pub samples: usize,
    /// Iterations per width; the first (warm-up) is reported but not in the median.
    #[arg(long, default_value_t = 4)]
    pub iterations: usize,
    /// Hyper-parameters as KEY=VALUE (TOML values), e.g. `--set variant=\"paper\"`.
    #[arg(long = "set")]
    pub set: Vec<String>,
}

/// Options of `bench adam-epoch`.
#[derive(Args)]
pub struct AdamEpochArgs {
    /// Epochs to time (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    /// Training samples (default: all 60,000).
    #[arg(long)]
    pub samples: Option<usize>,
    /// Directory holding mnist/*.gz (default: $DLADMM_DATA or the user cache).
    #[arg(long)]
    pub data_dir: Option<std::path::PathBuf>,
}

/// Options of `bench products`.
#[derive(Args)]
pub struct ProductArgs {
    /// Samples (columns of the activations).
    #[arg(long, default_value_t = 55_000)]
    pub samples: usize,
    /// Repetitions per product (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
}

/// Runs a benchmark with `threads` threads.
pub fn run(bench: Bench, threads: usize) -> Result<()> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    pool.install(|| match bench {
        Bench::AdamEpoch(a) => adam_epoch(a, threads),
        Bench::Products(p) => products(p, threads),
        Bench::Method(m) => method(m, threads),
    })
}

fn adam_epoch(args: AdamEpochArgs, threads: usize) -> Result<()> {
    let spec = DatasetSpec {
        name: "mnist".into(),
        train_samples: args.samples,
        test_samples: None,
        synthetic: None,
        downsample: None,
        validation: None,
    };
    let data = DataCache::new(args.data_dir).get(&spec)?;
    let train = &data.train;
    let mut model = Mlp::new(
        &[784, 1000, 1000, 10],
        &Init::KaimingNormal,
        &mut rng_for(0, Stream::Init, 0),
    )
    .map_err(|e| anyhow!("{e}"))?;
    let rule = adam::AdamConfig::default().build().map_err(|e| anyhow!("{e}"))?;
    let batch = BatchConfig {
        batch_size: Some(args.batch_size),
        ..Default::default()
    };
    let mut adam = GradientMethod::new(rule, batch).map_err(|e| anyhow!("{e}"))?;
    adam.initialize(&model, train, 0).map_err(|e| anyhow!("{e}"))?;
    let mut times = Vec::new();
    for epoch in 0..args.epochs {
        let start = Instant::now();
        adam.step(&mut model, train, epoch).map_err(|e| anyhow!("{e}"))?;
        let s = start.elapsed().as_secs_f64();
        eprintln!("epoch {epoch}: {s:.3} s");
        times.push(s);
    }
    let eval = model.evaluate(&data.test);
    println!(
        "adam-epoch: samples {} batch {} threads {threads}: median {:.3} s per epoch (min {:.3}, max {:.3}); test accuracy after {} epochs {:.4}",
        train.len(),
        args.batch_size,
        median(&times),
        times.iter().copied().fold(f64::INFINITY, f64::min),
        times.iter().copied().fold(0.0, f64::max),
        args.epochs,
        eval.accuracy
    );
    println!("seconds_per_epoch {}", median(&times));
    Ok(())
}

/// Times `c = a b` for the given operand shapes; column-major storage throughout.
pub fn time_product(m: usize, k: usize, n: usize, transpose_a: bool, transpose_b: bool, repeats: usize) -> f64 {
    let a = if transpose_a {
        zeros(k, m) + 0.01
    } else {
        zeros(m, k) + 0.01
    };
    let b = if transpose_b {
        zeros(n, k) + 0.01
    } else {
        zeros(k, n) + 0.01
    };
    let mut c = zeros(m, n);
    let av = if transpose_a { a.t() } else { a.view() };
    let bv = if transpose_b { b.t() } else { b.view() };
    let mut times = Vec::new();
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        gemm(0.0, &mut c.view_mut(), 1.0, &av, &bv);
        times.push(start.elapsed().as_secs_f64());
    }
    median(&times)
}

fn products(args: ProductArgs, threads: usize) -> Result<()> {
    let n = args.samples;
    // The products of one dlADMM iteration at 784-1000-1000-10: W a, G a^T-type and W^T r.
    let shapes: [(&str, usize, usize, usize, bool, bool); 5] = [
        ("W1 X      (1000x784)(784xN)", 1000, 784, n, false, false),
        ("W2 a1     (1000x1000)(1000xN)", 1000, 1000, n, false, false),
        ("R a1^T    (1000xN)(Nx1000)", 1000, n, 1000, false, true),
        ("R X^T     (1000xN)(Nx784)", 1000, n, 784, false, true),
        ("W2^T R    (1000x1000)^T(1000xN)", 1000, 1000, n, true, false),
    ];
    let mut log_sum = 0.0;
    for (name, m, k, n, ta, tb) in shapes {
        let s = time_product(m, k, n, ta, tb, args.repeats);
        let gflops = 2.0 * (m * k * n) as f64 / s / 1e9;
        log_sum += gflops.ln();
        println!("{name:36} {:8.3} s {gflops:7.1} GFLOP/s", s);
    }
    println!(
        "geometric mean {:.1} GFLOP/s with {threads} threads",
        (log_sum / shapes.len() as f64).exp()
    );
    Ok(())
}

/// Random data of MNIST's shape: sparse pixels in [0, 1], ten classes.
fn random_mnist_like(samples: usize) -> optim_core::Dataset {
    use ndarray::ShapeBuilder as _;
    use rand::Rng as _;
    let mut rng = rng_for(2, Stream::Data, 0);
    let mut x = ndarray::Array2::<f32>::zeros((784, samples).f());
    x.iter_mut().for_each(|v| {
        if rng.random::<f32>() < 0.2 {
            *v = rng.random::<f32>();
        }
    });
    let labels = (0..samples).map(|_| rng.random_range(0..10u32)).collect();
    optim_core::Dataset::new(x, labels, 10).expect("labels are in range")
}

fn method(args: MethodArgs, threads: usize) -> Result<()> {
    use ndarray::ShapeBuilder as _;
    let entry = harness::registry::find(&args.optimizer)?;
    let mut params = toml::Table::new();
    for kv in &args.set {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| anyhow!("--set wants KEY=VALUE, got `{kv}`"))?;
        let value: toml::Table = toml::from_str(&format!("v = {v}")).map_err(|e| anyhow!("--set {kv}: {e}"))?;
        params.insert(k.trim().to_owned(), value["v"].clone());
    }
    let data = random_mnist_like(args.samples);
    let w = zeros(1000, 1000) + 0.001;
    let a = ndarray::Array2::<f32>::from_elem((1000, args.samples).f(), 0.5);
    let mut c = zeros(1000, args.samples);
    let mut product = || {
        let start = Instant::now();
        gemm(0.0, &mut c.view_mut(), 1.0, &w.view(), &a.view());
        start.elapsed().as_secs_f64()
    };
    println!(
        "{} on random data 784 x {} (10 classes), {threads} threads, {:?}",
        args.optimizer, args.samples, args.set
    );
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for &width in &args.widths {
        let built = (entry.build)(&params)?;
        let mut optimizer = built.optimizer;
        let mut model = Mlp::new(
            &[784, width, width, 10],
            &Init::default(),
            &mut rng_for(13, Stream::Init, 0),
        )
        .map_err(|e| anyhow!("{e}"))?;
        optimizer.initialize(&model, &data, 13).map_err(|e| anyhow!("{e}"))?;
        let (mut iteration_seconds, mut product_seconds) = (Vec::new(), vec![product()]);
        for k in 0..args.iterations.max(2) {
            let start = Instant::now();
            let mut diagnostics = optimizer.step(&mut model, &data, k).map_err(|e| anyhow!("{e}"))?;
            let seconds = start.elapsed().as_secs_f64();
            iteration_seconds.push(seconds);
            // Untimed, as the executor runs it (dlADMM's adaptive rule: the training cost).
            let start = Instant::now();
            let after = optimizer.after_step(&model, &data, k).map_err(|e| anyhow!("{e}"))?;
            let after_seconds = start.elapsed().as_secs_f64();
            let any_after = !after.0.is_empty();
            diagnostics.append(after);
            // Inner-loop work varies from iteration to iteration: show it beside the time.
            let inner: Vec<String> = diagnostics
                .iter()
                .filter(|(name, _)| {
                    name.ends_with("_trials") || name.ends_with("_iterations") || name.ends_with("cap_hits")
                })
                .map(|(name, value)| format!("{name} {value}"))
                .collect();
            let after = if any_after {
                format!(" (then {after_seconds:.3} s untimed after the step)")
            } else {
                String::new()
            };
            println!("  iteration {k}: {seconds:.3} s{after}  {}", inner.join(", "));
            // Products between iterations: the ratio compares like with like on a busy machine.
            product_seconds.push(product());
        }
        let steady = median(&iteration_seconds[1..]);
        let p = median(&product_seconds);
        println!(
            "width {width:5}: first iteration {:.3} s, then median {steady:.3} s per iteration; product (1000x1000)(1000x{}) median {p:.3} s; ratio {:.2} products per iteration",
            iteration_seconds[0],
            args.samples,
            steady / p
        );
        xs.push(width as f64);
        ys.push(steady);
    }
    if let Some((a, b, r2)) = crate::stats::fit_power_law(&xs, &ys) {
        println!("fit: seconds per iteration = {a:.3e} * width^{b:.2} (R^2 {r2:.3})");
    }
    Ok(())
}
