//! The residual of a layer's linear constraint, `W a + b - z (- u / rho)`, from the carried
//! product `m = W a`, in one parallel pass.

use optim_core::simd;
use rayon::prelude::*;

use crate::blocks::{blocks, blocks_mut};

/// `out <- m + b 1^T - z - (shift / rho)`: the residual `W a + b - z (- u / rho)` of a
/// layer, given the carried product `m = W a`. `dual` is `(u, 1 / rho)` for the last layer.
pub fn residual_into(out: &mut [f32], m: &[f32], b: &[f32], z: &[f32], dual: Option<(&[f32], f32)>) {
    let rows = b.len();
    match dual {
        None => (blocks_mut(out, rows), blocks(m, rows), blocks(z, rows))
            .into_par_iter()
            .for_each(|(o, m, z)| {
                simd::dispatch(
                    #[inline(always)]
                    || {
                        for ((oc, mc), zc) in o
                            .chunks_exact_mut(rows)
                            .zip(m.chunks_exact(rows))
                            .zip(z.chunks_exact(rows))
                        {
                            for (((o, &m), &z), &b) in oc.iter_mut().zip(mc).zip(zc).zip(b) {
                                *o = m + b - z;
                            }
                        }
                    },
                )
            }),
        Some((u, inv_rho)) => (blocks_mut(out, rows), blocks(m, rows), blocks(z, rows), blocks(u, rows))
            .into_par_iter()
            .for_each(|(o, m, z, u)| {
                simd::dispatch(
                    #[inline(always)]
                    || {
                        for (((oc, mc), zc), uc) in o
                            .chunks_exact_mut(rows)
                            .zip(m.chunks_exact(rows))
                            .zip(z.chunks_exact(rows))
                            .zip(u.chunks_exact(rows))
                        {
                            for ((((o, &m), &z), &u), &b) in oc.iter_mut().zip(mc).zip(zc).zip(uc).zip(b) {
                                *o = m + b - z - u * inv_rho;
                            }
                        }
                    },
                )
            }),
    }
}

/// `m <- m + b 1^T - z` in place: the residual `W a + b - z` overwriting the carried
/// product, for the one layer (the first) whose product is recomputed right after.
pub fn residual_in_place(m: &mut [f32], b: &[f32], z: &[f32]) {
    let rows = b.len();
    (blocks_mut(m, rows), blocks(z, rows))
        .into_par_iter()
        .for_each(|(m, z)| {
            simd::dispatch(
                #[inline(always)]
                || {
                    for (mc, zc) in m.chunks_exact_mut(rows).zip(z.chunks_exact(rows)) {
                        for ((m, &z), &b) in mc.iter_mut().zip(zc).zip(b) {
                            *m = *m + b - z;
                        }
                    }
                },
            )
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residual_includes_bias_and_dual() {
        let m = [1.0f32, 2.0, 3.0, 4.0];
        let z = [0.5f32, 0.5, 0.5, 0.5];
        let u = [2.0f32, 0.0, -2.0, 4.0];
        let b = [10.0f32, 20.0];
        let mut out = [0.0f32; 4];
        residual_into(&mut out, &m, &b, &z, Some((&u, 0.5)));
        assert_eq!(out, [9.5, 21.5, 13.5, 21.5]);
        residual_into(&mut out, &m, &b, &z, None);
        assert_eq!(out, [10.5, 21.5, 12.5, 23.5]);
        let mut in_place = m;
        residual_in_place(&mut in_place, &b, &z);
        assert_eq!(in_place, out);
    }
}
