//! `runner`: runs experiment matrices of optimizers, stores results, draws plots.
//!
//! ```text
//! runner exp mnist            # run experiments/mnist.toml, write results/mnist/ and plots/mnist/
//! runner plot mnist           # redraw plots/mnist/ from results/mnist/ without training
//! runner paper fig4           # the suite experiments/suites/dladmm-kdd2019.toml, item fig4
//! runner compare HEAD~3 results   # stored results of a revision against those on disk
//! runner list                 # optimizers, datasets, experiments, suites
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use harness::experiment::{self, Experiment};
use harness::reduction::Reduction;
use harness::{Layout, RunOptions, cells, claim, compare, data, manifest, registry, shard, slurm, status, store};
use reports::{bench, plots, report};

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
    /// Run and report an item of a suite (experiments/suites/NAME.toml): its experiments run
    /// resumably, its report results/<dir>/ITEM.md shows them beside their references.
    Suite(SuiteArgs),
    /// The dlADMM paper's figures and tables: `runner suite dladmm-kdd2019 ITEM`.
    Paper(ItemArgs),
    /// Write results/NAME/report.html: summary, configurations and every plot in one page.
    Report(PlotArgs),
    /// Move stored cells to the ids and metric names of the current code (after a change to how
    /// configurations resolve); replay them afterwards to check they still follow from the code.
    Migrate {
        /// Results directory to migrate (default: the results directory).
        dir: Option<PathBuf>,
    },
    /// Write a Slurm batch script for an experiment (a job array over shards, or workers
    /// sharing the store) and, with --submit, submit it.
    Slurm(slurm::SlurmArgs),
    /// Show which cells of an experiment are done, running (where), stale or pending.
    Status(status::StatusArgs),
    /// Compare the cells stored in A and B (results directories or git revisions): metrics
    /// against tolerances, timings as ratios; fails on a regression or a missing cell.
    Compare(compare::CompareArgs),
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
    #[command(flatten)]
    reduce: ReduceArgs,
    /// Check the stored results instead of extending them: rerun the first K iterations of
    /// every finished cell (of those --only, --shard and --cell select) in a scratch directory and compare them value by value with the
    /// stored ones (fails if any differs; nothing stored changes). Each cell runs with its
    /// stored thread count unless --threads is given.
    #[arg(long, value_name = "K", conflicts_with_all = ["dry_run", "force"])]
    replay: Option<usize>,
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

/// A quick run's reduction of an experiment's setting: results, reports and plots carry its
/// name, so they never mix with the full setting's.
#[derive(Args, Clone, Default)]
struct ReduceArgs {
    /// Use at most this many training samples (an axis of sizes is scaled down proportionally).
    #[arg(long)]
    samples: Option<usize>,
    /// Run this many iterations instead of the experiment's.
    #[arg(long)]
    iterations: Option<usize>,
    /// Hidden widths, comma separated (a width axis; otherwise the first value for every layer).
    #[arg(long, value_delimiter = ',')]
    widths: Option<Vec<usize>>,
}

impl ReduceArgs {
    fn reduction(&self) -> Reduction {
        Reduction {
            samples: self.samples,
            iterations: self.iterations,
            widths: self.widths.clone(),
        }
    }
}

#[derive(Args)]
struct SuiteArgs {
    /// Suite name (a file experiments/suites/NAME.toml).
    suite: String,
    #[command(flatten)]
    item: ItemArgs,
}

#[derive(Args)]
struct ItemArgs {
    /// The item to run and report, or `all`.
    item: String,
    #[command(flatten)]
    reduce: ReduceArgs,
    /// Only redraw the reports and figures from stored results.
    #[arg(long)]
    no_run: bool,
    /// Directory holding the datasets (default: $DLADMM_DATA or the user cache).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Threads in total (default: all cores; for --replay: each cell's stored count).
    #[arg(long)]
    threads: Option<usize>,
    /// Check the stored results instead of extending them: rerun the first K iterations of
    /// every finished cell (of those --only, --shard and --cell select) in a scratch directory and compare them value by value with the
    /// stored ones (fails if any differs; nothing stored changes).
    #[arg(long, value_name = "K", conflicts_with = "no_run")]
    replay: Option<usize>,
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
    #[command(flatten)]
    reduce: ReduceArgs,
}

/// The suite behind `runner paper`.
const PAPER_SUITE: &str = "dladmm-kdd2019";

/// Runs (or replays) an item of `suite`, or all of them.
fn suite(layout: &Layout, suite: &str, args: ItemArgs) -> Result<()> {
    let suite = harness::suite::Suite::load(&layout.root, suite)?;
    let items: Vec<&harness::suite::SuiteItem> = if args.item == "all" {
        suite.file.items.iter().collect()
    } else {
        vec![suite.item(&args.item)?]
    };
    let reduction = args.reduce.reduction();
    if let Some(iterations) = args.replay {
        let results = layout.results.join(&suite.file.dir);
        let mut data = data::DataCache::new(args.data_dir);
        let mut agreements = Vec::new();
        for item in items {
            for name in &item.experiments {
                let exp = reduction.apply(Experiment::load(&layout.root, name)?)?;
                let mut opts = harness::replay::ReplayOptions {
                    layout,
                    results: &results,
                    iterations,
                    threads: args.threads,
                    data: &mut data,
                };
                let cells = cells::expand(&exp)?;
                agreements.extend(harness::replay::replay_experiment(&exp, &cells, &mut opts)?);
            }
        }
        return harness::replay::verdict(&agreements, iterations, &layout.root);
    }
    let run = reports::suite::SuiteRun {
        layout,
        reduction,
        no_run: args.no_run,
        data_dir: args.data_dir,
        threads: args.threads,
    };
    reports::suite::run_suite(&suite, &items, &run)
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
    reports::draw(exp, cells, layout, band).map(|_| ())
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let layout = layout(&cli.paths)?;
    match cli.command {
        Command::Exp(args) => {
            let exp = args
                .reduce
                .reduction()
                .apply(Experiment::load(&layout.root, &args.name)?)?;
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
            if let Some(iterations) = args.replay {
                let mut data = data::DataCache::new(args.data_dir);
                let mut opts = harness::replay::ReplayOptions {
                    layout: &layout,
                    results: &layout.results,
                    iterations,
                    threads: args.threads,
                    data: &mut data,
                };
                let agreements = harness::replay::replay_experiment(&exp, &cells, &mut opts)?;
                return harness::replay::verdict(&agreements, iterations, &layout.root);
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
                    let state = store::CellDir::new(&layout.results, &exp.name, &c.id).stored(c.iterations)?;
                    println!("{}  {:<50} seed {}  {state}", c.id, c.label, c.seed_index);
                }
                println!("{} cells", cells.len());
                return Ok(());
            }
            let opts = RunOptions::new(&layout, &layout.results)
                .threads(args.threads)
                .jobs(args.jobs)
                .force(args.force);
            let ran = harness::run_cells(&exp, &cells, args.data_dir, &opts);
            if args.no_summary {
                return ran;
            }
            // Plots and summary of whatever finished, even if a cell failed.
            let drawn = finish(&exp, &cells, &layout, args.band);
            ran?;
            drawn
        }
        Command::Suite(args) => suite(&layout, &args.suite, args.item),
        Command::Paper(args) => suite(&layout, PAPER_SUITE, args),
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
            let exp = args
                .reduce
                .reduction()
                .apply(Experiment::load(&layout.root, &args.name)?)?;
            let cells = cells::expand(&exp)?;
            let drawn = reports::draw(&exp, &cells, &layout, args.band)?;
            let path = report::write(
                &exp.name,
                &exp.file.description,
                &drawn,
                &layout.results.join(&exp.name),
            )?;
            println!("report:  {}", path.display());
            Ok(())
        }
        Command::Plot(args) => {
            let exp = args
                .reduce
                .reduction()
                .apply(Experiment::load(&layout.root, &args.name)?)?;
            let cells = cells::expand(&exp)?;
            finish(&exp, &cells, &layout, args.band)
        }
        Command::Slurm(args) => slurm::run(&layout, &args),
        Command::Compare(args) => compare::run(&layout, &args),
        Command::Status(args) => {
            let exp = Experiment::load(&layout.root, &args.name)?;
            let cells = cells::expand(&exp)?;
            status::print(&layout.results, &exp.name, &cells, &claim::Policy::from_env()?)
        }
        Command::Bench { threads, bench } => bench::run(bench, threads.unwrap_or_else(harness::default_threads)),
        Command::Migrate { dir } => {
            let dir = dir.unwrap_or_else(|| layout.results.clone());
            let done = harness::migrate::migrate(&dir, harness::migrate::COLUMN_RENAMES)?;
            for m in &done.moved {
                println!("{} -> {}", m.from.display(), m.to.display());
            }
            println!(
                "{}: {} cells moved, {} rewritten in place, {} metric files with renamed columns, {} already current",
                dir.display(),
                done.moved.len(),
                done.rewritten,
                done.renamed_columns,
                done.unchanged
            );
            Ok(())
        }
        Command::List => {
            println!("optimizers:");
            for e in registry::REGISTRY {
                println!("  {:<10} {}", e.name, e.description);
            }
            println!("datasets:\n  {}", data::names().join(", "));
            println!("suites:\n  {}", harness::suite::list(&layout.root).join(", "));
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
