//! Small random problems for the unit tests.

use ndarray::{Array2, ShapeBuilder};
use optim_core::{Rng, Stream, rng_for};
use rand_distr::{Distribution, StandardNormal};

/// A seeded generator for test data.
pub(crate) fn rng(seed: u64) -> Rng {
    rng_for(seed, Stream::Data, 1000)
}

/// A column-major `rows x cols` matrix of `N(0, std^2)` entries.
pub(crate) fn random_matrix(rng: &mut Rng, rows: usize, cols: usize, std: f32) -> Array2<f32> {
    let mut m = Array2::zeros((rows, cols).f());
    m.iter_mut().for_each(|v| {
        let x: f32 = StandardNormal.sample(rng);
        *v = std * x;
    });
    m
}
