//! Prints a bit-exact fingerprint of short dlADMM runs in every variant and schedule: each
//! iteration's diagnostics as raw bits and a hash of the model and the checkpointed state.
//! Two builds that print the same lines run the same f32 operations in the same order, so a
//! refactoring of the kernels is checked by comparing this output before and after it.
//!
//! `cargo run --release -p dladmm --example dladmm_fingerprint`

use admm_kernels::fingerprint::print_fingerprints;
use dladmm::{DladmmConfig, RhoSchedule, Variant};

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
    print_fingerprints(&configs, &[vec![20, 40, 40, 4], vec![20, 12, 4]]).expect("valid runs");
}
