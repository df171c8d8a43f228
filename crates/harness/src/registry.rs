//! The optimizer registry: one line per optimizer maps its name in experiment files to its
//! configuration type.

use optim_core::{BatchConfig, GradientMethod, MethodConfig, OptimError, Optimizer, RuleConfig};
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
    pub build: fn(&toml::Table) -> Result<Built, BuildError>,
}

/// Why an optimizer entry could not be built, with the key at fault when there is one.
#[derive(Debug, thiserror::Error)]
#[error("{}{message}", key.as_ref().map(|k| format!("key `{k}`: ")).unwrap_or_default())]
pub struct BuildError {
    /// The entry's key at fault (`lr`, `betas`, ...), as written in experiment files; `None`
    /// when the error is not about one key.
    pub key: Option<String>,
    /// What is wrong and what would be valid.
    pub message: String,
}

impl BuildError {
    fn new(key: Option<String>, message: impl Into<String>) -> Self {
        BuildError {
            key,
            message: message.into(),
        }
    }
}

impl From<OptimError> for BuildError {
    fn from(e: OptimError) -> Self {
        match e {
            OptimError::InvalidParameter { key, message } => BuildError::new(Some(key), message),
            other => BuildError::new(None, other.to_string()),
        }
    }
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
    rule::<rmsprop::RmspropConfig>("rmsprop", "RMSprop (Tieleman & Hinton), PyTorch semantics"),
    method::<admm::AdmmConfig>("admm", "gradient-free ADMM of Taylor et al. (2016), full batch"),
    method::<dladmm::DladmmConfig>(
        "dladmm",
        "dlADMM (Wang et al., KDD 2019): backward-forward block updates, full batch",
    ),
    method::<pdadmm::PdadmmConfig>(
        "pdadmm",
        "pdADMM (Wang et al., ICDM 2020): layer-parallel ADMM, full batch",
    ),
];

/// The entry called `name`.
pub fn find(name: &str) -> Result<&'static Entry, BuildError> {
    REGISTRY.iter().find(|e| e.name == name).ok_or_else(|| {
        let names: Vec<_> = REGISTRY.iter().map(|e| e.name).collect();
        BuildError::new(
            Some("name".into()),
            format!("unknown optimizer `{name}`; valid: {}", names.join(", ")),
        )
    })
}

/// Deserializes `C` from a TOML table, naming the failing key (its first segment: the key as
/// written at the entry's level).
fn from_table<C: DeserializeOwned>(table: toml::Table) -> Result<C, BuildError> {
    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let key = (path != ".").then(|| path.split(['.', '[']).next().unwrap_or(&path).to_owned());
        // An unknown key is reported by serde at the table itself: recover it from the message.
        let key = key.or_else(|| {
            inner
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
                .map(str::to_owned)
        });
        BuildError::new(key, inner)
    })
}

fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value, BuildError> {
    serde_json::to_value(value).map_err(|e| BuildError::new(None, e.to_string()))
}

/// A registry line for a full training algorithm.
pub const fn method<C: MethodConfig + 'static>(name: &'static str, description: &'static str) -> Entry {
    Entry {
        name,
        description,
        build: build_method::<C>,
    }
}

fn build_method<C: MethodConfig>(table: &toml::Table) -> Result<Built, BuildError> {
    let config: C = from_table(table.clone())?;
    let optimizer = config.build()?;
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

fn build_rule<C: RuleConfig>(table: &toml::Table) -> Result<Built, BuildError> {
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
    let rule = config.build()?;
    let optimizer = GradientMethod::new(rule, batch.clone())?;
    let mut resolved = to_json(&config)?;
    if let (Some(map), serde_json::Value::Object(b)) = (resolved.as_object_mut(), to_json(&batch)?) {
        map.extend(b);
    }
    Ok(Built {
        optimizer: Box::new(optimizer),
        resolved,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys whose `null` is itself a setting, not a default left unresolved: a rule's
    /// `batch_size` of `null` means full batch.
    const NULL_IS_A_VALUE: &[&str] = &["batch_size"];

    fn resolved(entry: &Entry, table: &toml::Table) -> serde_json::Value {
        match (entry.build)(table) {
            Ok(built) => built.resolved,
            Err(e) => panic!("{}: {e}", entry.name),
        }
    }

    fn toml_value(json: &serde_json::Value) -> toml::Value {
        toml::Value::try_from(json).expect("resolved values are TOML values")
    }

    #[test]
    fn every_optimizer_records_every_value_in_force() {
        for entry in REGISTRY {
            let base = resolved(entry, &toml::Table::new());
            let map = base.as_object().expect("a configuration is a table");
            for (key, value) in map {
                assert!(
                    !value.is_null() || NULL_IS_A_VALUE.contains(&key.as_str()),
                    "{}: `{key}` resolves to null: results would not show the value in force",
                    entry.name
                );
            }
        }
    }

    #[test]
    fn equivalent_entries_resolve_alike() {
        // Writing out any resolved value, or all of them, changes nothing: such entries run the
        // same optimizer, so they must hash to the same cell.
        for entry in REGISTRY {
            let base = resolved(entry, &toml::Table::new());
            let mut all = toml::Table::new();
            for (key, value) in base.as_object().expect("a table") {
                if value.is_null() {
                    continue;
                }
                let one = toml::Table::from_iter([(key.clone(), toml_value(value))]);
                assert_eq!(resolved(entry, &one), base, "{}: writing out `{key}`", entry.name);
                all.insert(key.clone(), toml_value(value));
            }
            assert_eq!(resolved(entry, &all), base, "{}: writing out every value", entry.name);
        }
    }

    #[test]
    fn build_errors_carry_their_key() {
        let adam = find("adam").expect("registered");
        let bad = toml::Table::from_iter([("lr".to_owned(), toml::Value::Float(-1.0))]);
        let e = (adam.build)(&bad).err().expect("a negative rate is invalid");
        assert_eq!(e.key.as_deref(), Some("lr"));
        let typo = toml::Table::from_iter([("lrr".to_owned(), toml::Value::Float(0.1))]);
        let e = (adam.build)(&typo).err().expect("an unknown key is invalid");
        assert_eq!(e.key.as_deref(), Some("lrr"), "{e}");
        let wrong_type = toml::Table::from_iter([("betas".to_owned(), toml::Value::String("x".into()))]);
        let e = (adam.build)(&wrong_type).err().expect("betas is a pair");
        assert_eq!(e.key.as_deref(), Some("betas"), "{e}");
        assert_eq!(find("adamw").err().and_then(|e| e.key).as_deref(), Some("name"));
    }
}
