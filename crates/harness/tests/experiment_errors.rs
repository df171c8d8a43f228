//! Malformed experiment files: the library refuses them with a message naming the file, the
//! 1-based line and the key, before any work.

use std::path::Path;

use harness::experiment::Experiment;
use harness::{Layout, cells};

/// A valid file; each case below breaks one thing in it.
const GOOD: &str = r#"description = "error messages"
seed = 1
seeds = 2
iterations = 3
checkpoint_every = 2

[dataset]
name = "synthetic"
synthetic = { samples = 200, features = 5, classes = 3, separation = 1.0 }

[network]
hidden = [8]
init = { kind = "normal", std = 0.1 }

[[optimizers]]
name = "sgd"
lr = 0.1
momentum = 0.9

[[optimizers]]
name = "adam"
lr = 0.01
grid = { batch_size = [16, 32] }
"#;

/// 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in the file"))
        + 1
}

/// The line number an error message gives: `NAME.toml:LINE` or `line LINE`.
fn reported_line(message: &str, file_name: &str) -> Option<usize> {
    let digits = |s: &str| -> Option<usize> {
        let d: String = s.chars().take_while(char::is_ascii_digit).collect();
        d.parse().ok()
    };
    let after_path = format!("{file_name}:");
    message
        .match_indices(&after_path)
        .find_map(|(i, m)| digits(&message[i + m.len()..]))
        .or_else(|| {
            message
                .match_indices("line ")
                .find_map(|(i, m)| digits(&message[i + m.len()..]))
        })
}

/// `text` with `from` replaced by `to` (which must occur exactly once).
fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once");
    text.replacen(from, to, 1)
}

/// Loads, expands and runs `name` under `root` as `runner exp` does.
fn run_experiment(root: &Path, name: &str) -> anyhow::Result<()> {
    let layout = Layout::at(root);
    let exp = Experiment::load(&layout.root, name)?;
    let cells = cells::expand(&exp)?;
    harness::run_cells(
        &exp,
        &cells,
        None,
        &harness::RunOptions::new(&layout, &layout.results).threads(Some(1)),
    )
}

/// Runs the experiment `text`; Ok if it fails cleanly naming the file, the line of
/// `line_with` and `key`, before writing any result.
fn try_case(case: &str, text: &str, line_with: &str, key: &str) -> Result<(), String> {
    let root = tempfile::tempdir().expect("a temporary directory");
    let name = "broken";
    let path = root.path().join("experiments").join(format!("{name}.toml"));
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("experiments/");
    std::fs::write(&path, text).expect("write the experiment");
    let outcome = std::panic::catch_unwind(|| run_experiment(root.path(), name));
    let stderr = match &outcome {
        Ok(Ok(())) => return Err(format!("{case}: accepted")),
        Ok(Err(e)) => format!("{e:#}"),
        Err(_) => return Err(format!("{case}: panicked instead of an error message")),
    };
    let fail = |why: String| Err(format!("{case}: {why}\n{stderr}"));
    if !stderr.contains(&path.display().to_string()) {
        return fail(format!("the message does not name {}", path.display()));
    }
    let expected = line_of(text, line_with);
    let got = reported_line(&stderr, &format!("{name}.toml"));
    if got != Some(expected) {
        return fail(format!("line {got:?}, expected {expected} (`{line_with}`)"));
    }
    if !stderr.contains(key) {
        return fail(format!("the message does not name the key `{key}`"));
    }
    if root.path().join("results").join(name).exists() {
        return fail("results were written for a malformed file".into());
    }
    Ok(())
}

/// Every case fails as [`try_case`] requires; reports all that do not.
fn check_all(cases: &[(&str, String, &str, &str)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(case, text, line_with, key)| try_case(case, text, line_with, key).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

fn check(case: &str, text: &str, line_with: &str, key: &str) {
    check_all(&[(case, text.to_owned(), line_with, key)]);
}

#[test]
fn good_file_is_accepted() {
    let exp = Experiment::parse("good".into(), "experiments/good.toml".into(), GOOD.into()).expect("valid");
    // sgd and two adam batch sizes, two seeds each.
    assert_eq!(cells::expand(&exp).expect("expands").len(), 6);
}

#[test]
fn malformed_file_errors_name_line_and_key() {
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "unknown top-level key",
            edit(GOOD, "seeds = 2\n", "seeds = 2\ncolour = \"blue\"\n"),
            "colour",
            "colour",
        ),
        (
            "unknown optimizer hyper-parameter",
            edit(GOOD, "lr = 0.01\n", "lrr = 0.1\n"),
            "lrr = 0.1",
            "lrr",
        ),
        (
            "wrong type",
            edit(GOOD, "iterations = 3", "iterations = \"ten\""),
            "iterations = \"ten\"",
            "iterations",
        ),
        (
            "wrong type of a hyper-parameter",
            edit(GOOD, "momentum = 0.9", "momentum = \"high\""),
            "momentum = \"high\"",
            "momentum",
        ),
        (
            "negative learning rate",
            edit(GOOD, "lr = 0.01", "lr = -1"),
            "lr = -1",
            "lr",
        ),
        (
            "impossible value inside a grid",
            edit(
                GOOD,
                "lr = 0.01\ngrid = { batch_size = [16, 32] }",
                "grid = { lr = [0.1, -0.5] }",
            ),
            "grid = { lr",
            "lr",
        ),
        ("no seeds", edit(GOOD, "seeds = 2", "seeds = 0"), "seeds = 0", "seeds"),
        (
            "no checkpoint interval",
            edit(GOOD, "checkpoint_every = 2", "checkpoint_every = 0"),
            "checkpoint_every",
            "checkpoint_every",
        ),
        (
            "zero-width layer",
            edit(GOOD, "hidden = [8]", "hidden = [8, 0]"),
            "hidden = [8, 0]",
            "hidden",
        ),
        (
            "unknown network key",
            edit(GOOD, "hidden = [8]", "hidden = [8]\nhiden = [8]"),
            "hiden",
            "hiden",
        ),
        (
            "unknown optimizer",
            edit(GOOD, "name = \"adam\"", "name = \"adamw\""),
            "name = \"adamw\"",
            "name",
        ),
        (
            "unknown dataset",
            edit(GOOD, "name = \"synthetic\"", "name = \"cifar\""),
            "name = \"cifar\"",
            "name",
        ),
        (
            "grid axis that is not an array",
            edit(GOOD, "grid = { batch_size = [16, 32] }", "grid = { batch_size = 16 }"),
            "grid = { batch_size = 16 }",
            "batch_size",
        ),
        (
            "experiment axis that is not an array",
            format!("{GOOD}\n[grid]\n\"network.hidden\" = [[4], [8]]\n\"dataset.train_samples\" = 100\n"),
            "\"dataset.train_samples\" = 100",
            "dataset.train_samples",
        ),
    ];
    check_all(&cases);
}

/// Tables may come in any order; the unknown dataset's `name` is on line 8, but the
/// message points at the first `name = ...` of the file (the optimizer's, line 4).
#[test]
fn dataset_error_after_optimizers_names_its_line() {
    let text = r#"iterations = 3

[[optimizers]]
name = "adam"
lr = 0.01

[dataset]
name = "cifar"
synthetic = { samples = 200, features = 5, classes = 3, separation = 1.0 }

[network]
hidden = [8]
"#;
    check("unknown dataset after the optimizers", text, "name = \"cifar\"", "name");
}

/// A grid written as a sub-table of its `[[optimizers]]` entry: the bad axis is on line 13,
/// the message points at the entry's header (line 10).
#[test]
fn grid_subtable_error_names_its_line() {
    let text = r#"iterations = 3

[dataset]
name = "synthetic"
synthetic = { samples = 200, features = 5, classes = 3, separation = 1.0 }

[network]
hidden = [8]

[[optimizers]]
name = "adam"

[optimizers.grid]
lr = 0.5
"#;
    check("grid sub-table axis that is not an array", text, "lr = 0.5", "lr");
}

/// Sizes that leave nothing to train or test on are impossible values: a synthetic problem
/// with no samples, features or classes, or a dataset cut to 0 samples. They are accepted
/// (training on an empty set "completes"; a test accuracy of 0 is recorded), fail later
/// without the file and line (`features = 0`), or panic (`classes = 0`).
#[test]
fn impossible_dataset_sizes_are_rejected() {
    let synthetic = "synthetic = { samples = 200, features = 5, classes = 3, separation = 1.0 }";
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "no training samples",
            edit(GOOD, "name = \"synthetic\"", "name = \"synthetic\"\ntrain_samples = 0"),
            "train_samples = 0",
            "train_samples",
        ),
        (
            "no test samples",
            edit(GOOD, "name = \"synthetic\"", "name = \"synthetic\"\ntest_samples = 0"),
            "test_samples = 0",
            "test_samples",
        ),
        (
            "synthetic problem without samples",
            edit(GOOD, synthetic, &synthetic.replace("samples = 200", "samples = 0")),
            "samples = 0",
            "samples",
        ),
        (
            "synthetic problem without test samples",
            edit(
                GOOD,
                synthetic,
                &synthetic.replace("separation = 1.0", "separation = 1.0, test_samples = 0"),
            ),
            "test_samples = 0",
            "test_samples",
        ),
        (
            "synthetic problem without features",
            edit(GOOD, synthetic, &synthetic.replace("features = 5", "features = 0")),
            "features = 0",
            "features",
        ),
        (
            "synthetic problem without classes",
            edit(GOOD, synthetic, &synthetic.replace("classes = 3", "classes = 0")),
            "classes = 0",
            "classes",
        ),
    ];
    check_all(&cases);
}

/// The `[compare]` table of `runner compare`: unknown keys and impossible tolerances are
/// refused like any other key.
#[test]
fn compare_table_errors_name_line_and_key() {
    let with = |table: &str| format!("{GOOD}\n[compare]\n{table}\n");
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "unknown compare key",
            with("metric_tolerance = 1e-5\ntiming_ration = 1.5"),
            "timing_ration",
            "timing_ration",
        ),
        (
            "negative metric tolerance",
            with("timing_ratio = 1.5\nmetric_tolerance = -1e-5"),
            "metric_tolerance = -1e-5",
            "metric_tolerance",
        ),
        (
            "timing ratio below 1",
            with("metric_tolerance = 1e-5\ntiming_ratio = 0.8"),
            "timing_ratio = 0.8",
            "timing_ratio",
        ),
        (
            "negative per-metric tolerance",
            with("metric_tolerance = 1e-5\nmetrics = { train_loss = 1e-4, test_accuracy = -0.1 }"),
            "metrics = {",
            "test_accuracy",
        ),
        (
            "timing column as a metric",
            with("metric_tolerance = 1e-5\n\n[compare.metrics]\nupdate_seconds = 0.5"),
            "update_seconds = 0.5",
            "update_seconds",
        ),
    ];
    check_all(&cases);
}
