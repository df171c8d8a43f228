//! A suite's reports ([`harness::suite`]): one Markdown report per item, made only of what the
//! experiment files declare (descriptions, references, tuning, notes), and the index.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use harness::cells::Cell;
use harness::experiment::Experiment;
use harness::reduction::Reduction;
use harness::replay::stored_provenance;
use harness::results::CellResult;
use harness::store::write_atomic;
use harness::suite::{Suite, SuiteItem};

use crate::reference::{Figure, figure_name, section_with};
use crate::tuning::tuning_section;

/// An experiment of an item, its cells and their stored results.
pub type Loaded = (Experiment, Vec<Cell>, Vec<CellResult>);

/// One item's report in the making.
pub struct ItemReport<'a> {
    /// The suite.
    pub suite: &'a Suite,
    /// The item.
    pub item: &'a SuiteItem,
    /// Its experiments (reduced, if the run is) with their stored results.
    pub loaded: &'a [Loaded],
    /// The reduction of the run.
    pub reduction: &'a Reduction,
    /// The suite's results directory, holding the item's cells and reports.
    pub results: &'a Path,
    /// The suite's plots directory.
    pub plots: &'a Path,
}

impl ItemReport<'_> {
    /// Where the figure `name` of this item goes (without extension): the item and the
    /// reduction lead its file name, so a reduced run never overwrites the full one's.
    pub fn figure_stem(&self, name: &str) -> PathBuf {
        self.plots
            .join(format!("{}{}{name}", self.item.name, self.reduction.suffix()))
    }

    /// How a report under the results directory links a figure of the plots directory.
    pub fn link_dir(&self) -> String {
        crate::relative_path(self.results, self.plots)
    }

    /// An experiment's name as written in its file (without the reduction's suffix).
    fn file_name(&self, exp: &Experiment) -> String {
        exp.name.trim_end_matches(&self.reduction.suffix()).to_owned()
    }
}

/// The report of one item: header, each experiment's references and tuning, the item's notes.
pub fn item_report(draft: &ItemReport<'_>) -> Result<String> {
    let mut report = header(draft)?;
    for (exp, _, results) in draft.loaded {
        for (i, reference) in exp.references()?.iter().enumerate() {
            let subtitle = format!(
                "{}. Dashed: {}.",
                draft.reduction.note().unwrap_or_else(|| exp.file.description.clone()),
                reference.spec.name
            );
            let stem = draft.figure_stem(&figure_name(reference, i));
            let figure = Figure {
                stem: &stem,
                link_dir: &draft.link_dir(),
                subtitle: Some(subtitle.clone()),
            };
            let section = section_with(reference, results, &figure, 2)?;
            report.push_str(&section.markdown);
            if !section.gaps.is_empty() && draft.reduction.is_reduced() {
                report.push_str(
                    "Each \"no\" above compares this reduced run with the reference's full one, so it measures \
                     the reduction first; the full-setting report explains the differences that remain.\n\n",
                );
            }
        }
        if exp.file.tuning.is_some() {
            report.push_str(&tuning_section(draft, exp, results)?);
        }
        let opts = crate::robust::bootstrap::Options::default();
        let dir = draft.results.join(&exp.name);
        if crate::study::write(exp, results, &dir, &draft.plots.join(&exp.name), &opts)?.is_some() {
            let _ = writeln!(
                report,
                "Choices on validation data, search budgets, scores and robust comparisons of `{}`: [{}/study.md]({}/study.md).\n",
                exp.name, exp.name, exp.name
            );
        }
    }
    if let Some(scoring) = &draft.item.scoring {
        let scores = crate::study::SuiteScores {
            loaded: draft.loaded,
            scoring,
            suffix: draft.reduction.suffix(),
            dir: draft.results,
            out: draft.plots,
            subtitle: draft.reduction.note().unwrap_or_else(|| draft.suite.file.title.clone()),
            prefix: format!("{}{}-", draft.item.name, draft.reduction.suffix()),
        };
        let (md, _) = crate::study::suite_section(&scores, &crate::robust::bootstrap::Options::default())?;
        report.push_str(&md);
    }
    if let Some(notes) = draft.suite.notes(draft.item)? {
        report.push_str(notes.trim_end());
        report.push('\n');
    }
    Ok(report)
}

/// Machine, threads, code revision and time of the cells behind a report (every distinct
/// machine and revision is listed: reference outputs may come from several runs).
pub fn provenance(results_root: &Path, loaded: &[Loaded]) -> String {
    let mut sources: BTreeMap<String, usize> = BTreeMap::new();
    let (mut update, mut wall, mut cells, mut wall_partial) = (0.0, 0.0, 0, 0);
    for (exp, _, results) in loaded {
        for r in results {
            let p = stored_provenance(results_root, &exp.name, &r.cell.id);
            if !p.is_null() {
                let threads = p["threads"].as_u64().unwrap_or(0);
                let source = format!(
                    "{}, {threads} thread{}, code revision {}",
                    p["cpu"].as_str().unwrap_or("unknown machine"),
                    plural(threads),
                    p["git_revision"].as_str().unwrap_or("unknown")
                );
                *sources.entry(source).or_default() += 1;
            }
            if let Some(s) = &r.status {
                update += s.progress.cumulative_seconds;
                wall += s.wall_seconds;
                wall_partial += usize::from(s.wall_is_partial());
            }
            cells += 1;
        }
    }
    let machines: Vec<String> = sources
        .iter()
        .map(|(source, n)| format!("{source} ({n} cell{})", plural(*n as u64)))
        .collect();
    let partial_note = match wall_partial {
        0 => String::new(),
        n => format!(
            "; for {n} cell{} resumed from checkpoints older than the wall-time record, only the last run is counted",
            plural(n as u64)
        ),
    };
    format!(
        "Machine: {}; CPU only. {cells} cell{}; update time {:.1} min, wall time of the runs {:.1} min (evaluation and checkpoints included{partial_note}).\n",
        if machines.is_empty() {
            "unknown".to_owned()
        } else {
            machines.join("; ")
        },
        plural(cells as u64),
        update / 60.0,
        wall / 60.0
    )
}

/// The plural suffix of a count in the report's English ("1 thread", "2 threads").
pub fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Title, the experiments' descriptions, the reduction, completeness and provenance.
fn header(draft: &ItemReport<'_>) -> Result<String> {
    let title = draft.item.title.as_deref().unwrap_or(&draft.item.name);
    let mut s = format!("# {title}{}\n\n", draft.reduction.suffix());
    for (exp, _, _) in draft.loaded {
        let _ = writeln!(
            s,
            "{} (`experiments/{}.toml`)\n",
            exp.file.description,
            draft.file_name(exp)
        );
    }
    if let Some(note) = draft.reduction.note() {
        let _ = writeln!(s, "**{note}.**\n");
    }
    let total: usize = draft.loaded.iter().map(|(_, cells, _)| cells.len()).sum();
    let mut missing = Vec::new();
    for (exp, cells, _) in draft.loaded {
        for c in cells {
            let dir = harness::store::CellDir::new(draft.results, &exp.name, &c.id);
            if !dir.is_done(c.iterations)? {
                missing.push(format!("{} ({})", c.label, draft.file_name(exp)));
            }
        }
    }
    if missing.is_empty() {
        let _ = writeln!(s, "All {total} cells finished.\n");
    } else {
        let _ = writeln!(
            s,
            "**Partial: {} of {total} cells finished.** Not finished yet: {}. Run the item again (it resumes) to complete it.\n",
            total - missing.len(),
            missing.join(", ")
        );
    }
    s.push_str(&provenance(draft.results, draft.loaded));
    s.push('\n');
    Ok(s)
}

/// `results/<dir>/REPORT.md`: the index of every item's report, full and reduced.
pub fn write_index(suite: &Suite, results_root: &Path) -> Result<()> {
    let mut s = format!(
        "# {}\n\n{}\n\n| item | full setting | reduced runs |\n|---|---|---|\n",
        suite.file.title,
        suite.file.intro.trim_end()
    );
    let mut names: Vec<String> = std::fs::read_dir(results_root)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".md") && n != "REPORT.md")
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut found = false;
    for item in &suite.file.items {
        let full = format!("{}.md", item.name);
        let reduced: Vec<String> = names
            .iter()
            .filter(|n| n.starts_with(&format!("{}-reduced", item.name)))
            .map(|n| format!("[{n}]({n})"))
            .collect();
        let has_full = names.contains(&full);
        found |= has_full || !reduced.is_empty();
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            item.name,
            if has_full {
                format!("[{full}]({full})")
            } else {
                "not run yet".to_owned()
            },
            if reduced.is_empty() {
                "-".to_owned()
            } else {
                reduced.join(", ")
            }
        );
    }
    if found {
        write_atomic(&results_root.join("REPORT.md"), |w| Ok(w.write_all(s.as_bytes())?))?;
    }
    Ok(())
}

/// How to run a suite's items.
pub struct SuiteRun<'a> {
    /// The project layout.
    pub layout: &'a harness::Layout,
    /// The reduction (none for the full setting).
    pub reduction: Reduction,
    /// Only redraw the reports from stored results.
    pub no_run: bool,
    /// Where the datasets are.
    pub data_dir: Option<PathBuf>,
    /// Threads in total (default: all cores).
    pub threads: Option<usize>,
}

/// Runs (unless `no_run`) and reports `items` of `suite`, then writes its index. Items whose
/// cells failed are still reported with what finished; the error comes last.
pub fn run_suite(suite: &Suite, items: &[&SuiteItem], run: &SuiteRun<'_>) -> Result<()> {
    let results_root = run.layout.results.join(&suite.file.dir);
    let plots_root = run.layout.plots.join(&suite.file.dir);
    let mut failures = 0;
    for &item in items {
        let mut loaded = Vec::new();
        for name in &item.experiments {
            let exp = run.reduction.apply(Experiment::load(&run.layout.root, name)?)?;
            let cells = harness::cells::expand(&exp)?;
            if !run.no_run {
                let opts = harness::RunOptions::new(run.layout, &results_root).threads(run.threads);
                let ran = harness::run_cells(&exp, &cells, run.data_dir.clone(), &opts);
                if let Err(e) = ran {
                    eprintln!("{}: {e:#}", item.name);
                    failures += 1;
                }
            }
            let results = harness::results::read_all(&results_root, &exp.name, &cells)?;
            loaded.push((exp, cells, results));
        }
        if loaded.iter().all(|(_, _, r)| r.is_empty()) {
            eprintln!("{}: no results yet (run without --no-run)", item.name);
            continue;
        }
        let draft = ItemReport {
            suite,
            item,
            loaded: &loaded,
            reduction: &run.reduction,
            results: &results_root,
            plots: &plots_root,
        };
        let report = item_report(&draft)?;
        let path = results_root.join(format!("{}{}.md", item.name, run.reduction.suffix()));
        write_atomic(&path, |w| Ok(w.write_all(report.as_bytes())?))?;
        println!("{}: {}", item.name, path.display());
    }
    write_index(suite, &results_root)?;
    match failures {
        0 => Ok(()),
        n => anyhow::bail!("{n} experiment(s) had failed cells; everything finished is kept and reported"),
    }
}
