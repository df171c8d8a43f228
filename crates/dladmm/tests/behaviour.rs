//! Whole-iteration behaviour: the paper's sufficient descent (Property 2), divergence
//! reporting, depth, schedules and errors.

use admm_kernels::fingerprint::blobs_problem;
use dladmm::{DIAGNOSTICS, DladmmConfig, NEWTON_DIAGNOSTICS, OutputSolver, RhoSchedule, TRAINING_COST, Variant};
use optim_core::{Dataset, Init, MethodConfig, Mlp, OptimError};

fn problem(widths: &[usize], samples: usize, seed: u64) -> (Dataset, Mlp) {
    blobs_problem(widths, samples, seed, &Init::default()).unwrap()
}

/// Iterations as the executor runs them: the step, then its untimed `after_step`.
fn run(config: &DladmmConfig, data: &Dataset, model: &mut Mlp, iterations: usize) -> Vec<optim_core::Diagnostics> {
    let mut opt = config.build().unwrap();
    opt.initialize(model, data, 0).unwrap();
    (0..iterations)
        .map(|k| {
            let mut d = opt.step(model, data, k).unwrap();
            d.append(opt.after_step(model, data, k).unwrap());
            d
        })
        .collect()
}

/// Driving `step` alone (no `after_step`) gives the same run: the adaptive rule's
/// bookkeeping then happens at the start of the next step.
#[test]
fn step_alone_gives_the_same_run_as_step_and_after_step() {
    // The rule fires on any single rise of the training cost, also for these small widths.
    let config = DladmmConfig {
        rising_iterations: 1,
        width_threshold: 1,
        rho: 1e-3,
        rho_cap: 10.0,
        ..DladmmConfig::default()
    };
    let (data, model) = problem(&[10, 16, 16, 4], 300, 11);
    let mut with_after = model.clone();
    let history = run(&config, &data, &mut with_after, 25);
    let mut alone = model;
    let mut opt = config.build().unwrap();
    opt.initialize(&alone, &data, 0).unwrap();
    let stepped: Vec<_> = (0..25).map(|k| opt.step(&mut alone, &data, k).unwrap()).collect();
    assert_eq!(alone, with_after);
    for (a, b) in history.iter().zip(&stepped) {
        for name in ["rho", "tau", "theta", "augmented_lagrangian"] {
            assert_eq!(a.get(name), b.get(name), "{name}");
        }
        assert!(b.get(TRAINING_COST).is_none());
    }
    let rho: Vec<f64> = history.iter().map(|d| d.get("rho").unwrap()).collect();
    let costs: Vec<f64> = history.iter().map(|d| d.get(TRAINING_COST).unwrap()).collect();
    assert!(
        rho.windows(2).any(|w| w[1] > w[0]),
        "the rule never fired: {rho:?} {costs:?}"
    );
}

/// Property 2 of the paper: at a fixed, large enough `rho` the augmented Lagrangian does not
/// increase from one iteration to the next (the paper's Fig. 2 at `rho = 1`).
#[test]
fn augmented_lagrangian_is_non_increasing_at_fixed_large_rho() {
    let config = DladmmConfig {
        variant: Variant::Paper,
        rho: 1.0,
        nu: Some(1.0),
        rho_schedule: Some(RhoSchedule::Fixed),
        ..DladmmConfig::default()
    };
    for (widths, seed) in [
        (vec![10, 16, 16, 4], 1u64),
        (vec![8, 12, 3], 2),
        (vec![6, 10, 9, 8, 3], 3),
    ] {
        let (data, mut model) = problem(&widths, 400, seed);
        let history = run(&config, &data, &mut model, 40);
        let values: Vec<f64> = history.iter().map(|d| d.get("augmented_lagrangian").unwrap()).collect();
        for (k, w) in values.windows(2).enumerate() {
            assert!(
                w[1] <= w[0] + 1e-6 * w[0].abs().max(1.0),
                "{widths:?}: augmented Lagrangian rose at iteration {}: {} -> {}",
                k + 1,
                w[0],
                w[1]
            );
        }
        assert!(values[values.len() - 1] < values[0]);
    }
}

/// A non-finite input ends the step with `NonFinite`, naming a block.
#[test]
fn non_finite_input_ends_with_non_finite() {
    let (mut data, mut model) = problem(&[10, 16, 16, 4], 100, 4);
    data.features[[3, 17]] = f32::NAN;
    let mut opt = DladmmConfig::default().build().unwrap();
    opt.initialize(&model, &data, 0).unwrap();
    match opt.step(&mut model, &data, 0) {
        Err(OptimError::NonFinite { what }) => {
            assert!(
                ["z_", "a_", "W_", "b_", "u"].iter().any(|p| what.starts_with(p)),
                "names a block: {what}"
            );
        }
        other => panic!("expected NonFinite, got {other:?}"),
    }
    // A non-finite weight as well.
    let (data, mut model) = problem(&[10, 16, 4], 100, 5);
    model.layers[1].weight[[0, 0]] = f32::INFINITY;
    let mut opt = DladmmConfig::default().build().unwrap();
    opt.initialize(&model, &data, 0).unwrap();
    assert!(matches!(
        opt.step(&mut model, &data, 0),
        Err(OptimError::NonFinite { .. })
    ));
}

/// The diagnostics carry their documented names, in order, and the counts are sane.
#[test]
fn diagnostics_are_reported_under_their_names() {
    let (data, mut model) = problem(&[10, 16, 16, 4], 200, 6);
    let config = DladmmConfig::default();
    let opt = config.build().unwrap();
    let names = opt.diagnostic_names();
    assert_eq!(names.len(), DIAGNOSTICS.len() + 1);
    assert_eq!(names.last().map(String::as_str), Some(TRAINING_COST));
    let history = run(&config, &data, &mut model, 3);
    for d in &history {
        let got: Vec<&str> = d.iter().map(|(n, _)| n).collect();
        assert_eq!(got, names.iter().map(String::as_str).collect::<Vec<_>>());
        // Two W steps per layer, two a steps per hidden layer, at least one trial each.
        assert!(d.get("w_trials").unwrap() >= 6.0);
        assert!(d.get("a_trials").unwrap() >= 4.0);
        assert!(d.get("fista_iterations").unwrap() >= 2.0);
        assert_eq!(d.get("rho"), Some(1e-6));
        assert_eq!(d.get("nu"), Some(1e-6));
        // The training cost is the executor's (mean) training loss times N.
        let cost = d.get(TRAINING_COST).unwrap();
        assert!(cost.is_finite() && cost > 0.0);
    }
    let expected = model.evaluate(&data).loss * data.len() as f64;
    let last = history[2].get(TRAINING_COST).unwrap();
    assert!((last - expected).abs() <= 1e-4 * expected, "{last} vs {expected}");
}

/// Under the Newton `z_L` solver the Newton counts follow the common diagnostics (before
/// the training cost), FISTA's read zero, and the iterations run as FISTA's do: finite, the
/// output layer's stationarity gap near zero since each `z_L` solve is exact.
#[test]
fn newton_solver_reports_its_own_counts() {
    let (data, mut model) = problem(&[10, 16, 16, 4], 200, 6);
    let config = DladmmConfig {
        output_solver: OutputSolver::Newton,
        ..DladmmConfig::default()
    };
    let names = config.build().unwrap().diagnostic_names();
    let mut expected: Vec<&str> = DIAGNOSTICS.to_vec();
    expected.extend(NEWTON_DIAGNOSTICS);
    expected.push(TRAINING_COST);
    assert_eq!(names, expected);
    let mut fista_model = model.clone();
    let fista = run(&DladmmConfig::default(), &data, &mut fista_model, 3);
    let history = run(&config, &data, &mut model, 3);
    for (d, f) in history.iter().zip(&fista) {
        let got: Vec<&str> = d.iter().map(|(n, _)| n).collect();
        assert_eq!(got, expected);
        assert_eq!(d.get("fista_iterations"), Some(0.0));
        assert_eq!(d.get("fista_cap_hits"), Some(0.0));
        assert!(d.get("newton_iterations").unwrap() >= 2.0);
        assert_eq!(d.get("newton_cap_hits"), Some(0.0));
        assert!(d.get("augmented_lagrangian").unwrap().is_finite());
        // z_L's gap after the forward sweep's exact solve (the dual update moves u by
        // rho times the residual, tiny at rho = 1e-6) is below FISTA's capped one.
        let gap = d.get("stationarity_gap").unwrap();
        assert!(gap <= f.get("stationarity_gap").unwrap(), "{gap}");
    }
}

/// The paper schedule grows rho at iteration `rho_step_every`; nu stays.
#[test]
fn paper_schedule_is_applied() {
    let (data, mut model) = problem(&[10, 16, 4], 100, 7);
    let config = DladmmConfig {
        variant: Variant::Paper,
        rho_step_every: 2,
        ..DladmmConfig::default()
    };
    let history = run(&config, &data, &mut model, 5);
    let rho: Vec<f64> = history.iter().map(|d| d.get("rho").unwrap()).collect();
    let expected = [1e-6, 1e-6, 1e-5, 1e-5, 1e-4];
    for (r, e) in rho.iter().zip(expected) {
        assert!((r - e).abs() < 1e-12 * e, "{rho:?}");
    }
    assert!(history.iter().all(|d| d.get("nu") == Some(1e-6)));
    assert!(history.iter().all(|d| d.get(TRAINING_COST).is_none()));
}

/// Networks without a hidden layer, mismatched data, and a step before initialisation are
/// errors, not panics.
#[test]
fn misuse_is_an_error() {
    let (data, model) = problem(&[10, 4], 50, 8);
    let mut opt = DladmmConfig::default().build().unwrap();
    assert!(matches!(opt.initialize(&model, &data, 0), Err(OptimError::Shape(_))));
    let (data, mut model) = problem(&[10, 6, 4], 50, 8);
    assert!(matches!(opt.step(&mut model, &data, 0), Err(OptimError::Shape(_))));
    let mut out = Vec::new();
    assert!(opt.save_state(&mut out).is_err());
    let (other, _) = problem(&[9, 6, 4], 50, 8);
    assert!(matches!(opt.initialize(&model, &other, 0), Err(OptimError::Shape(_))));
}

/// A checkpoint of one variant does not load into the other.
#[test]
fn checkpoint_of_another_variant_is_refused() {
    let (data, mut model) = problem(&[10, 6, 4], 50, 9);
    let paper = DladmmConfig {
        variant: Variant::Paper,
        rho: 1.0,
        ..DladmmConfig::default()
    };
    let mut opt = paper.build().unwrap();
    opt.initialize(&model, &data, 0).unwrap();
    opt.step(&mut model, &data, 0).unwrap();
    let mut bytes = Vec::new();
    opt.save_state(&mut bytes).unwrap();
    let mut reference = DladmmConfig::default().build().unwrap();
    assert!(matches!(
        reference.load_state(&mut bytes.as_slice(), &model, &data),
        Err(OptimError::Checkpoint(_))
    ));
    let mut same = paper.build().unwrap();
    same.load_state(&mut bytes.as_slice(), &model, &data).unwrap();
}
