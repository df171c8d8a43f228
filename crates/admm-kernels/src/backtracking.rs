//! The backtracking search of the gradient steps of dlADMM's `W_l`, `a_l` and pdADMM's
//! `W_l`, `p_l` subproblems, in closed form.
//!
//! The reference code linearises the block's objective `phi` at the current point `x`,
//! tries `x - d / s` for `s = s_0, s_0 * growth, ...` (with `d = grad phi(x)`) and accepts the
//! first `s` with the sufficient decrease `phi(x - d / s) <= phi(x) - ||d||^2 / (2 s)`
//! (docs/dladmm.md#backtracking, docs/pdadmm.md#backtracking). Every such `phi` is quadratic in its block, with
//! `phi(x - d / s) = phi(x) - ||d||^2 / s + q / (2 s^2)` where `q = <d, H d>` is the
//! curvature along `d`, so the test reads `s ||d||^2 >= q`: a scalar comparison per trial
//! instead of one product per trial. The loop over the trials is still run on scalars, so
//! the number of trials and the cap behave exactly as the reference loop would (up to
//! floating-point ties).

/// Settings of one backtracking search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backtracking {
    /// First step parameter tried (the global `tau` or `theta`).
    pub start: f64,
    /// Factor between two trials (> 1).
    pub growth: f64,
    /// Most growth steps; a search that needs more fails (the block stays unchanged).
    pub max_growths: u32,
}

/// What a search found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// The accepted step parameter `s` (the step is `-d / s`); `None` if the cap was hit.
    pub step: Option<f64>,
    /// Number of candidate points tested (at least 1).
    pub trials: u32,
}

impl Outcome {
    /// Whether the search gave up.
    pub fn cap_hit(&self) -> bool {
        self.step.is_none()
    }
}

impl Backtracking {
    /// The first accepted step parameter for a quadratic with `||d||^2 = grad_sq` and
    /// curvature `q = curvature` along `d`.
    ///
    /// A zero gradient is accepted at once (the step changes nothing).
    pub fn search(&self, grad_sq: f64, curvature: f64) -> Outcome {
        let mut s = self.start;
        for k in 0..=self.max_growths {
            if s * grad_sq >= curvature {
                return Outcome {
                    step: Some(s),
                    trials: k + 1,
                };
            }
            s *= self.growth;
        }
        Outcome {
            step: None,
            trials: self.max_growths + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The closed-form search against the literal loop on a scalar quadratic
    /// `phi(x) = h x^2 / 2`, whose test `phi(x - d/s) <= phi(x) - d^2 / (2 s)` is evaluated
    /// directly.
    #[test]
    fn trial_count_equals_the_literal_loop() {
        for &h in &[0.3f64, 1.0, 3.0, 7.5, 1000.0, 1e6] {
            for &start in &[1e-3f64, 0.5, 1.0, 10.0] {
                let x = 1.7f64;
                let d = h * x;
                let phi = |v: f64| 0.5 * h * v * v;
                let mut s = start;
                let mut literal = 1;
                while phi(x - d / s) > phi(x) - d * d / (2.0 * s) {
                    s *= 2.0;
                    literal += 1;
                }
                let search = Backtracking {
                    start,
                    growth: 2.0,
                    max_growths: 60,
                };
                let out = search.search(d * d, h * d * d);
                assert_eq!(out.trials, literal, "h = {h}, start = {start}");
                assert_eq!(out.step, Some(s));
            }
        }
    }

    #[test]
    fn cap_is_counted_and_zero_gradient_accepted() {
        let search = Backtracking {
            start: 1.0,
            growth: 2.0,
            max_growths: 5,
        };
        let out = search.search(1.0, 1e6);
        assert!(out.cap_hit());
        assert_eq!(out.trials, 6);
        let zero = search.search(0.0, 0.0);
        assert_eq!(zero.step, Some(1.0));
        assert_eq!(zero.trials, 1);
        // Non-finite inputs never loop forever.
        assert!(search.search(f64::NAN, 1.0).cap_hit());
    }
}
