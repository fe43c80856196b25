//! Datasets: reading them, holding them, scaling them.
//!
//! * [`idx`] — the IDX format of the MNIST family (raw or gzip);
//! * [`image`] — [`ImageDataset`], labelled `u8` images;
//! * [`embedded`] — the bundled digits8x8 dataset;
//! * [`dir`] — the four standard IDX files of a directory, and the Debian
//!   Fashion-MNIST folder;
//! * [`csv`] — regression data from CSV;
//! * [`regression`] — [`RegressionDataset`], dense features and targets;
//! * [`synthetic`] — the book's `synthetic_data`;
//! * [`scale`] — feature scaling applied while batches are gathered.

pub mod csv;
pub mod dir;
pub mod embedded;
mod gzip;
pub mod idx;
pub mod image;
mod inflate;
pub mod regression;
pub mod scale;
pub mod synthetic;

pub use image::ImageDataset;
pub use regression::RegressionDataset;

/// A training set and a test set.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainTest<D> {
    /// The training set.
    pub train: D,
    /// The test set.
    pub test: D,
}
