//! Sensitivity of each searched hyper-parameter: the final validation metric of every trial
//! against the value it drew.

use anyhow::Result;

use super::Figures;
use super::trials::Workload;
use crate::chart::{Chart, Legend, Series};
use crate::stats::mean_ci95;
use harness::search::SearchSpec;

/// The value of a numeric hyper-parameter as a number.
fn number(v: &toml::Value) -> Option<f64> {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}

/// One chart per searched numeric hyper-parameter of each entry: mean over seeds with the 95%
/// interval; a log axis for log-uniform draws.
pub fn section(
    workloads: &[Workload<'_>],
    searches: &[(String, SearchSpec)],
    column: &str,
    figures: &Figures<'_>,
) -> Result<String> {
    let mut md = format!(
        "## Sensitivity to the searched hyper-parameters\n\n\
         Final `{column}` of every trial against each value it drew: the mean over seeds, the band its 95% \
         confidence interval (Student t).\n\n"
    );
    let mut drawn = 0;
    for w in workloads {
        for e in &w.entries {
            let Some((_, search)) = searches.iter().find(|(label, _)| *label == e.label) else {
                continue;
            };
            for (key, dist) in &search.space {
                let mut points: Vec<(f64, f64, f64)> = e
                    .trials
                    .iter()
                    .filter_map(|t| {
                        let x = number(t.params.get(key)?)?;
                        let (m, h) = mean_ci95(&t.finals(column));
                        let h = if h.is_finite() { h } else { 0.0 };
                        m.is_finite().then_some((x, m - h, m + h))
                    })
                    .collect();
                if points.is_empty() {
                    continue;
                }
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                let mean = |p: &(f64, f64, f64)| 0.5 * (p.1 + p.2);
                let chart = Chart {
                    title: format!("{}: final {column} against {key}, {}", e.label, w.name),
                    subtitle: Some(figures.subtitle.clone()),
                    x_label: format!("{key}{}", if dist.is_log() { " (log scale)" } else { "" }),
                    y_label: format!("Final {column}"),
                    log_y: false,
                    log_x: dist.is_log(),
                    legend: Legend::LowerRight,
                    series: vec![Series {
                        label: format!("{} ({} trials)", e.label, points.len()),
                        color: 0,
                        x: points.iter().map(|p| p.0).collect(),
                        y: points.iter().map(mean).collect(),
                        band: Some((
                            points.iter().map(|p| p.1).collect(),
                            points.iter().map(|p| p.2).collect(),
                        )),
                        dashed: false,
                        markers: true,
                    }],
                };
                md.push_str(&figures.save(&chart, &format!("sensitivity-{}-{key}-{}", e.label, w.name))?);
                drawn += 1;
            }
        }
    }
    if drawn == 0 {
        md.push_str("No entry searches a numeric hyper-parameter.\n\n");
    }
    Ok(md)
}
