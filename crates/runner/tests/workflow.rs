//! The everyday workflow of `runner` end to end, as a user sees it: what a rerun prints, the
//! summary table, `--force`, `--dry-run`, `--shard` and `merge` lines, exit statuses. The logic
//! behind them is tested through the libraries: crates/harness/tests/execution.rs (skips,
//! force, resume, shards, divergence) and crates/reports/tests/drawing.rs (summary, plots).

mod common;

use common::{ADAM_AND_SGD, Root, files};

#[test]
fn rerun_prints_skips_and_the_summary() {
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
fn dry_run_shard_and_merge_print_what_they_do() {
    let text = common::synthetic_experiment(3, 5, 2, ADAM_AND_SGD);
    let dry = Root::new();
    dry.write_experiment("shards", &text);
    let listed = dry.run_ok(&["exp", "shards", "--dry-run"]);
    let states = common::dry_run_states(&listed.stdout());
    assert_eq!(states.len(), 6, "{}", listed.describe());
    for (id, state) in &states {
        assert_eq!(state, "to run", "cell {id}\n{}", listed.describe());
    }
    assert!(listed.stdout().contains("6 cells"), "{}", listed.describe());
    assert!(!dry.results_of("shards").exists(), "--dry-run wrote results");

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

    let merged = Root::new();
    merged.write_experiment("shards", &text);
    let from: Vec<String> = shards.iter().map(|r| r.results().display().to_string()).collect();
    let run = merged.run_ok(&["merge", "shards", &from[0], &from[1]]);
    assert!(run.stderr().contains("merged 6 finished cells"), "{}", run.describe());
    assert!(run.stdout().contains("| Adam |"), "no summary\n{}", run.describe());
    let png = merged.plots_of("shards").join("test_accuracy-vs-iteration.png");
    assert!(png.is_file(), "{}", run.describe());

    // `runner plot` redraws without training.
    std::fs::remove_file(&png).unwrap();
    let plot = merged.run_ok(&["plot", "shards"]);
    assert!(!plot.stderr().contains("skip "), "{}", plot.describe());
    assert!(png.is_file(), "{}", plot.describe());

    // A raised budget lists every cell as resumable from its last checkpoint.
    merged.write_experiment("shards", &common::synthetic_experiment(3, 8, 2, ADAM_AND_SGD));
    let raised = merged.run_ok(&["exp", "shards", "--dry-run"]);
    let states = common::dry_run_states(&raised.stdout());
    assert_eq!(states.len(), 6, "{}", raised.describe());
    for (id, state) in states {
        assert_eq!(state, "resumable at iteration 5", "cell {id}\n{}", raised.describe());
    }

    // A failing command exits non-zero and says why.
    let missing = merged.run(&["merge", "shards", &dry.results().display().to_string()]);
    assert!(!missing.output.status.success(), "{}", missing.describe());
    assert!(missing.stderr().contains("has no results"), "{}", missing.describe());
}
