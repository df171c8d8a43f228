//! `runner slurm NAME`: a Slurm batch script for an experiment, submitted with `--submit`.
//!
//! Two shapes: a job array whose task K runs shard K/N (`--array N`; the scheduler starts
//! tasks as nodes free up, and a dependent job draws the summary once all tasks ended), or
//! one job of N workers started by `srun` that share the store through claims (`--workers
//! N`; the script draws the summary after them). Either way every process claims each cell
//! before running it, so a resubmission, a requeued task or an extra runner never runs a
//! cell twice, and a task killed by the scheduler leaves a claim the next runner takes over.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use clap::Args;

use crate::manifest::{Invocation, shell_line, shell_quote};

/// `runner slurm NAME`.
#[derive(Args)]
pub struct SlurmArgs {
    /// Experiment name (a file experiments/NAME.toml) or a path to a .toml file.
    pub name: String,
    /// A job array of N tasks, task K running shard K/N (the default, with N = 2).
    #[arg(long, value_name = "N", conflicts_with = "workers")]
    pub array: Option<usize>,
    /// One job of N workers (`srun`) sharing the store instead of an array.
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// CPUs per array task or worker; each runs its cells with that many threads.
    #[arg(long, default_value_t = 1)]
    pub cpus_per_task: usize,
    /// Time limit per task or job, as sbatch takes it (e.g. `2:00:00`).
    #[arg(long)]
    pub time: Option<String>,
    /// Partition to submit to.
    #[arg(long)]
    pub partition: Option<String>,
    /// Another sbatch option, repeatable (e.g. `--sbatch --mem=8G --sbatch --account=ml`).
    #[arg(long = "sbatch", value_name = "OPTION", allow_hyphen_values = true)]
    pub sbatch: Vec<String>,
    /// A shell line run before the runner, repeatable (e.g. `module load gcc`).
    #[arg(long = "setup", value_name = "LINE")]
    pub setup: Vec<String>,
    /// Directory holding the datasets, as the compute nodes see it (default: $DLADMM_DATA
    /// of the submitting shell, which sbatch passes on).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The runner binary as the compute nodes see it (default: this binary).
    #[arg(long)]
    pub runner: Option<PathBuf>,
    /// Where to write the script (default: <results>/NAME/slurm/NAME.sbatch).
    #[arg(long)]
    pub script: Option<PathBuf>,
    /// Submit the script with sbatch (and, for an array, the summary job after it).
    #[arg(long)]
    pub submit: bool,
    /// With --submit: return only when the jobs have ended (sbatch --wait), failing if they did.
    #[arg(long, requires = "submit")]
    pub wait: bool,
}

/// The shape of the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A job array of this many tasks over as many shards.
    Array(usize),
    /// One job of this many workers on the shared store.
    Workers(usize),
}

impl SlurmArgs {
    fn shape(&self) -> Result<Shape> {
        let shape = match (self.array, self.workers) {
            (_, Some(n)) => Shape::Workers(n),
            (Some(n), None) => Shape::Array(n),
            (None, None) => Shape::Array(2),
        };
        let (Shape::Array(n) | Shape::Workers(n)) = shape;
        ensure!(n >= 1, "--array and --workers need at least 1, got {n}");
        ensure!(self.cpus_per_task >= 1, "--cpus-per-task needs at least 1");
        Ok(shape)
    }

    /// Extra options as sbatch takes them on its command line (`#SBATCH ` stripped).
    fn extra_options(&self) -> Vec<String> {
        self.sbatch
            .iter()
            .map(|o| o.trim().trim_start_matches("#SBATCH").trim().to_owned())
            .filter(|o| !o.is_empty())
            .collect()
    }

    /// Options shared by the work and the summary job: partition, time, extra lines.
    fn common_options(&self) -> Vec<String> {
        let mut options = Vec::new();
        if let Some(p) = &self.partition {
            options.push(format!("--partition={p}"));
        }
        if let Some(t) = &self.time {
            options.push(format!("--time={t}"));
        }
        options.extend(self.extra_options());
        options
    }
}

/// The batch script for `experiment` in `shape`, logging into `logs`.
pub fn script(
    args: &SlurmArgs,
    shape: Shape,
    experiment: &str,
    invocation: &Invocation,
    logs: &Path,
) -> Result<String> {
    let logs = logs.to_string_lossy();
    let mut s = String::from("#!/bin/bash\n");
    s.push_str(&format!("# `runner slurm {experiment}`: "));
    s.push_str(match shape {
        Shape::Array(_) => "task K of the array runs shard K/N; each claims its cells first.\n",
        Shape::Workers(_) => "N workers share the store, each claiming the cells it runs.\n",
    });
    let mut options = vec![format!("--job-name={experiment}")];
    match shape {
        Shape::Array(n) => {
            options.push(format!("--array=1-{n}"));
            options.push("--ntasks=1".into());
            options.push(format!("--output={logs}/%x-%A_%a.out"));
        }
        Shape::Workers(n) => {
            options.push(format!("--ntasks={n}"));
            options.push(format!("--output={logs}/%x-%j.out"));
        }
    }
    options.push(format!("--cpus-per-task={}", args.cpus_per_task));
    options.extend(args.common_options());
    for o in &options {
        ensure!(!o.contains('\n'), "sbatch option `{o}` spans lines");
        s.push_str(&format!("#SBATCH {o}\n"));
    }
    s.push_str("set -euo pipefail\n");
    for line in &args.setup {
        s.push_str(line);
        s.push('\n');
    }
    let threads = args.cpus_per_task.to_string();
    match shape {
        Shape::Array(n) => {
            let run = shell_line(&invocation.argv("exp", &["--threads", &threads, "--no-summary", "--shard"]));
            s.push_str(&format!("{run} \"$SLURM_ARRAY_TASK_ID/{n}\"\n"));
        }
        Shape::Workers(n) => {
            let run = shell_line(&invocation.argv("exp", &["--threads", &threads, "--no-summary"]));
            s.push_str(&format!(
                "srun --ntasks={n} --cpus-per-task={} {run}\n",
                args.cpus_per_task
            ));
            s.push_str(&shell_line(&invocation.argv("plot", &[])));
            s.push('\n');
        }
    }
    Ok(s)
}

/// Runs sbatch with `options`, returning the job id (`--parsable` prints `ID[;CLUSTER]`).
fn sbatch(options: &[String]) -> Result<String> {
    let out = Command::new("sbatch")
        .arg("--parsable")
        .args(options)
        .output()
        .context("running sbatch (is Slurm installed and on PATH?)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "sbatch {} failed ({}): {}{}",
            options.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            stdout.trim()
        );
    }
    let id = stdout.trim().split(';').next().unwrap_or_default().to_owned();
    ensure!(!id.is_empty(), "sbatch printed no job id");
    Ok(id)
}

/// `runner slurm NAME`: writes the script, and submits it with `--submit`.
pub fn run(layout: &crate::Layout, args: &SlurmArgs) -> Result<()> {
    let exp = crate::experiment::Experiment::load(&layout.root, &args.name)?;
    let shape = args.shape()?;
    let invocation = Invocation::new(layout, &args.name, args.data_dir.as_deref(), args.runner.as_deref())?;
    let logs = invocation.results.join(&exp.name).join("slurm");
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let path = match &args.script {
        Some(p) => std::path::absolute(p)?,
        None => logs.join(format!("{}.sbatch", exp.name)),
    };
    let text = script(args, shape, &exp.name, &invocation, &logs)?;
    crate::store::write_atomic(&path, |w| Ok(w.write_all(text.as_bytes())?))?;
    println!("script:  {}", path.display());
    let summary = shell_line(&invocation.argv("plot", &[]));
    if !args.submit {
        println!("submit:  sbatch {}", shell_quote(&path.to_string_lossy()));
        if let Shape::Array(_) = shape {
            println!("then, once the array has ended: {summary}");
        }
        return Ok(());
    }
    let wait = if args.wait { vec!["--wait".to_owned()] } else { vec![] };
    match shape {
        Shape::Workers(_) => {
            let mut options = wait;
            options.push(path.to_string_lossy().into_owned());
            let id = sbatch(&options)?;
            println!("job:     {id} ({} workers)", invocation_count(shape));
        }
        Shape::Array(_) => {
            let id = sbatch(&[path.to_string_lossy().into_owned()])?;
            println!("job:     {id} (array of {})", invocation_count(shape));
            let mut options = vec![
                format!("--dependency=afterany:{id}"),
                format!("--job-name={}-summary", exp.name),
                format!("--output={}/%x-%j.out", logs.display()),
                "--ntasks=1".into(),
            ];
            options.extend(args.common_options());
            options.extend(wait);
            options.push(format!("--wrap={summary}"));
            let summary_id = sbatch(&options)?;
            println!("summary: {summary_id} (runs after {id})");
        }
    }
    if args.wait {
        println!("ended; `runner status {}` shows every cell", args.name);
    }
    Ok(())
}

fn invocation_count(shape: Shape) -> usize {
    match shape {
        Shape::Array(n) | Shape::Workers(n) => n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SlurmArgs,
    }

    fn invocation() -> Invocation {
        Invocation {
            runner: "/opt/bench/runner".into(),
            root: "/shared/bench".into(),
            results: "/shared/bench/results".into(),
            plots: "/shared/bench/plots".into(),
            experiment: "mnist".into(),
            data_dir: None,
        }
    }

    fn script_for(flags: &[&str]) -> String {
        let cli = Cli::try_parse_from(std::iter::once("slurm").chain(flags.iter().copied())).unwrap();
        let shape = cli.args.shape().unwrap();
        script(&cli.args, shape, "mnist", &invocation(), Path::new("/shared/logs")).unwrap()
    }

    #[test]
    fn an_array_runs_one_shard_per_task() {
        let s = script_for(&[
            "mnist",
            "--array",
            "4",
            "--cpus-per-task",
            "8",
            "--time",
            "1:00:00",
            "--partition",
            "gpu",
            "--sbatch",
            "--mem=8G",
            "--sbatch",
            "#SBATCH --account=ml",
        ]);
        for line in [
            "#SBATCH --array=1-4",
            "#SBATCH --cpus-per-task=8",
            "#SBATCH --time=1:00:00",
            "#SBATCH --partition=gpu",
            "#SBATCH --mem=8G",
            "#SBATCH --account=ml",
            "#SBATCH --output=/shared/logs/%x-%A_%a.out",
        ] {
            assert!(s.lines().any(|l| l == line), "no `{line}` in\n{s}");
        }
        let run = s.lines().last().unwrap();
        assert_eq!(
            run,
            "/opt/bench/runner --root /shared/bench --results /shared/bench/results --plots /shared/bench/plots \
             exp mnist --threads 8 --no-summary --shard \"$SLURM_ARRAY_TASK_ID/4\""
        );
        // Every option line comes before the first command, or sbatch ignores it.
        let first_command = s.lines().position(|l| !l.starts_with('#')).unwrap();
        assert!(s.lines().skip(first_command).all(|l| !l.starts_with("#SBATCH")));
    }

    #[test]
    fn workers_share_the_store_and_then_draw_the_summary() {
        let s = script_for(&["mnist", "--workers", "3", "--setup", "module load gcc"]);
        assert!(s.lines().any(|l| l == "#SBATCH --ntasks=3"), "{s}");
        assert!(!s.contains("--array"), "{s}");
        assert!(s.lines().any(|l| l == "module load gcc"), "{s}");
        let lines: Vec<&str> = s.lines().collect();
        let srun = lines[lines.len() - 2];
        assert!(
            srun.starts_with("srun --ntasks=3 --cpus-per-task=1 /opt/bench/runner "),
            "{srun}"
        );
        assert!(srun.ends_with("exp mnist --threads 1 --no-summary"), "{srun}");
        assert!(lines[lines.len() - 1].ends_with("plot mnist"), "{s}");
    }

    #[test]
    fn array_and_workers_exclude_each_other() {
        assert!(Cli::try_parse_from(["slurm", "x", "--array", "2", "--workers", "2"]).is_err());
        assert!(
            Cli::try_parse_from(["slurm", "x", "--wait"]).is_err(),
            "--wait needs --submit"
        );
    }
}
