//! One Adadelta update of a 1000 x 1000 tensor (a hidden layer's weights in the paper's network).

use adadelta::AdadeltaConfig;
use criterion::{Criterion, criterion_group, criterion_main};

fn update(c: &mut Criterion) {
    optim_core::bench::rule_updates(c, "adadelta", &[("update", AdadeltaConfig::default())]);
}

criterion_group!(benches, update);
criterion_main!(benches);
