//! Synthetic IDX files for the tests: small, deterministic, in the published layout.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

pub mod server;

use std::io::Write;

use datasets::idx::ImageShape;
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

/// Pixel `p` of image `i` of the synthetic datasets.
pub fn pixel(i: usize, p: usize) -> u8 {
    ((i * 7 + p * 13) % 256) as u8
}

/// An IDX images file header with the given fields.
pub fn images_header(magic: u32, count: u32, rows: u32, cols: u32) -> Vec<u8> {
    [magic, count, rows, cols]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect()
}

/// A valid raw IDX images file of `count` images of `shape`, pixels from [`pixel`].
pub fn images_idx(count: usize, shape: ImageShape) -> Vec<u8> {
    let mut bytes = images_header(2051, count as u32, shape.rows as u32, shape.cols as u32);
    for i in 0..count {
        bytes.extend((0..shape.pixels()).map(|p| pixel(i, p)));
    }
    bytes
}

/// A raw IDX labels file holding `labels`.
pub fn labels_idx(labels: &[u8]) -> Vec<u8> {
    let mut bytes: Vec<u8> = [2049u32, labels.len() as u32]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect();
    bytes.extend_from_slice(labels);
    bytes
}

/// `count` labels cycling through the ten classes.
pub fn cyclic_labels(count: usize) -> Vec<u8> {
    (0..count).map(|i| (i % 10) as u8).collect()
}

/// `bytes` compressed as a gzip file.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("write to memory");
    encoder.finish().expect("finish in memory")
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
