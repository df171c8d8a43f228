//! Migration of stored results to the current code's cell identities and metric names.
//!
//! A cell's directory is named by the hash of its resolved configuration ([`crate::cells`]).
//! When the code resolves a configuration differently (a default that used to be recorded as
//! `null` now written out, say), equivalent stored cells no longer carry the id the current
//! code expects, and would be rerun. [`migrate`] rebuilds every stored cell's optimizer from
//! the hyper-parameters it was written with (`cell.params` of its `config.json`), hashes the
//! configuration the current code resolves, and moves the cell to its new id; it renames
//! metric columns the code has renamed. Nothing numeric is recomputed, so a replay of the
//! migrated cells (`runner exp NAME --replay K`) checks that they still follow from the code.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

use crate::cells::identity_hashes;
use crate::experiment::{DatasetSpec, NetworkSpec};
use crate::registry;
use crate::store::write_atomic;

/// A metric column renamed by the code: in cells of `optimizer`, `from` is now `to`.
#[derive(Debug, Clone, Copy)]
pub struct ColumnRename {
    /// Registry name of the optimizer whose cells carry the column.
    pub optimizer: &'static str,
    /// The column's old name.
    pub from: &'static str,
    /// Its current name.
    pub to: &'static str,
}

/// Every metric column the code has renamed, oldest first. Applying one twice is harmless: a
/// column that is no longer there is not renamed again.
pub const COLUMN_RENAMES: &[ColumnRename] = &[
    // One name per diagnostic shared by ADMM and dlADMM (crates/admm-kernels/src/diagnostics.rs).
    ColumnRename {
        optimizer: "admm",
        from: "output_residual",
        to: "residual",
    },
    ColumnRename {
        optimizer: "admm",
        from: "inner_iterations",
        to: "fista_iterations",
    },
    ColumnRename {
        optimizer: "admm",
        from: "inner_cap_hits",
        to: "fista_cap_hits",
    },
];

/// What [`migrate`] did to one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The cell's directory before.
    pub from: PathBuf,
    /// Its directory now.
    pub to: PathBuf,
}

/// What [`migrate`] did under one results directory.
#[derive(Debug, Default)]
pub struct Migration {
    /// Cells moved to their new id.
    pub moved: Vec<Moved>,
    /// Cells whose `config.json` was rewritten in place (same id, new resolved form).
    pub rewritten: usize,
    /// Metric files whose columns were renamed.
    pub renamed_columns: usize,
    /// Cells already current.
    pub unchanged: usize,
}

/// Migrates every cell under `results` (`results/<experiment>/<cell-id>/`), applying `renames`
/// to metric headers. Idempotent: a migrated store migrates to itself.
pub fn migrate(results: &Path, renames: &[ColumnRename]) -> Result<Migration> {
    let mut report = Migration::default();
    for experiment in sorted_dirs(results)? {
        for cell_dir in sorted_dirs(&experiment)? {
            if cell_dir.join("config.json").is_file() {
                migrate_cell(&cell_dir, renames, &mut report)
                    .with_context(|| format!("migrating {}", cell_dir.display()))?;
            }
        }
    }
    Ok(report)
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    Ok(dirs)
}

fn migrate_cell(dir: &Path, renames: &[ColumnRename], report: &mut Migration) -> Result<()> {
    let config_path = dir.join("config.json");
    let text = std::fs::read_to_string(&config_path)?;
    let config: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", config_path.display()))?;
    let cell = config
        .get("cell")
        .ok_or_else(|| anyhow!("{}: no `cell` object", config_path.display()))?;
    let field = |name: &str| {
        cell.get(name)
            .ok_or_else(|| anyhow!("{}: no `cell.{name}`", config_path.display()))
    };
    let optimizer = field("optimizer")?.as_str().unwrap_or_default().to_owned();
    let dataset: DatasetSpec = serde_json::from_value(field("dataset")?.clone())?;
    let network: NetworkSpec = serde_json::from_value(field("network")?.clone())?;
    let seed = field("seed")?
        .as_u64()
        .ok_or_else(|| anyhow!("{}: `cell.seed` is not an integer", config_path.display()))?;
    let stored_id = field("id")?.as_str().unwrap_or_default().to_owned();
    let (old_id, _) = identity_hashes(&optimizer, field("resolved")?, &dataset, &network, seed)?;
    let dir_name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if old_id != stored_id || stored_id != dir_name {
        bail!(
            "the stored identity hashes to {old_id}, the cell says {stored_id} and its directory is \
             {dir_name}: this store was not written by a version whose hashing this one knows"
        );
    }
    let params: toml::Table = toml::Value::try_from(field("params")?)
        .ok()
        .and_then(|v| v.as_table().cloned())
        .ok_or_else(|| anyhow!("{}: `cell.params` is not a table", config_path.display()))?;
    let entry = registry::find(&optimizer)?;
    let built = (entry.build)(&params)?;
    let (id, config_key) = identity_hashes(&optimizer, &built.resolved, &dataset, &network, seed)?;

    renamed_columns(dir, &optimizer, renames, report)?;
    let stored_resolved = field("resolved")?.clone();
    let stored_key = field("config_key")?.as_str().unwrap_or_default().to_owned();
    if built.resolved == stored_resolved && id == stored_id {
        report.unchanged += 1;
        return Ok(());
    }
    // Edit the text rather than reserialise the file: its other fields keep their order and
    // layout, so the change reads as what it is.
    let text = replace_once(&text, &nested(&stored_resolved)?, &nested(&built.resolved)?)?;
    let text = replace_once(&text, &format!("\"id\": \"{stored_id}\""), &format!("\"id\": \"{id}\""))?;
    let text = replace_once(
        &text,
        &format!("\"config_key\": \"{stored_key}\""),
        &format!("\"config_key\": \"{config_key}\""),
    )?;
    write_atomic(&config_path, |w| Ok(w.write_all(text.as_bytes())?))?;
    if id == stored_id {
        report.rewritten += 1;
        return Ok(());
    }
    let to = dir.with_file_name(&id);
    if to.exists() {
        bail!(
            "{} migrates to {}, which exists already: two stored cells are the same configuration; \
             keep one and delete the other",
            dir.display(),
            to.display()
        );
    }
    std::fs::rename(dir, &to).with_context(|| format!("moving {} to {}", dir.display(), to.display()))?;
    report.moved.push(Moved {
        from: dir.to_path_buf(),
        to,
    });
    Ok(())
}

/// `value` pretty-printed as it stands two levels deep in `config.json` (`cell.resolved`).
fn nested(value: &serde_json::Value) -> Result<String> {
    Ok(serde_json::to_string_pretty(value)?.replace('\n', "\n    "))
}

/// `text` with its one occurrence of `from` replaced by `to`.
fn replace_once(text: &str, from: &str, to: &str) -> Result<String> {
    match text.matches(from).count() {
        1 => Ok(text.replacen(from, to, 1)),
        n => bail!("expected one occurrence of {from} in config.json, found {n}"),
    }
}

/// Renames the metric columns of `renames` that apply to `optimizer` in `dir/metrics.csv`.
fn renamed_columns(dir: &Path, optimizer: &str, renames: &[ColumnRename], report: &mut Migration) -> Result<()> {
    let path = dir.join("metrics.csv");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let (header, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let mut changed = false;
    let columns: Vec<String> = header
        .split(',')
        .map(
            |c| match renames.iter().find(|r| r.optimizer == optimizer && r.from == c) {
                Some(r) => {
                    changed = true;
                    r.to.to_owned()
                }
                None => c.to_owned(),
            },
        )
        .collect();
    if changed {
        let new = format!("{}\n{rest}", columns.join(","));
        write_atomic(&path, |w| Ok(w.write_all(new.as_bytes())?))?;
        report.renamed_columns += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored dlADMM cell as written before `resolved` was required: `nu` and
    /// `rho_schedule` recorded as `null`.
    fn legacy_cell(results: &Path) -> PathBuf {
        let dataset = DatasetSpec {
            name: "mnist".into(),
            train_samples: Some(100),
            test_samples: None,
            synthetic: None,
            downsample: None,
            validation: None,
        };
        let network: NetworkSpec = serde_json::from_value(serde_json::json!({
            "hidden": [8], "init": {"kind": "normal", "std": 0.1}
        }))
        .expect("network");
        let params = serde_json::json!({"variant": "reference", "rho": 1e-6});
        let built = (registry::find("dladmm").unwrap().build)(
            &toml::Value::try_from(&params).unwrap().as_table().unwrap().clone(),
        )
        .unwrap();
        let mut legacy = built.resolved.clone();
        legacy["nu"] = serde_json::Value::Null;
        legacy["rho_schedule"] = serde_json::Value::Null;
        let (id, key) = identity_hashes("dladmm", &legacy, &dataset, &network, 7).unwrap();
        let dir = results.join("exp").join(&id);
        std::fs::create_dir_all(&dir).unwrap();
        let config = serde_json::json!({"cell": {
            "id": id, "config_key": key, "optimizer": "dladmm", "params": params,
            "resolved": legacy, "dataset": dataset, "network": network, "seed": 7,
        }});
        std::fs::write(dir.join("config.json"), serde_json::to_string_pretty(&config).unwrap()).unwrap();
        std::fs::write(dir.join("metrics.csv"), "iteration,fista_hits\n0,3\n").unwrap();
        dir
    }

    #[test]
    fn a_legacy_cell_moves_to_its_current_id_once() {
        let tmp = tempfile::tempdir().unwrap();
        let old = legacy_cell(tmp.path());
        let renames = [ColumnRename {
            optimizer: "dladmm",
            from: "fista_hits",
            to: "fista_cap_hits",
        }];
        let first = migrate(tmp.path(), &renames).unwrap();
        assert_eq!(first.moved.len(), 1);
        assert_eq!(first.renamed_columns, 1);
        let new = &first.moved[0].to;
        assert!(!old.exists() && new.is_dir());
        let config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(new.join("config.json")).unwrap()).unwrap();
        assert_eq!(config["cell"]["resolved"]["nu"], serde_json::json!(1e-6));
        assert_eq!(
            config["cell"]["resolved"]["rho_schedule"],
            serde_json::json!("adaptive")
        );
        assert_eq!(config["cell"]["id"].as_str(), new.file_name().and_then(|n| n.to_str()));
        let metrics = std::fs::read_to_string(new.join("metrics.csv")).unwrap();
        assert_eq!(metrics, "iteration,fista_cap_hits\n0,3\n");
        let again = migrate(tmp.path(), &renames).unwrap();
        assert_eq!((again.moved.len(), again.unchanged, again.renamed_columns), (0, 1, 0));
    }

    #[test]
    fn a_cell_whose_identity_does_not_hash_to_its_name_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = legacy_cell(tmp.path());
        std::fs::rename(&dir, dir.with_file_name("0000000000000000")).unwrap();
        let err = migrate(tmp.path(), &[]).unwrap_err();
        assert!(format!("{err:#}").contains("0000000000000000"), "{err:#}");
    }
}
