//! The optimizer's true state: what a checkpoint holds.
//!
//! The auxiliary variables `z_l` (`l = 1..L`), `a_l` (`l = 1..L-1`), the dual `u`, the
//! carried products `m_l = W_l a_{l-1}`, the penalties and backtracking starts in force, the
//! iteration counter and the training costs the adaptive rule looks back on. Everything else
//! the optimizer keeps (the input Gram matrix, buffers) is recomputed from this state, the
//! model and the data, see [`crate::workspace`].
//!
//! The products `m_l` are state, not a cache: the subproblems update them from products they
//! compute anyway (`m <- m - G a / alpha` after a `W_l` step, `m <- m - W g / t` after an
//! `a_{l-1}` step), never recompute them, so they carry the rounding of those updates. A
//! checkpoint that stored only `W_l` and `a_l` would resume from `W_l a_{l-1}` afresh, which
//! differs in the last bits; storing `m_l` makes a resumed run the uninterrupted one, bit for
//! bit, and spares the product (one `(1000 x 1000)(1000 x N)` per hidden layer and
//! iteration) that a recomputation at the end of every iteration would cost.

use admm_kernels::{add_bias, block_shape_mismatch, relu_into, storage, storage_mut};
use ndarray::Array2;
use optim_core::linalg::{gemm, zeros};
use optim_core::{Dataset, Mlp, OptimError, Result};
use serde::{Deserialize, Serialize};

use crate::config::Params;

/// The state of a run (serialised by reference for checkpoints: no copy of the matrices).
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct State {
    /// `z_1 .. z_L`, `n_l x N` each, column-major.
    #[serde(with = "optim_core::fortran_serde::vec")]
    pub z: Vec<Array2<f32>>,
    /// `a_1 .. a_{L-1}`, `n_l x N` each, column-major.
    #[serde(with = "optim_core::fortran_serde::vec")]
    pub a: Vec<Array2<f32>>,
    /// The dual of `z_L = W_L a_{L-1} + b_L`, `n_L x N`.
    #[serde(with = "optim_core::fortran_serde")]
    pub u: Array2<f32>,
    /// The carried products `m_l = W_l a_{l-1}` (`a_0 = X`, no bias) for `l = 1..L`,
    /// `n_l x N` each, column-major.
    #[serde(with = "optim_core::fortran_serde::vec")]
    pub m: Vec<Array2<f32>>,
    /// The penalty `rho` in force.
    pub rho: f64,
    /// The penalty `nu` in force (equal to `rho` in the reference variant).
    pub nu: f64,
    /// Global start of the `a_l` backtracking searches.
    pub tau: f64,
    /// Global start of the `W_l` backtracking searches.
    pub theta: f64,
    /// Iterations completed.
    pub iterations: u64,
    /// Summed training cross-entropy of the plain forward network after each iteration
    /// (only under the adaptive schedule, whose rule reads it).
    pub training_costs: Vec<f64>,
    /// Whether the adaptive rule's bookkeeping for the last iteration is still to run (it
    /// runs in `after_step`, or at the start of the next step if that was not called).
    pub cost_pending: bool,
}

impl State {
    /// The reference code's initialisation (docs/dladmm.md#initialisation): hidden `z_l = W_l a_{l-1} + b_l` and
    /// `a_l = relu(z_l)` from a forward pass of the given model, `z_L = 2 y - 1` (one-hot
    /// labels mapped to +-1), `u = 0`, and the products `m_l = W_l a_{l-1}` of that forward
    /// pass, which the optimizer carries from then on.
    pub(crate) fn initial(model: &Mlp, train: &Dataset, params: &Params) -> Self {
        let depth = model.depth();
        let samples = train.len();
        let mut m = Vec::with_capacity(depth);
        let mut z = Vec::with_capacity(depth);
        let mut a: Vec<Array2<f32>> = Vec::with_capacity(depth - 1);
        for (l, layer) in model.layers.iter().enumerate() {
            let mut product = zeros(layer.weight.nrows(), samples);
            let input = if l == 0 { train.features.view() } else { a[l - 1].view() };
            gemm(0.0, &mut product.view_mut(), 1.0, &layer.weight.view(), &input);
            if l + 1 < depth {
                let mut pre = zeros(layer.weight.nrows(), samples);
                let bias = layer.bias.as_slice().expect("biases are contiguous");
                add_bias(storage_mut(&mut pre), storage(&product), bias, false);
                let mut activation = zeros(layer.weight.nrows(), samples);
                relu_into(storage_mut(&mut activation), storage(&pre));
                a.push(activation);
                z.push(pre);
            }
            m.push(product);
        }
        let mut output = zeros(train.num_classes, samples);
        output.fill(-1.0);
        for (j, &y) in train.labels.iter().enumerate() {
            output[[y as usize, j]] = 1.0;
        }
        z.push(output);
        Self {
            z,
            a,
            u: zeros(train.num_classes, samples),
            m,
            rho: params.rho,
            nu: params.nu.unwrap_or(params.rho),
            tau: params.tau,
            theta: params.theta,
            iterations: 0,
            training_costs: Vec::new(),
            cost_pending: false,
        }
    }

    /// Checks that a restored state fits this model, these data and these parameters.
    pub(crate) fn check(&self, widths: &[usize], samples: usize, params: &Params) -> Result<()> {
        let depth = widths.len() - 1;
        let bad = |what: String| Err(OptimError::Checkpoint(what));
        if self.z.len() != depth || self.a.len() + 1 != depth {
            return bad(format!("state for {} layers, the model has {depth}", self.z.len()));
        }
        if self.m.len() != depth {
            return bad(format!(
                "state carries {} products, the model has {depth} layers",
                self.m.len()
            ));
        }
        // Layer l (0-based) of z, a and m has n_{l+1} rows and one column per sample.
        for (kind, mats) in [("z", &self.z), ("a", &self.a), ("m", &self.m)] {
            if let Some(what) = block_shape_mismatch(kind, mats, widths, samples) {
                return bad(what);
            }
        }
        if self.u.dim() != (widths[depth], samples) {
            return bad(format!("u has shape {:?}", self.u.dim()));
        }
        let positive = [self.rho, self.nu, self.tau, self.theta]
            .iter()
            .all(|v| v.is_finite() && *v > 0.0);
        if !positive {
            return bad("rho, nu, tau and theta must be finite and positive".into());
        }
        let variant_fits = match params.nu {
            None => self.nu == self.rho,
            Some(nu) => self.nu == nu,
        };
        if !variant_fits {
            return bad(format!(
                "state has nu = {} and rho = {}: written by another variant or nu",
                self.nu, self.rho
            ));
        }
        Ok(())
    }
}
