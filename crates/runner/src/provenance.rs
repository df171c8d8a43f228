//! Where a result came from: code revision, toolchain, machine, data.

use std::path::Path;
use std::process::Command;

use serde::Serialize;

use crate::data::FileChecksum;

/// Provenance recorded in every cell's `config.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    /// `git describe --always --dirty` of the working tree, or "unknown".
    pub git_revision: String,
    /// Version of the runner crate.
    pub crate_version: &'static str,
    /// The compiler that built the runner.
    pub rustc: &'static str,
    /// CPU model name from /proc/cpuinfo.
    pub cpu: String,
    /// Threads used for the products and element-wise work.
    pub threads: usize,
    /// SHA-256 of each dataset file.
    pub dataset_checksums: Vec<FileChecksum>,
    /// UTC time the cell started (RFC 3339 seconds).
    pub started: String,
}

/// The git revision of the tree at `root`.
pub fn git_revision(root: &Path) -> String {
    Command::new("git")
        .args(["describe", "--always", "--dirty", "--abbrev=12"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

/// The CPU model name.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned())
}

impl Provenance {
    /// Provenance of a cell run now.
    pub fn collect(root: &Path, threads: usize, dataset_checksums: Vec<FileChecksum>) -> Self {
        Self {
            git_revision: git_revision(root),
            crate_version: env!("CARGO_PKG_VERSION"),
            rustc: env!("RUNNER_RUSTC_VERSION"),
            cpu: cpu_model(),
            threads,
            dataset_checksums,
            started: now_utc(),
        }
    }
}

/// Current UTC time as RFC 3339 with seconds.
pub fn now_utc() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}
