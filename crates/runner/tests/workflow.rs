//! The everyday workflow of `runner`, end to end on small synthetic problems: reruns skip,
//! `--force` reruns, raised budgets extend, shards merge, plots and summary, divergence.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use common::Root;

const ADAM_AND_SGD: &str = r#"[[optimizers]]
name = "adam"
label = "Adam"
batch_size = 50
lr = 0.01

[[optimizers]]
name = "sgd"
label = "SGD"
batch_size = 50
lr = 0.05
momentum = 0.9
"#;

/// Contents and modification time of each file directly in each cell directory.
fn files(experiment_dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    common::cell_dirs(experiment_dir)
        .values()
        .flat_map(|d| std::fs::read_dir(d).unwrap().flatten())
        .filter(|e| e.path().is_file())
        .map(|e| {
            let p = e.path();
            let bytes = std::fs::read(&p).unwrap();
            let modified = e.metadata().unwrap().modified().unwrap();
            (p, (bytes, modified))
        })
        .collect()
}

#[test]
fn rerun_skips_finished_cells() {
    let root = Root::new();
    root.write_experiment("rerun", &common::synthetic_experiment(2, 8, 3, ADAM_AND_SGD));
    let first = root.run_ok(&["exp", "rerun", "--threads", "1"]);
    let dir = root.results_of("rerun");
    let cells = root.cells("rerun");
    assert_eq!(cells.len(), 4, "{}", first.describe());
    let before = files(&dir);
    let snapshot = common::snapshot(&dir);

    let second = root.run_ok(&["exp", "rerun", "--threads", "1"]);
    let stderr = second.stderr();
    let skips: Vec<&str> = stderr.lines().filter(|l| l.starts_with("skip ")).collect();
    assert_eq!(skips.len(), cells.len(), "{}", second.describe());
    for id in cells.keys() {
        assert_eq!(
            skips.iter().filter(|l| l.contains(id.as_str())).count(),
            1,
            "cell {id} is not skipped once\n{}",
            second.describe()
        );
    }
    assert_eq!(
        files(&dir),
        before,
        "a rerun of a finished experiment changed cell files"
    );
    assert!(
        second.seconds < 10.0,
        "a rerun that trains nothing took {:.1} s",
        second.seconds
    );
    assert!(
        second.stdout().contains("| Adam |"),
        "no summary\n{}",
        second.describe()
    );

    // --force: every cell directory is recreated and trained again, to the same numbers.
    for d in cells.values() {
        std::fs::write(d.join("marker"), b"from before --force").unwrap();
    }
    let forced = root.run_ok(&["exp", "rerun", "--threads", "1", "--force"]);
    assert!(
        !forced.stderr().lines().any(|l| l.starts_with("skip ")),
        "--force skipped cells\n{}",
        forced.describe()
    );
    for (id, d) in root.cells("rerun") {
        assert!(!d.join("marker").exists(), "cell {id} was not rerun from scratch");
        assert!(d.join("status.json").is_file(), "cell {id} has no status after --force");
    }
    common::assert_same_cells(&snapshot, &common::snapshot(&dir));
}

#[test]
fn extending_iterations_resumes() {
    let root = Root::new();
    root.write_experiment("extend", &common::synthetic_experiment(2, 6, 4, ADAM_AND_SGD));
    root.run_ok(&["exp", "extend", "--threads", "1"]);
    let dir = root.results_of("extend");
    let short: BTreeMap<String, String> = root
        .cells("extend")
        .into_iter()
        .map(|(id, d)| (id, std::fs::read_to_string(d.join("metrics.csv")).unwrap()))
        .collect();
    assert_eq!(short.len(), 4);

    root.write_experiment("extend", &common::synthetic_experiment(2, 10, 4, ADAM_AND_SGD));
    let dry = root.run_ok(&["exp", "extend", "--dry-run"]);
    for (id, state) in common::dry_run_states(&dry.stdout()) {
        assert_eq!(state, "resumable at iteration 6", "cell {id}\n{}", dry.describe());
    }
    let extended = root.run_ok(&["exp", "extend", "--threads", "1"]);
    assert!(
        !extended.stderr().contains("skip "),
        "cells with 6 of 10 iterations were skipped\n{}",
        extended.describe()
    );
    let cells = root.cells("extend");
    assert_eq!(
        cells.keys().collect::<Vec<_>>(),
        short.keys().collect::<Vec<_>>(),
        "raising iterations changed the cells"
    );
    for (id, d) in &cells {
        assert_eq!(common::metric_rows(d), 10, "cell {id}");
        // Resumed, not rerun: the first six rows are the stored ones, timings included.
        let text = std::fs::read_to_string(d.join("metrics.csv")).unwrap();
        assert!(
            text.starts_with(&short[id]),
            "cell {id}: the first 6 rows were rewritten\nbefore:\n{}\nafter:\n{text}",
            short[id]
        );
        assert_eq!(common::status(d)["progress"]["next_iteration"], 10, "cell {id}");
    }

    let fresh = Root::new();
    fresh.write_experiment("extend", &common::synthetic_experiment(2, 10, 4, ADAM_AND_SGD));
    fresh.run_ok(&["exp", "extend", "--threads", "1"]);
    common::assert_same_cells(&common::snapshot(&fresh.results_of("extend")), &common::snapshot(&dir));
}

#[test]
fn sharded_runs_merged_equal_unsharded() {
    let text = common::synthetic_experiment(3, 5, 2, ADAM_AND_SGD);
    let whole = Root::new();
    whole.write_experiment("shards", &text);
    whole.run_ok(&["exp", "shards", "--threads", "1"]);
    let all = whole.cells("shards");
    assert_eq!(all.len(), 6);

    let shards: Vec<Root> = (1..=2)
        .map(|k| {
            let root = Root::new();
            root.write_experiment("shards", &text);
            let run = root.run_ok(&["exp", "shards", "--threads", "1", "--shard", &format!("{k}/2")]);
            assert!(
                run.stderr().contains(&format!("shard {k}/2: 3 cells")),
                "{}",
                run.describe()
            );
            root
        })
        .collect();
    let (ids1, ids2) = (shards[0].cells("shards"), shards[1].cells("shards"));
    assert_eq!(ids1.len() + ids2.len(), all.len(), "shards {ids1:?} and {ids2:?}");
    for id in ids1.keys() {
        assert!(!ids2.contains_key(id), "cell {id} is in both shards");
    }

    let merged = Root::new();
    merged.write_experiment("shards", &text);
    let from: Vec<String> = shards.iter().map(|r| r.results().display().to_string()).collect();
    let run = merged.run_ok(&["merge", "shards", &from[0], &from[1]]);
    assert!(run.stderr().contains("merged 6 finished cells"), "{}", run.describe());

    let dir = merged.results_of("shards");
    common::assert_same_cells(&common::snapshot(&whole.results_of("shards")), &common::snapshot(&dir));
    let summary = |d: &Path| common::read_csv(&d.join("summary.csv"), common::SUMMARY_TIMING);
    let expected = summary(&whole.results_of("shards"));
    assert_eq!(expected.rows.len(), 2);
    assert_eq!(summary(&dir), expected, "summary.csv without timing columns");
    assert!(
        merged
            .plots_of("shards")
            .join("test_accuracy-vs-iteration.png")
            .is_file()
    );
}

#[test]
fn plots_and_summary_exist() {
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
    let root = Root::new();
    root.write_experiment("plots", &common::synthetic_experiment(3, 5, 2, optimizers));
    root.run_ok(&["exp", "plots", "--threads", "1"]);
    let plots = root.plots_of("plots");
    let summary_path = root.results_of("plots").join("summary.csv");

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
    assert!(root.results_of("plots").join("summary.md").is_file());

    // `runner plot` redraws everything from the stored results without training.
    let summary_text = std::fs::read_to_string(&summary_path).unwrap();
    let cells_before = files(&root.results_of("plots"));
    std::fs::remove_dir_all(&plots).unwrap();
    std::fs::remove_file(&summary_path).unwrap();
    let run = root.run_ok(&["plot", "plots"]);
    check_plots("after `runner plot`");
    assert_eq!(
        std::fs::read_to_string(&summary_path).unwrap(),
        summary_text,
        "summary.csv"
    );
    assert_eq!(
        files(&root.results_of("plots")),
        cells_before,
        "`runner plot` changed cell files"
    );
    assert!(!run.stderr().contains("skip "), "{}", run.describe());
}

#[test]
fn diverged_run_is_recorded() {
    // Full-batch SGD on the summed loss with an absurd step: finite for a couple of
    // iterations, then overflows.
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
    let root = Root::new();
    root.write_experiment("diverge", &common::synthetic_experiment(1, 12, 4, optimizers));
    let run = root.run_ok(&["exp", "diverge", "--threads", "1"]);
    let cells = root.cells("diverge");
    assert_eq!(cells.len(), 2);
    let mut diverged = 0;
    for (id, d) in &cells {
        let status = common::status(d);
        let config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("config.json")).unwrap()).unwrap();
        let rows = common::read_csv(&d.join("metrics.csv"), &[]);
        if config["cell"]["optimizer"] == "adam" {
            assert_eq!(status["termination"]["status"], "completed", "cell {id}");
            assert_eq!(rows.rows.len(), 12);
            continue;
        }
        diverged += 1;
        assert_eq!(status["termination"]["status"], "diverged", "cell {id}: {status}");
        let at = status["termination"]["iteration"]
            .as_u64()
            .unwrap_or_else(|| panic!("no iteration in {status}")) as usize;
        assert!(at < 12, "{status}");
        assert!(
            !status["termination"]["what"].as_str().unwrap_or_default().is_empty(),
            "{status}"
        );
        // The rows before the diverging iteration are kept (and the diverging one if its
        // update finished), numbered from 0.
        assert!(
            rows.rows.len() == at || rows.rows.len() == at + 1,
            "diverged at {at} with {} rows",
            rows.rows.len()
        );
        assert!(at >= 1, "the run diverged at once; choose a milder step to keep rows");
        let iterations: Vec<String> = (0..rows.rows.len()).map(|i| i.to_string()).collect();
        assert_eq!(rows.column("iteration"), iterations);
        for (i, loss) in rows.column("train_loss").iter().take(at).enumerate() {
            let loss: f64 = loss.parse().unwrap();
            assert!(loss.is_finite(), "row {i} before divergence has loss {loss}");
        }
    }
    assert_eq!(diverged, 1, "{}", run.describe());

    let summary = common::read_csv(&root.results_of("diverge").join("summary.csv"), &[]);
    assert_eq!(summary.column("configuration"), vec!["Adam", "SGD"]);
    assert_eq!(summary.column("diverged"), vec!["0", "1"]);

    // A diverged cell is finished: a rerun skips it.
    let again = root.run_ok(&["exp", "diverge", "--threads", "1"]);
    assert_eq!(
        again.stderr().lines().filter(|l| l.starts_with("skip ")).count(),
        2,
        "{}",
        again.describe()
    );
}

/// With a checkpoint every iteration, the diverging iteration's state is saved as a
/// checkpoint (and the last good one deleted), although `Checkpointer::finish` means to keep
/// the last good checkpoint of a diverged run.
#[test]
fn diverged_run_keeps_last_good_checkpoint() {
    let optimizers = r#"[[optimizers]]
name = "sgd"
lr = 1e6
reduction = "sum"
"#;
    let root = Root::new();
    root.write_experiment("diverge", &common::synthetic_experiment(1, 12, 1, optimizers));
    root.run_ok(&["exp", "diverge", "--threads", "1"]);
    let (id, dir) = root.cells("diverge").into_iter().next().expect("one cell");
    let status = common::status(&dir);
    assert_eq!(status["termination"]["status"], "diverged", "{status}");
    let at = status["termination"]["iteration"].as_u64().unwrap() as usize;
    let checkpoints: Vec<usize> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.strip_prefix("checkpoint-")?.parse().ok())
        .collect();
    // checkpoint-N holds the state after iterations 0..N; the state after iteration `at`
    // is the diverged one.
    assert!(
        checkpoints.iter().all(|&n| n <= at),
        "cell {id} diverged at iteration {at} but has checkpoints {checkpoints:?}"
    );
    assert!(
        checkpoints.contains(&at),
        "cell {id}: the last good checkpoint ({at}) is gone: {checkpoints:?}"
    );
}

/// README: "Every file is written to a temporary name and renamed into place". Rewritten
/// files therefore get a new inode; the summary does, the plots are truncated and rewritten
/// in place, so a kill while drawing leaves half-written PNG/SVG files.
#[test]
fn plots_are_replaced_by_rename() {
    use std::os::unix::fs::MetadataExt;
    let root = Root::new();
    root.write_experiment("atomic", &common::synthetic_experiment(1, 3, 2, ADAM_AND_SGD));
    root.run_ok(&["exp", "atomic", "--threads", "1"]);
    let files = [
        root.results_of("atomic").join("summary.csv"),
        root.results_of("atomic").join("summary.md"),
        root.plots_of("atomic").join("test_accuracy-vs-iteration.png"),
        root.plots_of("atomic").join("test_accuracy-vs-iteration.svg"),
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
    root.run_ok(&["plot", "atomic"]);
    let in_place: Vec<String> = files
        .iter()
        .zip(&before)
        .filter(|(p, ino)| inode(p) == **ino)
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(in_place.is_empty(), "rewritten in place, not renamed: {in_place:?}");
}

/// A cell with a checkpoint but no metrics.csv resumes without complaint and writes a
/// metrics.csv whose first row is the checkpoint's iteration: the rows before it are lost,
/// and the summary counts iterations and time-to-target from the wrong origin. A damaged or
/// short metrics.csv is an error ("rerun with --force"); a missing one should be too (or the
/// cell should start over).
#[test]
fn missing_metrics_with_checkpoint_is_not_resumed_silently() {
    let root = Root::new();
    root.write_experiment("lost", &common::synthetic_experiment(1, 6, 3, ADAM_AND_SGD));
    root.run_ok(&["exp", "lost", "--threads", "1"]);
    for d in root.cells("lost").values() {
        std::fs::remove_file(d.join("metrics.csv")).unwrap();
    }
    root.write_experiment("lost", &common::synthetic_experiment(1, 10, 3, ADAM_AND_SGD));
    let run = root.run(&["exp", "lost", "--threads", "1"]);
    if run.output.status.success() {
        for (id, d) in root.cells("lost") {
            let iterations = common::read_csv(&d.join("metrics.csv"), &[]).column("iteration");
            let expected: Vec<String> = (0..10).map(|i| i.to_string()).collect();
            assert_eq!(iterations, expected, "cell {id}: iterations in metrics.csv");
        }
    } else {
        assert!(run.stderr().contains("metrics.csv"), "{}", run.describe());
    }
}
