//! How `rho` (and the backtracking starts `tau`, `theta`) evolve over the iterations
//! (docs/dladmm.md#rho-schedules, and #paper-and-reference-code-differences for the paper's schedule).

use crate::config::{Params, RhoSchedule};
use crate::state::State;

/// `rho` at iteration `k` under the step schedule:
/// `min(rho_0 * growth^floor(k / every), cap)`.
pub(crate) fn step_rho(params: &Params, iteration: usize) -> f64 {
    let growths = (iteration / params.rho_step_every).min(4096) as i32;
    (params.rho * params.rho_growth.powi(growths)).min(params.rho_cap)
}

/// Whether the last `rises + 1` costs rose strictly `rises` times in a row
/// (`c_i > c_{i-1} > ... > c_{i-rises}`); with fewer costs, never. For the reference code's
/// `rises = 3` this is its test "`i > 2` and three rises".
pub(crate) fn rising(costs: &[f64], rises: usize) -> bool {
    costs.len() > rises && costs[costs.len() - rises - 1..].windows(2).all(|w| w[1] > w[0])
}

/// Sets the penalties for the iteration about to run: the step schedule's `rho` at
/// `iteration`, and `nu = rho` where the variant ties them.
pub(crate) fn before_iteration(state: &mut State, params: &Params, iteration: usize) {
    if params.schedule == RhoSchedule::Step {
        state.rho = step_rho(params, iteration);
    }
    if params.nu.is_none() {
        state.nu = state.rho;
    }
}

/// The adaptive rule after an iteration whose training cost was just appended to
/// `state.training_costs`: on `rising_iterations` strict rises, `rho <- min(growth * rho,
/// cap)` (and `nu` with it where tied) and, if the widest hidden layer has at least
/// `width_threshold` units, `tau` and `theta` grow by `start_growth` (uncapped, as in the
/// reference code). Returns whether it fired.
pub(crate) fn after_iteration(state: &mut State, params: &Params, widest_hidden: usize) -> bool {
    if params.schedule != RhoSchedule::Adaptive || !rising(&state.training_costs, params.rising_iterations) {
        return false;
    }
    state.rho = (params.rho_growth * state.rho).min(params.rho_cap);
    if params.nu.is_none() {
        state.nu = state.rho;
    }
    if widest_hidden >= params.width_threshold {
        state.tau *= params.start_growth;
        state.theta *= params.start_growth;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DladmmConfig, Variant};
    use ndarray::Array2;

    fn state(rho: f64) -> State {
        State {
            z: vec![],
            a: vec![],
            u: Array2::zeros((0, 0)),
            m: vec![],
            rho,
            nu: rho,
            tau: 1.0,
            theta: 1.0,
            iterations: 0,
            training_costs: vec![],
            cost_pending: false,
        }
    }

    #[test]
    fn rule_needs_three_strict_rises() {
        assert!(!rising(&[1.0, 2.0, 3.0], 3));
        assert!(rising(&[1.0, 2.0, 3.0, 4.0], 3));
        assert!(!rising(&[1.0, 2.0, 2.0, 4.0], 3));
        assert!(rising(&[9.0, 1.0, 2.0, 3.0, 4.0], 3));
        assert!(!rising(&[1.0, 2.0, 3.0, 4.0, 3.5], 3));
    }

    #[test]
    fn adaptive_rule_grows_rho_to_the_cap_and_starts_by_width() {
        let params = DladmmConfig::default().validate().unwrap();
        let mut s = state(1e-6);
        s.training_costs = vec![1.0, 2.0, 3.0, 4.0];
        assert!(after_iteration(&mut s, &params, 100));
        assert!((s.rho - 1e-5).abs() < 1e-18 && s.nu == s.rho);
        assert_eq!((s.tau, s.theta), (10.0, 10.0));
        let mut narrow = state(0.05);
        narrow.training_costs = vec![1.0, 2.0, 3.0, 4.0];
        assert!(after_iteration(&mut narrow, &params, 99));
        assert_eq!((narrow.rho, narrow.tau, narrow.theta), (0.1, 1.0, 1.0));
        let fixed = DladmmConfig {
            rho_schedule: Some(RhoSchedule::Fixed),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let mut f = state(1e-6);
        f.training_costs = vec![1.0, 2.0, 3.0, 4.0];
        assert!(!after_iteration(&mut f, &fixed, 1000));
        assert_eq!(f.rho, 1e-6);
    }

    #[test]
    fn paper_schedule_steps_every_hundred_iterations() {
        let params = DladmmConfig {
            variant: Variant::Paper,
            ..Default::default()
        }
        .validate()
        .unwrap();
        let mut s = state(1e-6);
        for (k, expected) in [(0, 1e-6), (99, 1e-6), (100, 1e-5), (250, 1e-4), (10_000, 0.1)] {
            before_iteration(&mut s, &params, k);
            assert!((s.rho - expected).abs() <= 1e-12 * expected, "{k}: {}", s.rho);
            assert_eq!(s.nu, 1e-6, "nu stays separate in the paper variant");
        }
    }
}
