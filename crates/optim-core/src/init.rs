//! Weight initialisation schemes.

use ndarray::{Array1, Array2, ShapeBuilder};
use rand::Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::error::{OptimError, Result};

/// How the weights and biases of a fresh network are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Init {
    /// Weights and biases i.i.d. `N(0, std^2)`; the dlADMM reference code uses `std = 0.1`.
    Normal {
        /// Standard deviation (default 0.1).
        #[serde(default = "default_std")]
        std: f32,
    },
    /// Kaiming/He normal for ReLU: weights `N(0, 2 / fan_in)`, biases zero.
    KaimingNormal,
}

fn default_std() -> f32 {
    0.1
}

impl Default for Init {
    /// The dlADMM reference code's `N(0, 0.1^2)`.
    fn default() -> Self {
        Init::Normal { std: 0.1 }
    }
}

impl Init {
    /// Checks the parameters once.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Init::Normal { std } if !(std.is_finite() && std >= 0.0) => Err(OptimError::invalid(
                "init.std",
                format!("must be a finite non-negative number, got {std}"),
            )),
            _ => Ok(()),
        }
    }

    /// Draws a weight matrix `(fan_out, fan_in)` (column-major) and a bias vector.
    pub fn draw<R: Rng + ?Sized>(&self, fan_out: usize, fan_in: usize, rng: &mut R) -> (Array2<f32>, Array1<f32>) {
        let (w_std, b_std) = match *self {
            Init::Normal { std } => (std, std),
            Init::KaimingNormal => ((2.0 / fan_in as f32).sqrt(), 0.0),
        };
        let mut w = Array2::zeros((fan_out, fan_in).f());
        let mut b = Array1::zeros(fan_out);
        if w_std > 0.0 {
            let normal = Normal::new(0.0f32, w_std).expect("validated standard deviation");
            w.iter_mut().for_each(|x| *x = normal.sample(rng));
        }
        if b_std > 0.0 {
            let normal = Normal::new(0.0f32, b_std).expect("validated standard deviation");
            b.iter_mut().for_each(|x| *x = normal.sample(rng));
        }
        (w, b)
    }
}
