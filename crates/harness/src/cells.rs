//! Expansion of an experiment into cells, each named by a content hash of its resolved
//! configuration.

use anyhow::{Result, anyhow};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::experiment::{DatasetSpec, Experiment, NetworkSpec};
use crate::registry;

/// One run: a dataset, a network, one optimizer configuration and one seed.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// Content hash of the cell's identity (16 hex digits): its directory name.
    pub id: String,
    /// Registry name of the optimizer.
    pub optimizer: String,
    /// Label of the optimizer entry (its `label`, else its name), without grid values.
    pub entry: String,
    /// Label of the optimizer configuration: the entry's label and its grid values.
    pub optimizer_label: String,
    /// Values of the experiment-wide axes of this cell (empty without a `[grid]`).
    pub setting: Vec<(String, toml::Value)>,
    /// Full label: optimizer label and setting.
    pub label: String,
    /// Hyper-parameters as written (before defaults), grid values applied.
    pub params: toml::Table,
    /// Every hyper-parameter, defaults included.
    pub resolved: serde_json::Value,
    /// The data.
    pub dataset: DatasetSpec,
    /// The network.
    pub network: NetworkSpec,
    /// Iteration budget.
    pub iterations: usize,
    /// Index of the seed within the experiment (0..seeds).
    pub seed_index: usize,
    /// The run seed, derived from the experiment seed and the seed index.
    pub seed: u64,
    /// Hash of the configuration without the seed, shared by the seeds of one configuration.
    pub config_key: String,
    /// Index of the random-search trial this configuration is (its entry's `search`), whose
    /// drawn values are in `params`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial: Option<usize>,
}

/// What defines a cell's results: everything that changes the numbers, nothing else
/// (budgets are not part of it, so extending `iterations` resumes finished cells).
#[derive(Serialize, Clone, Copy)]
struct Identity<'a> {
    optimizer: &'a str,
    resolved: &'a serde_json::Value,
    dataset: &'a DatasetSpec,
    network: &'a NetworkSpec,
    seed: u64,
}

/// The content hashes of a cell: its id, and its configuration key (the id without the seed,
/// shared by the seeds of one configuration).
pub fn identity_hashes(
    optimizer: &str,
    resolved: &serde_json::Value,
    dataset: &DatasetSpec,
    network: &NetworkSpec,
    seed: u64,
) -> Result<(String, String)> {
    let identity = Identity {
        optimizer,
        resolved,
        dataset,
        network,
        seed,
    };
    Ok((
        content_hash(&identity)?,
        content_hash(&Identity { seed: 0, ..identity })?,
    ))
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

/// A value as written in a label.
pub fn format_value(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(a) => format!("[{}]", a.iter().map(format_value).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

/// All points of a grid given as `(key, values)` axes, first axis fastest.
fn grid_points<'a>(axes: &[(&'a String, &'a Vec<toml::Value>)]) -> Vec<Vec<(&'a String, &'a toml::Value)>> {
    let total = axes.iter().map(|(_, v)| v.len()).product::<usize>();
    (0..total)
        .map(|point| {
            let mut rest = point;
            axes.iter()
                .map(|(key, values)| {
                    let v = &values[rest % values.len()];
                    rest /= values.len();
                    (*key, v)
                })
                .collect()
        })
        .collect()
}

/// Hyper-parameter values of one configuration, by key.
type Values = Vec<(String, toml::Value)>;

/// The configurations of an entry: its search's trials (with their index), else its grid's
/// points.
fn entry_points(entry: &crate::experiment::OptimizerEntry) -> Vec<(Option<usize>, Values)> {
    if let Some(search) = &entry.search {
        return search
            .trials()
            .into_iter()
            .enumerate()
            .map(|(i, t)| (Some(i), t))
            .collect();
    }
    let axes: Vec<(&String, &Vec<toml::Value>)> = entry.grid.iter().collect();
    grid_points(&axes)
        .into_iter()
        .map(|point| (None, point.into_iter().map(|(k, v)| (k.clone(), v.clone())).collect()))
        .collect()
}

/// `spec` with its field `field` replaced by `value`, type-checked by deserialization.
fn with_field<T: Serialize + DeserializeOwned>(spec: &T, field: &str, value: &toml::Value) -> Result<T> {
    let mut json = serde_json::to_value(spec)?;
    let value = serde_json::to_value(value)?;
    if let Some(map) = json.as_object_mut() {
        map.insert(field.to_owned(), value);
    }
    Ok(serde_json::from_value(json)?)
}

/// The dataset and network of one point of the experiment-wide grid.
fn setting(exp: &Experiment, point: &[(&String, &toml::Value)]) -> Result<(DatasetSpec, NetworkSpec)> {
    let (mut dataset, mut network) = (exp.file.dataset.clone(), exp.file.network.clone());
    let span = exp
        .file
        .grid
        .as_ref()
        .map(|g| exp.table_region(g.span()))
        .unwrap_or(0..exp.source.len());
    for (key, value) in point {
        let fail = |e: anyhow::Error| exp.key_error(&span, key, &format!("value {}: {e}", format_value(value)));
        match key.split_once('.') {
            Some(("dataset", field)) => dataset = with_field(&dataset, field, value).map_err(fail)?,
            Some(("network", field)) => network = with_field(&network, field, value).map_err(fail)?,
            _ => return Err(exp.key_error(&span, key, "is not an experiment axis")),
        }
    }
    if !crate::data::names().contains(&dataset.name.as_str()) {
        return Err(exp.key_error(&span, "dataset.name", &format!("unknown dataset `{}`", dataset.name)));
    }
    if network.hidden.contains(&0) {
        return Err(exp.key_error(&span, "network.hidden", "hidden widths must be positive"));
    }
    if let Some(factor) = dataset.downsample {
        crate::experiment::check_downsample(&dataset.name, factor)
            .map_err(|m| exp.key_error(&span, "dataset.downsample", &m))?;
    }
    Ok((dataset, network))
}

/// All cells of `exp`: settings (experiment-wide grid), then entries, their grid points, seeds.
pub fn expand(exp: &Experiment) -> Result<Vec<Cell>> {
    let setting_axes: Vec<(&String, &Vec<toml::Value>)> = exp
        .file
        .grid
        .iter()
        .flat_map(|g| g.get_ref())
        .filter_map(|(k, v)| v.as_array().map(|a| (k, a)))
        .collect();
    let mut cells = Vec::new();
    for setting_point in grid_points(&setting_axes) {
        let (dataset, network) = setting(exp, &setting_point)?;
        let setting_values: Vec<(String, toml::Value)> = setting_point
            .iter()
            .map(|(k, v)| ((*k).clone(), (*v).clone()))
            .collect();
        let setting_label: Vec<String> = setting_point
            .iter()
            .map(|(k, v)| format!("{}={}", k.rsplit('.').next().unwrap_or(k), format_value(v)))
            .collect();
        for entry in &exp.optimizers {
            let reg = registry::find(&entry.name).map_err(|e| exp.key_error(&entry.span, "name", &e.to_string()))?;
            for (trial, point) in entry_points(entry) {
                let mut params = entry.params.clone();
                for (key, value) in &point {
                    params.insert(key.clone(), value.clone());
                }
                let built = (reg.build)(&params).map_err(|e| {
                    let key = e.key.as_deref().unwrap_or("name");
                    exp.key_error(&entry.span, key, &format!("in optimizer `{}`: {e}", entry.name))
                })?;
                let base = entry.label.clone().unwrap_or_else(|| entry.name.clone());
                let mut varied: Vec<String> = point.iter().map(|(k, v)| format!("{k}={}", format_value(v))).collect();
                if let Some(t) = trial {
                    varied.insert(0, format!("trial {}", t + 1));
                }
                let optimizer_label = if varied.is_empty() {
                    base.clone()
                } else {
                    format!("{base} {}", varied.join(" "))
                };
                let label = if setting_label.is_empty() {
                    optimizer_label.clone()
                } else {
                    format!("{optimizer_label} ({})", setting_label.join(" "))
                };
                for seed_index in 0..exp.file.seeds {
                    let seed = derive_seed(exp.file.seed, seed_index);
                    let (id, config_key) = identity_hashes(&entry.name, &built.resolved, &dataset, &network, seed)?;
                    cells.push(Cell {
                        id,
                        config_key,
                        optimizer: entry.name.clone(),
                        entry: base.clone(),
                        optimizer_label: optimizer_label.clone(),
                        setting: setting_values.clone(),
                        label: label.clone(),
                        params: params.clone(),
                        resolved: built.resolved.clone(),
                        dataset: dataset.clone(),
                        network: network.clone(),
                        iterations: entry.iterations.unwrap_or(exp.file.iterations),
                        seed_index,
                        seed,
                        trial,
                    });
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for c in &cells {
        if !seen.insert(&c.id) {
            let fix = if c.trial.is_some() {
                "two search trials drew the same values; change `seed` of the entry's `search` or widen its space"
            } else {
                "remove the duplicate"
            };
            return Err(anyhow!(
                "{}: two cells have the same configuration ({}); {fix}",
                exp.path.display(),
                c.label
            ));
        }
    }
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn exp(text: &str) -> Experiment {
        Experiment::parse("t".into(), PathBuf::from("t.toml"), text.into()).unwrap()
    }

    const BASE: &str = r#"
iterations = 2
seeds = 2
[dataset]
name = "synthetic"
synthetic = { samples = 50, features = 4, classes = 2, separation = 1.0 }
[network]
hidden = [8]
[[optimizers]]
name = "adam"
lr = 0.01
batch_size = 10
grid = { eps = [1e-8, 1e-6] }
"#;

    #[test]
    fn ids_ignore_key_order_and_grid_order() {
        let a = expand(&exp(BASE)).unwrap();
        let reordered = BASE
            .replace("lr = 0.01\nbatch_size = 10", "batch_size = 10\nlr = 0.01")
            .replace("[1e-8, 1e-6]", "[1e-6, 1e-8]");
        let b = expand(&exp(&reordered)).unwrap();
        let ids = |cells: &[Cell]| {
            let mut v: Vec<String> = cells.iter().map(|c| c.id.clone()).collect();
            v.sort();
            v
        };
        assert_eq!(a.len(), 4);
        assert_eq!(ids(&a), ids(&b));
        // A default written out explicitly is the same configuration.
        let explicit = BASE.replace("lr = 0.01", "lr = 0.01\nbetas = [0.9, 0.999]");
        assert_eq!(ids(&a), ids(&expand(&exp(&explicit)).unwrap()));
        // Seeds share the configuration key, not the id.
        assert_eq!(a[0].config_key, a[1].config_key);
        assert_ne!(a[0].id, a[1].id);
        assert_eq!(a[0].seed, b[0].seed);
    }

    #[test]
    fn experiment_axes_multiply_cells() {
        let text =
            format!("{BASE}\n[grid]\n\"network.hidden\" = [[4], [8, 8]]\n\"dataset.train_samples\" = [20, 40]\n");
        let cells = expand(&exp(&text)).unwrap();
        assert_eq!(cells.len(), 16);
        assert!(
            cells
                .iter()
                .any(|c| c.network.hidden == vec![8, 8] && c.dataset.train_samples == Some(40))
        );
        assert!(cells[0].label.contains("hidden=[4]"), "{}", cells[0].label);
    }

    #[test]
    fn downsample_is_an_axis_and_a_bad_value_names_it() {
        let mnist = BASE.replace(
            "name = \"synthetic\"\nsynthetic = { samples = 50, features = 4, classes = 2, separation = 1.0 }",
            "name = \"mnist\"",
        );
        let cells = expand(&exp(&format!("{mnist}\n[grid]\n\"dataset.downsample\" = [2, 4]\n"))).unwrap();
        assert_eq!(cells.len(), 8);
        assert!(cells.iter().any(|c| c.dataset.downsample == Some(4)));
        let text = format!("{mnist}\n[grid]\n\"dataset.downsample\" = [2, 1]\n");
        let msg = expand(&exp(&text)).unwrap_err().to_string();
        assert!(msg.contains("t.toml:") && msg.contains("dataset.downsample"), "{msg}");
    }

    #[test]
    fn bad_axis_value_names_the_key() {
        let text = format!("{BASE}\n[grid]\n\"network.hidden\" = [\"wide\"]\n");
        let msg = expand(&exp(&text)).unwrap_err().to_string();
        assert!(msg.contains("network.hidden") && msg.contains("t.toml:"), "{msg}");
    }

    #[test]
    fn search_trials_become_cells_with_their_values() {
        let text = BASE.replace(
            "grid = { eps = [1e-8, 1e-6] }",
            "search = { budget = 5, seed = 2, eps = { log_uniform = [1e-9, 1e-6] } }",
        );
        let cells = expand(&exp(&text)).unwrap();
        assert_eq!(cells.len(), 10, "5 trials x 2 seeds");
        assert_eq!(
            cells.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
            expand(&exp(&text))
                .unwrap()
                .iter()
                .map(|c| c.id.clone())
                .collect::<Vec<_>>()
        );
        for c in &cells {
            let eps = c.params["eps"].as_float().unwrap();
            assert!((1e-9..=1e-6).contains(&eps));
            // The drawn value is what resolves, runs and names the configuration.
            assert_eq!(c.resolved["eps"].as_f64(), Some(eps));
            assert!(
                c.optimizer_label
                    .contains(&format!("trial {} eps={eps}", c.trial.unwrap() + 1)),
                "{}",
                c.optimizer_label
            );
            assert_eq!(c.entry, "adam");
        }
        let trials: std::collections::BTreeSet<usize> = cells.iter().filter_map(|c| c.trial).collect();
        assert_eq!(trials.len(), 5);
        assert_eq!(cells[0].config_key, cells[1].config_key);
        assert_ne!(cells[0].config_key, cells[2].config_key);
        // Another search seed draws other trials.
        let other = expand(&exp(&text.replace("seed = 2", "seed = 3"))).unwrap();
        assert_ne!(cells[0].id, other[0].id);
    }

    #[test]
    fn validation_split_changes_identity_only_when_present() {
        let plain = expand(&exp(BASE)).unwrap();
        let split = BASE.replace("separation = 1.0 }", "separation = 1.0 }\nvalidation = { size = 10 }");
        let with_split = expand(&exp(&split)).unwrap();
        assert_ne!(plain[0].id, with_split[0].id);
        let json = serde_json::to_value(&plain[0]).unwrap();
        assert!(json["dataset"].get("validation").is_none() && json.get("trial").is_none());
        let other_seed = expand(&exp(&split.replace("size = 10 }", "size = 10, seed = 1 }"))).unwrap();
        assert_ne!(with_split[0].id, other_seed[0].id);
    }
}
