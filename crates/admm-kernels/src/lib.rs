//! The kernels that the ADMM-type optimizers (the `dladmm`, `admm` and `pdadmm` crates) share: one
//! implementation of each element-wise pass, reduction and inner solver, so that both
//! methods are measured with the same code where their maths is the same.
//!
//! - [`blocks`](mod@blocks), [`ordered_sum`](mod@ordered_sum): passes over column-major
//!   matrices in parallel blocks of [`BLOCK_COLUMNS`] samples, reduced in block order, so a
//!   run does not depend on the thread count;
//! - [`relu_prox`](mod@relu_prox): the hidden pre-activation update (weighted ReLU
//!   proximal map) and its pass;
//! - [`fista`]: FISTA for the output subproblem with an explicit stop rule and return point;
//!   [`softmax_fista`]: its fused pass for the softmax cross-entropy plus a quadratic;
//! - [`forward`], [`residual`](mod@residual), [`scaled_step`]: the bias-add forward
//!   pass, constraint residuals and gradient steps on large matrices;
//! - [`backtracking`]: the closed-form backtracking search of the gradient steps;
//! - [`Scratch`]: reusable buffers; [`problem`], [`validate`]: shape and hyper-parameter
//!   checks; [`diagnostics`]: the names of the diagnostics both optimizers report;
//!   [`fingerprint`]: a bit-exact record of a short run, to check that they stay the same.
//!
//! Where the two methods' historical arithmetic differs (FISTA's stop rule, the order of a
//! sum), the kernel takes it as a parameter, so each keeps its results bit for bit.
//!
//! ```
//! use admm_kernels::{SumOrder, relu_prox, relu_prox_pass};
//!
//! // One hidden layer of two units over two samples: z = prox(W a + b, a_l).
//! let product = [1.0f32, -2.0, 0.5, 0.5];
//! let a = [0.0f32, 1.0, 2.0, 0.0];
//! let mut z = [0.0f32; 4];
//! let sums = relu_prox_pass(&mut z, &product, &[0.0, 0.0], &a, (1.0, 10.0), SumOrder::Running);
//! assert_eq!(z[2], relu_prox(0.5, 2.0, 1.0, 10.0));
//! assert!(sums.activation_residual > 0.0);
//! ```

#![warn(missing_docs)]

pub mod backtracking;
pub mod blocks;
pub mod diagnostics;
pub mod fingerprint;
pub mod fista;
pub mod forward;
pub mod ordered_sum;
pub mod problem;
pub mod relu_prox;
pub mod residual;
pub mod scaled_step;
pub mod scratch;
pub mod softmax_fista;
pub mod validate;

pub use backtracking::{Backtracking, Outcome};
pub use blocks::{BLOCK_COLUMNS, block_of, blocks, blocks_mut, label_blocks, storage, storage_mut};
pub use fista::{Fista, FistaBlock, FistaBuffers, FistaOutcome, ReturnPoint, StopRule};
pub use forward::{add_bias, add_bias_in_place, relu_into};
pub use ordered_sum::{
    frobenius_product, non_finite_indicator, ordered_row_sums, ordered_sum, ordered_sums, small_squared_norm,
    squared_norm, sum_of_squares,
};
pub use problem::{block_shape_mismatch, check_problem, subproblem_layer};
pub use relu_prox::{ReluProxSums, SumOrder, relu_prox, relu_prox_pass};
pub use residual::{residual_in_place, residual_into};
pub use scaled_step::{subtract_scaled, subtract_scaled_pair};
pub use scratch::Scratch;
pub use softmax_fista::softmax_quadratic_pass;
