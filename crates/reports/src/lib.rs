//! Reports of stored results: what `runner plot`, `report` and `paper` draw.
//!
//! Statistics over seeds ([`stats`]), the summary table ([`summary`]), charts drawn without
//! system fonts ([`chart`]), one plot per metric ([`plots`]), timing and performance profiles
//! ([`profiles`]), the single-page HTML report ([`report`]), the paper's figures and tables
//! ([`paper`]) and speed measurements ([`bench`]).
//!
//! ```no_run
//! use harness::{Layout, cells, experiment::Experiment};
//!
//! # fn main() -> anyhow::Result<()> {
//! let layout = Layout::at(".");
//! let exp = Experiment::load(&layout.root, "synthetic-demo")?;
//! let cells = cells::expand(&exp)?;
//! let drawn = reports::draw(&exp, &cells, &layout, reports::plots::Band::default())?;
//! println!("{} plots", drawn.plots.len());
//! # Ok(())
//! # }
//! ```

pub mod bench;
pub mod chart;
pub mod paper;
pub mod plots;
pub mod profiles;
pub mod report;
pub mod stats;
pub mod summary;

use std::path::PathBuf;

use anyhow::Result;
use harness::Layout;
use harness::cells::Cell;
use harness::experiment::Experiment;
use harness::results::{self, CellResult};

/// What [`draw`] made of an experiment's stored results.
pub struct Drawn {
    /// The summary rows, one per configuration.
    pub rows: Vec<summary::Row>,
    /// The finished cells' results.
    pub results: Vec<CellResult>,
    /// Every chart written (stems, without extension).
    pub plots: Vec<PathBuf>,
}

/// Summary and plots of `exp` from stored results; prints the summary table.
pub fn draw(exp: &Experiment, cells: &[Cell], layout: &Layout, band: plots::Band) -> Result<Drawn> {
    let results = results::read_all(&layout.results, &exp.name, cells)?;
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
    Ok(Drawn {
        rows,
        results,
        plots: written,
    })
}
