//! The fully connected network every optimizer trains: ReLU hidden layers, linear output
//! scored by softmax cross-entropy.

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Axis, Zip};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::{OptimError, Result};
use crate::init::Init;
use crate::linalg::{gemm, zeros};
use crate::loss::{cross_entropy_grad, cross_entropy_sum, predictions};
use crate::simd;

/// Samples per chunk when evaluating or back-propagating over a large set: bounds the
/// activations held at once (1000 x 8192 f32 = 32 MB per hidden layer).
pub const CHUNK: usize = 8192;

/// One affine layer `z = W a + b`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dense {
    /// Weights, shape `(fan_out, fan_in)`, column-major.
    #[serde(with = "crate::fortran_serde")]
    pub weight: Array2<f32>,
    /// Bias, length `fan_out`.
    pub bias: Array1<f32>,
}

/// A multi-layer perceptron: layer `l` maps `a_{l-1}` to `z_l = W_l a_{l-1} + b_l`, hidden
/// layers apply ReLU, the last layer's `z_L` are the logits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mlp {
    /// The layers, input to output.
    pub layers: Vec<Dense>,
}

/// Loss and accuracy of a model on a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Cross-entropy averaged over samples.
    pub loss: f64,
    /// Fraction of samples whose largest logit is the true class.
    pub accuracy: f64,
}

/// `z <- z + b` column by column, then optionally ReLU.
///
/// # Panics
/// If `b` does not have one entry per row of `z`.
pub fn add_bias(z: &mut ArrayViewMut2<'_, f32>, b: &Array1<f32>, relu: bool) {
    assert_eq!(z.nrows(), b.len(), "one bias per row");
    let rows = b.len();
    // Column-major storage (the layout of every activation here) is one flat loop per column,
    // compiled for the CPU's widest instructions; any other layout takes the generic path.
    if let (Some(z), Some(b)) = (z.view_mut().reversed_axes().into_slice(), b.as_slice())
        && rows > 0
    {
        simd::dispatch(
            #[inline(always)]
            || {
                for column in z.chunks_exact_mut(rows) {
                    for (z, &b) in column.iter_mut().zip(b) {
                        let v = *z + b;
                        *z = if relu { v.max(0.0) } else { v };
                    }
                }
            },
        );
        return;
    }
    Zip::from(z.columns_mut()).for_each(|mut col| {
        Zip::from(&mut col).and(b).for_each(|z, &b| {
            let v = *z + b;
            *z = if relu { v.max(0.0) } else { v };
        })
    });
}

/// `delta <- delta` where the activation `a = ReLU(z)` is positive, 0 elsewhere: the
/// back-propagation through ReLU (its derivative is 1 where the activation is positive).
fn relu_backward(delta: &mut Array2<f32>, activation: &Array2<f32>) {
    assert_eq!(delta.dim(), activation.dim(), "delta and activation shapes");
    let same_layout = delta.strides() == activation.strides();
    if let (true, Some(d), Some(a)) = (
        same_layout,
        delta.as_slice_memory_order_mut(),
        activation.as_slice_memory_order(),
    ) {
        simd::dispatch(
            #[inline(always)]
            || {
                for (d, &a) in d.iter_mut().zip(a) {
                    if a <= 0.0 {
                        *d = 0.0;
                    }
                }
            },
        );
        return;
    }
    Zip::from(delta).and(activation).for_each(|d, &a| {
        if a <= 0.0 {
            *d = 0.0;
        }
    });
}

impl Mlp {
    /// A network with layer widths `widths` (input first, classes last), drawn from `init`.
    pub fn new<R: Rng + ?Sized>(widths: &[usize], init: &Init, rng: &mut R) -> Result<Self> {
        if widths.len() < 2 || widths.contains(&0) {
            return Err(OptimError::invalid(
                "widths",
                format!("need at least an input and an output width, all positive; got {widths:?}"),
            ));
        }
        init.validate()?;
        let layers = widths
            .windows(2)
            .map(|w| {
                let (weight, bias) = init.draw(w[1], w[0], rng);
                Dense { weight, bias }
            })
            .collect();
        Ok(Self { layers })
    }

    /// A network of the same shape with every parameter zero (e.g. a gradient accumulator).
    pub fn zeros_like(&self) -> Self {
        let layers = self
            .layers
            .iter()
            .map(|l| Dense {
                weight: zeros(l.weight.nrows(), l.weight.ncols()),
                bias: Array1::zeros(l.bias.len()),
            })
            .collect();
        Self { layers }
    }

    /// Layer widths, input first.
    pub fn widths(&self) -> Vec<usize> {
        let mut w = vec![self.layers[0].weight.ncols()];
        w.extend(self.layers.iter().map(|l| l.weight.nrows()));
        w
    }

    /// Number of layers `L` (weight matrices).
    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    /// Total number of trainable scalars.
    pub fn num_parameters(&self) -> usize {
        self.layers.iter().map(|l| l.weight.len() + l.bias.len()).sum()
    }

    /// Parameter tensors as flat slices in storage order: `W_1, b_1, W_2, b_2, ...`.
    pub fn tensors(&self) -> Vec<&[f32]> {
        self.layers
            .iter()
            .flat_map(|l| {
                [
                    l.weight.as_slice_memory_order().expect("parameters are contiguous"),
                    l.bias.as_slice_memory_order().expect("parameters are contiguous"),
                ]
            })
            .collect()
    }

    /// Mutable parameter tensors in the order of [`Mlp::tensors`].
    pub fn tensors_mut(&mut self) -> Vec<&mut [f32]> {
        self.layers
            .iter_mut()
            .flat_map(|l| {
                [
                    l.weight.as_slice_memory_order_mut().expect("parameters are contiguous"),
                    l.bias.as_slice_memory_order_mut().expect("parameters are contiguous"),
                ]
            })
            .collect()
    }

    /// Name of the first non-finite parameter tensor, if any.
    pub fn first_non_finite(&self) -> Option<String> {
        self.layers.iter().enumerate().find_map(|(i, l)| {
            if !l.weight.iter().all(|v| v.is_finite()) {
                Some(format!("W_{}", i + 1))
            } else if !l.bias.iter().all(|v| v.is_finite()) {
                Some(format!("b_{}", i + 1))
            } else {
                None
            }
        })
    }

    /// Logits `z_L` for the inputs `x` (one column per sample).
    pub fn logits(&self, x: &ArrayView2<'_, f32>) -> Array2<f32> {
        let mut a = x.to_owned();
        for (l, layer) in self.layers.iter().enumerate() {
            let mut z = zeros(layer.weight.nrows(), a.ncols());
            gemm(0.0, &mut z.view_mut(), 1.0, &layer.weight.view(), &a.view());
            add_bias(&mut z.view_mut(), &layer.bias, l + 1 < self.layers.len());
            a = z;
        }
        a
    }

    /// Mean cross-entropy and accuracy on `data`, in chunks to bound memory.
    pub fn evaluate(&self, data: &Dataset) -> Evaluation {
        let (mut loss, mut correct) = (0.0f64, 0usize);
        for start in (0..data.len()).step_by(CHUNK) {
            let end = (start + CHUNK).min(data.len());
            let logits = self.logits(&data.feature_columns(start, end));
            let labels = &data.labels[start..end];
            loss += cross_entropy_sum(&logits.view(), labels);
            correct += predictions(&logits.view())
                .iter()
                .zip(labels)
                .filter(|(p, y)| p == y)
                .count();
        }
        let n = data.len().max(1) as f64;
        Evaluation {
            loss: loss / n,
            accuracy: correct as f64 / n,
        }
    }

    /// Adds `scale * grad(sum of cross-entropies over the columns of x)` to `grads` and
    /// returns the summed loss. Back-propagation; `grads` must have this network's shape.
    pub fn accumulate_gradients(&self, x: &ArrayView2<'_, f32>, labels: &[u32], scale: f32, grads: &mut Mlp) -> f64 {
        self.gradients_into(x, labels, scale, grads, true)
    }

    /// Like [`Mlp::accumulate_gradients`], but with `accumulate = false` overwrites `grads`
    /// instead of adding to it (which spares zeroing them first).
    pub fn gradients_into(
        &self,
        x: &ArrayView2<'_, f32>,
        labels: &[u32],
        scale: f32,
        grads: &mut Mlp,
        accumulate: bool,
    ) -> f64 {
        let beta = if accumulate { 1.0 } else { 0.0 };
        let depth = self.layers.len();
        // activations[l] = a_l (a_0 = x is borrowed, not stored).
        let mut activations: Vec<Array2<f32>> = Vec::with_capacity(depth);
        for (l, layer) in self.layers.iter().enumerate() {
            let input = if l == 0 { x.view() } else { activations[l - 1].view() };
            let mut z = zeros(layer.weight.nrows(), input.ncols());
            gemm(0.0, &mut z.view_mut(), 1.0, &layer.weight.view(), &input);
            add_bias(&mut z.view_mut(), &layer.bias, l + 1 < depth);
            activations.push(z);
        }
        let logits = activations.pop().expect("at least one layer");
        let mut delta = zeros(logits.nrows(), logits.ncols());
        let loss = cross_entropy_grad(&logits.view(), labels, scale, &mut delta.view_mut());
        for l in (0..depth).rev() {
            let input = if l == 0 { x.view() } else { activations[l - 1].view() };
            let g = &mut grads.layers[l];
            gemm(beta, &mut g.weight.view_mut(), 1.0, &delta.view(), &input.t());
            let bias_grad = delta.sum_axis(Axis(1));
            if accumulate {
                g.bias += &bias_grad;
            } else {
                g.bias.assign(&bias_grad);
            }
            if l > 0 {
                let w = &self.layers[l].weight;
                let mut back = zeros(w.ncols(), delta.ncols());
                gemm(0.0, &mut back.view_mut(), 1.0, &w.t(), &delta.view());
                relu_backward(&mut back, &activations[l - 1]);
                delta = back;
            }
        }
        loss
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, rng_for};

    /// Back-propagation against central finite differences in f64 arithmetic on the loss.
    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = rng_for(7, Stream::Init, 0);
        let model = Mlp::new(&[4, 5, 3, 3], &Init::Normal { std: 0.5 }, &mut rng).unwrap();
        let data = crate::synthetic::blobs(
            &crate::synthetic::BlobsConfig {
                samples: 6,
                features: 4,
                classes: 3,
                separation: 1.0,
            },
            3,
        );
        let x = data.features.view();
        let mut grads = model.zeros_like();
        model.accumulate_gradients(&x, &data.labels, 1.0, &mut grads);
        let loss_at = |m: &Mlp| cross_entropy_sum(&m.logits(&x).view(), &data.labels);
        let h = 2e-3f32;
        let mut checked = 0;
        for l in 0..model.depth() {
            for idx in [[0usize, 0usize], [1, 2], [2, 1]] {
                let mut plus = model.clone();
                plus.layers[l].weight[idx] += h;
                let mut minus = model.clone();
                minus.layers[l].weight[idx] -= h;
                let numeric = (loss_at(&plus) - loss_at(&minus)) / (2.0 * f64::from(h));
                let analytic = f64::from(grads.layers[l].weight[idx]);
                assert!(
                    (numeric - analytic).abs() < 5e-3 * (1.0 + numeric.abs()),
                    "W_{} {idx:?}: {numeric} vs {analytic}",
                    l + 1
                );
                checked += 1;
            }
            let mut plus = model.clone();
            plus.layers[l].bias[1] += h;
            let mut minus = model.clone();
            minus.layers[l].bias[1] -= h;
            let numeric = (loss_at(&plus) - loss_at(&minus)) / (2.0 * f64::from(h));
            let analytic = f64::from(grads.layers[l].bias[1]);
            assert!(
                (numeric - analytic).abs() < 5e-3 * (1.0 + numeric.abs()),
                "b_{}: {numeric} vs {analytic}",
                l + 1
            );
        }
        assert_eq!(checked, 9);
    }

    /// Column-major operands take the dispatched flat loops, row-major ones the generic path
    /// (the baseline code): both must give the same bits, ReLU zeros included.
    #[test]
    fn dispatched_bias_and_relu_passes_equal_the_generic_path_bitwise() {
        use rand_distr::{Distribution, StandardNormal};
        let mut rng = rng_for(3, Stream::Init, 0);
        let (rows, cols) = (37, 29);
        let mut draw = |rows, cols| -> Array2<f32> {
            Array2::from_shape_simple_fn((rows, cols), || StandardNormal.sample(&mut rng))
        };
        let (z, bias, delta) = (draw(rows, cols), draw(rows, 1).column(0).to_owned(), draw(rows, cols));
        let column_major = |m: &Array2<f32>| {
            let mut c = zeros(m.nrows(), m.ncols());
            c.assign(m);
            c
        };
        let bits = |m: &Array2<f32>| m.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for relu in [false, true] {
            let (mut generic, mut dispatched) = (z.clone(), column_major(&z));
            add_bias(&mut generic.view_mut(), &bias, relu);
            add_bias(&mut dispatched.view_mut(), &bias, relu);
            assert_eq!(bits(&generic), bits(&dispatched), "relu {relu}");
            assert_ne!(generic, z, "the bias was added");
        }
        let activation = column_major(&z.mapv(|v| v.max(0.0)));
        let (mut generic, mut dispatched) = (delta.clone(), column_major(&delta));
        relu_backward(&mut generic, &activation);
        relu_backward(&mut dispatched, &activation);
        assert_eq!(bits(&generic), bits(&dispatched));
        let zeroed = generic.iter().filter(|&&d| d == 0.0).count();
        assert!(
            zeroed > 0 && zeroed < generic.len(),
            "some but not all deltas are masked"
        );
    }

    #[test]
    fn chunked_evaluation_equals_one_pass() {
        let mut rng = rng_for(1, Stream::Init, 0);
        let model = Mlp::new(&[3, 4, 2], &Init::KaimingNormal, &mut rng).unwrap();
        let data = crate::synthetic::blobs(
            &crate::synthetic::BlobsConfig {
                samples: CHUNK + 17,
                features: 3,
                classes: 2,
                separation: 2.0,
            },
            5,
        );
        let eval = model.evaluate(&data);
        let logits = model.logits(&data.features.view());
        let loss = cross_entropy_sum(&logits.view(), &data.labels) / data.len() as f64;
        assert!((eval.loss - loss).abs() < 1e-4 * loss.abs().max(1.0));
        assert!(eval.accuracy > 0.0 && eval.accuracy <= 1.0);
    }

    #[test]
    fn serde_round_trip_keeps_column_major_layout() {
        let mut rng = rng_for(1, Stream::Init, 0);
        let model = Mlp::new(&[3, 4, 2], &Init::default(), &mut rng).unwrap();
        let bytes = postcard::to_stdvec(&model).unwrap();
        let back: Mlp = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, model);
        assert!(back.layers[0].weight.t().is_standard_layout());
    }
}
