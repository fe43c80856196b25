//! [`Examples`]: a dataset made ready for a model once (its scaling
//! resolved, its labels as [`Label`]s), and [`Dataset`], the datasets a
//! [`crate::Trainer`] takes.

use std::borrow::Cow;

use models::autodiff::kernels::U8Scale;
use models::autodiff::{Element, ShapeError};
use models::{Data, Inputs, Label, Targets};

use super::TrainError;
use crate::data::image::ImageDataset;
use crate::data::regression::RegressionDataset;
use crate::data::scale::Scaling;
use crate::gather::gather_rows;

/// A dataset a [`crate::Trainer`] trains on or evaluates.
pub trait Dataset<T: Element> {
    /// The dataset as a model reads it, its inputs scaled by `scaling`.
    ///
    /// # Errors
    /// [`TrainError::Shape`] if `scaling` was fitted on another number of
    /// features.
    fn examples(&self, scaling: &Scaling) -> Result<Examples<'_, T>, TrainError>;
}

impl<T: Element> Dataset<T> for ImageDataset {
    fn examples(&self, scaling: &Scaling) -> Result<Examples<'_, T>, TrainError> {
        Examples::images(self, scaling)
    }
}

impl<T: Element> Dataset<T> for RegressionDataset<T> {
    fn examples(&self, scaling: &Scaling) -> Result<Examples<'_, T>, TrainError> {
        Examples::regression(self, scaling)
    }
}

/// How the bytes of images become inputs, in the element type.
#[derive(Debug, Clone, PartialEq)]
enum ByteScale<T> {
    Identity,
    Mul(T),
    Div(T),
    /// A standardisation's mean and `1/std`, rounded to `T`.
    Standardize {
        mean: Vec<T>,
        inv_std: Vec<T>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Stored<'d, T: Clone> {
    /// Bytes, scaled by the kernels that read them.
    Bytes {
        bytes: &'d [u8],
        scale: ByteScale<T>,
    },
    /// Real inputs, scaled (borrowed when the scaling is the identity).
    Real(Cow<'d, [T]>),
}

#[derive(Debug, Clone, PartialEq)]
enum StoredTargets<'d, T> {
    Classes {
        labels: Cow<'d, [Label]>,
        classes: usize,
    },
    Values(&'d [T]),
}

/// A dataset made ready for a model: its inputs (bytes, with the scaling
/// the kernels apply as they read them, or real values scaled once), its
/// targets, and a [`models::Data`] view of them for each step.
#[derive(Debug, Clone, PartialEq)]
pub struct Examples<'d, T: Element> {
    inputs: Stored<'d, T>,
    features: usize,
    targets: StoredTargets<'d, T>,
}

impl<'d, T: Element> Examples<'d, T> {
    /// Labelled images, kept as bytes: `scaling` is applied by the kernels
    /// that read them, in `T` (a division by an exact reciprocal becomes that
    /// multiplication, as [`crate::gather_images`] does; a standardisation
    /// `(x − mean)·(1/std)` with both rounded to `T`).
    ///
    /// # Errors
    /// [`TrainError::Shape`] for a standardisation fitted on another
    /// number of features.
    pub fn images(ds: &'d ImageDataset, scaling: &Scaling) -> Result<Self, TrainError> {
        let d = ds.features();
        let scale = match scaling {
            Scaling::Identity => ByteScale::Identity,
            Scaling::Divide(div) if div.recip_exact::<T>() => {
                ByteScale::Mul(T::ONE / T::from_f64(div.max()))
            }
            Scaling::Divide(div) => ByteScale::Div(T::from_f64(div.max())),
            Scaling::Standardize(st) => {
                check_standardizer(st.features(), d)?;
                let to_t = |v: &[f64]| v.iter().map(|&x| T::from_f64(x)).collect();
                ByteScale::Standardize {
                    mean: to_t(st.mean()),
                    inv_std: to_t(st.inv_std()),
                }
            }
        };
        Ok(Examples {
            inputs: Stored::Bytes {
                bytes: ds.images(),
                scale,
            },
            features: d,
            targets: StoredTargets::Classes {
                labels: Cow::Borrowed(ds.labels()),
                classes: ds.classes(),
            },
        })
    }

    /// Rows of real features with real targets: scaled once here (the
    /// same values [`crate::gather_rows`] gives), borrowed as they are for
    /// [`Scaling::Identity`]. Targets are never scaled.
    ///
    /// # Errors
    /// [`TrainError::Shape`] for a standardisation fitted on another
    /// number of features.
    pub fn regression(ds: &'d RegressionDataset<T>, scaling: &Scaling) -> Result<Self, TrainError> {
        let d = ds.features();
        let x = match scaling {
            Scaling::Identity => Cow::Borrowed(ds.x()),
            other => {
                if let Scaling::Standardize(st) = other {
                    check_standardizer(st.features(), d)?;
                }
                let all: Vec<usize> = (0..ds.len()).collect();
                let (mut x, mut y) = (Vec::new(), Vec::new());
                gather_rows(ds, &all, other, &mut x, &mut y);
                Cow::Owned(x)
            }
        };
        Ok(Examples {
            inputs: Stored::Real(x),
            features: d,
            targets: StoredTargets::Values(ds.y()),
        })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        match &self.targets {
            StoredTargets::Classes { labels, .. } => labels.len(),
            StoredTargets::Values(y) => y.len(),
        }
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Inputs per sample.
    pub fn features(&self) -> usize {
        self.features
    }

    /// The view a model reads (made in constant time).
    ///
    /// # Errors
    /// Never for examples made by [`Examples::images`] or
    /// [`Examples::regression`] (their sizes fit by construction).
    pub fn data(&self) -> Result<Data<'_, T>, TrainError> {
        let inputs = match &self.inputs {
            Stored::Bytes { bytes, scale } => Inputs::Bytes {
                bytes,
                scale: match scale {
                    ByteScale::Identity => U8Scale::Identity,
                    ByteScale::Mul(k) => U8Scale::Mul(*k),
                    ByteScale::Div(k) => U8Scale::Div(*k),
                    ByteScale::Standardize { mean, inv_std } => {
                        U8Scale::Standardize { mean, inv_std }
                    }
                },
            },
            Stored::Real(x) => Inputs::Real(x),
        };
        let targets = match &self.targets {
            StoredTargets::Classes { labels, classes } => Targets::Classes {
                labels,
                classes: *classes,
            },
            StoredTargets::Values(y) => Targets::Values(y),
        };
        Ok(Data::new(inputs, self.features, targets)?)
    }
}

fn check_standardizer(fitted: usize, features: usize) -> Result<(), TrainError> {
    if fitted == features {
        Ok(())
    } else {
        Err(TrainError::Shape(ShapeError::new(
            "Scaling::Standardize",
            "the standardisation's features vs the data's features",
            &[fitted],
            &[features],
        )))
    }
}
