//! [`Value`]: the one trait the op set is written against.
//!
//! Plain tensors, forward-mode duals and reverse-mode variables all
//! implement it, so a function written once as
//! `fn f<V: Value>(x: &V) -> Result<V>` runs plainly, under forward mode
//! ([`crate::jvp`]) and under reverse mode ([`crate::grad`]), and under
//! their nestings ([`crate::hvp`]).

use crate::error::Result;
use crate::ops::{Binary, Op, Unary};
use crate::shape::Shape;
use crate::tensor::{IntoShape, Tensor};
use kernels::Element;
use std::sync::Arc;

/// A differentiable value: a [`Tensor`], a [`crate::Dual`] or a [`crate::Var`].
///
/// Implementors supply [`Value::apply`] (how to run one primitive [`Op`]) and
/// a few accessors; every op method below is provided on top of `apply`.
/// Ops return `Result` because operand shapes are checked at run time.
pub trait Value: Clone + core::fmt::Debug + Sized {
    /// The element type (`f32` or `f64`).
    type Elem: Element;

    /// The shape.
    fn shape(&self) -> Shape;

    /// A constant (derivative zero in every mode) holding `t`.
    fn constant(t: Tensor<Self::Elem>) -> Self;

    /// The plain value underneath every derivative level.
    fn tensor(&self) -> Tensor<Self::Elem>;

    /// Applies one primitive op to `inputs` (one or two of them).
    ///
    /// # Errors
    /// Whatever the op's shape checks report, as [`crate::Error`].
    fn apply(op: &Op<Self::Elem>, inputs: &[&Self]) -> Result<Self>;

    /// The same value with its derivative cut off at this level (PyTorch's
    /// `detach`, JAX's `stop_gradient`): a reverse-mode variable becomes a
    /// constant of the tape, a dual number loses its tangent.
    fn detach(&self) -> Self;

    /// `self += other` for two values of the same shape; tensors accumulate
    /// in place when their storage is not shared.
    ///
    /// # Errors
    /// [`crate::Error::Shape`] if the shapes do not broadcast.
    fn accumulate(&mut self, other: Self) -> Result<()> {
        *self = self.add(&other)?;
        Ok(())
    }

    /// A constant scalar.
    fn scalar(x: f64) -> Self {
        Self::constant(Tensor::scalar(Self::Elem::from_f64(x)))
    }

    /// A constant of zeros with this value's shape.
    fn zeros_like(&self) -> Self {
        Self::constant(Tensor::zeros(self.shape()))
    }

    /// Number of elements.
    fn numel(&self) -> usize {
        self.shape().numel()
    }

    // ---- elementwise, binary (numpy broadcasting) ----

    /// `self + other`, broadcasting.
    fn add(&self, other: &Self) -> Result<Self> {
        Self::apply(&Op::Binary(Binary::Add), &[self, other])
    }
    /// `self − other`, broadcasting.
    fn sub(&self, other: &Self) -> Result<Self> {
        Self::apply(&Op::Binary(Binary::Sub), &[self, other])
    }
    /// `self · other` elementwise, broadcasting.
    fn mul(&self, other: &Self) -> Result<Self> {
        Self::apply(&Op::Binary(Binary::Mul), &[self, other])
    }
    /// `self / other` elementwise, broadcasting.
    fn div(&self, other: &Self) -> Result<Self> {
        Self::apply(&Op::Binary(Binary::Div), &[self, other])
    }
    /// Elementwise maximum, broadcasting. Subgradient: at ties each operand
    /// receives half of the incoming derivative (PyTorch's convention).
    fn maximum(&self, other: &Self) -> Result<Self> {
        Self::apply(&Op::Binary(Binary::Maximum), &[self, other])
    }
    /// Elementwise minimum, broadcasting; ties split the derivative in half.
    fn minimum(&self, other: &Self) -> Result<Self> {
        Self::apply(&Op::Binary(Binary::Minimum), &[self, other])
    }
    /// `mask ? a : b` elementwise (`mask` nonzero picks `a`); all three of one shape.
    /// The mask is a constant; derivatives flow to the branch that was picked.
    fn select(mask: &Tensor<Self::Elem>, a: &Self, b: &Self) -> Result<Self> {
        Self::apply(&Op::Select(mask.clone()), &[a, b])
    }

    // ---- elementwise, unary ----

    /// `−x`.
    fn neg(&self) -> Result<Self> {
        self.unary(Unary::Neg)
    }
    /// `x + c`.
    fn add_scalar(&self, c: f64) -> Result<Self> {
        self.unary(Unary::AddScalar(Self::Elem::from_f64(c)))
    }
    /// `x · c`.
    fn mul_scalar(&self, c: f64) -> Result<Self> {
        self.unary(Unary::MulScalar(Self::Elem::from_f64(c)))
    }
    /// `eˣ`.
    fn exp(&self) -> Result<Self> {
        self.unary(Unary::Exp)
    }
    /// `ln x`.
    fn log(&self) -> Result<Self> {
        self.unary(Unary::Log)
    }
    /// `1 / x`.
    fn recip(&self) -> Result<Self> {
        self.unary(Unary::Recip)
    }
    /// `√x`.
    fn sqrt(&self) -> Result<Self> {
        self.unary(Unary::Sqrt)
    }
    /// `x²`.
    fn square(&self) -> Result<Self> {
        self.unary(Unary::Square)
    }
    /// `xᵖ` for a constant exponent `p`.
    fn powf(&self, p: f64) -> Result<Self> {
        self.unary(Unary::Powf(Self::Elem::from_f64(p)))
    }
    /// `|x|`; subgradient 0 at 0.
    fn abs(&self) -> Result<Self> {
        self.unary(Unary::Abs)
    }
    /// `max(x, 0)`; subgradient 0 at 0.
    fn relu(&self) -> Result<Self> {
        self.unary(Unary::Relu)
    }
    /// The logistic function `1 / (1 + e⁻ˣ)`.
    fn sigmoid(&self) -> Result<Self> {
        self.unary(Unary::Sigmoid)
    }
    /// `tanh x`.
    fn tanh(&self) -> Result<Self> {
        self.unary(Unary::Tanh)
    }
    /// `ln(1 + eˣ)`, computed without overflow.
    fn softplus(&self) -> Result<Self> {
        self.unary(Unary::Softplus)
    }
    /// `ln σ(x) = −softplus(−x)`, computed without overflow.
    fn log_sigmoid(&self) -> Result<Self> {
        self.unary(Unary::LogSigmoid)
    }
    /// `min(max(x, lo), hi)` for scalar bounds; derivative 1 strictly inside
    /// `(lo, hi)` and 0 elsewhere, including exactly at a bound (PyTorch 2.15).
    fn clamp(&self, lo: f64, hi: f64) -> Result<Self> {
        self.unary(Unary::Clamp(
            Self::Elem::from_f64(lo),
            Self::Elem::from_f64(hi),
        ))
    }
    /// `min(max(x, lo), hi)` with tensor bounds (broadcasting), which may
    /// themselves be differentiated. Where `x` equals a bound the derivative
    /// is split evenly, ½ to `x` and ½ to the bound (PyTorch 2.15), as for
    /// [`Value::maximum`] and [`Value::minimum`].
    fn clamp_tensor(&self, lo: &Self, hi: &Self) -> Result<Self> {
        self.maximum(lo)?.minimum(hi)
    }
    /// Applies a unary elementwise op.
    fn unary(&self, u: Unary<Self::Elem>) -> Result<Self> {
        Self::apply(&Op::Unary(u), &[self])
    }

    // ---- linear algebra and layout ----

    /// Matrix product with `torch.matmul`'s rules: `(m,k)·(k,n)`,
    /// `(m,k)·(k)`, `(k)·(k,n)`, `(k)·(k)` (a dot product, rank 0), and for
    /// operands of rank 3 or more a stack of matrix products over the
    /// leading (batch) axes, which broadcast (`(b,m,k)·(k,n)`,
    /// `(b,1,m,k)·(c,k,n)`, …; a vector against a stack is a row or a column).
    fn matmul(&self, other: &Self) -> Result<Self> {
        self.matmul_t(other, false, false)
    }
    /// `op(self)·op(other)` where `op` swaps the last two axes of an operand
    /// of rank 2 or more when its flag is set — through a strided view,
    /// without copying.
    fn matmul_t(&self, other: &Self, transpose_self: bool, transpose_other: bool) -> Result<Self> {
        let (ra, rb) = (self.shape().rank(), other.shape().rank());
        if ra.max(rb) >= 3
            && ra.min(rb) == 1
            && !(ra == 1 && transpose_self)
            && !(rb == 1 && transpose_other)
        {
            // A vector against a stack: a (1, k) row or a (k, 1) column,
            // whose unit axis is dropped from the result.
            let drop = |y: Self, axis_from_end: usize| -> Result<Self> {
                let s = y.shape();
                y.reshape(s.remove(s.rank() - axis_from_end))
            };
            return if ra == 1 {
                let row = self.reshape([1, self.numel()])?;
                drop(row.matmul_t(other, false, transpose_other)?, 2)
            } else {
                let col = other.reshape([other.numel(), 1])?;
                drop(self.matmul_t(&col, transpose_self, false)?, 1)
            };
        }
        Self::apply(
            &Op::MatMul {
                ta: transpose_self,
                tb: transpose_other,
            },
            &[self, other],
        )
    }
    /// Dot product of two vectors (a rank-0 result).
    fn dot(&self, other: &Self) -> Result<Self> {
        self.matmul(other)
    }
    /// Swaps the last two axes (identity for rank 0 and 1).
    fn t(&self) -> Result<Self> {
        if self.shape().rank() < 2 {
            return Ok(self.clone());
        }
        Self::apply(&Op::Transpose, &[self])
    }
    /// The same elements in another shape with as many elements.
    fn reshape(&self, shape: impl IntoShape) -> Result<Self> {
        let shape = shape.into_shape()?;
        if shape == self.shape() {
            return Ok(self.clone());
        }
        Self::apply(&Op::Reshape(shape), &[self])
    }
    /// Broadcasts (numpy rules) to a larger shape.
    fn broadcast_to(&self, shape: impl IntoShape) -> Result<Self> {
        let shape = shape.into_shape()?;
        if shape == self.shape() {
            return Ok(self.clone());
        }
        Self::apply(&Op::BroadcastTo(shape), &[self])
    }
    /// Sums over the axes along which `shape` was broadcast to this value's
    /// shape (the adjoint of [`Value::broadcast_to`]).
    fn sum_to(&self, shape: impl IntoShape) -> Result<Self> {
        let shape = shape.into_shape()?;
        if shape == self.shape() {
            return Ok(self.clone());
        }
        Self::apply(&Op::SumTo(shape), &[self])
    }

    // ---- reductions ----

    /// Sum of all elements (rank 0).
    fn sum(&self) -> Result<Self> {
        self.reduce(None, false, 1.0)
    }
    /// Mean of all elements (rank 0).
    fn mean(&self) -> Result<Self> {
        let n = self.numel();
        self.reduce(None, false, 1.0 / n as f64)
    }
    /// Sum along `axis`, keeping it as length 1 if `keepdim`.
    fn sum_axis(&self, axis: usize, keepdim: bool) -> Result<Self> {
        self.reduce(Some(axis), keepdim, 1.0)
    }
    /// Mean along `axis`, keeping it as length 1 if `keepdim`.
    fn mean_axis(&self, axis: usize, keepdim: bool) -> Result<Self> {
        let n = self.shape().get(axis).copied().unwrap_or(1);
        self.reduce(Some(axis), keepdim, 1.0 / n as f64)
    }
    /// `scale · Σ` over one axis or all of them.
    fn reduce(&self, axis: Option<usize>, keepdim: bool, scale: f64) -> Result<Self> {
        Self::apply(
            &Op::Sum {
                axis,
                keepdim,
                scale: Self::Elem::from_f64(scale),
            },
            &[self],
        )
    }

    // ---- softmax family ----

    /// Softmax along the last axis.
    fn softmax(&self) -> Result<Self> {
        self.softmax_axis(last_axis(self))
    }
    /// `x − logsumexp(x)` along the last axis.
    fn log_softmax(&self) -> Result<Self> {
        self.log_softmax_axis(last_axis(self))
    }
    /// `log Σ exp x` along the last axis (which is removed).
    fn logsumexp(&self) -> Result<Self> {
        self.logsumexp_axis(last_axis(self), false)
    }
    /// Softmax along `axis` (PyTorch's `softmax(x, dim=axis)`).
    fn softmax_axis(&self, axis: usize) -> Result<Self> {
        Self::apply(&Op::Softmax { axis }, &[self])
    }
    /// Log-softmax along `axis`.
    fn log_softmax_axis(&self, axis: usize) -> Result<Self> {
        Self::apply(&Op::LogSoftmax { axis }, &[self])
    }
    /// `log Σ exp x` along `axis`, keeping it as length 1 if `keepdim`.
    fn logsumexp_axis(&self, axis: usize, keepdim: bool) -> Result<Self> {
        Self::apply(&Op::LogSumExp { axis, keepdim }, &[self])
    }

    // ---- reductions along an axis ----

    /// The largest element along `axis` (PyTorch's `amax`); where several
    /// elements tie for it, the derivative is split evenly among them.
    fn amax(&self, axis: usize, keepdim: bool) -> Result<Self> {
        Self::apply(
            &Op::Extremum {
                axis,
                keepdim,
                max: true,
            },
            &[self],
        )
    }
    /// The smallest element along `axis` (PyTorch's `amin`), ties as [`Value::amax`].
    fn amin(&self, axis: usize, keepdim: bool) -> Result<Self> {
        Self::apply(
            &Op::Extremum {
                axis,
                keepdim,
                max: false,
            },
            &[self],
        )
    }
    /// The position of the largest element along `axis` (the first of
    /// equal ones; a NaN counts as largest), row-major over the other axes
    /// (the shape of `amax(axis, false)`). Not differentiable: read off the value.
    ///
    /// # Errors
    /// [`crate::Error::AxisOutOfRange`]; [`crate::Error::BadRank`] for an empty axis.
    fn argmax(&self, axis: usize) -> Result<Vec<usize>> {
        Ok(crate::ops::extremum_lines("argmax", &self.tensor(), axis, true)?.0)
    }
    /// The position of the smallest element along `axis`, as [`Value::argmax`].
    ///
    /// # Errors
    /// As [`Value::argmax`].
    fn argmin(&self, axis: usize) -> Result<Vec<usize>> {
        Ok(crate::ops::extremum_lines("argmin", &self.tensor(), axis, false)?.0)
    }
    /// The Euclidean norm of all elements (rank 0), PyTorch's
    /// `linalg.vector_norm`; its derivative `x/‖x‖` is taken as 0 at `x = 0`.
    fn norm(&self) -> Result<Self> {
        Self::apply(
            &Op::Norm {
                axis: None,
                keepdim: false,
            },
            &[self],
        )
    }
    /// The Euclidean norm along `axis`, keeping it as length 1 if `keepdim`.
    fn norm_axis(&self, axis: usize, keepdim: bool) -> Result<Self> {
        Self::apply(
            &Op::Norm {
                axis: Some(axis),
                keepdim,
            },
            &[self],
        )
    }

    // ---- permutation ----

    /// The axes reordered: axis `i` of the result is axis `perm[i]` of this
    /// value (PyTorch's `permute`). Copies the elements.
    fn permute(&self, perm: &[usize]) -> Result<Self> {
        if perm.iter().enumerate().all(|(i, &p)| i == p) && perm.len() == self.shape().rank() {
            return Ok(self.clone());
        }
        Self::apply(&Op::Permute(Arc::from(perm)), &[self])
    }

    /// The largest element along `axis` and its position (PyTorch's
    /// `max(dim)`): the values, and the positions row-major over the other
    /// axes. The derivative flows to that one position (unlike
    /// [`Value::amax`], which splits it among ties).
    ///
    /// # Errors
    /// As [`Value::argmax`].
    fn max_axis(&self, axis: usize, keepdim: bool) -> Result<(Self, Vec<usize>)> {
        extreme_at(self, axis, keepdim, true)
    }
    /// The smallest element along `axis` and its position, as [`Value::max_axis`].
    ///
    /// # Errors
    /// As [`Value::argmax`].
    fn min_axis(&self, axis: usize, keepdim: bool) -> Result<(Self, Vec<usize>)> {
        extreme_at(self, axis, keepdim, false)
    }

    // ---- indexing ----

    /// Picks along `axis` (PyTorch's `gather(x, axis, index)`): the result
    /// has the index's shape and `y[p] = x[p with axis ← index[p]]`. The
    /// index has this value's rank and is no longer along the other axes.
    fn gather_axis(&self, axis: usize, index: &crate::ops::Index) -> Result<Self> {
        let s = self.shape();
        if index.shape().rank() != s.rank() {
            return Err(crate::Error::Shape(crate::ShapeError {
                op: "gather",
                what: "the input vs the index",
                left: s,
                right: index.shape(),
            }));
        }
        crate::ops::gather_value(self, axis, index)
    }
    /// The adjoint of [`Value::gather_axis`] (PyTorch's `scatter_add` into
    /// zeros): a value of shape `shape` holding the sum of this value's
    /// elements sent to each position `p with axis ← index[p]`.
    fn scatter_add_axis(
        &self,
        axis: usize,
        index: &crate::ops::Index,
        shape: impl IntoShape,
    ) -> Result<Self> {
        let s = self.shape();
        if index.shape() != s {
            return Err(crate::Error::Shape(crate::ShapeError {
                op: "scatter_add",
                what: "the input vs the index",
                left: s,
                right: index.shape(),
            }));
        }
        crate::ops::scatter_add_value(self, axis, index, shape.into_shape()?)
    }

    /// For a `(rows, cols)` matrix, picks `x[i, index[i]]` from each row (a
    /// vector of `rows`): what cross-entropy with class labels needs.
    fn gather(&self, index: &[usize]) -> Result<Self> {
        self.gather_arc(Arc::from(index))
    }
    /// [`Value::gather`] with shared indices (no copy of them).
    fn gather_arc(&self, index: Arc<[usize]>) -> Result<Self> {
        Self::apply(&Op::Gather(index), &[self])
    }
    /// The adjoint of [`Value::gather`]: a `(rows, cols)` matrix of zeros with
    /// `y[i]` at `[i, index[i]]`.
    fn scatter(&self, index: Arc<[usize]>, cols: usize) -> Result<Self> {
        Self::apply(&Op::Scatter { index, cols }, &[self])
    }
}

/// The last axis of `x` (0 for a scalar, for which the op then reports
/// [`crate::Error::AxisOutOfRange`]).
fn last_axis<V: Value>(x: &V) -> usize {
    x.shape().rank().saturating_sub(1)
}

/// The values at the extremum along `axis` and their positions.
fn extreme_at<V: Value>(x: &V, axis: usize, keepdim: bool, max: bool) -> Result<(V, Vec<usize>)> {
    let op = if max { "max" } else { "min" };
    let (pos, _) = crate::ops::extremum_lines(op, &x.tensor(), axis, max)?;
    let s = x.shape();
    let index = crate::ops::Index::new(pos.clone(), s.with_one(axis))?;
    let y = x.gather_axis(axis, &index)?;
    let y = if keepdim {
        y
    } else {
        y.reshape(s.remove(axis))?
    };
    Ok((y, pos))
}
