//! Tables 2 and 3: seconds per dlADMM iteration against width and training-set size, beside the
//! paper's GPU timings, with power-law fits.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;

use super::reference::{PaperCsv, paper_dataset};
use super::report::{fmt, header, save_and_link};
use super::{Item, ItemReport};
use crate::chart::{Chart, Legend, Series};
use crate::stats::{fit_power_law, median};

/// "from MIN to MAX (median MED)" of fitted exponents, or "-" when there are none.
fn exponent_range(exponents: &[f64]) -> String {
    if exponents.is_empty() {
        return "-".into();
    }
    let lo = exponents.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = exponents.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("from {lo:.2} to {hi:.2} (median {:.2})", median(exponents))
}

/// Tables 2 and 3: seconds per iteration against width or training-set size, per rho.
pub(super) fn timing_table(draft: &ItemReport<'_>) -> Result<String> {
    let table2 = draft.item == Item::Table2;
    let paper_file = if table2 {
        "table2-seconds-per-iteration-vs-neurons.csv"
    } else {
        "table3-seconds-per-iteration-vs-samples.csv"
    };
    let paper = PaperCsv::read(&draft.ctx.layout.root, paper_file)?;
    let mut report = header(draft)?;
    let axis = if table2 {
        "neurons per hidden layer"
    } else {
        "training samples"
    };
    let _ = writeln!(
        report,
        "Seconds per iteration (median over the iterations of each cell) against {axis}; the paper's figures are GPU seconds (GTX 1080 Ti, 2019), ours CPU seconds. Ratio = ours / paper.\n"
    );
    // (dataset, rho) -> x -> seconds
    // Ordered by dataset, then rho (keyed by its decimal exponent).
    let mut ours: BTreeMap<(String, i64), BTreeMap<u64, f64>> = BTreeMap::new();
    for (_, _, results) in draft.loaded {
        for r in results {
            let rho = r.cell.resolved.get("rho").and_then(|v| v.as_f64()).unwrap_or(f64::NAN);
            let x = if table2 {
                r.cell.network.hidden.first().copied().unwrap_or(0) as u64
            } else {
                r.cell.dataset.train_samples.unwrap_or(0) as u64
            };
            let secs = median(&r.column("update_seconds").unwrap_or_default());
            let key = (
                paper_dataset(&r.cell.dataset.name).to_owned(),
                (rho.log10() * 1000.0).round() as i64,
            );
            ours.entry(key).or_default().insert(x, secs);
        }
    }
    let mut charts: BTreeMap<String, Vec<Series>> = BTreeMap::new();
    let mut exponents = String::new();
    let (mut ours_b, mut paper_b) = (Vec::new(), Vec::new());
    for ((dataset, rho_key), points) in &ours {
        let rho = format!("{:e}", 10f64.powf(*rho_key as f64 / 1000.0));
        let paper_name = if dataset == "MNIST" { "MNIST" } else { "Fashion-MNIST" };
        let row = paper
            .rows
            .iter()
            .find(|r| r[0] == *dataset && r[1].parse::<f64>().ok() == rho.parse::<f64>().ok());
        let paper_points: Vec<(f64, f64)> = match row {
            Some(r) if table2 => [200.0, 400.0, 600.0, 800.0, 1000.0]
                .iter()
                .zip(&r[2..7])
                .filter_map(|(x, v)| Some((*x, v.parse().ok()?)))
                .collect(),
            Some(r) => r[2..7]
                .iter()
                .zip(&r[7..12])
                .filter_map(|(v, x)| Some((x.parse().ok()?, v.parse().ok()?)))
                .collect(),
            None => Vec::new(),
        };
        let _ = writeln!(
            report,
            "### {paper_name}, rho = {rho}\n\n| {axis} | ours (s) | paper (s) | ratio |\n|---|---|---|---|"
        );
        for (&x, &s) in points {
            let p = paper_points.iter().find(|(px, _)| *px as u64 == x).map(|p| p.1);
            let _ = writeln!(
                report,
                "| {x} | {s:.3} | {} | {} |",
                fmt(p),
                p.map(|p| format!("{:.2}", s / p)).unwrap_or("-".into())
            );
        }
        let xs: Vec<f64> = points.keys().map(|&x| x as f64).collect();
        let ys: Vec<f64> = points.values().copied().collect();
        let fit = fit_power_law(&xs, &ys);
        let paper_fit = fit_power_law(
            &paper_points.iter().map(|p| p.0).collect::<Vec<_>>(),
            &paper_points.iter().map(|p| p.1).collect::<Vec<_>>(),
        );
        let describe = |f: Option<(f64, f64, f64)>| {
            f.map(|(a, b, r2)| format!("time = {a:.3e} · x^{b:.2} (R² {r2:.3})"))
                .unwrap_or("-".into())
        };
        let _ = writeln!(
            report,
            "\nFit ours: {}; paper: {}.\n",
            describe(fit),
            describe(paper_fit)
        );
        ours_b.extend(fit.map(|f| f.1));
        paper_b.extend(paper_fit.map(|f| f.1));
        let _ = writeln!(
            exponents,
            "| {paper_name} | {rho} | {} | {} |",
            fit.map(|f| format!("{:.2}", f.1)).unwrap_or("-".into()),
            paper_fit.map(|f| format!("{:.2}", f.1)).unwrap_or("-".into())
        );
        let entry = charts.entry(paper_name.to_owned()).or_default();
        let color = entry.len() / 2;
        entry.push(Series {
            label: format!("rho {rho} (ours)"),
            color,
            x: xs,
            y: ys,
            band: None,
            dashed: false,
            markers: true,
        });
        if !paper_points.is_empty() {
            entry.push(Series {
                label: format!("rho {rho} (paper, GPU)"),
                color,
                x: paper_points.iter().map(|p| p.0).collect(),
                y: paper_points.iter().map(|p| p.1).collect(),
                band: None,
                dashed: true,
                markers: true,
            });
        }
    }
    let _ = writeln!(
        report,
        "## Power-law exponents of time against {axis}\n\n| dataset | rho | ours | paper |\n|---|---|---|---|\n{exponents}"
    );
    let _ = writeln!(
        report,
        "Exponents over the rows above: ours {}, the paper's own timings {}.\n",
        exponent_range(&ours_b),
        exponent_range(&paper_b)
    );
    if table2 {
        report.push_str("The paper claims the time grows quadratically with the width; an iteration's products cost width² · samples for the hidden-to-hidden layer but width · 784 · samples for the input layer, so below 1000 neurons the exponent lies between 1 and 2.\n\n");
    } else {
        report.push_str("Every product of an iteration is linear in the number of samples, so the exponent should be close to 1.\n\n");
    }
    for (dataset, series) in charts {
        let chart = Chart {
            title: format!(
                "{}: seconds per dlADMM iteration, {dataset}",
                if table2 { "Table 2" } else { "Table 3" }
            ),
            subtitle: Some(
                draft
                    .scale
                    .note()
                    .unwrap_or_else(|| "ours: CPU; dashed: the paper's GPU timings".into()),
            ),
            x_label: format!("{axis} (log scale)"),
            y_label: "Seconds per iteration (log scale)".into(),
            log_y: true,
            log_x: true,
            legend: Legend::LowerRight,
            series,
        };
        let stem = draft.figure_stem(&format!("-{}", dataset.to_lowercase()));
        save_and_link(&chart, &stem, &mut report)?;
    }
    report.push_str("## Where we differ and why\n\nThe paper timed a GPU; we time two CPU cores, so only the growth with width, samples and rho is comparable, not the absolute seconds. The paper does not say whether rho was fixed during its timing runs; ours hold it fixed. Time grows with rho in the paper through the backtracking and FISTA iteration counts; ours computes each backtracking trial as a scalar, so rho changes only the FISTA count.\n");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponent_range_reports_min_max_and_median() {
        assert_eq!(exponent_range(&[]), "-");
        assert_eq!(exponent_range(&[1.5, 0.5, 1.0]), "from 0.50 to 1.50 (median 1.00)");
    }
}
