//! `runner report NAME`: one self-contained HTML page with the summary table, the resolved
//! configurations and every plot (inline SVG, so the page needs no other file).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::summary::Row;
use harness::results::group_by_config;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn table(rows: &[Row]) -> String {
    // The Markdown table, turned into HTML cell by cell.
    let md = crate::summary::markdown(rows);
    let mut html = String::from("<table>\n");
    for (i, line) in md.lines().enumerate() {
        if i == 1 {
            continue; // the |---| separator
        }
        let tag = if i == 0 { "th" } else { "td" };
        html.push_str("<tr>");
        for cell in line.trim().trim_matches('|').split('|') {
            let _ = write!(html, "<{tag}>{}</{tag}>", escape(cell.trim()));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n");
    html
}

/// Markdown as HTML, without its images (the page inlines every figure itself).
fn markdown_html(md: &str) -> String {
    let text: String = md
        .lines()
        .filter(|l| !l.trim_start().starts_with("!["))
        .map(|l| format!("{l}\n"))
        .collect();
    let parser = pulldown_cmark::Parser::new_ext(&text, pulldown_cmark::Options::ENABLE_TABLES);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    html
}

/// Writes `report.html` into `results/NAME/` and returns its path.
pub fn write(experiment: &str, description: &str, drawn: &crate::Drawn, out_dir: &Path) -> Result<PathBuf> {
    let (results, rows, plots) = (&drawn.results, &drawn.rows, &drawn.plots);
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\n<style>\
body{{font-family:sans-serif;max-width:1250px;margin:2em auto;color:#222}} table{{border-collapse:collapse;font-size:14px}}\
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}} td:first-child,th:first-child{{text-align:left}}\
th{{background:#f3f3f3}} figure{{margin:2em 0}} svg{{max-width:100%;height:auto}} pre{{background:#f7f7f7;padding:8px;overflow-x:auto}}\
</style></head><body>\n<h1>{title}</h1>\n<p>{desc}</p>\n",
        title = escape(&format!("Experiment {experiment}")),
        desc = escape(description)
    );
    html.push_str("<h2>Summary</h2>\n<p>Mean ± 95% confidence interval over seeds; s/iteration is the median update time (evaluation excluded); targets: iterations / seconds to first reach the test accuracy (the validation accuracy when the data has a validation split), and seeds that never did.</p>\n");
    html.push_str(&table(rows));
    if !drawn.references.is_empty() {
        html.push_str("<h2>References</h2>\n");
        html.push_str(&markdown_html(&drawn.references));
    }
    if !drawn.study.is_empty() {
        html.push_str(&markdown_html(&drawn.study));
    }
    html.push_str("<h2>Configurations</h2>\n");
    for (_, group) in group_by_config(results) {
        let c = &group[0].cell;
        let _ = write!(
            html,
            "<h3>{}</h3>\n<pre>optimizer: {}\nhyper-parameters: {}\ndataset: {}\nnetwork: {}\nseeds: {}</pre>\n",
            escape(&c.label),
            escape(&c.optimizer),
            escape(&serde_json::to_string(&c.resolved)?),
            escape(&serde_json::to_string(&c.dataset)?),
            escape(&serde_json::to_string(&c.network)?),
            group.len()
        );
    }
    if let Some(r) = results.first() {
        let config = harness::store::CellDir::new(out_dir.parent().unwrap_or(out_dir), experiment, &r.cell.id).config();
        if let Ok(text) = std::fs::read_to_string(&config)
            && let Ok(json) = serde_json::from_str::<serde_json::Value>(&text)
        {
            let _ = write!(
                html,
                "<h2>Provenance (first cell)</h2>\n<pre>{}</pre>\n",
                escape(&serde_json::to_string_pretty(&json["provenance"])?)
            );
        }
    }
    html.push_str("<h2>Plots</h2>\n");
    for stem in plots {
        let svg_path = stem.with_extension("svg");
        let svg = std::fs::read_to_string(&svg_path).with_context(|| format!("reading {}", svg_path.display()))?;
        let svg = svg.trim_start_matches(|c| c != '<');
        let svg = if svg.starts_with("<?xml") {
            svg.split_once("?>").map(|(_, s)| s).unwrap_or(svg)
        } else {
            svg
        };
        let _ = writeln!(
            html,
            "<figure>{svg}<figcaption>{}</figcaption></figure>",
            escape(&svg_path.file_name().unwrap_or_default().to_string_lossy())
        );
    }
    html.push_str("</body></html>\n");
    let path = out_dir.join("report.html");
    harness::store::write_atomic(&path, |w| Ok(w.write_all(html.as_bytes())?))?;
    Ok(path)
}
