//! `runner`: runs experiment matrices of optimizers, stores results, draws plots.
//!
//! ```text
//! runner exp mnist            # run experiments/mnist.toml, write results/mnist/ and plots/mnist/
//! runner plot mnist           # redraw plots/mnist/ from results/mnist/ without training
//! runner list                 # optimizers, datasets, experiments
//! ```

mod bench;
mod cells;
mod chart;
mod claim;
mod data;
mod execute;
mod experiment;
mod manifest;
mod observers;
mod paper;
mod plots;
mod profiles;
mod provenance;
mod registry;
mod replay;
mod report;
mod results;
mod shard;
mod share;
mod slurm;
mod stats;
mod status;
mod store;
mod summary;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::experiment::Experiment;

/// Train MLPs with dlADMM and its competitors on the same data, measure them side by side,
/// and draw the result.
#[derive(Parser)]
#[command(name = "runner", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    paths: Paths,
}

/// Where things are.
#[derive(Args, Clone)]
struct Paths {
    /// Project root holding experiments/ (default: the nearest ancestor of the current
    /// directory that has one).
    #[arg(long, global = true)]
    root: Option<PathBuf>,
    /// Results directory (default: <root>/results).
    #[arg(long, global = true)]
    results: Option<PathBuf>,
    /// Plots directory (default: <root>/plots).
    #[arg(long, global = true)]
    plots: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run experiments/NAME.toml: every cell not yet finished, then the summary and plots.
    Exp(ExpArgs),
    /// Redraw the plots and summary of an experiment from stored results, without training.
    Plot(PlotArgs),
    /// Copy finished cells of an experiment from other results directories (shards), then
    /// redraw the summary and plots.
    Merge(MergeArgs),
    /// Reproduce a figure or table of the paper (runs resumably, draws it with the paper's
    /// curves overlaid, writes results/paper/ITEM.md and the index results/paper/REPORT.md).
    Paper(paper::PaperArgs),
    /// Write results/NAME/report.html: summary, configurations and every plot in one page.
    Report(PlotArgs),
    /// Write a Slurm batch script for an experiment (a job array over shards, or workers
    /// sharing the store) and, with --submit, submit it.
    Slurm(slurm::SlurmArgs),
    /// Show which cells of an experiment are done, running (where), stale or pending.
    Status(status::StatusArgs),
    /// List optimizers, datasets and experiments.
    List,
    /// Speed measurements at the paper's sizes.
    Bench {
        /// Threads (default: all cores).
        #[arg(long, global = true)]
        threads: Option<usize>,
        #[command(subcommand)]
        bench: bench::Bench,
    },
}

#[derive(Args)]
struct ExpArgs {
    /// Experiment name (a file experiments/NAME.toml) or a path to a .toml file.
    name: String,
    /// Directory holding <dataset>/<file>.gz (default: $DLADMM_DATA, else the user cache,
    /// downloading on first use).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// List the cells and which are finished, then stop.
    #[arg(long)]
    dry_run: bool,
    /// Rerun finished cells from scratch.
    #[arg(long)]
    force: bool,
    /// Threads in total (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Cells to run at once; threads are split between them (default 1: timings stay comparable).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// What the band around each mean shows.
    #[arg(long, value_enum, default_value_t)]
    band: plots::Band,
    /// Run only the cells whose label contains this text (e.g. `--only dlADMM`).
    #[arg(long)]
    only: Option<String>,
    /// Run only shard K of N (e.g. `--shard 2/4`); gather the shards with `runner merge`.
    #[arg(long)]
    shard: Option<shard::Shard>,
    /// Run only the cell with this id (as `--dry-run`, `--manifest` and `runner status` show).
    #[arg(long, value_name = "ID")]
    cell: Option<String>,
    /// Print one JSON line per unfinished cell holding the command that runs it, then stop
    /// (for GNU parallel, HTCondor, Kubernetes Indexed Jobs, xargs -P; then `runner plot`).
    #[arg(long, conflicts_with = "dry_run")]
    manifest: bool,
    /// Skip the summary and plots (when many runners share the store, draw them once with
    /// `runner plot NAME` after all have ended).
    #[arg(long)]
    no_summary: bool,
}

#[derive(Args)]
struct MergeArgs {
    /// Experiment name.
    name: String,
    /// Results directories of other machines or shards (each holding NAME/<cell-id>/).
    #[arg(required = true)]
    from: Vec<PathBuf>,
    /// What the band around each mean shows.
    #[arg(long, value_enum, default_value_t)]
    band: plots::Band,
}

#[derive(Args)]
struct PlotArgs {
    /// Experiment name.
    name: String,
    /// What the band around each mean shows.
    #[arg(long, value_enum, default_value_t)]
    band: plots::Band,
}

/// Where the project's inputs and outputs live.
pub struct Layout {
    root: PathBuf,
    results: PathBuf,
    plots: PathBuf,
}

fn layout(paths: &Paths) -> Result<Layout> {
    let root = match &paths.root {
        Some(r) => r.clone(),
        None => {
            let cwd = std::env::current_dir()?;
            cwd.ancestors()
                .find(|d| d.join("experiments").is_dir())
                .map(Path::to_path_buf)
                .unwrap_or(cwd)
        }
    };
    Ok(Layout {
        results: paths.results.clone().unwrap_or_else(|| root.join("results")),
        plots: paths.plots.clone().unwrap_or_else(|| root.join("plots")),
        root,
    })
}

fn finish(exp: &Experiment, cells: &[cells::Cell], layout: &Layout, band: plots::Band) -> Result<()> {
    draw(exp, cells, layout, band).map(|_| ())
}

/// Summary and plots from stored results; returns the summary rows, results and plot stems.
fn draw(
    exp: &Experiment,
    cells: &[cells::Cell],
    layout: &Layout,
    band: plots::Band,
) -> Result<(Vec<summary::Row>, Vec<results::CellResult>, Vec<PathBuf>)> {
    let mut results = results::read_all(&layout.results, &exp.name, cells)?;
    let unfinished = status::mark_unfinished(&mut results, &layout.results, &exp.name, &claim::Policy::from_env()?)?;
    if unfinished > 0 {
        eprintln!(
            "{unfinished} cell(s) unfinished: marked in the summary and plots (`runner status {}`)",
            exp.name
        );
    }
    if results.is_empty() {
        anyhow::bail!(
            "no results for experiment `{}` under {}; run `runner exp {}` first",
            exp.name,
            layout.results.display(),
            exp.name
        );
    }
    let rows = summary::summarise(&results, &exp.file.targets);
    let dir = layout.results.join(&exp.name);
    summary::write(&rows, &dir)?;
    let out = layout.plots.join(&exp.name);
    let mut written = plots::draw_all(&exp.name, &exp.file.description, &results, &out, band)?;
    written.extend(profiles::timing(&exp.name, &exp.file.description, &results, &out)?);
    written.extend(profiles::performance_profile(
        &exp.name,
        &results,
        &exp.file.targets,
        &out,
    )?);
    println!("\n{}", summary::markdown(&rows));
    println!(
        "results: {}  (summary.csv, summary.md, one directory per cell)",
        dir.display()
    );
    println!("plots:   {} ({} charts, PNG and SVG)", out.display(), written.len());
    Ok((rows, results, written))
}

/// Runs `cells` of `exp` into `results` (skipping finished ones unless `force`).
#[allow(clippy::too_many_arguments)]
fn run_cells(
    exp: &Experiment,
    cells: &[cells::Cell],
    results: &Path,
    layout: &Layout,
    data_dir: Option<PathBuf>,
    threads: Option<usize>,
    jobs: usize,
    force: bool,
) -> Result<()> {
    let opts = run_options(layout, results, threads, jobs, force);
    let mut data = data::DataCache::new(data_dir);
    execute::run_cells(exp, cells, &mut data, &opts)
}

/// How to run cells into `results`: `threads` in total (default: all cores), `jobs` cells at
/// once, finished cells rerun from scratch when `force`.
fn run_options(
    layout: &Layout,
    results: &Path,
    threads: Option<usize>,
    jobs: usize,
    force: bool,
) -> execute::RunOptions {
    execute::RunOptions {
        root: layout.root.clone(),
        results: results.to_path_buf(),
        force,
        threads: threads.unwrap_or_else(default_threads),
        jobs,
    }
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let layout = layout(&cli.paths)?;
    match cli.command {
        Command::Exp(args) => {
            let exp = Experiment::load(&layout.root, &args.name)?;
            let mut cells = cells::expand(&exp)?;
            if let Some(only) = &args.only {
                cells.retain(|c| c.label.contains(only.as_str()));
                anyhow::ensure!(
                    !cells.is_empty(),
                    "no cell of `{}` has a label containing `{only}`",
                    exp.name
                );
            }
            if let Some(shard) = args.shard {
                cells = shard.select(&cells);
                eprintln!("shard {}/{}: {} cells", shard.index, shard.count, cells.len());
            }
            if let Some(id) = &args.cell {
                cells.retain(|c| &c.id == id);
                anyhow::ensure!(
                    !cells.is_empty(),
                    "`{}` has no cell {id} (`runner status {}` lists them)",
                    exp.name,
                    args.name
                );
            }
            if args.manifest {
                return manifest::print(
                    &layout,
                    &args.name,
                    &exp.name,
                    &cells,
                    args.data_dir.as_deref(),
                    args.threads,
                );
            }
            if args.dry_run {
                for c in &cells {
                    let dir = store::CellDir::new(&layout.results, &exp.name, &c.id);
                    let state = if dir.is_done(c.iterations)? {
                        "done".to_owned()
                    } else if let Some((n, _)) = dir.checkpoints().pop() {
                        format!("resumable at iteration {n}")
                    } else {
                        "to run".to_owned()
                    };
                    println!("{}  {:<50} seed {}  {state}", c.id, c.label, c.seed_index);
                }
                println!("{} cells", cells.len());
                return Ok(());
            }
            let ran = run_cells(
                &exp,
                &cells,
                &layout.results,
                &layout,
                args.data_dir,
                args.threads,
                args.jobs,
                args.force,
            );
            if args.no_summary {
                return ran;
            }
            // Plots and summary of whatever finished, even if a cell failed.
            let drawn = finish(&exp, &cells, &layout, args.band);
            ran?;
            drawn
        }
        Command::Paper(args) => paper::run(&paper::PaperRun { layout: &layout, args }),
        Command::Merge(args) => {
            let exp = Experiment::load(&layout.root, &args.name)?;
            let cells = cells::expand(&exp)?;
            let copied = shard::merge(&layout.results, &exp.name, &cells, &args.from)?;
            eprintln!(
                "merged {copied} finished cells into {}",
                layout.results.join(&exp.name).display()
            );
            finish(&exp, &cells, &layout, args.band)
        }
        Command::Report(args) => {
            let exp = Experiment::load(&layout.root, &args.name)?;
            let cells = cells::expand(&exp)?;
            let (rows, results, plots) = draw(&exp, &cells, &layout, args.band)?;
            let path = report::write(
                &exp.name,
                &exp.file.description,
                &results,
                &rows,
                &plots,
                &layout.results.join(&exp.name),
            )?;
            println!("report:  {}", path.display());
            Ok(())
        }
        Command::Plot(args) => {
            let exp = Experiment::load(&layout.root, &args.name)?;
            let cells = cells::expand(&exp)?;
            finish(&exp, &cells, &layout, args.band)
        }
        Command::Slurm(args) => slurm::run(&layout, &args),
        Command::Status(args) => {
            let exp = Experiment::load(&layout.root, &args.name)?;
            let cells = cells::expand(&exp)?;
            status::print(&layout.results, &exp.name, &cells, &claim::Policy::from_env()?)
        }
        Command::Bench { threads, bench } => bench::run(bench, threads.unwrap_or_else(default_threads)),
        Command::List => {
            println!("optimizers:");
            for e in registry::REGISTRY {
                println!("  {:<10} {}", e.name, e.description);
            }
            println!("datasets:\n  {}", data::names().join(", "));
            println!("experiments ({}):", layout.root.join("experiments").display());
            for name in experiment::list(&layout.root).context("listing experiments")? {
                let desc = Experiment::load(&layout.root, &name)
                    .map(|e| e.file.description)
                    .unwrap_or_else(|e| format!("(invalid: {e})"));
                println!("  {name:<20} {desc}");
            }
            Ok(())
        }
    }
}
