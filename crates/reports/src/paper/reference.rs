//! The paper's own curves and tables, as copied into `experiments/paper/`.

use std::path::Path;

use anyhow::{Context, Result};

/// The paper's data, copied into the repository.
const PAPER_DIR: &str = "experiments/paper";

/// A paper CSV: iteration (or key) column and named series.
pub(super) struct PaperCsv {
    pub(super) columns: Vec<String>,
    pub(super) rows: Vec<Vec<String>>,
}

impl PaperCsv {
    pub(super) fn read(root: &Path, file: &str) -> Result<Self> {
        let path = root.join(PAPER_DIR).join(file);
        let mut reader = csv::Reader::from_path(&path).with_context(|| format!("reading {}", path.display()))?;
        let columns = reader.headers()?.iter().map(str::to_owned).collect();
        let rows = reader
            .records()
            .map(|r| Ok(r?.iter().map(str::to_owned).collect()))
            .collect::<Result<_>>()?;
        Ok(Self { columns, rows })
    }

    /// (x, y) of `series` against the first column, skipping empty cells.
    pub(super) fn series(&self, series: &str) -> Option<(Vec<f64>, Vec<f64>)> {
        let j = self.columns.iter().position(|c| c == series)?;
        let (x, y) = self
            .rows
            .iter()
            .filter_map(|r| Some((r[0].parse::<f64>().ok()?, r.get(j)?.parse::<f64>().ok()?)))
            .unzip();
        Some((x, y))
    }

    /// The value of `series` at iteration `at`.
    pub(super) fn at(&self, series: &str, at: f64) -> Option<f64> {
        let (x, y) = self.series(series)?;
        x.iter().position(|&v| v == at).map(|i| y[i])
    }
}

/// The paper's name for a dataset in its figures' CSV columns.
pub(super) fn paper_dataset(name: &str) -> &'static str {
    if name.starts_with("fashion") {
        "FashionMNIST"
    } else {
        "MNIST"
    }
}
