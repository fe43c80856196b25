//! Linear regression (`d` inputs → 1 output), with the closed-form
//! least-squares solution to compare minibatch SGD against, and its fused
//! gradient as a [`Model`].

use rand::Rng;

use crate::autodiff::{Tensor, Value};
use crate::error::{Error, Result};
use crate::kernels::{self, Element, U8Scale};
use crate::linalg::Qr;
use crate::linear::Linear;
use crate::model::{
    Batch, Criterion, Data, Inputs, Model, Sums, check_grads, check_net, one_layer_model,
};

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

    /// The weight `w` (`d` entries; the one row of the layer's `(1, d)`
    /// weight).
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

    /// How far the parameters are from a known truth, in `f64`:
    /// `(‖w − w_true‖₂, |b − b_true|)`; entries of `w` past `w_true`'s end
    /// count against a true weight of 0.
    ///
    /// ```
    /// let m = models::LinearRegression::from_weights(&[2.0f32, -3.0], 4.5)?;
    /// let (ew, eb) = m.param_error(&[2.0, -3.4], 4.2);
    /// assert!((ew - 0.4).abs() < 1e-6 && (eb - 0.3).abs() < 1e-6);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn param_error(&self, w_true: &[f64], b_true: f64) -> (f64, f64) {
        let w = self
            .weight()
            .iter()
            .enumerate()
            .map(|(j, &w)| (w.to_f64() - w_true.get(j).copied().unwrap_or(0.0)).powi(2))
            .sum::<f64>()
            .sqrt();
        (w, (self.bias().to_f64() - b_true).abs())
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

one_layer_model!(LinearRegression, Criterion::HalfSquaredError);

/// The buffers [`LinearRegression`] reuses for byte inputs: one row scaled
/// (for evaluation), and the batch's rows scaled, their targets and their
/// positions in batch order (for the fused gradient). Real inputs are read
/// in place, by index.
#[derive(Debug)]
pub struct LinRegWorkspace<T> {
    row: Vec<T>,
    rows: Vec<T>,
    targets: Vec<T>,
    order: Vec<usize>,
}

impl<T> Default for LinRegWorkspace<T> {
    fn default() -> Self {
        LinRegWorkspace {
            row: Vec::new(),
            rows: Vec::new(),
            targets: Vec::new(),
            order: Vec::new(),
        }
    }
}

/// Row `r` of the inputs: in place for real inputs, scaled into `buf` for
/// bytes.
fn input_row<'a: 'b, 'b, T: Element>(data: &Data<'a, T>, r: usize, buf: &'b mut Vec<T>) -> &'b [T] {
    let d = data.features();
    match data.inputs() {
        Inputs::Real(x) => &x[r * d..r * d + d],
        Inputs::Bytes { bytes, scale } => {
            buf.clear();
            push_scaled(bytes, &scale, d, r, buf);
            buf
        }
    }
}

/// Appends row `r` of byte inputs (`d` per row), scaled, to `out`.
fn push_scaled<T: Element>(
    bytes: &[u8],
    scale: &U8Scale<'_, T>,
    d: usize,
    r: usize,
    out: &mut Vec<T>,
) {
    let row = &bytes[r * d..r * d + d];
    out.extend(row.iter().enumerate().map(|(j, &b)| scale.apply(b, j)));
}

impl<T: Element> LinearRegression<T> {
    /// The batch's targets, after the checks of [`Model::check`].
    fn targets<'a>(&self, op: &'static str, batch: &Batch<'a, T>) -> Result<&'a [T]> {
        check_net(self, batch.data())?;
        match batch.data().targets() {
            crate::model::Targets::Values(y) => Ok(y),
            crate::model::Targets::Classes { .. } => Err(Error::InvalidArgument {
                op,
                arg: "targets",
                value: f64::NAN,
                requirement: "real values",
            }),
        }
    }
}

/// The hand-fused gradient of the book's squared loss averaged over a
/// batch of `B` rows, with residuals `rᵢ = xᵢ·w + b − yᵢ`:
/// `∂ℓ/∂w = (1/B) Σᵢ rᵢ xᵢ`, `∂ℓ/∂b = (1/B) Σᵢ rᵢ`, by plain loops (with a
/// handful of features, the book has 2, a GEMM's setup would cost more
/// than the work), one fused multiply-add per term
/// ([`kernels::lsq_grad`]).
impl<T: Element> Model for LinearRegression<T> {
    type Workspace = LinRegWorkspace<T>;

    fn check(&self, data: &Data<'_, T>) -> Result<()> {
        check_net(self, data)
    }

    fn loss_and_grad(
        &self,
        batch: &Batch<'_, T>,
        grads: &mut [Vec<T>],
        ws: &mut LinRegWorkspace<T>,
    ) -> Result<Sums> {
        const OP: &str = "LinearRegression::loss_and_grad";
        check_grads(OP, self, grads)?;
        let y = self.targets(OP, batch)?;
        let w = self.linear.weight.as_slice();
        let (dw, rest) = grads.split_first_mut().expect("check_grads: a weight");
        let data = batch.data();
        let d = data.features();
        let sums = match data.inputs() {
            Inputs::Real(x) => kernels::lsq_grad(x, d, batch.rows(), y, w, self.bias(), dw),
            Inputs::Bytes { bytes, scale } => {
                // The batch's rows scaled into the workspace, in order.
                let LinRegWorkspace {
                    rows,
                    targets,
                    order,
                    ..
                } = ws;
                rows.clear();
                targets.clear();
                order.clear();
                for (k, &i) in batch.rows().iter().enumerate() {
                    push_scaled(bytes, &scale, d, i, rows);
                    targets.push(y[i]);
                    order.push(k);
                }
                kernels::lsq_grad(rows, d, order, targets, w, self.bias(), dw)
            }
        };
        let inv = T::ONE / T::from_usize(batch.batch_size());
        dw.iter_mut().for_each(|g| *g *= inv);
        if let Some(gb) = rest.first_mut() {
            gb[0] = sums.bias_grad * inv;
        }
        Ok(Sums {
            loss: sums.loss,
            correct: None,
        })
    }

    /// The summed loss in `f64` (each prediction accumulated in `f64`).
    fn evaluate(&self, batch: &Batch<'_, T>, ws: &mut LinRegWorkspace<T>) -> Result<Sums> {
        let y = self.targets("LinearRegression::evaluate", batch)?;
        let w = self.linear.weight.as_slice();
        let b = self.bias().to_f64();
        let mut loss = 0.0f64;
        for &i in batch.rows() {
            let x = input_row(batch.data(), i, &mut ws.row);
            let y_hat = x
                .iter()
                .zip(w)
                .fold(b, |acc, (&xj, &wj)| acc + xj.to_f64() * wj.to_f64());
            let r = y_hat - y[i].to_f64();
            loss += 0.5 * r * r;
        }
        Ok(Sums {
            loss,
            correct: None,
        })
    }
}
