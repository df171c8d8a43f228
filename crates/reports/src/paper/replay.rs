//! `runner paper ITEM --replay K`: check that stored results still follow from the code.

use std::path::Path;

use anyhow::{Result, anyhow, bail};

use super::report::{cell_provenance, plural};
use super::scale::Scale;
use super::{Item, PaperRun};
use harness::cells;
use harness::experiment::Experiment;
use harness::results::{self, CellResult};

/// `--replay K`: reruns the first `iterations` of every finished cell of `items` stored under
/// `results_root` in a scratch directory and prints how each agrees with its stored run.
pub(super) fn replay(
    ctx: &PaperRun<'_>,
    items: &[Item],
    scale: &Scale,
    results_root: &Path,
    iterations: usize,
) -> Result<()> {
    anyhow::ensure!(iterations > 0, "--replay needs at least one iteration");
    let scratch = tempfile::Builder::new().prefix("runner-replay-").tempdir()?;
    let replay_scale = Scale {
        iterations: Some(iterations),
        ..Scale::default()
    };
    let opts = harness::run_options(ctx.layout, scratch.path(), ctx.args.threads, 1, false);
    let mut data = harness::data::DataCache::new(ctx.args.data_dir.clone());
    let mut agreements = Vec::new();
    for &item in items {
        for name in item.experiments() {
            let exp = scale.apply(Experiment::load(&ctx.layout.root, name)?)?;
            let stored: Vec<CellResult> = results::read_all(results_root, &exp.name, &cells::expand(&exp)?)?
                .into_iter()
                .filter(|r| r.status.is_some())
                .collect();
            if stored.is_empty() {
                eprintln!("{}: no finished cell to replay", exp.name);
                continue;
            }
            let short = replay_scale.apply(exp.clone())?;
            let cells = cells::expand(&short)?;
            for old in &stored {
                let cell = cells
                    .iter()
                    .find(|c| c.id == old.cell.id)
                    .ok_or_else(|| anyhow!("{}: no cell to replay", old.cell.label))?;
                // One cell at a time, each reported as soon as it ends: a long replay shows
                // its findings as it goes and keeps them if it is stopped.
                harness::execute::run_cells(&short, std::slice::from_ref(cell), &mut data, &opts)?;
                let new = results::read_cell(scratch.path(), &short.name, cell)?
                    .ok_or_else(|| anyhow!("{}: the replay wrote no metrics", cell.label))?;
                let agreement = harness::replay::compare(old, &new)?;
                let p = cell_provenance(results_root, &exp.name, &old.cell.id);
                let threads = p["threads"].as_u64().unwrap_or(0);
                println!(
                    "{} {} (stored: revision {}, {threads} thread{}): {agreement}",
                    exp.name,
                    old.cell.label,
                    p["git_revision"].as_str().unwrap_or("unknown"),
                    plural(threads),
                );
                agreements.push(agreement);
            }
        }
    }
    let different = agreements.iter().filter(|a| !a.is_identical()).count();
    println!(
        "replayed {} cell{} for {iterations} iteration{} at revision {}: {different} differ",
        agreements.len(),
        plural(agreements.len() as u64),
        plural(iterations as u64),
        harness::provenance::git_revision(&ctx.layout.root)
    );
    match different {
        0 => Ok(()),
        n => bail!("{n} replayed cell(s) differ from their stored results"),
    }
}
