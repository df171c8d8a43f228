//! dlADMM's use of the shared backtracking search ([`admm_kernels::backtracking`],
//! docs/dladmm.md#backtracking): the rule a block's step follows.

pub(crate) use admm_kernels::backtracking::{Backtracking, Outcome};

/// How one block's step is taken: the penalty of the constraint its gradient comes from,
/// the search, and the block's name for errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepRule<'a> {
    /// The penalty (`nu`, or `rho` for the last layer's constraint).
    pub penalty: f64,
    /// The backtracking search.
    pub search: &'a Backtracking,
    /// The block's name, e.g. `W_2`.
    pub name: &'a str,
}
