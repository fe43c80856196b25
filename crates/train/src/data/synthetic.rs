//! Seeded synthetic data: the book's linear-regression data
//! `y = X w + b + ε` ([`synthetic_data`]) and random labelled images of a
//! chosen size ([`random_images`]), a stand-in with the shape of an image
//! dataset for measuring the work of training on it.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

use super::image::ImageDataset;
use super::regression::RegressionDataset;
use crate::Element;
use crate::error::DataError;

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
/// [`DataError::Shape`] if `w` is empty; [`DataError::Invalid`] if
/// `noise_std` is negative or not finite.
///
/// ```
/// use rand::SeedableRng;
/// use train::data::synthetic::{synthetic_data, DEFAULT_NOISE_STD};
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
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
        return Err(DataError::Shape {
            what: "synthetic_data weights",
            expected: 1,
            found: 0,
        });
    }
    if !(noise_std.is_finite() && noise_std >= 0.0) {
        return Err(DataError::Invalid {
            what: "synthetic_data noise_std (must be finite and >= 0)",
            value: noise_std,
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
/// `classes` classes, drawn from `StdRng::seed_from_u64(seed)`: a stand-in
/// with the shape of an image dataset (for example Fashion-MNIST's training
/// set, `random_images(60_000, 28, 28, 10, seed)`), for measuring the work
/// of an epoch, which does not depend on the pixel values.
///
/// Draw order is fixed for reproducibility: all pixel bytes (image after
/// image, each row-major) by `Rng::fill`, then the `n` labels, each uniform
/// over `0..classes`.
///
/// # Errors
/// [`DataError::Classes`] if `classes` is not in `1..=256`;
/// [`DataError::Shape`] if `rows * cols` is 0 or `n * rows * cols`
/// overflows.
///
/// ```
/// use train::data::synthetic::random_images;
/// let ds = random_images(100, 28, 28, 10, 7)?;
/// assert_eq!((ds.len(), ds.rows(), ds.cols(), ds.classes()), (100, 28, 28, 10));
/// assert_eq!(ds, random_images(100, 28, 28, 10, 7)?);
/// # Ok::<(), train::DataError>(())
/// ```
pub fn random_images(
    n: usize,
    rows: usize,
    cols: usize,
    classes: usize,
    seed: u64,
) -> Result<ImageDataset, DataError> {
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
    let bytes = n.checked_mul(features).ok_or(DataError::Shape {
        what: "image bytes (n * rows * cols overflows)",
        expected: usize::MAX,
        found: 0,
    })?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut pixels = vec![0u8; bytes];
    rng.fill(&mut pixels[..]);
    // `classes - 1` fits a `u8`: `classes` is in 1..=256.
    let top = (classes - 1) as u8;
    let labels: Vec<u8> = (0..n).map(|_| rng.random_range(0..=top)).collect();
    ImageDataset::new(pixels, labels, rows, cols, classes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_images_are_reproducible_and_shaped() {
        let a = random_images(500, 7, 5, 10, 1).unwrap();
        let b = random_images(500, 7, 5, 10, 1).unwrap();
        let c = random_images(500, 7, 5, 10, 2).unwrap();
        assert_eq!((a.len(), a.rows(), a.cols(), a.features()), (500, 7, 5, 35));
        assert_eq!((a.images().len(), a.labels().len()), (500 * 35, 500));
        assert_eq!(a, b);
        assert_ne!(a.images(), c.images());
        assert_ne!(a.labels(), c.labels());
    }

    #[test]
    fn random_images_cover_the_classes_and_the_byte_range() {
        let ds = random_images(5000, 4, 4, 10, 3).unwrap();
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
        let all = random_images(3000, 1, 1, 256, 4).unwrap();
        assert_eq!(all.label_histogram().len(), 256);
        assert!(all.labels().contains(&255));
        let one = random_images(10, 1, 1, 1, 5).unwrap();
        assert!(one.labels().iter().all(|&l| l == 0));
    }

    #[test]
    fn random_images_reject_bad_sizes() {
        assert!(matches!(
            random_images(10, 28, 28, 0, 0),
            Err(DataError::Classes { classes: 0 })
        ));
        assert!(matches!(
            random_images(10, 28, 28, 257, 0),
            Err(DataError::Classes { classes: 257 })
        ));
        assert!(matches!(
            random_images(10, 0, 28, 10, 0),
            Err(DataError::Shape { .. })
        ));
        assert!(matches!(
            random_images(usize::MAX, 28, 28, 10, 0),
            Err(DataError::Shape { .. })
        ));
    }

    #[test]
    fn zero_images_make_an_empty_dataset() {
        let ds = random_images(0, 28, 28, 10, 0).unwrap();
        assert!(ds.is_empty());
    }
}
