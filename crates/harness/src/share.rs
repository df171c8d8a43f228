//! Sharing a store among concurrent runners: each cell runs under a claim (see `claim.rs`),
//! cells another runner holds are set aside and looked at again once this runner's own work
//! is done (their owner may have died meanwhile), and every run of a cell is logged.
//!
//! `runs.jsonl` in the cell directory gets one line when a runner starts the cell and one
//! when it ends it (`finished` or `failed`), so how often a cell ran, where, and from which
//! iteration can be read back after the fact.

use std::collections::VecDeque;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use optim_core::{Control, IterationRecord, Observer, RunView};
use serde::Serialize;

use crate::cells::Cell;
use crate::claim::{self, Acquired, Holder, Policy};
use crate::store::{CellDir, Status};

/// Cells to run, with the ones other runners held set aside for another look.
pub struct WorkQueue<T> {
    state: Mutex<QueueState<T>>,
}

struct QueueState<T> {
    pending: VecDeque<T>,
    held: Vec<T>,
    /// Whether any cell was claimed since the held ones were last put back: looking again
    /// is worth it only while this runner gets work (else it would spin on live claims).
    claimed_since_retry: bool,
}

impl<T> WorkQueue<T> {
    /// A queue of `items`, in order.
    pub fn new(items: impl IntoIterator<Item = T>) -> Self {
        Self {
            state: Mutex::new(QueueState {
                pending: items.into_iter().collect(),
                held: Vec::new(),
                claimed_since_retry: true,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState<T>> {
        // A worker that panicked leaves a consistent queue: items are moved whole.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next cell to try, or None when every cell was run or is held by a live runner
    /// that was still alive at the last look.
    pub fn next(&self) -> Option<T> {
        let mut s = self.lock();
        if s.pending.is_empty() && !s.held.is_empty() && s.claimed_since_retry {
            let held = std::mem::take(&mut s.held);
            s.pending.extend(held);
            s.claimed_since_retry = false;
        }
        s.pending.pop_front()
    }

    /// Sets `item` aside: another runner holds it.
    pub fn held(&self, item: T) {
        self.lock().held.push(item);
    }

    /// Notes that this runner claimed a cell.
    pub fn claimed(&self) {
        self.lock().claimed_since_retry = true;
    }

    /// The cells still held by other runners at the end.
    pub fn into_held(self) -> Vec<T> {
        self.state.into_inner().unwrap_or_else(|p| p.into_inner()).held
    }
}

/// Stops a run (with an error, so no status is written) once another runner has taken the
/// cell over: one writer per cell, even after a pause longer than the stale age.
pub struct ClaimGuard {
    lost: Arc<AtomicBool>,
}

impl Observer for ClaimGuard {
    fn observe(&mut self, _run: &RunView<'_>, _record: &IterationRecord) -> optim_core::Result<Control> {
        if self.lost.load(Ordering::SeqCst) {
            return Err(optim_core::OptimError::Io(std::io::Error::other(
                "another runner took this cell over (this one was silent longer than the stale age); stopping",
            )));
        }
        Ok(Control::Continue)
    }
}

/// One line of `runs.jsonl`.
#[derive(Serialize)]
struct RunEvent<'a> {
    event: &'a str,
    host: String,
    pid: u32,
    at: String,
    /// Claim generation the run held.
    claim: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    from_iteration: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    took_over: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

/// Appends `event` to `runs.jsonl` in one write, so concurrent appends never interleave.
fn log(dir: &CellDir, event: &RunEvent<'_>) -> Result<()> {
    let path = dir.path.join("runs.jsonl");
    let mut line = serde_json::to_vec(event)?;
    line.push(b'\n');
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(&line))
        .with_context(|| format!("appending to {}", path.display()))
}

/// What [`run_claimed`] did with a cell.
pub enum Outcome {
    /// Ran it (to its end or to an error).
    Ran(Result<Status>),
    /// Another runner holds it.
    Held(Holder),
    /// It was finished by another runner between the first look and the claim.
    AlreadyDone,
}

/// Claims `dir` and, if it is still unfinished with a budget of `iterations`, runs it with
/// `run` (which gets the guard to add to its observers); releases the claim whatever happens
/// short of a kill.
pub fn run_claimed(
    dir: &CellDir,
    iterations: usize,
    policy: &Policy,
    run: impl FnOnce(&mut (dyn Observer + Send)) -> Result<Status>,
) -> Result<Outcome> {
    let claim = match claim::acquire(&dir.path, policy)? {
        Acquired::Held(holder) => return Ok(Outcome::Held(holder)),
        Acquired::Claimed(c) => c,
    };
    // Another runner may have finished the cell after our first look and released it.
    if dir.is_done(iterations)? {
        claim.release()?;
        return Ok(Outcome::AlreadyDone);
    }
    let generation = claim
        .path()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let event = |event, from_iteration, took_over, detail| RunEvent {
        event,
        host: claim::host_name(),
        pid: std::process::id(),
        at: crate::provenance::now_utc(),
        claim: &generation,
        from_iteration,
        took_over,
        detail,
    };
    let took_over = claim.took_over.clone();
    let from = dir.checkpoints().last().map_or(0, |(n, _)| *n);
    log(dir, &event("started", Some(from), took_over, None))?;
    let mut guard = ClaimGuard {
        lost: claim.lost_flag(),
    };
    let result = run(&mut guard);
    let end = match &result {
        Ok(status) => event("finished", Some(status.progress.next_iteration), None, None),
        Err(e) => event("failed", None, None, Some(format!("{e:#}"))),
    };
    log(dir, &end)?;
    claim.release()?;
    Ok(Outcome::Ran(result))
}

/// Whether a live runner holds `dir` (so that `--force` leaves it alone rather than delete
/// files under a running cell).
pub fn held_elsewhere(dir: &CellDir, policy: &Policy) -> bool {
    matches!(
        claim::inspect(&dir.path, policy).1,
        Holder::Live(_) | Holder::Unreadable
    )
}

/// Says that `cell` is left to the runner holding it (for now: it is looked at again).
pub fn note_held(multi: &indicatif::MultiProgress, cell: &Cell, holder: &Holder) {
    let owner = match holder {
        Holder::Live(info) => info.owner(),
        _ => "another runner".into(),
    };
    // Through suspend, not println: progress bars hide println when stderr is no terminal.
    multi.suspend(|| eprintln!("skip {} seed {} (claimed by {owner})", cell.label, cell.seed_index));
}

/// Tells which cells other runners still held when this one ran out of work.
pub fn report_held(experiment: &str, cells: &[&Cell]) {
    if cells.is_empty() {
        return;
    }
    let labels: Vec<String> = cells
        .iter()
        .map(|c| format!("{} seed {}", c.label, c.seed_index))
        .collect();
    eprintln!(
        "left to other runners ({} cells): {}; `runner status {experiment}` shows their progress",
        cells.len(),
        labels.join(", ")
    );
}

/// Reads the events of `runs.jsonl` under `dir` as (event, whole line) pairs.
pub fn run_events(dir: &Path) -> Vec<(String, serde_json::Value)> {
    std::fs::read_to_string(dir.join("runs.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| (v["event"].as_str().unwrap_or_default().to_owned(), v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_cells_come_back_while_this_runner_gets_work() {
        let q = WorkQueue::new([1, 2, 3]);
        assert_eq!(q.next(), Some(1));
        q.held(1);
        assert_eq!(q.next(), Some(2));
        q.claimed();
        assert_eq!(q.next(), Some(3));
        q.held(3);
        // Cell 2 was claimed since the start: look at 1 and 3 again.
        assert_eq!(q.next(), Some(1));
        q.held(1);
        assert_eq!(q.next(), Some(3));
        q.held(3);
        // Nothing claimed in that round: stop instead of spinning.
        assert_eq!(q.next(), None);
        assert_eq!(q.into_held(), vec![1, 3]);
    }
}
