//! `runner`: runs experiment matrices of optimizers, stores results, draws plots.
//!
//! ```text
//! runner exp mnist            # run experiments/mnist.toml, write results/mnist/ and plots/mnist/
//! runner plot mnist           # redraw plots/mnist/ from results/mnist/ without training
//! runner list                 # optimizers, datasets, experiments
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use harness::experiment::{self, Experiment};
use harness::{Layout, cells, data, registry, shard, store};
use reports::{bench, paper, plots, report};

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
    /// Move stored cells to the ids and metric names of the current code (after a change to how
    /// configurations resolve); replay them afterwards to check they still follow from the code.
    Migrate {
        /// Results directory to migrate (default: the results directory).
        dir: Option<PathBuf>,
    },
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
            let ran = harness::run_cells(
                &exp,
                &cells,
                &layout.results,
                &layout,
                args.data_dir,
                args.threads,
                args.jobs,
                args.force,
            );
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
            let drawn = reports::draw(&exp, &cells, &layout, args.band)?;
            let path = report::write(
                &exp.name,
                &exp.file.description,
                &drawn.results,
                &drawn.rows,
                &drawn.plots,
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
