//! Expansion of an experiment into cells, each named by a content hash of its resolved
//! configuration.

use anyhow::{Result, anyhow};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::experiment::{DatasetSpec, Experiment, NetworkSpec};
use crate::registry;

/// One run: a dataset, a network, one optimizer configuration and one seed.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// Content hash of [`Cell::identity`] (16 hex digits): the cell's directory name.
    pub id: String,
    /// Registry name of the optimizer.
    pub optimizer: String,
    /// Human label of the optimizer configuration: the entry's label and its grid values.
    pub label: String,
    /// Hyper-parameters as written (before defaults), grid values applied.
    pub params: toml::Table,
    /// Every hyper-parameter, defaults included.
    pub resolved: serde_json::Value,
    /// The data.
    pub dataset: DatasetSpec,
    /// The network.
    pub network: NetworkSpec,
    /// Index of the seed within the experiment (0..seeds).
    pub seed_index: usize,
    /// The run seed, derived from the experiment seed and the seed index.
    pub seed: u64,
    /// Configuration key: label without the seed, shared by the seeds of one configuration.
    pub config_key: String,
}

/// What defines a cell's results: everything that changes the numbers, nothing else
/// (budgets are not part of it, so extending `iterations` resumes finished cells).
#[derive(Serialize)]
struct Identity<'a> {
    optimizer: &'a str,
    resolved: &'a serde_json::Value,
    dataset: &'a DatasetSpec,
    network: &'a NetworkSpec,
    seed: u64,
}

/// The run seed of seed index `index`: the same for every optimizer, so that all
/// configurations start from the same initial network (common random numbers).
pub fn derive_seed(experiment_seed: u64, index: usize) -> u64 {
    let digest = Sha256::digest(format!("dladmm-bench seed {experiment_seed} {index}"));
    u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// Hex SHA-256 prefix of the canonical JSON (keys sorted) of `value`.
pub fn content_hash<T: Serialize>(value: &T) -> Result<String> {
    // serde_json::Value maps are ordered by key: canonical whatever the file's key order.
    let canonical = serde_json::to_string(&serde_json::to_value(value)?)?;
    Ok(hex::encode(&Sha256::digest(canonical.as_bytes())[..8]))
}

fn format_value(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// All cells of `exp`, in file order: entries, then grid points, then seeds.
pub fn expand(exp: &Experiment) -> Result<Vec<Cell>> {
    let mut cells = Vec::new();
    for entry in &exp.optimizers {
        let reg = registry::find(&entry.name).map_err(|e| exp.key_error(&entry.span, "name", &e.to_string()))?;
        let axes: Vec<(&String, &Vec<toml::Value>)> = entry.grid.iter().collect();
        let points = axes.iter().map(|(_, v)| v.len()).product::<usize>();
        for point in 0..points {
            let mut params = entry.params.clone();
            let mut rest = point;
            let mut varied = Vec::new();
            for (key, values) in &axes {
                let v = &values[rest % values.len()];
                rest /= values.len();
                params.insert((*key).clone(), v.clone());
                varied.push(format!("{key}={}", format_value(v)));
            }
            let built = (reg.build)(&params).map_err(|e| {
                let msg = e.to_string();
                let key = msg
                    .strip_prefix("key `")
                    .and_then(|r| r.split('`').next())
                    .or_else(|| {
                        msg.split("invalid value for `")
                            .nth(1)
                            .and_then(|r| r.split('`').next())
                    })
                    .unwrap_or("name")
                    .to_owned();
                exp.key_error(
                    &entry.span,
                    key.split('.').next().unwrap_or(&key),
                    &format!("in optimizer `{}`: {msg}", entry.name),
                )
            })?;
            let base = entry.label.clone().unwrap_or_else(|| entry.name.clone());
            let label = if varied.is_empty() {
                base
            } else {
                format!("{base} {}", varied.join(" "))
            };
            for seed_index in 0..exp.file.seeds {
                let seed = derive_seed(exp.file.seed, seed_index);
                let identity = Identity {
                    optimizer: &entry.name,
                    resolved: &built.resolved,
                    dataset: &exp.file.dataset,
                    network: &exp.file.network,
                    seed,
                };
                let config_key = content_hash(&Identity { seed: 0, ..identity })?;
                let id = content_hash(&Identity { seed, ..identity })?;
                cells.push(Cell {
                    id,
                    optimizer: entry.name.clone(),
                    label: label.clone(),
                    params: params.clone(),
                    resolved: built.resolved.clone(),
                    dataset: exp.file.dataset.clone(),
                    network: exp.file.network.clone(),
                    seed_index,
                    seed,
                    config_key,
                });
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for c in &cells {
        if !seen.insert(&c.id) {
            return Err(anyhow!(
                "{}: two cells have the same configuration ({}); remove the duplicate",
                exp.path.display(),
                c.label
            ));
        }
    }
    Ok(cells)
}
