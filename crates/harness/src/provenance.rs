//! Where a result came from: code revision, toolchain, machine, data.

use std::path::Path;
use std::process::Command;

use serde::Serialize;

use crate::data::FileChecksum;

/// Provenance recorded in every cell's `config.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    /// The last commit that changed the code (results/ and plots/ excluded), `-dirty` when
    /// the code has uncommitted changes, or "unknown".
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

/// Paths that hold outputs, not code: committing a result must not change the revision
/// recorded by the cells run after it.
const OUTPUT_PATHSPECS: [&str; 2] = [":(exclude)results", ":(exclude)plots"];

/// The last commit that changed the code at `root` (12 hex digits), with `-dirty` when
/// tracked files outside results/ and plots/ have uncommitted changes; "unknown" outside git.
pub fn git_revision(root: &Path) -> String {
    let commit = git(root, &["log", "-1", "--format=%h", "--abbrev=12", "--", "."]);
    let Some(commit) = commit.filter(|c| !c.is_empty()) else {
        return "unknown".into();
    };
    let changes = git(root, &["status", "--porcelain", "--untracked-files=no", "--", "."]);
    match changes {
        Some(c) if !c.is_empty() => format!("{commit}-dirty"),
        _ => commit,
    }
}

/// Trimmed stdout of `git ARGS PATHSPECS` in `root`, or None when git fails.
fn git(root: &Path, args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .args(OUTPUT_PATHSPECS)
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn run_git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(dir)
            .output()
            .expect("git runs");
        assert!(status.status.success(), "git {args:?}: {status:?}");
    }

    #[test]
    fn revision_names_the_code_and_ignores_results_and_plots() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(git_revision(root), "unknown");
        run_git(root, &["init", "-q"]);
        std::fs::write(root.join("code.rs"), "fn main() {}\n").unwrap();
        run_git(root, &["add", "."]);
        run_git(root, &["commit", "-q", "-m", "code"]);
        let code_commit = git_revision(root);
        assert_eq!(code_commit.len(), 12, "{code_commit}");

        for output in ["results", "plots"] {
            std::fs::create_dir_all(root.join(output)).unwrap();
            std::fs::write(root.join(output).join("a.csv"), "1\n").unwrap();
        }
        run_git(root, &["add", "."]);
        run_git(root, &["commit", "-q", "-m", "results"]);
        assert_eq!(git_revision(root), code_commit, "a results commit is not code");
        std::fs::write(root.join("results/a.csv"), "2\n").unwrap();
        assert_eq!(git_revision(root), code_commit, "edited results are not dirty code");

        std::fs::write(root.join("code.rs"), "fn main() { }\n").unwrap();
        assert_eq!(git_revision(root), format!("{code_commit}-dirty"));
    }
}
