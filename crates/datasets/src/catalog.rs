//! The known datasets: their files, published SHA-256 checksums and public mirrors.

use crate::error::DatasetError;
use crate::idx::ImageShape;

/// Name of the full MNIST dataset (60,000 training and 10,000 test images).
pub const MNIST: &str = "mnist";
/// Name of MNIST as used in the dlADMM paper: the first 55,000 training images, and the
/// 10,000 test images.
pub const MNIST_55K: &str = "mnist-55k";
/// Name of the Fashion-MNIST dataset (60,000 training and 10,000 test images).
pub const FASHION_MNIST: &str = "fashion-mnist";

/// Training samples of the paper's MNIST variant.
const PAPER_MNIST_TRAIN_SAMPLES: usize = 55_000;

const MNIST_MIRRORS: [&str; 2] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
];
const FASHION_MNIST_MIRRORS: [&str; 1] = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"];

/// SHA-256 of the published MNIST files: train images, train labels, test images, test labels.
const MNIST_SHA256: [&str; 4] = [
    "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
];
/// SHA-256 of the published Fashion-MNIST files, in the same order.
const FASHION_MNIST_SHA256: [&str; 4] = [
    "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
];

/// Names of every dataset in the catalog.
pub fn available() -> Vec<&'static str> {
    vec![MNIST, MNIST_55K, FASHION_MNIST]
}

/// One file of a dataset and its published checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// File name, as found in the dataset directory and on the mirrors.
    pub name: String,
    /// Published SHA-256 of the file, lowercase hex.
    pub sha256: String,
}

impl FileSpec {
    /// A file with its published SHA-256.
    pub fn new(name: impl Into<String>, sha256: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            sha256: sha256.into(),
        }
    }
}

/// Everything needed to find, download, verify and decode one dataset in IDX form.
///
/// The catalog's entries come from [`DatasetSpec::named`]; other values (another mirror, a
/// small test dataset) can be built field by field and loaded with [`crate::load_spec`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetSpec {
    /// The dataset name, as accepted by [`crate::load`].
    pub name: String,
    /// Directory holding the files under a data directory: `<dir>/<directory>/<file>`.
    pub directory: String,
    /// The training images.
    pub train_images: FileSpec,
    /// The training labels.
    pub train_labels: FileSpec,
    /// The test images.
    pub test_images: FileSpec,
    /// The test labels.
    pub test_labels: FileSpec,
    /// Base URLs the files are downloaded from (`<mirror><file name>`), tried in order.
    pub mirrors: Vec<String>,
    /// Dimensions every image must have.
    pub shape: ImageShape,
    /// Number of classes; every label must be below it.
    pub num_classes: usize,
    /// If set, only the first this many training samples are kept.
    pub train_samples: Option<usize>,
}

impl DatasetSpec {
    /// The catalog entry called `name`, or an error listing the valid names.
    pub fn named(name: &str) -> Result<Self, DatasetError> {
        match name {
            MNIST => Ok(Self::mnist()),
            MNIST_55K => Ok(Self {
                name: MNIST_55K.to_owned(),
                train_samples: Some(PAPER_MNIST_TRAIN_SAMPLES),
                ..Self::mnist()
            }),
            FASHION_MNIST => Ok(Self::standard(
                FASHION_MNIST,
                FASHION_MNIST_SHA256,
                &FASHION_MNIST_MIRRORS,
            )),
            _ => Err(DatasetError::UnknownDataset {
                name: name.to_owned(),
                valid: available().into_iter().map(str::to_owned).collect(),
            }),
        }
    }

    /// The four files in the order train images, train labels, test images, test labels.
    pub fn files(&self) -> [&FileSpec; 4] {
        [
            &self.train_images,
            &self.train_labels,
            &self.test_images,
            &self.test_labels,
        ]
    }

    fn mnist() -> Self {
        Self::standard(MNIST, MNIST_SHA256, &MNIST_MIRRORS)
    }

    /// A dataset with the four standard MNIST file names, 28x28 images and 10 classes.
    fn standard(name: &str, sha256: [&str; 4], mirrors: &[&str]) -> Self {
        let [train_images, train_labels, test_images, test_labels] = sha256;
        Self {
            name: name.to_owned(),
            directory: name.to_owned(),
            train_images: FileSpec::new("train-images-idx3-ubyte.gz", train_images),
            train_labels: FileSpec::new("train-labels-idx1-ubyte.gz", train_labels),
            test_images: FileSpec::new("t10k-images-idx3-ubyte.gz", test_images),
            test_labels: FileSpec::new("t10k-labels-idx1-ubyte.gz", test_labels),
            mirrors: mirrors.iter().map(|m| (*m).to_owned()).collect(),
            shape: ImageShape::MNIST,
            num_classes: 10,
            train_samples: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_available_name_resolves_to_its_own_spec() {
        for name in available() {
            let spec = DatasetSpec::named(name).expect("catalog name");
            assert_eq!(spec.name, name);
            assert_eq!(spec.files().len(), 4);
            assert!(spec.files().iter().all(|f| f.sha256.len() == 64));
            assert!(!spec.mirrors.is_empty());
        }
    }

    #[test]
    fn paper_mnist_shares_the_mnist_files_and_keeps_55k_samples() {
        let paper = DatasetSpec::named(MNIST_55K).expect("catalog name");
        let full = DatasetSpec::named(MNIST).expect("catalog name");
        assert_eq!(paper.directory, "mnist");
        assert_eq!(paper.files(), full.files());
        assert_eq!(paper.train_samples, Some(55_000));
        assert_eq!(full.train_samples, None);
    }

    #[test]
    fn unknown_name_lists_the_valid_ones() {
        let err = DatasetSpec::named("cifar10").expect_err("not in the catalog");
        let message = err.to_string();
        assert!(message.contains("cifar10"), "{message}");
        for name in available() {
            assert!(message.contains(name), "{message}");
        }
    }
}
