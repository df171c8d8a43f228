//! Checkpointing attached to a plain executor loop, as a library user attaches it: a run
//! stopped half way and resumed from its checkpoint ends bit for bit where an uninterrupted run
//! ends, for a gradient rule and for dlADMM.

use harness::checkpointing::Checkpointing;
use harness::store::CellDir;
use optim_core::synthetic::{BlobsConfig, blobs};
use optim_core::{Budget, Dataset, Executor, Init, Mlp, Observer, Optimizer, Stream, rng_for};

fn data() -> Dataset {
    let config = BlobsConfig {
        samples: 120,
        features: 6,
        classes: 3,
        separation: 0.8,
    };
    blobs(&config, 3)
}

fn optimizer(name: &str, params: &str) -> Box<dyn Optimizer> {
    let table: toml::Table = toml::from_str(params).expect("parameters");
    let entry = harness::registry::find(name).expect("registered");
    (entry.build)(&table).expect("builds").optimizer
}

/// Runs `name` to `until` iterations of a budget of `total`, checkpointing into `dir`; returns
/// the model's parameters as bits.
fn run(name: &str, params: &str, dir: &std::path::Path, until: usize) -> Vec<u32> {
    let train = data();
    let mut optimizer = optimizer(name, params);
    let checkpointing = Checkpointing {
        dir: CellDir {
            path: dir.to_path_buf(),
        },
        every: 2,
    };
    let start = checkpointing
        .start(optimizer.as_mut(), &train, |opt| {
            let model = Mlp::new(&[6, 8, 3], &Init::KaimingNormal, &mut rng_for(5, Stream::Init, 0))?;
            opt.initialize(&model, &train, 5)?;
            Ok(model)
        })
        .expect("starts");
    let mut model = start.model;
    let mut saver = checkpointing.observer(start.wall);
    let mut executor = Executor {
        optimizer: optimizer.as_mut(),
        model: &mut model,
        train: &train,
        test: None,
        budget: Budget {
            iterations: until,
            max_seconds: None,
        },
        eval_every: 1,
    };
    let observers: &mut [&mut dyn Observer] = &mut [&mut saver];
    executor.run(start.progress, observers).expect("runs");
    model
        .layers
        .iter()
        .flat_map(|l| l.weight.iter().chain(l.bias.iter()).map(|v| v.to_bits()))
        .collect()
}

fn resumed_equals_uninterrupted(name: &str, params: &str) {
    let straight = tempfile::tempdir().unwrap();
    let whole = run(name, params, straight.path(), 8);
    let interrupted = tempfile::tempdir().unwrap();
    let half = run(name, params, interrupted.path(), 4);
    assert_ne!(half, whole, "{name}: four iterations change nothing?");
    let resumed = run(name, params, interrupted.path(), 8);
    assert_eq!(resumed, whole, "{name}: resumed run differs from the uninterrupted one");
}

#[test]
fn a_resumed_gradient_rule_ends_where_an_uninterrupted_one_does() {
    resumed_equals_uninterrupted("adam", "lr = 0.01\nbatch_size = 32");
}

#[test]
fn a_resumed_dladmm_ends_where_an_uninterrupted_one_does() {
    resumed_equals_uninterrupted("dladmm", "rho = 1e-3");
}
