//! Cholesky factorisations of the small symmetric positive definite systems of the W and a
//! updates, computed by faer on ndarray storage.
//!
//! The matrices (`n × n`, `n` a layer width) are factorised in f64: their assembly from f32
//! products is cheap, and f64 keeps the ridge-regularised normal equations accurate. The
//! large right-hand sides of the activation update (`n × N`) are solved in f32 with the
//! factor rounded to f32: those systems are well conditioned (`γ I` bounds their smallest
//! eigenvalue) and f32 halves the traffic of the largest solve of an iteration.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::{cholesky_in_place, cholesky_in_place_scratch};
use faer::linalg::triangular_solve::{solve_lower_triangular_in_place, solve_upper_triangular_in_place};
use faer::reborrow::ReborrowMut;
use faer::{Mat, MatMut};
use ndarray::ArrayViewMut2;

use optim_core::linalg::as_faer_mut;
pub(crate) use optim_core::linalg::parallelism;

/// The factorisation failed: the matrix is not numerically positive definite (or holds a
/// non-finite value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotPositiveDefinite;

/// Lower Cholesky factor `L` with `L Lᵀ = A`, in f64.
#[derive(Debug, Clone)]
pub(crate) struct Cholesky {
    lower: Mat<f64>,
}

impl Cholesky {
    /// Factorises `a`, reading only its lower triangle.
    pub(crate) fn factor(mut a: Mat<f64>) -> Result<Self, NotPositiveDefinite> {
        let n = a.nrows();
        assert_eq!(n, a.ncols(), "a square matrix");
        let par = parallelism();
        let mut mem = MemBuffer::new(cholesky_in_place_scratch::<f64>(n, par, Default::default()));
        cholesky_in_place(
            a.as_mut(),
            Default::default(),
            par,
            MemStack::new(&mut mem),
            Default::default(),
        )
        .map_err(|_| NotPositiveDefinite)?;
        // The strict upper triangle still holds the input; the factor is lower triangular.
        for j in 1..n {
            for i in 0..j {
                a[(i, j)] = 0.0;
            }
        }
        if (0..n).all(|j| (j..n).all(|i| a[(i, j)].is_finite())) {
            Ok(Self { lower: a })
        } else {
            Err(NotPositiveDefinite)
        }
    }

    /// Order of the factorised matrix.
    pub(crate) fn dim(&self) -> usize {
        self.lower.nrows()
    }

    /// Overwrites `b` with `A⁻¹ b` by two triangular solves.
    pub(crate) fn solve_in_place(&self, mut b: MatMut<'_, f64>) {
        let par = parallelism();
        solve_lower_triangular_in_place(self.lower.as_ref(), b.rb_mut(), par);
        solve_upper_triangular_in_place(self.lower.transpose(), b, par);
    }

    /// The factor rounded to f32, for large f32 right-hand sides.
    pub(crate) fn to_f32(&self) -> Cholesky32 {
        let n = self.dim();
        Cholesky32 {
            lower: Mat::from_fn(n, n, |i, j| self.lower[(i, j)] as f32),
        }
    }
}

/// A Cholesky factor in f32 (see [`Cholesky::to_f32`]).
#[derive(Debug, Clone)]
pub(crate) struct Cholesky32 {
    lower: Mat<f32>,
}

impl Cholesky32 {
    /// Overwrites the columns of `b` (any strides) with `A⁻¹ b`.
    pub(crate) fn solve_in_place(&self, b: &mut ArrayViewMut2<'_, f32>) {
        assert_eq!(b.nrows(), self.lower.nrows(), "right-hand side rows");
        if b.ncols() == 0 {
            return;
        }
        let par = parallelism();
        let mut rhs = as_faer_mut(b);
        solve_lower_triangular_in_place(self.lower.as_ref(), rhs.rb_mut(), par);
        solve_upper_triangular_in_place(self.lower.transpose(), rhs, par);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, ShapeBuilder};

    fn spd(n: usize) -> Mat<f64> {
        Mat::from_fn(n, n, |i, j| {
            let base = 1.0 / (1.0 + (i as f64 - j as f64).abs());
            if i == j { base + n as f64 } else { base }
        })
    }

    #[test]
    fn solves_match_the_matrix() {
        let n = 7;
        let a = spd(n);
        let chol = Cholesky::factor(a.clone()).unwrap();
        let x_true = Mat::from_fn(n, 3, |i, j| (i as f64 + 1.0) * (j as f64 - 1.5));
        let mut b = &a * &x_true;
        chol.solve_in_place(b.as_mut());
        for j in 0..3 {
            for i in 0..n {
                assert!((b[(i, j)] - x_true[(i, j)]).abs() < 1e-10);
            }
        }
        // f32 on a column-major ndarray and on a transposed (row-major) view.
        let c32 = chol.to_f32();
        let mut rhs = Array2::<f32>::zeros((n, 3).f());
        rhs.indexed_iter_mut()
            .for_each(|((i, j), v)| *v = (0..n).map(|k| a[(i, k)] * x_true[(k, j)]).sum::<f64>() as f32);
        let mut row_major = rhs.as_standard_layout().to_owned();
        c32.solve_in_place(&mut rhs.view_mut());
        c32.solve_in_place(&mut row_major.view_mut());
        for ((i, j), &v) in rhs.indexed_iter() {
            assert!((f64::from(v) - x_true[(i, j)]).abs() < 1e-4);
            assert!((v - row_major[[i, j]]).abs() < 1e-4);
        }
    }

    #[test]
    fn indefinite_and_non_finite_matrices_are_rejected() {
        let mut a = spd(4);
        a[(2, 2)] = -1.0;
        assert!(Cholesky::factor(a).is_err());
        let mut a = spd(4);
        a[(3, 1)] = f64::NAN;
        assert!(Cholesky::factor(a).is_err());
    }
}
