//! Loading a directory holding the four standard IDX files of the MNIST
//! family, and locating the Debian Fashion-MNIST package's folder.

use std::io;
use std::path::{Path, PathBuf};

use super::TrainTest;
use super::idx;
use super::image::ImageDataset;
use crate::error::DataError;

/// Where Debian's `dataset-fashion-mnist` package puts Fashion-MNIST.
pub const FASHION_MNIST_DEBIAN_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// The standard file names (without `.gz`): training images and labels,
/// test images and labels.
pub const IDX_FILE_NAMES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// The Debian Fashion-MNIST folder ([`FASHION_MNIST_DEBIAN_DIR`]) if it
/// exists on this machine (`apt-get install dataset-fashion-mnist`).
/// Callers should say when they use it rather than use it silently.
pub fn debian_fashion_mnist_dir() -> Option<PathBuf> {
    let dir = Path::new(FASHION_MNIST_DEBIAN_DIR);
    dir.is_dir().then(|| dir.to_path_buf())
}

/// Loads the training and test sets from `dir`, which holds the four files
/// of [`IDX_FILE_NAMES`], each either gzip-compressed (`name.gz`, preferred
/// when both exist) or raw (`name`). Labels must be `< classes` (10 for the
/// MNIST family).
///
/// # Errors
/// [`DataError::Io`] naming the directory if it does not exist or is not a
/// directory (kind `NotFound` / `NotADirectory`); [`DataError::Io`] (kind
/// `NotFound`, naming the `.gz` path) for a missing file, else any error of
/// [`ImageDataset::from_idx_files`].
///
/// ```
/// use std::error::Error;
/// let err = train::data::dir::load_idx_dir("/no/such/dir".as_ref(), 10).unwrap_err();
/// assert_eq!(err.to_string(), "/no/such/dir");
/// assert_eq!(err.source().unwrap().to_string(), "the directory does not exist");
/// ```
pub fn load_idx_dir(dir: &Path, classes: usize) -> Result<TrainTest<ImageDataset>, DataError> {
    check_dir(dir)?;
    let [train_images, train_labels, test_images, test_labels] = IDX_FILE_NAMES;
    let (train_images, train_labels) = (find(dir, train_images)?, find(dir, train_labels)?);
    let (test_images, test_labels) = (find(dir, test_images)?, find(dir, test_labels)?);
    // The two sets decode on two threads (decompression is most of a
    // load): the test set while the training images, by far the largest
    // file, decode.
    let (train_pixels, test) = idx::read_images_file_beside(&train_images, || {
        ImageDataset::from_idx_files(&test_images, &test_labels, classes)
    });
    let train = train_pixels.and_then(|(dims, pixels)| {
        let labels = idx::read_labels_file(&train_labels)?;
        let name = |p: &Path| p.display().to_string();
        ImageDataset::from_idx_data(
            dims,
            pixels,
            labels,
            classes,
            &name(&train_images),
            &name(&train_labels),
        )
    });
    Ok(TrainTest {
        train: train?,
        test: test?,
    })
}

/// An error naming `dir` unless it is an existing directory.
fn check_dir(dir: &Path) -> Result<(), DataError> {
    let problem = match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            io::Error::new(io::ErrorKind::NotFound, "the directory does not exist")
        }
        Err(e) => e,
    };
    Err(DataError::Io {
        file: dir.display().to_string(),
        source: problem,
    })
}

/// `dir/name.gz` if it is a file, else `dir/name` if it is a file.
fn find(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    let gz = dir.join(format!("{name}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    let raw = dir.join(name);
    if raw.is_file() {
        return Ok(raw);
    }
    Err(DataError::Io {
        file: gz.display().to_string(),
        source: io::Error::new(
            io::ErrorKind::NotFound,
            format!("neither {name}.gz nor {name} is in {}", dir.display()),
        ),
    })
}
