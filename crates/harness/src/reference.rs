//! References: published or digitised values that an experiment is compared with.
//!
//! An experiment file may declare `[[references]]`, each a CSV file (relative to
//! `experiments/`) of one metric's values for several series. A series is matched to the
//! experiment's cells by a key: the CSV's series name on one side, the cell's key rendered from
//! a template (`"{label}"` by default: the optimizer entry's label) on the other. Reports overlay
//! the matched series on our curves, tabulate both at chosen points, and check the final values
//! against a tolerance ([`reports`'s `reference` module](../../reports/index.html)).
//!
//! Two CSV layouts are read:
//! - wide: a column of x values (`x`, default the first column) and one column per series,
//!   named by its header (`iter,SGD,Adam` with a row per iteration);
//! - long: `series` names the columns that make up a series' name (joined by ", "), `y` the
//!   column of values (`dataset,rho,neurons,seconds`, a row per point).
//!
//! ```toml
//! [[references]]
//! name = "paper"                          # shown as "(paper)" in legends and tables
//! file = "paper/fig4b-mnist-test-accuracy.csv"
//! metric = "test_accuracy"                # our metrics column
//! at = [50, 100, 195]                     # points to tabulate
//! tolerance = 0.02                        # how far final values may differ unexplained
//! notes = "paper/fig4-notes.md"           # Markdown: why they differ
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;

use crate::cells::Cell;

/// How our value is transformed before it is compared (the reference is taken as given).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// The value itself.
    #[default]
    None,
    /// Its natural logarithm (values at or below zero have none, and are counted).
    Ln,
}

/// What the x axis of a reference is on our side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Against {
    /// The iteration of each metrics row: a curve per cell.
    #[default]
    Iteration,
    /// The cell's hidden width (its first hidden layer): one point per cell, the median of the
    /// metric over its iterations.
    Width,
    /// The cell's training-set size: one point per cell, as for `width`.
    Samples,
}

/// Fits drawn through the points of a reference against an axis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// None.
    #[default]
    None,
    /// `y = a · x^b` by least squares on logarithms, with its R².
    PowerLaw,
}

/// One `[[references]]` entry of an experiment file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceSpec {
    /// Who published the values: legends read "SERIES (NAME)", tables "NAME" (default
    /// "reference").
    #[serde(default = "default_name")]
    pub name: String,
    /// Section title in reports (default: the metric).
    #[serde(default)]
    pub title: Option<String>,
    /// The CSV file, relative to `experiments/`.
    pub file: PathBuf,
    /// Our metrics column compared with it (`test_accuracy`, `augmented_lagrangian`,
    /// `update_seconds`, ...).
    pub metric: String,
    /// Transform applied to our values (`none` or `ln`).
    #[serde(default)]
    pub transform: Transform,
    /// Our x axis: `iteration` (default), `width` or `samples`.
    #[serde(default)]
    pub against: Against,
    /// The CSV column of x values (default: the first column).
    #[serde(default)]
    pub x: Option<String>,
    /// Long layout: the CSV columns whose values, joined by ", ", name a row's series.
    #[serde(default)]
    pub series: Vec<String>,
    /// Long layout: the CSV column of values.
    #[serde(default)]
    pub y: Option<String>,
    /// How a cell's series key is rendered: `{label}` (the optimizer entry's label; default),
    /// `{dataset}`, `{optimizer}`, or any resolved hyper-parameter (`{rho}`), literal text
    /// between them.
    #[serde(default = "default_key")]
    pub key: String,
    /// Our values renamed to the reference's words before the key is compared
    /// (`{ "mnist-55k" = "MNIST" }`).
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    /// x values at which both are tabulated (iterations; the last of ours is added).
    #[serde(default)]
    pub at: Vec<f64>,
    /// Final values (ours at the last iteration, the reference's at the last `at` point) may
    /// differ by this much; larger differences are listed for the notes to explain.
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// A fit through each series' points (against `width` or `samples`).
    #[serde(default)]
    pub fit: Fit,
    /// Count the iterations where our value rose (a monotone decrease is a claim to check).
    #[serde(default)]
    pub count_rises: bool,
    /// Chart options.
    #[serde(default)]
    pub chart: ChartSpec,
    /// A Markdown file, relative to `experiments/`, printed after the comparison: why the
    /// values differ.
    #[serde(default)]
    pub notes: Option<PathBuf>,
}

/// How a reference's chart is drawn.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartSpec {
    /// Title (default: the section title).
    #[serde(default)]
    pub title: Option<String>,
    /// x-axis label (default: the axis).
    #[serde(default)]
    pub x_label: Option<String>,
    /// y-axis label (default: the metric, transformed).
    #[serde(default)]
    pub y_label: Option<String>,
    /// Logarithmic axes.
    #[serde(default)]
    pub log_x: bool,
    /// Logarithmic y axis.
    #[serde(default)]
    pub log_y: bool,
    /// Where the legend goes: `upper_right`, `lower_right` (default), ...
    #[serde(default)]
    pub legend: Option<String>,
    /// File name of the figure, without extension (default: derived from the title).
    #[serde(default)]
    pub file: Option<String>,
    /// Series keys in the order that fixes their colours (default: the order found).
    #[serde(default)]
    pub order: Vec<String>,
    /// One chart per first part of the series key (before ", "), its file named after it.
    #[serde(default)]
    pub split: bool,
    /// Markers on the reference's points (default: on).
    #[serde(default = "yes")]
    pub markers: bool,
}

fn yes() -> bool {
    true
}

impl Default for ChartSpec {
    fn default() -> Self {
        toml::from_str("").expect("every chart option has a default")
    }
}

fn default_name() -> String {
    "reference".into()
}

fn default_key() -> String {
    "{label}".into()
}

/// One series of a reference: its name and its points, sorted by x.
#[derive(Debug, Clone, PartialEq)]
pub struct RefSeries {
    /// The series' name in the CSV (what a cell's key must equal).
    pub key: String,
    /// x values.
    pub x: Vec<f64>,
    /// Values.
    pub y: Vec<f64>,
}

impl RefSeries {
    /// The value at `x`, if the series has a point there.
    pub fn at(&self, x: f64) -> Option<f64> {
        self.x.iter().position(|&v| v == x).map(|i| self.y[i])
    }
}

/// A reference with its values read.
#[derive(Debug, Clone)]
pub struct Reference {
    /// The entry as written.
    pub spec: ReferenceSpec,
    /// Where its CSV was read from.
    pub path: PathBuf,
    /// Its series, in the CSV's order.
    pub series: Vec<RefSeries>,
    /// The notes' Markdown, if any.
    pub notes: Option<String>,
}

impl Reference {
    /// Reads the CSV (and notes) of `spec`, relative to `experiments`; errors name the file and
    /// the column.
    pub fn load(spec: &ReferenceSpec, experiments: &Path) -> Result<Self> {
        let path = experiments.join(&spec.file);
        let mut reader = csv::Reader::from_path(&path).with_context(|| format!("reading {}", path.display()))?;
        let headers: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
        let column = |name: &str, key: &str| {
            headers.iter().position(|h| h == name).ok_or_else(|| {
                anyhow!(
                    "{}: key `{key}` names column `{name}`, which is not in the header ({})",
                    path.display(),
                    headers.join(", ")
                )
            })
        };
        let x = match &spec.x {
            Some(x) => column(x, "x")?,
            None => 0,
        };
        let rows: Vec<csv::StringRecord> = reader
            .records()
            .collect::<Result<_, _>>()
            .with_context(|| format!("reading {}", path.display()))?;
        let number = |text: &str, row: usize, col: usize| -> Result<Option<f64>> {
            if text.trim().is_empty() {
                return Ok(None);
            }
            text.trim().parse::<f64>().map(Some).map_err(|_| {
                anyhow!(
                    "{}:{}: column `{}` holds `{text}`, not a number",
                    path.display(),
                    row + 2,
                    headers[col]
                )
            })
        };
        // A wide CSV's series in the header's order, whichever has the first value.
        let mut series: Vec<RefSeries> = match &spec.y {
            None => headers
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != x)
                .map(|(_, h)| RefSeries {
                    key: h.clone(),
                    x: Vec::new(),
                    y: Vec::new(),
                })
                .collect(),
            Some(_) => Vec::new(),
        };
        let mut push = |key: String, x: f64, y: f64| match series.iter_mut().find(|s| s.key == key) {
            Some(s) => {
                s.x.push(x);
                s.y.push(y);
            }
            None => series.push(RefSeries {
                key,
                x: vec![x],
                y: vec![y],
            }),
        };
        match (&spec.y, spec.series.is_empty()) {
            (None, true) => {
                for (i, row) in rows.iter().enumerate() {
                    let Some(xv) = number(&row[x], i, x)? else { continue };
                    for (j, header) in headers.iter().enumerate().filter(|(j, _)| *j != x) {
                        if let Some(yv) = number(row.get(j).unwrap_or(""), i, j)? {
                            push(header.clone(), xv, yv);
                        }
                    }
                }
            }
            (Some(y), false) => {
                let y = column(y, "y")?;
                let keys: Vec<usize> = spec.series.iter().map(|s| column(s, "series")).collect::<Result<_>>()?;
                for (i, row) in rows.iter().enumerate() {
                    let (Some(xv), Some(yv)) = (number(&row[x], i, x)?, number(&row[y], i, y)?) else {
                        continue;
                    };
                    let key: Vec<&str> = keys.iter().map(|&k| row[k].trim()).collect();
                    push(key.join(", "), xv, yv);
                }
            }
            _ => bail!(
                "{}: a long CSV needs both `series` (the columns naming a series) and `y` (the values)",
                spec.file.display()
            ),
        }
        series.retain(|s| !s.x.is_empty());
        for s in &mut series {
            let mut points: Vec<(f64, f64)> = s.x.iter().copied().zip(s.y.iter().copied()).collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            (s.x, s.y) = points.into_iter().unzip();
        }
        let notes = match &spec.notes {
            Some(file) => {
                let p = experiments.join(file);
                Some(std::fs::read_to_string(&p).with_context(|| format!("reading notes {}", p.display()))?)
            }
            None => None,
        };
        Ok(Reference {
            spec: spec.clone(),
            path,
            series,
            notes,
        })
    }

    /// The series a cell belongs to, if the reference has it.
    pub fn series_of(&self, cell: &Cell) -> Option<&RefSeries> {
        let key = self.key_of(cell);
        self.series.iter().find(|s| s.key == key)
    }

    /// The key of `cell` rendered from the template, our words renamed to the reference's.
    pub fn key_of(&self, cell: &Cell) -> String {
        render_key(&self.spec.key, cell, &self.spec.rename)
    }
}

/// `template` with each `{field}` replaced by the cell's value (see [`ReferenceSpec::key`]).
pub fn render_key(template: &str, cell: &Cell, rename: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let field = &rest[open + 1..open + close];
        let value = match field {
            "label" => cell.optimizer_label.clone(),
            "optimizer" => cell.optimizer.clone(),
            "dataset" => cell.dataset.name.clone(),
            other => cell.resolved.get(other).map(json_text).unwrap_or_default(),
        };
        out.push_str(rename.get(&value).map_or(value.as_str(), String::as_str));
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// A resolved value as text: numbers in shortest scientific form (`1e-6`, `1e0`), so that the
/// reference's CSV can spell them one way.
fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |f| format!("{f:e}")),
        other => other.to_string(),
    }
}

/// Checks the references of an experiment once, at load: each CSV reads and has its columns.
pub fn check_all(specs: &[ReferenceSpec], experiments: &Path) -> Result<()> {
    for spec in specs {
        Reference::load(spec, experiments)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(toml_text: &str) -> ReferenceSpec {
        toml::from_str(toml_text).expect("a reference entry")
    }

    #[test]
    fn a_wide_csv_gives_one_series_per_column_without_its_blanks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("r.csv"), "iter,SGD,Adam\n0,,0.5\n5,0.4,0.6\n").unwrap();
        let r = Reference::load(&spec("file = \"r.csv\"\nmetric = \"test_accuracy\""), dir.path()).unwrap();
        assert_eq!(r.series.len(), 2);
        assert_eq!((r.series[0].x.clone(), r.series[0].y.clone()), (vec![5.0], vec![0.4]));
        assert_eq!(r.series[1].at(0.0), Some(0.5));
    }

    #[test]
    fn a_long_csv_names_series_by_its_key_columns() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("t.csv"),
            "dataset,rho,neurons,seconds\nMNIST,1e-6,400,2.5\nMNIST,1e-6,200,1.5\nMNIST,1e-5,200,3\n",
        )
        .unwrap();
        let text = "file = \"t.csv\"\nmetric = \"update_seconds\"\nagainst = \"width\"\nx = \"neurons\"\n\
                    series = [\"dataset\", \"rho\"]\ny = \"seconds\"";
        let r = Reference::load(&spec(text), dir.path()).unwrap();
        let keys: Vec<&str> = r.series.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["MNIST, 1e-6", "MNIST, 1e-5"]);
        assert_eq!(r.series[0].x, [200.0, 400.0], "sorted by x");
    }

    #[test]
    fn a_missing_column_or_a_bad_number_names_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("r.csv"), "iter,SGD\n0,0.1\n5,abc\n").unwrap();
        let e = Reference::load(&spec("file = \"r.csv\"\nmetric = \"m\""), dir.path()).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("r.csv:3: column `SGD` holds `abc`, not a number"),
            "{e}"
        );
        let e = Reference::load(&spec("file = \"r.csv\"\nmetric = \"m\"\nx = \"it\""), dir.path()).unwrap_err();
        assert!(e.to_string().contains("key `x` names column `it`"), "{e}");
    }
}
