//! Prints a bit-exact fingerprint of short ADMM runs with every option: each iteration's
//! diagnostics as raw bits and a hash of the model and the checkpointed state. Two builds
//! that print the same lines run the same f32 operations in the same order, so a
//! refactoring of the kernels is checked by comparing this output before and after it.
//!
//! `cargo run --release -p admm --example admm_fingerprint`

use admm::{AdmmConfig, OutputInit, OutputLoss};
use optim_core::synthetic::{BlobsConfig, blobs};
use optim_core::{Init, MethodConfig, Mlp, Stream, rng_for};

/// FNV-1a over bytes: enough to tell two bit patterns apart.
fn hash(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn main() {
    let base = AdmmConfig::default();
    let configs = [
        ("default", base.clone()),
        (
            "hinge",
            AdmmConfig {
                loss: OutputLoss::Hinge,
                warm_start_iterations: 2,
                ..base.clone()
            },
        ),
        (
            "forward-pass",
            AdmmConfig {
                output_init: OutputInit::ForwardPass,
                warm_start_iterations: 0,
                ..base.clone()
            },
        ),
        (
            "hinge-forward",
            AdmmConfig {
                loss: OutputLoss::Hinge,
                output_init: OutputInit::ForwardPass,
                beta: 0.5,
                gamma: 2.0,
                ..base.clone()
            },
        ),
        (
            "capped",
            AdmmConfig {
                fista_max_iterations: 3,
                fista_tol: 0.0,
                fista_step: 1.0,
                ridge: 1e-2,
                warm_start_iterations: 1,
                ..base
            },
        ),
    ];
    for widths in [vec![20, 40, 40, 4], vec![20, 12, 4], vec![20, 4]] {
        let data = blobs(
            &BlobsConfig {
                samples: 700,
                features: 20,
                classes: 4,
                separation: 1.0,
            },
            3,
        );
        for (name, config) in &configs {
            let mut model = Mlp::new(&widths, &Init::default(), &mut rng_for(3, Stream::Init, 0)).unwrap();
            let mut opt = config.build().unwrap();
            opt.initialize(&model, &data, 0).unwrap();
            for k in 0..6 {
                let d = opt.step(&mut model, &data, k).unwrap();
                let values: Vec<String> = d.iter().map(|(n, v)| format!("{n}={:016x}", v.to_bits())).collect();
                let params = hash(
                    model
                        .tensors()
                        .iter()
                        .flat_map(|t| t.iter().flat_map(|v| v.to_le_bytes())),
                );
                let mut state = Vec::new();
                opt.save_state(&mut state).unwrap();
                println!(
                    "{widths:?} {name} {k} model={params:016x} state={:016x} {}",
                    hash(state),
                    values.join(" ")
                );
            }
        }
    }
}
