//! The book's synthetic linear-regression data: `y = X w + b + ε`.

use rand::Rng;
use rand_distr::StandardNormal;

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
