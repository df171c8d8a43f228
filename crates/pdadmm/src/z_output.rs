//! The output `z_L` update (docs/pdadmm.md#output-z-update): `min_z R(z; y) + nu/2 ||z -
//! W_L p_L - b_L||^2` by FISTA from the previous `z_L`, as the code solves it (fixed step,
//! stop on an absolute change of the objective, the extrapolated point returned); the pass
//! is the one dlADMM's output update runs ([`admm_kernels::softmax_quadratic_pass`]).

use admm_kernels::{
    Fista, FistaBuffers, FistaOutcome, ReturnPoint, StopRule, add_bias, residual_into, softmax_quadratic_pass,
    squared_norm, storage, storage_mut,
};
use ndarray::{Array1, Array2};
use optim_core::loss::cross_entropy_sum;

/// The FISTA settings of the code.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct OutputSolver {
    pub step: f64,
    pub tol: f64,
    pub max_iterations: u32,
}

/// What the update measured at the new `z_L`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct OutputReport {
    pub fista: FistaOutcome,
    /// `R(z_L; y)`, summed over the samples.
    pub loss: f64,
    /// `||z_L - W_L p_L - b_L||^2`.
    pub residual: f64,
}

/// Solves in place; `scratch` (the output's shape) is overwritten.
pub(crate) fn z_output_step(
    z: &mut Array2<f32>,
    (product, b, labels): (&Array2<f32>, &Array1<f32>, &[u32]),
    scratch: &mut Array2<f32>,
    buffers: &mut FistaBuffers,
    nu: f64,
    solver: &OutputSolver,
) -> OutputReport {
    let rows = b.len();
    let bias = b.as_slice().expect("biases are contiguous");
    add_bias(storage_mut(scratch), storage(product), bias, false);
    let fista = Fista {
        stop: StopRule::ObjectiveChange(solver.tol),
        returns: ReturnPoint::Extrapolated,
        max_iterations: solver.max_iterations as usize,
    };
    let target = storage(scratch);
    let outcome = fista.solve(storage_mut(z), labels, buffers, |block| {
        softmax_quadratic_pass(block, target, rows, nu, solver.step)
    });
    let loss = cross_entropy_sum(&z.view(), labels);
    residual_into(storage_mut(scratch), storage(product), bias, storage(z), None);
    OutputReport {
        fista: outcome,
        loss,
        residual: squared_norm(storage(scratch), rows),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optim_core::linalg::zeros;

    /// With a cap of one FISTA pass the result is the first extrapolated point, which (the
    /// momentum being 0 on the first pass) is one proximal gradient step from the warm
    /// start: two classes, label 0, `z = (0, 0)`, `W p + b = (1, -1)`, `nu = 1`, step 1:
    /// `((1 + 0.5) / 2, (-1 - 0.5) / 2) = (0.75, -0.75)`.
    #[test]
    fn one_pass_is_one_proximal_gradient_step() {
        let mut z = zeros(2, 1);
        let mut product = zeros(2, 1);
        product[[0, 0]] = 0.5;
        product[[1, 0]] = -1.5;
        let b = Array1::from(vec![0.5f32, 0.5]);
        let mut scratch = zeros(2, 1);
        let mut buffers = FistaBuffers::new(2);
        let solver = OutputSolver {
            step: 1.0,
            tol: 0.0,
            max_iterations: 1,
        };
        let report = z_output_step(&mut z, (&product, &b, &[0]), &mut scratch, &mut buffers, 1.0, &solver);
        assert_eq!(z.as_slice_memory_order().unwrap(), [0.75, -0.75]);
        assert!(report.fista.cap_hit);
        // R at (0.75, -0.75): ln(1 + e^-1.5); residual (0.25^2 + 0.25^2).
        assert!((report.loss - (1.0 + (-1.5f64).exp()).ln()).abs() < 1e-6);
        assert!((report.residual - 0.125).abs() < 1e-7);
    }
}
