//! Each ADMM subproblem on its own (docs/admm.md#iteration), at a small size always and at
//! the paper's size when `DLADMM_BENCH_PAPER_SIZE=1` (see `optim_core::bench`).
//! `runner bench method admm` times whole iterations.

use admm::{AdmmConfig, Subproblems};
use criterion::{Criterion, criterion_group, criterion_main};

fn benches(c: &mut Criterion) {
    optim_core::bench::subproblem_benches(c, "admm", |model, data| {
        let mut blocks = Subproblems::new(&AdmmConfig::default(), model, data).expect("valid problem");
        (blocks.all(), move |s| blocks.run(s).expect("finite update"))
    });
}

criterion_group!(subproblems, benches);
criterion_main!(subproblems);
