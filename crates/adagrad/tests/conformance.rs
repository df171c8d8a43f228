//! The shared conformance suite, mini-batch and full batch.

use adagrad::AdagradConfig;
use optim_core::conformance::Conformance;
use optim_core::{BatchConfig, GradientMethod, Optimizer, RuleConfig};

fn optimizer(config: &AdagradConfig, batch_size: Option<usize>) -> Box<dyn Optimizer> {
    let rule = config.build().expect("valid Adagrad configuration");
    let batch = BatchConfig {
        batch_size,
        ..BatchConfig::default()
    };
    Box::new(GradientMethod::new(rule, batch).expect("valid batch configuration"))
}

#[test]
fn mini_batch_adagrad_conforms() {
    let config = AdagradConfig {
        lr: 0.1,
        ..AdagradConfig::default()
    };
    Conformance::default().check_all(&|| optimizer(&config, Some(32)));
}

#[test]
fn mini_batch_adagrad_with_decay_conforms() {
    let config = AdagradConfig {
        lr: 0.1,
        lr_decay: 1e-3,
        initial_accumulator_value: 0.1,
        weight_decay: 1e-4,
        ..AdagradConfig::default()
    };
    Conformance::default().check_all(&|| optimizer(&config, Some(32)));
}

#[test]
fn full_batch_adagrad_conforms() {
    let config = AdagradConfig {
        lr: 0.1,
        ..AdagradConfig::default()
    };
    Conformance::default().check_all(&|| optimizer(&config, None));
}
