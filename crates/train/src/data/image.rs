//! [`ImageDataset`]: labelled `u8` images held as bytes, and loading one
//! from a pair of IDX files.

use std::path::Path;

use models::autodiff::ShapeError;

use super::idx::{self, DataBytes, IdxImages};
use crate::Label;
use crate::error::DataError;

/// Labelled greyscale images kept as bytes in memory.
///
/// Pixels stay `u8` (a quarter of the bytes of `f32`) and are converted to
/// floats only while a batch is gathered ([`crate::gather_images`]).
///
/// Labels are class indices of the workspace's one label type, [`Label`]
/// (`i64`, PyTorch's class-index type).
///
/// Invariants, checked by every constructor: `images.len() == n * rows * cols`,
/// `rows * cols >= 1`, `labels.len() == n`, `classes >= 1`, and every label
/// in `0..classes` (so `label as usize` indexes a class).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageDataset {
    images: DataBytes,
    labels: Vec<Label>,
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
    /// [`DataError::Shape`] if `images.len() != labels.len() * rows * cols`;
    /// [`DataError::Invalid`] if `rows * cols == 0` or `classes == 0`;
    /// [`DataError::Idx`] (source `"labels"`) for a label outside
    /// `0..classes`.
    ///
    /// ```
    /// let ds = train::ImageDataset::new(vec![0, 1, 2, 3], vec![1, 0], 1, 2, 2)?;
    /// assert_eq!((ds.len(), ds.features()), (2, 2));
    /// assert_eq!(ds.image(1), &[2, 3]);
    /// # Ok::<(), train::DataError>(())
    /// ```
    pub fn new(
        images: Vec<u8>,
        labels: Vec<Label>,
        rows: usize,
        cols: usize,
        classes: usize,
    ) -> Result<Self, DataError> {
        Self::from_parts(
            "ImageDataset::new",
            DataBytes::whole(images),
            labels,
            rows,
            cols,
            classes,
            "labels",
        )
    }

    /// The checks and the construction; `op` is the public function called.
    pub(crate) fn from_parts(
        op: &'static str,
        images: DataBytes,
        labels: Vec<Label>,
        rows: usize,
        cols: usize,
        classes: usize,
        labels_name: &str,
    ) -> Result<Self, DataError> {
        check_sizes(op, images.len(), labels.len(), rows, cols, classes)?;
        idx::check_labels(&labels, classes, labels_name)?;
        // The loaders ask before writing; for images built elsewhere the
        // kernel can still merge the pages later.
        models::autodiff::kernels::advise_huge_pages(&images);
        let n = labels.len();
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
        labels: Vec<Label>,
        classes: usize,
        images_name: &str,
        labels_name: &str,
    ) -> Result<Self, DataError> {
        let dims = [images.n, images.rows, images.cols];
        let pixels = DataBytes::whole(images.pixels);
        Self::from_idx_data(dims, pixels, labels, classes, images_name, labels_name)
    }

    /// [`ImageDataset::from_idx`] of `dims = [n, rows, cols]` images whose
    /// pixels are left in the buffer they were decoded into.
    pub(crate) fn from_idx_data(
        [n, rows, cols]: [usize; 3],
        pixels: DataBytes,
        labels: Vec<Label>,
        classes: usize,
        images_name: &str,
        labels_name: &str,
    ) -> Result<Self, DataError> {
        if n != labels.len() {
            return Err(DataError::CountMismatch {
                images: images_name.to_owned(),
                labels: labels_name.to_owned(),
                n_images: n,
                n_labels: labels.len(),
            });
        }
        Self::from_parts(
            "ImageDataset::from_idx",
            pixels,
            labels,
            rows,
            cols,
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
        &self.images[..]
    }

    /// All labels, one per image, each in `0..classes()`.
    pub fn labels(&self) -> &[Label] {
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
            // In range: checked when the dataset was built.
            counts[l as usize] += 1;
        }
        counts
    }

    /// The largest pixel value (0 for an empty dataset).
    pub fn max_pixel(&self) -> u8 {
        self.images.iter().copied().max().unwrap_or(0)
    }
}

/// The size checks of an image dataset of `n` labels: at least one class,
/// at least one pixel per image, and `n * rows * cols` image bytes.
pub(crate) fn check_sizes(
    op: &'static str,
    bytes: usize,
    n: usize,
    rows: usize,
    cols: usize,
    classes: usize,
) -> Result<(), DataError> {
    if classes == 0 {
        return Err(DataError::Invalid {
            op,
            name: "classes",
            value: 0.0,
            rule: "must be at least 1",
        });
    }
    if rows == 0 || cols == 0 {
        return Err(DataError::Invalid {
            op,
            name: "rows * cols",
            value: 0.0,
            rule: "must be at least 1",
        });
    }
    let expected = n.checked_mul(rows).and_then(|v| v.checked_mul(cols));
    if expected != Some(bytes) {
        return Err(DataError::Shape(ShapeError::new(
            op,
            "the image bytes vs (labels, rows, cols)",
            &[bytes],
            &[n, rows, cols],
        )));
    }
    Ok(())
}
