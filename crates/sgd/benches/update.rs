//! One SGD update of a 1000 x 1000 tensor (a hidden layer's weights in the paper's network),
//! plain and with momentum.

use criterion::{Criterion, criterion_group, criterion_main};
use sgd::SgdConfig;

fn update(c: &mut Criterion) {
    optim_core::bench::rule_updates(
        c,
        "sgd",
        &[
            ("update", SgdConfig::default()),
            (
                "update momentum",
                SgdConfig {
                    momentum: 0.9,
                    ..SgdConfig::default()
                },
            ),
        ],
    );
}

criterion_group!(benches, update);
criterion_main!(benches);
