//! The training cost the adaptive `rho` rule watches: the summed cross-entropy of the plain
//! forward network `W_L relu(... relu(W_1 X + b_1) ...) + b_L` on the training set.
//!
//! The reference code reads it from its untimed evaluation after each iteration; the
//! optimizer cannot see the executor's evaluation, so it computes the cost itself, in
//! `Optimizer::after_step`, which the executor leaves untimed likewise. It costs one product
//! per layer after the first
//! (`sum_{l>=2} n_l n_{l-1} N`, about 1 of the paper-size unit): the first layer's
//! pre-activation is `m_1 + b_1`, already exact at the end of the iteration. The pass runs
//! over blocks of [`FORWARD_COLUMNS`] samples, so it needs two small buffers only.

use optim_core::Mlp;
use optim_core::linalg::gemm;
use optim_core::loss::cross_entropy_sum;

use admm_kernels::{Scratch, add_bias, add_bias_in_place, storage};

/// Samples per block of the forward pass (1000 x 8192 f32 = 32 MB per buffer): large
/// enough for the products to run at full speed.
pub(crate) const FORWARD_COLUMNS: usize = 8192;

/// Two activation buffers of the widest layer after the input.
#[derive(Debug)]
pub(crate) struct ForwardBuffers {
    input: Scratch,
    output: Scratch,
}

impl ForwardBuffers {
    /// Buffers for a network with these widths.
    pub(crate) fn new(widths: &[usize]) -> Self {
        let widest = widths[1..].iter().copied().max().unwrap_or(1);
        Self {
            input: Scratch::new(widest, FORWARD_COLUMNS),
            output: Scratch::new(widest, FORWARD_COLUMNS),
        }
    }
}

fn bias(layer: &optim_core::Dense) -> &[f32] {
    layer.bias.as_slice().expect("biases are contiguous")
}

/// Summed cross-entropy of `model` on the training set whose first-layer products are
/// `m_1 = W_1 X` (exact at the end of an iteration), with labels `labels`.
pub(crate) fn training_cost(
    model: &Mlp,
    m_first: &ndarray::Array2<f32>,
    labels: &[u32],
    buffers: &mut ForwardBuffers,
) -> f64 {
    let depth = model.depth();
    let samples = labels.len();
    let mut total = 0.0f64;
    for start in (0..samples).step_by(FORWARD_COLUMNS) {
        let end = (start + FORWARD_COLUMNS).min(samples);
        let cols = end - start;
        let first = &model.layers[0];
        let rows = first.weight.nrows();
        let m = &storage(m_first)[rows * start..rows * end];
        add_bias(&mut buffers.input.slice_mut(rows)[..rows * cols], m, bias(first), true);
        let mut rows_in = rows;
        for (l, layer) in model.layers.iter().enumerate().skip(1) {
            let rows_out = layer.weight.nrows();
            let ForwardBuffers { input, output } = buffers;
            gemm(
                0.0,
                &mut output.view_mut_with(rows_out, cols),
                1.0,
                &layer.weight.view(),
                &input.view_with(rows_in, cols),
            );
            add_bias_in_place(
                &mut output.slice_mut(rows_out)[..rows_out * cols],
                bias(layer),
                l + 1 < depth,
            );
            std::mem::swap(&mut buffers.input, &mut buffers.output);
            rows_in = rows_out;
        }
        let logits = buffers.input.view_with(rows_in, cols);
        total += cross_entropy_sum(&logits, &labels[start..end]);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use optim_core::linalg::matmul;
    use optim_core::synthetic::{BlobsConfig, blobs};
    use optim_core::{Init, Stream, rng_for};

    #[test]
    fn equals_the_model_evaluation() {
        let data = blobs(
            &BlobsConfig {
                samples: FORWARD_COLUMNS + 123,
                features: 7,
                classes: 3,
                separation: 1.0,
            },
            4,
        );
        for widths in [vec![7, 9, 3], vec![7, 5, 11, 6, 3]] {
            let model = Mlp::new(&widths, &Init::default(), &mut rng_for(2, Stream::Init, 0)).unwrap();
            let m = matmul(&model.layers[0].weight.view(), &data.features.view());
            let mut buffers = ForwardBuffers::new(&widths);
            let cost = training_cost(&model, &m, &data.labels, &mut buffers);
            let expected = model.evaluate(&data).loss * data.len() as f64;
            assert!((cost - expected).abs() <= 1e-5 * expected, "{cost} vs {expected}");
        }
    }
}
