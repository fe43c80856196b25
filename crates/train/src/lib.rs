//! Datasets, seeded data loading and SGD for the linear networks of
//! *Dive into Deep Learning*, chapter 3.
//!
//! The pieces:
//!
//! * **Datasets** ([`data`]): an IDX reader for the MNIST family (raw or
//!   gzip, every header and size checked, typed errors naming the file);
//!   [`ImageDataset`], images kept as `u8` with [`Label`] (`i64`) class
//!   indices; the bundled digits8x8
//!   dataset ([`data::embedded::digits8x8`], pixels 0..=16, divided by 16 by
//!   default); a directory loader for Fashion-MNIST and the Debian folder
//!   helper ([`data::dir`]); a CSV reader for regression
//!   ([`data::csv::read_csv`]) into [`RegressionDataset`]; the book's
//!   [`data::synthetic::synthetic_data`], which draws from an RNG passed
//!   last ([`seeded`] makes a reproducible one).
//! * **Scaling** ([`Scaling`]): explicit choices — identity, divide by 255 or
//!   by a dataset's maximum, or standardise with a [`Standardizer`] fitted on
//!   the training set and applied to the test set.
//! * **Loading** ([`Loader`]): per-epoch seeded shuffles that depend only on
//!   `(seed, epoch)`, epochs counted from 1, batches of indices,
//!   `drop_last`; [`gather_images`] and
//!   [`gather_rows`] convert and scale a batch into reused buffers;
//!   [`shard_ranges`] cuts a batch into a fixed number of shards for a
//!   thread-count-independent parallel sum.
//! * **Optimisation** ([`Sgd`]): `torch.optim.SGD`'s rules (momentum,
//!   dampening, Nesterov, weight decay, maximize) over named parameter
//!   slices in `f32` or `f64`, and the [`StepLR`] schedule.
//! * **Training** ([`Trainer`]): the reproducible rayon-parallel minibatch
//!   loop for any [`models::Model`] — the book's linear and softmax
//!   regression with their fused gradients, or a network written against
//!   [`models::autodiff::Value`] through [`models::Reverse`] — with
//!   divergence detection, per-epoch [`EpochMetrics`] and evaluation.
//!
//! Configurations ([`LoaderConfig`], [`SgdConfig`]) are plain data with
//! PyTorch's defaults and a consuming setter per field
//! (`SgdConfig::new(0.1).momentum(0.9)`); errors are typed, say what and
//! where, and keep their causes as sources.
//!
//! ```
//! use train::{gather_images, Loader, LoaderConfig, Param, Sgd, SgdConfig};
//! use train::data::embedded::{digits8x8, digits8x8_scaling};
//!
//! let digits = digits8x8()?;
//! let scaling = digits8x8_scaling();
//! let mut loader = Loader::new(digits.train.len(), LoaderConfig::new(256).seed(42))?;
//! let mut sgd = Sgd::<f32>::new(SgdConfig::new(0.1).momentum(0.9))?;
//! let (mut x, mut y) = (Vec::<f32>::new(), Vec::<train::Label>::new());
//! let mut w = vec![0.0f32; 64 * 10];
//! for batch in loader.epoch(1) {
//!     gather_images(&digits.train, batch, &scaling, &mut x, &mut y);
//!     assert!(x.iter().all(|&v| (0.0..=1.0).contains(&v)));
//!     assert!(y.iter().all(|&label| (0..10).contains(&label)));
//!     let grad = vec![0.0f32; w.len()]; // a model computes this from (x, y)
//!     sgd.step(&mut [Param { name: "w", value: &mut w, grad: &grad }])?;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod atomic;
pub mod checkpoint;
pub mod data;
mod error;
pub mod fit;
mod gather;
mod loader;
mod schedule;
mod sgd;
pub mod shuffle;

pub use atomic::write_atomic;
pub use data::scale::{Divide, Scaling, Standardizer, Stats};
pub use data::{ImageDataset, RegressionDataset, TrainTest};
pub use error::{ConfigError, CsvProblem, DataError, IdxProblem, StepError};
pub use fit::{
    Dataset, EpochMetrics, Evaluation, Examples, FitConfig, TrainError, TrainLoss, Trainer,
};
pub use gather::{gather_images, gather_rows};
pub use loader::{Batches, Loader, LoaderConfig, shard_ranges};
pub use models::autodiff::{Element, ShapeError, seeded};
pub use models::{Label, rand};
pub use schedule::StepLR;
pub use sgd::{Param, Sgd, SgdConfig};

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
