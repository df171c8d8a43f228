//! Our results beside a reference's ([`harness::reference`]): the matched series, a table at
//! the reference's points, the final values against its tolerance, a chart with the reference
//! overlaid (dashed) and its notes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use harness::reference::{Against, Fit, Reference, Transform};
use harness::results::CellResult;

use crate::chart::{Chart, Legend, Series};
use crate::plots::{Band, aggregate};
use crate::stats::{fit_power_law, median};

/// Our values of one series of a reference: the cells whose key is `key`, aggregated over seeds.
#[derive(Debug, Clone)]
pub struct Ours {
    /// The series key, as the reference names it.
    pub key: String,
    /// x values: iterations, widths or sample counts.
    pub x: Vec<f64>,
    /// Our values, transformed (`NaN` where the transform has no value).
    pub y: Vec<f64>,
    /// Iterations where the untransformed value rose.
    pub rises: usize,
    /// x values where the value was at or below zero under `ln`.
    pub non_positive: Vec<f64>,
}

impl Ours {
    /// Our value at `x`.
    pub fn at(&self, x: f64) -> Option<f64> {
        self.x.iter().position(|&v| v == x).map(|i| self.y[i])
    }

    /// Our last finite value.
    pub fn last(&self) -> Option<f64> {
        self.y.iter().rev().copied().find(|v| v.is_finite())
    }
}

/// Groups `results` by their key under `reference`, in the order of the chart's `order`, then
/// as found.
pub fn ours(reference: &Reference, results: &[CellResult]) -> Vec<Ours> {
    let mut groups: Vec<(String, Vec<&CellResult>)> = Vec::new();
    for r in results {
        let key = reference.key_of(&r.cell);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.push(r),
            None => groups.push((key, vec![r])),
        }
    }
    let order = &reference.spec.chart.order;
    groups.sort_by_key(|(k, _)| order.iter().position(|o| o == k).unwrap_or(order.len()));
    let metric = &reference.spec.metric;
    groups
        .into_iter()
        .filter_map(|(key, group)| {
            let (x, raw) = match reference.spec.against {
                Against::Iteration => {
                    let agg = aggregate(&group, metric, Band::None)?;
                    (agg.iteration, agg.mean)
                }
                axis => {
                    // One point per x: the median over each cell's iterations, averaged over seeds.
                    let mut points: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
                    for r in &group {
                        let x = match axis {
                            Against::Width => r.cell.network.hidden.first().copied().unwrap_or(0),
                            _ => r.cell.dataset.train_samples.unwrap_or(0),
                        };
                        let values = r.column(metric)?;
                        points.entry(x as u64).or_default().push(median(&values));
                    }
                    points
                        .into_iter()
                        .map(|(x, v)| (x as f64, v.iter().sum::<f64>() / v.len() as f64))
                        .unzip()
                }
            };
            let rises = raw.windows(2).filter(|w| w[1] > w[0]).count();
            let (y, non_positive) = match reference.spec.transform {
                Transform::None => (raw, Vec::new()),
                Transform::Ln => {
                    let bad = x
                        .iter()
                        .zip(&raw)
                        .filter(|(_, v)| **v <= 0.0)
                        .map(|(x, _)| *x)
                        .collect();
                    (
                        raw.iter().map(|v| if *v > 0.0 { v.ln() } else { f64::NAN }).collect(),
                        bad,
                    )
                }
            };
            Some(Ours {
                key,
                x,
                y,
                rises,
                non_positive,
            })
        })
        .collect()
}

/// A value as tabulated: three decimals, `-` when missing.
pub fn fmt(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.3}"),
        _ => "-".into(),
    }
}

/// A final value further from the reference's than its tolerance.
#[derive(Debug, Clone)]
pub struct Gap {
    /// The series.
    pub key: String,
    /// Ours minus the reference's.
    pub difference: f64,
}

/// One reference's section of a report.
pub struct Section {
    /// Its Markdown, the figure linked.
    pub markdown: String,
    /// The final values outside the tolerance.
    pub gaps: Vec<Gap>,
}

/// Where a section's figure goes and how the report links it.
pub struct Figure<'a> {
    /// File stem of the figure (PNG and SVG are written).
    pub stem: &'a Path,
    /// How the report's Markdown reaches the figure's directory (`../../plots/NAME`).
    pub link_dir: &'a str,
    /// The chart's second line.
    pub subtitle: Option<String>,
}

/// The section of `reference` over `results`: tables, chart, final values, notes.
pub fn section(reference: &Reference, results: &[CellResult], figure: &Figure<'_>) -> Result<Section> {
    section_with(reference, results, figure, 2)
}

/// [`section`] with its heading at Markdown `level`.
pub fn section_with(
    reference: &Reference,
    results: &[CellResult],
    figure: &Figure<'_>,
    level: usize,
) -> Result<Section> {
    let spec = &reference.spec;
    let ours = ours(reference, results);
    let title = spec.title.clone().unwrap_or_else(|| axis_label(reference));
    let mut md = format!("{} {title}\n\n", "#".repeat(level));
    let mut gaps = Vec::new();
    match spec.against {
        Against::Iteration => iteration_table(reference, &ours, &mut md),
        _ => axis_tables(reference, &ours, &mut md),
    }
    for (part, stem) in panels(reference, &ours, figure.stem) {
        let mine: Vec<Ours> = ours
            .iter()
            .filter(|o| part.is_none_or(|p| first_part(&o.key) == p))
            .cloned()
            .collect();
        let mut chart = chart(reference, &mine, &title, figure.subtitle.clone());
        if let Some(p) = part {
            chart.title = format!("{}, {p}", chart.title);
        }
        chart.save(&stem)?;
        let name = stem.file_name().unwrap_or_default().to_string_lossy();
        let _ = writeln!(md, "![{name}]({}/{name}.png)\n", figure.link_dir);
    }
    if let Some(tolerance) = spec.tolerance {
        gaps = finals(reference, &ours, tolerance, &mut md);
    }
    if let Some(notes) = &reference.notes {
        md.push_str(notes.trim_end());
        md.push_str("\n\n");
    }
    Ok(Section { markdown: md, gaps })
}

/// The first part of a series key (before ", ").
fn first_part(key: &str) -> &str {
    key.split(", ").next().unwrap_or(key)
}

/// The charts of a section: one, or with `split` one per first key part, each with its stem.
fn panels<'a>(reference: &Reference, ours: &'a [Ours], stem: &Path) -> Vec<(Option<&'a str>, std::path::PathBuf)> {
    if !reference.spec.chart.split {
        return vec![(None, stem.to_path_buf())];
    }
    let mut parts: Vec<&str> = Vec::new();
    for o in ours {
        if !parts.contains(&first_part(&o.key)) {
            parts.push(first_part(&o.key));
        }
    }
    let base = stem.file_name().unwrap_or_default().to_string_lossy().into_owned();
    parts
        .into_iter()
        .map(|p| (Some(p), stem.with_file_name(format!("{base}-{}", kebab(p)))))
        .collect()
}

/// `FashionMNIST` -> `fashion-mnist`: a key part as a file-name part.
fn kebab(text: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if c.is_uppercase() && previous_lower {
            out.push('-');
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// The y-axis words of a reference: its metric, transformed.
fn axis_label(reference: &Reference) -> String {
    let metric = reference.spec.metric.replace('_', " ");
    match reference.spec.transform {
        Transform::None => metric,
        Transform::Ln => format!("ln({metric})"),
    }
}

fn iteration_table(reference: &Reference, ours: &[Ours], md: &mut String) {
    let spec = &reference.spec;
    let name = &spec.name;
    let with_ln_gaps = ours.iter().any(|o| !o.non_positive.is_empty());
    let mut head = String::from("| series |");
    let mut rule = String::from("|---|");
    for at in &spec.at {
        let _ = write!(head, " it. {at} ours | {name} |");
        rule.push_str("---|---|");
    }
    head.push_str(" last ours |");
    rule.push_str("---|");
    if spec.count_rises {
        head.push_str(" rises |");
        rule.push_str("---|");
    }
    if with_ln_gaps {
        head.push_str(" at or below 0 (no ln) |");
        rule.push_str("---|");
    }
    let _ = writeln!(md, "{head}\n{rule}");
    for o in ours {
        let theirs = reference.series.iter().find(|s| s.key == o.key);
        let mut row = format!("| {} |", o.key);
        for &at in &spec.at {
            let _ = write!(row, " {} | {} |", fmt(o.at(at)), fmt(theirs.and_then(|s| s.at(at))));
        }
        let last_x = o.x.last().copied().unwrap_or(f64::NAN);
        let _ = write!(row, " {} (it. {last_x}) |", fmt(o.last()));
        if spec.count_rises {
            let _ = write!(row, " {} of {} |", o.rises, o.x.len().saturating_sub(1));
        }
        if with_ln_gaps {
            match o.non_positive.first() {
                Some(first) => {
                    let _ = write!(row, " {} iterations, from {first} |", o.non_positive.len());
                }
                None => row.push_str(" - |"),
            }
        }
        let _ = writeln!(md, "{row}");
    }
    let unmatched: Vec<&str> = reference
        .series
        .iter()
        .filter(|s| !ours.iter().any(|o| o.key == s.key))
        .map(|s| s.key.as_str())
        .collect();
    if !unmatched.is_empty() {
        let _ = writeln!(md, "\nNo results of ours for: {}.", unmatched.join(", "));
    }
    md.push('\n');
}

fn axis_tables(reference: &Reference, ours: &[Ours], md: &mut String) {
    let spec = &reference.spec;
    let name = &spec.name;
    let axis = match spec.against {
        Against::Width => "width",
        _ => "training samples",
    };
    let mut exponents = String::new();
    let (mut ours_b, mut theirs_b) = (Vec::new(), Vec::new());
    for o in ours {
        let theirs = reference.series.iter().find(|s| s.key == o.key);
        let _ = writeln!(
            md,
            "### {}\n\n| {axis} | ours | {name} | ratio ours / {name} |\n|---|---|---|---|",
            o.key
        );
        for (&x, &y) in o.x.iter().zip(&o.y) {
            let t = theirs.and_then(|s| s.at(x));
            let ratio = t.map_or("-".into(), |t| format!("{:.2}", y / t));
            let _ = writeln!(md, "| {x} | {y:.3} | {} | {ratio} |", fmt(t));
        }
        if spec.fit == Fit::PowerLaw {
            let ours_fit = fit_power_law(&o.x, &o.y);
            let their_fit = theirs.and_then(|s| fit_power_law(&s.x, &s.y));
            let describe = |f: Option<(f64, f64, f64)>| {
                f.map_or("-".into(), |(a, b, r2)| format!("y = {a:.3e} · x^{b:.2} (R² {r2:.3})"))
            };
            let _ = writeln!(
                md,
                "\nFit ours: {}; {name}: {}.",
                describe(ours_fit),
                describe(their_fit)
            );
            ours_b.extend(ours_fit.map(|f| f.1));
            theirs_b.extend(their_fit.map(|f| f.1));
            let exp = |f: Option<(f64, f64, f64)>| f.map_or("-".into(), |f| format!("{:.2}", f.1));
            let _ = writeln!(exponents, "| {} | {} | {} |", o.key, exp(ours_fit), exp(their_fit));
        }
        md.push('\n');
    }
    if spec.fit == Fit::PowerLaw && !exponents.is_empty() {
        let _ = writeln!(
            md,
            "### Power-law exponents against {axis}\n\n| series | ours | {name} |\n|---|---|---|\n{exponents}"
        );
        let _ = writeln!(
            md,
            "Exponents over the rows above: ours {}, {name} {}.\n",
            exponent_range(&ours_b),
            exponent_range(&theirs_b)
        );
    }
}

/// "from MIN to MAX (median MED)" of fitted exponents, or "-" when there are none.
fn exponent_range(exponents: &[f64]) -> String {
    if exponents.is_empty() {
        return "-".into();
    }
    let lo = exponents.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = exponents.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("from {lo:.2} to {hi:.2} (median {:.2})", median(exponents))
}

/// The final-values table; returns the series outside the tolerance.
fn finals(reference: &Reference, ours: &[Ours], tolerance: f64, md: &mut String) -> Vec<Gap> {
    let name = &reference.spec.name;
    let at = reference.spec.at.last().copied();
    let _ = writeln!(
        md,
        "| series | ours (last) | {name} ({}) | difference | within {tolerance} |\n|---|---|---|---|---|",
        at.map_or("last".into(), |a| format!("it. {a}"))
    );
    let mut gaps = Vec::new();
    for o in ours {
        let theirs = reference.series.iter().find(|s| s.key == o.key);
        let t = theirs.and_then(|s| match at {
            Some(a) => s.at(a),
            None => s.y.last().copied(),
        });
        let ours_last = o.last();
        let diff = ours_last.zip(t).map(|(a, b)| a - b);
        let within = diff.map(|d| d.abs() <= tolerance);
        if let (Some(d), Some(false)) = (diff, within) {
            gaps.push(Gap {
                key: o.key.clone(),
                difference: d,
            });
        }
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            o.key,
            fmt(ours_last),
            fmt(t),
            diff.map_or("-".into(), |d| format!("{d:+.3}")),
            within.map_or("-", |w| if w { "yes" } else { "no" })
        );
    }
    md.push('\n');
    gaps
}

/// Our series (solid) and the reference's (dashed, same colour).
pub fn chart(reference: &Reference, ours: &[Ours], title: &str, subtitle: Option<String>) -> Chart {
    let spec = &reference.spec;
    let axis_points = spec.against != Against::Iteration;
    let mut series = Vec::new();
    let color_of = |key: &str, i: usize| {
        spec.chart
            .order
            .iter()
            .position(|o| o == key)
            .unwrap_or(spec.chart.order.len() + i)
    };
    for (i, o) in ours.iter().enumerate() {
        let color = color_of(&o.key, i);
        series.push(Series {
            label: format!("{} (ours)", o.key),
            color,
            x: o.x.clone(),
            y: o.y.clone(),
            band: None,
            dashed: false,
            markers: axis_points,
        });
        if let Some(theirs) = reference.series.iter().find(|s| s.key == o.key) {
            series.push(Series {
                label: format!("{} ({})", o.key, spec.name),
                color,
                x: theirs.x.clone(),
                y: theirs.y.clone(),
                band: None,
                dashed: true,
                markers: spec.chart.markers,
            });
        }
    }
    Chart {
        title: spec.chart.title.clone().unwrap_or_else(|| title.to_owned()),
        subtitle,
        x_label: spec.chart.x_label.clone().unwrap_or_else(|| {
            match spec.against {
                Against::Iteration => "Iteration",
                Against::Width => "Width",
                Against::Samples => "Training samples",
            }
            .into()
        }),
        y_label: spec.chart.y_label.clone().unwrap_or_else(|| axis_label(reference)),
        log_x: spec.chart.log_x,
        log_y: spec.chart.log_y,
        legend: match spec.chart.legend.as_deref() {
            Some("upper_right") => Legend::UpperRight,
            _ => Legend::LowerRight,
        },
        series,
    }
}

/// The file stem of a reference's figure: the chart's `file`, else its metric.
pub fn figure_name(reference: &Reference, index: usize) -> String {
    reference
        .spec
        .chart
        .file
        .clone()
        .unwrap_or_else(|| format!("reference{}-{}", index + 1, reference.spec.metric.replace('_', "-")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponent_range_reports_min_max_and_median() {
        assert_eq!(exponent_range(&[]), "-");
        assert_eq!(exponent_range(&[1.5, 0.5, 1.0]), "from 0.50 to 1.50 (median 1.00)");
    }

    #[test]
    fn key_parts_become_file_name_parts() {
        assert_eq!(kebab("FashionMNIST"), "fashion-mnist");
        assert_eq!(kebab("MNIST"), "mnist");
        assert_eq!(kebab("rho 1e-6"), "rho-1e-6");
    }
}
