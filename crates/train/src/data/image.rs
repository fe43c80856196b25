//! [`ImageDataset`]: labelled `u8` images held as bytes, and loading one
//! from a pair of IDX files.

use std::path::Path;

use super::idx::{self, IdxImages};
use crate::error::DataError;

/// Labelled greyscale images kept as bytes in memory.
///
/// Pixels stay `u8` (a quarter of the bytes of `f32`) and are converted to
/// floats only while a batch is gathered ([`crate::gather_images`]).
///
/// Invariants, checked by every constructor: `images.len() == n * rows * cols`,
/// `labels.len() == n`, every label `< classes`, `1 <= classes <= 256`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageDataset {
    images: Vec<u8>,
    labels: Vec<u8>,
    n: usize,
    rows: usize,
    cols: usize,
    classes: usize,
}

impl ImageDataset {
    /// Builds a dataset from `n = labels.len()` images of `rows x cols`
    /// pixels (image after image, each row-major) and their labels.
    ///
    /// # Errors
    /// [`DataError::Shape`] if `images.len() != labels.len() * rows * cols`
    /// or `rows * cols == 0`; [`DataError::Classes`] if `classes` is not in
    /// `1..=256`; [`DataError::Idx`] (source `"labels"`) for a label
    /// `>= classes`.
    ///
    /// ```
    /// let ds = train::ImageDataset::new(vec![0, 1, 2, 3], vec![1, 0], 1, 2, 2)?;
    /// assert_eq!((ds.len(), ds.features()), (2, 2));
    /// assert_eq!(ds.image(1), &[2, 3]);
    /// # Ok::<(), train::DataError>(())
    /// ```
    pub fn new(
        images: Vec<u8>,
        labels: Vec<u8>,
        rows: usize,
        cols: usize,
        classes: usize,
    ) -> Result<Self, DataError> {
        Self::from_parts(images, labels, rows, cols, classes, "labels")
    }

    fn from_parts(
        images: Vec<u8>,
        labels: Vec<u8>,
        rows: usize,
        cols: usize,
        classes: usize,
        labels_name: &str,
    ) -> Result<Self, DataError> {
        if !(1..=256).contains(&classes) {
            return Err(DataError::Classes { classes });
        }
        let features = rows.checked_mul(cols).unwrap_or(0);
        if features == 0 {
            return Err(DataError::Shape {
                what: "pixels per image (rows * cols)",
                expected: 1,
                found: 0,
            });
        }
        let n = labels.len();
        let expected = n.checked_mul(features).ok_or(DataError::Shape {
            what: "image bytes (n * rows * cols overflows)",
            expected: usize::MAX,
            found: images.len(),
        })?;
        if images.len() != expected {
            return Err(DataError::Shape {
                what: "image bytes (n * rows * cols)",
                expected,
                found: images.len(),
            });
        }
        idx::check_labels(&labels, classes, labels_name)?;
        Ok(ImageDataset {
            images,
            labels,
            n,
            rows,
            cols,
            classes,
        })
    }

    /// Builds a dataset from an IDX image file and an IDX label file already
    /// read, checking that they agree in count and that labels are
    /// `< classes`. `images_name` and `labels_name` name the files in errors.
    ///
    /// # Errors
    /// [`DataError::CountMismatch`] naming both files, or
    /// [`DataError::Idx`] naming the label file for a label out of range.
    pub fn from_idx(
        images: IdxImages,
        labels: Vec<u8>,
        classes: usize,
        images_name: &str,
        labels_name: &str,
    ) -> Result<Self, DataError> {
        if images.n != labels.len() {
            return Err(DataError::CountMismatch {
                images: images_name.to_owned(),
                labels: labels_name.to_owned(),
                n_images: images.n,
                n_labels: labels.len(),
            });
        }
        Self::from_parts(
            images.pixels,
            labels,
            images.rows,
            images.cols,
            classes,
            labels_name,
        )
    }

    /// Loads a dataset from an IDX image file and an IDX label file (each
    /// raw or gzip), with labels `< classes` (10 for the MNIST family).
    ///
    /// # Errors
    /// Any [`DataError`] of [`idx::read_images_file`],
    /// [`idx::read_labels_file`] or [`ImageDataset::from_idx`].
    pub fn from_idx_files(images: &Path, labels: &Path, classes: usize) -> Result<Self, DataError> {
        let imgs = idx::read_images_file(images)?;
        let labs = idx::read_labels_file(labels)?;
        Self::from_idx(
            imgs,
            labs,
            classes,
            &images.display().to_string(),
            &labels.display().to_string(),
        )
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when the dataset holds no images.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Rows per image.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns per image.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Pixels per image (`rows * cols`), the number of input features.
    pub fn features(&self) -> usize {
        self.rows * self.cols
    }

    /// Number of classes; every label is below it.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// All pixels, `len() * features()` bytes, image after image.
    pub fn images(&self) -> &[u8] {
        &self.images
    }

    /// All labels, one per image.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The pixels of image `i`.
    ///
    /// # Panics
    /// If `i >= len()`.
    pub fn image(&self, i: usize) -> &[u8] {
        assert!(
            i < self.n,
            "image index {i} out of range for {} images",
            self.n
        );
        let f = self.features();
        &self.images[i * f..(i + 1) * f]
    }

    /// How many images carry each label (`classes()` counts).
    pub fn label_histogram(&self) -> Vec<usize> {
        let mut counts = vec![0usize; self.classes];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }

    /// The largest pixel value (0 for an empty dataset).
    pub fn max_pixel(&self) -> u8 {
        self.images.iter().copied().max().unwrap_or(0)
    }
}
