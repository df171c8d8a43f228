//! Test accuracy per iteration of the ADMM optimizer on the first `n` training images of MNIST
//! or Fashion-MNIST, for one configuration given on the command line.
//!
//! ```text
//! DLADMM_DATA=/path/to/data cargo run --release -p admm --example mnist_probe -- \
//!     [dataset=mnist-55k] [n=5000] [iterations=10] [hidden=1000] [std=0.1] [seed=0] \
//!     [any AdmmConfig key=value, e.g. loss=hinge beta=1 gamma=10 output_init=targets]
//! ```
//!
//! Besides the network's accuracy (the plain forward pass, as the runner measures it) it prints
//! the accuracy of the auxiliary output `z_L` and of `W_L a_{L-1} + b_L` on the auxiliary
//! activations, the mean cross-entropy of the network on the training subset, the relative
//! distance between the auxiliary `a_{L-1}` and the forward pass's, and the largest weight.
//! The gap between the three accuracies shows where the method loses what it fits.

use std::time::Instant;

use admm::{Admm, AdmmConfig};
use optim_core::linalg::matmul;
use optim_core::{Init, Mlp, Optimizer, Stream, rng_for};

fn argmax_accuracy(scores: &ndarray::Array2<f32>, labels: &[u32]) -> f64 {
    let correct = scores
        .columns()
        .into_iter()
        .zip(labels)
        .filter(|(col, y)| {
            let best = col.iter().enumerate().fold(
                (0, f32::NEG_INFINITY),
                |acc, (i, &v)| if v > acc.1 { (i, v) } else { acc },
            );
            best.0 == **y as usize
        })
        .count();
    correct as f64 / labels.len().max(1) as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut dataset, mut n, mut iterations, mut hidden, mut std, mut seed) = (
        "mnist-55k".to_owned(),
        5000usize,
        10usize,
        vec![1000usize, 1000],
        0.1f32,
        0u64,
    );
    let mut config = serde_json::Map::new();
    for arg in std::env::args().skip(1) {
        let (key, value) = arg
            .split_once('=')
            .ok_or_else(|| format!("expected key=value, got {arg}"))?;
        match key {
            "dataset" => dataset = value.to_owned(),
            "n" => n = value.parse()?,
            "iterations" => iterations = value.parse()?,
            "hidden" => hidden = value.split(',').map(str::parse).collect::<Result<_, _>>()?,
            "std" => std = value.parse()?,
            "seed" => seed = value.parse()?,
            _ => {
                let parsed =
                    serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_owned()));
                config.insert(key.to_owned(), parsed);
            }
        }
    }
    let config: AdmmConfig = serde_json::from_value(serde_json::Value::Object(config))?;
    let loaded = datasets::load(&dataset, &datasets::DataSource::from_env())?;
    let train = loaded.train.first(n.min(loaded.train.len()))?;
    let test = loaded.test;
    let mut widths = vec![train.num_features()];
    widths.extend(&hidden);
    widths.push(train.num_classes);
    let init = if std > 0.0 {
        Init::Normal { std }
    } else {
        Init::KaimingNormal
    };
    let mut model = Mlp::new(&widths, &init, &mut rng_for(seed, Stream::Init, 0))?;
    println!(
        "{dataset}, {} training samples, widths {widths:?}, {init:?}, {config:?}",
        train.len()
    );
    let mut admm = Admm::new(config)?;
    admm.initialize(&model, &train, 0)?;
    println!(
        "{:>4} {:>7} {:>7} {:>7} {:>7} {:>8} {:>8} {:>8} {:>6} {:>6}",
        "it", "test", "train", "aux z", "aux m", "trainCE", "a drift", "max |W|", "inner", "s"
    );
    for k in 0..iterations {
        let start = Instant::now();
        let diagnostics = admm.step(&mut model, &train, k)?;
        let seconds = start.elapsed().as_secs_f64();
        let state = admm.state().expect("initialised");
        let depth = model.depth();
        let test_eval = model.evaluate(&test);
        let train_eval = model.evaluate(&train);
        let aux_z = argmax_accuracy(&state.z[depth - 1], &train.labels);
        let last = &model.layers[depth - 1];
        let (aux_m, drift) = if depth > 1 {
            let mut m = matmul(&last.weight.view(), &state.a[depth - 2].view());
            m.columns_mut().into_iter().for_each(|mut c| c += &last.bias);
            // Forward-pass activations a_{L-1}.
            let mut a = train.features.clone();
            for layer in &model.layers[..depth - 1] {
                let mut z = matmul(&layer.weight.view(), &a.view());
                z.columns_mut().into_iter().for_each(|mut c| c += &layer.bias);
                a = z.mapv(|v| v.max(0.0));
            }
            let aux = &state.a[depth - 2];
            let diff: f64 = a.iter().zip(aux).map(|(&x, &y)| f64::from(x - y).powi(2)).sum();
            let norm: f64 = aux.iter().map(|&y| f64::from(y).powi(2)).sum();
            (argmax_accuracy(&m, &train.labels), (diff / norm.max(1e-30)).sqrt())
        } else {
            (f64::NAN, 0.0)
        };
        let max_w = model
            .layers
            .iter()
            .flat_map(|l| l.weight.iter())
            .fold(0.0f32, |acc, &v| acc.max(v.abs()));
        println!(
            "{:>4} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>8.4} {:>8.4} {:>8.3} {:>6} {:>6.2}",
            k + 1,
            test_eval.accuracy,
            train_eval.accuracy,
            aux_z,
            aux_m,
            train_eval.loss,
            drift,
            max_w,
            diagnostics.get("fista_iterations").unwrap_or(f64::NAN),
            seconds
        );
    }
    Ok(())
}
