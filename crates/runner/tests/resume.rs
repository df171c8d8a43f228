//! Killing `runner exp` at any moment and rerunning it gives the same results as one
//! uninterrupted run.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use common::{CellSnapshot, Root, Table};

const NAME: &str = "resume";
const CELLS: usize = 6;
const ITERATIONS: usize = 30;
const EXP_ARGS: &[&str] = &["exp", NAME, "--threads", "1"];

/// Two optimizers x three seeds, 30 iterations, a checkpoint every 4: big enough that one
/// cell takes a sizeable fraction of a second, so kills land inside cells.
const EXPERIMENT: &str = r#"description = "resume after kill"
seed = 3
seeds = 3
iterations = 30
checkpoint_every = 4
targets = [0.5, 0.9]

[dataset]
name = "synthetic"
synthetic = { samples = 4000, features = 20, classes = 4, separation = 0.6, test_samples = 500 }

[network]
hidden = [128, 128]
init = { kind = "kaiming_normal" }

[[optimizers]]
name = "adam"
batch_size = 32
lr = 1e-3

[[optimizers]]
name = "sgd"
batch_size = 32
lr = 0.05
momentum = 0.9
"#;

struct Baseline {
    cells: BTreeMap<String, CellSnapshot>,
    summary: Table,
    /// Wall time of the uninterrupted run.
    seconds: f64,
}

/// The uninterrupted run, shared by the tests of this file.
fn baseline() -> &'static Baseline {
    static BASELINE: OnceLock<Baseline> = OnceLock::new();
    BASELINE.get_or_init(|| {
        let root = Root::new();
        root.write_experiment(NAME, EXPERIMENT);
        let run = root.run_ok(EXP_ARGS);
        let cells = common::snapshot(&root.results_of(NAME));
        assert_eq!(cells.len(), CELLS);
        for (id, c) in &cells {
            assert_eq!(c.metrics.rows.len(), ITERATIONS, "baseline cell {id}");
            assert_eq!(c.termination["status"], "completed", "baseline cell {id}");
        }
        Baseline {
            cells,
            summary: common::read_csv(&root.results_of(NAME).join("summary.csv"), common::SUMMARY_TIMING),
            seconds: run.seconds,
        }
    })
}

/// Total metric rows and finished cells under `dir`.
fn progress(dir: &Path) -> (usize, usize) {
    let cells = common::cell_dirs(dir);
    let rows = cells.values().map(|d| common::metric_rows(d)).sum();
    let done = cells.values().filter(|d| d.join("status.json").exists()).count();
    (rows, done)
}

/// Names of the checkpoint directories of every cell under `dir`.
fn checkpoints(dir: &Path) -> Vec<String> {
    common::cell_dirs(dir)
        .into_iter()
        .flat_map(|(id, d)| {
            std::fs::read_dir(d)
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(move |e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.starts_with("checkpoint-").then(|| format!("{id}/{name}"))
                })
        })
        .collect()
}

/// Runs the experiment to completion in `root` and checks it against the baseline: the
/// same cells, deterministic metric columns, endings and summary; no temporaries left in
/// any cell; a status in every cell; `--dry-run` reports every cell done.
fn finish_and_compare(root: &Root) {
    let run = root.run_ok(EXP_ARGS);
    let dir = root.results_of(NAME);
    let base = baseline();
    common::assert_same_cells(&base.cells, &common::snapshot(&dir));
    for (id, cell) in common::cell_dirs(&dir) {
        let tmp = common::temporaries(&cell);
        assert!(tmp.is_empty(), "cell {id} has leftovers {tmp:?}\n{}", run.describe());
        let status = common::status(&cell);
        assert_eq!(status["wall_partial"], false, "cell {id}: wall time lost on resume");
        let (wall, update) = (
            status["wall_seconds"].as_f64().unwrap(),
            status["progress"]["cumulative_seconds"].as_f64().unwrap(),
        );
        assert!(
            wall >= update,
            "cell {id}: wall time {wall} s below its update time {update} s"
        );
    }
    let summary = common::read_csv(&dir.join("summary.csv"), common::SUMMARY_TIMING);
    assert_eq!(summary, base.summary, "summary.csv without timing columns");
    let dry = root.run_ok(&["exp", NAME, "--dry-run"]);
    let states = common::dry_run_states(&dry.stdout());
    assert_eq!(states.len(), CELLS, "{}", dry.describe());
    for (id, state) in states {
        assert_eq!(state, "done", "cell {id} after the final run\n{}", dry.describe());
    }
}

#[test]
fn resume_after_kill_is_byte_identical() {
    baseline();
    let root = Root::new();
    root.write_experiment(NAME, EXPERIMENT);
    let dir = root.results_of(NAME);
    let timeout = Duration::from_secs(60);
    let mut kills = 0;
    let report = |what: &str| {
        let (rows, done) = progress(&dir);
        eprintln!("killed {what}: {rows} rows, {done} cells finished");
    };

    // In the middle of the first cell.
    let mut child = root.spawn(EXP_ARGS);
    kills += usize::from(common::kill_when(&mut child, timeout, || progress(&dir).0 >= 10));
    report("at 10 rows");

    // Right after a checkpoint appears.
    for _ in 0..2 {
        let before = checkpoints(&dir);
        let mut child = root.spawn(EXP_ARGS);
        kills += usize::from(common::kill_when(&mut child, timeout, || {
            checkpoints(&dir).iter().any(|c| !before.contains(c))
        }));
        report("after a new checkpoint");
    }

    // In the middle of the third cell, right after a cell finishes, late in the fifth cell.
    let mut child = root.spawn(EXP_ARGS);
    kills += usize::from(common::kill_when(&mut child, timeout, || progress(&dir).0 >= 75));
    report("at 75 rows");
    let mut child = root.spawn(EXP_ARGS);
    kills += usize::from(common::kill_when(&mut child, timeout, || progress(&dir).1 >= 4));
    report("after the fourth cell finished");
    let mut child = root.spawn(EXP_ARGS);
    kills += usize::from(common::kill_when(&mut child, timeout, || progress(&dir).0 >= 145));
    report("at 145 rows");
    assert!(kills >= 4, "only {kills} of the runs were killed before finishing");

    let (rows, done) = progress(&dir);
    assert!(done < CELLS, "the last kill left {done} cells finished and {rows} rows");
    finish_and_compare(&root);
}

#[test]
fn kills_at_arbitrary_moments_then_resume_matches() {
    let whole = baseline().seconds;
    let root = Root::new();
    root.write_experiment(NAME, EXPERIMENT);
    let dir = root.results_of(NAME);
    // Fixed, irregular delays, in thousandths of an uninterrupted run (about 3 s here): kills
    // land in updates, evaluations, CSV appends and checkpoint writes alike.
    const DELAYS: [u32; 10] = [58, 14, 89, 32, 110, 6, 71, 43, 130, 24];
    let mut kills = 0;
    for per_mille in DELAYS {
        let delay = Duration::from_secs_f64(whole * f64::from(per_mille) / 1000.0);
        let mut child = root.spawn(EXP_ARGS);
        kills += usize::from(common::kill_after(&mut child, delay));
        let (rows, done) = progress(&dir);
        eprintln!("killed after {delay:?}: {rows} rows, {done} cells finished");
    }
    assert!(kills >= 5, "only {kills} of the runs were killed before finishing");
    let (rows, _) = progress(&dir);
    assert!(rows > 0, "no run got as far as a metrics row");
    finish_and_compare(&root);
}

#[test]
fn partial_row_and_leftover_temporaries_are_recovered() {
    baseline();
    let root = Root::new();
    root.write_experiment(NAME, EXPERIMENT);
    let dir = root.results_of(NAME);
    // Stop in the middle of the second cell, past its first checkpoint.
    let mut child = root.spawn(EXP_ARGS);
    let killed = common::kill_when(&mut child, Duration::from_secs(60), || {
        progress(&dir).0 >= ITERATIONS + 6
    });
    assert!(killed, "the run finished before the kill");

    let cells = common::cell_dirs(&dir);
    let (id, cell) = cells
        .iter()
        .find(|(_, d)| !d.join("status.json").exists() && common::metric_rows(d) > 0)
        .expect("a cell in progress");
    let newest = std::fs::read_dir(cell)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_prefix("checkpoint-")?
                .parse::<usize>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    let metrics_path = cell.join("metrics.csv");
    let text = std::fs::read_to_string(&metrics_path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let rows = lines.len() - 1;
    assert!(rows >= newest, "cell {id}: {rows} rows but checkpoint-{newest}");
    let damaged = if rows > newest {
        // Cut the last row in half, as a kill in the middle of the append would.
        let last = lines[rows];
        let keep = text.len() - (last.len() + 1) + last.len() / 2;
        text[..keep].to_owned()
    } else {
        // Killed right after a checkpoint: half of the next row was appended.
        let next = lines[rows].replacen(&(rows - 1).to_string(), &rows.to_string(), 1);
        format!("{text}{}", &next[..next.len() / 2])
    };
    assert!(!damaged.ends_with('\n'));
    std::fs::write(&metrics_path, damaged).unwrap();
    // Leftovers of a checkpoint write and a file write that were interrupted.
    let tmp_ckpt = cell.join(".tmp-checkpoint-Ab12Cd");
    std::fs::create_dir_all(&tmp_ckpt).unwrap();
    std::fs::write(tmp_ckpt.join("model.bin"), b"half a model").unwrap();
    std::fs::write(tmp_ckpt.join("progress.json"), b"{\"next_iteration\": 99").unwrap();
    std::fs::write(cell.join(".tmp-xyz"), b"partial").unwrap();

    finish_and_compare(&root);
}
