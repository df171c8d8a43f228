//! Helpers shared by the end-to-end tests: a temporary project root with an experiment file,
//! runs of the real `runner` binary in it, and readers for the files it writes.

#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

// The readers of stored runs, and the synthetic experiment, are the library tests' own.
#[path = "../../../harness/tests/common/mod.rs"]
mod stored;
#[allow(unused_imports)] // each test binary uses a different subset
pub use stored::{
    ADAM_AND_SGD, CellSnapshot, METRICS_TIMING, SUMMARY_TIMING, Table, assert_same_cells, cell_dirs, files,
    metric_rows, read_csv, snapshot, status, synthetic_experiment,
};

/// A temporary project root: `experiments/`, `results/` and `plots/` live under it.
pub struct Root {
    dir: tempfile::TempDir,
}

impl Default for Root {
    fn default() -> Self {
        Self::new()
    }
}

impl Root {
    /// A fresh, empty root.
    pub fn new() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("runner-e2e-")
                .tempdir()
                .expect("temporary directory"),
        }
    }

    /// The root directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `experiments/NAME.toml` and returns its path.
    pub fn write_experiment(&self, name: &str, text: &str) -> PathBuf {
        let dir = self.path().join("experiments");
        std::fs::create_dir_all(&dir).expect("create experiments/");
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(&path, text).expect("write experiment file");
        path
    }

    /// `<root>/results`.
    pub fn results(&self) -> PathBuf {
        self.path().join("results")
    }

    /// `<root>/results/NAME`.
    pub fn results_of(&self, name: &str) -> PathBuf {
        self.results().join(name)
    }

    /// `<root>/plots/NAME`.
    pub fn plots_of(&self, name: &str) -> PathBuf {
        self.path().join("plots").join(name)
    }

    /// The binary with `--root` set, quiet backtraces, run from inside the root.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_runner"));
        cmd.arg("--root")
            .arg(self.path())
            .args(args)
            .current_dir(self.path())
            .env("RUST_BACKTRACE", "0")
            .env("RUST_LIB_BACKTRACE", "0")
            .env_remove("DLADMM_DATA")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs the binary to its end.
    pub fn run(&self, args: &[&str]) -> Run {
        let start = Instant::now();
        let output = self.command(args).output().expect("spawn runner");
        Run {
            output,
            seconds: start.elapsed().as_secs_f64(),
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Runs the binary and fails the test unless it succeeds.
    pub fn run_ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert!(run.output.status.success(), "{}", run.describe());
        run
    }

    /// Starts the binary in the background, output discarded.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn runner")
    }

    /// The cell directories of experiment `name`: id -> directory.
    pub fn cells(&self, name: &str) -> BTreeMap<String, PathBuf> {
        cell_dirs(&self.results_of(name))
    }
}

/// A finished run of the binary.
pub struct Run {
    pub output: Output,
    pub seconds: f64,
    pub args: Vec<String>,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Everything about the run, for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "runner {:?}: {} after {:.2} s\n--- stdout\n{}\n--- stderr\n{}",
            self.args,
            self.output.status,
            self.seconds,
            self.stdout(),
            self.stderr()
        )
    }
}

/// A cell's `metrics.csv` without the timing columns.
pub fn metrics(cell_dir: &Path) -> Table {
    read_csv(&cell_dir.join("metrics.csv"), METRICS_TIMING)
}

/// Files and directories whose name starts with `.tmp-` anywhere under `dir`.
pub fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                found.push(path.clone());
            }
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    found
}

/// Polls `condition` every few milliseconds until it holds or `child` exits; kills the
/// child (SIGKILL) as soon as the condition holds. Returns true if it was killed, false if
/// it exited on its own first.
pub fn kill_when(child: &mut Child, timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if condition() {
            let running = child.try_wait().expect("try_wait").is_none();
            child.kill().ok();
            child.wait().expect("wait");
            return running;
        }
        if child.try_wait().expect("try_wait").is_some() {
            return false;
        }
        if start.elapsed() > timeout {
            child.kill().ok();
            child.wait().ok();
            panic!("condition not reached within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Kills `child` (SIGKILL) after `delay`; returns true if it was still running.
pub fn kill_after(child: &mut Child, delay: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < delay {
        if child.try_wait().expect("try_wait").is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let running = child.try_wait().expect("try_wait").is_none();
    child.kill().ok();
    child.wait().expect("wait");
    running
}

/// Lines of `runner exp NAME --dry-run` output that describe cells: (id, state), where a
/// line reads `ID  LABEL  seed N  STATE`.
pub fn dry_run_states(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|l| {
            let (id, rest) = l.split_once("  ")?;
            if id.len() != 16 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            let after_seed = &rest[rest.rfind(" seed ")? + " seed ".len()..];
            let state = after_seed.trim_start_matches(|c: char| c.is_ascii_digit()).trim();
            Some((id.to_owned(), state.to_owned()))
        })
        .collect()
}
