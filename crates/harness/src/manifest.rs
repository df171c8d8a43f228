//! Commands that other engines run: `runner exp NAME --manifest` prints one JSON line per
//! cell still to run, each holding the exact command that runs that cell alone on the
//! shared store (GNU parallel, HTCondor, Kubernetes Indexed Jobs or `xargs -P` take such a
//! list); `runner slurm` builds its job scripts from the same command.
//!
//! The commands carry absolute paths, claim their cell before running it (so a list run
//! twice, or beside other runners, still runs each cell once) and skip the summary, which
//! `runner plot NAME` draws once they are all done.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::cells::Cell;
use crate::claim::Policy;
use crate::status::{CellState, state};

/// How to call the runner from anywhere: the binary and every path absolute.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The `runner` binary.
    pub runner: PathBuf,
    /// Project root.
    pub root: PathBuf,
    /// Results directory (the shared store).
    pub results: PathBuf,
    /// Plots directory.
    pub plots: PathBuf,
    /// The experiment as `runner exp` takes it: a name, or an absolute path to a .toml file.
    pub experiment: String,
    /// `--data-dir`, if given.
    pub data_dir: Option<PathBuf>,
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("making {} absolute", path.display()))
}

impl Invocation {
    /// The invocation of this binary on `layout`, for experiment `name_or_path` as the user
    /// gave it; `runner` overrides the binary (e.g. its path on the compute nodes).
    pub fn new(
        layout: &crate::Layout,
        name_or_path: &str,
        data_dir: Option<&Path>,
        runner: Option<&Path>,
    ) -> Result<Self> {
        let runner = match runner {
            Some(r) => absolute(r)?,
            None => std::env::current_exe().context("finding the runner binary")?,
        };
        let experiment = if name_or_path.ends_with(".toml") {
            absolute(Path::new(name_or_path))?.to_string_lossy().into_owned()
        } else {
            name_or_path.to_owned()
        };
        Ok(Self {
            runner,
            root: absolute(&layout.root)?,
            results: absolute(&layout.results)?,
            plots: absolute(&layout.plots)?,
            experiment,
            data_dir: data_dir.map(absolute).transpose()?,
        })
    }

    /// `runner --root R --results S --plots P SUBCOMMAND EXPERIMENT [--data-dir D] ARGS...`.
    pub fn argv(&self, subcommand: &str, args: &[&str]) -> Vec<String> {
        let path = |p: &Path| p.to_string_lossy().into_owned();
        let mut argv = vec![
            path(&self.runner),
            "--root".into(),
            path(&self.root),
            "--results".into(),
            path(&self.results),
            "--plots".into(),
            path(&self.plots),
            subcommand.into(),
            self.experiment.clone(),
        ];
        if let (Some(d), "exp") = (&self.data_dir, subcommand) {
            argv.extend(["--data-dir".into(), path(d)]);
        }
        argv.extend(args.iter().map(|a| a.to_string()));
        argv
    }
}

/// `word` quoted for a POSIX shell, left bare when it needs no quotes.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:,+@%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// `argv` as one shell command line.
pub fn shell_line(argv: &[String]) -> String {
    argv.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" ")
}

/// One line of the manifest.
#[derive(Serialize)]
struct Entry<'a> {
    experiment: &'a str,
    cell: &'a str,
    label: &'a str,
    seed: usize,
    /// pending, resumable, running or stale.
    state: &'a str,
    /// The command as arguments (for engines that take a list).
    argv: Vec<String>,
    /// The same command for a POSIX shell.
    command: String,
}

/// Writes one JSON line per cell of `cells` that is not finished; `threads` goes into each
/// command. Returns how many lines were written.
pub fn write(
    out: &mut dyn Write,
    experiment: &str,
    cells: &[Cell],
    invocation: &Invocation,
    threads: Option<usize>,
    policy: &Policy,
) -> Result<usize> {
    let mut written = 0;
    for cell in cells {
        let state_name = match state(&invocation.results, experiment, cell, policy)? {
            CellState::Done(_) => continue,
            CellState::Running(_) => "running",
            CellState::Stale(_) => "stale",
            CellState::Pending { resumable_at: Some(_) } => "resumable",
            CellState::Pending { resumable_at: None } => "pending",
        };
        let threads = threads.map(|t| t.to_string());
        let mut args = vec!["--cell", cell.id.as_str(), "--no-summary"];
        if let Some(t) = &threads {
            args.extend(["--threads", t.as_str()]);
        }
        let argv = invocation.argv("exp", &args);
        let entry = Entry {
            experiment,
            cell: &cell.id,
            label: &cell.label,
            seed: cell.seed_index,
            state: state_name,
            command: shell_line(&argv),
            argv,
        };
        serde_json::to_writer(&mut *out, &entry)?;
        writeln!(out)?;
        written += 1;
    }
    Ok(written)
}

/// `runner exp NAME --manifest`: the lines for `cells` of experiment `experiment`, given
/// as `name_or_path`, on standard output.
pub fn print(
    layout: &crate::Layout,
    name_or_path: &str,
    experiment: &str,
    cells: &[Cell],
    data_dir: Option<&Path>,
    threads: Option<usize>,
) -> Result<()> {
    let invocation = Invocation::new(layout, name_or_path, data_dir, None)?;
    let policy = Policy::from_env()?;
    let n = write(
        &mut std::io::stdout().lock(),
        experiment,
        cells,
        &invocation,
        threads,
        &policy,
    )?;
    eprintln!("{n} cells to run; afterwards: runner plot {name_or_path}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_spaces_and_quotes() {
        assert_eq!(shell_quote("/a/b-c.toml"), "/a/b-c.toml");
        assert_eq!(shell_quote("two words"), "'two words'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "printf '%s|' {}",
                shell_line(&["a b".into(), "it's".into(), "$HOME".into()])
            ))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "a b|it's|$HOME|");
    }
}
