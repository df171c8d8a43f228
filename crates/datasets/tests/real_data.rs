//! The real MNIST and Fashion-MNIST, from the directory named by `DLADMM_DATA`. Never
//! downloads: the files must be in that directory. Ignored by default, so that the test summary
//! shows it skipped; `cargo test -- --include-ignored` runs it (as CI does).

use std::path::PathBuf;

use datasets::source::DATA_DIR_ENV;
use datasets::{DataSource, LoadedDataset, load};
use optim_core::Dataset;

/// The data directory named by `DLADMM_DATA`. A relative path is taken relative to the
/// workspace root, as CI sets it, since tests run in the crate directory.
fn data_dir() -> PathBuf {
    let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) else {
        panic!("this test needs {DATA_DIR_ENV}: the directory holding mnist/ and fashion-mnist/");
    };
    let dir = PathBuf::from(dir);
    if dir.is_absolute() {
        return dir;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(dir)
}

fn load_offline(name: &str, dir: &PathBuf) -> LoadedDataset {
    match load(name, &DataSource::offline(dir)) {
        Ok(loaded) => loaded,
        Err(e) => panic!("{DATA_DIR_ENV} is set but {name} does not load: {e}"),
    }
}

fn check_split(dataset: &Dataset, samples: usize) {
    assert_eq!(dataset.len(), samples);
    assert_eq!(dataset.features.dim(), (784, samples));
    assert!(dataset.features.t().is_standard_layout(), "not column-major");
    assert_eq!(dataset.num_classes, 10);
    let (min, max) = dataset
        .features
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    assert_eq!((min, max), (0.0, 1.0), "pixels span exactly [0, 1]");
    let mut seen = [false; 10];
    for &label in &dataset.labels {
        seen[label as usize] = true;
    }
    assert!(seen.iter().all(|&s| s), "every class present");
}

fn check_published(loaded: &LoadedDataset, published: &[(&str, &str)]) {
    assert_eq!(loaded.files.len(), 4);
    for (record, (file, sha256)) in loaded.files.iter().zip(published) {
        assert_eq!(record.file, *file);
        assert_eq!(record.sha256, *sha256);
    }
}

#[test]
#[ignore = "needs DLADMM_DATA"]
fn real_mnist_and_fashion_mnist_load_from_the_data_directory() {
    let dir = data_dir();

    let mnist = load_offline("mnist", &dir);
    check_split(&mnist.train, 60_000);
    check_split(&mnist.test, 10_000);
    check_published(
        &mnist,
        &[
            (
                "train-images-idx3-ubyte.gz",
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            ),
            (
                "train-labels-idx1-ubyte.gz",
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            ),
            (
                "t10k-images-idx3-ubyte.gz",
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            ),
            (
                "t10k-labels-idx1-ubyte.gz",
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            ),
        ],
    );
    // The first training labels of MNIST are well known: 5 0 4 1 9 2 1 3 1 4.
    assert_eq!(mnist.train.labels[..10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert_eq!(mnist.test.labels[..5], [7, 2, 1, 0, 4]);

    let paper = load_offline("mnist-55k", &dir);
    check_split(&paper.train, 55_000);
    check_split(&paper.test, 10_000);
    assert_eq!(paper.train, mnist.train.first(55_000).expect("55k of 60k"));
    assert_eq!(paper.test, mnist.test);
    assert_eq!(paper.files, mnist.files);
    drop((mnist, paper));

    let fashion = load_offline("fashion-mnist", &dir);
    check_split(&fashion.train, 60_000);
    check_split(&fashion.test, 10_000);
    check_published(
        &fashion,
        &[
            (
                "train-images-idx3-ubyte.gz",
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            ),
            (
                "train-labels-idx1-ubyte.gz",
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            ),
            (
                "t10k-images-idx3-ubyte.gz",
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            ),
            (
                "t10k-labels-idx1-ubyte.gz",
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            ),
        ],
    );
    // Fashion-MNIST's first training labels: ankle boot, T-shirt, T-shirt, dress, T-shirt.
    assert_eq!(fashion.train.labels[..5], [9, 0, 0, 3, 0]);
}
