//! Suites: the experiments that reproduce one paper, and the order of its report.
//!
//! A suite file (`experiments/suites/NAME.toml`) lists items (a figure, a table), each made of
//! experiments whose `[[references]]` hold the paper's values. `runner suite NAME ITEM` runs
//! an item's experiments into `results/<dir>/` and writes its report `results/<dir>/ITEM.md`;
//! every number, label and explanation comes from the experiment files, their CSVs and the
//! Markdown notes, none from code.
//!
//! ```toml
//! title = "Reproduction of ..."
//! dir = "paper"                       # results/paper/, plots/paper/
//!
//! [[items]]
//! name = "fig4"
//! title = "Paper fig4"
//! experiments = ["paper-fig4", "paper-fig4-minibatch"]
//! notes = "paper/fig4-notes.md"       # relative to experiments/
//! # AlgoPerf scores over the item's experiments (workloads), each with its validation target:
//! # scoring = { reference = "SGD momentum", targets = { paper-fig4 = 0.95 } }
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;

/// A suite file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteFile {
    /// Title of the suite's index report.
    pub title: String,
    /// Markdown paragraph under the index's title.
    #[serde(default)]
    pub intro: String,
    /// Directory under `results/` and `plots/` holding the suite's cells, reports and figures.
    pub dir: String,
    /// The items, in report order.
    pub items: Vec<SuiteItem>,
}

/// One item of a suite: a figure or a table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteItem {
    /// Name on the command line and of the report file (`fig4` -> `fig4.md`).
    pub name: String,
    /// Heading of its report (default: the name).
    #[serde(default)]
    pub title: Option<String>,
    /// Its experiments, by name, in report order.
    pub experiments: Vec<String>,
    /// Markdown printed after the comparisons, relative to `experiments/`.
    #[serde(default)]
    pub notes: Option<PathBuf>,
    /// Scores of the item's optimizers over its experiments as workloads.
    #[serde(default)]
    pub scoring: Option<crate::scoring::SuiteScoring>,
}

/// A suite read from its file.
#[derive(Debug, Clone)]
pub struct Suite {
    /// Name (the file stem).
    pub name: String,
    /// The parsed file.
    pub file: SuiteFile,
    /// The project's `experiments/` directory.
    pub experiments_dir: PathBuf,
}

impl Suite {
    /// Reads `experiments/suites/NAME.toml` under `root`; checks that every item's experiments
    /// and notes exist.
    pub fn load(root: &Path, name: &str) -> Result<Self> {
        let experiments_dir = root.join("experiments");
        let path = experiments_dir.join("suites").join(format!("{name}.toml"));
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "no suite file {} (suites available: {})",
                path.display(),
                list(root).join(", ")
            )
        })?;
        let file: SuiteFile =
            toml::from_str(&text).map_err(|e| anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
        for item in &file.items {
            for exp in &item.experiments {
                let p = experiments_dir.join(format!("{exp}.toml"));
                if !p.is_file() {
                    bail!(
                        "{}: item `{}` names experiment `{exp}`, but {} does not exist",
                        path.display(),
                        item.name,
                        p.display()
                    );
                }
            }
            if let Some(scoring) = &item.scoring {
                scoring
                    .check(&item.experiments)
                    .map_err(|e| anyhow!("{}: item `{}`: scoring: {e}", path.display(), item.name))?;
            }
            if let Some(notes) = &item.notes
                && !experiments_dir.join(notes).is_file()
            {
                bail!(
                    "{}: item `{}`: notes file {} does not exist",
                    path.display(),
                    item.name,
                    notes.display()
                );
            }
        }
        Ok(Suite {
            name: name.to_owned(),
            file,
            experiments_dir,
        })
    }

    /// The item called `name`.
    pub fn item(&self, name: &str) -> Result<&SuiteItem> {
        self.file.items.iter().find(|i| i.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.file.items.iter().map(|i| i.name.as_str()).collect();
            anyhow!(
                "suite `{}` has no item `{name}`; items: {}, all",
                self.name,
                names.join(", ")
            )
        })
    }

    /// An item's notes, if any.
    pub fn notes(&self, item: &SuiteItem) -> Result<Option<String>> {
        item.notes
            .as_ref()
            .map(|n| {
                let p = self.experiments_dir.join(n);
                std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))
            })
            .transpose()
    }
}

/// The suites under `root/experiments/suites/`.
pub fn list(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("experiments").join("suites"))
        .map(|d| {
            d.filter_map(|e| {
                let p = e.ok()?.path();
                (p.extension()? == "toml").then(|| p.file_stem()?.to_str().map(str::to_owned))?
            })
            .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
