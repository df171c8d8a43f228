//! `runner paper ITEM`: reproduce a figure or table of the paper with one command, draw it in
//! the paper's layout with the paper's own curve overlaid, and write a Markdown report.
//!
//! Runs go through the results store under `results/paper/` (resumable, cells skipped when
//! finished); figures go to `plots/paper/`, reports to `results/paper/*.md`. One file per part:
//! the paper's own data (`reference`), the reduction of a quick run (`scale`), what every
//! report shares (`report`), one file per kind of item (Figs. 2-3 `convergence`, Figs. 4-5
//! `accuracy` and `minibatch`, Tables 2-3 `timing`), the index (`index`) and `--replay`
//! (`replay`).

mod accuracy;
mod convergence;
mod index;
mod minibatch;
mod reference;
mod replay;
mod report;
mod scale;
mod timing;

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use harness::cells::{self, Cell};
use harness::experiment::Experiment;
use harness::results::{self, CellResult};
use harness::store::write_atomic;
use scale::Scale;

/// What to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Item {
    /// Fig. 2: dlADMM objective and residual at rho = 1 (converges).
    Fig2,
    /// Fig. 3: the same at rho = 1e-6 (does not converge).
    Fig3,
    /// Fig. 4: training and test accuracy of every method on MNIST.
    Fig4,
    /// Fig. 5: the same on Fashion-MNIST.
    Fig5,
    /// Table 2: seconds per iteration against width and rho.
    Table2,
    /// Table 3: seconds per iteration against training-set size and rho.
    Table3,
    /// Every item above, then the index report.
    All,
}

impl Item {
    const EACH: [Item; 6] = [
        Item::Fig2,
        Item::Fig3,
        Item::Fig4,
        Item::Fig5,
        Item::Table2,
        Item::Table3,
    ];

    fn name(self) -> &'static str {
        match self {
            Item::Fig2 => "fig2",
            Item::Fig3 => "fig3",
            Item::Fig4 => "fig4",
            Item::Fig5 => "fig5",
            Item::Table2 => "table2",
            Item::Table3 => "table3",
            Item::All => "all",
        }
    }

    fn experiments(self) -> &'static [&'static str] {
        match self {
            Item::Fig2 => &["paper-fig2"],
            Item::Fig3 => &["paper-fig3"],
            Item::Fig4 => &["paper-fig4", "paper-fig4-minibatch"],
            Item::Fig5 => &["paper-fig5", "paper-fig5-minibatch"],
            Item::Table2 => &["paper-table2"],
            Item::Table3 => &["paper-table3-mnist", "paper-table3-fashion-mnist"],
            Item::All => &[],
        }
    }
}

/// Options of `runner paper`.
#[derive(Args, Debug, Clone)]
pub struct PaperArgs {
    /// What to reproduce.
    #[arg(value_enum)]
    pub item: Item,
    /// Use at most this many training samples (Table 3: scale its sizes down proportionally).
    #[arg(long)]
    pub samples: Option<usize>,
    /// Run this many iterations instead of the paper's.
    #[arg(long)]
    pub iterations: Option<usize>,
    /// Hidden widths, comma separated (Table 2: the width axis; figures: the first value).
    #[arg(long, value_delimiter = ',')]
    pub widths: Option<Vec<usize>>,
    /// Only redraw figures and reports from stored results.
    #[arg(long)]
    pub no_run: bool,
    /// Directory holding the datasets (default: $DLADMM_DATA or the user cache).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Threads in total (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Check the stored results instead of extending them: rerun the first K iterations of
    /// every finished cell at the current code in a scratch directory and compare them with
    /// the stored ones value by value (fails if any differs; nothing stored is changed). Give
    /// `--threads` as the cells were run: threads can change the last bits.
    #[arg(long, value_name = "K", conflicts_with = "no_run")]
    pub replay: Option<usize>,
}

/// Everything `runner paper` needs from the command line and the layout.
pub struct PaperRun<'a> {
    /// The project layout.
    pub layout: &'a harness::Layout,
    /// The options.
    pub args: PaperArgs,
}

/// Runs (unless `--no-run`) and reports one item, or all.
pub fn run(ctx: &PaperRun<'_>) -> Result<()> {
    let scale = Scale {
        samples: ctx.args.samples,
        iterations: ctx.args.iterations,
        widths: ctx.args.widths.clone(),
    };
    let items: Vec<Item> = if ctx.args.item == Item::All {
        Item::EACH.to_vec()
    } else {
        vec![ctx.args.item]
    };
    let results_root = ctx.layout.results.join("paper");
    if let Some(iterations) = ctx.args.replay {
        return replay::replay(ctx, &items, &scale, &results_root, iterations);
    }
    let plots_root = ctx.layout.plots.join("paper");
    let mut failures = Vec::new();
    for &item in &items {
        let mut loaded = Vec::new();
        for name in item.experiments() {
            let exp = scale.apply(Experiment::load(&ctx.layout.root, name)?)?;
            let cells = cells::expand(&exp)?;
            if !ctx.args.no_run {
                let run = harness::run_cells(
                    &exp,
                    &cells,
                    &results_root,
                    ctx.layout,
                    ctx.args.data_dir.clone(),
                    ctx.args.threads,
                    1,
                    false,
                );
                if let Err(e) = run {
                    eprintln!("{}: {e:#}", item.name());
                    failures.push(e);
                }
            }
            let results = results::read_all(&results_root, &exp.name, &cells)?;
            loaded.push((exp, cells, results));
        }
        if loaded.iter().all(|(_, _, r)| r.is_empty()) {
            eprintln!("{}: no results yet (run without --no-run)", item.name());
            continue;
        }
        let draft = ItemReport {
            ctx,
            item,
            loaded: &loaded,
            scale: &scale,
            results: &results_root,
            plots: &plots_root,
        };
        let report = match item {
            Item::Fig2 | Item::Fig3 => convergence::convergence_figure(&draft)?,
            Item::Fig4 | Item::Fig5 => accuracy::accuracy_figure(&draft)?,
            Item::Table2 | Item::Table3 => timing::timing_table(&draft)?,
            Item::All => unreachable!("expanded above"),
        };
        let path = results_root.join(format!("{}{}.md", item.name(), scale.suffix()));
        write_atomic(&path, |w| Ok(w.write_all(report.as_bytes())?))?;
        println!("{}: {}", item.name(), path.display());
    }
    index::write_index(&results_root)?;
    match failures.len() {
        0 => Ok(()),
        n => bail!("{n} experiment(s) had failed cells; everything finished is kept and reported"),
    }
}

/// One item's report in the making: the run, the item's experiments with their stored results,
/// the reduction, and where its results and figures are.
struct ItemReport<'a> {
    ctx: &'a PaperRun<'a>,
    item: Item,
    loaded: &'a [Loaded],
    scale: &'a Scale,
    /// `results/paper/`, holding the item's cells.
    results: &'a Path,
    /// `plots/paper/`.
    plots: &'a Path,
}

impl ItemReport<'_> {
    /// Where the figure `name` of this item goes (without extension): the item and the
    /// reduction lead its file name, so a reduced run never overwrites the full one's.
    fn figure_stem(&self, name: &str) -> PathBuf {
        self.plots
            .join(format!("{}{}{name}", self.item.name(), self.scale.suffix()))
    }
}

/// An experiment of an item, its cells and their stored results.
type Loaded = (Experiment, Vec<Cell>, Vec<CellResult>);
