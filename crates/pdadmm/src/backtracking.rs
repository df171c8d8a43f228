//! The backtracking search of the `p_l` and `W_l` steps (docs/pdadmm.md#backtracking).
//!
//! Both blocks take one gradient step `x - g / t` on a quadratic objective `f`, with `t`
//! doubled from its start until `f(x - g / t)` is at most the quadratic model
//! `f(x) - <g, g> / t + t/2 ||g / t||^2`. For a quadratic `f` with Hessian `H` the test
//! reduces to `g^T H g / t <= ||g||^2`, exactly, so the search reads two scalars instead of
//! evaluating `f` at every trial; the code evaluates `f` each time, which is the same test
//! up to rounding.

/// Settings of one search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Backtracking {
    /// The first `t` tried (`tau` or `theta`).
    pub start: f64,
    /// Factor by which `t` grows after a failed trial.
    pub growth: f64,
    /// Most growths; past them the search gives up.
    pub max_growths: u32,
}

/// The accepted `t` (`None` if the search gave up) and the number of growths it took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Outcome {
    pub step: Option<f64>,
    pub growths: u32,
}

impl Backtracking {
    /// Searches `t` for a gradient `g` with `curvature = g^T H g` and `gradient_norm = ||g||^2`.
    ///
    /// A non-finite input fails the search at once (the caller's diagnostics report it).
    pub(crate) fn search(&self, curvature: f64, gradient_norm: f64) -> Outcome {
        if !(curvature.is_finite() && gradient_norm.is_finite()) {
            return Outcome { step: None, growths: 0 };
        }
        let mut t = self.start;
        let mut growths = 0;
        while curvature / t > gradient_norm {
            if growths == self.max_growths {
                return Outcome { step: None, growths };
            }
            t *= self.growth;
            growths += 1;
        }
        Outcome { step: Some(t), growths }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEARCH: Backtracking = Backtracking {
        start: 10.0,
        growth: 2.0,
        max_growths: 3,
    };

    /// `curvature / t <= norm` first holds at `t = 10 * 2^k` with `10 * 2^k >= ratio`.
    #[test]
    fn accepts_the_first_power_above_the_curvature_ratio() {
        assert_eq!(SEARCH.search(5.0, 1.0).step, Some(10.0));
        assert_eq!(SEARCH.search(10.0, 1.0).step, Some(10.0));
        let o = SEARCH.search(30.0, 1.0);
        assert_eq!((o.step, o.growths), (Some(40.0), 2));
        // A zero gradient passes at once: the step is zero anyway.
        assert_eq!(SEARCH.search(0.0, 0.0).step, Some(10.0));
    }

    #[test]
    fn gives_up_after_the_cap_and_on_non_finite_input() {
        let o = SEARCH.search(1000.0, 1.0);
        assert_eq!((o.step, o.growths), (None, 3));
        assert_eq!(SEARCH.search(f64::NAN, 1.0).step, None);
    }
}
