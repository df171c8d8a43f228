//! Cell identity is stable: the committed reference results (results/paper/, results/
//! adam-mnist-numpy/) were stored under ids computed before validation splits and random
//! search existed, and every cell of their experiments must still find its directory.

use std::path::{Path, PathBuf};

use harness::cells;
use harness::experiment::Experiment;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn committed_cells_keep_their_ids() {
    let root = root();
    let stored = [
        ("paper-fig2", "results/paper"),
        ("paper-fig4", "results/paper"),
        ("paper-fig4-minibatch", "results/paper"),
        ("paper-fig5-minibatch", "results/paper"),
        ("paper-table2", "results/paper"),
        ("paper-table3-mnist", "results/paper"),
        ("adam-mnist-numpy", "results"),
    ];
    let mut checked = 0;
    for (name, dir) in stored {
        let exp = Experiment::load(&root, name).unwrap();
        for cell in cells::expand(&exp).unwrap() {
            let path = root.join(dir).join(name).join(&cell.id);
            assert!(
                path.join("config.json").is_file(),
                "{name}: {} ({}) has moved",
                cell.id,
                cell.label
            );
            let stored: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(path.join("config.json")).unwrap()).unwrap();
            // Nothing new is written into a cell's record without the new keys.
            assert!(stored["cell"].get("trial").is_none() && stored.get("validation").is_none());
            assert_eq!(stored["cell"]["dataset"], serde_json::to_value(&cell.dataset).unwrap());
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}
