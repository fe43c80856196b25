//! Seeded synthetic data: the book's linear-regression data
//! `y = X w + b + ε` ([`synthetic_data`]) and random labelled images of a
//! chosen size ([`random_images`]), a stand-in with the shape of an image
//! dataset for measuring the work of training on it.

use models::autodiff::kernels;
use rand::Rng;
use rand_distr::StandardNormal;

use super::image::{self, ImageDataset};
use super::regression::RegressionDataset;
use crate::error::DataError;
use crate::{Element, Label};

/// The book's noise standard deviation (0.01).
pub const DEFAULT_NOISE_STD: f64 = 0.01;

/// Draws `n` rows of linear-regression data as the book's
/// `synthetic_data(w, b, num_examples)` does: `X ~ N(0, 1)` of shape
/// `n x w.len()`, then `y = X w + b + ε` with `ε ~ N(0, noise_std²)`
/// ([`DEFAULT_NOISE_STD`] in the book).
///
/// Draw order is fixed for reproducibility: all of `X` row-major first, then
/// the `n` noise terms. Each `X` entry is drawn in `f64` and rounded to `T`;
/// each target is computed in `f64` from the rounded `X` and rounded once.
///
/// # Errors
/// [`DataError::Invalid`] if `w` is empty, or if `noise_std` is negative
/// or not finite.
///
/// ```
/// use train::data::synthetic::{synthetic_data, DEFAULT_NOISE_STD};
/// let mut rng = train::seeded(0);
/// let ds = synthetic_data(&[2.0f32, -3.4], 4.2, 1000, DEFAULT_NOISE_STD, &mut rng)?;
/// assert_eq!((ds.len(), ds.features()), (1000, 2));
/// # Ok::<(), train::DataError>(())
/// ```
pub fn synthetic_data<T: Element, R: Rng + ?Sized>(
    w: &[T],
    b: T,
    n: usize,
    noise_std: f64,
    rng: &mut R,
) -> Result<RegressionDataset<T>, DataError> {
    if w.is_empty() {
        return Err(DataError::Invalid {
            op: "synthetic_data",
            name: "w.len()",
            value: 0.0,
            rule: "must be at least 1",
        });
    }
    if !(noise_std.is_finite() && noise_std >= 0.0) {
        return Err(DataError::Invalid {
            op: "synthetic_data",
            name: "noise_std",
            value: noise_std,
            rule: "must be finite and >= 0",
        });
    }
    let d = w.len();
    let x: Vec<T> = (0..n * d)
        .map(|_| T::from_f64(rng.sample::<f64, _>(StandardNormal)))
        .collect();
    let b = b.to_f64();
    let y = x
        .chunks_exact(d)
        .map(|row| {
            let xw: f64 = row
                .iter()
                .zip(w)
                .map(|(&a, &c)| a.to_f64() * c.to_f64())
                .sum();
            let noise = noise_std * rng.sample::<f64, _>(StandardNormal);
            T::from_f64(xw + b + noise)
        })
        .collect();
    RegressionDataset::new(x, y, d)
}

/// `n` random `rows x cols` greyscale images with random labels of
/// `classes` classes, drawn from `rng`: a stand-in with the shape of an
/// image dataset (for example Fashion-MNIST's training set,
/// `random_images(60_000, 28, 28, 10, &mut train::seeded(seed))`), for
/// measuring the work of an epoch, which does not depend on the pixel
/// values.
///
/// Draw order is fixed for reproducibility: all pixel bytes (image after
/// image, each row-major) by `Rng::fill`, then the `n` labels, each drawn
/// as a byte uniform over `0..classes` (hence at most 256 classes, as in
/// an IDX label file).
///
/// # Errors
/// [`DataError::Invalid`] if `classes` is not in `1..=256` or `rows * cols`
/// is 0; [`DataError::Shape`] if `n * rows * cols` overflows.
///
/// ```
/// use train::data::synthetic::random_images;
/// let ds = random_images(100, 28, 28, 10, &mut train::seeded(7))?;
/// assert_eq!((ds.len(), ds.rows(), ds.cols(), ds.classes()), (100, 28, 28, 10));
/// assert_eq!(ds, random_images(100, 28, 28, 10, &mut train::seeded(7))?);
/// # Ok::<(), train::DataError>(())
/// ```
pub fn random_images<R: Rng + ?Sized>(
    n: usize,
    rows: usize,
    cols: usize,
    classes: usize,
    rng: &mut R,
) -> Result<ImageDataset, DataError> {
    const OP: &str = "random_images";
    if classes > 256 {
        return Err(DataError::Invalid {
            op: OP,
            name: "classes",
            value: classes as f64,
            rule: "must be in 1..=256 (labels are drawn as bytes)",
        });
    }
    // The sizes are checked before anything is allocated.
    let bytes = n.saturating_mul(rows).saturating_mul(cols);
    image::check_sizes(OP, bytes, n, rows, cols, classes)?;
    let mut pixels = vec![0u8; bytes];
    // As for a loaded set: before the first write.
    kernels::advise_huge_pages(&pixels);
    rng.fill(&mut pixels[..]);
    // `classes - 1` fits a `u8`: `classes` is in 1..=256.
    let top = (classes - 1) as u8;
    let labels: Vec<Label> = (0..n)
        .map(|_| Label::from(rng.random_range(0..=top)))
        .collect();
    let pixels = super::idx::DataBytes::whole(pixels);
    ImageDataset::from_parts(OP, pixels, labels, rows, cols, classes, "labels")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_images_are_reproducible_and_shaped() {
        let a = random_images(500, 7, 5, 10, &mut crate::seeded(1)).unwrap();
        let b = random_images(500, 7, 5, 10, &mut crate::seeded(1)).unwrap();
        let c = random_images(500, 7, 5, 10, &mut crate::seeded(2)).unwrap();
        assert_eq!((a.len(), a.rows(), a.cols(), a.features()), (500, 7, 5, 35));
        assert_eq!((a.images().len(), a.labels().len()), (500 * 35, 500));
        assert_eq!(a, b);
        assert_ne!(a.images(), c.images());
        assert_ne!(a.labels(), c.labels());
    }

    #[test]
    fn random_images_cover_the_classes_and_the_byte_range() {
        let ds = random_images(5000, 4, 4, 10, &mut crate::seeded(3)).unwrap();
        // 500 expected per class; 6 standard deviations (~127) either side.
        for (class, &count) in ds.label_histogram().iter().enumerate() {
            assert!((373..=627).contains(&count), "class {class}: {count}");
        }
        // 80 000 uniform bytes: mean 127.5, standard error 73.9/sqrt(80000) ≈ 0.26.
        let px = ds.images();
        let mean = px.iter().map(|&p| f64::from(p)).sum::<f64>() / px.len() as f64;
        assert!((mean - 127.5).abs() < 1.6, "mean pixel {mean}");
        assert_eq!(ds.max_pixel(), 255);
        assert_eq!(px.iter().min(), Some(&0));
        // Every label is in range and the extreme class counts work.
        let all = random_images(3000, 1, 1, 256, &mut crate::seeded(4)).unwrap();
        assert_eq!(all.label_histogram().len(), 256);
        assert!(all.labels().contains(&255));
        let one = random_images(10, 1, 1, 1, &mut crate::seeded(5)).unwrap();
        assert!(one.labels().iter().all(|&l| l == 0));
    }

    #[test]
    fn random_images_reject_bad_sizes() {
        assert!(matches!(
            random_images(10, 28, 28, 0, &mut crate::seeded(0)),
            Err(DataError::Invalid {
                name: "classes",
                value: 0.0,
                ..
            })
        ));
        assert!(matches!(
            random_images(10, 28, 28, 257, &mut crate::seeded(0)),
            Err(DataError::Invalid {
                name: "classes",
                value: 257.0,
                ..
            })
        ));
        assert!(matches!(
            random_images(10, 0, 28, 10, &mut crate::seeded(0)),
            Err(DataError::Invalid {
                name: "rows * cols",
                ..
            })
        ));
        assert!(matches!(
            random_images(usize::MAX, 28, 28, 10, &mut crate::seeded(0)),
            Err(DataError::Shape { .. })
        ));
    }

    #[test]
    fn zero_images_make_an_empty_dataset() {
        let ds = random_images(0, 28, 28, 10, &mut crate::seeded(0)).unwrap();
        assert!(ds.is_empty());
    }
}
