//! [`RegressionDataset`]: dense real features with one real target per row.

use models::autodiff::ShapeError;

use crate::Element;
use crate::error::DataError;

/// Rows of `features` real inputs, each with one real target.
///
/// Invariants, checked by [`RegressionDataset::new`]: `features >= 1`,
/// `x.len() == n * features`, `y.len() == n`.
#[derive(Debug, Clone, PartialEq)]
pub struct RegressionDataset<T: Element = f32> {
    x: Vec<T>,
    y: Vec<T>,
    features: usize,
}

impl<T: Element> RegressionDataset<T> {
    /// Builds a dataset from row-major inputs `x` (`n x features`) and
    /// targets `y` (`n`).
    ///
    /// # Errors
    /// [`DataError::Invalid`] if `features == 0`; [`DataError::Shape`] if
    /// `x.len() != y.len() * features`.
    ///
    /// ```
    /// let ds = train::RegressionDataset::new(vec![1.0f32, 2.0, 3.0, 4.0], vec![5.0, 6.0], 2)?;
    /// assert_eq!(ds.row(1), &[3.0, 4.0]);
    /// # Ok::<(), train::DataError>(())
    /// ```
    pub fn new(x: Vec<T>, y: Vec<T>, features: usize) -> Result<Self, DataError> {
        const OP: &str = "RegressionDataset::new";
        if features == 0 {
            return Err(DataError::Invalid {
                op: OP,
                name: "features",
                value: 0.0,
                rule: "must be at least 1",
            });
        }
        if y.len().checked_mul(features) != Some(x.len()) {
            return Err(DataError::Shape(ShapeError::new(
                OP,
                "x vs (y, features)",
                &[x.len()],
                &[y.len(), features],
            )));
        }
        Ok(RegressionDataset { x, y, features })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// True when the dataset holds no rows.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Inputs per row.
    pub fn features(&self) -> usize {
        self.features
    }

    /// All inputs, row-major (`len() x features()`).
    pub fn x(&self) -> &[T] {
        &self.x
    }

    /// All targets.
    pub fn y(&self) -> &[T] {
        &self.y
    }

    /// The inputs of row `i`.
    ///
    /// # Panics
    /// If `i >= len()`.
    pub fn row(&self, i: usize) -> &[T] {
        assert!(
            i < self.len(),
            "row index {i} out of range for {} rows",
            self.len()
        );
        &self.x[i * self.features..(i + 1) * self.features]
    }

    /// Splits into the inputs and targets.
    pub fn into_parts(self) -> (Vec<T>, Vec<T>) {
        (self.x, self.y)
    }
}
