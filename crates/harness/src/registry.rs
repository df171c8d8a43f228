//! The optimizer registry: one line per optimizer maps its name in experiment files to its
//! configuration type.

use anyhow::{Result, anyhow};
use optim_core::{BatchConfig, GradientMethod, MethodConfig, Optimizer, RuleConfig};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// An optimizer built from an experiment entry, with its fully resolved configuration.
pub struct Built {
    /// The optimizer, ready to be initialised.
    pub optimizer: Box<dyn Optimizer>,
    /// Every hyper-parameter, defaults included, as results record it.
    pub resolved: serde_json::Value,
}

/// A registered optimizer.
pub struct Entry {
    /// Name used in experiment files.
    pub name: &'static str,
    /// One line for `runner list`.
    pub description: &'static str,
    /// Builds it from the entry's hyper-parameters.
    pub build: fn(&toml::Table) -> Result<Built>,
}

/// Every optimizer the runner knows. Adding one is one line here.
pub const REGISTRY: &[Entry] = &[
    rule::<sgd::SgdConfig>(
        "sgd",
        "stochastic gradient descent (momentum, Nesterov) by mini-batch or full-batch backprop",
    ),
    rule::<adam::AdamConfig>("adam", "Adam (Kingma & Ba), PyTorch semantics"),
    rule::<adagrad::AdagradConfig>("adagrad", "Adagrad (Duchi et al.), PyTorch semantics"),
    rule::<adadelta::AdadeltaConfig>("adadelta", "Adadelta (Zeiler), PyTorch semantics"),
    method::<admm::AdmmConfig>("admm", "gradient-free ADMM of Taylor et al. (2016), full batch"),
    method::<dladmm::DladmmConfig>(
        "dladmm",
        "dlADMM (Wang et al., KDD 2019): backward-forward block updates, full batch",
    ),
];

/// The entry called `name`.
pub fn find(name: &str) -> Result<&'static Entry> {
    REGISTRY.iter().find(|e| e.name == name).ok_or_else(|| {
        let names: Vec<_> = REGISTRY.iter().map(|e| e.name).collect();
        anyhow!("unknown optimizer `{name}`; valid: {}", names.join(", "))
    })
}

/// Deserializes `C` from a TOML table, naming the failing key.
fn from_table<C: DeserializeOwned>(table: toml::Table) -> Result<C> {
    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            anyhow!("{inner}")
        } else {
            anyhow!("key `{path}`: {inner}")
        }
    })
}

fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value> {
    Ok(serde_json::to_value(value)?)
}

/// A registry line for a full training algorithm.
pub const fn method<C: MethodConfig + 'static>(name: &'static str, description: &'static str) -> Entry {
    Entry {
        name,
        description,
        build: build_method::<C>,
    }
}

fn build_method<C: MethodConfig>(table: &toml::Table) -> Result<Built> {
    let config: C = from_table(table.clone())?;
    let optimizer = config.build().map_err(|e| anyhow!("{e}"))?;
    Ok(Built {
        optimizer,
        resolved: to_json(&config.resolved())?,
    })
}

/// Keys of [`BatchConfig`], split off a rule's table.
const BATCH_KEYS: &[&str] = &["batch_size", "reduction", "shuffle"];

/// A registry line for a per-tensor rule trained by [`GradientMethod`].
pub const fn rule<C: RuleConfig + 'static>(name: &'static str, description: &'static str) -> Entry {
    Entry {
        name,
        description,
        build: build_rule::<C>,
    }
}

fn build_rule<C: RuleConfig>(table: &toml::Table) -> Result<Built> {
    let (mut batch_table, mut rule_table) = (toml::Table::new(), toml::Table::new());
    for (k, v) in table {
        if BATCH_KEYS.contains(&k.as_str()) {
            batch_table.insert(k.clone(), v.clone());
        } else {
            rule_table.insert(k.clone(), v.clone());
        }
    }
    let batch: BatchConfig = from_table(batch_table)?;
    let config: C = from_table(rule_table)?;
    let rule = config.build().map_err(|e| anyhow!("{e}"))?;
    let optimizer = GradientMethod::new(rule, batch.clone()).map_err(|e| anyhow!("{e}"))?;
    let mut resolved = to_json(&config)?;
    if let (Some(map), serde_json::Value::Object(b)) = (resolved.as_object_mut(), to_json(&batch)?) {
        map.extend(b);
    }
    Ok(Built {
        optimizer: Box::new(optimizer),
        resolved,
    })
}
