//! Accuracy of the f32 normal equations of the weight update at full scale.
//!
//! Runs a few ADMM iterations on the first `n` MNIST training images, then, for every layer,
//! fits `[W_l b_l]` to the current `z_l` against `[a_{l-1}; 1ᵀ]` twice: from Gram and cross
//! products accumulated in f32 (the optimizer's route: f32 products, f64 factorisation) and
//! entirely in f64. It prints the spectrum of the f64 Gram matrix, the size of the f32
//! rounding in it, and the least-squares objective `‖z - W̃ ã‖² + ε ‖W̃‖²` of both solutions
//! evaluated in f64, for each ridge given.
//!
//! ```text
//! DLADMM_DATA=/path/to/data cargo run --release -p admm --example ls_precision -- \
//!     [n=55000] [iterations=3] [ridges=1e-4,1e-6] [any AdmmConfig key=value]
//! ```

use admm::{Admm, AdmmConfig};
use faer::linalg::solvers::Solve;
use faer::{Accum, Mat, Par, Side};
use ndarray::{Array2, ArrayView2};
use optim_core::linalg::{gemm, zeros};
use optim_core::{Init, Mlp, Optimizer, Stream, rng_for};

fn par() -> Par {
    Par::rayon(rayon::current_num_threads().max(1))
}

/// `[x; 1ᵀ]` in f64.
fn augmented(x: &ArrayView2<'_, f32>) -> Mat<f64> {
    let (n, samples) = x.dim();
    Mat::from_fn(n + 1, samples, |i, j| if i < n { f64::from(x[[i, j]]) } else { 1.0 })
}

/// Gram `ã ãᵀ` and cross product `ã zᵀ` accumulated in f32, widened to f64.
fn f32_products(x: &ArrayView2<'_, f32>, z: &ArrayView2<'_, f32>) -> (Mat<f64>, Mat<f64>) {
    let (n, samples) = x.dim();
    let ones = Array2::from_elem((samples, 1), 1.0f32);
    let mut gram = zeros(n, n);
    gemm(0.0, &mut gram.view_mut(), 1.0, x, &x.t());
    let mut sums = zeros(n, 1);
    gemm(0.0, &mut sums.view_mut(), 1.0, x, &ones.view());
    let mut cross = zeros(n, z.nrows());
    gemm(0.0, &mut cross.view_mut(), 1.0, x, &z.t());
    let mut zsums = zeros(z.nrows(), 1);
    gemm(0.0, &mut zsums.view_mut(), 1.0, z, &ones.view());
    let g = Mat::from_fn(n + 1, n + 1, |i, j| match (i < n, j < n) {
        (true, true) => f64::from(gram[[i, j]]),
        (true, false) => f64::from(sums[[i, 0]]),
        (false, true) => f64::from(sums[[j, 0]]),
        (false, false) => samples as f64,
    });
    let c = Mat::from_fn(n + 1, z.nrows(), |i, o| {
        f64::from(if i < n { cross[[i, o]] } else { zsums[[o, 0]] })
    });
    (g, c)
}

fn solve(gram: &Mat<f64>, cross: &Mat<f64>, ridge: f64) -> Mat<f64> {
    let n = gram.nrows();
    let system = Mat::from_fn(n, n, |i, j| gram[(i, j)] + if i == j { ridge } else { 0.0 });
    system.llt(Side::Lower).expect("positive definite").solve(cross)
}

/// `‖z - W̃ ã‖² + ε ‖W̃‖²` with `W̃ᵀ = solution`, in f64.
fn objective(a: &Mat<f64>, z: &Mat<f64>, solution: &Mat<f64>, ridge: f64) -> f64 {
    let mut r = z.clone();
    faer::linalg::matmul::matmul(r.as_mut(), Accum::Add, solution.transpose(), a.as_ref(), -1.0, par());
    r.squared_norm_l2() + ridge * solution.squared_norm_l2()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut n, mut iterations, mut ridges) = (55_000usize, 3usize, vec![1e-4f64, 1e-6]);
    let mut config = serde_json::Map::new();
    for arg in std::env::args().skip(1) {
        let (key, value) = arg
            .split_once('=')
            .ok_or_else(|| format!("expected key=value, got {arg}"))?;
        match key {
            "n" => n = value.parse()?,
            "iterations" => iterations = value.parse()?,
            "ridges" => ridges = value.split(',').map(str::parse).collect::<Result<_, _>>()?,
            _ => {
                let parsed =
                    serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_owned()));
                config.insert(key.to_owned(), parsed);
            }
        }
    }
    let config: AdmmConfig = serde_json::from_value(serde_json::Value::Object(config))?;
    let loaded = datasets::load("mnist-55k", &datasets::DataSource::from_env())?;
    let train = loaded.train.first(n.min(loaded.train.len()))?;
    let mut model = Mlp::new(
        &[784, 1000, 1000, 10],
        &Init::Normal { std: 0.1 },
        &mut rng_for(0, Stream::Init, 0),
    )?;
    let mut admm = Admm::new(config.clone())?;
    admm.initialize(&model, &train, 0)?;
    for k in 0..iterations {
        admm.step(&mut model, &train, k)?;
    }
    let state = admm.state().expect("initialised");
    println!("{} samples, after {iterations} iterations of {config:?}", train.len());
    for l in 0..model.depth() {
        let input = if l == 0 {
            train.features.view()
        } else {
            state.a[l - 1].view()
        };
        let z = state.z[l].view();
        let a64 = augmented(&input);
        let z64 = Mat::from_fn(z.nrows(), z.ncols(), |i, j| f64::from(z[[i, j]]));
        let mut g64 = Mat::<f64>::zeros(a64.nrows(), a64.nrows());
        faer::linalg::matmul::matmul(g64.as_mut(), Accum::Replace, a64.as_ref(), a64.transpose(), 1.0, par());
        let mut c64 = Mat::<f64>::zeros(a64.nrows(), z64.nrows());
        faer::linalg::matmul::matmul(c64.as_mut(), Accum::Replace, a64.as_ref(), z64.transpose(), 1.0, par());
        let (g32, c32) = f32_products(&input, &z);
        let eig = g64
            .self_adjoint_eigenvalues(Side::Lower)
            .map_err(|e| format!("eigenvalues: {e:?}"))?;
        let rounding = (&g32 - &g64).norm_l2();
        let rounding_max = (&g32 - &g64).norm_max();
        println!(
            "layer {}: Gram eigenvalues min {:.3e} max {:.3e} (N = {}), f32 rounding ‖ΔG‖_F {:.3e}, max {:.3e}; ‖ΔC‖_F/‖C‖_F {:.2e}",
            l + 1,
            eig[0],
            eig[eig.len() - 1],
            train.len(),
            rounding,
            rounding_max,
            (&c32 - &c64).norm_l2() / c64.norm_l2()
        );
        for &per_sample in &ridges {
            let ridge = per_sample * train.len() as f64;
            let w64 = solve(&g64, &c64, ridge);
            let w32 = solve(&g32, &c32, ridge);
            let (o64, o32) = (objective(&a64, &z64, &w64, ridge), objective(&a64, &z64, &w32, ridge));
            println!(
                "  ridge {per_sample:.0e} (ε = {ridge:.3e}, cond {:.2e}): objective f64 {o64:.6e}, f32 route {o32:.6e} (excess {:.2e} relative), ‖ΔW‖/‖W‖ {:.2e}, ‖W‖_F {:.3e}",
                (eig[eig.len() - 1] + ridge) / (eig[0] + ridge),
                (o32 - o64) / o64,
                (&w32 - &w64).norm_l2() / w64.norm_l2(),
                w64.norm_l2()
            );
        }
    }
    Ok(())
}
