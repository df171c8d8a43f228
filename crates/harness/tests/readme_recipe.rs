//! The README's "Adding an optimizer" recipe stays true: the files it names exist, its registry
//! line has the shape of the real ones, and every optimizer crate of the workspace was added the
//! way it says (a dependency of the harness and a registry line), so `runner list` shows it.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The README's section on adding an optimizer.
fn recipe() -> String {
    let readme = read(&workspace().join("README.md"));
    let start = readme.find("## Adding an optimizer").expect("README has the recipe");
    let rest = &readme[start + 3..];
    rest[..rest.find("\n## ").unwrap_or(rest.len())].to_owned()
}

#[test]
fn the_files_the_recipe_names_exist() {
    let recipe = recipe();
    for file in ["crates/harness/Cargo.toml", "crates/harness/src/registry.rs"] {
        assert!(recipe.contains(file), "the recipe no longer names {file}");
        assert!(
            workspace().join(file).is_file(),
            "{file} named by the recipe does not exist"
        );
    }
}

#[test]
fn the_recipes_registry_line_has_the_shape_of_the_real_ones() {
    let recipe = recipe();
    let line = recipe
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("rule::<"))
        .expect("the recipe shows a registry line");
    let registry = read(&workspace().join("crates/harness/src/registry.rs"));
    let shape = |l: &str| l.split_once("::<").map(|(head, _)| head.to_owned());
    assert!(
        registry
            .lines()
            .map(str::trim)
            .any(|l| shape(l) == shape(line) && l.ends_with("),")),
        "no registry line of the shape `{line}`"
    );
    assert!(
        recipe.contains("method::<"),
        "the recipe says how to register a MethodConfig"
    );
}

#[test]
fn every_optimizer_crate_is_registered_as_the_recipe_says() {
    let root = workspace();
    let registry = read(&root.join("crates/harness/src/registry.rs"));
    let manifest = read(&root.join("crates/harness/Cargo.toml"));
    let mut found = 0;
    for entry in std::fs::read_dir(root.join("crates")).expect("crates/") {
        let dir = entry.expect("an entry").path();
        let Ok(sources) = std::fs::read_dir(dir.join("src")) else {
            continue;
        };
        let implements = sources.filter_map(|f| f.ok()).any(|f| {
            let text = std::fs::read_to_string(f.path()).unwrap_or_default();
            text.contains("impl RuleConfig for") || text.contains("impl MethodConfig for")
        });
        if !implements {
            continue;
        }
        found += 1;
        let name = dir.file_name().expect("a name").to_string_lossy().into_owned();
        let lib = name.replace('-', "_");
        assert!(
            manifest
                .lines()
                .any(|l| l.starts_with(&format!("{name} ")) || l.starts_with(&format!("{name}."))),
            "{name} implements an optimizer config but is not a dependency of crates/harness/Cargo.toml"
        );
        assert!(
            registry.contains(&format!("<{lib}::")),
            "{name} implements an optimizer config but has no line in crates/harness/src/registry.rs"
        );
    }
    assert!(found >= 7, "found only {found} optimizer crates");
}
