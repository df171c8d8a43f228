//! Each dlADMM subproblem on its own (docs/dladmm.md#update-order), at a small size always
//! and at the paper's size when `DLADMM_BENCH_PAPER_SIZE=1` (see `optim_core::bench`).
//! `runner bench method dladmm` times whole iterations.
//!
//! A second group times the `z_L` subproblem under both solvers (FISTA, Newton) at the
//! paper variant's fixed small `rho = 1e-6`, each call from the same initial point (the
//! first solve of a run: `z_L = c`), since a repeated solve would start at its own result.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use dladmm::{DladmmConfig, OutputSolver, RhoSchedule, Subproblem, Subproblems, Variant};

fn benches(c: &mut Criterion) {
    optim_core::bench::subproblem_benches(c, "dladmm", |model, data| {
        let mut blocks = Subproblems::new(&DladmmConfig::default(), model, data).expect("valid problem");
        (blocks.all(), move |s| blocks.run(s).expect("finite update"))
    });
}

fn output_solvers(c: &mut Criterion) {
    let (model, data) = optim_core::bench::blobs_problem(&[784, 100, 100, 10], 2000);
    let mut group = c.benchmark_group("dladmm z_L solvers/784-100-100-10 N=2000 rho=1e-6");
    for (name, output_solver) in [("fista", OutputSolver::Fista), ("newton", OutputSolver::Newton)] {
        let config = DladmmConfig {
            variant: Variant::Paper,
            rho_schedule: Some(RhoSchedule::Fixed),
            rho: 1e-6,
            output_solver,
            ..DladmmConfig::default()
        };
        group.bench_function(name, |b| {
            b.iter_batched(
                || Subproblems::new(&config, model.clone(), data.clone()).expect("valid problem"),
                |mut blocks| {
                    blocks.run(Subproblem::OutputZ).expect("finite update");
                    blocks
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(subproblems, benches, output_solvers);
criterion_main!(subproblems);
