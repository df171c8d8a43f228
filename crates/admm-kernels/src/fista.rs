//! FISTA (Beck and Teboulle, 2009) for the output subproblem `min_z R(z; y) + q(z)`, `R` the
//! softmax cross-entropy and `q` a separable quadratic, as a driver around a fused pass.
//!
//! From `v_1 = x_0 = z` (warm start) and `t_1 = 1`, pass `k` computes the proximal gradient
//! point `x_k = prox(v_k - eta grad R(v_k))` and the extrapolated point
//! `v_{k+1} = x_k + (t_k - 1) / t_{k+1} (x_k - x_{k-1})` with
//! `t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2`. The arithmetic of the pass (the gradient, the
//! proximal map, what it measures) is the caller's; the driver owns the momentum, the
//! buffers, the stop rule and which point is returned, all explicit:
//!
//! - [`StopRule::StepRms`]: the pass measures `||x_k - v_k||^2`; stop after pass `k` when
//!   its root mean square over the entries is at most `tol` (or not finite). The stopping
//!   pass counts: its points are kept. (ADMM.)
//! - [`StopRule::ObjectiveChange`]: the pass measures the objective at `v_k`; stop when it
//!   moved by less than `tol` (absolute) since the previous pass. The stopping pass only
//!   evaluated `v_k`: its new points are discarded. (dlADMM, as its reference code.)
//!
//! The result is [`ReturnPoint::Proximal`] `x` (ADMM) or [`ReturnPoint::Extrapolated`] `v`
//! (dlADMM's reference code) of the last kept pass; on the iteration cap, the points of the
//! last pass.

use rayon::prelude::*;

use crate::blocks::{blocks, blocks_mut, label_blocks};
use crate::ordered_sum::ordered_sum;

/// When the solve stops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StopRule {
    /// Root mean square of the proximal step `x_k - v_k` at most this value.
    StepRms(f64),
    /// Absolute change of the objective at `v_k` since the previous pass below this value.
    ObjectiveChange(f64),
}

/// Which point of the last kept pass the solve returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnPoint {
    /// The proximal gradient point `x_k`.
    Proximal,
    /// The extrapolated point `v_{k+1}`.
    Extrapolated,
}

/// A FISTA solve's rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fista {
    /// When to stop before the cap.
    pub stop: StopRule,
    /// Which point to return.
    pub returns: ReturnPoint,
    /// Most passes.
    pub max_iterations: usize,
}

/// The solver's four iterates, each as long as `z`, allocated once per run.
#[derive(Debug)]
pub struct FistaBuffers {
    v: Vec<f32>,
    v_next: Vec<f32>,
    x: Vec<f32>,
    x_next: Vec<f32>,
}

impl FistaBuffers {
    /// Buffers for `len = classes * samples` values.
    pub fn new(len: usize) -> Self {
        Self {
            v: vec![0.0; len],
            v_next: vec![0.0; len],
            x: vec![0.0; len],
            x_next: vec![0.0; len],
        }
    }
}

/// One block of [`crate::BLOCK_COLUMNS`] samples of a pass: read `v_k`, `x_{k-1}`, write
/// `x_k`, `v_{k+1}` (all column-major, one column per sample).
#[derive(Debug)]
pub struct FistaBlock<'a> {
    /// Index of the block: inputs of the caller's own are sliced with [`crate::block_of`].
    pub index: usize,
    /// `v_k`.
    pub v: &'a [f32],
    /// `x_{k-1}`.
    pub x: &'a [f32],
    /// The labels of the block's samples.
    pub labels: &'a [u32],
    /// Receives `x_k`.
    pub x_next: &'a mut [f32],
    /// Receives `v_{k+1}`.
    pub v_next: &'a mut [f32],
    /// `(t_k - 1) / t_{k+1}`.
    pub momentum: f32,
}

/// How a solve ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FistaOutcome {
    /// Passes run, at most `max_iterations`.
    pub iterations: usize,
    /// Whether the solve ended on the cap rather than on the stop rule.
    pub cap_hit: bool,
    /// What the last pass measured (summed over blocks in block order).
    pub measure: f64,
    /// The last measure was not finite (the solve stopped there).
    pub non_finite: bool,
}

impl Fista {
    /// Solves in place: `z` (`rows x labels.len()`, column-major) is the warm start on entry
    /// and the returned point on exit. `pass` computes one block and returns its share of
    /// the measure the stop rule reads.
    pub fn solve<F>(&self, z: &mut [f32], labels: &[u32], buffers: &mut FistaBuffers, pass: F) -> FistaOutcome
    where
        F: Fn(FistaBlock<'_>) -> f64 + Sync,
    {
        let rows = z.len() / labels.len().max(1);
        let entries = z.len().max(1) as f64;
        let FistaBuffers { v, v_next, x, x_next } = buffers;
        v.copy_from_slice(z);
        x.copy_from_slice(z);
        let mut t = 1.0f64;
        let mut previous = f64::INFINITY;
        let mut measure = f64::NAN;
        for k in 1..=self.max_iterations {
            let t_next = (1.0 + (1.0 + 4.0 * t * t).sqrt()) / 2.0;
            let momentum = ((t - 1.0) / t_next) as f32;
            let parts: Vec<f64> = (
                blocks(v, rows),
                blocks(x, rows),
                label_blocks(labels),
                blocks_mut(x_next, rows),
                blocks_mut(v_next, rows),
            )
                .into_par_iter()
                .enumerate()
                .map(|(index, (v, x, labels, x_next, v_next))| {
                    pass(FistaBlock {
                        index,
                        v,
                        x,
                        labels,
                        x_next,
                        v_next,
                        momentum,
                    })
                })
                .collect();
            measure = ordered_sum(&parts);
            let non_finite = !measure.is_finite();
            let (stop, keep) = match self.stop {
                StopRule::StepRms(tol) => {
                    let rms = (measure / entries).sqrt();
                    (!rms.is_finite() || rms <= tol, true)
                }
                StopRule::ObjectiveChange(tol) => (non_finite || (measure - previous).abs() < tol, false),
            };
            previous = measure;
            if keep || !stop {
                std::mem::swap(v, v_next);
                std::mem::swap(x, x_next);
            }
            if stop {
                self.write_result(z, v, x);
                return FistaOutcome {
                    iterations: k,
                    cap_hit: false,
                    measure,
                    non_finite,
                };
            }
            t = t_next;
        }
        self.write_result(z, v, x);
        FistaOutcome {
            iterations: self.max_iterations,
            cap_hit: true,
            measure,
            non_finite: false,
        }
    }

    fn write_result(&self, z: &mut [f32], v: &[f32], x: &[f32]) {
        z.copy_from_slice(match self.returns {
            ReturnPoint::Proximal => x,
            ReturnPoint::Extrapolated => v,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `min_z (z - 3)^2 / 2` per entry without the cross-entropy (the pass ignores labels):
    /// with step 1/2 the proximal gradient point is `x = v - (v - 3) / 2`. From `z = 1`:
    /// pass 1: `v_1 = 1`, `x_1 = 2`, momentum 0, `v_2 = 2`, step `|x_1 - v_1| = 1`;
    /// pass 2: `x_2 = 2.5`, `t_2 = (1 + sqrt 5) / 2`, `t_3 = (1 + sqrt(1 + 4 t_2^2)) / 2`,
    /// `v_3 = 2.5 + 0.5 (t_2 - 1) / t_3`, step `0.5`.
    fn toy_pass(block: FistaBlock<'_>, objective: bool) -> f64 {
        let mut measure = 0.0f64;
        for (((&v, &x), xn), vn) in block
            .v
            .iter()
            .zip(block.x)
            .zip(block.x_next.iter_mut())
            .zip(block.v_next.iter_mut())
        {
            let new = v - 0.5 * (v - 3.0);
            *vn = new + block.momentum * (new - x);
            *xn = new;
            measure += if objective {
                0.5 * f64::from(v - 3.0).powi(2)
            } else {
                f64::from(new - v).powi(2)
            };
        }
        measure
    }

    fn t_values() -> (f64, f64) {
        let t2 = (1.0 + 5f64.sqrt()) / 2.0;
        (t2, (1.0 + (1.0 + 4.0 * t2 * t2).sqrt()) / 2.0)
    }

    #[test]
    fn step_rule_keeps_the_stopping_pass_and_returns_its_proximal_point() {
        let labels = [0u32; 2];
        let fista = Fista {
            stop: StopRule::StepRms(0.5),
            returns: ReturnPoint::Proximal,
            max_iterations: 10,
        };
        let mut z = [1.0f32; 2];
        let mut buffers = FistaBuffers::new(2);
        let out = fista.solve(&mut z, &labels, &mut buffers, |b| toy_pass(b, false));
        // Pass 1: rms 1 > 0.5; pass 2: rms 0.5 <= 0.5, kept: z = x_2.
        assert_eq!((out.iterations, out.cap_hit, out.measure), (2, false, 0.5));
        assert_eq!(z, [2.5; 2]);
        let extrapolated = Fista {
            returns: ReturnPoint::Extrapolated,
            ..fista
        };
        let mut z = [1.0f32; 2];
        extrapolated.solve(&mut z, &labels, &mut buffers, |b| toy_pass(b, false));
        let (t2, t3) = t_values();
        assert_eq!(z, [2.5 + ((t2 - 1.0) / t3) as f32 * 0.5; 2]);
    }

    #[test]
    fn objective_rule_discards_the_stopping_pass_and_returns_the_extrapolated_point() {
        let labels = [0u32];
        // Objective at v_1 = 1: 2; at v_2 = 2: 0.5 (change 1.5); at v_3: below 0.5 (change
        // under 0.5 + a little): stop at pass 3 with tol 1, return v_3 (pass 3 discarded).
        let fista = Fista {
            stop: StopRule::ObjectiveChange(1.0),
            returns: ReturnPoint::Extrapolated,
            max_iterations: 10,
        };
        let mut z = [1.0f32];
        let mut buffers = FistaBuffers::new(1);
        let out = fista.solve(&mut z, &labels, &mut buffers, |b| toy_pass(b, true));
        let (t2, t3) = t_values();
        let v3 = 2.5 + ((t2 - 1.0) / t3) as f32 * 0.5;
        assert_eq!((out.iterations, out.cap_hit), (3, false));
        assert_eq!(out.measure, 0.5 * f64::from(v3 - 3.0).powi(2));
        assert_eq!(z, [v3]);
    }

    #[test]
    fn cap_returns_the_last_pass_and_non_finite_stops() {
        let labels = [0u32];
        let mut buffers = FistaBuffers::new(1);
        for (stop, returns, expected) in [
            (StopRule::StepRms(0.0), ReturnPoint::Proximal, 2.0f32),
            (StopRule::ObjectiveChange(0.0), ReturnPoint::Extrapolated, 2.0),
        ] {
            let fista = Fista {
                stop,
                returns,
                max_iterations: 1,
            };
            let mut z = [1.0f32];
            let out = fista.solve(&mut z, &labels, &mut buffers, |b| toy_pass(b, false));
            assert_eq!((out.iterations, out.cap_hit, z), (1, true, [expected]));
        }
        let fista = Fista {
            stop: StopRule::ObjectiveChange(1e-3),
            returns: ReturnPoint::Extrapolated,
            max_iterations: 5,
        };
        let mut z = [1.0f32];
        let out = fista.solve(&mut z, &labels, &mut buffers, |_| f64::NAN);
        assert_eq!((out.iterations, out.cap_hit, out.non_finite), (1, false, true));
        assert_eq!(z, [1.0], "the non-finite pass is discarded");
    }
}
