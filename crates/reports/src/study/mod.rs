//! The study report of an experiment that tunes on validation data (`study.md` beside the
//! summary): the choices made on the validation split, expected best score against search
//! budget, sensitivity to each searched hyper-parameter, AlgoPerf scores and a robust
//! comparison of the chosen configurations on the test set. Written for any experiment with a
//! validation split, a random search or a `[scoring]` table.

pub mod budget;
pub mod comparison;
pub mod scores;
pub mod sensitivity;
pub mod trials;

use std::cell::RefCell;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use harness::experiment::{Experiment, Goal};
use harness::results::CellResult;

use crate::chart::Chart;
use crate::robust::bootstrap;
use trials::{Workload, arrange, goal};

/// Where the study's charts go and how the report links them.
pub struct Figures<'a> {
    /// The plots directory of the experiment.
    pub out: &'a Path,
    /// The plots directory relative to the report's.
    pub link_dir: String,
    /// The second line of every chart.
    pub subtitle: String,
    /// Leads every chart's file name (a suite item's name), so that charts never collide.
    pub prefix: String,
    /// Every chart written (stems).
    pub written: RefCell<Vec<PathBuf>>,
}

impl Figures<'_> {
    /// Saves `chart` as `study-<name>` and returns the Markdown that shows it.
    pub fn save(&self, chart: &Chart, name: &str) -> Result<String> {
        let slug: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let file = format!("{}study-{}", self.prefix, slug.trim_matches('-'));
        let stem = self.out.join(&file);
        chart.save(&stem)?;
        self.written.borrow_mut().push(stem);
        Ok(format!("![{file}]({}/{file}.png)\n\n", self.link_dir))
    }
}

/// A written study: its Markdown and charts.
pub struct Study {
    /// The report (also written to `study.md`).
    pub markdown: String,
    /// The charts' stems.
    pub plots: Vec<PathBuf>,
}

/// Whether `exp` has anything the study reports.
pub fn applies(exp: &Experiment) -> bool {
    exp.has_validation() || exp.file.scoring.is_some() || exp.optimizers.iter().any(|e| e.search.is_some())
}

/// The choices made on validation data, stated.
fn choices(exp: &Experiment, workloads: &[Workload<'_>], column: &str, choice: Goal) -> String {
    let mut md = String::from("## Choices made on validation data\n\n");
    match &exp.file.dataset.validation {
        Some(v) => {
            let _ = writeln!(
                md,
                "- Validation split: {} training samples held out by a shuffle seeded {} (never trained on); the \
                 training set is what remains. Test metrics are reported and never enter a choice.",
                v.size, v.seed
            );
        }
        None => md.push_str("- No validation split: choices read training metrics; test metrics never enter one.\n"),
    }
    let _ = writeln!(
        md,
        "- Each entry's configuration: the one with the {} final `{column}` (mean over seeds).",
        if choice == Goal::Min { "lowest" } else { "highest" }
    );
    for e in exp.optimizers.iter().filter_map(|e| Some((e, e.search.as_ref()?))) {
        let (entry, search) = e;
        let space: Vec<String> = search
            .space
            .iter()
            .map(|(k, d)| format!("{k} {}", describe(d)))
            .collect();
        let _ = writeln!(
            md,
            "- {}: random search of {} trials (search seed {}) over {}.",
            entry.label.as_deref().unwrap_or(&entry.name),
            search.budget,
            search.seed,
            space.join(", ")
        );
    }
    if let Some(s) = &exp.file.scoring {
        let _ = writeln!(
            md,
            "- AlgoPerf target: `{}` {} {} on the validation split; each study's fastest trial to it is chosen.",
            s.metric(),
            if s.goal() == Goal::Max { ">=" } else { "<=" },
            s.target
        );
    }
    md.push('\n');
    for w in workloads {
        let _ = writeln!(
            md,
            "| {} | configurations | chosen | final {column} (mean over seeds) |\n|---|---|---|---|",
            w.name
        );
        for e in &w.entries {
            let chosen = e.chosen(column, goal(choice));
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                e.label,
                e.trials.len(),
                chosen.map_or("none (no finite value)".into(), |t| t.label.clone()),
                chosen.map_or("-".into(), |t| format!("{:.4}", t.score(column)))
            );
        }
        md.push('\n');
    }
    md
}

/// Each entry's chosen trial on every workload, `selections[w]` the metric and goal of
/// workload `w`'s choice; entries in first-seen order.
pub fn choose<'w, 'a>(workloads: &'w [Workload<'a>], selections: &[(String, Goal)]) -> comparison::Chosen<'w, 'a> {
    let mut labels: Vec<String> = Vec::new();
    for e in workloads.iter().flat_map(|w| &w.entries) {
        if !labels.contains(&e.label) {
            labels.push(e.label.clone());
        }
    }
    labels
        .into_iter()
        .map(|label| {
            let per_workload = workloads
                .iter()
                .zip(selections)
                .map(|(w, (column, choice))| {
                    w.entries
                        .iter()
                        .find(|e| e.label == label)?
                        .chosen(column, goal(*choice))
                })
                .collect();
            (label, per_workload)
        })
        .collect()
}

/// What a suite item's scores are drawn from and where they go.
pub struct SuiteScores<'a> {
    /// The item's experiments (reduced names) with their results.
    pub loaded: &'a [crate::suite::Loaded],
    /// The item's scoring rule.
    pub scoring: &'a harness::scoring::SuiteScoring,
    /// Suffix of the reduced run's experiment names ("" for the full setting).
    pub suffix: String,
    /// Directory of the report (charts are linked relative to it).
    pub dir: &'a Path,
    /// Where the charts go.
    pub out: &'a Path,
    /// Second line of every chart.
    pub subtitle: String,
    /// Leads the charts' file names (the item and the reduction).
    pub prefix: String,
}

/// The scores of a suite item over its experiments (each a workload, or several with a
/// `[grid]`): AlgoPerf scores and the robust comparison of the configurations each experiment
/// chose on its validation split, with the charts' stems.
pub fn suite_section(item: &SuiteScores<'_>, opts: &bootstrap::Options) -> Result<(String, Vec<PathBuf>)> {
    let figures = Figures {
        out: item.out,
        link_dir: crate::relative_path(item.dir, item.out),
        subtitle: item.subtitle.clone(),
        prefix: item.prefix.clone(),
        written: RefCell::new(Vec::new()),
    };
    let (mut workloads, mut rules, mut selections) = (Vec::new(), Vec::new(), Vec::new());
    let mut md = String::from("### Choices made on validation data\n\n");
    for (exp, _, results) in item.loaded {
        anyhow::ensure!(
            exp.has_validation(),
            "{}: a scored experiment needs a validation split (`validation = {{ size = N }}` in [dataset])",
            exp.path.display()
        );
        let name = exp.name.strip_suffix(item.suffix.as_str()).unwrap_or(&exp.name);
        let rule = item
            .scoring
            .for_experiment(name)
            .ok_or_else(|| anyhow::anyhow!("the item's scoring has no target for experiment `{name}`"))?;
        let (column, choice) = exp.selection();
        let _ = writeln!(
            md,
            "- {}: each entry's configuration with the {} final `{column}` (mean over seeds), on its validation \
             split; target `{}` {} {}.",
            exp.name,
            if choice == Goal::Min { "lowest" } else { "highest" },
            rule.metric(),
            if rule.goal() == Goal::Max { ">=" } else { "<=" },
            rule.target
        );
        for w in arrange(&exp.name, results) {
            rules.push(rule.clone());
            selections.push((column.clone(), choice));
            workloads.push(w);
        }
    }
    if workloads.is_empty() {
        return Ok((String::new(), Vec::new()));
    }
    md.push('\n');
    md.push_str(&demote(&scores::section(&workloads, &rules, &figures)?));
    let chosen = choose(&workloads, &selections);
    md.push_str(&demote(&comparison::section(
        &workloads,
        &chosen,
        Some(&item.scoring.reference),
        opts,
    )?));
    Ok((
        format!("## Scores over the item's workloads\n\n{md}"),
        figures.written.into_inner(),
    ))
}

/// Markdown headings one level down: a section of a suite item's report.
fn demote(md: &str) -> String {
    md.lines()
        .map(|l| {
            if l.starts_with('#') {
                format!("#{l}")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn describe(d: &harness::search::Distribution) -> String {
    use harness::search::Distribution::*;
    match d {
        Uniform(lo, hi) => format!("uniform on [{lo}, {hi}]"),
        LogUniform(lo, hi) => format!("log-uniform on [{lo}, {hi}]"),
        IntUniform(lo, hi) => format!("integer uniform on {lo}..={hi}"),
        Choice(v) => format!(
            "one of {}",
            v.iter()
                .map(harness::cells::format_value)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Writes `study.md` into `dir` and its charts into `out`; `None` when the experiment tunes
/// nothing on validation data.
pub fn write(
    exp: &Experiment,
    results: &[CellResult],
    dir: &Path,
    out: &Path,
    opts: &bootstrap::Options,
) -> Result<Option<Study>> {
    if !applies(exp) || results.is_empty() {
        return Ok(None);
    }
    let figures = Figures {
        out,
        link_dir: crate::relative_path(dir, out),
        subtitle: exp.file.description.clone(),
        prefix: String::new(),
        written: RefCell::new(Vec::new()),
    };
    let (column, choice) = exp.selection();
    let workloads = arrange(&exp.name, results);
    let mut md = format!(
        "# {}: choices on validation data and robust comparisons\n\n{}\n\n",
        exp.name, exp.file.description
    );
    md.push_str(&choices(exp, &workloads, &column, choice));
    let searches: Vec<(String, harness::search::SearchSpec)> = exp
        .optimizers
        .iter()
        .filter_map(|e| Some((e.label.clone().unwrap_or_else(|| e.name.clone()), e.search.clone()?)))
        .collect();
    if !searches.is_empty() {
        md.push_str(&budget::section(&workloads, &column, goal(choice), &figures)?);
        md.push_str(&sensitivity::section(&workloads, &searches, &column, &figures)?);
    }
    if let Some(scoring) = &exp.file.scoring {
        md.push_str(&scores::section(
            &workloads,
            &vec![scoring.clone(); workloads.len()],
            &figures,
        )?);
    }
    let chosen = choose(&workloads, &vec![(column.clone(), choice); workloads.len()]);
    let reference = exp.file.scoring.as_ref().map(|s| s.reference.as_str());
    md.push_str(&comparison::section(&workloads, &chosen, reference, opts)?);
    harness::store::write_atomic(&dir.join("study.md"), |w| Ok(w.write_all(md.as_bytes())?))?;
    Ok(Some(Study {
        markdown: md,
        plots: figures.written.into_inner(),
    }))
}
