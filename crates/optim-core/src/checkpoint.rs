//! Binary encoding of optimizer states and models for checkpoints.

use std::io::{Read, Write};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{OptimError, Result};

/// Writes `value` to `out` in the checkpoint encoding (postcard).
///
/// An I/O failure (a full disk, say) is returned as [`OptimError::Io`] with its own message:
/// postcard reports every failed write as "serialize buffer is full", which would hide it.
pub fn write<T: Serialize + ?Sized>(value: &T, out: &mut dyn Write) -> Result<()> {
    let mut out = ErrorKeepingWriter {
        inner: std::io::BufWriter::with_capacity(1 << 20, out),
        error: None,
    };
    let encoded = postcard::to_io(value, &mut out).map(drop);
    if let Some(e) = out.error.take() {
        return Err(e.into());
    }
    encoded.map_err(|e| OptimError::Checkpoint(e.to_string()))?;
    out.inner.flush()?;
    Ok(())
}

/// Reads a value written by [`write`].
pub fn read<T: DeserializeOwned>(input: &mut dyn Read) -> Result<T> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    postcard::from_bytes(&bytes).map_err(|e| OptimError::Checkpoint(e.to_string()))
}

/// Passes writes through and keeps the first error, which postcard would discard.
struct ErrorKeepingWriter<W> {
    inner: W,
    error: Option<std::io::Error>,
}

impl<W: Write> ErrorKeepingWriter<W> {
    fn keep<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        result.map_err(|e| {
            let returned = std::io::Error::new(e.kind(), e.to_string());
            self.error.get_or_insert(e);
            returned
        })
    }
}

impl<W: Write> Write for ErrorKeepingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = self.inner.write(buf);
        self.keep(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.inner.flush();
        self.keep(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts `room` bytes, then fails the way a full disk does.
    struct FullDisk {
        room: usize,
    }

    impl Write for FullDisk {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn round_trips_a_value() {
        let value = (vec![1.5f64, -2.0, 3.25], "state".to_owned());
        let mut bytes = Vec::new();
        write(&value, &mut bytes).unwrap();
        let back: (Vec<f64>, String) = read(&mut bytes.as_slice()).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn a_failed_write_reports_the_io_error_not_a_full_buffer() {
        // Larger than the 1 MiB buffer, so the failure happens while encoding.
        let value = vec![0.5f64; 400_000];
        for room in [0, 100, 2 << 20] {
            let err = write(&value, &mut FullDisk { room }).unwrap_err();
            assert!(
                matches!(&err, OptimError::Io(e) if e.kind() == std::io::ErrorKind::StorageFull),
                "room {room}: {err}"
            );
            assert!(!err.to_string().contains("buffer"), "room {room}: {err}");
        }
    }
}
