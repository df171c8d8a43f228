//! One Adadelta update of a 1000 x 1000 tensor (a hidden layer's weights in the paper's
//! network).

use std::hint::black_box;

use adadelta::AdadeltaConfig;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use optim_core::{RuleConfig, UpdateRule};

const LEN: usize = 1000 * 1000;

fn update(c: &mut Criterion) {
    let mut group = c.benchmark_group("adadelta");
    group.throughput(Throughput::Elements(LEN as u64));
    let rule = AdadeltaConfig::default().build().expect("valid configuration");
    // Bounded, varied values: the cost does not depend on them, but denormals would.
    let mut param: Vec<f32> = (0..LEN).map(|i| (i as f32 * 0.37).sin()).collect();
    let grad: Vec<f32> = (0..LEN).map(|i| 1e-2 * (i as f32 * 0.11).cos()).collect();
    let mut state = rule.init_state(LEN);
    group.bench_function("update", |b| {
        b.iter(|| rule.update(&mut param, black_box(&grad), &mut state))
    });
    group.finish();
}

criterion_group!(benches, update);
criterion_main!(benches);
