//! The dense products of training, through `optim_core::linalg::gemm` on column-major
//! operands: the mini-batch shapes of the gradient methods (784-1000-1000-10, batch 128)
//! always, and the full-batch shapes of one dlADMM iteration at the paper's size (N = 55,000)
//! when `DLADMM_BENCH_PAPER_SIZE=1`, since those take about a second each and 220 MB per
//! operand. Throughput is reported in floating-point operations (`2 m k n` per product).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime};
use optim_core::linalg::{gemm, zeros};

/// A product `c = a b` with `a` of shape `m x k` and `b` of shape `k x n`; a transposed factor
/// is stored transposed and read through a transposed view, as the training code does.
struct Shape {
    name: &'static str,
    m: usize,
    k: usize,
    n: usize,
    transpose_a: bool,
    transpose_b: bool,
}

const fn shape(name: &'static str, m: usize, k: usize, n: usize, transpose_a: bool, transpose_b: bool) -> Shape {
    Shape {
        name,
        m,
        k,
        n,
        transpose_a,
        transpose_b,
    }
}

/// Forward and backward products of one mini-batch step.
const BATCH: [Shape; 5] = [
    shape("W1 X (1000x784)(784x128)", 1000, 784, 128, false, false),
    shape("W2 a1 (1000x1000)(1000x128)", 1000, 1000, 128, false, false),
    shape("W2^T delta (1000x1000)^T(1000x128)", 1000, 1000, 128, true, false),
    shape("delta a1^T (1000x128)(128x1000)", 1000, 128, 1000, false, true),
    shape("delta X^T (1000x128)(128x784)", 1000, 128, 784, false, true),
];

const PAPER_SAMPLES: usize = 55_000;

/// The products of one dlADMM iteration at 784-1000-1000-10 on 55,000 samples.
const PAPER: [Shape; 5] = [
    shape("W1 X (1000x784)(784xN)", 1000, 784, PAPER_SAMPLES, false, false),
    shape("W2 a1 (1000x1000)(1000xN)", 1000, 1000, PAPER_SAMPLES, false, false),
    shape("W2^T r (1000x1000)^T(1000xN)", 1000, 1000, PAPER_SAMPLES, true, false),
    shape("r a1^T (1000xN)(Nx1000)", 1000, PAPER_SAMPLES, 1000, false, true),
    shape("r X^T (1000xN)(Nx784)", 1000, PAPER_SAMPLES, 784, false, true),
];

fn bench_shapes(group: &mut BenchmarkGroup<'_, WallTime>, shapes: &[Shape]) {
    for s in shapes {
        let a_storage = if s.transpose_a {
            zeros(s.k, s.m)
        } else {
            zeros(s.m, s.k)
        } + 0.01;
        let b_storage = if s.transpose_b {
            zeros(s.n, s.k)
        } else {
            zeros(s.k, s.n)
        } + 0.01;
        let a = if s.transpose_a { a_storage.t() } else { a_storage.view() };
        let b = if s.transpose_b { b_storage.t() } else { b_storage.view() };
        let mut c = zeros(s.m, s.n);
        group.throughput(Throughput::Elements(2 * (s.m * s.k * s.n) as u64));
        group.bench_function(s.name, |bench| {
            bench.iter(|| gemm(0.0, &mut c.view_mut(), 1.0, black_box(&a), black_box(&b)));
        });
    }
}

fn batch_products(c: &mut Criterion) {
    let mut group = c.benchmark_group("products/batch");
    bench_shapes(&mut group, &BATCH);
    group.finish();
}

fn paper_products(c: &mut Criterion) {
    if !optim_core::bench::paper_size("products/paper") {
        return;
    }
    let mut group = c.benchmark_group("products/paper");
    // About a second per product: criterion's minimum of 10 samples is plenty.
    group.sample_size(10).measurement_time(Duration::from_secs(15));
    bench_shapes(&mut group, &PAPER);
    group.finish();
}

criterion_group!(benches, batch_products, paper_products);
criterion_main!(benches);
