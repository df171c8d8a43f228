//! `results/paper/REPORT.md`: the index of every item's report.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

use super::Item;
use harness::store::write_atomic;

/// `results/paper/REPORT.md`: the index of every item's report.
pub(super) fn write_index(results_root: &Path) -> Result<()> {
    let mut s = String::from(
        "# Reproduction of the paper's figures and tables\n\nEach item is produced by one command, `cargo run --release -p runner -- paper ITEM`; the paper's own values are overlaid (dashed) and tabulated beside ours. Reduced runs (`--samples`, `--iterations`, `--widths`) have their own reports, named after their reduction.\n\n| item | full setting | reduced runs |\n|---|---|---|\n",
    );
    let mut names: Vec<String> = std::fs::read_dir(results_root)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".md") && n != "REPORT.md")
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut found = false;
    for item in Item::EACH {
        let full = format!("{}.md", item.name());
        let reduced: Vec<String> = names
            .iter()
            .filter(|n| n.starts_with(&format!("{}-reduced", item.name())))
            .map(|n| format!("[{n}]({n})"))
            .collect();
        let has_full = names.contains(&full);
        found |= has_full || !reduced.is_empty();
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            item.name(),
            if has_full {
                format!("[{full}]({full})")
            } else {
                "not run yet".to_owned()
            },
            if reduced.is_empty() {
                "-".to_owned()
            } else {
                reduced.join(", ")
            }
        );
    }
    if found {
        write_atomic(&results_root.join("REPORT.md"), |w| Ok(w.write_all(s.as_bytes())?))?;
    }
    Ok(())
}
