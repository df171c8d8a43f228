//! `runner compare` end to end: a tiny experiment run twice into two results directories
//! compares as the same, and fails once one stored value of the copy is changed.

mod common;

use common::Root;

const TINY: &str = r#"description = "runner compare end to end"
seed = 5
iterations = 4
checkpoint_every = 2

[dataset]
name = "synthetic"
synthetic = { samples = 120, features = 6, classes = 3, separation = 1.0, test_samples = 60 }

[network]
hidden = [8]

[[optimizers]]
name = "adam"
label = "Adam"
batch_size = 40
lr = 0.01

[[optimizers]]
name = "sgd"
label = "SGD"
batch_size = 40
lr = 0.05
"#;

#[test]
fn two_runs_compare_the_same_until_a_stored_value_changes() {
    let root = Root::new();
    root.write_experiment("tiny", TINY);
    let (a, b) = (root.path().join("run-a"), root.path().join("run-b"));
    for dir in [&a, &b] {
        let results = dir.to_str().unwrap();
        root.run_ok(&["exp", "tiny", "--results", results, "--threads", "1", "--no-summary"]);
    }
    let (a_arg, b_arg) = (a.to_str().unwrap(), b.to_str().unwrap());
    let exact = ["--metric-tolerance", "0", "--no-timing"];

    let same = root.run_ok(&[&["compare", a_arg, b_arg][..], &exact[..]].concat());
    let out = same.stdout();
    assert_eq!(
        out.lines().filter(|l| l.starts_with("same ")).count(),
        2,
        "{}",
        same.describe()
    );
    assert!(
        out.contains("2 same") && out.contains("0 regressions"),
        "{}",
        same.describe()
    );

    // Perturb the last training loss of one cell of B in its last significant digits.
    let cell = common::cell_dirs(&b.join("tiny")).into_values().next().unwrap();
    let metrics = cell.join("metrics.csv");
    let text = std::fs::read_to_string(&metrics).unwrap();
    let table = common::read_csv(&metrics, &[]);
    let loss = table.column("train_loss").last().unwrap().clone();
    let value: f64 = loss.parse().unwrap();
    let perturbed = (value * (1.0 + 1e-9)).to_string();
    assert_ne!(perturbed, loss);
    assert_eq!(
        text.matches(&loss).count(),
        1,
        "the loss is a unique string of the file"
    );
    std::fs::write(&metrics, text.replace(&loss, &perturbed)).unwrap();

    let changed = root.run(&[&["compare", a_arg, b_arg][..], &exact[..]].concat());
    assert!(!changed.output.status.success(), "{}", changed.describe());
    let out = changed.stdout();
    assert!(
        out.contains("REGRESSION") && out.contains("train_loss at iteration 3"),
        "{}",
        changed.describe()
    );
    assert!(changed.stderr().contains("regressed"), "{}", changed.describe());

    // The default tolerance forgives a change that small.
    let forgiving = root.run_ok(&["compare", a_arg, b_arg, "--no-timing"]);
    assert!(
        forgiving.stdout().contains("1 within tolerance"),
        "{}",
        forgiving.describe()
    );

    // A cell of A missing from B fails unless allowed.
    std::fs::remove_dir_all(&cell).unwrap();
    let missing = root.run(&["compare", a_arg, b_arg, "--no-timing"]);
    assert!(!missing.output.status.success(), "{}", missing.describe());
    assert!(missing.stdout().contains("only in A"), "{}", missing.describe());
    root.run_ok(&["compare", a_arg, b_arg, "--no-timing", "--allow-missing"]);

    // A path that is neither a directory nor a revision is named in the error.
    let nowhere = root.path().join("nowhere");
    let bad = root.run(&["compare", nowhere.to_str().unwrap(), b_arg]);
    assert!(!bad.output.status.success());
    assert!(
        bad.stderr().contains(&nowhere.display().to_string()),
        "{}",
        bad.describe()
    );
}
