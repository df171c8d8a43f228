//! Names of the diagnostics that dlADMM and ADMM both report, so that the same quantity has
//! the same column in every metrics file.

/// `R(z_L; y)`: the loss of the auxiliary output `z_L`, summed over samples.
pub const OUTPUT_LOSS: &str = "output_loss";
/// `||z_L - W_L a_{L-1} - b_L||^2`: the output layer's primal residual.
pub const RESIDUAL: &str = "residual";
/// `sum_{l<L} ||z_l - W_l a_{l-1} - b_l||^2`.
pub const HIDDEN_RESIDUAL: &str = "hidden_residual";
/// `sum_{l<L} ||a_l - relu(z_l)||^2`.
pub const ACTIVATION_RESIDUAL: &str = "activation_residual";
/// FISTA passes of the iteration's `z_L` solves.
pub const FISTA_ITERATIONS: &str = "fista_iterations";
/// `z_L` solves of the iteration that ended on FISTA's iteration cap.
pub const FISTA_CAP_HITS: &str = "fista_cap_hits";
