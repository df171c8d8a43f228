//! Spreading a matrix over machines: `--shard K/N` selects every N-th cell, `runner merge`
//! gathers finished cells from other results directories.

use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result, anyhow, bail};

use crate::cells::Cell;
use crate::store::CellDir;

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based shard number.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("expected K/N (e.g. 2/4), got `{s}`"))?;
        let index: usize = k
            .trim()
            .parse()
            .map_err(|_| format!("shard number `{k}` is not a positive integer"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("shard count `{n}` is not a positive integer"))?;
        if count == 0 || index == 0 || index > count {
            return Err(format!("need 1 <= K <= N, got {index}/{count}"));
        }
        Ok(Self { index, count })
    }
}

impl Shard {
    /// The cells of this shard: cells ranked by id, every `count`-th from `index - 1`. The
    /// ranking depends only on the cells, so every machine computes the same partition.
    pub fn select(&self, cells: &[Cell]) -> Vec<Cell> {
        let mut ids: Vec<&str> = cells.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        cells
            .iter()
            .filter(|c| {
                ids.binary_search(&c.id.as_str())
                    .map(|rank| rank % self.count == self.index - 1)
                    .unwrap_or(false)
            })
            .cloned()
            .collect()
    }
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Copies the finished cells of `experiment` found under each of `sources` (results
/// directories of other machines) into `results`. Returns how many were copied.
pub fn merge(results: &Path, experiment: &str, cells: &[Cell], sources: &[std::path::PathBuf]) -> Result<usize> {
    let mut copied = 0;
    for source in sources {
        if !source.join(experiment).is_dir() {
            bail!(
                "{} has no results for experiment `{experiment}` (expected {})",
                source.display(),
                source.join(experiment).display()
            );
        }
    }
    for cell in cells {
        let ours = CellDir::new(results, experiment, &cell.id);
        if ours.is_done(cell.iterations)? {
            continue;
        }
        for source in sources {
            let theirs = CellDir::new(source, experiment, &cell.id);
            if !theirs.is_done(cell.iterations)? {
                continue;
            }
            let parent = ours.path.parent().ok_or_else(|| anyhow!("bad results path"))?;
            std::fs::create_dir_all(parent)?;
            // Copy beside, then swap in: the cell directory is never half copied.
            let tmp = tempfile::Builder::new().prefix(".tmp-merge-").tempdir_in(parent)?;
            copy_tree(&theirs.path, tmp.path())?;
            if ours.path.exists() {
                std::fs::remove_dir_all(&ours.path)?;
            }
            std::fs::rename(tmp.keep(), &ours.path)?;
            copied += 1;
            break;
        }
    }
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        assert!("0/4".parse::<Shard>().is_err());
        assert!("5/4".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }
}
