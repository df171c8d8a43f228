//! Element-wise passes over matrices stored one column per sample, in parallel over blocks
//! of columns.
//!
//! The large matrices of the ADMM-type optimizers are column-major and contiguous, so a
//! block of [`BLOCK_COLUMNS`] columns is one contiguous slice, and several matrices with
//! the same number of columns split into aligned blocks however many rows each has.
//! Reductions are computed per block and added in block order ([`crate::ordered_sum`]), so
//! results depend neither on the number of threads nor on work stealing: the same seed
//! gives the same run, bit for bit.

use ndarray::Array2;
use rayon::prelude::*;

/// Columns per block of a parallel pass: large enough to amortise scheduling, small enough
/// to balance 55,000 columns over two to a few dozen threads and to keep per-block row
/// accumulators small.
pub const BLOCK_COLUMNS: usize = 256;

/// The storage of a column-major matrix as one slice.
///
/// # Panics
/// If `m` is not contiguous column-major: the optimizers allocate all their matrices so.
pub fn storage(m: &Array2<f32>) -> &[f32] {
    assert!(m.t().is_standard_layout(), "matrix must be column-major");
    m.as_slice_memory_order().expect("contiguous matrix")
}

/// Mutable storage of a column-major matrix, see [`storage`].
pub fn storage_mut(m: &mut Array2<f32>) -> &mut [f32] {
    assert!(m.t().is_standard_layout(), "matrix must be column-major");
    m.as_slice_memory_order_mut().expect("contiguous matrix")
}

/// Parallel blocks of [`BLOCK_COLUMNS`] columns of a matrix with `rows` rows.
pub fn blocks(x: &[f32], rows: usize) -> rayon::slice::Chunks<'_, f32> {
    x.par_chunks(rows * BLOCK_COLUMNS)
}

/// Mutable parallel blocks, aligned with [`blocks`].
pub fn blocks_mut(x: &mut [f32], rows: usize) -> rayon::slice::ChunksMut<'_, f32> {
    x.par_chunks_mut(rows * BLOCK_COLUMNS)
}

/// Labels of the samples of each block, aligned with [`blocks`].
pub fn label_blocks(labels: &[u32]) -> rayon::slice::Chunks<'_, u32> {
    labels.par_chunks(BLOCK_COLUMNS)
}

/// The part of a matrix with `rows` rows that block `index` of [`blocks`] covers, for
/// inputs a pass reads beside the ones it iterates over.
pub fn block_of(x: &[f32], rows: usize, index: usize) -> &[f32] {
    let start = index * rows * BLOCK_COLUMNS;
    let end = (start + rows * BLOCK_COLUMNS).min(x.len());
    &x[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::ShapeBuilder;

    #[test]
    fn blocks_of_different_heights_stay_aligned() {
        let columns = 2 * BLOCK_COLUMNS + 3;
        let narrow: Vec<f32> = (0..columns).map(|j| j as f32).collect();
        let wide: Vec<f32> = (0..3 * columns).map(|k| (k / 3) as f32).collect();
        let pairs: Vec<(f32, f32, usize)> = blocks(&narrow, 1)
            .zip(blocks(&wide, 3))
            .map(|(n, w)| (n[0], w[0], n.len()))
            .collect();
        let expected = [
            (0.0, 0.0, BLOCK_COLUMNS),
            (256.0, 256.0, BLOCK_COLUMNS),
            (512.0, 512.0, 3),
        ];
        assert_eq!(pairs, expected);
        assert_eq!(block_of(&wide, 3, 2), &wide[3 * 512..]);
        assert_eq!(block_of(&wide, 3, 1)[0], 256.0);
        let labels: Vec<u32> = (0..columns as u32).collect();
        let firsts: Vec<u32> = label_blocks(&labels).map(|l| l[0]).collect();
        assert_eq!(firsts, [0, 256, 512]);
    }

    #[test]
    #[should_panic(expected = "column-major")]
    fn row_major_storage_is_refused() {
        let m = Array2::<f32>::zeros((2, 3));
        let _ = storage(&m);
    }

    #[test]
    fn column_major_storage_is_column_by_column() {
        let m = Array2::from_shape_vec((2, 3).f(), vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        assert_eq!(storage(&m), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(m[[1, 0]], 2.0);
    }
}
