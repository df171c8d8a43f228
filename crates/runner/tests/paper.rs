//! `runner paper`, end to end on reduced runs of the real experiment files: the report names
//! the reduction, sets the paper's values beside ours, states the machine, links plots that
//! exist, is listed in the index, and is redrawn identically from the stored results.
//!
//! Needs MNIST and Fashion-MNIST in the directory named by `DLADMM_DATA`: ignored by default, so
//! that the test summary shows them skipped; `cargo test -- --include-ignored` runs them (as CI
//! does).

mod common;

use common::Root;
use std::path::{Path, PathBuf};

/// A root holding a copy of the repository's paper experiments and the paper's curves.
fn paper_root() -> Root {
    let root = Root::new();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments");
    let target = root.path().join("experiments");
    std::fs::create_dir_all(target.join("paper")).expect("create experiments/paper");
    for entry in std::fs::read_dir(&source).expect("read experiments/") {
        let path = entry.expect("experiments/ entry").path();
        let name = path.file_name().expect("file name").to_string_lossy().into_owned();
        if name.starts_with("paper-") && name.ends_with(".toml") {
            std::fs::copy(&path, target.join(&name)).expect("copy an experiment file");
        }
    }
    std::fs::create_dir_all(target.join("suites")).expect("create experiments/suites");
    std::fs::copy(
        source.join("suites/dladmm-kdd2019.toml"),
        target.join("suites/dladmm-kdd2019.toml"),
    )
    .expect("copy the paper's suite");
    for entry in std::fs::read_dir(source.join("paper")).expect("read experiments/paper/") {
        let path = entry.expect("experiments/paper/ entry").path();
        std::fs::copy(&path, target.join("paper").join(path.file_name().expect("file name")))
            .expect("copy a paper curve");
    }
    root
}

fn data_dir() -> String {
    std::env::var("DLADMM_DATA")
        .unwrap_or_else(|_| panic!("this test needs DLADMM_DATA: the directory holding mnist/ and fashion-mnist/"))
}

/// Runs `paper ITEM ARGS` with one thread on the data in `data`, then returns the report.
fn run_item(root: &Root, data: &str, item: &str, args: &[&str]) -> (PathBuf, String) {
    let mut all = vec!["paper", item, "--threads", "1", "--data-dir", data];
    all.extend_from_slice(args);
    let run = root.run_ok(&all);
    let line = run
        .stdout()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{item}: ")).map(str::to_owned))
        .unwrap_or_else(|| panic!("no `{item}: REPORT` line\n{}", run.describe()));
    let path = PathBuf::from(line);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path, text)
}

/// Every `![..](target)` image of a report exists, relative to the report.
fn assert_images_exist(report: &Path, text: &str) -> usize {
    let mut images = 0;
    for link in text.split("](").skip(1) {
        let target = link.split(')').next().expect("closing parenthesis");
        if target.ends_with(".png") {
            let path = report.parent().expect("report directory").join(target);
            assert!(
                path.exists(),
                "{} links a missing plot {}",
                report.display(),
                path.display()
            );
            images += 1;
        }
    }
    images
}

#[test]
#[ignore = "needs DLADMM_DATA"]
fn reduced_fig4_reports_every_method_beside_the_paper() {
    let data = data_dir();
    let root = paper_root();
    let args = ["--samples", "200", "--iterations", "2", "--widths", "32"];
    let (report, text) = run_item(&root, &data, "fig4", &args);

    assert_eq!(report.file_name().unwrap(), "fig4-reduced-s200-i2-w32.md");
    assert!(
        text.contains(
            "**REDUCED RUN (at most 200 training samples, 2 iterations, widths [32]), not the paper's full setting.**"
        ),
        "{text}"
    );
    assert!(text.contains("All 18 cells finished."), "{text}");
    assert!(
        text.contains("Machine: ") && text.contains(", 1 thread, ") && text.contains("; CPU only. 18 cells;"),
        "{text}"
    );
    // The final-values table of the test panel: `| series | ours | paper | difference | within |`.
    let test_panel = text.split("## (b) testing accuracy").nth(1).expect("the test panel");
    let finals: Vec<&str> = test_panel
        .lines()
        .filter(|l| l.starts_with("| ") && l.split(" | ").count() == 5)
        .collect();
    // The paper's Adam ends at 0.975 test accuracy on MNIST (experiments/paper/fig4b-*.csv).
    let adam = finals
        .iter()
        .find(|l| l.starts_with("| Adam | "))
        .expect("Adam's final test row");
    assert_eq!(adam.split(" | ").nth(2), Some("0.975"), "{adam}");
    for method in ["SGD", "Adadelta", "Adagrad", "Adam", "ADMM", "dlADMM"] {
        assert!(
            finals.iter().any(|l| l.starts_with(&format!("| {method} | "))),
            "no final test row for {method}\n{text}"
        );
    }
    assert!(text.contains("## Tuned configurations"), "{text}");
    assert_eq!(
        assert_images_exist(&report, &text),
        4,
        "two full-batch and two mini-batch plots\n{text}"
    );

    let index = std::fs::read_to_string(root.results().join("paper/REPORT.md")).expect("index");
    assert!(
        index.contains("[fig4-reduced-s200-i2-w32.md](fig4-reduced-s200-i2-w32.md)"),
        "{index}"
    );
    assert!(
        index.contains("| fig4 | not run yet |"),
        "a reduced run is not the full one\n{index}"
    );

    let mut redraw = args.to_vec();
    redraw.push("--no-run");
    let (_, again) = run_item(&root, &data, "fig4", &redraw);
    assert_eq!(again, text, "redrawing from the stored results changed the report");

    // A replay at the same code and threads reproduces every stored value...
    let mut replay = vec!["paper", "fig4", "--threads", "1", "--data-dir", &data, "--replay", "2"];
    replay.extend_from_slice(&args);
    let run = root.run_ok(&replay);
    let stdout = run.stdout();
    assert_eq!(
        stdout.lines().filter(|l| l.contains("): identical, ")).count(),
        18,
        "{stdout}"
    );
    assert!(
        stdout.contains("replayed 18 cells for 2 iterations at revision "),
        "{stdout}"
    );

    // ...and names the cell whose stored values no longer follow from the code.
    let cell = common::cell_dirs(&root.results_of("paper/paper-fig4-reduced-s200-i2-w32"))
        .into_values()
        .next()
        .expect("a stored cell");
    let metrics = cell.join("metrics.csv");
    let stored = std::fs::read_to_string(&metrics).unwrap();
    let mut lines: Vec<String> = stored.lines().map(str::to_owned).collect();
    let mut fields: Vec<String> = lines[1].split(',').map(str::to_owned).collect();
    fields[3] = "0.125".into(); // train_loss at iteration 0
    lines[1] = fields.join(",");
    std::fs::write(&metrics, lines.join("\n") + "\n").unwrap();
    let run = root.run(&replay);
    assert!(!run.output.status.success(), "{}", run.describe());
    let stdout = run.stdout();
    let different: Vec<&str> = stdout.lines().filter(|l| l.contains("): DIFFERENT, ")).collect();
    assert_eq!(different.len(), 1, "{stdout}");
    assert!(different[0].contains("(train_loss)"), "{stdout}");
    assert!(
        run.stderr()
            .contains("1 replayed cell(s) differ from their stored results"),
        "{}",
        run.describe()
    );
    assert_eq!(
        std::fs::read_to_string(&metrics).unwrap(),
        lines.join("\n") + "\n",
        "a replay changes nothing stored"
    );
}

#[test]
#[ignore = "needs DLADMM_DATA"]
fn reduced_table2_fits_a_power_law_per_dataset_and_rho() {
    let data = data_dir();
    let root = paper_root();
    let args = ["--samples", "200", "--iterations", "2", "--widths", "16,32,64"];
    let (report, text) = run_item(&root, &data, "table2", &args);

    assert_eq!(report.file_name().unwrap(), "table2-reduced-s200-i2-w16_32_64.md");
    assert!(text.contains("All 30 cells finished."), "{text}");
    // Two datasets, five values of rho, each with our fit beside the paper's.
    let fits = text
        .lines()
        .filter(|l| l.starts_with("Fit ours: y = ") && l.contains("; paper: y = "))
        .count();
    assert_eq!(fits, 10, "{text}");
    assert!(text.contains("| 64 | "), "{text}");
}
