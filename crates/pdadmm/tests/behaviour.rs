//! pdADMM's own properties: layer-parallel and serial runs are the same run, bit for bit; a
//! run resumed from a checkpoint is the uninterrupted one; a deep network trains.

use optim_core::synthetic::{BlobsConfig, blobs};
use optim_core::{Dataset, Diagnostics, Init, MethodConfig, Mlp, Stream, rng_for};
use pdadmm::{DIAGNOSTICS, PdadmmConfig};

fn problem(widths: &[usize], samples: usize) -> (Dataset, Mlp) {
    let data = blobs(
        &BlobsConfig {
            samples,
            features: widths[0],
            classes: widths[widths.len() - 1],
            separation: 1.0,
        },
        11,
    );
    let model = Mlp::new(widths, &Init::default(), &mut rng_for(5, Stream::Init, 0)).expect("network");
    (data, model)
}

/// Runs `iterations` iterations and returns the model, every iteration's diagnostics and the
/// saved state after each iteration.
fn run(config: &PdadmmConfig, widths: &[usize], iterations: usize) -> (Mlp, Vec<Diagnostics>, Vec<Vec<u8>>) {
    let (data, mut model) = problem(widths, 600);
    let mut optimizer = config.build().expect("valid configuration");
    optimizer.initialize(&model, &data, 0).expect("initialize");
    let (mut diagnostics, mut states) = (Vec::new(), Vec::new());
    for k in 0..iterations {
        diagnostics.push(optimizer.step(&mut model, &data, k).expect("step"));
        let mut state = Vec::new();
        optimizer.save_state(&mut state).expect("save");
        states.push(state);
    }
    (model, diagnostics, states)
}

fn bits(model: &Mlp) -> Vec<u32> {
    model
        .tensors()
        .iter()
        .flat_map(|t| t.iter().map(|v| v.to_bits()))
        .collect()
}

/// Layer-parallel and serial execution, on a pool of several threads so that the layers do
/// run at the same time: the parameters, the whole state (`p`, `q`, `z`, `u`) and every
/// diagnostic agree bit for bit after every one of several iterations. 700 samples make the
/// passes span several blocks.
#[test]
fn parallel_and_serial_layers_give_bit_identical_iterates() {
    let widths = [12, 20, 16, 20, 5];
    let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
    let (parallel, serial) = pool.install(|| {
        let config = PdadmmConfig {
            rho: 0.5,
            ..PdadmmConfig::default()
        };
        let parallel = run(&config, &widths, 6);
        let serial = run(
            &PdadmmConfig {
                parallel: false,
                ..config
            },
            &widths,
            6,
        );
        (parallel, serial)
    });
    assert_eq!(bits(&parallel.0), bits(&serial.0));
    for (k, ((dp, ds), (sp, ss))) in parallel
        .1
        .iter()
        .zip(&serial.1)
        .zip(parallel.2.iter().zip(&serial.2))
        .enumerate()
    {
        let as_bits = |d: &Diagnostics| d.iter().map(|(n, v)| (n.to_owned(), v.to_bits())).collect::<Vec<_>>();
        assert_eq!(as_bits(dp), as_bits(ds), "diagnostics of iteration {k}");
        assert_eq!(sp, ss, "state after iteration {k}");
    }
    // The runs moved: the iterates are not trivially equal.
    let (_, initial) = problem(&widths, 600);
    assert_ne!(bits(&parallel.0), bits(&initial));
}

/// Saving after iteration 3 and loading into a fresh optimizer (and a model decoded from
/// bytes) continues like the uninterrupted run, bit for bit, on a deeper network.
#[test]
fn resumed_run_equals_the_uninterrupted_one() {
    let widths = [12, 16, 16, 16, 16, 5];
    let config = PdadmmConfig {
        rho: 0.1,
        ..PdadmmConfig::default()
    };
    let (straight_model, straight, _) = run(&config, &widths, 7);

    let (data, mut model) = problem(&widths, 600);
    let mut first = config.build().unwrap();
    first.initialize(&model, &data, 0).unwrap();
    for k in 0..3 {
        first.step(&mut model, &data, k).unwrap();
    }
    let mut state = Vec::new();
    first.save_state(&mut state).unwrap();
    drop(first);
    let mut model = serde_round_trip(&model);
    let mut second = config.build().unwrap();
    second.load_state(&mut state.as_slice(), &model, &data).unwrap();
    for (k, expected) in straight.iter().enumerate().skip(3) {
        let d = second.step(&mut model, &data, k).unwrap();
        assert_eq!(&d, expected, "diagnostics of iteration {k}");
    }
    assert_eq!(bits(&model), bits(&straight_model));
}

fn serde_round_trip(model: &Mlp) -> Mlp {
    let json = serde_json::to_vec(model).unwrap();
    serde_json::from_slice(&json).unwrap()
}

/// A state written for another network, or with another `rho`, is refused.
#[test]
fn a_state_that_does_not_fit_is_refused() {
    let (data, model) = problem(&[12, 16, 5], 100);
    let mut optimizer = PdadmmConfig::default().build().unwrap();
    optimizer.initialize(&model, &data, 0).unwrap();
    let mut state = Vec::new();
    optimizer.save_state(&mut state).unwrap();
    let (_, deeper) = problem(&[12, 16, 16, 5], 100);
    let mut other = PdadmmConfig::default().build().unwrap();
    assert!(other.load_state(&mut state.as_slice(), &deeper, &data).is_err());
    let mut other_rho = PdadmmConfig {
        rho: 1.0,
        ..Default::default()
    }
    .build()
    .unwrap();
    let err = other_rho.load_state(&mut state.as_slice(), &model, &data).unwrap_err();
    assert!(err.to_string().contains("rho"), "{err}");
}

/// A five-layer network (four hidden) trains: accuracy rises well above chance, every
/// diagnostic is reported and finite, and the residual of the coupling constraints shrinks.
#[test]
fn a_deep_network_learns_and_its_couplings_tighten() {
    let widths = [12, 32, 32, 32, 32, 4];
    let config = PdadmmConfig {
        rho: 1.0,
        ..PdadmmConfig::default()
    };
    let (data, mut model) = problem(&widths, 600);
    let before = model.evaluate(&data);
    let mut optimizer = config.build().unwrap();
    optimizer.initialize(&model, &data, 0).unwrap();
    let mut history = Vec::new();
    for k in 0..30 {
        history.push(optimizer.step(&mut model, &data, k).unwrap());
    }
    let after = model.evaluate(&data);
    assert_eq!(
        history[0].iter().map(|(n, _)| n).collect::<Vec<_>>(),
        DIAGNOSTICS.to_vec()
    );
    assert!(history.iter().all(|d| d.first_non_finite().is_none()));
    assert!(
        after.accuracy > 0.6 && after.accuracy > before.accuracy + 0.2,
        "accuracy {} -> {}",
        before.accuracy,
        after.accuracy
    );
    let primal = |d: &Diagnostics| d.get("primal_residual").unwrap();
    assert!(
        primal(&history[29]) < primal(&history[1]),
        "{} -> {}",
        primal(&history[1]),
        primal(&history[29])
    );
}
