//! Gathering a batch: the rows named by a list of indices, scaled and
//! converted to floats, written into caller-owned buffers that are reused
//! from step to step (no allocation once they have grown to a batch).
//!
//! The softmax trainer's fused path does not gather: its GEMMs read the
//! bytes by index and scale them in registers. Gathering serves the
//! reverse-mode path, evaluation and callers that want the floats.

use crate::data::image::ImageDataset;
use crate::data::regression::RegressionDataset;
use crate::data::scale::Scaling;
use crate::{Element, Label};

/// The per-element operation of a gather, resolved once per batch.
#[derive(Clone, Copy)]
enum Op<'a, T> {
    Identity,
    Mul(T),
    Div(T),
    Standardize { mean: &'a [f64], inv_std: &'a [f64] },
}

impl<'a, T: Element> Op<'a, T> {
    /// Resolves `scaling` for byte inputs (which may use an exact reciprocal).
    fn for_bytes(scaling: &'a Scaling, features: usize) -> Self {
        match scaling {
            Scaling::Identity => Op::Identity,
            Scaling::Divide(d) if d.recip_exact::<T>() => Op::Mul(T::ONE / T::from_f64(d.max())),
            Scaling::Divide(d) => Op::Div(T::from_f64(d.max())),
            Scaling::Standardize(s) => {
                check_features(s.features(), features);
                Op::Standardize {
                    mean: s.mean(),
                    inv_std: s.inv_std(),
                }
            }
        }
    }

    /// Resolves `scaling` for real inputs (always a true division).
    fn for_reals(scaling: &'a Scaling, features: usize) -> Self {
        match scaling {
            Scaling::Divide(d) => Op::Div(T::from_f64(d.max())),
            _ => Self::for_bytes(scaling, features),
        }
    }
}

fn check_features(stats: usize, features: usize) {
    assert!(
        stats == features,
        "standardiser fitted on {stats} features applied to data with {features} features"
    );
}

fn check_indices(indices: &[usize], n: usize) {
    if let Some(&bad) = indices.iter().find(|&&i| i >= n) {
        panic!("batch index {bad} out of range for a dataset of {n} samples");
    }
}

/// Gathers the images at `indices` into `x` (`indices.len() x features`,
/// row-major, scaled by `scaling`) and their labels into `y`.
///
/// `x` and `y` are resized to fit (a buffer that already holds a batch's
/// capacity is not reallocated). Labels are [`Label`]s (`i64`), the
/// class-index targets of `models`' losses.
///
/// # Panics
/// If an index is `>= ds.len()`, or a [`Scaling::Standardize`] was fitted on
/// a different number of features than `ds.features()`.
///
/// ```
/// use train::{gather_images, ImageDataset, Scaling};
/// let ds = ImageDataset::new(vec![0, 255, 51, 102], vec![1, 0], 1, 2, 2)?;
/// let (mut x, mut y) = (Vec::<f32>::new(), Vec::new());
/// gather_images(&ds, &[1, 0], &Scaling::divide_by_255(), &mut x, &mut y);
/// assert_eq!(x, [0.2, 0.4, 0.0, 1.0]);
/// assert_eq!(y, [0, 1]);
/// # Ok::<(), train::DataError>(())
/// ```
pub fn gather_images<T: Element>(
    ds: &ImageDataset,
    indices: &[usize],
    scaling: &Scaling,
    x: &mut Vec<T>,
    y: &mut Vec<Label>,
) {
    check_indices(indices, ds.len());
    let f = ds.features();
    let op = Op::<T>::for_bytes(scaling, f);
    x.resize(indices.len() * f, T::ZERO);
    gather_bytes(ds.images(), f, indices, op, x);
    let labels = ds.labels();
    y.clear();
    y.extend(indices.iter().map(|&i| labels[i]));
}

/// Gathers the rows at `indices` of a regression dataset into `x`
/// (`indices.len() x features`, row-major, scaled by `scaling`) and their
/// targets into `y`; buffers are resized as by [`gather_images`]. Targets
/// are never scaled.
///
/// # Panics
/// As [`gather_images`].
pub fn gather_rows<T: Element>(
    ds: &RegressionDataset<T>,
    indices: &[usize],
    scaling: &Scaling,
    x: &mut Vec<T>,
    y: &mut Vec<T>,
) {
    check_indices(indices, ds.len());
    let f = ds.features();
    let op = Op::<T>::for_reals(scaling, f);
    x.resize(indices.len() * f, T::ZERO);
    let src = ds.x();
    for (dst, &i) in x.chunks_exact_mut(f).zip(indices) {
        let row = &src[i * f..i * f + f];
        match op {
            Op::Identity => dst.copy_from_slice(row),
            Op::Mul(k) => dst.iter_mut().zip(row).for_each(|(d, &s)| *d = s * k),
            Op::Div(k) => dst.iter_mut().zip(row).for_each(|(d, &s)| *d = s / k),
            Op::Standardize { mean, inv_std } => {
                for (((d, &s), &m), &k) in dst.iter_mut().zip(row).zip(mean).zip(inv_std) {
                    *d = T::from_f64((s.to_f64() - m) * k);
                }
            }
        }
    }
    let targets = ds.y();
    y.clear();
    y.extend(indices.iter().map(|&i| targets[i]));
}

/// The conversion loop: one slice bound check per row, then a zipped loop
/// (widen bytes, convert, scale).
fn gather_bytes<T: Element>(
    images: &[u8],
    f: usize,
    indices: &[usize],
    op: Op<'_, T>,
    x: &mut [T],
) {
    for (dst, &i) in x.chunks_exact_mut(f).zip(indices) {
        let src = &images[i * f..i * f + f];
        match op {
            Op::Identity => dst
                .iter_mut()
                .zip(src)
                .for_each(|(d, &s)| *d = T::from_f64(f64::from(s))),
            Op::Mul(k) => dst
                .iter_mut()
                .zip(src)
                .for_each(|(d, &s)| *d = T::from_f64(f64::from(s)) * k),
            Op::Div(k) => dst
                .iter_mut()
                .zip(src)
                .for_each(|(d, &s)| *d = T::from_f64(f64::from(s)) / k),
            Op::Standardize { mean, inv_std } => {
                for (((d, &s), &m), &k) in dst.iter_mut().zip(src).zip(mean).zip(inv_std) {
                    *d = T::from_f64((f64::from(s) - m) * k);
                }
            }
        }
    }
}
