//! One RMSprop update of a 1000 x 1000 tensor (a hidden layer's weights in the paper's network),
//! plain and centred with momentum as the slowest form.

use criterion::{Criterion, criterion_group, criterion_main};
use rmsprop::RmspropConfig;

fn update(c: &mut Criterion) {
    optim_core::bench::rule_updates(
        c,
        "rmsprop",
        &[
            ("update", RmspropConfig::default()),
            (
                "update centered momentum",
                RmspropConfig {
                    momentum: 0.9,
                    centered: true,
                    ..RmspropConfig::default()
                },
            ),
        ],
    );
}

criterion_group!(benches, update);
criterion_main!(benches);
