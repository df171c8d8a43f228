//! Running an experiment's cells through the library on small synthetic problems: reruns
//! skip finished cells, `force` reruns them to the same numbers, a raised budget resumes, shards
//! merged equal the unsharded run, divergence is recorded with the last good checkpoint, and a
//! checkpoint without its metrics is refused.

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use common::{ADAM_AND_SGD, Project};
use harness::cells;
use harness::shard::{self, Shard};
use harness::store::{CellDir, Stored};

/// How each cell of `exp` stands in `project` for its budget, by id.
fn stored(project: &Project, exp: &harness::experiment::Experiment) -> BTreeMap<String, Stored> {
    cells::expand(exp)
        .unwrap()
        .iter()
        .map(|c| {
            let dir = CellDir::new(&project.layout.results, &exp.name, &c.id);
            (c.id.clone(), dir.stored(c.iterations).unwrap())
        })
        .collect()
}

#[test]
fn rerun_skips_finished_cells_and_force_reruns_them() {
    let project = Project::new();
    let exp = project.experiment("rerun", &common::synthetic_experiment(2, 8, 3, ADAM_AND_SGD));
    project.run(&exp, false);
    let dir = project.results_of("rerun");
    let cells = project.cells("rerun");
    assert_eq!(cells.len(), 4);
    let before = common::files(&dir);
    let snapshot = common::snapshot(&dir);
    for (id, state) in stored(&project, &exp) {
        assert_eq!(state, Stored::Done, "cell {id} would not be skipped");
    }

    let start = Instant::now();
    project.run(&exp, false);
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(
        common::files(&dir),
        before,
        "a rerun of a finished experiment changed cell files"
    );
    assert!(seconds < 10.0, "a rerun that trains nothing took {seconds:.1} s");

    // force: every cell directory is recreated and trained again, to the same numbers.
    for d in cells.values() {
        std::fs::write(d.join("marker"), b"from before force").unwrap();
    }
    project.run(&exp, true);
    for (id, d) in project.cells("rerun") {
        assert!(!d.join("marker").exists(), "cell {id} was not rerun from scratch");
        assert!(d.join("status.json").is_file(), "cell {id} has no status after force");
    }
    common::assert_same_cells(&snapshot, &common::snapshot(&dir));
}

#[test]
fn extending_iterations_resumes_to_the_numbers_of_a_straight_run() {
    let project = Project::new();
    let exp = project.experiment("extend", &common::synthetic_experiment(2, 6, 4, ADAM_AND_SGD));
    for (id, state) in stored(&project, &exp) {
        assert_eq!(state, Stored::ToRun, "cell {id} before any run");
    }
    project.run(&exp, false);
    let dir = project.results_of("extend");
    let short: BTreeMap<String, String> = project
        .cells("extend")
        .into_iter()
        .map(|(id, d)| (id, std::fs::read_to_string(d.join("metrics.csv")).unwrap()))
        .collect();
    assert_eq!(short.len(), 4);

    let longer = project.experiment("extend", &common::synthetic_experiment(2, 10, 4, ADAM_AND_SGD));
    let states = stored(&project, &longer);
    assert_eq!(states.len(), 4);
    for (id, state) in states {
        assert_eq!(state, Stored::Resumable(6), "cell {id}");
    }
    project.run(&longer, false);
    let cells = project.cells("extend");
    assert_eq!(
        cells.keys().collect::<Vec<_>>(),
        short.keys().collect::<Vec<_>>(),
        "raising iterations changed the cells"
    );
    for (id, d) in &cells {
        // Not skipped: all ten iterations are there.
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

    let fresh = Project::new();
    let straight = fresh.experiment("extend", &common::synthetic_experiment(2, 10, 4, ADAM_AND_SGD));
    fresh.run(&straight, false);
    common::assert_same_cells(&common::snapshot(&fresh.results_of("extend")), &common::snapshot(&dir));
}

#[test]
fn sharded_runs_merged_equal_unsharded() {
    let text = common::synthetic_experiment(3, 5, 2, ADAM_AND_SGD);
    let whole = Project::new();
    let exp = whole.experiment("shards", &text);
    let cells = whole.run(&exp, false);
    assert_eq!(whole.cells("shards").len(), 6);

    let shards: Vec<Project> = (1..=2)
        .map(|index| {
            let project = Project::new();
            let exp = project.experiment("shards", &text);
            let selected = Shard { index, count: 2 }.select(&cells::expand(&exp).unwrap());
            assert_eq!(selected.len(), 3, "shard {index}/2");
            project.run_cells(&exp, &selected, false).unwrap();
            project
        })
        .collect();
    let (ids1, ids2) = (shards[0].cells("shards"), shards[1].cells("shards"));
    assert_eq!(ids1.len() + ids2.len(), cells.len(), "shards {ids1:?} and {ids2:?}");
    for id in ids1.keys() {
        assert!(!ids2.contains_key(id), "cell {id} is in both shards");
    }

    let merged = Project::new();
    let exp = merged.experiment("shards", &text);
    let from: Vec<_> = shards.iter().map(|p| p.layout.results.clone()).collect();
    let copied = shard::merge(&merged.layout.results, &exp.name, &cells::expand(&exp).unwrap(), &from).unwrap();
    assert_eq!(copied, 6, "finished cells merged");
    common::assert_same_cells(
        &common::snapshot(&whole.results_of("shards")),
        &common::snapshot(&merged.results_of("shards")),
    );
}

/// Full-batch SGD on the summed loss with an absurd step: finite for a couple of iterations,
/// then overflows.
const DIVERGING_SGD: &str = r#"[[optimizers]]
name = "sgd"
label = "SGD"
lr = 1e6
reduction = "sum"
"#;

#[test]
fn diverged_run_is_recorded_and_counts_as_finished() {
    let optimizers =
        format!("[[optimizers]]\nname = \"adam\"\nlabel = \"Adam\"\nbatch_size = 50\nlr = 0.01\n\n{DIVERGING_SGD}");
    let project = Project::new();
    let exp = project.experiment("diverge", &common::synthetic_experiment(1, 12, 4, &optimizers));
    project.run(&exp, false);
    let cells = project.cells("diverge");
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
    assert_eq!(diverged, 1);

    // A diverged cell is finished: a rerun skips it.
    for (id, state) in stored(&project, &exp) {
        assert_eq!(state, Stored::Done, "cell {id} would not be skipped");
    }
    let dir = project.results_of("diverge");
    let before = common::files(&dir);
    project.run(&exp, false);
    assert_eq!(common::files(&dir), before, "a rerun changed the cells' files");
}

/// With a checkpoint every iteration, the state after the diverging iteration must not
/// replace the last good checkpoint.
#[test]
fn diverged_run_keeps_last_good_checkpoint() {
    let project = Project::new();
    let exp = project.experiment("diverge", &common::synthetic_experiment(1, 12, 1, DIVERGING_SGD));
    project.run(&exp, false);
    let (id, dir) = project.cells("diverge").into_iter().next().expect("one cell");
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

/// A cell with a checkpoint but no metrics.csv must not resume as if the rows before the
/// checkpoint existed: either the run refuses it naming metrics.csv, or the cell starts over
/// and holds every iteration from 0.
#[test]
fn missing_metrics_with_checkpoint_is_not_resumed_silently() {
    let project = Project::new();
    let exp = project.experiment("lost", &common::synthetic_experiment(1, 6, 3, ADAM_AND_SGD));
    project.run(&exp, false);
    for d in project.cells("lost").values() {
        std::fs::remove_file(d.join("metrics.csv")).unwrap();
    }
    let longer = project.experiment("lost", &common::synthetic_experiment(1, 10, 3, ADAM_AND_SGD));
    match project.run_cells(&longer, &cells::expand(&longer).unwrap(), false) {
        Ok(()) => {
            for (id, d) in project.cells("lost") {
                let iterations = common::read_csv(&d.join("metrics.csv"), &[]).column("iteration");
                let expected: Vec<String> = (0..10).map(|i| i.to_string()).collect();
                assert_eq!(iterations, expected, "cell {id}: iterations in metrics.csv");
            }
        }
        Err(e) => assert!(format!("{e:#}").contains("metrics.csv"), "{e:#}"),
    }
}
