//! The fused FISTA pass for `min_z R(z; y) + weight/2 ||z - c||^2`, `R` the softmax
//! cross-entropy summed over samples: the output subproblem of dlADMM and of pdADMM, whose
//! reference codes solve it with the same proximal gradient step.
//!
//! One pass over a block evaluates the objective at `v_k` and, speculatively, the proximal
//! gradient point `x_k = (weight c + (v_k - eta grad R(v_k)) / eta) / (weight + 1 / eta)`
//! (the exact minimiser of the linearised `R` plus the quadratic, with the fixed step `eta`)
//! and the extrapolated `v_{k+1}`. With [`crate::StopRule::ObjectiveChange`] the driver
//! discards the stopping pass's speculative half, which is what the reference codes do:
//! evaluate, test, then step.

use crate::block_of;
use crate::fista::FistaBlock;

/// One block of the pass: returns the block's share of the objective at `v_k`
/// (cross-entropy plus `weight/2 ||v_k - c||^2`) and writes `x_k`, `v_{k+1}`.
///
/// `c` is the whole target (`rows x samples`, column-major); the block reads its own part.
pub fn softmax_quadratic_pass(block: FistaBlock<'_>, c: &[f32], rows: usize, weight: f64, step: f64) -> f64 {
    let inv_step = (1.0 / step) as f32;
    let inv_denominator = (1.0 / (weight + 1.0 / step)) as f32;
    let weight32 = weight as f32;
    let momentum = block.momentum;
    let c = block_of(c, rows, block.index);
    let mut exps = vec![0.0f32; rows];
    let (mut loss, mut quadratic) = (0.0f64, 0.0f64);
    for (((((vc, xc), cc), &y), xnc), vnc) in block
        .v
        .chunks_exact(rows)
        .zip(block.x.chunks_exact(rows))
        .zip(c.chunks_exact(rows))
        .zip(block.labels)
        .zip(block.x_next.chunks_exact_mut(rows))
        .zip(block.v_next.chunks_exact_mut(rows))
    {
        // log-sum-exp about the column's maximum: no overflow for large logits.
        let max = vc.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let mut sum = 0.0f32;
        for (e, &v) in exps.iter_mut().zip(vc) {
            *e = (v - max).exp();
            sum += *e;
        }
        let y = y as usize;
        loss += f64::from(max + sum.ln() - vc[y]);
        let inv_sum = 1.0 / sum;
        let mut q = 0.0f32;
        for (i, (((((&v, &x), &c), &e), xn), vn)) in vc
            .iter()
            .zip(xc)
            .zip(cc)
            .zip(&exps)
            .zip(xnc.iter_mut())
            .zip(vnc.iter_mut())
            .enumerate()
        {
            q += (v - c) * (v - c);
            let g = e * inv_sum - if i == y { 1.0 } else { 0.0 };
            let new = (weight32 * c + v * inv_step - g) * inv_denominator;
            *vn = new + momentum * (new - x);
            *xn = new;
        }
        quadratic += f64::from(q);
    }
    loss + 0.5 * weight * quadratic
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Fista, FistaBuffers, ReturnPoint, StopRule};

    /// One sample, two classes, label 0, `v = x = (0, 0)`, `c = (1, -1)`, weight 1, step 1:
    /// softmax `(1/2, 1/2)`, gradient `(-1/2, 1/2)`, objective `ln 2 + (1 + 1) / 2`, and the
    /// proximal point `(1 c + v - g) / 2 = ((1 + 1/2) / 2, (-1 - 1/2) / 2) = (0.75, -0.75)`;
    /// momentum 0 makes `v_next = x_next`.
    #[test]
    fn one_pass_by_hand() {
        let (v, x, c) = ([0.0f32, 0.0], [0.0f32, 0.0], [1.0f32, -1.0]);
        let (mut x_next, mut v_next) = ([9.0f32; 2], [9.0f32; 2]);
        let block = FistaBlock {
            index: 0,
            v: &v,
            x: &x,
            labels: &[0],
            x_next: &mut x_next,
            v_next: &mut v_next,
            momentum: 0.0,
        };
        let f = softmax_quadratic_pass(block, &c, 2, 1.0, 1.0);
        assert!((f - (2f64.ln() + 1.0)).abs() < 1e-6, "{f}");
        assert_eq!(x_next, [0.75, -0.75]);
        assert_eq!(v_next, x_next);
    }

    /// A long solve ends where the gradient of the objective vanishes.
    #[test]
    fn solve_reaches_a_stationary_point() {
        let rows = 3;
        let labels = [0u32, 2, 1, 1];
        let c: Vec<f32> = (0..12).map(|k| ((k * 7) % 5) as f32 * 0.4 - 0.8).collect();
        let mut z = vec![0.0f32; 12];
        let fista = Fista {
            stop: StopRule::ObjectiveChange(1e-9),
            returns: ReturnPoint::Extrapolated,
            max_iterations: 2000,
        };
        let weight = 0.5;
        let mut buffers = FistaBuffers::new(z.len());
        fista.solve(&mut z, &labels, &mut buffers, |b| {
            softmax_quadratic_pass(b, &c, rows, weight, 1.0)
        });
        for (j, &y) in labels.iter().enumerate() {
            let col = &z[j * rows..(j + 1) * rows];
            let sum: f64 = col.iter().map(|&v| f64::from(v).exp()).sum();
            for i in 0..rows {
                let p = f64::from(col[i]).exp() / sum;
                let g = p - if i == y as usize { 1.0 } else { 0.0 } + weight * f64::from(col[i] - c[j * rows + i]);
                assert!(g.abs() < 1e-3, "sample {j} class {i}: gradient {g}");
            }
        }
    }
}
