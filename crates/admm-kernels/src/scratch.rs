//! A reusable column-major buffer for the temporaries of a pass.

use ndarray::{ArrayView2, ArrayViewMut2, ShapeBuilder};

/// A reusable buffer for matrices of up to `max_rows` rows and a fixed number of columns,
/// viewed as a contiguous column-major `(rows, cols)` matrix for any `rows <= max_rows`.
///
/// An optimizer holds a few of these for all its temporaries (residuals, gradients,
/// products), so no subproblem allocates a features-by-samples matrix.
#[derive(Debug)]
pub struct Scratch {
    data: Vec<f32>,
    cols: usize,
}

impl Scratch {
    /// A zeroed buffer (the pages are only touched when first used).
    pub fn new(max_rows: usize, cols: usize) -> Self {
        Self {
            data: vec![0.0; max_rows * cols],
            cols,
        }
    }

    /// The first `rows * cols` values as storage.
    pub fn slice(&self, rows: usize) -> &[f32] {
        &self.data[..rows * self.cols]
    }

    /// The first `rows * cols` values as mutable storage.
    pub fn slice_mut(&mut self, rows: usize) -> &mut [f32] {
        &mut self.data[..rows * self.cols]
    }

    /// A `(rows, cols)` column-major view.
    pub fn view(&self, rows: usize) -> ArrayView2<'_, f32> {
        ArrayView2::from_shape((rows, self.cols).f(), self.slice(rows)).expect("scratch holds rows * cols values")
    }

    /// A mutable `(rows, cols)` column-major view.
    pub fn view_mut(&mut self, rows: usize) -> ArrayViewMut2<'_, f32> {
        let cols = self.cols;
        self.view_mut_with(rows, cols)
    }

    /// A mutable `(rows, cols)` column-major view with fewer columns than the buffer's.
    pub fn view_mut_with(&mut self, rows: usize, cols: usize) -> ArrayViewMut2<'_, f32> {
        assert!(cols <= self.cols, "scratch has {} columns", self.cols);
        ArrayViewMut2::from_shape((rows, cols).f(), &mut self.data[..rows * cols])
            .expect("scratch holds rows * cols values")
    }

    /// A `(rows, cols)` column-major view with fewer columns than the buffer's.
    pub fn view_with(&self, rows: usize, cols: usize) -> ArrayView2<'_, f32> {
        assert!(cols <= self.cols, "scratch has {} columns", self.cols);
        ArrayView2::from_shape((rows, cols).f(), &self.data[..rows * cols]).expect("scratch holds rows * cols values")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_of_fewer_rows_are_contiguous_prefixes() {
        let mut s = Scratch::new(3, 4);
        s.view_mut(2)[[1, 3]] = 7.0;
        s.view_mut(2)[[0, 1]] = 2.0;
        assert_eq!(s.slice(2), &[0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 7.0]);
        assert_eq!(s.view(2)[[1, 3]], 7.0);
        assert_eq!(s.view_with(2, 2).dim(), (2, 2));
        assert_eq!(s.slice_mut(3).len(), 12);
    }
}
