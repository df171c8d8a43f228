//! Each dlADMM subproblem on its own (docs/dladmm.md#update-order), at a small size always
//! and at the paper's size when `DLADMM_BENCH_PAPER_SIZE=1` (see `optim_core::bench`).
//! `runner bench method dladmm` times whole iterations.

use criterion::{Criterion, criterion_group, criterion_main};
use dladmm::{DladmmConfig, Subproblems};

fn benches(c: &mut Criterion) {
    optim_core::bench::subproblem_benches(c, "dladmm", |model, data| {
        let mut blocks = Subproblems::new(&DladmmConfig::default(), model, data).expect("valid problem");
        (blocks.all(), move |s| blocks.run(s).expect("finite update"))
    });
}

criterion_group!(subproblems, benches);
criterion_main!(subproblems);
