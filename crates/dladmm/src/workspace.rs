//! Everything the optimizer keeps besides its state: derived quantities and buffers,
//! allocated once per run.
//!
//! - the input Gram matrix `X X^T` (`n_0 x n_0`), fixed for the run;
//! - two scratch buffers of `max_l n_l` rows and `N` columns for all big temporaries;
//! - small buffers: per-layer gradients of `W_l`, the Gram product, FISTA's buffers and,
//!   under the adaptive schedule, the chunked forward pass of the training cost.
//!
//! At the paper's size (784-1000-1000-10, N = 55,000, f32) the big matrices are `z_1, a_1,
//! z_2, a_2, m_1, m_2` (state) and the two scratch buffers: eight of 220 MB.

use ndarray::{Array2, ArrayView2};
use optim_core::Mlp;
use optim_core::linalg::{gemm, zeros};

use crate::training_cost::ForwardBuffers;
use admm_kernels::{FistaBuffers, Scratch};

/// Derived quantities and buffers of a run.
#[derive(Debug)]
pub(crate) struct Workspace {
    /// Scratch for layer residuals `e_l` (and the products `W_{l+1} g`).
    pub residual: Scratch,
    /// Scratch for `G a_{l-1}` and the `a_l` gradients.
    pub product: Scratch,
    /// Gradient of each `W_l` (`n_l x n_{l-1}`).
    pub grads: Vec<Array2<f32>>,
    /// `X X^T`.
    pub gram: Array2<f32>,
    /// `G_1 X X^T` (`n_1 x n_0`).
    pub gram_product: Array2<f32>,
    /// The `z_L` subproblem's target `W_L a_{L-1} + b_L - u / rho`.
    pub target: Vec<f32>,
    /// FISTA's iterates.
    pub fista: FistaBuffers,
    /// The training-cost forward pass (adaptive schedule only).
    pub forward: Option<ForwardBuffers>,
}

impl Workspace {
    /// Allocates the buffers and computes `X X^T`.
    pub(crate) fn new(model: &Mlp, x: &ArrayView2<'_, f32>, with_forward: bool) -> Self {
        let widths = model.widths();
        let samples = x.ncols();
        let classes = widths[widths.len() - 1];
        let widest = widths[1..].iter().copied().max().unwrap_or(1);
        let mut gram = zeros(widths[0], widths[0]);
        gemm(0.0, &mut gram.view_mut(), 1.0, x, &x.t());
        Self {
            residual: Scratch::new(widest, samples),
            product: Scratch::new(widest, samples),
            grads: model
                .layers
                .iter()
                .map(|l| zeros(l.weight.nrows(), l.weight.ncols()))
                .collect(),
            gram,
            gram_product: zeros(widths[1], widths[0]),
            target: vec![0.0; classes * samples],
            fista: FistaBuffers::new(classes * samples),
            forward: with_forward.then(|| ForwardBuffers::new(&widths)),
        }
    }
}
