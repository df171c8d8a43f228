//! Several runners on one store: each cell runs exactly once, a killed runner's cell is
//! taken over, a manifest run by `xargs -P` does the same work, `runner status` tells where
//! things stand, and a summary never passes an unfinished cell off as finished.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use common::{CellSnapshot, Root, Table};

const NAME: &str = "shared";
const CELLS: usize = 6;
const ITERATIONS: usize = 40;

/// Two optimizers x three seeds; a cell takes a second or more, so three runners overlap
/// and a kill lands inside a cell.
const EXPERIMENT: &str = r#"description = "shared store"
seed = 5
seeds = 3
iterations = 40
checkpoint_every = 4
targets = [0.5, 0.9]

[dataset]
name = "synthetic"
synthetic = { samples = 3000, features = 20, classes = 4, separation = 0.6, test_samples = 300 }

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
}

/// One runner alone on its own store, shared by the tests of this file.
fn baseline() -> &'static Baseline {
    static BASELINE: OnceLock<Baseline> = OnceLock::new();
    BASELINE.get_or_init(|| {
        let root = Root::new();
        root.write_experiment(NAME, EXPERIMENT);
        root.run_ok(&["exp", NAME, "--threads", "1"]);
        let cells = common::snapshot(&root.results_of(NAME));
        assert_eq!(cells.len(), CELLS);
        Baseline {
            cells,
            summary: summary(&root),
        }
    })
}

fn summary(root: &Root) -> Table {
    common::read_csv(&root.results_of(NAME).join("summary.csv"), common::SUMMARY_TIMING)
}

/// `runner exp NAME` in the background, with the stale age given (seconds).
fn spawn_runner(root: &Root, stale_seconds: &str) -> Child {
    root.command(&["exp", NAME, "--threads", "1"])
        .env("DLADMM_CLAIM_STALE_SECONDS", stale_seconds)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runner")
}

fn wait_ok(child: Child) {
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "runner failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The events of a cell's `runs.jsonl` by kind.
fn events(cell_dir: &Path, kind: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(cell_dir.join("runs.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
        .filter(|v| v["event"] == kind)
        .collect()
}

/// Every cell has exactly its iterations' rows, in order, and ended exactly once; returns
/// the number of runs that started each cell.
fn assert_each_cell_once(root: &Root) -> BTreeMap<String, usize> {
    let cells = root.cells(NAME);
    assert_eq!(cells.len(), CELLS, "cells: {cells:?}");
    let mut started = BTreeMap::new();
    for (id, dir) in &cells {
        let iterations = common::metrics(dir).column("iteration");
        let expected: Vec<String> = (0..ITERATIONS).map(|i| i.to_string()).collect();
        assert_eq!(iterations, expected, "iteration rows of cell {id}");
        assert_eq!(events(dir, "finished").len(), 1, "cell {id} finished once");
        assert!(events(dir, "failed").is_empty(), "cell {id} failed");
        started.insert(id.clone(), events(dir, "started").len());
    }
    started
}

#[test]
fn three_runners_at_once_run_every_cell_exactly_once() {
    let base = baseline();
    let root = Root::new();
    root.write_experiment(NAME, EXPERIMENT);
    let runners: Vec<Child> = (0..3).map(|_| spawn_runner(&root, "60")).collect();
    for r in runners {
        wait_ok(r);
    }
    let started = assert_each_cell_once(&root);
    assert!(started.values().all(|&n| n == 1), "runs per cell: {started:?}");
    common::assert_same_cells(&base.cells, &common::snapshot(&root.results_of(NAME)));
    root.run_ok(&["plot", NAME]);
    assert_eq!(summary(&root), base.summary, "summary.csv without timing columns");
}

/// The cell whose current claim `pid` holds, with its metric rows so far.
fn cell_held_by(root: &Root, pid: u32) -> Option<(String, usize)> {
    root.results_of(NAME).read_dir().ok()?.flatten().find_map(|e| {
        let dir = e.path();
        let claim = std::fs::read_dir(&dir)
            .ok()?
            .flatten()
            .filter(|f| f.file_name().to_string_lossy().starts_with("claim-"))
            .max_by_key(|f| f.file_name())?;
        let info: serde_json::Value = serde_json::from_slice(&std::fs::read(claim.path()).ok()?).ok()?;
        (info["pid"] == pid && info["released"] == false)
            .then(|| (e.file_name().to_string_lossy().into_owned(), common::metric_rows(&dir)))
    })
}

#[test]
fn a_runner_killed_mid_cell_is_taken_over_and_every_cell_still_ends_once() {
    let base = baseline();
    let root = Root::new();
    root.write_experiment(NAME, EXPERIMENT);
    // An hour's stale age: only the check that the pid is gone can free the cell in time.
    let mut victim = spawn_runner(&root, "3600");
    let others: Vec<Child> = (0..2).map(|_| spawn_runner(&root, "3600")).collect();
    let pid = victim.id();
    let mut killed_cell = None;
    let killed = common::kill_when(&mut victim, Duration::from_secs(120), || {
        match cell_held_by(&root, pid) {
            // Past the first checkpoint (after 4 iterations), so the takeover resumes from it.
            Some((id, rows)) if rows >= 6 => {
                killed_cell = Some(id);
                true
            }
            _ => false,
        }
    });
    assert!(killed, "the runner ended before it could be killed");
    let killed_cell = killed_cell.expect("the victim's cell");
    for r in others {
        wait_ok(r);
    }
    let started = assert_each_cell_once(&root);
    for (id, n) in &started {
        let expected = if *id == killed_cell { 2 } else { 1 };
        assert_eq!(*n, expected, "runs of cell {id} (killed: {killed_cell})");
    }
    let dir = &root.cells(NAME)[&killed_cell];
    let takeover = &events(dir, "started")[1];
    assert_ne!(takeover["pid"], pid, "{takeover}");
    let reason = takeover["took_over"].as_str().unwrap_or_default();
    assert!(
        reason.contains(&format!("process {pid}")) && reason.contains("gone"),
        "{takeover}"
    );
    assert_eq!(events(dir, "finished")[0]["pid"], takeover["pid"]);
    let resumed_at = takeover["from_iteration"].as_u64().unwrap_or_default();
    assert!(
        resumed_at >= 4,
        "the takeover resumes from the dead runner's checkpoint: {takeover}"
    );
    common::assert_same_cells(&base.cells, &common::snapshot(&root.results_of(NAME)));
    root.run_ok(&["plot", NAME]);
    assert_eq!(summary(&root), base.summary, "summary.csv without timing columns");
}

#[test]
fn a_manifest_run_by_xargs_twice_over_runs_each_cell_once() {
    let base = baseline();
    let root = Root::new();
    root.write_experiment(NAME, EXPERIMENT);
    let run = root.run_ok(&["exp", NAME, "--manifest", "--threads", "1"]);
    let entries: Vec<serde_json::Value> = run
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(entries.len(), CELLS, "{}", run.stdout());
    let mut commands = String::new();
    for e in &entries {
        assert_eq!(e["state"], "pending");
        let argv = e["argv"].as_array().expect("argv");
        assert!(
            argv.iter().any(|a| a == "--cell") && argv.iter().any(|a| a == &e["cell"]),
            "{e}"
        );
        // Every command twice: the copies race for the claim, one runs, the other skips.
        let line = e["command"].as_str().expect("command");
        commands.push_str(&format!("{line}\n{line}\n"));
    }
    let mut xargs = Command::new("xargs")
        .args(["-P", "2", "-d", "\n", "-n", "1", "sh", "-c"])
        .current_dir("/")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xargs");
    xargs
        .stdin
        .take()
        .expect("stdin")
        .write_all(commands.as_bytes())
        .expect("write");
    wait_ok(xargs);
    let started = assert_each_cell_once(&root);
    assert!(started.values().all(|&n| n == 1), "runs per cell: {started:?}");
    assert!(
        !root.results_of(NAME).join("summary.csv").exists(),
        "manifest commands leave the summary to `runner plot`"
    );
    common::assert_same_cells(&base.cells, &common::snapshot(&root.results_of(NAME)));
    let again = root.run_ok(&["exp", NAME, "--manifest"]);
    assert_eq!(again.stdout(), "", "nothing left to run");
    root.run_ok(&["plot", NAME]);
    assert_eq!(summary(&root), base.summary, "summary.csv without timing columns");
}

/// Claim `generation` as another host's runner would leave it, its heartbeat `age` old.
fn foreign_claim(cell_dir: &Path, generation: u64, age: Duration) {
    let heartbeat = humantime::format_rfc3339_seconds(std::time::SystemTime::now() - age).to_string();
    let claim = serde_json::json!({
        "host": "node-elsewhere", "pid": 4242, "started": heartbeat, "heartbeat": heartbeat,
    });
    std::fs::write(cell_dir.join(format!("claim-{generation}.json")), claim.to_string()).expect("write claim");
}

#[test]
fn status_summary_and_manifest_tell_running_stale_and_done_apart() {
    let root = Root::new();
    let name = "status";
    root.write_experiment(
        name,
        &common::synthetic_experiment(
            2,
            4,
            2,
            "[[optimizers]]\nname = \"sgd\"\nlr = 0.1\n\n[[optimizers]]\nname = \"adam\"\nlr = 0.01\n",
        ),
    );
    root.run_ok(&["exp", name, "--threads", "1"]);
    let cells = root.cells(name);
    assert_eq!(cells.len(), 4);
    let mut ids = cells.keys();
    let (running, stale) = (ids.next().expect("cell").clone(), ids.next().expect("cell").clone());
    for id in [&running, &stale] {
        std::fs::remove_file(cells[id].join("status.json")).expect("unfinish the cell");
    }
    foreign_claim(&cells[&running], 0, Duration::ZERO);
    foreign_claim(&cells[&stale], 0, Duration::from_secs(600));
    let with_stale_age = |args: &[&str]| {
        let out = root
            .command(args)
            .env("DLADMM_CLAIM_STALE_SECONDS", "300")
            .output()
            .expect("runner");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    let status = with_stale_age(&["status", name]);
    let line = |id: &str| {
        status
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(line(&running).contains("running   node-elsewhere pid 4242"), "{status}");
    assert!(
        line(&stale).contains("stale     no heartbeat from node-elsewhere pid 4242"),
        "{status}"
    );
    assert!(
        status.contains("4 cells: 2 done, 1 running, 1 stale (runner gone), 0 pending"),
        "{status}"
    );

    let manifest = with_stale_age(&["exp", name, "--manifest"]);
    let states: BTreeMap<String, String> = manifest
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            (
                v["cell"].as_str().unwrap().to_owned(),
                v["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(states.len(), 2, "{manifest}");
    assert_eq!(states[&running], "running");
    assert_eq!(states[&stale], "stale");

    // The summary keeps the unfinished cells but says so in their configuration's label.
    with_stale_age(&["plot", name]);
    let labels = common::read_csv(&root.results_of(name).join("summary.csv"), &[]).column("configuration");
    let marked: Vec<&String> = labels.iter().filter(|l| l.contains(" of 2 seeds]")).collect();
    assert!(!marked.is_empty(), "{labels:?}");
    assert!(
        labels.iter().any(|l| l.contains("[running: 1 of 2 seeds]")),
        "{labels:?}"
    );

    // A runner takes the stale cell over and leaves the live one to its owner.
    let out = root
        .command(&["exp", name, "--threads", "1"])
        .env("DLADMM_CLAIM_STALE_SECONDS", "300")
        .output()
        .expect("runner");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("claimed by node-elsewhere pid 4242"), "{stderr}");
    assert!(cells[&stale].join("status.json").exists(), "stale cell finished");
    assert!(!cells[&running].join("status.json").exists(), "live claim respected");
    let took_over = events(&cells[&stale], "started");
    assert!(
        took_over.last().expect("a run")["took_over"]
            .as_str()
            .is_some_and(|r| r.contains("no heartbeat")),
        "{took_over:?}"
    );
    let status = with_stale_age(&["status", name]);
    assert!(
        status.contains("4 cells: 3 done, 1 running, 0 stale (runner gone), 0 pending"),
        "{status}"
    );
}

#[test]
fn a_runner_whose_claim_was_taken_over_stops_without_ending_the_cell() {
    let root = Root::new();
    root.write_experiment(NAME, EXPERIMENT);
    let dry = root.run_ok(&["exp", NAME, "--dry-run"]);
    let (id, _) = common::dry_run_states(&dry.stdout())
        .into_iter()
        .next()
        .expect("a cell");
    let dir = root.results_of(NAME).join(&id);
    // A short stale age makes the heartbeat (and so the check for a newer claim) frequent.
    let child = root
        .command(&["exp", NAME, "--cell", &id, "--threads", "1", "--no-summary"])
        .env("DLADMM_CLAIM_STALE_SECONDS", "0.6")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runner");
    let start = std::time::Instant::now();
    while common::metric_rows(&dir) < 2 {
        assert!(start.elapsed() < Duration::from_secs(60), "the cell did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    // What a runner on another host that judged this one stale would have written.
    foreign_claim(&dir, 1, Duration::ZERO);
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the runner went on: {stderr}");
    assert!(stderr.contains("another runner took this cell over"), "{stderr}");
    assert!(common::metric_rows(&dir) < ITERATIONS, "stopped mid-cell");
    assert!(
        !dir.join("status.json").exists(),
        "a cell it lost must not be ended by it"
    );
    assert_eq!(events(&dir, "failed").len(), 1);
    let claim: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("claim-1.json")).expect("claim-1")).expect("JSON");
    assert_eq!(
        claim["host"], "node-elsewhere",
        "the new owner's claim is left as it was"
    );
    assert!(claim.get("released").is_none(), "{claim}");
}
