//! Small random problems for the unit tests.

use ndarray::{Array2, ShapeBuilder};
use optim_core::{Stream, rng_for};
use rand_distr::{Distribution, Normal};

/// A column-major `rows × cols` matrix of i.i.d. `N(0, 1)` entries drawn from `seed`.
pub(crate) fn random(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    let mut rng = rng_for(seed, Stream::Optimizer, 0);
    let normal = Normal::new(0.0f32, 1.0).expect("valid distribution");
    let mut m = Array2::zeros((rows, cols).f());
    m.iter_mut().for_each(|v| *v = normal.sample(&mut rng));
    m
}
