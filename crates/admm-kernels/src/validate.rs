//! Checks of hyper-parameter values, with errors that name the key and what is valid.

use std::fmt::Display;

use optim_core::{OptimError, Result};

/// `value` is a finite number above zero.
pub fn positive<T: Into<f64> + Copy + Display>(key: &str, value: T) -> Result<()> {
    let v: f64 = value.into();
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(OptimError::invalid(
            key,
            format!("must be a finite number > 0, got {value}"),
        ))
    }
}

/// `value` is a finite number at or above zero.
pub fn non_negative<T: Into<f64> + Copy + Display>(key: &str, value: T) -> Result<()> {
    let v: f64 = value.into();
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(OptimError::invalid(
            key,
            format!("must be a finite number >= 0, got {value}"),
        ))
    }
}

/// `value` is a finite number at or above one (a growth factor).
pub fn at_least_one(key: &str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 1.0 {
        Ok(())
    } else {
        Err(OptimError::invalid(
            key,
            format!("must be a finite number >= 1, got {value}"),
        ))
    }
}

/// `count` (iterations, say) is at least 1.
pub fn at_least_one_count(key: &str, count: usize) -> Result<()> {
    if count >= 1 {
        Ok(())
    } else {
        Err(OptimError::invalid(key, "must be at least 1"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optim_core::validate::rejected_key;

    #[test]
    fn bounds_and_keys() {
        assert!(positive("rho", 1e-6).is_ok());
        assert!(positive("beta", 0.5f32).is_ok());
        assert_eq!(rejected_key(positive("rho", 0.0)), "rho");
        assert_eq!(rejected_key(positive("gamma", f32::NAN)), "gamma");
        assert!(non_negative("tol", 0.0).is_ok());
        assert_eq!(rejected_key(non_negative("tol", -1e-9)), "tol");
        assert_eq!(rejected_key(non_negative("tol", f64::INFINITY)), "tol");
        assert!(at_least_one("growth", 1.0).is_ok());
        assert_eq!(rejected_key(at_least_one("growth", 0.999)), "growth");
        assert!(at_least_one_count("cap", 1).is_ok());
        assert_eq!(rejected_key(at_least_one_count("cap", 0)), "cap");
    }

    #[test]
    fn the_message_shows_the_value_as_given() {
        let err = positive("beta", -0.1f32).unwrap_err().to_string();
        assert!(err.contains("got -0.1"), "{err}");
    }
}
