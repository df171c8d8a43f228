//! Serde for column-major matrices that come back column-major.
//!
//! ndarray's own serde restores arrays in row-major order, which would silently move every
//! restored matrix off the fast product path; use with `#[serde(with = "fortran_serde")]`.

use ndarray::{Array2, ShapeBuilder};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Serialize)]
struct MatrixRef<'a> {
    rows: usize,
    cols: usize,
    data: &'a [f32],
}

#[derive(Deserialize)]
struct MatrixOwned {
    rows: usize,
    cols: usize,
    data: Vec<f32>,
}

/// Serializes a matrix in column-major element order.
pub fn serialize<S: Serializer>(m: &Array2<f32>, s: S) -> Result<S::Ok, S::Error> {
    let (rows, cols) = m.dim();
    match m.as_slice_memory_order() {
        Some(data) if m.t().is_standard_layout() => MatrixRef { rows, cols, data }.serialize(s),
        _ => {
            let data: Vec<f32> = m.t().iter().copied().collect();
            MatrixRef {
                rows,
                cols,
                data: &data,
            }
            .serialize(s)
        }
    }
}

/// Deserializes a matrix written by [`serialize`] into column-major storage.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Array2<f32>, D::Error> {
    let m = MatrixOwned::deserialize(d)?;
    Array2::from_shape_vec((m.rows, m.cols).f(), m.data).map_err(serde::de::Error::custom)
}

/// The same for a vector of matrices.
pub mod vec {
    use super::*;

    struct Wrap<'a>(&'a Array2<f32>);

    impl Serialize for Wrap<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            super::serialize(self.0, s)
        }
    }
    #[derive(Deserialize)]
    struct WrapOwned(#[serde(with = "super")] Array2<f32>);

    /// Serializes each matrix in column-major order.
    pub fn serialize<S: Serializer>(v: &[Array2<f32>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(Wrap))
    }

    /// Deserializes matrices into column-major storage.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Array2<f32>>, D::Error> {
        Ok(Vec::<WrapOwned>::deserialize(d)?.into_iter().map(|w| w.0).collect())
    }
}
