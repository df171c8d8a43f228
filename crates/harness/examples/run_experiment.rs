//! Runs a small experiment from Rust code, without an experiment file or the command line:
//! Adam at two learning rates against SGD on synthetic blobs, two seeds each, then prints
//! each cell's final test accuracy from the results store.
//!
//! ```sh
//! cargo run --release -p harness --example run_experiment
//! ```

use harness::experiment::Experiment;
use harness::{Layout, cells, results};

const EXPERIMENT: &str = r#"
description = "Adam against SGD on synthetic blobs"
seeds = 2
iterations = 10

[dataset]
name = "synthetic"
synthetic = { samples = 600, features = 10, classes = 3, separation = 0.7, test_samples = 300 }

[network]
hidden = [32]
init = { kind = "kaiming_normal" }

[[optimizers]]
name = "adam"
label = "Adam"
batch_size = 32
grid = { lr = [1e-3, 1e-2] }

[[optimizers]]
name = "sgd"
label = "SGD"
batch_size = 32
lr = 0.05
momentum = 0.9
"#;

fn main() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let layout = Layout::at(root.path());
    let exp = Experiment::parse(
        "blobs".into(),
        root.path().join("experiments/blobs.toml"),
        EXPERIMENT.into(),
    )?;
    let cells = cells::expand(&exp)?;
    // Resumable: running it again into the same results skips the finished cells.
    harness::run_cells(
        &exp,
        &cells,
        None,
        &harness::RunOptions::new(&layout, &layout.results).threads(Some(1)),
    )?;
    for r in results::read_all(&layout.results, &exp.name, &cells)? {
        let accuracy = r.column("test_accuracy").and_then(|c| c.last().copied());
        println!(
            "{:<16} seed {}  final test accuracy {:.3}",
            r.cell.optimizer_label,
            r.cell.seed_index,
            accuracy.unwrap_or(f64::NAN)
        );
    }
    Ok(())
}
