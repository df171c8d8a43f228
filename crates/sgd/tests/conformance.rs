//! The shared conformance suite, mini-batch and full batch.

use optim_core::conformance::Conformance;
use optim_core::{BatchConfig, GradientMethod, Optimizer, RuleConfig};
use sgd::SgdConfig;

fn optimizer(config: &SgdConfig, batch_size: Option<usize>) -> Box<dyn Optimizer> {
    let rule = config.build().expect("valid SGD configuration");
    let batch = BatchConfig {
        batch_size,
        ..BatchConfig::default()
    };
    Box::new(GradientMethod::new(rule, batch).expect("valid batch configuration"))
}

#[test]
fn mini_batch_sgd_conforms() {
    let config = SgdConfig {
        lr: 0.1,
        ..SgdConfig::default()
    };
    Conformance::default().check_all(&|| optimizer(&config, Some(32)));
}

#[test]
fn mini_batch_nesterov_conforms() {
    let config = SgdConfig {
        lr: 0.05,
        momentum: 0.9,
        nesterov: true,
        weight_decay: 1e-4,
        ..SgdConfig::default()
    };
    Conformance::default().check_all(&|| optimizer(&config, Some(32)));
}

#[test]
fn full_batch_sgd_conforms() {
    let config = SgdConfig {
        lr: 0.5,
        momentum: 0.9,
        ..SgdConfig::default()
    };
    Conformance::default().check_all(&|| optimizer(&config, None));
}
