//! A bit-exact fingerprint of a short run: what the `admm_fingerprint` and
//! `dladmm_fingerprint` examples print, so that a change to these kernels can be checked to
//! leave every f32 operation and its order as it was (same output before and after).

use optim_core::synthetic::{BlobsConfig, blobs};
use optim_core::{Dataset, Init, MethodConfig, Mlp, Result, Stream, rng_for};

/// FNV-1a over bytes: enough to tell two bit patterns apart.
pub fn hash(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A small classification problem for widths `widths` (input first): Gaussian blobs with
/// `samples` samples and a network drawn from `init`, both from `seed`.
pub fn blobs_problem(widths: &[usize], samples: usize, seed: u64, init: &Init) -> Result<(Dataset, Mlp)> {
    let data = blobs(
        &BlobsConfig {
            samples,
            features: widths[0],
            classes: widths[widths.len() - 1],
            separation: 1.0,
        },
        seed,
    );
    let model = Mlp::new(widths, init, &mut rng_for(seed, Stream::Init, 0))?;
    Ok((data, model))
}

/// Prints [`fingerprint`] of six iterations of every `(label, config)` on 700 samples of
/// each of `networks` (20 features, 4 classes).
pub fn print_fingerprints<C: MethodConfig>(configs: &[(&str, C)], networks: &[Vec<usize>]) -> Result<()> {
    for widths in networks {
        let (train, _) = blobs_problem(widths, 700, 3, &Init::default())?;
        for (label, config) in configs {
            for line in fingerprint(label, config, widths, &train, 6)? {
                println!("{line}");
            }
        }
    }
    Ok(())
}

/// One line per iteration of `iterations` iterations of `config` on `train` from a network
/// of widths `widths` drawn from seed 3: the hashes of the model and of the saved state and
/// every diagnostic (those of `after_step` included) as raw bits.
pub fn fingerprint(
    label: &str,
    config: &impl MethodConfig,
    widths: &[usize],
    train: &Dataset,
    iterations: usize,
) -> Result<Vec<String>> {
    let mut model = Mlp::new(widths, &Init::default(), &mut rng_for(3, Stream::Init, 0))?;
    let mut optimizer = config.build()?;
    optimizer.initialize(&model, train, 0)?;
    let mut lines = Vec::with_capacity(iterations);
    for k in 0..iterations {
        let mut d = optimizer.step(&mut model, train, k)?;
        d.append(optimizer.after_step(&model, train, k)?);
        let values: Vec<String> = d.iter().map(|(n, v)| format!("{n}={:016x}", v.to_bits())).collect();
        let params = hash(
            model
                .tensors()
                .iter()
                .flat_map(|t| t.iter().flat_map(|v| v.to_le_bytes())),
        );
        let mut state = Vec::new();
        optimizer.save_state(&mut state)?;
        lines.push(format!(
            "{widths:?} {label} {k} model={params:016x} state={:016x} {}",
            hash(state),
            values.join(" ")
        ));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_of_known_inputs() {
        // FNV-1a 64 of the empty input is its offset basis; of "a" the published value.
        assert_eq!(hash([]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash(*b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
