//! Dense matrix products on ndarray storage, computed by faer's kernels on zero-copy views.
//!
//! Large matrices in this project are column-major (`Array2::zeros((m, n).f())`): faer's
//! kernels are fastest on column-major operands, and a sample's features stay contiguous.
//! Any strides work (transposed views included); only the speed differs.

use faer::{Accum, MatMut, MatRef, Par};
use ndarray::{Array2, ArrayView2, ArrayViewMut2, ShapeBuilder};

/// A new zero matrix of shape `(rows, cols)` in column-major order.
pub fn zeros(rows: usize, cols: usize) -> Array2<f32> {
    Array2::zeros((rows, cols).f())
}

/// The parallelism for products: every thread of the current rayon pool.
///
/// Running a cell inside `rayon::ThreadPool::install` therefore bounds its thread budget.
pub fn parallelism() -> Par {
    match rayon::current_num_threads() {
        0 | 1 => Par::Seq,
        n => Par::rayon(n),
    }
}

/// A faer view of an ndarray view with the same strides (no copy).
pub fn as_faer<'a>(a: &'a ArrayView2<'_, f32>) -> MatRef<'a, f32> {
    let (rows, cols) = a.dim();
    let strides = a.strides();
    // SAFETY: the view is valid for `rows x cols` elements at these strides for its lifetime.
    unsafe { MatRef::from_raw_parts(a.as_ptr(), rows, cols, strides[0], strides[1]) }
}

/// A mutable faer view of an ndarray view with the same strides (no copy).
pub fn as_faer_mut<'a>(a: &'a mut ArrayViewMut2<'_, f32>) -> MatMut<'a, f32> {
    let (rows, cols) = a.dim();
    let strides = a.strides().to_vec();
    // SAFETY: the exclusive view is valid for `rows x cols` elements at these strides.
    unsafe { MatMut::from_raw_parts_mut(a.as_mut_ptr(), rows, cols, strides[0], strides[1]) }
}

/// `c <- alpha * a * b + beta * c`, with `beta` either 0 (overwrite, `c` may hold garbage)
/// or 1 (accumulate).
///
/// # Panics
/// If the shapes do not agree: shapes are fixed by the code, never by user input.
pub fn gemm(beta: f32, c: &mut ArrayViewMut2<'_, f32>, alpha: f32, a: &ArrayView2<'_, f32>, b: &ArrayView2<'_, f32>) {
    gemm_with(parallelism(), beta, c, alpha, a, b);
}

/// [`gemm`] on the calling thread alone: for small products inside a pass that is already
/// parallel over blocks of columns (a product with a thin factor, say, fused with the
/// element-wise work on the same block while it is in cache).
pub fn gemm_sequential(
    beta: f32,
    c: &mut ArrayViewMut2<'_, f32>,
    alpha: f32,
    a: &ArrayView2<'_, f32>,
    b: &ArrayView2<'_, f32>,
) {
    gemm_with(Par::Seq, beta, c, alpha, a, b);
}

fn gemm_with(
    par: Par,
    beta: f32,
    c: &mut ArrayViewMut2<'_, f32>,
    alpha: f32,
    a: &ArrayView2<'_, f32>,
    b: &ArrayView2<'_, f32>,
) {
    assert_eq!(a.ncols(), b.nrows(), "inner dimensions of a product");
    assert_eq!((a.nrows(), b.ncols()), c.dim(), "output shape of a product");
    let accum = if beta == 0.0 {
        Accum::Replace
    } else {
        assert!(beta == 1.0, "gemm supports beta = 0 or 1");
        Accum::Add
    };
    if a.ncols() == 0 {
        if beta == 0.0 {
            c.fill(0.0);
        }
        return;
    }
    faer::linalg::matmul::matmul(as_faer_mut(c), accum, as_faer(a), as_faer(b), alpha, par);
}

/// `a * b` as a new column-major matrix.
pub fn matmul(a: &ArrayView2<'_, f32>, b: &ArrayView2<'_, f32>) -> Array2<f32> {
    let mut c = zeros(a.nrows(), b.ncols());
    gemm(0.0, &mut c.view_mut(), 1.0, a, b);
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn product_matches_ndarray_for_every_layout() {
        let a = array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let b = array![[1.0f32, 0.5], [-1.0, 2.0], [0.0, 3.0]];
        let expected = a.dot(&b);
        assert_eq!(matmul(&a.view(), &b.view()), expected);
        let af = {
            let mut m = zeros(2, 3);
            m.assign(&a);
            m
        };
        assert_eq!(matmul(&af.view(), &b.view()), expected);
        // Transposed views.
        let at = a.t().to_owned();
        assert_eq!(matmul(&at.t(), &b.view()), expected);
    }

    #[test]
    fn sequential_product_equals_the_parallel_one() {
        let a = array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let b = array![[1.0f32, 0.5], [-1.0, 2.0], [0.0, 3.0]];
        let mut c = zeros(2, 2);
        gemm_sequential(0.0, &mut c.view_mut(), 2.0, &a.view(), &b.view());
        assert_eq!(c, a.dot(&b) * 2.0);
    }

    #[test]
    fn accumulate_adds_to_output() {
        let a = array![[1.0f32, 2.0], [3.0, 4.0]];
        let mut c = Array2::from_elem((2, 2), 1.0f32);
        gemm(1.0, &mut c.view_mut(), 2.0, &a.view(), &Array2::eye(2).view());
        assert_eq!(c, array![[3.0, 5.0], [7.0, 9.0]]);
    }
}
