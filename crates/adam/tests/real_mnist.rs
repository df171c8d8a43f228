//! Adam trains on real MNIST: a fraction of an epoch lifts test accuracy far above chance.
//!
//! Needs MNIST in the directory named by `DLADMM_DATA`: ignored by default, so that the test
//! summary shows it skipped; `cargo test -- --include-ignored` runs it (as CI does).

use adam::AdamConfig;
use optim_core::{BatchConfig, GradientMethod, Init, Mlp, Optimizer, RuleConfig, Stream, rng_for};

#[test]
#[ignore = "needs DLADMM_DATA"]
fn a_fraction_of_an_epoch_beats_chance_by_far() {
    let data = datasets::load("mnist", &datasets::DataSource::from_env()).expect("MNIST loads from DLADMM_DATA");
    // 6,400 images = 50 mini-batches of 128, about a ninth of an epoch.
    let train = data.train.first(6_400).unwrap();
    let test = data.test.first(2_000).unwrap();
    let mut model = Mlp::new(
        &[784, 256, 256, 10],
        &Init::KaimingNormal,
        &mut rng_for(1, Stream::Init, 0),
    )
    .unwrap();
    let before = model.evaluate(&test).accuracy;
    let rule = AdamConfig::default().build().unwrap();
    let mut adam = GradientMethod::new(
        rule,
        BatchConfig {
            batch_size: Some(128),
            ..Default::default()
        },
    )
    .unwrap();
    adam.initialize(&model, &train, 1).unwrap();
    adam.step(&mut model, &train, 0).unwrap();
    let after = model.evaluate(&test).accuracy;
    eprintln!("test accuracy {before:.3} -> {after:.3}");
    assert!(before < 0.3, "an untrained network should be near chance, got {before}");
    assert!(
        after > 0.8,
        "after 50 Adam steps the test accuracy should be well above chance, got {after}"
    );
}
