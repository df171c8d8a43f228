//! Prints a bit-exact fingerprint of short dlADMM runs in every variant and schedule: each
//! iteration's diagnostics as raw bits and a hash of the model and the checkpointed state.
//! Two builds that print the same lines run the same f32 operations in the same order, so a
//! refactoring of the kernels is checked by comparing this output before and after it.
//!
//! `cargo run --release -p dladmm --example dladmm_fingerprint`

use dladmm::{DladmmConfig, RhoSchedule, Variant};
use optim_core::synthetic::{BlobsConfig, blobs};
use optim_core::{Init, MethodConfig, Mlp, Stream, rng_for};

/// FNV-1a over bytes: enough to tell two bit patterns apart.
fn hash(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn main() {
    let base = DladmmConfig::default();
    let configs = [
        (
            "reference-adaptive",
            DladmmConfig {
                rho: 1e-3,
                rising_iterations: 1,
                width_threshold: 1,
                rho_cap: 10.0,
                ..base.clone()
            },
        ),
        (
            "reference-fixed",
            DladmmConfig {
                rho: 1.0,
                rho_schedule: Some(RhoSchedule::Fixed),
                ..base.clone()
            },
        ),
        (
            "paper-step",
            DladmmConfig {
                variant: Variant::Paper,
                rho: 1e-2,
                nu: Some(0.5),
                rho_step_every: 2,
                ..base.clone()
            },
        ),
        (
            "paper-fixed",
            DladmmConfig {
                variant: Variant::Paper,
                rho: 1.0,
                nu: Some(1.0),
                rho_schedule: Some(RhoSchedule::Fixed),
                fista_max_iterations: 3,
                ..base.clone()
            },
        ),
        (
            "capped",
            DladmmConfig {
                rho: 1.0,
                rho_schedule: Some(RhoSchedule::Fixed),
                max_backtracking: 1,
                theta: 1e-6,
                ..base
            },
        ),
    ];
    for widths in [vec![20, 40, 40, 4], vec![20, 12, 4]] {
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
                let mut d = opt.step(&mut model, &data, k).unwrap();
                d.append(opt.after_step(&model, &data, k).unwrap());
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
