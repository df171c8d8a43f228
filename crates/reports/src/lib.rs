//! Reports of stored results: what `runner plot`, `report` and `paper` draw.
//!
//! Statistics over seeds ([`stats`]), robust comparisons of optimizers (interquartile mean,
//! stratified bootstrap intervals, probability of improvement, Wilcoxon test, expected
//! performance against tuning budget, AlgoPerf scores: [`robust`]), the summary table
//! ([`summary`]), charts drawn without system fonts ([`chart`]), one plot per metric
//! ([`plots`]), timing and performance profiles ([`profiles`]), the single-page HTML report
//! ([`report`]), comparisons with published values ([`reference`]), tuning tables
//! ([`tuning`]), the study of an experiment tuned on validation data (search budgets,
//! sensitivity, AlgoPerf scores, robust comparisons: [`study`]), a suite's reports ([`suite`])
//! and speed measurements ([`bench`]).
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
pub mod plots;
pub mod profiles;
pub mod reference;
pub mod report;
pub mod robust;
pub mod stats;
pub mod study;
pub mod suite;
pub mod summary;
pub mod tuning;

use std::path::{Path, PathBuf};

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
    /// The comparison with the experiment's references (Markdown; empty without references).
    pub references: String,
    /// The study report: choices on validation data, search budgets, scores, robust
    /// comparisons (Markdown; empty when the experiment tunes nothing on validation data).
    pub study: String,
}

/// Summary and plots of `exp` from stored results; prints the summary table.
pub fn draw(exp: &Experiment, cells: &[Cell], layout: &Layout, band: plots::Band) -> Result<Drawn> {
    let mut results = results::read_all(&layout.results, &exp.name, cells)?;
    let policy = harness::claim::Policy::from_env()?;
    let unfinished = harness::status::mark_unfinished(&mut results, &layout.results, &exp.name, &policy)?;
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
    // With a validation split, targets (a choice of when a run is good enough) read it.
    let target_column = if exp.has_validation() {
        "val_accuracy"
    } else {
        "test_accuracy"
    };
    let rows = summary::summarise(&results, &exp.file.targets, target_column);
    let dir = layout.results.join(&exp.name);
    summary::write(&rows, &dir)?;
    let out = layout.plots.join(&exp.name);
    let mut written = plots::draw_all(&exp.name, &exp.file.description, &results, &out, band)?;
    written.extend(profiles::timing(&exp.name, &exp.file.description, &results, &out)?);
    written.extend(profiles::performance_profile(
        &exp.name,
        &results,
        &exp.file.targets,
        target_column,
        &out,
    )?);
    let references = references(exp, &results, &dir, &out, &mut written)?;
    let study = study::write(exp, &results, &dir, &out, &robust::bootstrap::Options::default())?;
    println!("\n{}", summary::markdown(&rows));
    println!(
        "results: {}  (summary.csv, summary.md, one directory per cell)",
        dir.display()
    );
    println!("plots:   {} ({} charts, PNG and SVG)", out.display(), written.len());
    if !references.is_empty() {
        println!("references: {}", dir.join("references.md").display());
    }
    let study = match study {
        Some(s) => {
            println!("study:   {}", dir.join("study.md").display());
            written.extend(s.plots);
            s.markdown
        }
        None => String::new(),
    };
    Ok(Drawn {
        rows,
        results,
        plots: written,
        references,
        study,
    })
}

/// Writes `references.md` beside the summary and one figure per reference; returns the
/// Markdown (empty when the experiment declares no reference).
fn references(
    exp: &Experiment,
    results: &[CellResult],
    dir: &Path,
    out: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<String> {
    let refs = exp.references()?;
    if refs.is_empty() {
        return Ok(String::new());
    }
    let mut md = format!(
        "# {}: our results beside the references\n\n{}\n\n",
        exp.name, exp.file.description
    );
    let link_dir = relative_path(dir, out);
    for (i, r) in refs.iter().enumerate() {
        let stem = out.join(reference::figure_name(r, i));
        let figure = reference::Figure {
            stem: &stem,
            link_dir: &link_dir,
            subtitle: Some(format!("{}. Dashed: {}.", exp.file.description, r.spec.name)),
        };
        md.push_str(&reference::section(r, results, &figure)?.markdown);
        written.push(stem);
    }
    harness::store::write_atomic(&dir.join("references.md"), |w| Ok(w.write_all(md.as_bytes())?))?;
    Ok(md)
}

/// `to` relative to `from` (both directories), with `/` separators, for Markdown links.
pub fn relative_path(from: &Path, to: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (from, to) = (abs(from), abs(to));
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() { ".".into() } else { parts.join("/") }
}
