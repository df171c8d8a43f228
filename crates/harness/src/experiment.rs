//! Experiment files: `experiments/NAME.toml`, parsed and validated with errors that name the
//! file, the line and the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use optim_core::Init;
use optim_core::synthetic::BlobsConfig;
use serde::{Deserialize, Serialize};

/// The whole experiment file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentFile {
    /// One-line description shown by `runner list` and in reports.
    #[serde(default)]
    pub description: String,
    /// Experiment seed; every cell's seed derives from it and the seed index.
    #[serde(default)]
    pub seed: u64,
    /// Number of seeds per configuration (default 1).
    #[serde(default = "one")]
    pub seeds: usize,
    /// Iterations (epochs) per cell.
    pub iterations: usize,
    /// Optional budget of cumulative update seconds per cell.
    #[serde(default)]
    pub max_seconds: Option<f64>,
    /// Save a checkpoint every this many iterations (default 5) and at the end.
    #[serde(default = "five")]
    pub checkpoint_every: usize,
    /// Evaluate (train and test loss and accuracy) after iterations 0, k, 2k, ... and the
    /// last (default 1: every iteration). Evaluation is never timed, but costs wall time.
    #[serde(default = "one")]
    pub eval_every: usize,
    /// Accuracy targets for time-to-target statistics: on the validation split when there is
    /// one, else on the test set.
    #[serde(default)]
    pub targets: Vec<f64>,
    /// The data.
    pub dataset: DatasetSpec,
    /// The network.
    pub network: NetworkSpec,
    /// The optimizers, each possibly a grid.
    pub optimizers: Vec<toml::Spanned<toml::Table>>,
    /// Experiment-wide axes over the data and the network: `"dataset.train_samples"`,
    /// `"dataset.name"`, `"network.hidden"`, `"network.init"` -> arrays of values.
    #[serde(default)]
    pub grid: Option<toml::Spanned<toml::Table>>,
    /// Published or digitised values to compare with ([`crate::reference`]).
    #[serde(default)]
    pub references: Vec<crate::reference::ReferenceSpec>,
    /// How reports choose the best point of each entry's grid (none: no choice is made).
    #[serde(default)]
    pub tuning: Option<TuningSpec>,
    /// Tolerances of `runner compare` for this experiment's cells ([`crate::compare`]).
    #[serde(default)]
    pub compare: Option<toml::Spanned<crate::compare::CompareSpec>>,
    /// AlgoPerf-style scores against a reference optimizer ([`crate::scoring`]).
    #[serde(default)]
    pub scoring: Option<crate::scoring::ScoringSpec>,
}

/// How the best point of each optimizer entry's grid is chosen: by one metric's final value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TuningSpec {
    /// The metrics column whose last finite value decides: a `val_*` column with a validation
    /// split (the default, `val_loss`), else a `train_*` one; never a `test_*` one.
    #[serde(default)]
    pub metric: Option<String>,
    /// `min` (default) or `max`.
    #[serde(default)]
    pub goal: Goal,
}

/// Whether smaller or larger is better.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// Smaller is better.
    #[default]
    Min,
    /// Larger is better.
    Max,
}

fn one() -> usize {
    1
}
fn five() -> usize {
    5
}

/// Which data a cell trains on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetSpec {
    /// `mnist`, `fashion-mnist` or `synthetic`.
    pub name: String,
    /// Use only the first `train_samples` training samples (the paper's MNIST: 55000).
    #[serde(default)]
    pub train_samples: Option<usize>,
    /// Use only the first `test_samples` test samples.
    #[serde(default)]
    pub test_samples: Option<usize>,
    /// Parameters of the synthetic blobs (only with `name = "synthetic"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synthetic: Option<SyntheticSpec>,
    /// Shrink every image (train and test) by this integer factor, `2` taking MNIST's 28x28
    /// to 14x14 as the pdADMM code does: linear interpolation on a corner-aligned grid, not
    /// block averaging nor striding (`datasets::downsample`, docs/pdadmm.md#input-down-sampling).
    /// Absent: the images as published. Absent, it is left out of the cell's identity, so
    /// cells without it keep their ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downsample: Option<usize>,
    /// A validation split carved from the training data; absent, a cell's identity is what it
    /// was before splits existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<crate::validation::ValidationSpec>,
}

/// The synthetic problem: blobs for training and an independent test draw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticSpec {
    /// The blobs (training samples, features, classes, separation).
    #[serde(flatten)]
    pub blobs: BlobsConfig,
    /// Test samples (default 1000).
    #[serde(default = "thousand")]
    pub test_samples: usize,
    /// Seed of the problem (default 0).
    #[serde(default)]
    pub seed: u64,
}

fn thousand() -> usize {
    1000
}

/// The network: hidden widths (input and output come from the data) and initialisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// Widths of the hidden layers, e.g. `[1000, 1000]`.
    pub hidden: Vec<usize>,
    /// Initialisation (default `{ kind = "normal", std = 0.1 }`).
    #[serde(default)]
    pub init: Init,
}

/// Keys allowed in the experiment-wide `[grid]`.
pub const SETTING_AXES: &[&str] = &[
    "dataset.name",
    "dataset.train_samples",
    "dataset.test_samples",
    "dataset.downsample",
    "network.hidden",
    "network.init",
];

/// One `[[optimizers]]` entry split into its parts.
#[derive(Debug, Clone)]
pub struct OptimizerEntry {
    /// Registry name.
    pub name: String,
    /// Display label (default: the name).
    pub label: Option<String>,
    /// Iteration budget of this entry's cells, overriding the experiment's `iterations`.
    pub iterations: Option<usize>,
    /// Fixed hyper-parameters.
    pub params: toml::Table,
    /// Grid axes: key -> values.
    pub grid: BTreeMap<String, Vec<toml::Value>>,
    /// Random search over hyper-parameters, instead of a grid.
    pub search: Option<crate::search::SearchSpec>,
    /// Byte range of the entry in the file, to locate keys in errors.
    pub span: std::ops::Range<usize>,
}

/// A parsed experiment with its source, for error messages.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// Name (the file stem).
    pub name: String,
    /// Where it was read from.
    pub path: PathBuf,
    /// The source text.
    pub source: String,
    /// The parsed file.
    pub file: ExperimentFile,
    /// The optimizer entries.
    pub optimizers: Vec<OptimizerEntry>,
}

impl Experiment {
    /// Reads and validates `experiments/NAME.toml` under `root` (or a path to a file).
    pub fn load(root: &Path, name_or_path: &str) -> Result<Self> {
        let path = if name_or_path.ends_with(".toml") {
            PathBuf::from(name_or_path)
        } else {
            root.join("experiments").join(format!("{name_or_path}.toml"))
        };
        if !path.exists() {
            let names = list(root).unwrap_or_default().join(", ");
            bail!("no experiment file {} (experiments available: {names})", path.display());
        }
        let source = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("experiment")
            .to_owned();
        Self::parse(name, path, source)
    }

    /// Parses experiment text.
    pub fn parse(name: String, path: PathBuf, source: String) -> Result<Self> {
        let file: ExperimentFile =
            toml::from_str(&source).map_err(|e| anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
        let mut exp = Self {
            name,
            path,
            source,
            file,
            optimizers: Vec::new(),
        };
        exp.optimizers = exp
            .file
            .optimizers
            .iter()
            .map(|t| exp.split_entry(t))
            .collect::<Result<_>>()?;
        exp.validate()?;
        for (i, spec) in exp.file.references.iter().enumerate() {
            crate::reference::Reference::load(spec, exp.experiments_dir())
                .with_context(|| format!("{}: [[references]] entry {}", exp.path.display(), i + 1))?;
        }
        Ok(exp)
    }

    /// The directory of the experiment file, against which its references' files resolve.
    pub fn experiments_dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The references of the experiment, read.
    pub fn references(&self) -> Result<Vec<crate::reference::Reference>> {
        self.file
            .references
            .iter()
            .map(|spec| crate::reference::Reference::load(spec, self.experiments_dir()))
            .collect()
    }

    /// The byte range of a table whose header toml reports at `header`: up to the next
    /// table header (toml's span of an array-of-tables entry covers only its header).
    pub fn table_region(&self, header: std::ops::Range<usize>) -> std::ops::Range<usize> {
        // Sub-tables of the same table (`[optimizers.grid]` after `[[optimizers]]`) belong to it.
        let head = self.source[header.clone()]
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim()
            .to_owned();
        let mut pos = header.end;
        for line in self.source[header.end..].split_inclusive('\n') {
            let t = line.trim_start();
            let sub = t.trim_start_matches('[').starts_with(&format!("{head}."));
            if t.starts_with('[') && pos > header.end && !sub {
                break;
            }
            pos += line.len();
        }
        header.start..pos
    }

    /// The keys before the first table header.
    fn root_region(&self) -> std::ops::Range<usize> {
        let mut pos = 0;
        for line in self.source.split_inclusive('\n') {
            if line.trim_start().starts_with('[') {
                break;
            }
            pos += line.len();
        }
        0..pos
    }

    /// The region of table `[name]` (the whole file if absent).
    fn section(&self, name: &str) -> std::ops::Range<usize> {
        let header = format!("[{name}]");
        let mut pos = 0;
        for line in self.source.split_inclusive('\n') {
            if line.trim() == header {
                return self.table_region(pos..pos + line.trim_end().len());
            }
            pos += line.len();
        }
        0..self.source.len()
    }

    fn split_entry(&self, spanned: &toml::Spanned<toml::Table>) -> Result<OptimizerEntry> {
        let span = self.table_region(spanned.span());
        let mut params = spanned.get_ref().clone();
        let name = match params.remove("name") {
            Some(toml::Value::String(s)) => s,
            Some(_) => {
                return Err(self.key_error(&span, "name", "must be a string (an optimizer name; see `runner list`)"));
            }
            None => {
                return Err(self.at(
                    &span,
                    "an [[optimizers]] entry needs `name = \"...\"` (see `runner list`)",
                ));
            }
        };
        let label = match params.remove("label") {
            Some(toml::Value::String(s)) => Some(s),
            Some(_) => return Err(self.key_error(&span, "label", "must be a string")),
            None => None,
        };
        let iterations = match params.remove("iterations") {
            Some(toml::Value::Integer(n)) if n >= 1 => Some(n as usize),
            Some(_) => return Err(self.key_error(&span, "iterations", "must be a positive integer")),
            None => None,
        };
        let mut grid = BTreeMap::new();
        if let Some(g) = params.remove("grid") {
            let toml::Value::Table(g) = g else {
                return Err(self.key_error(
                    &span,
                    "grid",
                    "must be a table of arrays, e.g. `grid = { lr = [1e-3, 1e-2] }`",
                ));
            };
            for (k, v) in g {
                match v {
                    toml::Value::Array(values) if !values.is_empty() => {
                        if params.contains_key(&k) {
                            return Err(self.key_error(&span, &k, "is both fixed and a grid axis; keep one"));
                        }
                        grid.insert(k, values);
                    }
                    _ => return Err(self.key_error(&span, &k, "a grid axis must be a non-empty array of values")),
                }
            }
        }
        let search = self.split_search(&span, &mut params, &grid)?;
        Ok(OptimizerEntry {
            name,
            label,
            iterations,
            params,
            grid,
            search,
            span,
        })
    }

    /// The entry's `search` table, removed from its parameters.
    fn split_search(
        &self,
        span: &std::ops::Range<usize>,
        params: &mut toml::Table,
        grid: &BTreeMap<String, Vec<toml::Value>>,
    ) -> Result<Option<crate::search::SearchSpec>> {
        let Some(value) = params.remove("search") else {
            return Ok(None);
        };
        let toml::Value::Table(table) = value else {
            return Err(self.key_error(
                span,
                "search",
                "must be a table, e.g. `search = { budget = 8, lr = { log_uniform = [1e-4, 1e-1] } }`",
            ));
        };
        let spec = crate::search::SearchSpec::parse(&table).map_err(|e| self.key_error(span, &e.key, &e.message))?;
        if !grid.is_empty() {
            return Err(self.key_error(span, "search", "and `grid` cannot both be given in one entry; keep one"));
        }
        if let Some(key) = spec.space.keys().find(|k| params.contains_key(*k)) {
            return Err(self.key_error(span, key, "is both fixed and searched; keep one"));
        }
        Ok(Some(spec))
    }

    fn validate(&self) -> Result<()> {
        let f = &self.file;
        let whole = 0..self.source.len();
        let root = self.root_region();
        let dataset = self.section("dataset");
        let network = self.section("network");
        if f.iterations == 0 {
            return Err(self.key_error(&root, "iterations", "must be at least 1"));
        }
        if f.seeds == 0 {
            return Err(self.key_error(&root, "seeds", "must be at least 1"));
        }
        if f.eval_every == 0 {
            return Err(self.key_error(&root, "eval_every", "must be at least 1"));
        }
        if f.checkpoint_every == 0 {
            return Err(self.key_error(&root, "checkpoint_every", "must be at least 1"));
        }
        if let Some(s) = f.max_seconds
            && (s.is_nan() || s <= 0.0)
        {
            return Err(self.key_error(&root, "max_seconds", "must be positive"));
        }
        if let Some(t) = f.targets.iter().find(|t| !(0.0..=1.0).contains(*t)) {
            return Err(self.key_error(&root, "targets", &format!("accuracy targets lie in [0, 1], got {t}")));
        }
        if f.network.hidden.contains(&0) {
            return Err(self.key_error(&network, "hidden", "hidden widths must be positive"));
        }
        f.network
            .init
            .validate()
            .map_err(|e| self.key_error(&network, "init", &e.to_string()))?;
        let ds = &f.dataset;
        let known = crate::data::names();
        if !known.contains(&ds.name.as_str()) {
            return Err(self.key_error(
                &dataset,
                "name",
                &format!("unknown dataset `{}`; valid: {}", ds.name, known.join(", ")),
            ));
        }
        if (ds.name == "synthetic") != ds.synthetic.is_some() {
            return Err(self.key_error(
                &dataset,
                "synthetic",
                "give `[dataset.synthetic]` exactly when `name = \"synthetic\"`",
            ));
        }
        for (key, values) in self.file.grid.iter().flat_map(|g| g.get_ref()) {
            let span = self
                .file
                .grid
                .as_ref()
                .map(|g| self.table_region(g.span()))
                .unwrap_or(whole.clone());
            if !SETTING_AXES.contains(&key.as_str()) {
                return Err(self.key_error(
                    &span,
                    key,
                    &format!("is not an experiment axis; valid: {}", SETTING_AXES.join(", ")),
                ));
            }
            if !matches!(values, toml::Value::Array(v) if !v.is_empty()) {
                return Err(self.key_error(&span, key, "an axis must be a non-empty array of values"));
            }
        }
        for (key, value) in [("train_samples", ds.train_samples), ("test_samples", ds.test_samples)] {
            if value == Some(0) {
                return Err(self.key_error(&dataset, key, "must be at least 1"));
            }
        }
        if let Some(factor) = ds.downsample {
            check_downsample(&ds.name, factor).map_err(|m| self.key_error(&dataset, "downsample", &m))?;
        }
        if let Some(syn) = &ds.synthetic {
            let checks = [
                ("samples", syn.blobs.samples >= 1, "at least 1"),
                ("test_samples", syn.test_samples >= 1, "at least 1"),
                ("features", syn.blobs.features >= 1, "at least 1"),
                ("classes", syn.blobs.classes >= 2, "at least 2"),
                (
                    "separation",
                    syn.blobs.separation.is_finite() && syn.blobs.separation >= 0.0,
                    "a finite number >= 0",
                ),
            ];
            for (key, ok, valid) in checks {
                if !ok {
                    return Err(self.key_error(&dataset, key, &format!("of [dataset.synthetic] must be {valid}")));
                }
            }
        }
        if self.optimizers.is_empty() {
            return Err(self.at(&whole, "the experiment has no [[optimizers]] entry"));
        }
        crate::compare::tolerance::validate(self)?;
        self.validate_choices()
    }

    /// Whether the data has a validation split.
    pub fn has_validation(&self) -> bool {
        self.file.dataset.validation.is_some()
    }

    /// The metric and goal every choice reads: the `[tuning]` rule's, else validation accuracy
    /// with a split, else the final training loss.
    pub fn selection(&self) -> (String, Goal) {
        let tuning = self.file.tuning.as_ref();
        match tuning.and_then(|t| t.metric.clone()) {
            Some(metric) => (metric, tuning.map(|t| t.goal).unwrap_or_default()),
            None if tuning.is_some() && self.has_validation() => {
                ("val_loss".into(), tuning.map(|t| t.goal).unwrap_or_default())
            }
            None if tuning.is_some() => ("train_loss".into(), tuning.map(|t| t.goal).unwrap_or_default()),
            None if self.has_validation() => ("val_accuracy".into(), Goal::Max),
            None => ("train_loss".into(), Goal::Min),
        }
    }

    /// Choices (tuning, scoring targets) read validation metrics when there is a split, and
    /// never the test set's.
    fn validate_choices(&self) -> Result<()> {
        let checks = [
            ("tuning", self.file.tuning.as_ref().and_then(|t| t.metric.clone())),
            ("scoring", self.file.scoring.as_ref().and_then(|s| s.metric.clone())),
        ];
        for (table, metric) in checks {
            let Some(metric) = metric else { continue };
            let region = self.section(table);
            if metric.starts_with("test_") {
                return Err(self.key_error(
                    &region,
                    "metric",
                    &format!(
                        "`{metric}` reads the test set, which plays no part in a choice; use a validation metric \
                         (`val_loss`, `val_accuracy`: add `validation = {{ size = N }}` to [dataset]) or a training one"
                    ),
                ));
            }
            if self.has_validation() && !metric.starts_with("val_") {
                return Err(self.key_error(
                    &region,
                    "metric",
                    &format!("`{metric}`: with a validation split, choices read `val_loss` or `val_accuracy`"),
                ));
            }
            if !self.has_validation() && metric.starts_with("val_") {
                return Err(self.key_error(
                    &region,
                    "metric",
                    &format!("`{metric}` needs a validation split: add `validation = {{ size = N }}` to [dataset]"),
                ));
            }
        }
        if let Some(scoring) = &self.file.scoring {
            let region = self.section("scoring");
            if !self.has_validation() {
                return Err(self.at(
                    &region,
                    "[scoring] times optimizers to a validation target: add `validation = { size = N }` to [dataset]",
                ));
            }
            let labels: Vec<String> = self
                .optimizers
                .iter()
                .map(|e| e.label.clone().unwrap_or_else(|| e.name.clone()))
                .collect();
            if !labels.contains(&scoring.reference) {
                return Err(self.key_error(
                    &region,
                    "reference",
                    &format!(
                        "`{}` is no optimizer entry's label; valid: {}",
                        scoring.reference,
                        labels.join(", ")
                    ),
                ));
            }
            if !scoring.target.is_finite() {
                return Err(self.key_error(&region, "target", "must be a finite number"));
            }
        }
        if let Some(v) = &self.file.dataset.validation
            && v.size == 0
        {
            return Err(self.key_error(&self.section("dataset"), "validation", "size must be at least 1"));
        }
        Ok(())
    }

    /// 1-based line of byte offset `pos`.
    fn line_of(&self, pos: usize) -> usize {
        self.source[..pos.min(self.source.len())].matches('\n').count() + 1
    }

    /// An error about `key`, located on the line where the key is written within `span`.
    pub fn key_error(&self, span: &std::ops::Range<usize>, key: &str, message: &str) -> anyhow::Error {
        let text = &self.source[span.clone()];
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let t = line.trim_start();
            let quoted = format!("\"{key}\"");
            if let Some(rest) = t.strip_prefix(key).or_else(|| t.strip_prefix(quoted.as_str()))
                && rest.trim_start().starts_with('=')
            {
                let line_no = self.line_of(span.start + offset);
                return anyhow!("{}:{line_no}: key `{key}` {message}", self.path.display());
            }
            // Inline tables: `grid = { lr = [...] }`.
            if let Some(idx) = find_inline_key(line, key) {
                let line_no = self.line_of(span.start + offset + idx);
                return anyhow!("{}:{line_no}: key `{key}` {message}", self.path.display());
            }
            offset += line.len();
        }
        let line_no = self.line_of(span.start);
        anyhow!("{}:{line_no}: key `{key}` {message}", self.path.display())
    }

    /// An error located at the start of `span`.
    pub fn at(&self, span: &std::ops::Range<usize>, message: &str) -> anyhow::Error {
        anyhow!("{}:{}: {message}", self.path.display(), self.line_of(span.start))
    }
}

/// Checks `downsample = factor` for dataset `name`: images of 28x28 pixels (every published
/// dataset here) shrink by an integer factor from 2 to 28; synthetic data are no images.
pub fn check_downsample(name: &str, factor: usize) -> std::result::Result<(), String> {
    if name == "synthetic" {
        return Err("applies to image datasets; synthetic data have no pixels to down-sample".into());
    }
    let side = datasets::idx::ImageShape::MNIST.rows;
    if !(2..=side).contains(&factor) {
        return Err(format!(
            "must be an integer from 2 to {side} (2: 28x28 -> 14x14); omit it to keep the images as published, got {factor}"
        ));
    }
    Ok(())
}

fn find_inline_key(line: &str, key: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = line[from..].find(key) {
        let at = from + i;
        let before = line[..at].chars().next_back();
        let after = line[at + key.len()..].trim_start();
        if matches!(before, Some('{') | Some(' ') | Some(',')) && after.starts_with('=') {
            return Some(at);
        }
        from = at + key.len();
    }
    None
}

/// Names of the experiment files under `root/experiments`.
pub fn list(root: &Path) -> Result<Vec<String>> {
    let dir = root.join("experiments");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let p = e.path();
            (p.extension()? == "toml").then(|| p.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Experiment> {
        Experiment::parse("t".into(), PathBuf::from("experiments/t.toml"), text.into())
    }

    const GOOD: &str = r#"
iterations = 3
[dataset]
name = "synthetic"
synthetic = { samples = 100, features = 5, classes = 3, separation = 1.0 }
[network]
hidden = [8]
[[optimizers]]
name = "adam"
lr = 0.01
grid = { batch_size = [16, 32] }
"#;

    #[test]
    fn good_file_parses() {
        let e = parse(GOOD).unwrap();
        assert_eq!(e.optimizers.len(), 1);
        assert_eq!(e.optimizers[0].grid["batch_size"].len(), 2);
        assert_eq!(e.optimizers[0].params["lr"].as_float(), Some(0.01));
    }

    #[test]
    fn unknown_top_level_key_names_line_and_key() {
        let text = GOOD.replace("iterations = 3", "iterations = 3\nitertions = 4");
        let msg = parse(&text).unwrap_err().to_string();
        assert!(msg.contains("experiments/t.toml"), "{msg}");
        assert!(msg.contains("line 3"), "{msg}");
        assert!(msg.contains("itertions"), "{msg}");
    }

    #[test]
    fn wrong_type_names_line_and_key() {
        let text = GOOD.replace("iterations = 3", "iterations = \"three\"");
        let msg = parse(&text).unwrap_err().to_string();
        assert!(msg.contains("line 2") && msg.contains("iterations"), "{msg}");
    }

    const MNIST: &str = r#"
iterations = 3
[dataset]
name = "mnist"
downsample = 2
[network]
hidden = [8]
[[optimizers]]
name = "pdadmm"
"#;

    #[test]
    fn downsample_parses_and_bad_factors_name_line_and_key() {
        let e = parse(MNIST).unwrap();
        assert_eq!(e.file.dataset.downsample, Some(2));
        for bad in ["downsample = 1", "downsample = 29"] {
            let msg = parse(&MNIST.replace("downsample = 2", bad)).unwrap_err().to_string();
            assert!(msg.contains("t.toml:5: key `downsample`"), "{bad}: {msg}");
        }
        for wrong_type in ["downsample = -2", "downsample = 1.5"] {
            let msg = parse(&MNIST.replace("downsample = 2", wrong_type))
                .unwrap_err()
                .to_string();
            assert!(msg.contains("t.toml") && msg.contains("line 5"), "{wrong_type}: {msg}");
        }
        let synthetic = GOOD.replace("separation = 1.0 }", "separation = 1.0 }\ndownsample = 2");
        let msg = parse(&synthetic).unwrap_err().to_string();
        assert!(msg.contains("t.toml:6") && msg.contains("synthetic data"), "{msg}");
    }

    /// Without `downsample` a dataset serialises as before the key existed, so the ids of
    /// existing cells do not change; with it, the identity differs.
    #[test]
    fn absent_downsample_leaves_the_identity_unchanged() {
        let plain = parse(&MNIST.replace("downsample = 2\n", "")).unwrap().file.dataset;
        assert_eq!(
            serde_json::to_value(&plain).unwrap(),
            serde_json::json!({"name": "mnist", "train_samples": null, "test_samples": null})
        );
        let shrunk = parse(MNIST).unwrap().file.dataset;
        assert_eq!(serde_json::to_value(&shrunk).unwrap()["downsample"], 2);
    }

    #[test]
    fn impossible_value_names_line_and_key() {
        let text = GOOD.replace("hidden = [8]", "hidden = [0]");
        let msg = parse(&text).unwrap_err().to_string();
        assert!(msg.contains("t.toml:7") && msg.contains("hidden"), "{msg}");
        let text = GOOD.replace("grid = { batch_size = [16, 32] }", "grid = { batch_size = [] }");
        let msg = parse(&text).unwrap_err().to_string();
        assert!(msg.contains("t.toml:11") && msg.contains("batch_size"), "{msg}");
    }

    #[test]
    fn choices_never_read_the_test_set() {
        let tuned = format!("{GOOD}\n[tuning]\nmetric = \"test_accuracy\"\ngoal = \"max\"\n");
        let msg = parse(&tuned).unwrap_err().to_string();
        assert!(
            msg.contains("experiments/t.toml:14:") && msg.contains("`metric`"),
            "{msg}"
        );
        assert!(msg.contains("test set"), "{msg}");
        // With a split, choices read validation metrics, by default and as written.
        let split = GOOD.replace(
            "separation = 1.0 }",
            "separation = 1.0 }\nvalidation = { size = 20, seed = 1 }",
        );
        let e = parse(&format!("{split}\n[tuning]\n")).unwrap();
        assert_eq!(e.selection(), ("val_loss".to_owned(), Goal::Min));
        assert_eq!(
            parse(&split).unwrap().selection(),
            ("val_accuracy".to_owned(), Goal::Max)
        );
        let msg = parse(&format!("{split}\n[tuning]\nmetric = \"train_loss\"\n"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("t.toml:15:") && msg.contains("val_loss"), "{msg}");
        let msg = parse(&format!("{GOOD}\n[tuning]\nmetric = \"val_loss\"\n"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("t.toml:14:") && msg.contains("validation split"), "{msg}");
        let scored = format!("{split}\n[scoring]\nreference = \"adam\"\ntarget = 0.9\nmetric = \"test_accuracy\"\n");
        let msg = parse(&scored).unwrap_err().to_string();
        assert!(msg.contains("t.toml:17:") && msg.contains("`metric`"), "{msg}");
        let scored = format!("{split}\n[scoring]\nreference = \"sgd\"\ntarget = 0.9\n");
        let msg = parse(&scored).unwrap_err().to_string();
        assert!(
            msg.contains("t.toml:15:") && msg.contains("`reference`") && msg.contains("adam"),
            "{msg}"
        );
    }

    #[test]
    fn search_errors_name_line_and_key() {
        let search = GOOD.replace(
            "grid = { batch_size = [16, 32] }",
            "batch_size = 16\nsearch = { budget = 4, eps = { log_uniform = [1e-9, 1e-6] } }",
        );
        let e = parse(&search).unwrap();
        assert_eq!(e.optimizers[0].search.as_ref().unwrap().budget, 4);
        for (from, to, line, key) in [
            ("budget = 4", "budget = 0", 12, "budget"),
            ("[1e-9, 1e-6]", "[0.0, 1e-6]", 12, "eps"),
            ("eps = {", "lr = {", 10, "lr"),
            ("batch_size = 16", "grid = { batch_size = [16] }", 12, "search"),
        ] {
            let msg = parse(&search.replace(from, to)).unwrap_err().to_string();
            assert!(
                msg.contains(&format!("t.toml:{line}:")) && msg.contains(&format!("`{key}`")),
                "{from}: {msg}"
            );
        }
    }
}
