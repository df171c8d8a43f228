//! The auxiliary variables of the ADMM formulation and their initialisation.

use admm_kernels::{add_bias_in_place, block_shape_mismatch, relu_into, storage, storage_mut};
use ndarray::{Array2, ArrayView2, Zip};
use optim_core::linalg::{gemm, zeros};
use optim_core::{Mlp, OptimError, Result};
use serde::{Deserialize, Serialize};

/// The state the method carries between iterations, besides the network's `W_l, b_l`
/// (which live in the shared [`Mlp`]). Every matrix has one column per training sample and
/// is column-major.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdmmState {
    /// Pre-activations `z_1, ..., z_L` (`n_l × N`); `z_L` is the output.
    #[serde(with = "optim_core::fortran_serde::vec")]
    pub z: Vec<Array2<f32>>,
    /// Activations `a_1, ..., a_{L-1}` (`n_l × N`); `a_0` is the input and is not stored.
    #[serde(with = "optim_core::fortran_serde::vec")]
    pub a: Vec<Array2<f32>>,
    /// Lagrange multiplier `λ` of the output constraint `z_L = W_L a_{L-1} + b_L`
    /// (`n_L × N`).
    #[serde(with = "optim_core::fortran_serde")]
    pub lambda: Array2<f32>,
}

impl AdmmState {
    /// The state of a forward pass of `model` on the inputs `x` (`n_0 × N`):
    /// `z_l = W_l a_{l-1} + b_l`, `a_l = relu(z_l)` and the output `z_L` equal to the logits,
    /// with `λ = 0`. Every constraint then holds exactly. [`crate::Admm`] then moves the output
    /// to the targets ([`AdmmState::set_output_to_targets`]) unless configured with
    /// [`crate::OutputInit::ForwardPass`].
    pub fn from_forward_pass(model: &Mlp, x: &ArrayView2<'_, f32>) -> Self {
        let depth = model.depth();
        let samples = x.ncols();
        let mut z = Vec::with_capacity(depth);
        let mut a: Vec<Array2<f32>> = Vec::with_capacity(depth.saturating_sub(1));
        for (l, layer) in model.layers.iter().enumerate() {
            let input = if l == 0 { x.view() } else { a[l - 1].view() };
            let mut zl = zeros(layer.weight.nrows(), samples);
            gemm(0.0, &mut zl.view_mut(), 1.0, &layer.weight.view(), &input);
            let bias = layer.bias.as_slice().expect("biases are contiguous");
            add_bias_in_place(storage_mut(&mut zl), bias, false);
            if l + 1 < depth {
                let mut al = zeros(zl.nrows(), samples);
                relu_into(storage_mut(&mut al), storage(&zl));
                a.push(al);
            }
            z.push(zl);
        }
        let lambda = zeros(model.layers[depth - 1].weight.nrows(), samples);
        Self { z, a, lambda }
    }

    /// Overwrites the output `z_L` with the targets `2y - 1` (1 for the sample's class, -1
    /// elsewhere), the start of [`crate::OutputInit::Targets`]. `labels` holds one class
    /// index per sample, each below the number of rows of `z_L`.
    pub fn set_output_to_targets(&mut self, labels: &[u32]) {
        let out = self.z.len() - 1;
        Zip::from(self.z[out].columns_mut())
            .and(labels)
            .par_for_each(|mut column, &label| {
                column.fill(-1.0);
                column[label as usize] = 1.0;
            });
    }

    /// Checks that the matrices fit layer widths `widths` (input first) and `samples`.
    pub fn check_shapes(&self, widths: &[usize], samples: usize) -> Result<()> {
        let depth = widths.len().saturating_sub(1);
        if self.z.len() != depth || self.a.len() + 1 != depth.max(1) {
            return Err(OptimError::Shape(format!(
                "ADMM state has {} z and {} a blocks, the network has {depth} layers",
                self.z.len(),
                self.a.len()
            )));
        }
        let mismatch = block_shape_mismatch("z", &self.z, widths, samples)
            .or_else(|| block_shape_mismatch("a", &self.a, widths, samples))
            .or_else(|| {
                let expected = (widths[depth], samples);
                (self.lambda.dim() != expected)
                    .then(|| format!("lambda has shape {:?}, expected {expected:?}", self.lambda.dim()))
            });
        if let Some(what) = mismatch {
            return Err(OptimError::Shape(format!("ADMM state: {what}")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optim_core::{Init, Stream, rng_for, synthetic};

    #[test]
    fn forward_pass_state_matches_the_logits_and_round_trips() {
        let data = synthetic::blobs(
            &synthetic::BlobsConfig {
                samples: 40,
                features: 5,
                classes: 3,
                separation: 1.0,
            },
            1,
        );
        let model = Mlp::new(&[5, 7, 6, 3], &Init::default(), &mut rng_for(1, Stream::Init, 0)).unwrap();
        let state = AdmmState::from_forward_pass(&model, &data.features.view());
        state.check_shapes(&model.widths(), 40).unwrap();
        let logits = model.logits(&data.features.view());
        for (x, y) in state.z[2].iter().zip(&logits) {
            assert!((x - y).abs() < 1e-5);
        }
        assert!(state.lambda.iter().all(|&v| v == 0.0));
        assert!(state.check_shapes(&model.widths(), 41).is_err());
        assert!(state.check_shapes(&[5, 7, 3], 40).is_err());
        let bytes = postcard_bytes(&state);
        let back: AdmmState = optim_core::checkpoint::read(&mut bytes.as_slice()).unwrap();
        assert_eq!(back, state);
        assert!(back.z[0].t().is_standard_layout(), "restored column-major");
    }

    #[test]
    fn targets_start_is_plus_one_at_the_label_and_minus_one_elsewhere() {
        let model = Mlp::new(&[4, 5, 3], &Init::default(), &mut rng_for(2, Stream::Init, 0)).unwrap();
        let x = ndarray::Array2::from_elem((4, 600), 0.5f32);
        let labels: Vec<u32> = (0..600).map(|j| (j % 3) as u32).collect();
        let mut state = AdmmState::from_forward_pass(&model, &x.view());
        let hidden = state.z[0].clone();
        state.set_output_to_targets(&labels);
        for ((c, j), &z) in state.z[1].indexed_iter() {
            assert_eq!(z, if c == labels[j] as usize { 1.0 } else { -1.0 });
        }
        assert_eq!(state.z[0], hidden, "hidden layers untouched");
        state.check_shapes(&model.widths(), 600).unwrap();
    }

    fn postcard_bytes(state: &AdmmState) -> Vec<u8> {
        let mut out = Vec::new();
        optim_core::checkpoint::write(state, &mut out).unwrap();
        out
    }
}
