//! The command line reports a malformed experiment file as the library words it (file, line,
//! key; see crates/harness/tests/experiment_errors.rs), with a failing exit status and no
//! result written.

mod common;

use common::Root;

#[test]
fn a_malformed_file_fails_with_its_file_line_and_key() {
    let root = Root::new();
    let text = "iterations = 3\n\n[dataset]\nname = \"synthetic\"\nsynthetic = { samples = 50, features = 4, classes = 2, separation = 1.0 }\n\n[network]\nhidden = [4]\n\n[[optimizers]]\nname = \"adam\"\nlr = -1.0\n";
    let path = root.write_experiment("broken", text);
    let run = root.run(&["exp", "broken", "--threads", "1"]);
    assert!(!run.output.status.success(), "{}", run.describe());
    let expected = format!("{}:12: key `lr`", path.display());
    assert!(
        run.stderr().contains(&expected),
        "expected `{expected}`\n{}",
        run.describe()
    );
    assert!(!root.results_of("broken").exists(), "{}", run.describe());
}
