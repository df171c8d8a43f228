//! Verified download of one file from a list of mirrors.
//!
//! The body is streamed into a temporary file in the destination directory while it is hashed;
//! only a complete body whose SHA-256 is the published one is renamed into place, so no partial
//! or corrupted file ever sits under the final name. Any failure moves on to the next mirror.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::catalog::FileSpec;
use crate::error::{DatasetError, MirrorFailure};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);
/// A stalled transfer is abandoned after this long without any byte.
const READ_TIMEOUT: Duration = Duration::from_secs(60);
const CHUNK_LEN: usize = 1 << 16;

/// Outcome of trying every mirror for one file.
pub(crate) enum Download {
    /// The file is in place, verified.
    Done,
    /// Every mirror failed; nothing was left under the final name.
    Failed(Vec<MirrorFailure>),
}

/// Why one attempt failed.
enum AttemptError {
    /// The mirror or the connection failed: try the next mirror.
    Remote(String),
    /// The local disk failed: no mirror can help.
    Local(DatasetError),
}

/// Downloads `file` into `dest` from the first of `mirrors` that delivers the published bytes.
///
/// Errors are local I/O failures only (creating, writing or renaming the file); remote
/// failures are reported in [`Download::Failed`].
pub(crate) fn download(
    mirrors: &[String],
    file: &FileSpec,
    dest: &Path,
    show_progress: bool,
) -> Result<Download, DatasetError> {
    let dir = dest.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| DatasetError::io(dir, e))?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_recv_response(Some(RESPONSE_TIMEOUT))
        .timeout_per_read(Some(READ_TIMEOUT))
        // The files are already gzip: ask for the bytes as published, so that no transparent
        // decompression changes what is hashed.
        .accept_encoding("identity")
        .build()
        .into();
    let mut failures = Vec::new();
    for mirror in mirrors {
        let url = file_url(mirror, &file.name);
        match attempt(&agent, &url, file, dir, dest, show_progress) {
            Ok(()) => return Ok(Download::Done),
            Err(AttemptError::Local(error)) => return Err(error),
            Err(AttemptError::Remote(reason)) => failures.push(MirrorFailure { url, reason }),
        }
    }
    Ok(Download::Failed(failures))
}

/// `<mirror>/<file name>`, with exactly one slash between them.
fn file_url(mirror: &str, file_name: &str) -> String {
    format!("{}/{file_name}", mirror.trim_end_matches('/'))
}

fn attempt(
    agent: &ureq::Agent,
    url: &str,
    file: &FileSpec,
    dir: &Path,
    dest: &Path,
    show_progress: bool,
) -> Result<(), AttemptError> {
    let response = agent.get(url).call().map_err(|e| AttemptError::Remote(e.to_string()))?;
    let body = response.into_body();
    let content_length = body.content_length();
    let mut reader = body.into_reader();

    let mut partial = tempfile::Builder::new()
        .prefix(&format!(".{}.", file.name))
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(|e| AttemptError::Local(DatasetError::io(dir, e)))?;
    let progress = progress_bar(url, content_length, show_progress);
    let streamed = stream(&mut reader, &mut partial, content_length, &progress);
    progress.finish_and_clear();
    let actual = streamed?;

    if actual != file.sha256 {
        return Err(AttemptError::Remote(format!(
            "SHA-256 mismatch: expected {}, downloaded {actual}",
            file.sha256
        )));
    }
    partial
        .as_file()
        .sync_all()
        .map_err(|e| AttemptError::Local(DatasetError::io(partial.path(), e)))?;
    // Dropping `partial` on any earlier return deletes it; here it is renamed atomically.
    partial
        .persist(dest)
        .map_err(|e| AttemptError::Local(DatasetError::io(dest, e.error)))?;
    Ok(())
}

/// Copies the body into `partial` while hashing it; returns the SHA-256 in lowercase hex.
fn stream(
    reader: &mut impl Read,
    partial: &mut NamedTempFile,
    content_length: Option<u64>,
    progress: &ProgressBar,
) -> Result<String, AttemptError> {
    let mut hasher = Sha256::new();
    let mut chunk = vec![0u8; CHUNK_LEN];
    let mut received: u64 = 0;
    let expected = content_length.map_or_else(|| "?".to_owned(), |len| len.to_string());
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(AttemptError::Remote(format!(
                    "transfer failed after {received} of {expected} bytes: {e}"
                )));
            }
        };
        let bytes = &chunk[..n];
        hasher.update(bytes);
        partial
            .write_all(bytes)
            .map_err(|e| AttemptError::Local(DatasetError::io(partial.path(), e)))?;
        received += n as u64;
        progress.inc(n as u64);
    }
    if let Some(len) = content_length.filter(|&len| len != received) {
        return Err(AttemptError::Remote(format!(
            "connection closed after {received} of {len} bytes"
        )));
    }
    Ok(hex::encode(hasher.finalize()))
}

fn progress_bar(url: &str, content_length: Option<u64>, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(content_length, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(format!("downloading {url}"));
    bar
}

#[cfg(test)]
mod tests {
    use super::file_url;

    #[test]
    fn file_url_joins_with_one_slash() {
        assert_eq!(file_url("http://h/m/", "f.gz"), "http://h/m/f.gz");
        assert_eq!(file_url("http://h/m", "f.gz"), "http://h/m/f.gz");
    }
}
