//! What every item's report shares: its header (reduction, completeness, machine and time),
//! number formatting and linked figures.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

use super::scale::Scale;
use super::{ItemReport, Loaded};
use crate::chart::Chart;
use harness::experiment::Experiment;

/// The `provenance` object of a stored cell's `config.json` (`Null` when unreadable).
pub(super) fn cell_provenance(results_root: &Path, experiment: &str, id: &str) -> serde_json::Value {
    let dir = harness::store::CellDir::new(results_root, experiment, id);
    std::fs::read_to_string(dir.config())
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .map_or(serde_json::Value::Null, |json| json["provenance"].clone())
}

/// Machine, threads, code revision and time of the cells behind a report (every distinct
/// machine and revision is listed: reference outputs may come from several runs).
pub(super) fn provenance(results_root: &Path, loaded: &[Loaded]) -> String {
    let mut sources: BTreeMap<String, usize> = BTreeMap::new();
    let (mut update, mut wall, mut cells, mut wall_partial) = (0.0, 0.0, 0, 0);
    for (exp, _, results) in loaded {
        for r in results {
            let p = cell_provenance(results_root, &exp.name, &r.cell.id);
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
pub(super) fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub(super) fn header(draft: &ItemReport<'_>) -> Result<String> {
    let mut s = format!("# Paper {}{}\n\n", draft.item.name(), draft.scale.suffix());
    for (exp, _, _) in draft.loaded {
        let _ = writeln!(
            s,
            "{} (`experiments/{}.toml`)\n",
            exp.file.description,
            exp.name.trim_end_matches(&draft.scale.suffix())
        );
    }
    if let Some(note) = draft.scale.note() {
        let _ = writeln!(s, "**{note}.**\n");
    }
    let total: usize = draft.loaded.iter().map(|(_, cells, _)| cells.len()).sum();
    let mut missing = Vec::new();
    for (exp, cells, _) in draft.loaded {
        for c in cells {
            let dir = harness::store::CellDir::new(draft.results, &exp.name, &c.id);
            if !dir.is_done(c.iterations)? {
                missing.push(format!(
                    "{} ({})",
                    c.label,
                    exp.name.trim_end_matches(&draft.scale.suffix())
                ));
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

pub(super) fn subtitle(exp: &Experiment, scale: &Scale) -> String {
    match scale.note() {
        Some(n) => format!("{n}. Dashed: the paper's curve."),
        None => format!("{}. Dashed: the paper's curve.", exp.file.description),
    }
}

pub(super) fn fmt(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.3}"),
        _ => "-".into(),
    }
}

/// Saves `chart` as `<stem>.png/.svg` and appends its Markdown image line to `report`
/// (reports live in results/paper/, figures in plots/paper/).
pub(super) fn save_and_link(chart: &Chart, stem: &Path, report: &mut String) -> Result<()> {
    chart.save(stem)?;
    let name = stem.file_name().unwrap_or_default().to_string_lossy();
    let _ = writeln!(report, "![{name}](../../plots/paper/{name}.png)\n");
    Ok(())
}
