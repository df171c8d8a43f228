//! Checks that a network, a training set and an optimizer's auxiliary variables fit each
//! other, with messages that name what does not fit.

use ndarray::Array2;
use optim_core::{Dataset, OptimError, Result};

/// Checks layer widths `widths` (input first) against `train` for the method called
/// `method`, which needs at least `min_depth` layers: the input width is the number of
/// features, the output width the number of classes, and the set is not empty.
pub fn check_problem(method: &str, widths: &[usize], train: &Dataset, min_depth: usize) -> Result<()> {
    let depth = widths.len().saturating_sub(1);
    if depth < min_depth.max(1) {
        return Err(OptimError::Shape(format!(
            "{method} needs at least {} layers ({} hidden); widths {widths:?}",
            min_depth.max(1),
            min_depth.max(1) - 1
        )));
    }
    if widths[0] != train.num_features() {
        return Err(OptimError::Shape(format!(
            "the model takes {} features, the data have {}",
            widths[0],
            train.num_features()
        )));
    }
    if widths[depth] != train.num_classes {
        return Err(OptimError::Shape(format!(
            "the model has {} outputs, the data {} classes",
            widths[depth], train.num_classes
        )));
    }
    if train.is_empty() {
        return Err(OptimError::Shape("the training set is empty".into()));
    }
    Ok(())
}

/// The first of `blocks` (named `kind_1`, `kind_2`, ...: layer `l` of a network with widths
/// `widths`, input first) whose shape is not `(widths[l], samples)`, described; `None` when
/// all fit. Callers wrap it in the error their context calls for (a shape error, a
/// checkpoint that does not fit).
pub fn block_shape_mismatch(kind: &str, blocks: &[Array2<f32>], widths: &[usize], samples: usize) -> Option<String> {
    blocks.iter().enumerate().find_map(|(l, m)| {
        let expected = (widths.get(l + 1).copied().unwrap_or(0), samples);
        (m.dim() != expected).then(|| format!("{kind}_{} has shape {:?}, expected {expected:?}", l + 1, m.dim()))
    })
}

/// The 0-based index of layer `layer` (numbered from 1, as the docs do) for the subproblem
/// `which` of a network of `depth` layers; `hidden` subproblems exist for layers `1..L-1`
/// only, the others for `1..L`.
pub fn subproblem_layer(which: &dyn std::fmt::Display, layer: usize, depth: usize, hidden: bool) -> Result<usize> {
    let top = if hidden { depth - 1 } else { depth };
    if (1..=top).contains(&layer) {
        Ok(layer - 1)
    } else {
        Err(OptimError::Shape(format!(
            "{which} is not a subproblem of a network of {depth} layers"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optim_core::synthetic::{BlobsConfig, blobs};

    fn data() -> Dataset {
        blobs(
            &BlobsConfig {
                samples: 10,
                features: 3,
                classes: 2,
                separation: 1.0,
            },
            0,
        )
    }

    #[test]
    fn each_mismatch_is_named() {
        let train = data();
        assert!(check_problem("dlADMM", &[3, 4, 2], &train, 2).is_ok());
        let message = |widths: &[usize], min_depth| match check_problem("dlADMM", widths, &train, min_depth) {
            Err(OptimError::Shape(m)) => m,
            other => panic!("expected a shape error, got {other:?}"),
        };
        assert!(message(&[3, 2], 2).contains("needs at least 2 layers (1 hidden)"));
        assert!(check_problem("ADMM", &[3, 2], &train, 1).is_ok());
        assert!(message(&[4, 4, 2], 1).contains("takes 4 features"));
        assert!(message(&[3, 4, 5], 1).contains("has 5 outputs, the data 2 classes"));
    }

    #[test]
    fn the_first_misshapen_block_is_described() {
        let widths = [3, 4, 2];
        let good = [Array2::zeros((4, 10)), Array2::zeros((2, 10))];
        assert_eq!(block_shape_mismatch("z", &good, &widths, 10), None);
        let bad = [Array2::zeros((4, 10)), Array2::zeros((2, 9))];
        assert_eq!(
            block_shape_mismatch("z", &bad, &widths, 10).as_deref(),
            Some("z_2 has shape (2, 9), expected (2, 10)")
        );
    }
}
