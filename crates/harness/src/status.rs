//! Where an experiment stands on a store that several runners share: cells done, running
//! (and where), left by a runner that died, and waiting; and the mark that keeps summaries
//! and plots from passing an unfinished cell off as a finished one.

use std::path::Path;

use anyhow::Result;
use clap::Args;

use crate::cells::Cell;
use crate::claim::{self, ClaimInfo, Holder, Policy};
use crate::results::CellResult;
use crate::store::{CellDir, Status};

/// `runner status NAME`.
#[derive(Args)]
pub struct StatusArgs {
    /// Experiment name (a file experiments/NAME.toml) or a path to a .toml file.
    pub name: String,
}

/// Where one cell stands.
#[derive(Debug)]
pub enum CellState {
    /// Ended (completed its budget, diverged, stopped or ran out of time).
    Done(Status),
    /// A live runner holds it (None: one that is still writing its claim file).
    Running(Option<ClaimInfo>),
    /// Claimed by a runner that is gone (the reason says how that shows); the next runner
    /// takes it over.
    Stale(String),
    /// Nobody works on it; `resumable_at` is its newest checkpoint.
    Pending {
        /// Iterations a checkpoint already holds.
        resumable_at: Option<usize>,
    },
}

/// The state of `cell` under `results/<experiment>/`.
pub fn state(results: &Path, experiment: &str, cell: &Cell, policy: &Policy) -> Result<CellState> {
    let dir = CellDir::new(results, experiment, &cell.id);
    if dir.is_done(cell.iterations)?
        && let Some(status) = dir.status()?
    {
        return Ok(CellState::Done(status));
    }
    Ok(match claim::inspect(&dir.path, policy).1 {
        Holder::Live(info) => CellState::Running(Some(info)),
        Holder::Stale(reason) => CellState::Stale(reason),
        Holder::Unreadable => CellState::Running(None),
        Holder::Free | Holder::Released(_) => CellState::Pending {
            resumable_at: dir.checkpoints().last().map(|(n, _)| *n),
        },
    })
}

/// Iterations written to `metrics.csv` so far (complete rows only).
fn rows_written(dir: &CellDir) -> usize {
    std::fs::read_to_string(dir.metrics())
        .map(|t| t.lines().skip(1).filter(|l| !l.is_empty()).count())
        .unwrap_or(0)
}

/// Prints one line per cell and the counts: done, running, stale, pending.
pub fn print(results: &Path, experiment: &str, cells: &[Cell], policy: &Policy) -> Result<()> {
    let (mut done, mut running, mut stale, mut pending) = (0, 0, 0, 0);
    for cell in cells {
        let dir = CellDir::new(results, experiment, &cell.id);
        let runs = crate::share::run_events(&dir.path)
            .iter()
            .filter(|(e, _)| e == "started")
            .count();
        let line = match state(results, experiment, cell, policy)? {
            CellState::Done(s) => {
                done += 1;
                format!(
                    "done      {} iterations, {} (runs: {runs})",
                    s.progress.next_iteration,
                    termination_name(&s)
                )
            }
            CellState::Running(info) => {
                running += 1;
                let owner = match info {
                    Some(info) => format!(
                        "{} since {}, heartbeat {:.0} s ago",
                        info.owner(),
                        info.started,
                        info.heartbeat_age()
                    ),
                    None => "a runner that is writing its claim".into(),
                };
                format!(
                    "running   {owner}, iteration {}/{}",
                    rows_written(&dir),
                    cell.iterations
                )
            }
            CellState::Stale(reason) => {
                stale += 1;
                let at = dir.checkpoints().last().map_or(0, |(n, _)| *n);
                format!("stale     {reason}; the next runner resumes it at iteration {at}")
            }
            CellState::Pending { resumable_at } => {
                pending += 1;
                match resumable_at {
                    Some(n) => format!("pending   resumable at iteration {n}"),
                    None => "pending".to_owned(),
                }
            }
        };
        println!("{}  {:<40} seed {}  {line}", cell.id, cell.label, cell.seed_index);
    }
    println!(
        "{} cells: {done} done, {running} running, {stale} stale (runner gone), {pending} pending",
        cells.len()
    );
    Ok(())
}

fn termination_name(status: &Status) -> String {
    serde_json::to_value(&status.termination)
        .ok()
        .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "ended".into())
}

/// Marks every configuration with an unfinished seed in its label (which summaries, plots
/// and reports show): `[running: k of n seeds]` when a live runner holds one of them, else
/// `[unfinished: k of n seeds]`. Returns how many cells are unfinished.
pub fn mark_unfinished(
    results: &mut [CellResult],
    results_dir: &Path,
    experiment: &str,
    policy: &Policy,
) -> Result<usize> {
    let mut unfinished: Vec<(String, bool)> = Vec::new();
    for r in results.iter() {
        let dir = CellDir::new(results_dir, experiment, &r.cell.id);
        if dir.is_done(r.cell.iterations)? {
            continue;
        }
        let running = matches!(
            claim::inspect(&dir.path, policy).1,
            Holder::Live(_) | Holder::Unreadable
        );
        unfinished.push((r.cell.id.clone(), running));
    }
    let mut marks = Vec::with_capacity(results.len());
    for r in results.iter() {
        let group: Vec<&String> = results
            .iter()
            .filter(|o| o.cell.config_key == r.cell.config_key)
            .map(|o| &o.cell.id)
            .collect();
        let open: Vec<&(String, bool)> = unfinished.iter().filter(|(id, _)| group.contains(&id)).collect();
        marks.push(match open.len() {
            0 => None,
            k => {
                let what = if open.iter().any(|(_, running)| *running) {
                    "running"
                } else {
                    "unfinished"
                };
                Some(format!(" [{what}: {k} of {} seeds]", group.len()))
            }
        });
    }
    for (r, mark) in results.iter_mut().zip(marks) {
        if let Some(mark) = mark {
            r.cell.label.push_str(&mark);
        }
    }
    Ok(unfinished.len())
}
