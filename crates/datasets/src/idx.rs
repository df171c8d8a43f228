//! Reader of the IDX format of MNIST-like datasets, gzip-compressed or raw.
//!
//! An IDX images file is a big-endian header `magic = 2051, count, rows, cols` followed by
//! `count * rows * cols` unsigned bytes, one image after the other, each row-major. An IDX labels
//! file is `magic = 2049, count` followed by `count` bytes. Every length is checked exactly:
//! a truncated payload, trailing bytes, a wrong magic number, unexpected image dimensions or a
//! label outside the class range is an error that names the file, never a shorter dataset.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;
use ndarray::{Array2, ShapeBuilder};
use optim_core::Dataset;

use crate::error::{DatasetError, IdxProblem};

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

const IMAGES_HEADER_LEN: usize = 16;
const LABELS_HEADER_LEN: usize = 8;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Upper bound of the capacity reserved up front from the gzip size trailer, which a corrupted
/// file could set to anything.
const MAX_RESERVED_BYTES: usize = 256 << 20;

/// Height and width every image of a dataset must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageShape {
    /// Pixel rows per image.
    pub rows: usize,
    /// Pixel columns per image.
    pub cols: usize,
}

impl ImageShape {
    /// The 28x28 images of MNIST and Fashion-MNIST.
    pub const MNIST: Self = Self { rows: 28, cols: 28 };

    /// Number of pixels per image, the number of features of a sample.
    pub fn pixels(&self) -> usize {
        self.rows * self.cols
    }
}

/// Reads an IDX images file (gzip or raw) into a `(rows*cols, count)` column-major matrix of
/// pixels scaled to `[0, 1]`, one column per image.
pub fn read_images(path: &Path, shape: ImageShape) -> Result<Array2<f32>, DatasetError> {
    let bytes = read_file(path)?;
    decode_images(path, &bytes, shape)
}

/// Reads an IDX labels file (gzip or raw), checking every label is `< num_classes`.
pub fn read_labels(path: &Path, num_classes: usize) -> Result<Vec<u32>, DatasetError> {
    let bytes = read_file(path)?;
    decode_labels(path, &bytes, num_classes)
}

/// Reads an images file and its labels file into a [`Dataset`], checking that they hold the
/// same number of samples.
pub fn read_split(
    images_path: &Path,
    labels_path: &Path,
    shape: ImageShape,
    num_classes: usize,
) -> Result<Dataset, DatasetError> {
    let features = read_images(images_path, shape)?;
    let labels = read_labels(labels_path, num_classes)?;
    pair(images_path, features, labels_path, labels, num_classes)
}

/// Decodes the content of an IDX images file (gzip or raw); `path` only names the file in
/// errors.
pub fn decode_images(path: &Path, file_bytes: &[u8], shape: ImageShape) -> Result<Array2<f32>, DatasetError> {
    let data = decompress(path, file_bytes)?;
    let header = header(path, &data, "images", IMAGES_MAGIC, IMAGES_HEADER_LEN)?;
    let count = header[1] as usize;
    let rows = header[2] as usize;
    let cols = header[3] as usize;
    if rows != shape.rows || cols != shape.cols {
        return Err(DatasetError::idx(
            path,
            IdxProblem::WrongDimensions {
                expected_rows: shape.rows,
                expected_cols: shape.cols,
                found_rows: rows,
                found_cols: cols,
            },
        ));
    }
    if count == 0 {
        return Err(DatasetError::idx(path, IdxProblem::Empty { kind: "images" }));
    }
    let payload = payload(path, &data[IMAGES_HEADER_LEN..], count, shape.pixels(), "pixel")?;
    // The IDX payload is row-major (count, rows*cols): the same bytes are the column-major
    // (rows*cols, count) matrix, so no transposition is needed.
    let pixels: Vec<f32> = payload.iter().map(|&b| f32::from(b) / 255.0).collect();
    Array2::from_shape_vec((shape.pixels(), count).f(), pixels).map_err(|e| DatasetError::Dataset {
        context: path.display().to_string(),
        source: optim_core::error::OptimError::Shape(e.to_string()),
    })
}

/// Decodes the content of an IDX labels file (gzip or raw), checking every label is
/// `< num_classes`; `path` only names the file in errors.
pub fn decode_labels(path: &Path, file_bytes: &[u8], num_classes: usize) -> Result<Vec<u32>, DatasetError> {
    let data = decompress(path, file_bytes)?;
    let header = header(path, &data, "labels", LABELS_MAGIC, LABELS_HEADER_LEN)?;
    let count = header[1] as usize;
    if count == 0 {
        return Err(DatasetError::idx(path, IdxProblem::Empty { kind: "labels" }));
    }
    let payload = payload(path, &data[LABELS_HEADER_LEN..], count, 1, "label")?;
    if let Some((index, &label)) = payload
        .iter()
        .enumerate()
        .find(|&(_, &label)| usize::from(label) >= num_classes)
    {
        return Err(DatasetError::idx(
            path,
            IdxProblem::LabelOutOfRange {
                index,
                label,
                num_classes,
            },
        ));
    }
    Ok(payload.iter().map(|&label| u32::from(label)).collect())
}

/// Joins decoded images and labels into a [`Dataset`], checking their counts agree.
pub fn pair(
    images_path: &Path,
    features: Array2<f32>,
    labels_path: &Path,
    labels: Vec<u32>,
    num_classes: usize,
) -> Result<Dataset, DatasetError> {
    if features.ncols() != labels.len() {
        return Err(DatasetError::CountMismatch {
            images_path: images_path.to_path_buf(),
            images: features.ncols(),
            labels_path: labels_path.to_path_buf(),
            labels: labels.len(),
        });
    }
    Dataset::new(features, labels, num_classes).map_err(|source| DatasetError::Dataset {
        context: images_path.display().to_string(),
        source,
    })
}

/// Reads a whole file into memory.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, DatasetError> {
    std::fs::read(path).map_err(|e| DatasetError::io(path, e))
}

/// The decompressed content if `file_bytes` starts with the gzip magic, else the bytes as they
/// are.
fn decompress<'a>(path: &Path, file_bytes: &'a [u8]) -> Result<Cow<'a, [u8]>, DatasetError> {
    if !file_bytes.starts_with(&GZIP_MAGIC) {
        return Ok(Cow::Borrowed(file_bytes));
    }
    // The gzip trailer ends with the decompressed size modulo 2^32: a good capacity hint.
    let size_hint = file_bytes
        .len()
        .checked_sub(4)
        .and_then(|start| file_bytes.get(start..))
        .and_then(|tail| <[u8; 4]>::try_from(tail).ok())
        .map_or(0, |tail| u32::from_le_bytes(tail) as usize);
    let mut data = Vec::with_capacity(size_hint.min(MAX_RESERVED_BYTES));
    MultiGzDecoder::new(file_bytes)
        .read_to_end(&mut data)
        .map_err(|e| DatasetError::idx(path, IdxProblem::Gzip(e)))?;
    Ok(Cow::Owned(data))
}

/// The header's big-endian words, after checking the length and the magic number.
fn header(
    path: &Path,
    data: &[u8],
    kind: &'static str,
    magic: u32,
    header_len: usize,
) -> Result<Vec<u32>, DatasetError> {
    // The magic comes first, so that a file of the wrong kind is named as such even when it is
    // shorter than the header expected.
    if let Some(found) = be_u32(data, 0).filter(|&found| found != magic) {
        return Err(DatasetError::idx(
            path,
            IdxProblem::BadMagic {
                kind,
                expected: magic,
                found,
            },
        ));
    }
    let words: Option<Vec<u32>> = (0..header_len / 4).map(|i| be_u32(data, 4 * i)).collect();
    words.ok_or_else(|| {
        DatasetError::idx(
            path,
            IdxProblem::TruncatedHeader {
                kind,
                expected: header_len,
                found: data.len(),
            },
        )
    })
}

/// The big-endian word at `offset`, if the data is long enough.
fn be_u32(data: &[u8], offset: usize) -> Option<u32> {
    let word = data.get(offset..offset.checked_add(4)?)?;
    <[u8; 4]>::try_from(word).ok().map(u32::from_be_bytes)
}

/// The payload, after checking it holds exactly `count * item_len` bytes.
fn payload<'a>(
    path: &Path,
    payload: &'a [u8],
    count: usize,
    item_len: usize,
    unit: &'static str,
) -> Result<&'a [u8], DatasetError> {
    // A header claiming more bytes than addressable cannot match any real payload.
    let expected = count.saturating_mul(item_len);
    let found = payload.len();
    match found.cmp(&expected) {
        std::cmp::Ordering::Equal => Ok(payload),
        std::cmp::Ordering::Less => Err(DatasetError::idx(
            path,
            IdxProblem::TruncatedPayload { unit, expected, found },
        )),
        std::cmp::Ordering::Greater => Err(DatasetError::idx(
            path,
            IdxProblem::TrailingBytes { unit, expected, found },
        )),
    }
}
