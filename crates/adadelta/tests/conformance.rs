//! The shared conformance suite, mini-batch and full batch.

use adadelta::AdadeltaConfig;
use optim_core::conformance::Conformance;
use optim_core::{BatchConfig, GradientMethod, Optimizer, RuleConfig};

fn optimizer(config: &AdadeltaConfig, batch_size: Option<usize>) -> Box<dyn Optimizer> {
    let rule = config.build().expect("valid Adadelta configuration");
    let batch = BatchConfig {
        batch_size,
        ..BatchConfig::default()
    };
    Box::new(GradientMethod::new(rule, batch).expect("valid batch configuration"))
}

#[test]
fn mini_batch_adadelta_conforms() {
    let config = AdadeltaConfig::default();
    Conformance::default().check_all(&|| optimizer(&config, Some(32)));
}

#[test]
fn mini_batch_adadelta_with_weight_decay_conforms() {
    let config = AdadeltaConfig {
        weight_decay: 1e-4,
        ..AdadeltaConfig::default()
    };
    Conformance::default().check_all(&|| optimizer(&config, Some(32)));
}

#[test]
fn full_batch_adadelta_conforms() {
    // Adadelta's first steps are of order sqrt(eps): ten full-batch steps at lr = 1 only take
    // the loss to about 0.6 of its initial value, lr = 5 to about 0.15.
    let config = AdadeltaConfig {
        lr: 5.0,
        ..AdadeltaConfig::default()
    };
    Conformance::default().check_all(&|| optimizer(&config, None));
}
