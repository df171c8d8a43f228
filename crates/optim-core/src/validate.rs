//! Checks shared by configuration structs (the `Params -> ValidParams` step).

use crate::error::{OptimError, Result};

/// `value` as f32 if it is a finite number `>= 0` that f32 can hold; otherwise an error
/// naming `key`.
pub fn non_negative(key: &str, value: f64) -> Result<f32> {
    let single = value as f32;
    if value >= 0.0 && single.is_finite() {
        Ok(single)
    } else {
        Err(OptimError::invalid(
            key,
            format!("must be a finite number >= 0, got {value}"),
        ))
    }
}

/// The key an [`OptimError::InvalidParameter`] names; panics on success or another error.
/// For tests that check each bad value is rejected with its own key.
pub fn rejected_key<T>(result: Result<T>) -> String {
    match result {
        Err(OptimError::InvalidParameter { key, .. }) => key,
        Err(e) => panic!("expected an invalid-parameter error, got {e}"),
        Ok(_) => panic!("the configuration was accepted"),
    }
}
