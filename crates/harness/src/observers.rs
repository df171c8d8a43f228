//! Observers the runner plugs into the executor: metrics rows, checkpoints, progress.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use optim_core::{Control, IterationRecord, Observer, RunView, Termination};

use crate::store::{CellDir, WallClock, write_atomic};

/// Fixed metric columns, before the optimizer's diagnostics.
pub const BASE_COLUMNS: &[&str] = &[
    "iteration",
    "update_seconds",
    "cumulative_seconds",
    "train_loss",
    "train_accuracy",
    "test_loss",
    "test_accuracy",
];

/// Columns after [`BASE_COLUMNS`] when the data has a validation split.
pub const VALIDATION_COLUMNS: [&str; 2] = ["val_loss", "val_accuracy"];

/// The columns of [`BASE_COLUMNS`] that measure time: they differ between any two runs.
pub const TIMING_COLUMNS: [&str; 2] = ["update_seconds", "cumulative_seconds"];

/// Appends one CSV row per iteration to `metrics.csv`, flushed at once.
pub struct MetricsWriter<'a> {
    file: File,
    /// The validation split, evaluated (untimed) whenever the executor evaluates.
    pub validation: Option<&'a optim_core::Dataset>,
}

fn err(e: anyhow::Error) -> optim_core::OptimError {
    optim_core::OptimError::Io(std::io::Error::other(format!("{e:#}")))
}

impl MetricsWriter<'_> {
    /// Opens `path` for appending after keeping only its header and the rows of
    /// iterations `< keep` (rows written after the last checkpoint are recomputed).
    pub fn open(path: PathBuf, header: &[String], keep: usize) -> anyhow::Result<Self> {
        let header_line = header.join(",");
        let mut kept = vec![header_line.clone()];
        anyhow::ensure!(
            keep == 0 || path.exists(),
            "{} is missing but a checkpoint after {keep} iterations exists; rerun with --force",
            path.display()
        );
        if keep > 0 {
            let f = File::open(&path).with_context(|| format!("reading {}", path.display()))?;
            let mut lines = BufReader::new(f).lines();
            let first = lines.next().transpose()?.unwrap_or_default();
            anyhow::ensure!(
                first == header_line,
                "{}: its columns differ from this run's ({first} vs {header_line}); rerun with --force",
                path.display()
            );
            for (i, line) in lines.enumerate().take(keep) {
                let line = line?;
                let ok = line.split(',').count() == header.len()
                    && line.split(',').next().and_then(|v| v.parse::<usize>().ok()) == Some(i);
                anyhow::ensure!(ok, "{}: row {} is damaged; rerun with --force", path.display(), i + 2);
                kept.push(line);
            }
            anyhow::ensure!(
                kept.len() == keep + 1,
                "{}: has {} rows, the checkpoint needs {keep}",
                path.display(),
                kept.len() - 1
            );
        }
        write_atomic(&path, |w| {
            for l in &kept {
                writeln!(w, "{l}")?;
            }
            Ok(())
        })?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        Ok(Self { file, validation: None })
    }

    /// The CSV header for an optimizer reporting `diagnostics`.
    pub fn header(diagnostics: &[String]) -> Vec<String> {
        Self::header_with(diagnostics, false)
    }

    /// The CSV header for an optimizer reporting `diagnostics`, with the validation columns
    /// when the data has a split (without one, the columns are those of every older result).
    pub fn header_with(diagnostics: &[String], validation: bool) -> Vec<String> {
        let validation_columns = VALIDATION_COLUMNS.iter().filter(|_| validation);
        BASE_COLUMNS
            .iter()
            .chain(validation_columns)
            .map(|s| s.to_string())
            .chain(diagnostics.iter().cloned())
            .collect()
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl Observer for MetricsWriter<'_> {
    fn observe(&mut self, run: &RunView<'_>, r: &IterationRecord) -> optim_core::Result<Control> {
        let mut row = format!(
            "{},{},{},{},{},{},{}",
            r.iteration,
            r.update_seconds,
            r.cumulative_seconds,
            opt(r.train.map(|t| t.loss)),
            opt(r.train.map(|t| t.accuracy)),
            opt(r.test.map(|t| t.loss)),
            opt(r.test.map(|t| t.accuracy)),
        );
        if let Some(validation) = self.validation {
            // Evaluated exactly when the executor evaluates the other splits.
            let v = r.train.map(|_| run.model.evaluate(validation));
            row.push_str(&format!(",{},{}", opt(v.map(|t| t.loss)), opt(v.map(|t| t.accuracy))));
        }
        for (_, v) in r.diagnostics.iter() {
            row.push(',');
            row.push_str(&v.to_string());
        }
        row.push('\n');
        // One write call per row: a kill leaves at most a partial last row, which resume drops.
        self.file.write_all(row.as_bytes())?;
        self.file.flush()?;
        Ok(Control::Continue)
    }
}

/// Saves a checkpoint every `every` iterations and when the run ends.
pub struct Checkpointer {
    /// The cell's directory.
    pub dir: CellDir,
    /// Interval in iterations.
    pub every: usize,
    /// The cell's wall time, saved with each checkpoint.
    pub wall: WallClock,
}

impl Observer for Checkpointer {
    fn observe(&mut self, run: &RunView<'_>, r: &IterationRecord) -> optim_core::Result<Control> {
        // A diverged state is never saved: the last good checkpoint must survive it.
        let finite = r.first_non_finite().is_none() && run.model.first_non_finite().is_none();
        if finite && run.progress.next_iteration.is_multiple_of(self.every) {
            self.dir
                .save_checkpoint(run.model, run.optimizer, &run.progress, self.wall.seconds())
                .map_err(err)?;
        }
        Ok(Control::Continue)
    }

    fn finish(&mut self, run: &RunView<'_>, termination: &Termination) -> optim_core::Result<()> {
        // A diverged state is not worth resuming from; the last good checkpoint stays.
        if !matches!(termination, Termination::Diverged { .. }) {
            self.dir
                .save_checkpoint(run.model, run.optimizer, &run.progress, self.wall.seconds())
                .map_err(err)?;
        }
        Ok(())
    }
}

/// A progress bar for one cell.
pub struct ProgressReporter {
    bar: ProgressBar,
}

impl ProgressReporter {
    /// A bar for `total` iterations starting at `start`, labelled `prefix`.
    pub fn new(multi: &indicatif::MultiProgress, prefix: String, start: usize, total: usize) -> Self {
        let bar = multi.add(ProgressBar::new(total as u64));
        bar.set_style(
            ProgressStyle::with_template("{prefix:40!} {bar:25.cyan/blue} {pos:>4}/{len:4} {elapsed_precise} {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(prefix);
        bar.set_position(start as u64);
        Self { bar }
    }
}

impl Observer for ProgressReporter {
    fn observe(&mut self, _run: &RunView<'_>, r: &IterationRecord) -> optim_core::Result<Control> {
        self.bar.set_position(r.iteration as u64 + 1);
        let train = r
            .train
            .map(|t| format!("train loss {:.4} ", t.loss))
            .unwrap_or_default();
        let test = r
            .test
            .map(|t| format!("test acc {:.4} ", t.accuracy))
            .unwrap_or_default();
        let message = format!("{train}{test}{:.2} s/it", r.update_seconds);
        if self.bar.is_hidden() {
            // Not a terminal (CI, nohup): one plain line per iteration instead of a bar.
            eprintln!(
                "{} iteration {}/{}: {message}",
                self.bar.prefix(),
                r.iteration + 1,
                self.bar.length().unwrap_or(0)
            );
        }
        self.bar.set_message(message);
        Ok(Control::Continue)
    }

    fn finish(&mut self, _run: &RunView<'_>, termination: &Termination) -> optim_core::Result<()> {
        let status = match termination {
            Termination::Completed => "done".to_owned(),
            Termination::TimeBudget => "time budget used".to_owned(),
            Termination::Diverged { iteration, what } => format!("DIVERGED at iteration {iteration} ({what})"),
            Termination::Stopped { reason } => format!("stopped: {reason}"),
        };
        self.bar
            .finish_with_message(format!("{} | {status}", self.bar.message()));
        Ok(())
    }
}
