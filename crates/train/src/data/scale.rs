//! Feature scaling, applied while a batch is gathered
//! ([`crate::gather_images`], [`crate::gather_rows`]).
//!
//! Scaling is always an explicit choice:
//! * [`Scaling::Identity`] — raw values (pixel bytes become 0.0..=255.0);
//! * [`Scaling::divide`] — `x / max`: by 255 for 8-bit images
//!   ([`Scaling::divide_by_255`], as `torchvision.transforms.ToTensor`), or by
//!   a dataset's own maximum (16 for the bundled digits8x8, whose pixels are
//!   counts 0..=16);
//! * [`Scaling::Standardize`] — `(x - mean_j) / std_j` with statistics fitted
//!   on the training set ([`Standardizer`]) and applied unchanged to the
//!   test set.

use models::autodiff::ShapeError;

use crate::Element;
use crate::data::image::ImageDataset;
use crate::data::regression::RegressionDataset;
use crate::error::DataError;

/// How features are scaled while a batch is gathered.
#[derive(Debug, Clone, PartialEq)]
pub enum Scaling {
    /// No scaling: `x`.
    Identity,
    /// `x / max` (build with [`Scaling::divide`]).
    Divide(Divide),
    /// `(x - mean_j) / std_j` per feature `j`.
    Standardize(Standardizer),
}

impl Scaling {
    /// `x / max` for a finite `max > 0`.
    ///
    /// # Errors
    /// [`DataError::Invalid`] if `max` is not finite or not positive.
    ///
    /// ```
    /// let s = train::Scaling::divide(16.0)?; // digits8x8: pixel counts 0..=16
    /// # Ok::<(), train::DataError>(())
    /// ```
    pub fn divide(max: f64) -> Result<Self, DataError> {
        if !(max.is_finite() && max > 0.0) {
            return Err(DataError::Invalid {
                op: "Scaling::divide",
                name: "max",
                value: max,
                rule: "must be finite and > 0",
            });
        }
        Ok(Scaling::Divide(Divide::new(max)))
    }

    /// `x / 255`, the usual scaling of 8-bit images to `[0, 1]`.
    pub fn divide_by_255() -> Self {
        Scaling::Divide(Divide::new(255.0))
    }
}

/// Division by a fixed positive number, `x / max`, rounded as a true
/// division in the output type.
///
/// For byte inputs the division is done as a multiplication by `1 / max`
/// when that gives the same result as the division for all 256 byte values
/// (checked once here, for `f32` and `f64`), since a multiplication is
/// several times cheaper than a division in the gather loop (16, any power
/// of two); otherwise (255, for one) it divides.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Divide {
    max: f64,
    recip_exact_f32: bool,
    recip_exact_f64: bool,
}

impl Divide {
    /// `max` must be finite and positive (checked by [`Scaling::divide`]).
    pub(crate) fn new(max: f64) -> Self {
        Divide {
            max,
            recip_exact_f32: recip_exact::<f32>(max),
            recip_exact_f64: recip_exact::<f64>(max),
        }
    }

    /// The divisor.
    pub fn max(&self) -> f64 {
        self.max
    }

    /// True if `b * (1 / max) == b / max` in `T` for every byte `b`.
    pub(crate) fn recip_exact<T: Element>(&self) -> bool {
        if is_f32::<T>() {
            self.recip_exact_f32
        } else {
            self.recip_exact_f64
        }
    }
}

fn is_f32<T: Element>() -> bool {
    std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>()
}

fn recip_exact<T: Element>(max: f64) -> bool {
    let d = T::from_f64(max);
    let inv = T::ONE / d;
    (0..=255u8).all(|b| T::from_f64(f64::from(b)) * inv == T::from_f64(f64::from(b)) / d)
}

/// Which statistics a [`Standardizer`] fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stats {
    /// One mean and standard deviation per feature (as scikit-learn's
    /// `StandardScaler`).
    PerFeature,
    /// One mean and standard deviation over all features (as
    /// `torchvision.transforms.Normalize` with a single channel).
    Global,
}

/// Per-feature standardisation `(x - mean_j) / std_j`, fitted on a training
/// set and applied to any set with the same features.
///
/// Statistics are computed in `f64` (two passes: mean, then the population
/// variance, divisor `n`). A feature with zero variance gets `std = 1`, so it
/// is centred but not scaled (as scikit-learn does). Applying computes
/// `(x - mean_j) * (1 / std_j)` in `f64` and rounds once to the output type.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    mean: Vec<f64>,
    std: Vec<f64>,
    inv_std: Vec<f64>,
}

impl Standardizer {
    /// Fits the statistics of an image dataset's pixels (raw bytes).
    ///
    /// # Errors
    /// [`DataError::Invalid`] if the dataset is empty.
    pub fn fit_images(ds: &ImageDataset, stats: Stats) -> Result<Self, DataError> {
        let op = "Standardizer::fit_images";
        Self::fit(op, ds.images(), ds.features(), stats, |&b| f64::from(b))
    }

    /// Fits the statistics of a regression dataset's inputs.
    ///
    /// # Errors
    /// [`DataError::Invalid`] if the dataset is empty.
    ///
    /// ```
    /// use train::{RegressionDataset, Standardizer, Stats};
    /// let ds = RegressionDataset::new(vec![1.0f32, 10.0, 3.0, 10.0], vec![0.0, 0.0], 2)?;
    /// let st = Standardizer::fit_rows(&ds, Stats::PerFeature)?;
    /// assert_eq!(st.mean(), &[2.0, 10.0]);
    /// assert_eq!(st.std(), &[1.0, 1.0]); // the constant feature keeps std 1
    /// # Ok::<(), train::DataError>(())
    /// ```
    pub fn fit_rows<T: Element>(
        ds: &RegressionDataset<T>,
        stats: Stats,
    ) -> Result<Self, DataError> {
        let op = "Standardizer::fit_rows";
        Self::fit(op, ds.x(), ds.features(), stats, |&v| v.to_f64())
    }

    fn fit<E>(
        op: &'static str,
        data: &[E],
        features: usize,
        stats: Stats,
        to_f64: impl Fn(&E) -> f64 + Copy,
    ) -> Result<Self, DataError> {
        let n = data.len() / features;
        if n == 0 {
            return Err(DataError::Invalid {
                op,
                name: "ds.len()",
                value: 0.0,
                rule: "must be at least 1 to fit statistics",
            });
        }
        let (mean, std) = match stats {
            Stats::PerFeature => {
                let mut mean = vec![0.0f64; features];
                for row in data.chunks_exact(features) {
                    for (m, v) in mean.iter_mut().zip(row) {
                        *m += to_f64(v);
                    }
                }
                mean.iter_mut().for_each(|m| *m /= n as f64);
                let mut var = vec![0.0f64; features];
                for row in data.chunks_exact(features) {
                    for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
                        let d = to_f64(v) - m;
                        *s += d * d;
                    }
                }
                let std = var.iter().map(|s| (s / n as f64).sqrt()).collect();
                (mean, std)
            }
            Stats::Global => {
                let count = data.len() as f64;
                let m = data.iter().map(to_f64).sum::<f64>() / count;
                let var = data
                    .iter()
                    .map(|v| {
                        let d = to_f64(v) - m;
                        d * d
                    })
                    .sum::<f64>()
                    / count;
                (vec![m; features], vec![var.sqrt(); features])
            }
        };
        let std: Vec<f64> = std
            .into_iter()
            .map(|s| if s > 0.0 { s } else { 1.0 })
            .collect();
        let inv_std = std.iter().map(|s| 1.0 / s).collect();
        Ok(Standardizer { mean, std, inv_std })
    }

    /// Builds a standardiser from given statistics (for example, published
    /// ones such as Fashion-MNIST's).
    ///
    /// # Errors
    /// [`DataError::Shape`] if the lengths differ; [`DataError::Invalid`]
    /// if they are zero, for a mean that is not finite or a standard
    /// deviation that is not finite and positive.
    pub fn from_stats(mean: Vec<f64>, std: Vec<f64>) -> Result<Self, DataError> {
        const OP: &str = "Standardizer::from_stats";
        if mean.len() != std.len() {
            return Err(DataError::Shape(ShapeError::new(
                OP,
                "mean vs std",
                &[mean.len()],
                &[std.len()],
            )));
        }
        if mean.is_empty() {
            return Err(DataError::Invalid {
                op: OP,
                name: "mean.len()",
                value: 0.0,
                rule: "must be at least 1",
            });
        }
        if let Some(&m) = mean.iter().find(|m| !m.is_finite()) {
            return Err(DataError::Invalid {
                op: OP,
                name: "mean",
                value: m,
                rule: "must be finite",
            });
        }
        if let Some(&s) = std.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(DataError::Invalid {
                op: OP,
                name: "std",
                value: s,
                rule: "must be finite and > 0",
            });
        }
        let inv_std = std.iter().map(|s| 1.0 / s).collect();
        Ok(Standardizer { mean, std, inv_std })
    }

    /// Number of features the statistics are for.
    pub fn features(&self) -> usize {
        self.mean.len()
    }

    /// The mean of each feature.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The standard deviation of each feature (1 where the variance is 0).
    pub fn std(&self) -> &[f64] {
        &self.std
    }

    /// The reciprocal of each standard deviation.
    pub fn inv_std(&self) -> &[f64] {
        &self.inv_std
    }
}
