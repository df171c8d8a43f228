//! The shared conformance suite, mini-batch and full batch.

use optim_core::conformance::Conformance;
use optim_core::{BatchConfig, GradientMethod, Optimizer, RuleConfig};
use rmsprop::RmspropConfig;

fn optimizer(config: &RmspropConfig, batch_size: Option<usize>) -> Box<dyn Optimizer> {
    let rule = config.build().expect("valid RMSprop configuration");
    let batch = BatchConfig {
        batch_size,
        ..BatchConfig::default()
    };
    Box::new(GradientMethod::new(rule, batch).expect("valid batch configuration"))
}

#[test]
fn mini_batch_rmsprop_conforms() {
    let config = RmspropConfig {
        lr: 1e-3,
        ..RmspropConfig::default()
    };
    Conformance::default().check_all(&|| optimizer(&config, Some(32)));
}

#[test]
fn mini_batch_centered_rmsprop_with_momentum_conforms() {
    let config = RmspropConfig {
        lr: 1e-3,
        momentum: 0.9,
        centered: true,
        weight_decay: 1e-4,
        ..RmspropConfig::default()
    };
    Conformance::default().check_all(&|| optimizer(&config, Some(32)));
}

#[test]
fn full_batch_rmsprop_conforms() {
    let config = RmspropConfig {
        lr: 1e-2,
        ..RmspropConfig::default()
    };
    Conformance::default().check_all(&|| optimizer(&config, None));
}
