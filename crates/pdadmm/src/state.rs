//! The optimizer's state: what a checkpoint holds.
//!
//! Layers are numbered from 0 here (layer `k` is the paper's layer `k + 1`). Layer `k` maps
//! its input `p_k` (the data `x` for `k = 0`) to `z_k`; a hidden layer `k < L - 1` also has
//! its output `q_k` and the dual `u_k` of the coupling `p_{k+1} = q_k`. The products `W_k
//! p_k` are recomputed at the start of every iteration from this state and the model, so the
//! state alone (with the model) resumes a run exactly.

use admm_kernels::{add_bias, block_shape_mismatch, relu_into, storage, storage_mut};
use ndarray::Array2;
use optim_core::linalg::{gemm, zeros};
use optim_core::{Dataset, Mlp, OptimError, Result};
use serde::{Deserialize, Serialize};

use crate::config::Params;

/// The state of a run.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct State {
    /// `p_1 .. p_{L-1}`: the inputs of the layers after the first, `n_k x N` each.
    #[serde(with = "optim_core::fortran_serde::vec")]
    pub p: Vec<Array2<f32>>,
    /// `q_0 .. q_{L-2}`: the outputs of the hidden layers.
    #[serde(with = "optim_core::fortran_serde::vec")]
    pub q: Vec<Array2<f32>>,
    /// `z_0 .. z_{L-1}`: the pre-activations, the last one the output.
    #[serde(with = "optim_core::fortran_serde::vec")]
    pub z: Vec<Array2<f32>>,
    /// `u_0 .. u_{L-2}`: the duals of `p_{k+1} = q_k`.
    #[serde(with = "optim_core::fortran_serde::vec")]
    pub u: Vec<Array2<f32>>,
    /// The penalty `rho` the run was started with.
    pub rho: f64,
    /// The weight `nu` the run was started with.
    pub nu: f64,
    /// Iterations completed.
    pub iterations: u64,
}

impl State {
    /// The code's initialisation (docs/pdadmm.md#initialisation): a forward pass of the given
    /// model sets `z_k = W_k p_k + b_k`, `q_k = relu(z_k)` and `p_{k+1} = q_k` for the hidden
    /// layers, the output `z_{L-1} = 2 y - 1` (one-hot labels mapped to +-1), the duals 0.
    pub(crate) fn initial(model: &Mlp, train: &Dataset, params: &Params) -> Self {
        let depth = model.depth();
        let samples = train.len();
        let (mut p, mut q, mut z, mut u): (Vec<Array2<f32>>, Vec<_>, Vec<_>, Vec<_>) = Default::default();
        for (k, layer) in model.layers.iter().enumerate().take(depth - 1) {
            let rows = layer.weight.nrows();
            let mut product = zeros(rows, samples);
            let input = if k == 0 { train.features.view() } else { p[k - 1].view() };
            gemm(0.0, &mut product.view_mut(), 1.0, &layer.weight.view(), &input);
            let mut pre = zeros(rows, samples);
            let bias = layer.bias.as_slice().expect("biases are contiguous");
            add_bias(storage_mut(&mut pre), storage(&product), bias, false);
            let mut output = zeros(rows, samples);
            relu_into(storage_mut(&mut output), storage(&pre));
            p.push(output.clone());
            q.push(output);
            z.push(pre);
            u.push(zeros(rows, samples));
        }
        let mut output = zeros(train.num_classes, samples);
        output.fill(-1.0);
        for (j, &y) in train.labels.iter().enumerate() {
            output[[y as usize, j]] = 1.0;
        }
        z.push(output);
        Self {
            p,
            q,
            z,
            u,
            rho: params.rho,
            nu: params.nu,
            iterations: 0,
        }
    }

    /// Checks that a restored state fits this network (widths, input first), these data and
    /// these parameters.
    pub(crate) fn check(&self, widths: &[usize], samples: usize, params: &Params) -> Result<()> {
        let depth = widths.len() - 1;
        let bad = |what: String| Err(OptimError::Checkpoint(what));
        if self.z.len() != depth || [self.p.len(), self.q.len(), self.u.len()] != [depth - 1; 3] {
            return bad(format!("state for {} layers, the model has {depth}", self.z.len()));
        }
        // q_k, u_k and z_k have layer k's width; p_{k+1} = q_k too, stored from index 0.
        for (kind, mats) in [("z", &self.z), ("q", &self.q), ("u", &self.u), ("p", &self.p)] {
            if let Some(what) = block_shape_mismatch(kind, mats, widths, samples) {
                return bad(what);
            }
        }
        if (self.rho, self.nu) != (params.rho, params.nu) {
            return bad(format!(
                "state has rho = {}, nu = {}; the configuration rho = {}, nu = {}",
                self.rho, self.nu, params.rho, params.nu
            ));
        }
        Ok(())
    }
}
