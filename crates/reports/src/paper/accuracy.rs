//! Figs. 4 and 5: training and test accuracy of every method, the final accuracies against the
//! paper's, and why they differ.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

use super::minibatch::tuned_minibatch;
use super::reference::PaperCsv;
use super::report::{fmt, header, save_and_link, subtitle};
use super::{Item, ItemReport};
use crate::chart::{Chart, Legend, Series};
use crate::plots::{Band, aggregate};
use harness::results;

/// How far a final accuracy may lie from the paper's before the report must explain it.
const ACCURACY_TOLERANCE: f64 = 0.02;

/// The methods of Figs. 4 and 5 in the paper's legend order (their colours follow it).
pub(super) const METHODS: [&str; 6] = ["SGD", "Adadelta", "Adagrad", "Adam", "ADMM", "dlADMM"];

/// The panels of Figs. 4 and 5: (panel, split, metrics column).
pub(super) const ACCURACY_PANELS: [(&str, &str, &str); 2] =
    [("a", "train", "train_accuracy"), ("b", "test", "test_accuracy")];

/// The y-axis description of a panel of Fig. 4 or 5.
pub(super) fn accuracy_axis(split: &str) -> String {
    format!("{}ing accuracy", if split == "train" { "Train" } else { "Test" })
}

/// The paper's accuracy curves of one panel of Fig. 4 or 5.
pub(super) fn paper_accuracy(root: &Path, item: Item, panel: &str, split: &str) -> Result<PaperCsv> {
    let dataset = if item == Item::Fig4 { "mnist" } else { "fashion-mnist" };
    PaperCsv::read(
        root,
        &format!("fig{}{panel}-{dataset}-{split}-accuracy.csv", &item.name()[3..]),
    )
}

/// Figs. 4 and 5: training and test accuracy of every method.
pub(super) fn accuracy_figure(draft: &ItemReport<'_>) -> Result<String> {
    let (exp, _, results) = &draft.loaded[0];
    let mut report = header(draft)?;
    let groups = results::group_by_config(results);
    let mut finals = BTreeMap::new();
    for (panel, split, column) in ACCURACY_PANELS {
        let paper = paper_accuracy(&draft.ctx.layout.root, draft.item, panel, split)?;
        let mut series = Vec::new();
        let _ = writeln!(
            report,
            "## ({panel}) {split}ing accuracy\n\n| method | it. 50 ours | paper | it. 100 ours | paper | it. 195 ours | paper |\n|---|---|---|---|---|---|---|"
        );
        for (_, group) in &groups {
            let label = group[0].cell.optimizer_label.clone();
            let color = METHODS
                .iter()
                .position(|m| *m == label)
                .unwrap_or(METHODS.len() + series.len());
            let Some(agg) = aggregate(group, column, Band::None) else {
                continue;
            };
            let at = |it: f64| agg.iteration.iter().position(|&x| x == it).map(|k| agg.mean[k]);
            let _ = writeln!(
                report,
                "| {label} | {} | {} | {} | {} | {} | {} |",
                fmt(at(50.0)),
                fmt(paper.at(&label, 50.0)),
                fmt(at(100.0)),
                fmt(paper.at(&label, 100.0)),
                fmt(at(195.0)),
                fmt(paper.at(&label, 195.0))
            );
            let last = agg.mean.iter().rev().copied().find(|v| v.is_finite());
            finals.insert((split, label.clone()), (last, paper.at(&label, 195.0)));
            series.push(Series {
                label: label.clone(),
                color,
                x: agg.iteration.clone(),
                y: agg.mean.clone(),
                band: None,
                dashed: false,
                markers: false,
            });
            if let Some((x, y)) = paper.series(&label) {
                series.push(Series {
                    label: format!("{label} (paper)"),
                    color,
                    x,
                    y,
                    band: None,
                    dashed: true,
                    markers: false,
                });
            }
        }
        report.push('\n');
        let chart = Chart {
            title: format!(
                "Fig. {} ({panel}): {split}ing accuracy on {}",
                &draft.item.name()[3..],
                if draft.item == Item::Fig4 {
                    "MNIST"
                } else {
                    "Fashion-MNIST"
                }
            ),
            subtitle: Some(subtitle(exp, draft.scale)),
            x_label: "Iteration (epoch; full batch)".into(),
            y_label: accuracy_axis(split),
            log_y: false,
            log_x: false,
            legend: Legend::LowerRight,
            series,
        };
        let stem = draft.figure_stem(&format!("{panel}-{split}-accuracy"));
        save_and_link(&chart, &stem, &mut report)?;
    }
    let _ = write!(
        report,
        "## Final accuracies (last iteration) and differences\n\n| method | split | ours | paper (it. 195) | difference | within {ACCURACY_TOLERANCE} |\n|---|---|---|---|---|---|\n"
    );
    // Methods whose final accuracy is further than the tolerance from the paper's, by split.
    let mut gaps: BTreeMap<&str, Vec<(&str, f64)>> = BTreeMap::new();
    for ((split, label), (ours, paper)) in &finals {
        let diff = ours.zip(*paper).map(|(o, p)| o - p);
        let within = diff.map(|d| d.abs() <= ACCURACY_TOLERANCE);
        if let (Some(d), Some(false)) = (diff, within) {
            gaps.entry(label.as_str()).or_default().push((split, d));
        }
        let within = within.map_or("-", |w| if w { "yes" } else { "no" });
        let _ = writeln!(
            report,
            "| {label} | {split} | {} | {} | {} | {within} |",
            fmt(*ours),
            fmt(*paper),
            diff.map(|d| format!("{d:+.3}")).unwrap_or("-".into())
        );
    }
    report.push('\n');
    if !gaps.is_empty() && draft.scale.is_reduced() {
        report.push_str(
            "Each \"no\" above compares this reduced run with the paper's full one at iteration 195, so it \
             measures the reduction first; the full-setting report explains the differences that remain.\n\n",
        );
    } else if !gaps.is_empty() {
        report.push_str("Each \"no\" above, and why:\n\n");
        for (label, splits) in &gaps {
            let listed: Vec<String> = splits.iter().map(|(split, d)| format!("{split} {d:+.3}")).collect();
            let diffs: Vec<f64> = splits.iter().map(|s| s.1).collect();
            let _ = writeln!(
                report,
                "- **{label}** ({}): {}",
                listed.join(", "),
                accuracy_gap_reason(label, &diffs)
            );
        }
        report.push('\n');
    }
    report.push_str(DIFFERENCES_ACCURACY);
    if let Some(minibatch) = draft.loaded.get(1) {
        report.push('\n');
        tuned_minibatch(draft, minibatch, &mut report)?;
    }
    Ok(report)
}

/// Why a method's final accuracies can differ from the paper's by more than the tolerance (`diffs`
/// are ours minus the paper's, one per split).
fn accuracy_gap_reason(label: &str, diffs: &[f64]) -> String {
    let direction = if diffs.iter().all(|d| *d > 0.0) {
        "higher"
    } else if diffs.iter().all(|d| *d < 0.0) {
        "lower"
    } else {
        "higher on one split and lower on the other"
    };
    match label {
        "ADMM" => format!(
            "the paper specifies its ADMM baseline only by \"rho = 1\" and publishes no code: its loss, warm start, \
             biases and penalty weights are unknown. Its curves level off after about 10 iterations (near 0.855 on MNIST, \
             0.78 on Fashion-MNIST). Ours is Taylor et al.'s method with closed-form W, a and z updates, biases, softmax \
             cross-entropy on the output (solved by FISTA as in dlADMM), five warm-start iterations and the \
             beta/gamma reading of rho documented in crates/admm; it ends {direction}."
        ),
        "dlADMM" => format!(
            "ours runs the public code's adaptive rho rule (variant `reference`; the paper's text describes another \
             schedule) from another random draw of the initial weights, and ends {direction}."
        ),
        "Adadelta" => {
            let defaults = adadelta::AdadeltaConfig::default();
            format!(
                "Adadelta's accumulated squared step starts at zero, so its first steps have length about \
                 lr * sqrt(eps / (1 - rho)) whatever the gradient's scale, and how fast it starts is set by eps \
                 and rho, which the paper does not give. Ours uses PyTorch's rho = {} and eps = {:e}; a smaller \
                 eps (Keras's default is 1e-7) gives shorter early steps and a slower curve, like the paper's \
                 (we have not run the paper's constants, which are unknown). Ours ends {direction}.",
                defaults.rho, defaults.eps
            )
        }
        _ => format!(
            "full-batch {label} for 200 steps at the paper's learning rate depends on constants the paper does not \
             give (epsilon, the loss reduction, the framework's defaults and the initial scale). With N(0, 0.1^2) \
             weights, the summed loss and PyTorch's defaults ours ends {direction}; the mini-batch runs at tuned rates \
             below show what the method reaches when its rate is chosen for this setting."
        ),
    }
}

const DIFFERENCES_ACCURACY: &str = "## Where we differ and why\n\n\
- The paper does not give its baselines' initialisation, framework or optimiser constants beyond the learning rate; we use the reference code's N(0, 0.1^2) initialisation for every method, PyTorch's defaults for the other constants, and the summed loss (the only reading under which SGD's 1e-6 makes sense).\n\
- The reference code's random generator cannot be reproduced, so every curve starts from another draw of the same distribution.\n\
- ADMM: the paper states only \"rho = 1\"; our mapping onto Taylor et al.'s beta and gamma is documented in crates/admm.\n\
- dlADMM runs as its public code does (variant `reference`); the paper's text describes a different rho schedule (see crates/dladmm).\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_gap_reason_names_the_direction_and_the_method() {
        assert!(accuracy_gap_reason("ADMM", &[0.09, 0.08]).contains("rho = 1"));
        assert!(accuracy_gap_reason("ADMM", &[0.09, 0.08]).ends_with("it ends higher."));
        assert!(accuracy_gap_reason("dlADMM", &[-0.03]).ends_with("and ends lower."));
        let adadelta = accuracy_gap_reason("Adadelta", &[0.05, 0.03]);
        assert!(adadelta.contains("sqrt(eps / (1 - rho))"), "{adadelta}");
        assert!(adadelta.contains("rho = 0.9 and eps = 1e-6;"), "{adadelta}");
        assert!(adadelta.ends_with("Ours ends higher."), "{adadelta}");
        let adam = accuracy_gap_reason("Adam", &[-0.05, 0.03]);
        assert!(adam.starts_with("full-batch Adam"), "{adam}");
        assert!(adam.contains("higher on one split and lower on the other"), "{adam}");
    }
}
