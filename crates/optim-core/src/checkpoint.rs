//! Binary encoding of optimizer states and models for checkpoints.

use std::io::{Read, Write};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{OptimError, Result};

/// Writes `value` to `out` in the checkpoint encoding (postcard).
pub fn write<T: Serialize + ?Sized>(value: &T, out: &mut dyn Write) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    postcard::to_io(value, &mut out).map_err(|e| OptimError::Checkpoint(e.to_string()))?;
    out.flush()?;
    Ok(())
}

/// Reads a value written by [`write`].
pub fn read<T: DeserializeOwned>(input: &mut dyn Read) -> Result<T> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    postcard::from_bytes(&bytes).map_err(|e| OptimError::Checkpoint(e.to_string()))
}
