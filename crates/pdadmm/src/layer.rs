//! One layer's block of an iteration (docs/pdadmm.md#update-order): `p_l`, `W_l`, `b_l`,
//! then `z_l`, all from the previous iterate of the other layers, so every layer can run at
//! the same time.

use admm_kernels::{FistaBuffers, storage};
use ndarray::{Array1, Array2, ArrayView2};
use optim_core::linalg::{gemm, zeros};

use crate::p_step::{PBuffers, PInputs, p_step};
use crate::w_step::{b_step, w_step};
use crate::z_output::{OutputSolver, z_output_step};
use crate::z_step::z_pass;
use admm_kernels::Backtracking;

/// The settings every layer's block runs with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub rho: f64,
    pub nu: f64,
    pub p_search: Backtracking,
    pub w_search: Backtracking,
    pub output: OutputSolver,
}

/// A layer's own buffers, allocated once per run: `product` and `scratch` have the layer's
/// width, `gradient` the input's (absent for the first layer, whose input is the data),
/// `fista` only for the output layer.
#[derive(Debug)]
pub(crate) struct LayerBuffers {
    pub product: Array2<f32>,
    pub scratch: Array2<f32>,
    pub gradient: Option<Array2<f32>>,
    pub fista: Option<FistaBuffers>,
}

impl LayerBuffers {
    /// Buffers for layer `k` of a network of `widths` (input first) over `samples` samples.
    pub(crate) fn new(widths: &[usize], k: usize, samples: usize) -> Self {
        let rows = widths[k + 1];
        let last = k + 2 == widths.len();
        Self {
            product: zeros(rows, samples),
            scratch: zeros(rows, samples),
            gradient: (k > 0).then(|| zeros(widths[k], samples)),
            fista: last.then(|| FistaBuffers::new(rows * samples)),
        }
    }
}

/// Everything one layer's block reads and writes.
pub(crate) struct LayerBlock<'a> {
    pub w: &'a mut Array2<f32>,
    pub b: &'a mut Array1<f32>,
    /// The layer's input: the data (first layer) or `p_l`, which the block updates.
    pub input: Input<'a>,
    pub z: &'a mut Array2<f32>,
    /// The hidden layer's own `q_l` (read by its `z` step); `None` for the output layer.
    pub q_own: Option<&'a Array2<f32>>,
    pub labels: &'a [u32],
    pub buffers: &'a mut LayerBuffers,
}

/// A layer's input.
pub(crate) enum Input<'a> {
    /// The training data, fixed.
    Data(ArrayView2<'a, f32>),
    /// `p_l` with the previous layer's `q_{l-1}` and `u_{l-1}`.
    Coupled {
        p: &'a mut Array2<f32>,
        q: &'a Array2<f32>,
        u: &'a Array2<f32>,
    },
}

/// What a layer's block reports.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct LayerReport {
    pub p_trials: u32,
    pub w_trials: u32,
    pub cap_hits: u32,
    /// `||z_l - W_l p_l - b_l||^2` at the new values.
    pub residual: f64,
    /// `R(z_L; y)` (output layer only).
    pub output_loss: f64,
    pub fista_iterations: usize,
    pub fista_cap_hits: usize,
    /// Some input of the `z` step was not finite.
    pub non_finite: bool,
}

impl LayerBlock<'_> {
    /// Runs the block: `p` (if coupled), `W`, `b`, `z`.
    pub(crate) fn run(self, settings: &Settings) -> LayerReport {
        let LayerBlock {
            w,
            b,
            input,
            z,
            q_own,
            labels,
            buffers,
        } = self;
        let mut report = LayerReport::default();
        let LayerBuffers {
            product,
            scratch,
            gradient,
            fista,
        } = buffers;
        let input_view = match input {
            Input::Data(x) => {
                gemm(0.0, &mut product.view_mut(), 1.0, &w.view(), &x);
                x
            }
            Input::Coupled { p, q, u } => {
                gemm(0.0, &mut product.view_mut(), 1.0, &w.view(), &p.view());
                let inputs = PInputs {
                    w,
                    b,
                    z: storage(z),
                    q: storage(q),
                    u: storage(u),
                };
                let p_buffers = PBuffers {
                    product,
                    scratch,
                    gradient: gradient.as_mut().expect("a coupled layer has a gradient buffer"),
                };
                let outcome = p_step(p, &inputs, p_buffers, (settings.rho, settings.nu), &settings.p_search);
                report.p_trials = outcome.trials;
                report.cap_hits += u32::from(outcome.step.is_none());
                p.view()
            }
        };
        let outcome = w_step(
            w,
            (b, storage(z), &input_view),
            (product, scratch),
            settings.nu,
            &settings.w_search,
        );
        report.w_trials = outcome.trials;
        report.cap_hits += u32::from(outcome.step.is_none());
        b_step(b, storage(product), storage(z));
        match q_own {
            Some(q) => {
                let (residual, non_finite) = z_pass(z, product, b, storage(q));
                report.residual = residual;
                report.non_finite = non_finite;
            }
            None => {
                let fista = fista.as_mut().expect("the output layer has FISTA buffers");
                let out = z_output_step(z, (product, b, labels), scratch, fista, settings.nu, &settings.output);
                report.residual = out.residual;
                report.output_loss = out.loss;
                report.fista_iterations = out.fista.iterations;
                report.fista_cap_hits = usize::from(out.fista.cap_hit);
                report.non_finite = out.fista.non_finite;
            }
        }
        report
    }
}
