//! A study's results arranged for comparison: workloads (the settings of the experiment's
//! `[grid]`), their optimizer entries, each entry's trials (grid points or search trials) and
//! each trial's runs (seeds).

use harness::experiment::Goal as Choice;
use harness::results::CellResult;

use crate::robust::Goal;

/// One configuration of an entry and its runs, ordered by seed index.
pub struct Trial<'a> {
    /// The configuration's label (entry label and its grid or search values).
    pub label: String,
    /// Hyper-parameters as written, with the trial's values.
    pub params: &'a toml::Table,
    /// The runs, one per seed, by seed index.
    pub runs: Vec<&'a CellResult>,
}

/// An optimizer entry on one workload.
pub struct Entry<'a> {
    /// The entry's label.
    pub label: String,
    /// Its configurations, in the experiment's order.
    pub trials: Vec<Trial<'a>>,
}

/// One workload: a setting of the experiment's data and network.
pub struct Workload<'a> {
    /// The setting's values (`hidden=[256]`), or the experiment's name without a `[grid]`.
    pub name: String,
    /// The entries, in the experiment's order.
    pub entries: Vec<Entry<'a>>,
}

/// The last finite value of a column.
pub fn final_value(r: &CellResult, column: &str) -> Option<f64> {
    r.column(column)?.into_iter().rev().find(|v| v.is_finite())
}

/// The goal of a choice as the statistics name it.
pub fn goal(choice: Choice) -> Goal {
    match choice {
        Choice::Min => Goal::Minimise,
        Choice::Max => Goal::Maximise,
    }
}

impl Trial<'_> {
    /// Final values of `column` of the runs that have one, by seed.
    pub fn finals(&self, column: &str) -> Vec<f64> {
        self.runs.iter().filter_map(|r| final_value(r, column)).collect()
    }

    /// The trial's score: the mean over seeds of the final `column` (NaN when no run has one).
    pub fn score(&self, column: &str) -> f64 {
        let v = self.finals(column);
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    }
}

impl<'a> Entry<'a> {
    /// The trial with the best score under `goal` (the first of equals); `None` when no trial
    /// has a finite score.
    pub fn chosen(&self, column: &str, goal: Goal) -> Option<&Trial<'a>> {
        let mut best: Option<(f64, &Trial<'a>)> = None;
        for t in &self.trials {
            let s = t.score(column);
            if s.is_finite() && best.is_none_or(|(b, _)| goal.better(s, b)) {
                best = Some((s, t));
            }
        }
        best.map(|(_, t)| t)
    }
}

/// Arranges `results` by workload, entry, configuration and seed (first-seen order).
pub fn arrange<'a>(experiment: &str, results: &'a [CellResult]) -> Vec<Workload<'a>> {
    let mut workloads: Vec<Workload<'a>> = Vec::new();
    for r in results {
        let name = if r.cell.setting.is_empty() {
            experiment.to_owned()
        } else {
            r.cell
                .setting
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}={}",
                        k.rsplit('.').next().unwrap_or(k),
                        harness::cells::format_value(v)
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let w = match workloads.iter().position(|w| w.name == name) {
            Some(i) => &mut workloads[i],
            None => {
                workloads.push(Workload {
                    name,
                    entries: Vec::new(),
                });
                workloads.last_mut().expect("just pushed")
            }
        };
        let e = match w.entries.iter().position(|e| e.label == r.cell.entry) {
            Some(i) => &mut w.entries[i],
            None => {
                w.entries.push(Entry {
                    label: r.cell.entry.clone(),
                    trials: Vec::new(),
                });
                w.entries.last_mut().expect("just pushed")
            }
        };
        match e
            .trials
            .iter_mut()
            .find(|t| t.runs[0].cell.config_key == r.cell.config_key)
        {
            Some(t) => t.runs.push(r),
            None => e.trials.push(Trial {
                label: r.cell.optimizer_label.clone(),
                params: &r.cell.params,
                runs: vec![r],
            }),
        }
    }
    for t in workloads
        .iter_mut()
        .flat_map(|w| &mut w.entries)
        .flat_map(|e| &mut e.trials)
    {
        t.runs.sort_by_key(|r| r.cell.seed_index);
    }
    workloads
}
