//! Prints a bit-exact fingerprint of short ADMM runs with every option: each iteration's
//! diagnostics as raw bits and a hash of the model and the checkpointed state. Two builds
//! that print the same lines run the same f32 operations in the same order, so a
//! refactoring of the kernels is checked by comparing this output before and after it.
//!
//! `cargo run --release -p admm --example admm_fingerprint`

use admm::{AdmmConfig, OutputInit, OutputLoss};
use admm_kernels::fingerprint::print_fingerprints;

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
    print_fingerprints(&configs, &[vec![20, 40, 40, 4], vec![20, 12, 4], vec![20, 4]]).expect("valid runs");
}
