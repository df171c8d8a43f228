//! What the criterion benchmarks of every crate share (feature `bench`): the switch for
//! paper-size runs and the benchmark of one update of a rule.
//!
//! `cargo bench` stays within minutes: benchmarks at the paper's size (55,000 samples,
//! about a second per product) run only when `DLADMM_BENCH_PAPER_SIZE=1`.

use std::hint::black_box;

use criterion::{Criterion, Throughput};

use crate::config::RuleConfig;
use crate::rule::UpdateRule;

/// The environment variable that turns on the paper-size benchmarks.
pub const PAPER_SIZE_VAR: &str = "DLADMM_BENCH_PAPER_SIZE";

/// Whether the paper-size benchmarks were asked for; says on stderr that `group` is skipped
/// when they were not, so a short `cargo bench` is visibly short.
pub fn paper_size(group: &str) -> bool {
    let on = std::env::var(PAPER_SIZE_VAR).as_deref() == Ok("1");
    if !on {
        eprintln!("{group}: skipped; set {PAPER_SIZE_VAR}=1 to run it at the paper's size");
    }
    on
}

/// Elements of the tensor a rule benchmark updates: a hidden layer's weights in the paper's
/// network (1000 x 1000).
pub const RULE_TENSOR_LEN: usize = 1000 * 1000;

/// Times one update of a [`RULE_TENSOR_LEN`]-element tensor by each named configuration, in
/// the criterion group `group`, with elements per second as throughput.
pub fn rule_updates<C: RuleConfig>(c: &mut Criterion, group: &str, configs: &[(&str, C)]) {
    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Elements(RULE_TENSOR_LEN as u64));
    for (name, config) in configs {
        let rule = config.build().expect("valid configuration");
        // Bounded, varied values: the cost does not depend on them, but denormals would.
        let mut param: Vec<f32> = (0..RULE_TENSOR_LEN).map(|i| (i as f32 * 0.37).sin()).collect();
        let grad: Vec<f32> = (0..RULE_TENSOR_LEN).map(|i| 1e-2 * (i as f32 * 0.11).cos()).collect();
        let mut state = rule.init_state(RULE_TENSOR_LEN);
        group.bench_function(*name, |b| {
            b.iter(|| rule.update(&mut param, black_box(&grad), &mut state))
        });
    }
    group.finish();
}

/// A network of `widths` (initialised as the paper does) and Gaussian blobs of `samples`
/// samples that fit it: the cost of an ADMM-type subproblem depends on the shapes, and on
/// the data only through the inner solvers' iteration counts.
pub fn blobs_problem(widths: &[usize], samples: usize) -> (crate::Mlp, crate::Dataset) {
    let data = crate::synthetic::blobs(
        &crate::synthetic::BlobsConfig {
            samples,
            features: widths[0],
            classes: widths[widths.len() - 1],
            separation: 1.0,
        },
        0,
    );
    let model = crate::Mlp::new(
        widths,
        &crate::Init::default(),
        &mut crate::rng_for(0, crate::Stream::Init, 0),
    )
    .expect("valid widths");
    (model, data)
}

/// Times each of `subproblems` in the criterion group `group`, one update per call of
/// `run`; `slow` sets criterion's minimum of 10 samples for updates that take seconds.
pub fn subproblems<S, F>(c: &mut Criterion, group: &str, subproblems: &[S], slow: bool, mut run: F)
where
    S: std::fmt::Display + Copy,
    F: FnMut(S),
{
    let mut group = c.benchmark_group(group);
    if slow {
        group
            .sample_size(10)
            .measurement_time(std::time::Duration::from_secs(20));
    }
    for &subproblem in subproblems {
        group.bench_function(subproblem.to_string(), |b| b.iter(|| run(subproblem)));
    }
    group.finish();
}

/// The subproblem benchmarks of an ADMM-type method, named `method` in the group names:
/// 784-100-100-10 on 2,000 samples always, and the paper's 784-1000-1000-10 on 55,000
/// samples when [`paper_size`] says so. `build` sets the method up on a model and data and
/// returns its subproblems and a function that takes one update of one of them.
pub fn subproblem_benches<S, R, B>(c: &mut Criterion, method: &str, build: B)
where
    S: std::fmt::Display + Copy,
    R: FnMut(S),
    B: Fn(crate::Mlp, crate::Dataset) -> (Vec<S>, R),
{
    let sizes: [(&[usize], usize, bool); 2] = [
        (&[784, 100, 100, 10], 2000, false),
        (&[784, 1000, 1000, 10], 55_000, true),
    ];
    for (widths, samples, paper) in sizes {
        let widths_name: Vec<String> = widths.iter().map(ToString::to_string).collect();
        let group = format!("{method}/{} N={samples}", widths_name.join("-"));
        if paper && !paper_size(&group) {
            continue;
        }
        let (model, data) = blobs_problem(widths, samples);
        let (all, run) = build(model, data);
        subproblems(c, &group, &all, paper, run);
    }
}
