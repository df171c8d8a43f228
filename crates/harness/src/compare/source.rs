//! Where `runner compare` reads stored cells from: a results directory as it is on disk, or
//! the results directory as a git revision committed it.
//!
//! A revision's files are read with `git ls-tree -r -z REV -- RESULTS` (the blobs under the
//! results directory's path) and one `git cat-file --batch` that streams them, then written to
//! a temporary directory that is read like any other. This needs only git itself (no `tar`, no
//! shell), leaves the index and the work tree untouched, and works in bare and shallow clones
//! alike as long as the revision is present. Only the files a comparison reads are copied.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, anyhow, bail, ensure};

use crate::store::{CellDir, Status};

/// The files of a cell a comparison reads.
const CELL_FILES: [&str; 3] = ["metrics.csv", "status.json", "config.json"];

/// Cells nested deeper than this under a store are not looked for (a suite's results are
/// `results/<suite>/<experiment>/<cell>/`: depth 3).
const MAX_DEPTH: usize = 6;

/// One side of a comparison: a directory of stored cells.
#[derive(Debug)]
pub struct Store {
    /// What the user named, as it appears in reports: a path or a revision.
    pub name: String,
    /// The directory the cells are read from.
    pub dir: PathBuf,
    /// The temporary copy of a revision's files, removed when the store is dropped.
    _copy: Option<tempfile::TempDir>,
}

impl Store {
    /// `arg` as a directory if one exists at that path, else as a git revision of the
    /// repository at `root`, whose results are read from `results`'s path in it.
    pub fn open(arg: &str, root: &Path, results: &Path) -> Result<Self> {
        let path = Path::new(arg);
        if path.is_dir() {
            return Ok(Self {
                name: arg.to_owned(),
                dir: path.to_path_buf(),
                _copy: None,
            });
        }
        let commit = match git(
            root,
            &["rev-parse", "--verify", "--quiet", &format!("{arg}^{{commit}}")],
        ) {
            Ok(out) => String::from_utf8_lossy(&out).trim().to_owned(),
            Err(_) => bail!(
                "`{arg}`: no such directory ({}), and not a revision of the git repository at {}",
                path.display(),
                root.display()
            ),
        };
        let within = results_within(root, results)?;
        let copy = tempfile::Builder::new().prefix("runner-compare-").tempdir()?;
        let files = copy_revision(root, &commit, &within, copy.path()).with_context(|| {
            format!(
                "reading {} at revision {arg} ({commit}) in {}",
                within.display(),
                root.display()
            )
        })?;
        ensure!(
            files > 0,
            "revision {arg} ({commit}) holds no stored cell under {} in {}",
            within.display(),
            root.display()
        );
        Ok(Self {
            name: format!("{arg} ({})", &commit[..commit.len().min(12)]),
            dir: copy.path().to_path_buf(),
            _copy: Some(copy),
        })
    }

    /// Every cell stored under the directory, in path order.
    pub fn cells(&self) -> Result<Vec<StoredCell>> {
        ensure!(self.dir.is_dir(), "{}: not a directory", self.dir.display());
        let mut found = Vec::new();
        find_cells(&self.dir, &mut Vec::new(), &mut found)?;
        found.sort();
        found
            .into_iter()
            .map(|(experiment, id)| {
                StoredCell::read(&self.dir, experiment, id).with_context(|| format!("in {}", self.name))
            })
            .collect()
    }
}

/// Collects (experiment path, cell id) of the cell directories (those holding a
/// `metrics.csv`) under `dir`, whose path below the store is `at`.
fn find_cells(dir: &Path, at: &mut Vec<String>, found: &mut Vec<(String, String)>) -> Result<()> {
    if dir.join("metrics.csv").is_file() {
        let Some((id, experiment)) = at.split_last() else {
            bail!(
                "{} is a cell's directory; give the results directory, or the experiment's, that holds it",
                dir.display()
            );
        };
        found.push((experiment.join("/"), id.clone()));
        return Ok(());
    }
    if at.len() >= MAX_DEPTH {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.starts_with("checkpoint-") || !entry.path().is_dir() {
            continue;
        }
        at.push(name);
        find_cells(&entry.path(), at, found)?;
        at.pop();
    }
    Ok(())
}

/// A stored cell as a comparison sees it.
#[derive(Debug, Clone)]
pub struct StoredCell {
    /// Path of its experiment directory under the store (`mnist`, `paper/paper-fig2`), `/`
    /// separated; empty when the store is an experiment's directory itself.
    pub experiment: String,
    /// Its id (the directory name).
    pub id: String,
    /// The experiment it was run for, as its `config.json` says (else the directory name).
    pub experiment_name: String,
    /// Its label, as its `config.json` says (empty if unknown).
    pub label: String,
    /// The CPU it ran on, if recorded.
    pub cpu: Option<String>,
    /// The threads it ran with, if recorded.
    pub threads: Option<u64>,
    /// How it ended, if it did.
    pub status: Option<Status>,
    /// Column names of its `metrics.csv`.
    pub columns: Vec<String>,
    /// Rows of its `metrics.csv`.
    pub rows: Vec<Vec<f64>>,
}

impl StoredCell {
    /// Reads cell `id` of experiment directory `experiment` under `store`.
    pub fn read(store: &Path, experiment: String, id: String) -> Result<Self> {
        let path = store.join(&experiment).join(&id);
        let dir = CellDir { path: path.clone() };
        let (columns, rows) = crate::results::read_metrics(&dir.metrics())?;
        let status = dir.status()?;
        let config_path = dir.config();
        let config: serde_json::Value = if config_path.exists() {
            let text =
                std::fs::read_to_string(&config_path).with_context(|| format!("reading {}", config_path.display()))?;
            serde_json::from_str(&text).with_context(|| format!("parsing {}", config_path.display()))?
        } else {
            serde_json::Value::Null
        };
        let directory_name = experiment.rsplit('/').next().unwrap_or_default().to_owned();
        Ok(Self {
            experiment_name: config["experiment"].as_str().map_or(directory_name, str::to_owned),
            label: config["cell"]["label"].as_str().unwrap_or_default().to_owned(),
            cpu: config["provenance"]["cpu"].as_str().map(str::to_owned),
            threads: config["provenance"]["threads"].as_u64(),
            experiment,
            id,
            status,
            columns,
            rows,
        })
    }

    /// `experiment/id`: what matches a cell of one store with the same cell of the other.
    pub fn key(&self) -> String {
        if self.experiment.is_empty() {
            self.id.clone()
        } else {
            format!("{}/{}", self.experiment, self.id)
        }
    }
}

/// The path of `results` relative to `root`, which a revision's tree is read at.
fn results_within(root: &Path, results: &Path) -> Result<PathBuf> {
    let absolute = |p: &Path| -> Result<PathBuf> {
        Ok(match p.canonicalize() {
            Ok(c) => c,
            Err(_) if p.is_absolute() => p.to_path_buf(),
            Err(_) => std::env::current_dir()?.join(p),
        })
    };
    let (root_abs, results_abs) = (absolute(root)?, absolute(results)?);
    results_abs
        .strip_prefix(&root_abs)
        .map(Path::to_path_buf)
        .map_err(|_| {
            anyhow!(
                "the results directory {} is outside the project root {}: a revision's results are read from the root's git repository",
                results.display(),
                root.display()
            )
        })
}

/// Stdout of `git ARGS` run in `root`; the error holds git's message.
fn git(root: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new("git")
        .args(args)
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running git in {}", root.display()))?;
    ensure!(
        out.status.success(),
        "git {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(out.stdout)
}

/// Writes the cell files under `within` at `commit` to `to` (paths relative to `within`);
/// returns how many.
fn copy_revision(root: &Path, commit: &str, within: &Path, to: &Path) -> Result<usize> {
    let within_text = within.to_str().context("a results path that is not UTF-8")?;
    let listing = git(root, &["ls-tree", "-r", "-z", commit, "--", within_text])?;
    let mut blobs: Vec<(String, PathBuf)> = Vec::new();
    for entry in listing.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else {
            bail!("unexpected git ls-tree line `{entry}`");
        };
        let mut meta = meta.split(' ');
        let (Some(_mode), Some("blob"), Some(object)) = (meta.next(), meta.next(), meta.next()) else {
            continue;
        };
        let path = Path::new(path);
        let Ok(relative) = path.strip_prefix(within) else {
            continue;
        };
        let safe = relative.components().all(|c| matches!(c, Component::Normal(_)));
        if safe && CELL_FILES.iter().any(|f| relative.file_name().is_some_and(|n| n == *f)) {
            blobs.push((object.to_owned(), to.join(relative)));
        }
    }
    if blobs.is_empty() {
        return Ok(0);
    }
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running git cat-file in {}", root.display()))?;
    let mut stdin = child.stdin.take().context("git cat-file without stdin")?;
    let objects: String = blobs.iter().map(|(o, _)| format!("{o}\n")).collect();
    // Written from another thread: git answers while it reads, and a full pipe either way
    // would stop both processes.
    let writer = std::thread::spawn(move || stdin.write_all(objects.as_bytes()));
    let mut out = BufReader::new(child.stdout.take().context("git cat-file without stdout")?);
    for (object, path) in &blobs {
        let mut header = String::new();
        out.read_line(&mut header)?;
        let size: usize = match header.trim_end().split(' ').collect::<Vec<_>>()[..] {
            [o, "blob", size] if o == object => size.parse()?,
            _ => bail!("git cat-file answered `{}` for {object}", header.trim_end()),
        };
        let mut contents = vec![0; size + 1]; // the object and its closing newline
        out.read_exact(&mut contents)?;
        contents.pop();
        let dir = path.parent().context("a file without a directory")?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::write(path, &contents).with_context(|| format!("writing {}", path.display()))?;
    }
    writer
        .join()
        .map_err(|_| anyhow!("writing to git cat-file panicked"))?
        .context("writing to git cat-file")?;
    let status = child.wait()?;
    ensure!(status.success(), "git cat-file --batch failed: {status}");
    Ok(blobs.len())
}
