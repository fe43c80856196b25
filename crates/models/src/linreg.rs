//! Linear regression (`d` inputs → 1 output), with the closed-form
//! least-squares solution to compare minibatch SGD against.

use rand::Rng;

use crate::autodiff::{Tensor, Value};
use crate::error::{Error, Result};
use crate::kernels::Element;
use crate::linalg::Qr;
use crate::linear::Linear;

/// Linear regression `ŷ = x·w + b`: a [`Linear`] layer with `d` inputs and one output.
///
/// ```
/// use models::autodiff::Tensor;
/// use models::LinearRegression;
/// // y = 2·x₀ − 3·x₁ + 4, exactly.
/// let x = Tensor::from_vec(vec![0.0f64, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[4, 2])?;
/// let y = Tensor::from_vec(vec![4.0, 6.0, 1.0, 3.0], &[4])?;
/// let model = LinearRegression::fit_closed_form(&x, &y)?;
/// let w = model.linear.weight.to_vec();
/// assert!((w[0] - 2.0).abs() < 1e-12 && (w[1] + 3.0).abs() < 1e-12);
/// assert!((model.bias() - 4.0).abs() < 1e-12);
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LinearRegression<T: Element> {
    /// The layer: weight `(1, d)`, bias `(1)`.
    pub linear: Linear<T>,
}

impl<T: Element> LinearRegression<T> {
    /// A model with `d` inputs, initialised as PyTorch's `nn.Linear(d, 1)`.
    ///
    /// # Errors
    /// Never in practice (see [`Linear::new`]).
    pub fn new<R: Rng + ?Sized>(d: usize, rng: &mut R) -> Result<Self> {
        Ok(LinearRegression {
            linear: Linear::new(d, 1, true, rng)?,
        })
    }

    /// A model with the given weights (`d` of them) and bias.
    ///
    /// # Errors
    /// Never in practice (a `(1, d)` shape always fits).
    pub fn from_weights(w: &[T], b: T) -> Result<Self> {
        Ok(LinearRegression {
            linear: Linear {
                weight: Tensor::from_vec(w.to_vec(), [1, w.len()])?,
                bias: Some(Tensor::vector(&[b])),
            },
        })
    }

    /// Number of inputs `d`.
    pub fn inputs(&self) -> usize {
        self.linear.in_features()
    }

    /// The weight `w` (`d` entries: the `(1, d)` weight of the layer, row-major).
    pub fn weight(&self) -> &[T] {
        self.linear.weight.as_slice()
    }

    /// The bias `b`.
    pub fn bias(&self) -> T {
        self.linear
            .bias
            .as_ref()
            .map_or(T::ZERO, |b| b.as_slice()[0])
    }

    /// Predictions `x·w + b` of shape `(N, 1)` for `x` of shape `(N, d)`
    /// (as `nn.Linear(d, 1)`), the parameters held constant.
    ///
    /// # Errors
    /// As [`crate::linear()`].
    pub fn forward<V: Value<Elem = T>>(&self, x: &V) -> Result<V> {
        self.linear.forward(x)
    }

    /// Predictions as a vector of `N`.
    ///
    /// # Errors
    /// As [`crate::linear()`].
    pub fn predict(&self, x: &Tensor<T>) -> Result<Tensor<T>> {
        let y = self.forward(x)?;
        let n = y.shape()[0];
        Ok(y.reshape([n])?)
    }

    /// The exact least-squares fit: the `w`, `b` minimising `Σᵢ (xᵢ·w + b − yᵢ)²`,
    /// for `x` of shape `(N, d)` and `y` of `N` (shape `(N)` or `(N, 1)`).
    ///
    /// Solved in `f64` by Householder QR of the design matrix `[x 1]`
    /// (never forming `XᵀX`, whose condition number is the square of the
    /// design's), then rounded to `T`.
    ///
    /// # Errors
    /// [`Error::Rank`] / [`Error::Shape`] for shapes that do not fit;
    /// [`Error::Singular`] if the design matrix is rank deficient to working
    /// precision (fewer samples than `d + 1`, a constant or duplicated
    /// feature, …), so that there is no unique solution.
    pub fn fit_closed_form(x: &Tensor<T>, y: &Tensor<T>) -> Result<Self> {
        const OP: &str = "LinearRegression::fit_closed_form";
        let xs = x.shape();
        if xs.rank() != 2 {
            return Err(Error::Rank {
                op: OP,
                arg: "x",
                expected: "2 (N, d)",
                got: xs.rank(),
            });
        }
        let (n, d) = (xs[0], xs[1]);
        let ys = y.shape();
        if !(ys.dims() == [n] || ys.dims() == [n, 1]) {
            return Err(crate::error::shape_error(
                OP,
                "x's samples vs y",
                xs.dims(),
                ys.dims(),
            ));
        }
        let (w, b) = least_squares_with_bias(OP, x.as_slice(), n, d, y.as_slice())?;
        let w: Vec<T> = w.into_iter().map(T::from_f64).collect();
        Self::from_weights(&w, T::from_f64(b))
    }
}

/// The least-squares `(w, b)` of `y ≈ X w + b` for row-major `X` (`n × d`), in `f64`.
pub(crate) fn least_squares_with_bias<T: Element>(
    op: &'static str,
    x: &[T],
    n: usize,
    d: usize,
    y: &[T],
) -> Result<(Vec<f64>, f64)> {
    let cols = d + 1;
    if n < cols {
        return Err(Error::Singular {
            op,
            column: n,
            columns: cols,
        });
    }
    // The design matrix [X 1], row-major n × (d + 1).
    let mut a = vec![1.0; n * cols];
    for i in 0..n {
        for j in 0..d {
            a[i * cols + j] = x[i * d + j].to_f64();
        }
    }
    let qr = Qr::new(n, cols, a);
    if let Some(column) = qr.rank_deficient_column() {
        return Err(Error::Singular {
            op,
            column,
            columns: cols,
        });
    }
    let rhs: Vec<f64> = y.iter().map(|v| v.to_f64()).collect();
    let mut sol = qr.solve_least_squares(&rhs);
    let b = sol.pop().unwrap_or(0.0);
    Ok((sol, b))
}
