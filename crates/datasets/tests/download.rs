//! Locating, downloading and verifying dataset files, against a local HTTP server serving a
//! small synthetic dataset. Nothing here touches the network or the user's cache directory.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::server::{Reply, Server, unreachable_url};
use common::{cyclic_labels, gzip, images_idx, labels_idx, sha256_hex};
use datasets::error::{DownloadOutcome, Unavailable};
use datasets::idx::ImageShape;
use datasets::{DataSource, DatasetError, DatasetSpec, FileSpec, load_spec};

const TRAIN: usize = 20;
const TEST: usize = 10;

/// A small dataset in the published layout: its files (name, gzip bytes) and its spec.
struct Tiny {
    files: Vec<(String, Vec<u8>)>,
    spec: DatasetSpec,
}

impl Tiny {
    fn new() -> Self {
        let files = vec![
            ("train-images-idx3-ubyte.gz", images_idx(TRAIN, ImageShape::MNIST)),
            ("train-labels-idx1-ubyte.gz", labels_idx(&cyclic_labels(TRAIN))),
            ("t10k-images-idx3-ubyte.gz", images_idx(TEST, ImageShape::MNIST)),
            ("t10k-labels-idx1-ubyte.gz", labels_idx(&cyclic_labels(TEST))),
        ];
        let files: Vec<(String, Vec<u8>)> = files
            .into_iter()
            .map(|(name, raw)| (name.to_owned(), gzip(&raw)))
            .collect();
        let spec_of = |i: usize| FileSpec::new(&files[i].0, sha256_hex(&files[i].1));
        let spec = DatasetSpec {
            name: "tiny".to_owned(),
            directory: "tiny".to_owned(),
            train_images: spec_of(0),
            train_labels: spec_of(1),
            test_images: spec_of(2),
            test_labels: spec_of(3),
            mirrors: Vec::new(),
            shape: ImageShape::MNIST,
            num_classes: 10,
            train_samples: None,
        };
        Self { files, spec }
    }

    fn with_mirrors(&self, mirrors: Vec<String>) -> DatasetSpec {
        DatasetSpec {
            mirrors,
            ..self.spec.clone()
        }
    }

    /// Routes serving every file under `/<prefix>/`, each built by `reply`.
    fn routes(&self, prefix: &str, reply: impl Fn(&[u8]) -> Reply) -> HashMap<String, Reply> {
        self.files
            .iter()
            .map(|(name, bytes)| (format!("/{prefix}/{name}"), reply(bytes)))
            .collect()
    }

    /// Valid IDX files with other content than the published ones: only the checksum differs.
    fn tampered(&self) -> Vec<(String, Vec<u8>)> {
        let raw = [
            images_idx(TRAIN, ImageShape::MNIST),
            labels_idx(&cyclic_labels(TRAIN)),
            images_idx(TEST, ImageShape::MNIST),
            labels_idx(&cyclic_labels(TEST)),
        ];
        self.files
            .iter()
            .zip(raw)
            .map(|((name, _), mut raw)| {
                let last = raw.len() - 1;
                raw[last] = (raw[last] + 1) % 10;
                (name.clone(), gzip(&raw))
            })
            .collect()
    }

    /// Writes the files into `<dir>/tiny/`.
    fn install(&self, dir: &Path, files: &[(String, Vec<u8>)]) {
        let dataset_dir = dir.join("tiny");
        std::fs::create_dir_all(&dataset_dir).expect("create dataset dir");
        for (name, bytes) in files {
            std::fs::write(dataset_dir.join(name), bytes).expect("write dataset file");
        }
    }
}

fn cache_source(cache: &Path) -> DataSource {
    DataSource {
        data_dir: None,
        env_dir: None,
        cache_dir: Some(cache.to_path_buf()),
        allow_download: true,
        show_progress: false,
    }
}

/// Names of the entries of `dir` (empty if it does not exist).
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn unavailable(error: DatasetError) -> Unavailable {
    match error {
        DatasetError::Unavailable(details) => *details,
        other => panic!("expected an Unavailable error, got {other:?}"),
    }
}

#[test]
fn download_lands_verified_and_loads_then_is_reused() {
    let tiny = Tiny::new();
    let server = Server::start(tiny.routes("good", |b| Reply::Body(b.to_vec())));
    let cache = tempfile::tempdir().expect("temp dir");
    let spec = tiny.with_mirrors(vec![server.url("good")]);

    let loaded = load_spec(&spec, &cache_source(cache.path())).expect("download and load");
    assert_eq!(loaded.name, "tiny");
    assert_eq!(loaded.train.len(), TRAIN);
    assert_eq!(loaded.test.len(), TEST);
    assert_eq!(loaded.train.num_features(), 784);
    assert_eq!(loaded.train.labels[..4], [0, 1, 2, 3]);

    let dataset_dir = cache.path().join("tiny");
    let mut names: Vec<String> = tiny.files.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    assert_eq!(entries(&dataset_dir), names, "exactly the four files, no leftovers");
    for ((name, bytes), record) in tiny.files.iter().zip(&loaded.files) {
        assert_eq!(&record.file, name);
        assert_eq!(record.path, dataset_dir.join(name));
        assert_eq!(record.sha256, sha256_hex(bytes));
        assert_eq!(&std::fs::read(&record.path).expect("downloaded file"), bytes);
    }
    assert_eq!(server.requests().len(), 4);

    // Cached files are found again without any request.
    let again = load_spec(&spec, &cache_source(cache.path())).expect("load from cache");
    assert_eq!(again.train, loaded.train);
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn checksum_mismatch_is_rejected_and_the_next_mirror_is_tried() {
    let tiny = Tiny::new();
    let mut routes: HashMap<String, Reply> = tiny
        .tampered()
        .into_iter()
        .map(|(name, bytes)| (format!("/bad/{name}"), Reply::Body(bytes)))
        .collect();
    routes.extend(tiny.routes("good", |b| Reply::Body(b.to_vec())));
    let server = Server::start(routes);
    let cache = tempfile::tempdir().expect("temp dir");

    // Only the tampered mirror: a clear error, and nothing left in the cache.
    let spec = tiny.with_mirrors(vec![server.url("bad")]);
    let err = load_spec(&spec, &cache_source(cache.path())).expect_err("tampered files");
    let message = err.to_string();
    assert!(message.contains("SHA-256 mismatch"), "{message}");
    assert!(message.contains(&tiny.spec.train_images.sha256), "{message}");
    let details = unavailable(err);
    assert_eq!(details.missing.len(), 4);
    assert!(entries(&cache.path().join("tiny")).is_empty());

    // The tampered mirror first, then the good one: every file comes from the good one.
    let spec = tiny.with_mirrors(vec![server.url("bad"), server.url("good")]);
    let loaded = load_spec(&spec, &cache_source(cache.path())).expect("second mirror");
    assert_eq!(loaded.train.len(), TRAIN);
    let requests = server.requests();
    for (name, _) in &tiny.files {
        let bad = format!("/bad/{name}");
        let good = format!("/good/{name}");
        let bad_at = requests.iter().rposition(|r| *r == bad).expect("bad tried");
        let good_at = requests.iter().position(|r| *r == good).expect("good tried");
        assert!(bad_at < good_at, "{requests:?}");
    }
}

#[test]
fn dropped_connection_leaves_no_partial_file_and_falls_through() {
    let tiny = Tiny::new();
    let mut routes = tiny.routes("drop", |b| Reply::HalfThenDrop(b.to_vec()));
    routes.extend(tiny.routes("good", |b| Reply::Body(b.to_vec())));
    let server = Server::start(routes);
    let cache = tempfile::tempdir().expect("temp dir");

    let spec = tiny.with_mirrors(vec![server.url("drop")]);
    let err = load_spec(&spec, &cache_source(cache.path())).expect_err("half a body");
    let details = unavailable(err);
    let DownloadOutcome::MirrorsFailed { file, failures } = &details.download else {
        panic!("expected mirror failures, got {:?}", details.download);
    };
    assert_eq!(file, "train-images-idx3-ubyte.gz");
    assert_eq!(failures.len(), 1);
    assert!(failures[0].url.ends_with("/drop/train-images-idx3-ubyte.gz"));
    let total = tiny.files[0].1.len();
    let half = total / 2;
    assert!(
        failures[0].reason.contains(&format!("{half} of {total} bytes")),
        "{}",
        failures[0].reason
    );
    assert!(entries(&cache.path().join("tiny")).is_empty());

    let spec = tiny.with_mirrors(vec![server.url("drop"), server.url("good")]);
    let loaded = load_spec(&spec, &cache_source(cache.path())).expect("second mirror");
    assert_eq!(loaded.test.len(), TEST);
    assert_eq!(entries(&cache.path().join("tiny")).len(), 4);
}

#[test]
fn offline_error_lists_where_to_put_each_file_and_every_mirror_failure() {
    let tiny = Tiny::new();
    let cache = tempfile::tempdir().expect("temp dir");
    let mirrors = vec![unreachable_url("first"), unreachable_url("second")];
    let spec = tiny.with_mirrors(mirrors.clone());

    let err = load_spec(&spec, &cache_source(cache.path())).expect_err("offline");
    let message = err.to_string();
    for (name, _) in &tiny.files {
        let path = cache.path().join("tiny").join(name);
        assert!(message.contains(&path.display().to_string()), "{message}");
    }
    assert!(message.contains("DLADMM_DATA"), "{message}");
    assert!(message.contains("--data-dir"), "{message}");
    for mirror in &mirrors {
        let url = format!("{mirror}train-images-idx3-ubyte.gz");
        assert!(message.contains(&url), "{message}");
    }
    let details = unavailable(err);
    assert_eq!(details.searched, vec![cache.path().to_path_buf()]);
    assert!(matches!(
        details.download,
        DownloadOutcome::MirrorsFailed { ref failures, .. } if failures.len() == 2
    ));
    assert!(entries(&cache.path().join("tiny")).is_empty());
}

#[test]
fn without_download_the_error_points_at_the_explicit_directory() {
    let tiny = Tiny::new();
    let data = tempfile::tempdir().expect("temp dir");
    tiny.install(data.path(), &tiny.files[..2]);
    let source = DataSource::offline(data.path());

    let err = load_spec(&tiny.spec, &source).expect_err("test files missing");
    let message = err.to_string();
    assert!(message.contains("downloading is disabled"), "{message}");
    let details = unavailable(err);
    let expected: Vec<PathBuf> = ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
        .iter()
        .map(|name| data.path().join("tiny").join(name))
        .collect();
    assert_eq!(details.missing, expected);
}

#[test]
fn files_are_taken_from_the_first_directory_that_has_them() {
    let tiny = Tiny::new();
    let explicit = tempfile::tempdir().expect("temp dir");
    let env = tempfile::tempdir().expect("temp dir");
    let cache = tempfile::tempdir().expect("temp dir");
    tiny.install(explicit.path(), &tiny.files[..2]);
    tiny.install(env.path(), &tiny.files[1..]);
    tiny.install(cache.path(), &tiny.files);
    let source = DataSource {
        data_dir: Some(explicit.path().to_path_buf()),
        env_dir: Some(env.path().to_path_buf()),
        cache_dir: Some(cache.path().to_path_buf()),
        allow_download: false,
        show_progress: false,
    };

    let loaded = load_spec(&tiny.spec, &source).expect("all files present");
    let dirs: Vec<&Path> = loaded
        .files
        .iter()
        .map(|f| f.path.parent().and_then(Path::parent).expect("<dir>/tiny/<file>"))
        .collect();
    assert_eq!(dirs, [explicit.path(), explicit.path(), env.path(), env.path()]);
}

#[test]
fn local_file_with_wrong_checksum_is_an_error_naming_it() {
    let tiny = Tiny::new();
    let data = tempfile::tempdir().expect("temp dir");
    let mut files = tiny.files.clone();
    files[1] = tiny.tampered().swap_remove(1);
    tiny.install(data.path(), &files);

    let err = load_spec(&tiny.spec, &DataSource::offline(data.path())).expect_err("tampered");
    let path = data.path().join("tiny").join("train-labels-idx1-ubyte.gz");
    let actual = sha256_hex(&files[1].1);
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains(&tiny.spec.train_labels.sha256), "{message}");
    assert!(message.contains(&actual), "{message}");
    assert!(matches!(err, DatasetError::ChecksumMismatch { .. }));
}

#[test]
fn train_samples_keeps_the_first_samples() {
    let tiny = Tiny::new();
    let data = tempfile::tempdir().expect("temp dir");
    tiny.install(data.path(), &tiny.files);
    let source = DataSource::offline(data.path());
    let full = load_spec(&tiny.spec, &source).expect("full");

    let spec = DatasetSpec {
        train_samples: Some(15),
        ..tiny.spec.clone()
    };
    let first = load_spec(&spec, &source).expect("first 15");
    assert_eq!(first.train, full.train.first(15).expect("15 of 20"));
    assert_eq!(first.test, full.test);

    let spec = DatasetSpec {
        train_samples: Some(TRAIN + 1),
        ..tiny.spec.clone()
    };
    let err = load_spec(&spec, &source).expect_err("more than there are");
    assert!(matches!(
        err,
        DatasetError::TooFewSamples {
            requested: 21,
            available: 20,
            ..
        }
    ));
}

#[test]
fn unknown_dataset_name_lists_the_valid_names() {
    let data = tempfile::tempdir().expect("temp dir");
    let err = datasets::load("mnits", &DataSource::offline(data.path())).expect_err("typo");
    let message = err.to_string();
    for name in datasets::available() {
        assert!(message.contains(name), "{message}");
    }
}
