//! The shared conformance suite, mini-batch and full batch.

use adam::AdamConfig;
use optim_core::conformance::Conformance;
use optim_core::{BatchConfig, GradientMethod, Optimizer, RuleConfig};

fn optimizer(config: &AdamConfig, batch_size: Option<usize>) -> Box<dyn Optimizer> {
    let rule = config.build().expect("valid Adam configuration");
    let batch = BatchConfig {
        batch_size,
        ..BatchConfig::default()
    };
    Box::new(GradientMethod::new(rule, batch).expect("valid batch configuration"))
}

#[test]
fn mini_batch_adam_conforms() {
    let config = AdamConfig {
        lr: 1e-2,
        ..AdamConfig::default()
    };
    Conformance::default().check_all(&|| optimizer(&config, Some(32)));
}

#[test]
fn mini_batch_amsgrad_conforms() {
    let config = AdamConfig {
        lr: 1e-2,
        amsgrad: true,
        weight_decay: 1e-4,
        ..AdamConfig::default()
    };
    Conformance::default().check_all(&|| optimizer(&config, Some(32)));
}

#[test]
fn full_batch_adam_conforms() {
    let config = AdamConfig {
        lr: 5e-2,
        ..AdamConfig::default()
    };
    Conformance::default().check_all(&|| optimizer(&config, None));
}
