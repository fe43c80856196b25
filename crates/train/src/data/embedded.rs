//! The bundled default dataset: digits8x8.
//!
//! The UCI "Optical Recognition of Handwritten Digits" test set as shipped
//! with scikit-learn (1797 greyscale 8x8 images of the digits 0–9), stored
//! in this crate as the four gzip-compressed IDX files of the MNIST layout
//! and read with the same reader as any other IDX file ([`super::idx`]).
//!
//! * train: 1437 images (the first 1437 rows, in file order);
//! * test: 360 images (the remaining rows);
//! * pixels: the original counts **0..=16**, not rescaled to 0..=255. The
//!   default scaling divides by the dataset's maximum,
//!   [`DIGITS8X8_MAX`] = 16 ([`digits8x8_scaling`]); dividing by 255 would
//!   squeeze the inputs into [0, 0.063].
//!
//! Licence: BSD-3-Clause via scikit-learn ([`DIGITS8X8_COPYING`]); the data
//! description and attribution are in [`DIGITS8X8_DESCR`].

use super::TrainTest;
use super::idx;
use super::image::ImageDataset;
use super::scale::{Divide, Scaling};
use crate::error::DataError;

/// Number of classes of digits8x8 (the digits 0–9).
pub const DIGITS8X8_CLASSES: usize = 10;
/// The largest pixel value of digits8x8.
pub const DIGITS8X8_MAX: u8 = 16;
/// The dataset's description and attribution (`DESCR.rst`).
pub const DIGITS8X8_DESCR: &str = include_str!("../../data/digits8x8/DESCR.rst");
/// The licence the data is distributed under (`COPYING.scikit-learn`).
pub const DIGITS8X8_COPYING: &str = include_str!("../../data/digits8x8/COPYING.scikit-learn");

const TRAIN_IMAGES: &[u8] = include_bytes!("../../data/digits8x8/train-images-idx3-ubyte.gz");
const TRAIN_LABELS: &[u8] = include_bytes!("../../data/digits8x8/train-labels-idx1-ubyte.gz");
const TEST_IMAGES: &[u8] = include_bytes!("../../data/digits8x8/t10k-images-idx3-ubyte.gz");
const TEST_LABELS: &[u8] = include_bytes!("../../data/digits8x8/t10k-labels-idx1-ubyte.gz");

/// Loads the bundled digits8x8 training and test sets (1437 and 360 images
/// of 8x8 pixels in 0..=16, 10 classes).
///
/// # Errors
/// None in practice: the bytes are part of the crate and checked by its
/// tests; a [`DataError`] would mean the bundled files were damaged.
///
/// ```
/// let digits = train::data::embedded::digits8x8()?;
/// assert_eq!((digits.train.len(), digits.test.len()), (1437, 360));
/// assert_eq!((digits.train.rows(), digits.train.cols()), (8, 8));
/// # Ok::<(), train::DataError>(())
/// ```
pub fn digits8x8() -> Result<TrainTest<ImageDataset>, DataError> {
    Ok(TrainTest {
        train: load(TRAIN_IMAGES, TRAIN_LABELS, "train")?,
        test: load(TEST_IMAGES, TEST_LABELS, "t10k")?,
    })
}

/// The default scaling of digits8x8: divide by [`DIGITS8X8_MAX`] (16), so
/// pixels span [0, 1].
pub fn digits8x8_scaling() -> Scaling {
    Scaling::Divide(Divide::new(f64::from(DIGITS8X8_MAX)))
}

fn load(images: &[u8], labels: &[u8], split: &str) -> Result<ImageDataset, DataError> {
    let images_name = format!("digits8x8 (embedded)/{split}-images-idx3-ubyte.gz");
    let labels_name = format!("digits8x8 (embedded)/{split}-labels-idx1-ubyte.gz");
    let imgs = idx::read_images_bytes(images, &images_name)?;
    let labs = idx::read_labels_bytes(labels, &labels_name)?;
    ImageDataset::from_idx(imgs, labs, DIGITS8X8_CLASSES, &images_name, &labels_name)
}
