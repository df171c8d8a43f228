//! The results store: one directory per cell under `results/<experiment>/<cell id>/`.
//!
//! ```text
//! config.json      resolved configuration and provenance (written before the first iteration)
//! metrics.csv      one row per finished iteration, appended as the run goes
//! checkpoint-N/    model.bin, optimizer.bin, progress.json (progress and wall time so far)
//!                  after N iterations (the newest kept)
//! status.json      how the run ended (present only when it ended)
//! ```
//! Every file is written to a temporary name in the same directory and renamed into place,
//! so a run killed at any moment leaves each file either old or new, never half written.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use optim_core::{Mlp, Optimizer, Progress, Termination};
use serde::{Deserialize, Serialize};

/// Writes `bytes` to `path` atomically (temporary file in the same directory, fsync, rename).
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let dir = path.parent().context("path without a directory")?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tmp-");
    #[cfg(unix)]
    {
        // Results are for reading by everyone, unlike tempfile's private default.
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        write(&mut w)
            .and_then(|()| Ok(w.flush()?))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("renaming into {}", path.display()))?;
    Ok(())
}

/// Writes `value` as pretty JSON atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    write_atomic(path, |w| Ok(serde_json::to_writer_pretty(w, value)?))
}

/// How a cell ended, as stored in `status.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    /// Why the run ended.
    pub termination: Termination,
    /// Iterations done and update seconds.
    pub progress: Progress,
    /// The iteration budget the run was given.
    pub iterations: usize,
    /// Wall-clock seconds spent on the iterations kept, evaluation and I/O included, summed
    /// over the runs a resumed cell took (the wall time saved with the checkpoint it resumed
    /// from plus that of the run that finished it).
    #[serde(default)]
    pub wall_seconds: f64,
    /// True when the cell resumed from a checkpoint that did not record its wall time, so
    /// `wall_seconds` counts only the last run.
    #[serde(default)]
    pub wall_partial: bool,
    /// When the run ended (RFC 3339, UTC).
    #[serde(default)]
    pub finished: String,
}

impl Status {
    /// Whether `wall_seconds` misses the runs before a resume: marked so, or shorter than the
    /// update time it contains (cells stored before checkpoints carried the wall time).
    pub fn wall_is_partial(&self) -> bool {
        self.wall_partial || self.wall_seconds < self.progress.cumulative_seconds
    }
}

/// Wall-clock time of a cell across the runs it takes: the seconds saved with the checkpoint
/// it resumed from (if any) plus the time since this run started.
#[derive(Debug, Clone, Copy)]
pub struct WallClock {
    before: Option<f64>,
    started: std::time::Instant,
}

impl WallClock {
    /// A clock for a run that started at `started`, carrying `before` seconds of earlier runs
    /// (None: unknown).
    pub fn resume(started: std::time::Instant, before: Option<f64>) -> Self {
        Self { before, started }
    }

    /// Seconds so far, counting earlier runs as zero when their time is unknown.
    pub fn seconds(&self) -> f64 {
        self.before.unwrap_or(0.0) + self.started.elapsed().as_secs_f64()
    }

    /// Whether the time of earlier runs is unknown.
    pub fn is_partial(&self) -> bool {
        self.before.is_none()
    }
}

/// What `progress.json` holds: the executor's progress and the wall time so far.
#[derive(Debug, Serialize, Deserialize)]
struct SavedProgress {
    #[serde(flatten)]
    progress: Progress,
    /// Absent in checkpoints written before wall time was saved.
    #[serde(default)]
    wall_seconds: Option<f64>,
}

/// A checkpoint read back: the model, the progress and the wall time of the runs before it.
#[derive(Debug)]
pub struct Resumed {
    /// The model's parameters.
    pub model: Mlp,
    /// Iterations done and update seconds.
    pub progress: Progress,
    /// Wall-clock seconds up to the checkpoint, when the checkpoint recorded them.
    pub wall_seconds: Option<f64>,
}

/// What a cell's directory holds towards a budget, as `runner exp --dry-run` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// The cell needs no more work (see [`CellDir::is_done`]).
    Done,
    /// Unfinished, with a checkpoint after this many iterations to resume from.
    Resumable(usize),
    /// Nothing to resume from: the cell starts at iteration 0.
    ToRun,
}

impl std::fmt::Display for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stored::Done => f.write_str("done"),
            Stored::Resumable(n) => write!(f, "resumable at iteration {n}"),
            Stored::ToRun => f.write_str("to run"),
        }
    }
}

/// One cell's directory.
#[derive(Debug, Clone)]
pub struct CellDir {
    /// The directory.
    pub path: PathBuf,
}

impl CellDir {
    /// The directory of cell `id` of experiment `experiment` under `results`.
    pub fn new(results: &Path, experiment: &str, id: &str) -> Self {
        Self {
            path: results.join(experiment).join(id),
        }
    }

    /// `metrics.csv`.
    pub fn metrics(&self) -> PathBuf {
        self.path.join("metrics.csv")
    }

    /// `config.json`.
    pub fn config(&self) -> PathBuf {
        self.path.join("config.json")
    }

    /// `status.json`.
    pub fn status_path(&self) -> PathBuf {
        self.path.join("status.json")
    }

    /// The stored status, if the run ended.
    pub fn status(&self) -> Result<Option<Status>> {
        let p = self.status_path();
        if !p.exists() {
            return Ok(None);
        }
        let text = fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
        Ok(Some(
            serde_json::from_str(&text).with_context(|| format!("parsing {}", p.display()))?,
        ))
    }

    /// True if the cell needs no more work for a budget of `iterations`.
    pub fn is_done(&self, iterations: usize) -> Result<bool> {
        Ok(match self.status()? {
            None => false,
            Some(s) => match s.termination {
                Termination::Completed => s.progress.next_iteration >= iterations,
                _ => true,
            },
        })
    }

    /// Whether a run with a budget of `iterations` would skip this cell, resume it (from its
    /// newest checkpoint) or start it; unlike [`crate::status::state`] it ignores claims, so
    /// it answers for a store without other runners.
    pub fn stored(&self, iterations: usize) -> Result<Stored> {
        Ok(if self.is_done(iterations)? {
            Stored::Done
        } else if let Some((n, _)) = self.checkpoints().pop() {
            Stored::Resumable(n)
        } else {
            Stored::ToRun
        })
    }

    /// Checkpoints present, newest last, as (iterations done, directory).
    pub fn checkpoints(&self) -> Vec<(usize, PathBuf)> {
        let mut found: Vec<(usize, PathBuf)> = fs::read_dir(&self.path)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let n = name.strip_prefix("checkpoint-")?.parse().ok()?;
                e.path().join("progress.json").exists().then(|| (n, e.path()))
            })
            .collect();
        found.sort();
        found
    }

    /// Saves model, optimizer state, progress and the wall time so far as `checkpoint-N/`,
    /// then removes older ones.
    ///
    /// The files go into a hidden temporary directory that is renamed as a whole, so a
    /// checkpoint directory either holds all three files or does not exist.
    pub fn save_checkpoint(
        &self,
        model: &Mlp,
        optimizer: &dyn Optimizer,
        progress: &Progress,
        wall_seconds: f64,
    ) -> Result<()> {
        let n = progress.next_iteration;
        let final_dir = self.path.join(format!("checkpoint-{n}"));
        if final_dir.exists() {
            return Ok(());
        }
        let tmp = tempfile::Builder::new()
            .prefix(".tmp-checkpoint-")
            .tempdir_in(&self.path)?;
        write_atomic(&tmp.path().join("model.bin"), |w| {
            Ok(optim_core::checkpoint::write(model, w)?)
        })?;
        write_atomic(&tmp.path().join("optimizer.bin"), |w| Ok(optimizer.save_state(w)?))?;
        let saved = SavedProgress {
            progress: *progress,
            wall_seconds: Some(wall_seconds),
        };
        write_json(&tmp.path().join("progress.json"), &saved)?;
        let tmp_path = tmp.keep();
        fs::rename(&tmp_path, &final_dir)
            .with_context(|| format!("renaming checkpoint into {}", final_dir.display()))?;
        for (m, old) in self.checkpoints() {
            if m < n {
                fs::remove_dir_all(&old).ok();
            }
        }
        Ok(())
    }

    /// Removes leftovers of interrupted writes (temporary files and directories).
    pub fn clean_temporaries(&self) {
        for e in fs::read_dir(&self.path).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().starts_with(".tmp-") {
                let p = e.path();
                if p.is_dir() {
                    fs::remove_dir_all(&p).ok();
                } else {
                    fs::remove_file(&p).ok();
                }
            }
        }
    }
}

/// Reads a checkpoint's model, progress and wall time and restores the optimizer state.
pub fn load_checkpoint(dir: &Path, optimizer: &mut dyn Optimizer, train: &optim_core::Dataset) -> Result<Resumed> {
    let read = |name: &str| -> Result<fs::File> {
        let p = dir.join(name);
        fs::File::open(&p).with_context(|| format!("opening {}", p.display()))
    };
    let model: Mlp = optim_core::checkpoint::read(&mut std::io::BufReader::new(read("model.bin")?))
        .with_context(|| format!("reading {}", dir.join("model.bin").display()))?;
    optimizer
        .load_state(&mut std::io::BufReader::new(read("optimizer.bin")?), &model, train)
        .with_context(|| format!("reading {}", dir.join("optimizer.bin").display()))?;
    let saved: SavedProgress = serde_json::from_reader(read("progress.json")?)
        .with_context(|| format!("reading {}", dir.join("progress.json").display()))?;
    Ok(Resumed {
        model,
        progress: saved.progress,
        wall_seconds: saved.wall_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_states_read_as_the_dry_run_lists_them() {
        assert_eq!(Stored::Done.to_string(), "done");
        assert_eq!(Stored::Resumable(6).to_string(), "resumable at iteration 6");
        assert_eq!(Stored::ToRun.to_string(), "to run");
    }

    #[test]
    fn progress_file_carries_wall_time_and_reads_older_files() {
        let saved = SavedProgress {
            progress: Progress {
                next_iteration: 7,
                cumulative_seconds: 3.5,
            },
            wall_seconds: Some(12.25),
        };
        let text = serde_json::to_string(&saved).unwrap();
        let back: SavedProgress = serde_json::from_str(&text).unwrap();
        assert_eq!(back.progress, saved.progress);
        assert_eq!(back.wall_seconds, Some(12.25));

        let older: SavedProgress = serde_json::from_str(r#"{"next_iteration":7,"cumulative_seconds":3.5}"#).unwrap();
        assert_eq!(older.progress, saved.progress);
        assert_eq!(older.wall_seconds, None);
    }

    #[test]
    fn wall_clock_adds_earlier_runs_and_knows_when_they_are_unknown() {
        let started = std::time::Instant::now();
        let resumed = WallClock::resume(started, Some(100.0));
        assert!(resumed.seconds() >= 100.0 && resumed.seconds() < 110.0);
        assert!(!resumed.is_partial());
        let unknown = WallClock::resume(started, None);
        assert!(unknown.seconds() < 10.0);
        assert!(unknown.is_partial());
    }

    #[test]
    fn status_wall_time_is_partial_when_marked_or_shorter_than_the_updates() {
        let status = |wall_seconds, wall_partial| Status {
            termination: Termination::Completed,
            progress: Progress {
                next_iteration: 10,
                cumulative_seconds: 50.0,
            },
            iterations: 10,
            wall_seconds,
            wall_partial,
            finished: String::new(),
        };
        assert!(!status(60.0, false).wall_is_partial());
        assert!(status(60.0, true).wall_is_partial());
        assert!(status(40.0, false).wall_is_partial());
    }
}
