//! `runner compare` on small stores written by hand: identical stores pass, a metric moved
//! beyond its tolerance or a run twice as slow is a regression, a change within tolerance
//! passes, cells on one side only fail unless allowed, and a git revision's committed results
//! are read like a directory.

use std::path::Path;
use std::process::Command;

use harness::compare::{self, Comparison, Options, Overrides, Store, Timing, Verdict};

/// One stored run of a cell: per iteration (train_loss, test_accuracy, rho), its update seconds
/// in total and where it ran.
#[derive(Clone)]
struct Run {
    rows: Vec<(f64, f64, f64)>,
    seconds: f64,
    cpu: &'static str,
    threads: u64,
}

impl Run {
    fn new() -> Self {
        Self {
            rows: vec![(1.0, 0.5, 1.0), (0.75, 0.625, 1.0), (0.5, 0.8125, 1.0)],
            seconds: 30.0,
            cpu: "Test CPU",
            threads: 2,
        }
    }
}

/// Writes `run` as cell `id` of `experiment` under `results` as the executor does.
fn write_cell(results: &Path, experiment: &str, id: &str, run: &Run) {
    let dir = results.join(experiment).join(id);
    std::fs::create_dir_all(&dir).unwrap();
    let n = run.rows.len();
    let per = run.seconds / n as f64;
    let mut csv = String::from("iteration,update_seconds,cumulative_seconds,train_loss,test_accuracy,rho\n");
    for (i, (loss, accuracy, rho)) in run.rows.iter().enumerate() {
        csv += &format!("{i},{per},{},{loss},{accuracy},{rho}\n", per * (i + 1) as f64);
    }
    std::fs::write(dir.join("metrics.csv"), csv).unwrap();
    let status = serde_json::json!({
        "termination": {"status": "completed"},
        "progress": {"next_iteration": n, "cumulative_seconds": run.seconds},
        "iterations": n,
        "wall_seconds": run.seconds * 1.1,
        "finished": "2026-01-01T00:00:00Z",
    });
    std::fs::write(dir.join("status.json"), status.to_string()).unwrap();
    let config = serde_json::json!({
        "experiment": experiment.rsplit('/').next().unwrap(),
        "cell": {"id": id, "label": format!("cell {id}")},
        "provenance": {"cpu": run.cpu, "threads": run.threads},
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
}

/// Two stores: A holds `a`, B holds `b`, each as cell `c1` of experiment `exp`.
fn stores(a: &Run, b: &Run) -> (tempfile::TempDir, tempfile::TempDir) {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_cell(da.path(), "exp", "c1", a);
    write_cell(db.path(), "exp", "c1", b);
    (da, db)
}

fn open(dir: &Path) -> Store {
    Store::open(dir.to_str().unwrap(), dir, dir).unwrap()
}

/// Compares the stores at `a` and `b` with experiment files (if any) under `root`.
fn run_compare(root: &Path, a: &Path, b: &Path, opts: &Options) -> Comparison {
    compare::compare(&open(a), &open(b), root, opts).unwrap()
}

fn only_cell(c: &Comparison) -> &compare::CellComparison {
    assert_eq!(c.cells.len(), 1, "{c}");
    &c.cells[0]
}

#[test]
fn identical_stores_are_the_same_and_pass() {
    let (a, b) = stores(&Run::new(), &Run::new());
    let c = run_compare(a.path(), a.path(), b.path(), &Options::default());
    let cell = only_cell(&c);
    assert_eq!(cell.verdict, Verdict::Same, "{c}");
    assert_eq!((cell.values, cell.iterations), (9, 3));
    assert_eq!(cell.timing, Timing::Compared);
    assert!(c.check(false).is_ok());
    assert!(c.to_string().contains("1 same"), "{c}");
}

#[test]
fn a_metric_moved_beyond_its_tolerance_is_a_regression_and_fails() {
    let mut worse = Run::new();
    worse.rows[2].1 = 0.8; // test accuracy 0.8125 -> 0.8: relative 1.5e-2
    let (a, b) = stores(&Run::new(), &worse);
    let c = run_compare(a.path(), a.path(), b.path(), &Options::default());
    let cell = only_cell(&c);
    assert_eq!(cell.verdict, Verdict::Regression, "{c}");
    let worst = cell.worst.as_ref().unwrap();
    assert_eq!(worst.what, "test_accuracy");
    assert!(worst.detail.contains("iteration 2: 0.8125 -> 0.8"), "{}", worst.detail);
    let e = c.check(false).unwrap_err().to_string();
    assert!(e.contains("1 cell(s)") && e.contains("regressed"), "{e}");

    // A changed hyper-parameter column has no better direction: any change is a regression.
    let mut changed = Run::new();
    changed.rows[1].2 = 10.0;
    let (a, b) = stores(&Run::new(), &changed);
    let c = run_compare(a.path(), a.path(), b.path(), &Options::default());
    assert_eq!(only_cell(&c).verdict, Verdict::Regression, "{c}");
    assert_eq!(only_cell(&c).worst.as_ref().unwrap().what, "rho");
}

#[test]
fn a_change_within_tolerance_passes_and_a_zero_tolerance_catches_it() {
    let mut close = Run::new();
    close.rows[1].0 = 0.75 * (1.0 + 1e-7);
    let (a, b) = stores(&Run::new(), &close);
    let c = run_compare(a.path(), a.path(), b.path(), &Options::default());
    assert_eq!(only_cell(&c).verdict, Verdict::Within, "{c}");
    assert!(c.check(false).is_ok());

    let exact = Options {
        overrides: Overrides {
            metric_tolerance: Some(0.0),
            timing_ratio: None,
        },
        ..Options::default()
    };
    let c = run_compare(a.path(), a.path(), b.path(), &exact);
    // The loss went up: worse, not better.
    assert_eq!(only_cell(&c).verdict, Verdict::Regression, "{c}");
    assert!(c.check(false).is_err());
}

#[test]
fn a_better_metric_is_an_improvement_and_passes() {
    let mut better = Run::new();
    better.rows[2].0 = 0.25; // lower training loss
    better.rows[2].1 = 0.875; // higher test accuracy
    let (a, b) = stores(&Run::new(), &better);
    let c = run_compare(a.path(), a.path(), b.path(), &Options::default());
    assert_eq!(only_cell(&c).verdict, Verdict::Improved, "{c}");
    assert!(c.check(false).is_ok());
}

#[test]
fn twice_as_slow_is_a_regression_unless_timings_are_left_out() {
    let mut slow = Run::new();
    slow.seconds = 60.0;
    let (a, b) = stores(&Run::new(), &slow);
    let c = run_compare(a.path(), a.path(), b.path(), &Options::default());
    let cell = only_cell(&c);
    assert_eq!(cell.verdict, Verdict::Regression, "{c}");
    let worst = cell.worst.as_ref().unwrap();
    assert!(worst.what.contains("seconds per iteration"), "{}", worst.what);
    assert!(worst.detail.contains("B/A 2.00"), "{}", worst.detail);
    assert!(c.check(false).is_err());

    let lenient = Options {
        overrides: Overrides {
            metric_tolerance: None,
            timing_ratio: Some(2.5),
        },
        ..Options::default()
    };
    let c = run_compare(a.path(), a.path(), b.path(), &lenient);
    assert_eq!(only_cell(&c).verdict, Verdict::Within, "{c}");

    let no_timing = Options {
        no_timing: true,
        ..Options::default()
    };
    let c = run_compare(a.path(), a.path(), b.path(), &no_timing);
    assert_eq!(only_cell(&c).verdict, Verdict::Same, "{c}");
    assert_eq!(only_cell(&c).timing, Timing::NotChecked);
    assert!(c.check(false).is_ok());
}

#[test]
fn timings_of_other_threads_or_machines_are_not_comparable() {
    for (cpu, threads) in [("Test CPU", 4), ("Other CPU", 2)] {
        let other = Run {
            seconds: 60.0,
            cpu,
            threads,
            ..Run::new()
        };
        let (a, b) = stores(&Run::new(), &other);
        let c = run_compare(a.path(), a.path(), b.path(), &Options::default());
        let cell = only_cell(&c);
        assert_eq!(cell.verdict, Verdict::Same, "{c}");
        assert!(
            matches!(&cell.timing, Timing::NotComparable(why) if why.contains(cpu)),
            "{c}"
        );
        assert!(c.to_string().contains("timing not comparable"), "{c}");
        assert!(c.check(false).is_ok());
    }
}

#[test]
fn cells_on_one_side_only_fail_unless_allowed() {
    let (a, b) = stores(&Run::new(), &Run::new());
    write_cell(a.path(), "exp", "gone", &Run::new());
    write_cell(b.path(), "exp", "new", &Run::new());
    write_cell(b.path(), "other", "c9", &Run::new());
    let c = run_compare(a.path(), a.path(), b.path(), &Options::default());
    let verdict = |key: &str| c.cells.iter().find(|x| x.key == key).map(|x| x.verdict);
    assert_eq!(verdict("exp/c1"), Some(Verdict::Same));
    assert_eq!(verdict("exp/gone"), Some(Verdict::OnlyInA));
    assert_eq!(verdict("exp/new"), Some(Verdict::OnlyInB));
    assert_eq!(verdict("other/c9"), Some(Verdict::OnlyInB));
    let e = c.check(false).unwrap_err().to_string();
    assert!(e.contains("3 are stored on one side only"), "{e}");
    assert!(c.check(true).is_ok());

    // One experiment only: the other's cell is not looked at.
    let only_exp = Options {
        experiments: vec!["exp".into()],
        ..Options::default()
    };
    let c = run_compare(a.path(), a.path(), b.path(), &only_exp);
    assert_eq!(c.cells.len(), 3, "{c}");
    let unknown = Options {
        experiments: vec!["nothing".into()],
        ..Options::default()
    };
    let e = compare::compare(&open(a.path()), &open(b.path()), a.path(), &unknown).unwrap_err();
    assert!(e.to_string().contains("`nothing`"), "{e}");
}

#[test]
fn an_experiment_file_declares_its_tolerances() {
    let root = tempfile::tempdir().unwrap();
    let experiments = root.path().join("experiments");
    std::fs::create_dir_all(&experiments).unwrap();
    let text = r#"iterations = 3
[dataset]
name = "synthetic"
synthetic = { samples = 10, features = 2, classes = 2, separation = 1.0 }
[network]
hidden = [2]
[compare]
timing_ratio = 3.0
metrics = { test_accuracy = 0.05 }
[[optimizers]]
name = "sgd"
"#;
    std::fs::write(experiments.join("exp.toml"), text).unwrap();
    let mut moved = Run::new();
    moved.rows[2].1 = 0.8; // within 5% for test accuracy
    moved.seconds = 60.0; // within a ratio of 3
    let (a, b) = stores(&Run::new(), &moved);
    let c = run_compare(root.path(), a.path(), b.path(), &Options::default());
    assert_eq!(only_cell(&c).verdict, Verdict::Within, "{c}");
    // Without the file the same change is a regression.
    let c = run_compare(a.path(), a.path(), b.path(), &Options::default());
    assert_eq!(only_cell(&c).verdict, Verdict::Regression, "{c}");
}

#[test]
fn a_different_ending_or_fewer_iterations_is_a_regression() {
    let mut short = Run::new();
    short.rows.pop();
    let (a, b) = stores(&Run::new(), &short);
    let c = run_compare(a.path(), a.path(), b.path(), &Options::default());
    let cell = only_cell(&c);
    assert_eq!(cell.verdict, Verdict::Regression, "{c}");
    assert!(cell.worst.as_ref().unwrap().detail.contains("A has 3"), "{c}");

    let (a, b) = stores(&Run::new(), &Run::new());
    let status = b.path().join("exp/c1/status.json");
    let text = std::fs::read_to_string(&status).unwrap().replace(
        r#"{"status":"completed"}"#,
        r#"{"status":"diverged","iteration":2,"what":"training loss"}"#,
    );
    std::fs::write(&status, text).unwrap();
    let c = run_compare(a.path(), a.path(), b.path(), &Options::default());
    assert_eq!(only_cell(&c).verdict, Verdict::Regression, "{c}");
    assert!(c.to_string().contains("completed -> diverged at iteration 2"), "{c}");
    // The other way round the run got better.
    let c = run_compare(a.path(), b.path(), a.path(), &Options::default());
    assert_eq!(only_cell(&c).verdict, Verdict::Improved, "{c}");
}

#[test]
fn bad_input_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-results");
    let e = Store::open(missing.to_str().unwrap(), dir.path(), dir.path()).unwrap_err();
    assert!(e.to_string().contains(&missing.display().to_string()), "{e}");

    write_cell(dir.path(), "exp", "c1", &Run::new());
    let broken = dir.path().join("exp/c1/status.json");
    std::fs::write(&broken, "{ not json").unwrap();
    let e = open(dir.path()).cells().unwrap_err();
    assert!(format!("{e:#}").contains(&broken.display().to_string()), "{e:#}");
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

#[test]
fn a_revision_is_read_from_its_committed_results() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    let results = root.join("results");
    write_cell(&results, "paper/exp", "c1", &Run::new());
    std::fs::create_dir_all(results.join("paper/exp/c1/checkpoint-3")).unwrap();
    std::fs::write(results.join("paper/exp/c1/checkpoint-3/model.bin"), [0u8, 159, 146]).unwrap();
    write_cell(&root.join("elsewhere"), "exp", "c2", &Run::new());
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "results"]);

    // The work tree's results moved on after the commit.
    let mut worse = Run::new();
    worse.rows[2].0 = 0.6;
    write_cell(&results, "paper/exp", "c1", &worse);

    let head = Store::open("HEAD", root, &results).unwrap();
    assert!(head.name.starts_with("HEAD ("), "{}", head.name);
    let cells = head.cells().unwrap();
    assert_eq!(cells.len(), 1, "only the results directory is read");
    assert_eq!(cells[0].key(), "paper/exp/c1");
    assert_eq!(cells[0].rows[2][3], 0.5, "the committed value, not the work tree's");
    assert!(
        !head.dir.join("paper/exp/c1/checkpoint-3").exists(),
        "only cell files are copied"
    );

    let disk = Store::open(results.to_str().unwrap(), root, &results).unwrap();
    let c = compare::compare(&head, &disk, root, &Options::default()).unwrap();
    assert_eq!(only_cell(&c).verdict, Verdict::Regression, "{c}");
    assert!(c.to_string().contains("train_loss at iteration 2: 0.5 -> 0.6"), "{c}");
    let c = compare::compare(
        &head,
        &Store::open("HEAD", root, &results).unwrap(),
        root,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(only_cell(&c).verdict, Verdict::Same, "{c}");

    let e = Store::open("HEAD~5", root, &results).unwrap_err().to_string();
    assert!(e.contains("HEAD~5") && e.contains(&root.display().to_string()), "{e}");
    let e = Store::open("HEAD", root, &root.join("plots")).unwrap_err().to_string();
    assert!(e.contains("no stored cell under plots"), "{e}");
}
