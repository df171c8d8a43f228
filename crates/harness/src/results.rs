//! Reading stored results back: one [`CellResult`] per cell directory.

use std::path::Path;

use anyhow::{Context, Result};

use crate::cells::Cell;
use crate::store::{CellDir, Status};

/// A cell's stored metrics and status.
#[derive(Debug, Clone)]
pub struct CellResult {
    /// The cell as expanded from the experiment file.
    pub cell: Cell,
    /// How it ended, if it did.
    pub status: Option<Status>,
    /// Column names of `metrics.csv`.
    pub columns: Vec<String>,
    /// Rows of values (NaN where a cell was empty).
    pub rows: Vec<Vec<f64>>,
}

impl CellResult {
    /// The values of column `name`, if present.
    pub fn column(&self, name: &str) -> Option<Vec<f64>> {
        let i = self.columns.iter().position(|c| c == name)?;
        Some(self.rows.iter().map(|r| r[i]).collect())
    }
}

/// Reads `metrics.csv` and `status.json` of `cell` under `results/<experiment>/`; `None` if
/// the cell has not produced a row yet.
pub fn read_cell(results: &Path, experiment: &str, cell: &Cell) -> Result<Option<CellResult>> {
    let dir = CellDir::new(results, experiment, &cell.id);
    let path = dir.metrics();
    if !path.exists() {
        return Ok(None);
    }
    let (columns, rows) = read_metrics(&path)?;
    Ok(Some(CellResult {
        cell: cell.clone(),
        status: dir.status()?,
        columns,
        rows,
    }))
}

/// The column names and rows of a `metrics.csv` (NaN where a value is empty); a partial last
/// row, left by an interrupted run, is dropped.
pub fn read_metrics(path: &Path) -> Result<(Vec<String>, Vec<Vec<f64>>)> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let columns: Vec<String> = reader
        .headers()
        .with_context(|| format!("reading {}", path.display()))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", path.display()))?;
        if record.len() != columns.len() {
            break; // a partial last row of an interrupted run
        }
        rows.push(record.iter().map(|v| v.parse().unwrap_or(f64::NAN)).collect());
    }
    Ok((columns, rows))
}

/// Results of every cell that has any, in cell order.
pub fn read_all(results: &Path, experiment: &str, cells: &[Cell]) -> Result<Vec<CellResult>> {
    cells
        .iter()
        .filter_map(|c| read_cell(results, experiment, c).transpose())
        .collect()
}

/// Cells grouped by configuration (the seeds of one configuration together), in first-seen
/// order.
pub fn group_by_config(results: &[CellResult]) -> Vec<(String, Vec<&CellResult>)> {
    let mut groups: Vec<(String, Vec<&CellResult>)> = Vec::new();
    for r in results {
        match groups.iter_mut().find(|(k, _)| *k == r.cell.config_key) {
            Some((_, g)) => g.push(r),
            None => groups.push((r.cell.config_key.clone(), vec![r])),
        }
    }
    groups
}
