//! Properties of whole iterations: exact block minimisation during the warm start, agreement
//! of the reported objective with an independent recomputation, the multiplier update, the
//! handling of non-finite values and of mismatched checkpoints.

use admm::{Admm, AdmmConfig, DIAGNOSTIC_NAMES, OutputLoss};
use admm_kernels::fingerprint::blobs_problem;
use optim_core::synthetic::{BlobsConfig, blobs};
use optim_core::{Dataset, Init, Mlp, OptimError, Optimizer, Stream, rng_for};

fn problem(widths: &[usize], samples: usize) -> (Dataset, Mlp) {
    blobs_problem(widths, samples, 3, &Init::KaimingNormal).unwrap()
}

/// Runs `iterations` steps and returns the objective before the first and after each.
fn objectives(config: &AdmmConfig, widths: &[usize], iterations: usize) -> Vec<f64> {
    let (data, mut model) = problem(widths, 400);
    let mut admm = Admm::new(config.clone()).unwrap();
    admm.initialize(&model, &data, 0).unwrap();
    let initial = admm.objective_terms(&model, &data).unwrap();
    let mut values = vec![initial.penalised(config, data.len())];
    for k in 0..iterations {
        let d = admm.step(&mut model, &data, k).unwrap();
        let reported = d.get("penalised_objective").unwrap();
        let recomputed = admm
            .objective_terms(&model, &data)
            .unwrap()
            .penalised(config, data.len());
        assert!(
            (reported - recomputed).abs() <= 1e-4 * recomputed.abs().max(1.0),
            "iteration {k}: reported {reported}, recomputed {recomputed}"
        );
        values.push(reported);
    }
    values
}

fn assert_non_increasing(values: &[f64], label: &str) {
    for (k, w) in values.windows(2).enumerate() {
        assert!(
            w[1] <= w[0] + 1e-5 * w[0].abs(),
            "{label}: objective rose from {} to {} at iteration {k}: {values:?}",
            w[0],
            w[1]
        );
    }
    assert!(
        values[values.len() - 1] < values[0],
        "{label}: no decrease at all: {values:?}"
    );
}

#[test]
fn warm_start_never_increases_the_hinge_objective() {
    let config = AdmmConfig {
        loss: OutputLoss::Hinge,
        warm_start_iterations: usize::MAX,
        ..AdmmConfig::default()
    };
    // Widening and narrowing layers exercise both forms of the activation update.
    for widths in [[6, 12, 8, 3], [6, 5, 9, 3]] {
        let values = objectives(&config, &widths, 12);
        assert_non_increasing(&values, &format!("hinge {widths:?}"));
    }
}

#[test]
fn warm_start_never_increases_the_cross_entropy_objective_with_a_tight_solve() {
    let config = AdmmConfig {
        warm_start_iterations: usize::MAX,
        fista_tol: 1e-6,
        fista_max_iterations: 5000,
        ..AdmmConfig::default()
    };
    let values = objectives(&config, &[6, 12, 8, 3], 12);
    assert_non_increasing(&values, "cross-entropy");
}

#[test]
fn the_multiplier_moves_only_after_the_warm_start() {
    let config = AdmmConfig {
        warm_start_iterations: 2,
        ..AdmmConfig::default()
    };
    let (data, mut model) = problem(&[6, 12, 8, 3], 200);
    let mut admm = Admm::new(config).unwrap();
    admm.initialize(&model, &data, 0).unwrap();
    assert_eq!(admm.diagnostic_names(), DIAGNOSTIC_NAMES);
    for k in 0..4 {
        let d = admm.step(&mut model, &data, k).unwrap();
        let names: Vec<&str> = d.iter().map(|(n, _)| n).collect();
        assert_eq!(names, DIAGNOSTIC_NAMES);
        let lambda_norm: f64 = admm.state().unwrap().lambda.iter().map(|&v| f64::from(v).powi(2)).sum();
        let warm = d.get("warm_start").unwrap();
        if k < 2 {
            assert_eq!((warm, lambda_norm), (1.0, 0.0), "iteration {k}");
        } else {
            assert_eq!(warm, 0.0);
            assert!(lambda_norm > 0.0, "iteration {k}: lambda still zero");
        }
        assert!(d.get("fista_iterations").unwrap() >= 1.0);
        assert_eq!(d.get("fista_cap_hits").unwrap(), 0.0);
    }
}

#[test]
fn non_finite_values_end_the_step_naming_the_block() {
    let (data, mut model) = problem(&[6, 12, 8, 3], 100);
    let mut admm = Admm::new(AdmmConfig::default()).unwrap();
    admm.initialize(&model, &data, 0).unwrap();
    // W_2 is read by the a_1 update before it is recomputed.
    model.layers[1].weight[[0, 0]] = f32::NAN;
    match admm.step(&mut model, &data, 0) {
        Err(OptimError::NonFinite { what }) => assert!(what.starts_with("a_1"), "{what}"),
        other => panic!("expected a non-finite error, got {other:?}"),
    }
    // A non-finite input makes the input Gram matrix unusable.
    let mut bad = data.clone();
    bad.features[[2, 5]] = f32::INFINITY;
    let mut admm = Admm::new(AdmmConfig::default()).unwrap();
    match admm.initialize(&model, &bad, 0) {
        Err(OptimError::NonFinite { what }) => assert!(what.starts_with("W_1"), "{what}"),
        other => panic!("expected a non-finite error, got {other:?}"),
    }
}

#[test]
fn a_checkpoint_is_refused_by_another_configuration_or_shape() {
    let (data, mut model) = problem(&[6, 12, 8, 3], 100);
    let mut admm = Admm::new(AdmmConfig::default()).unwrap();
    admm.initialize(&model, &data, 0).unwrap();
    admm.step(&mut model, &data, 0).unwrap();
    let mut bytes = Vec::new();
    admm.save_state(&mut bytes).unwrap();

    let mut other = Admm::new(AdmmConfig {
        gamma: 1.0,
        ..AdmmConfig::default()
    })
    .unwrap();
    assert!(matches!(
        other.load_state(&mut bytes.as_slice(), &model, &data),
        Err(OptimError::Checkpoint(_))
    ));
    let fewer = data.first(50).unwrap();
    let mut same = Admm::new(AdmmConfig::default()).unwrap();
    assert!(matches!(
        same.load_state(&mut bytes.as_slice(), &model, &fewer),
        Err(OptimError::Checkpoint(_))
    ));
    same.load_state(&mut bytes.as_slice(), &model, &data).unwrap();
    assert_eq!(same.state(), admm.state());
}

#[test]
fn stepping_before_initialising_is_an_error() {
    let (data, mut model) = problem(&[6, 8, 3], 20);
    let mut admm = Admm::new(AdmmConfig::default()).unwrap();
    assert!(admm.step(&mut model, &data, 0).is_err());
    assert!(admm.save_state(&mut Vec::new()).is_err());
}

#[test]
fn a_network_without_hidden_layers_is_a_least_squares_fit() {
    let (data, mut model) = problem(&[6, 3], 150);
    let mut admm = Admm::new(AdmmConfig::default()).unwrap();
    admm.initialize(&model, &data, 0).unwrap();
    let before = model.evaluate(&data).loss;
    for k in 0..10 {
        admm.step(&mut model, &data, k).unwrap();
    }
    assert!(model.evaluate(&data).loss < before);
}

/// `z_l` (and `z_L` with the hinge during the warm start) is the last block a layer updates,
/// so after a step each must be the closed-form minimiser for the final `W_l, b_l, a_{l-1},
/// a_l` (and `λ`): a wrong weight, penalty or input in any z update shows here.
#[test]
fn pre_activations_end_each_iteration_at_their_closed_form() {
    use admm::hinge_z;
    use admm_kernels::relu_prox;
    use optim_core::linalg::matmul;
    let config = AdmmConfig {
        loss: OutputLoss::Hinge,
        beta: 0.7,
        gamma: 3.0,
        warm_start_iterations: usize::MAX,
        ..AdmmConfig::default()
    };
    let (data, mut model) = problem(&[6, 12, 8, 3], 300);
    let mut admm = Admm::new(config.clone()).unwrap();
    admm.initialize(&model, &data, 0).unwrap();
    for k in 0..3 {
        admm.step(&mut model, &data, k).unwrap();
        let state = admm.state().unwrap();
        let depth = model.depth();
        let mut checked = 0;
        for (l, layer) in model.layers.iter().enumerate() {
            let input = if l == 0 {
                data.features.view()
            } else {
                state.a[l - 1].view()
            };
            let product = matmul(&layer.weight.view(), &input);
            for ((i, j), &z) in state.z[l].indexed_iter() {
                let m = product[[i, j]] + layer.bias[i];
                let expected = if l + 1 < depth {
                    relu_prox(m, state.a[l][[i, j]], config.beta, config.gamma)
                } else {
                    let lambda = state.lambda[[i, j]];
                    hinge_z(m, lambda, i == data.labels[j] as usize, config.beta)
                };
                assert!(
                    (z - expected).abs() <= 1e-5 * (1.0 + expected.abs()),
                    "iteration {k}, z_{} [{i}, {j}]: {z} vs {expected}",
                    l + 1
                );
                checked += 1;
            }
        }
        assert_eq!(checked, (12 + 8 + 3) * 300);
    }
}

#[test]
fn the_output_starts_at_the_targets_unless_configured_otherwise() {
    use admm::OutputInit;
    let (data, model) = problem(&[6, 12, 8, 3], 200);
    let logits = model.logits(&data.features.view());
    for (output_init, expect_targets) in [(OutputInit::Targets, true), (OutputInit::ForwardPass, false)] {
        let mut admm = Admm::new(AdmmConfig {
            output_init,
            ..AdmmConfig::default()
        })
        .unwrap();
        admm.initialize(&model, &data, 0).unwrap();
        let state = admm.state().unwrap();
        for ((c, j), &z) in state.z[2].indexed_iter() {
            let expected = if expect_targets {
                if c == data.labels[j] as usize { 1.0 } else { -1.0 }
            } else {
                logits[[c, j]]
            };
            assert!(
                (z - expected).abs() < 1e-5,
                "{output_init:?} [{c}, {j}]: {z} vs {expected}"
            );
        }
    }
}

/// Large initial logits (an `N(0, 1)` network): started there, the output cannot travel far
/// enough before the multiplier stops it (see the crate documentation); started at the
/// targets, the network fits the training set.
#[test]
fn from_large_logits_only_the_targets_start_learns() {
    use admm::OutputInit;
    let data = blobs(
        &BlobsConfig {
            samples: 400,
            features: 6,
            classes: 3,
            separation: 3.0,
        },
        5,
    );
    let widths = [6, 12, 8, 3];
    let init = Init::Normal { std: 1.0 };
    let mut accuracy = Vec::new();
    for output_init in [OutputInit::Targets, OutputInit::ForwardPass] {
        let mut model = Mlp::new(&widths, &init, &mut rng_for(5, Stream::Init, 0)).unwrap();
        let mut admm = Admm::new(AdmmConfig {
            output_init,
            ..AdmmConfig::default()
        })
        .unwrap();
        admm.initialize(&model, &data, 0).unwrap();
        for k in 0..15 {
            admm.step(&mut model, &data, k).unwrap();
        }
        accuracy.push(model.evaluate(&data).accuracy);
    }
    assert!(accuracy[0] > 0.9, "{accuracy:?}");
    assert!(accuracy[1] < accuracy[0] - 0.2, "{accuracy:?}");
}
