//! The IDX reader on valid and corrupted files.

mod common;

use std::path::{Path, PathBuf};

use common::{cyclic_labels, gzip, images_header, images_idx, labels_idx, pixel};
use datasets::DatasetError;
use datasets::error::IdxProblem;
use datasets::idx::{ImageShape, read_images, read_labels, read_split};

const SHAPE: ImageShape = ImageShape::MNIST;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}

/// The IDX problem of an error, after checking the error names `path`.
fn problem(error: DatasetError, path: &Path) -> IdxProblem {
    let message = error.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "error does not name the file: {message}"
    );
    match error {
        DatasetError::Idx { path: p, problem } => {
            assert_eq!(p, path);
            problem
        }
        other => panic!("expected an IDX error, got {other:?}"),
    }
}

#[test]
fn gzip_and_raw_files_decode_to_the_same_column_major_scaled_matrix() {
    let dir = tempfile::tempdir().expect("temp dir");
    let raw = images_idx(5, SHAPE);
    let raw_path = write(dir.path(), "images-idx3-ubyte", &raw);
    let gz_path = write(dir.path(), "images-idx3-ubyte.gz", &gzip(&raw));

    let from_raw = read_images(&raw_path, SHAPE).expect("raw file");
    let from_gz = read_images(&gz_path, SHAPE).expect("gzip file");
    assert_eq!(from_raw, from_gz);
    assert_eq!(from_gz.dim(), (784, 5));
    assert!(from_gz.t().is_standard_layout(), "not column-major");
    for i in 0..5 {
        for p in [0, 1, 27, 28, 783] {
            assert_eq!(from_gz[[p, i]], f32::from(pixel(i, p)) / 255.0);
        }
    }
    assert!(from_gz.iter().all(|&x| (0.0..=1.0).contains(&x)));
}

#[test]
fn labels_and_images_pair_into_a_dataset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let images = write(dir.path(), "i.gz", &gzip(&images_idx(12, SHAPE)));
    let labels = write(dir.path(), "l.gz", &gzip(&labels_idx(&cyclic_labels(12))));
    let dataset = read_split(&images, &labels, SHAPE, 10).expect("valid pair");
    assert_eq!(dataset.len(), 12);
    assert_eq!(dataset.num_features(), 784);
    assert_eq!(dataset.num_classes, 10);
    assert_eq!(dataset.labels[..3], [0, 1, 2]);
    assert_eq!(dataset.labels[11], 1);
}

#[test]
fn bad_magic_is_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A labels file where an images file is expected, and the other way round.
    let labels = write(dir.path(), "l.gz", &gzip(&labels_idx(&[1, 2, 3])));
    let err = read_images(&labels, SHAPE).expect_err("labels are not images");
    assert!(matches!(
        problem(err, &labels),
        IdxProblem::BadMagic {
            expected: 2051,
            found: 2049,
            ..
        }
    ));
    let images = write(dir.path(), "i", &images_idx(2, SHAPE));
    let err = read_labels(&images, 10).expect_err("images are not labels");
    assert!(matches!(
        problem(err, &images),
        IdxProblem::BadMagic {
            expected: 2049,
            found: 2051,
            ..
        }
    ));
}

#[test]
fn truncated_payload_reports_expected_and_found_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut raw = images_idx(4, SHAPE);
    raw.truncate(16 + 3000);
    let path = write(dir.path(), "train-images-idx3-ubyte.gz", &gzip(&raw));
    let err = read_images(&path, SHAPE).expect_err("truncated");
    let message = err.to_string();
    assert!(
        message.contains("expected 3136 pixel bytes after the header, found 3000"),
        "{message}"
    );
    assert!(matches!(
        problem(err, &path),
        IdxProblem::TruncatedPayload {
            expected: 3136,
            found: 3000,
            ..
        }
    ));

    let mut labels = labels_idx(&cyclic_labels(10));
    labels.pop();
    let path = write(dir.path(), "labels", &labels);
    let err = read_labels(&path, 10).expect_err("truncated");
    assert!(matches!(
        problem(err, &path),
        IdxProblem::TruncatedPayload {
            expected: 10,
            found: 9,
            ..
        }
    ));
}

#[test]
fn truncated_header_is_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "i.gz", &gzip(&images_header(2051, 1, 28, 28)[..10]));
    let err = read_images(&path, SHAPE).expect_err("short header");
    assert!(matches!(
        problem(err, &path),
        IdxProblem::TruncatedHeader {
            expected: 16,
            found: 10,
            ..
        }
    ));
}

#[test]
fn trailing_bytes_are_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut raw = images_idx(2, SHAPE);
    raw.extend_from_slice(&[0; 5]);
    let path = write(dir.path(), "i.gz", &gzip(&raw));
    let err = read_images(&path, SHAPE).expect_err("trailing bytes");
    assert!(matches!(
        problem(err, &path),
        IdxProblem::TrailingBytes {
            expected: 1568,
            found: 1573,
            ..
        }
    ));

    let mut labels = labels_idx(&[1, 2]);
    labels.push(3);
    let path = write(dir.path(), "l", &labels);
    let err = read_labels(&path, 10).expect_err("trailing bytes");
    assert!(matches!(
        problem(err, &path),
        IdxProblem::TrailingBytes {
            expected: 2,
            found: 3,
            ..
        }
    ));
}

#[test]
fn wrong_dimensions_are_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    // 3 images of 32x32 have as many bytes as 4 of 28x24 would: only the header can tell.
    let raw = images_idx(3, ImageShape { rows: 32, cols: 32 });
    let path = write(dir.path(), "i.gz", &gzip(&raw));
    let err = read_images(&path, SHAPE).expect_err("wrong dims");
    assert!(matches!(
        problem(err, &path),
        IdxProblem::WrongDimensions {
            expected_rows: 28,
            expected_cols: 28,
            found_rows: 32,
            found_cols: 32
        }
    ));
}

#[test]
fn empty_files_are_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "i", &images_header(2051, 0, 28, 28));
    let err = read_images(&path, SHAPE).expect_err("no images");
    assert!(matches!(problem(err, &path), IdxProblem::Empty { .. }));
}

#[test]
fn label_out_of_range_names_the_sample() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "l.gz", &gzip(&labels_idx(&[0, 9, 3, 10, 2])));
    let err = read_labels(&path, 10).expect_err("label 10 of 10 classes");
    assert!(matches!(
        problem(err, &path),
        IdxProblem::LabelOutOfRange {
            index: 3,
            label: 10,
            num_classes: 10
        }
    ));
    // The class count is a parameter: with 11 classes the same file is valid.
    assert_eq!(read_labels(&path, 11).expect("11 classes").len(), 5);
}

#[test]
fn image_and_label_counts_must_agree() {
    let dir = tempfile::tempdir().expect("temp dir");
    let images = write(dir.path(), "i.gz", &gzip(&images_idx(6, SHAPE)));
    let labels = write(dir.path(), "l.gz", &gzip(&labels_idx(&cyclic_labels(5))));
    let err = read_split(&images, &labels, SHAPE, 10).expect_err("6 images, 5 labels");
    let message = err.to_string();
    assert!(
        message.contains("6 images") && message.contains("5 labels"),
        "{message}"
    );
    assert!(matches!(
        err,
        DatasetError::CountMismatch {
            images: 6,
            labels: 5,
            ..
        }
    ));
}

#[test]
fn corrupted_gzip_stream_is_an_error_not_a_short_dataset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let gz = gzip(&images_idx(20, SHAPE));

    let mut flipped = gz.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xff;
    flipped[middle + 1] ^= 0x5a;
    let path = write(dir.path(), "flipped.gz", &flipped);
    let err = read_images(&path, SHAPE).expect_err("corrupted deflate data");
    assert!(matches!(problem(err, &path), IdxProblem::Gzip(_)));

    let path = write(dir.path(), "cut.gz", &gz[..gz.len() / 2]);
    let err = read_images(&path, SHAPE).expect_err("gzip stream cut in half");
    assert!(matches!(problem(err, &path), IdxProblem::Gzip(_)));

    let mut bad_crc = gz.clone();
    let crc_start = bad_crc.len() - 8;
    bad_crc[crc_start] ^= 1;
    let path = write(dir.path(), "crc.gz", &bad_crc);
    let err = read_images(&path, SHAPE).expect_err("CRC mismatch");
    assert!(matches!(problem(err, &path), IdxProblem::Gzip(_)));
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("absent.gz");
    let err = read_images(&path, SHAPE).expect_err("no such file");
    assert!(err.to_string().contains("absent.gz"), "{err}");
    assert!(matches!(err, DatasetError::Io { .. }));
}
