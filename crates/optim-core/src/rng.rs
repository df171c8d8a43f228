//! Seeded random streams: every draw in a run derives from one seed, never from the system.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator used everywhere: portable and reproducible across platforms.
pub type Rng = ChaCha8Rng;

/// Purposes of the independent streams derived from one run seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// Network initialisation.
    Init = 1 << 32,
    /// Mini-batch shuffling (the epoch is added to the stream number).
    Shuffle = 2 << 32,
    /// Synthetic data generation.
    Data = 3 << 32,
    /// Anything an optimizer draws for itself.
    Optimizer = 4 << 32,
}

/// A generator for `stream` (plus `offset`, e.g. an epoch, below 2^32) of the run seeded
/// with `seed`. Streams are 2^32 apart, so offsets never make two purposes share a stream.
pub fn rng_for(seed: u64, stream: Stream, offset: u64) -> Rng {
    let mut rng = Rng::seed_from_u64(seed);
    rng.set_stream(stream as u64 + offset);
    rng
}
