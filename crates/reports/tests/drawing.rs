//! Summary and plots of stored results through `reports::draw` (what `runner exp`, `plot` and
//! `merge` draw at their end), on small synthetic experiments run through the harness.

// One copy of the experiment fixtures for the harness's and the reports' tests.
#[path = "../../harness/tests/common/mod.rs"]
mod common;

use std::path::Path;

use common::{ADAM_AND_SGD, Project};
use harness::cells::{self, Cell};
use harness::experiment::Experiment;
use harness::shard::{self, Shard};
use reports::plots::Band;

/// Draws the summary and plots of `exp` as `runner plot` does.
fn draw(project: &Project, exp: &Experiment, cells: &[Cell]) -> reports::Drawn {
    reports::draw(exp, cells, &project.layout, Band::default()).expect("drawn")
}

#[test]
fn plots_and_summary_exist_and_redraw_from_stored_results() {
    let optimizers = r#"[[optimizers]]
name = "adam"
batch_size = 50
grid = { lr = [1e-3, 1e-2] }

[[optimizers]]
name = "sgd"
label = "SGD"
batch_size = 50
lr = 0.05
"#;
    let project = Project::new();
    let exp = project.experiment("plots", &common::synthetic_experiment(3, 5, 2, optimizers));
    let cells = project.run(&exp, false);
    let drawn = draw(&project, &exp, &cells);
    assert_eq!(drawn.rows.len(), 3, "summary rows");
    assert_eq!(drawn.results.len(), 9, "finished cells");
    let plots = project.plots_of("plots");
    let summary_path = project.results_of("plots").join("summary.csv");

    let expected_charts = || {
        let mut stems = Vec::new();
        for column in ["test_accuracy", "train_accuracy", "test_loss", "train_loss"] {
            for axis in ["iteration", "time"] {
                stems.push(format!("{column}-vs-{axis}"));
            }
        }
        for column in ["batch_loss", "grad_norm"] {
            stems.push(format!("{column}-vs-iteration"));
        }
        stems
    };
    let check_plots = |when: &str| {
        for stem in expected_charts() {
            let png =
                std::fs::read(plots.join(format!("{stem}.png"))).unwrap_or_else(|e| panic!("{when}: {stem}.png: {e}"));
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{when}: {stem}.png is not a PNG");
            let svg = std::fs::read_to_string(plots.join(format!("{stem}.svg")))
                .unwrap_or_else(|e| panic!("{when}: {stem}.svg: {e}"));
            assert!(
                svg.contains("<svg") && svg.trim_end().ends_with("</svg>"),
                "{when}: {stem}.svg is not an SVG document"
            );
        }
    };
    check_plots("after the run");

    let summary = common::read_csv(&summary_path, &[]);
    assert_eq!(summary.rows.len(), 3, "one row per configuration: {summary:?}");
    assert_eq!(summary.column("seeds"), vec!["3"; 3]);
    assert_eq!(summary.column("diverged"), vec!["0"; 3]);
    assert_eq!(summary.column("iterations"), vec!["5"; 3]);
    let labels = summary.column("configuration");
    assert!(
        labels.iter().any(|l| l.contains("lr=0.001")) && labels.iter().any(|l| l.contains("lr=0.01")),
        "{labels:?}"
    );
    assert!(labels.contains(&"SGD".to_owned()), "{labels:?}");
    for column in ["final_test_accuracy", "best_test_accuracy", "final_train_accuracy"] {
        for v in summary.column(column) {
            let v: f64 = v.parse().unwrap();
            assert!((0.0..=1.0).contains(&v), "{column} = {v}");
        }
    }
    assert!(project.results_of("plots").join("summary.md").is_file());

    // Drawing again redraws everything from the stored results without training.
    let summary_text = std::fs::read_to_string(&summary_path).unwrap();
    let cells_before = common::files(&project.results_of("plots"));
    std::fs::remove_dir_all(&plots).unwrap();
    std::fs::remove_file(&summary_path).unwrap();
    draw(&project, &exp, &cells);
    check_plots("after drawing again");
    assert_eq!(
        std::fs::read_to_string(&summary_path).unwrap(),
        summary_text,
        "summary.csv"
    );
    assert_eq!(
        common::files(&project.results_of("plots")),
        cells_before,
        "drawing changed cell files"
    );
}

/// Every output file is written to a temporary name and renamed into place, so redrawn
/// files get a new inode and a kill while drawing never leaves a half-written one.
#[test]
fn plots_are_replaced_by_rename() {
    use std::os::unix::fs::MetadataExt;
    let project = Project::new();
    let exp = project.experiment("atomic", &common::synthetic_experiment(1, 3, 2, ADAM_AND_SGD));
    let cells = project.run(&exp, false);
    draw(&project, &exp, &cells);
    let files = [
        project.results_of("atomic").join("summary.csv"),
        project.results_of("atomic").join("summary.md"),
        project.plots_of("atomic").join("test_accuracy-vs-iteration.png"),
        project.plots_of("atomic").join("test_accuracy-vs-iteration.svg"),
    ];
    let inode = |p: &Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .ino()
    };
    // Hold the old files open by a second name so their inodes cannot be reused.
    let held = tempfile::tempdir().unwrap();
    let before: Vec<u64> = files
        .iter()
        .enumerate()
        .map(|(i, p)| {
            std::fs::hard_link(p, held.path().join(i.to_string())).unwrap();
            inode(p)
        })
        .collect();
    draw(&project, &exp, &cells);
    let in_place: Vec<String> = files
        .iter()
        .zip(&before)
        .filter(|(p, ino)| inode(p) == **ino)
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(in_place.is_empty(), "rewritten in place, not renamed: {in_place:?}");
}

#[test]
fn summary_counts_a_diverged_run() {
    // Full-batch SGD on the summed loss with an absurd step overflows within a few iterations.
    let optimizers = r#"[[optimizers]]
name = "adam"
label = "Adam"
batch_size = 50
lr = 0.01

[[optimizers]]
name = "sgd"
label = "SGD"
lr = 1e6
reduction = "sum"
"#;
    let project = Project::new();
    let exp = project.experiment("diverge", &common::synthetic_experiment(1, 12, 4, optimizers));
    let cells = project.run(&exp, false);
    draw(&project, &exp, &cells);
    let summary = common::read_csv(&project.results_of("diverge").join("summary.csv"), &[]);
    assert_eq!(summary.column("configuration"), vec!["Adam", "SGD"]);
    assert_eq!(summary.column("diverged"), vec!["0", "1"]);
}

#[test]
fn merged_shards_summarise_as_the_unsharded_run() {
    let text = common::synthetic_experiment(3, 5, 2, ADAM_AND_SGD);
    let whole = Project::new();
    let exp = whole.experiment("shards", &text);
    let cells = whole.run(&exp, false);
    draw(&whole, &exp, &cells);

    let shards: Vec<Project> = (1..=2)
        .map(|index| {
            let project = Project::new();
            let exp = project.experiment("shards", &text);
            let selected = Shard { index, count: 2 }.select(&cells::expand(&exp).unwrap());
            project.run_cells(&exp, &selected, false).unwrap();
            project
        })
        .collect();
    let merged = Project::new();
    let exp = merged.experiment("shards", &text);
    let cells = cells::expand(&exp).unwrap();
    let from: Vec<_> = shards.iter().map(|p| p.layout.results.clone()).collect();
    assert_eq!(
        shard::merge(&merged.layout.results, &exp.name, &cells, &from).unwrap(),
        6
    );
    draw(&merged, &exp, &cells);

    let summary = |d: &Path| common::read_csv(&d.join("summary.csv"), common::SUMMARY_TIMING);
    let expected = summary(&whole.results_of("shards"));
    assert_eq!(expected.rows.len(), 2);
    assert_eq!(
        summary(&merged.results_of("shards")),
        expected,
        "summary.csv without timing columns"
    );
    assert!(
        merged
            .plots_of("shards")
            .join("test_accuracy-vs-iteration.png")
            .is_file()
    );
}
