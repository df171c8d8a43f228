//! The study report of a small synthetic run: every section is there, with numbers that
//! follow from the stored metrics.

use harness::Layout;
use harness::cells;
use harness::experiment::Experiment;

const TEXT: &str = r#"
description = "study test"
seed = 1
seeds = 3
iterations = 4
checkpoint_every = 2
targets = [0.5]

[dataset]
name = "synthetic"
synthetic = { samples = 400, features = 6, classes = 3, separation = 1.0, test_samples = 200 }
validation = { size = 100, seed = 2 }

[network]
hidden = [16]
init = { kind = "kaiming_normal" }

[[optimizers]]
name = "sgd"
label = "SGD"
batch_size = 32
search = { budget = 3, seed = 0, lr = { log_uniform = [1e-3, 1e-1] }, momentum = { uniform = [0.5, 0.9] } }

[[optimizers]]
name = "adam"
label = "Adam"
batch_size = 32
search = { budget = 3, seed = 0, lr = { log_uniform = [1e-3, 3e-2] } }

[scoring]
reference = "SGD"
target = 0.4
"#;

/// The cells of the Markdown table row that starts with `| label |` under `heading`.
fn row<'a>(md: &'a str, heading: &str, label: &str) -> Vec<&'a str> {
    let section = &md[md
        .find(heading)
        .unwrap_or_else(|| panic!("no section {heading}:\n{md}"))..];
    let line = section
        .lines()
        .find(|l| l.starts_with(&format!("| {label} |")))
        .unwrap_or_else(|| panic!("no row {label} under {heading}"));
    line.trim_matches('|').split('|').map(str::trim).collect()
}

/// `estimate [lower, upper]` as numbers.
fn interval(cell: &str) -> (f64, f64, f64) {
    let (e, rest) = cell
        .split_once(" [")
        .unwrap_or_else(|| panic!("not an interval: {cell}"));
    let (l, u) = rest.trim_end_matches(']').split_once(", ").unwrap();
    (e.parse().unwrap(), l.parse().unwrap(), u.parse().unwrap())
}

#[test]
fn study_report_has_every_section_with_consistent_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = Layout::at(tmp.path());
    std::fs::create_dir_all(tmp.path().join("experiments")).unwrap();
    std::fs::write(tmp.path().join("experiments/t.toml"), TEXT).unwrap();
    let exp = Experiment::load(tmp.path(), "t").unwrap();
    let cells = cells::expand(&exp).unwrap();
    assert_eq!(cells.len(), 18);
    harness::run_cells(
        &exp,
        &cells,
        None,
        &harness::RunOptions::new(&layout, &layout.results).threads(Some(1)),
    )
    .unwrap();
    let drawn = reports::draw(&exp, &cells, &layout, reports::plots::Band::default()).unwrap();
    let md = std::fs::read_to_string(layout.results.join("t/study.md")).unwrap();
    assert_eq!(md, drawn.study);

    // The validation split is evaluated and recorded.
    let r = &drawn.results[0];
    assert!(r.columns.iter().any(|c| c == "val_accuracy"));
    assert!(r.column("val_loss").unwrap().iter().all(|v| v.is_finite()));
    let config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(layout.results.join("t").join(&r.cell.id).join("config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(config["validation"]["samples"], 100);

    // Choices: stated, and the chosen trial is the best by mean final validation accuracy.
    assert!(md.contains("100 training samples held out"), "{md}");
    let chosen = row(&md, "## Choices made on validation data", "Adam");
    let mut by_trial = std::collections::BTreeMap::<String, Vec<f64>>::new();
    for r in drawn.results.iter().filter(|r| r.cell.entry == "Adam") {
        let v = r.column("val_accuracy").unwrap();
        by_trial
            .entry(r.cell.optimizer_label.clone())
            .or_default()
            .push(*v.last().unwrap());
    }
    let best = by_trial
        .into_iter()
        .map(|(label, v)| (v.iter().sum::<f64>() / v.len() as f64, label))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap();
    assert_eq!(chosen[2], best.1, "{md}");
    assert!((chosen[3].parse::<f64>().unwrap() - best.0).abs() < 1e-4);

    // Expected best: k = 1..3, never decreasing, at most the best trial's score.
    let budget = row(&md, "## Expected best validation score", "Adam");
    assert_eq!(budget.len(), 5, "{budget:?}");
    let means: Vec<f64> = budget[2..].iter().map(|c| interval(c).0).collect();
    assert!(means.windows(2).all(|w| w[0] <= w[1] + 1e-12), "{means:?}");
    assert!(
        means[2] <= best.0 + 1e-4 && means[0] < means[2] + 1e-12,
        "{means:?} {}",
        best.0
    );

    // Sensitivity: one chart per searched hyper-parameter, with files.
    assert!(md.contains("## Sensitivity to the searched hyper-parameters"));
    for name in [
        "study-sensitivity-sgd-lr-t",
        "study-sensitivity-sgd-momentum-t",
        "study-sensitivity-adam-lr-t",
    ] {
        assert!(layout.plots.join("t").join(format!("{name}.png")).is_file(), "{name}");
        assert!(md.contains(name), "{name}");
    }

    // AlgoPerf: the fastest entry scores 1; the reference is marked.
    let sgd = row(&md, "## AlgoPerf scores", "SGD");
    let adam = row(&md, "## AlgoPerf scores", "Adam");
    let time = |r: &[&str]| {
        if r[1] == "inf" {
            f64::INFINITY
        } else {
            r[1].parse::<f64>().unwrap()
        }
    };
    let score = |r: &[&str]| r[2].parse::<f64>().unwrap();
    assert!(time(&sgd).is_finite() || time(&adam).is_finite(), "{md}");
    // Times are printed to 0.01 s: only a strictly smaller printed time orders the scores.
    assert_eq!(score(&sgd).max(score(&adam)), 1.0, "{md}");
    if time(&sgd) < time(&adam) {
        assert!(score(&sgd) >= score(&adam), "{md}");
    }
    if time(&adam) < time(&sgd) {
        assert!(score(&adam) >= score(&sgd), "{md}");
    }
    assert_eq!(sgd[3], "1 (reference)");
    assert!(layout.plots.join("t/study-algoperf-profiles.png").is_file());

    // Robust comparison: IQM inside its interval, probability of improvement in [0, 1],
    // Wilcoxon over 3 seed pairs.
    let iqm = interval(row(&md, "## Robust comparison", "Adam")[2]);
    assert!(
        iqm.1 <= iqm.0 && iqm.0 <= iqm.2 && (0.0..=1.0).contains(&iqm.0),
        "{iqm:?}"
    );
    let versus = row(&md, "### Against the reference, SGD", "Adam");
    let poi = interval(versus[1]);
    assert!(
        (0.0..=1.0).contains(&poi.0) && poi.1 <= poi.0 && poi.0 <= poi.2,
        "{poi:?}"
    );
    assert_eq!(versus[5], "3");

    // The page carries the study; the summary's targets read the validation split.
    let html = reports::report::write("t", "study test", &drawn, &layout.results.join("t")).unwrap();
    let html = std::fs::read_to_string(html).unwrap();
    assert!(html.contains("Robust comparison of the chosen configurations") && html.contains("AlgoPerf scores"));
    let summary = std::fs::read_to_string(layout.results.join("t/summary.md")).unwrap();
    assert!(summary.contains("to val 0.5"), "{summary}");
}

#[test]
fn suite_item_scores_its_experiments_as_workloads() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = Layout::at(tmp.path());
    std::fs::create_dir_all(tmp.path().join("experiments/suites")).unwrap();
    let one = TEXT.replace("[scoring]\nreference = \"SGD\"\ntarget = 0.4\n", "");
    let other = one
        .replace("separation = 1.0", "separation = 2.0")
        .replace("budget = 3", "budget = 2");
    std::fs::write(tmp.path().join("experiments/blobs-a.toml"), &one).unwrap();
    std::fs::write(tmp.path().join("experiments/blobs-b.toml"), &other).unwrap();
    std::fs::write(
        tmp.path().join("experiments/suites/s.toml"),
        r#"
title = "Scored suite"
dir = "s"

[[items]]
name = "scored"
experiments = ["blobs-a", "blobs-b"]
scoring = { reference = "SGD", targets = { blobs-a = 0.4, blobs-b = 0.5 } }
"#,
    )
    .unwrap();
    let suite = harness::suite::Suite::load(tmp.path(), "s").unwrap();
    let run = reports::suite::SuiteRun {
        layout: &layout,
        reduction: harness::reduction::Reduction::default(),
        no_run: false,
        data_dir: None,
        threads: Some(1),
    };
    let items: Vec<_> = suite.file.items.iter().collect();
    reports::suite::run_suite(&suite, &items, &run).unwrap();
    let md = std::fs::read_to_string(layout.results.join("s/scored.md")).unwrap();
    assert!(md.contains("## Scores over the item's workloads"), "{md}");
    // One column per experiment, each with its own target.
    assert!(
        md.contains("blobs-a: s to val_accuracy >= 0.4") && md.contains("blobs-b: s to val_accuracy >= 0.5"),
        "{md}"
    );
    let sgd = row(&md, "### AlgoPerf scores", "SGD");
    assert_eq!(sgd.len(), 5, "{sgd:?}");
    assert_eq!(sgd[4], "1 (reference)");
    // The comparison pools 3 seeds of 2 workloads.
    assert_eq!(row(&md, "### Robust comparison", "Adam")[1], "6");
    assert_eq!(row(&md, "#### Against the reference, SGD", "Adam")[5], "6");
    assert!(layout.plots.join("s/scored-study-algoperf-profiles.png").is_file());
    // Each experiment's own study is written and linked.
    assert!(md.contains("(blobs-a/study.md)") && layout.results.join("s/blobs-a/study.md").is_file());
}
