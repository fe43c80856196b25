//! The op set. Each primitive is defined once, in its family's file, by
//! three rules side by side:
//!
//! - `forward`: the value, on plain [`Tensor`]s, through `kernels`;
//! - `jvp`: the tangent of the output from the tangents of the inputs
//!   (forward mode), written against the generic [`Value`] trait;
//! - `vjp`: the cotangents of the inputs from the cotangent of the output
//!   (reverse mode), also written against [`Value`].
//!
//! Because the derivative rules are themselves generic code over [`Value`],
//! running reverse mode over dual numbers differentiates the rules again:
//! that is how [`crate::hvp`] gets forward-over-reverse for free.
//!
//! Missing tangents (`None`) stand for zero so constants cost nothing, and
//! `vjp` only computes the cotangents whose `needs` flag is set.
//!
//! Every JVP rule also takes a *batch*: `Some(k)` when each tangent holds
//! `k` directions on a leading axis (shape `[k] ++ the primal's shape`, see
//! [`crate::Dual::batched`]). Elementwise rules work on a batch as they are,
//! by broadcasting the primal values over the leading axis; rules that name
//! axes shift them by one, and the matrix product folds the batch into the
//! rows of a single GEMM.

mod axes;
mod elementwise;
mod gather;
mod index;
mod lanes;
mod layout;
mod matmul;
mod reduce;
mod softmax;

pub(crate) use axes::extremum_lines;
pub use elementwise::{Binary, Unary};
pub use gather::Index;
pub(crate) use gather::{gather as gather_value, scatter_add as scatter_add_value};

use crate::error::{Error, Result};
use crate::shape::Shape;
use crate::tensor::Tensor;
use crate::value::Value;
use kernels::Element;
use std::sync::Arc;

/// One primitive op, with its parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum Op<T> {
    /// An elementwise function of one input.
    Unary(Unary<T>),
    /// An elementwise function of two inputs, with numpy broadcasting.
    Binary(Binary),
    /// `mask ? a : b` (the mask is a constant).
    Select(Tensor<T>),
    /// `op(A)·op(B)`, `op` transposing when the flag is set (ranks 1–2).
    MatMul {
        /// Transpose the first operand.
        ta: bool,
        /// Transpose the second operand.
        tb: bool,
    },
    /// Swap the last two axes.
    Transpose,
    /// Same elements, new shape.
    Reshape(Shape),
    /// Broadcast to a larger shape.
    BroadcastTo(Shape),
    /// Sum over broadcast axes down to a smaller shape.
    SumTo(Shape),
    /// `scale · Σ` over one axis (`Some`) or all (`None`).
    Sum {
        /// The axis, or all of them.
        axis: Option<usize>,
        /// Keep the reduced axis as length 1.
        keepdim: bool,
        /// Factor applied to the sum (`1/n` for a mean).
        scale: T,
    },
    /// Softmax along an axis.
    Softmax {
        /// The axis.
        axis: usize,
    },
    /// Log-softmax along an axis.
    LogSoftmax {
        /// The axis.
        axis: usize,
    },
    /// Logsumexp along an axis.
    LogSumExp {
        /// The axis.
        axis: usize,
        /// Keep the reduced axis as length 1.
        keepdim: bool,
    },
    /// The largest (`max`) or smallest element along an axis; the
    /// derivative is split evenly among tied elements.
    Extremum {
        /// The axis.
        axis: usize,
        /// Keep the reduced axis as length 1.
        keepdim: bool,
        /// `true` for the maximum, `false` for the minimum.
        max: bool,
    },
    /// The Euclidean norm over one axis (`Some`) or all (`None`).
    Norm {
        /// The axis, or all of them.
        axis: Option<usize>,
        /// Keep the reduced axes as length 1.
        keepdim: bool,
    },
    /// Axis `i` of the output is axis `perm[i]` of the input.
    Permute(Arc<[usize]>),
    /// `y[p] = x[p with axis ← index[p]]` (PyTorch's `gather`).
    GatherAxis {
        /// The axis the index points along.
        axis: usize,
        /// The positions, of the output's shape.
        index: Index,
    },
    /// The adjoint of [`Op::GatherAxis`]: zeros of `shape` with `y[p]`
    /// added at `p with axis ← index[p]`.
    ScatterAddAxis {
        /// The axis the index points along.
        axis: usize,
        /// The positions, of the input's shape.
        index: Index,
        /// The output's shape.
        shape: Shape,
    },
    /// `y[i] = x[i, index[i]]`.
    Gather(Arc<[usize]>),
    /// `y[i, index[i]] = x[i]`, zero elsewhere.
    Scatter {
        /// Column of each row.
        index: Arc<[usize]>,
        /// Number of columns of the output.
        cols: usize,
    },
}

impl<T: Element> Op<T> {
    /// The op's name, as used in error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Unary(u) => u.name(),
            Op::Binary(b) => b.name(),
            Op::Select(_) => "where",
            Op::MatMul { .. } => "matmul",
            Op::Transpose => "transpose",
            Op::Reshape(_) => "reshape",
            Op::BroadcastTo(_) => "broadcast_to",
            Op::SumTo(_) => "sum_to",
            Op::Sum { .. } => "sum",
            Op::Softmax { .. } => "softmax",
            Op::LogSoftmax { .. } => "log_softmax",
            Op::LogSumExp { .. } => "logsumexp",
            Op::Extremum { max: true, .. } => "amax",
            Op::Extremum { max: false, .. } => "amin",
            Op::Norm { .. } => "norm",
            Op::Permute(_) => "permute",
            Op::GatherAxis { .. } => "gather",
            Op::ScatterAddAxis { .. } => "scatter_add",
            Op::Gather(_) => "gather",
            Op::Scatter { .. } => "scatter",
        }
    }

    /// How many inputs the op takes.
    pub fn arity(&self) -> usize {
        match self {
            Op::Binary(_) | Op::Select(_) | Op::MatMul { .. } => 2,
            _ => 1,
        }
    }

    /// Checks the number of inputs.
    pub(crate) fn check_arity(&self, n: usize) -> Result<()> {
        if n != self.arity() {
            return Err(Error::Arity {
                op: self.name(),
                expected: self.arity(),
                got: n,
            });
        }
        Ok(())
    }

    /// Forward rule: the output value.
    pub(crate) fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>> {
        self.check_arity(xs.len())?;
        match self {
            Op::Unary(u) => Ok(elementwise::unary_forward(*u, xs[0])),
            Op::Binary(b) => elementwise::binary_forward(*b, xs[0], xs[1]),
            Op::Select(m) => elementwise::select_forward(m, xs[0], xs[1]),
            Op::MatMul { ta, tb } => matmul::forward(*ta, *tb, xs[0], xs[1]),
            Op::Transpose => layout::transpose_forward(xs[0]),
            Op::Reshape(s) => layout::reshape_forward(xs[0], *s),
            Op::BroadcastTo(s) => reduce::broadcast_forward(xs[0], *s),
            Op::SumTo(s) => reduce::sum_to_forward(xs[0], *s),
            Op::Sum {
                axis,
                keepdim,
                scale,
            } => reduce::sum_forward(xs[0], *axis, *keepdim, *scale),
            Op::Softmax { .. } | Op::LogSoftmax { .. } | Op::LogSumExp { .. } => {
                softmax::forward(self, xs[0])
            }
            Op::Extremum { axis, keepdim, max } => {
                axes::extremum_forward(xs[0], *axis, *keepdim, *max)
            }
            Op::Norm { axis, keepdim } => axes::norm_forward(xs[0], *axis, *keepdim),
            Op::Permute(p) => axes::permute_forward(xs[0], p),
            Op::GatherAxis { axis, index } => gather::gather_forward(xs[0], *axis, index),
            Op::ScatterAddAxis { axis, index, shape } => {
                gather::scatter_add_forward(xs[0], *axis, index, *shape)
            }
            Op::Gather(i) => index::gather_forward(xs[0], i),
            Op::Scatter { index, cols } => index::scatter_forward(xs[0], index, *cols),
        }
    }

    /// JVP rule: the output's tangent from the inputs' tangents (`None` =
    /// zero), each holding `k` directions on a leading axis if `batch` is `Some(k)`.
    pub(crate) fn jvp<V: Value<Elem = T>>(
        &self,
        xs: &[&V],
        y: &V,
        dxs: &[Option<&V>],
        batch: Option<usize>,
    ) -> Result<Option<V>> {
        if dxs.iter().all(Option::is_none) {
            return Ok(None);
        }
        let b = batch;
        let t = match self {
            Op::Unary(u) => elementwise::unary_jvp(*u, xs[0], y, dxs[0])?,
            Op::Binary(op) => elementwise::binary_jvp(*op, xs[0], xs[1], y, dxs[0], dxs[1], b)?,
            Op::Select(m) => elementwise::select_jvp(m, y, dxs[0], dxs[1], b)?,
            Op::MatMul { ta, tb } => matmul::jvp(*ta, *tb, xs[0], xs[1], dxs[0], dxs[1], b)?,
            Op::Transpose if xs[0].shape().rank() < 2 => dxs[0].cloned(),
            Op::Transpose => dxs[0].map(V::t).transpose()?,
            Op::Reshape(s) => dxs[0]
                .map(|d| d.reshape(batched_shape(b, *s)))
                .transpose()?,
            Op::BroadcastTo(s) => dxs[0]
                .map(|d| lift(d, b, s.rank())?.broadcast_to(batched_shape(b, *s)))
                .transpose()?,
            Op::SumTo(s) => dxs[0]
                .map(|d| reduce::sum_to_jvp(d, b, *s, xs[0].shape()))
                .transpose()?,
            Op::Sum {
                axis,
                keepdim,
                scale,
            } => dxs[0]
                .map(|d| reduce::sum_jvp(d, b, *axis, *keepdim, *scale, y.shape()))
                .transpose()?,
            Op::Softmax { .. } | Op::LogSoftmax { .. } | Op::LogSumExp { .. } => {
                softmax::jvp(self, xs[0], y, dxs[0], b)?
            }
            Op::Extremum { axis, keepdim, .. } => dxs[0]
                .map(|d| axes::extremum_jvp(xs[0], y, d, *axis, *keepdim, b))
                .transpose()?,
            Op::Norm { axis, keepdim } => dxs[0]
                .map(|d| axes::norm_jvp(xs[0], y, d, *axis, *keepdim, b))
                .transpose()?,
            Op::Permute(p) => dxs[0]
                .map(|d| match b {
                    None => d.permute(p),
                    Some(_) => d.permute(&axes::lane_perm(p)),
                })
                .transpose()?,
            // Linear: the same op on the tangent (lanes gathered alike).
            Op::GatherAxis { axis, index } => dxs[0]
                .map(|d| gather::gather(d, *axis, index))
                .transpose()?,
            Op::ScatterAddAxis { axis, index, shape } => dxs[0]
                .map(|d| gather::scatter_add(d, *axis, index, *shape))
                .transpose()?,
            Op::Gather(i) => dxs[0].map(|d| index::gather_jvp(d, i, b)).transpose()?,
            Op::Scatter { index, cols } => dxs[0]
                .map(|d| index::scatter_jvp(d, index, *cols, b))
                .transpose()?,
        };
        Ok(t)
    }

    /// VJP rule: the inputs' cotangents from the output's cotangent `gy`,
    /// computed only where `needs` is set; with `batch = Some(k)`, `gy`
    /// holds `k` cotangents on a leading axis and so do the results.
    pub(crate) fn vjp<V: Value<Elem = T>>(
        &self,
        xs: &[&V],
        y: &V,
        gy: &V,
        needs: [bool; 2],
        batch: Option<usize>,
    ) -> Result<[Option<V>; 2]> {
        if let Some(k) = batch {
            return self.vjp_lanes(xs, y, gy, needs, k);
        }
        let one = |g: Result<V>| -> Result<[Option<V>; 2]> { Ok([Some(g?), None]) };
        match self {
            Op::Unary(u) => one(elementwise::unary_vjp(*u, xs[0], y, gy)),
            Op::Binary(b) => elementwise::binary_vjp(*b, xs[0], xs[1], y, gy, needs, None),
            Op::Select(m) => elementwise::select_vjp(m, gy, needs),
            Op::MatMul { ta, tb } => matmul::vjp(*ta, *tb, xs[0], xs[1], gy, needs),
            Op::Transpose => one(gy.t()),
            Op::Reshape(_) => one(gy.reshape(xs[0].shape())),
            Op::BroadcastTo(_) => one(gy.sum_to(xs[0].shape())),
            Op::SumTo(_) => one(gy.broadcast_to(xs[0].shape())),
            Op::Sum { axis, scale, .. } => one(reduce::sum_vjp(xs[0], gy, *axis, *scale)),
            Op::Softmax { .. } | Op::LogSoftmax { .. } | Op::LogSumExp { .. } => {
                one(softmax::vjp(self, xs[0], y, gy))
            }
            Op::Extremum { axis, .. } => one(axes::extremum_vjp(xs[0], y, gy, *axis)),
            Op::Norm { axis, .. } => one(axes::norm_vjp(xs[0], y, gy, *axis)),
            Op::Permute(p) => one(gy.permute(&axes::inverse(p))),
            Op::GatherAxis { axis, index } => {
                one(gather::scatter_add(gy, *axis, index, xs[0].shape()))
            }
            Op::ScatterAddAxis { axis, index, .. } => one(gather::gather(gy, *axis, index)),
            Op::Gather(i) => one(gy.scatter(i.clone(), xs[0].shape().last())),
            Op::Scatter { index, .. } => one(gy.gather_arc(index.clone())),
        }
    }
}

/// `a + b` where either may be missing (zero); the result is broadcast to `shape`.
pub(crate) fn add_opt<V: Value>(a: Option<V>, b: Option<V>, shape: Shape) -> Result<Option<V>> {
    Ok(match (a, b) {
        (Some(a), Some(b)) => Some(a.add(&b)?),
        (Some(a), None) => Some(a.broadcast_to(shape)?),
        (None, Some(b)) => Some(b.broadcast_to(shape)?),
        (None, None) => None,
    })
}

/// The shape of a tangent of a value of shape `s`: `s`, or `[k] ++ s` for a batch of `k`.
pub(crate) fn batched_shape(batch: Option<usize>, s: Shape) -> Shape {
    match batch {
        None => s,
        Some(k) => s.prepend(k),
    }
}

/// A tangent `d` (of shape `[k] ++ s` in a batch) seen as `[k, 1, …, 1] ++ s`
/// of rank `1 + r`, so that it broadcasts lane by lane against values of
/// rank up to `r`. Unbatched tangents are returned as they are (numpy
/// broadcasting already aligns them).
pub(crate) fn lift<V: Value>(d: &V, batch: Option<usize>, r: usize) -> Result<V> {
    match batch {
        None => Ok(d.clone()),
        Some(k) => {
            let s = d.shape().tail();
            if s.rank() >= r {
                return Ok(d.clone());
            }
            d.reshape(s.pad_to(r).prepend(k))
        }
    }
}

/// `v` (of shape `[k] ++ s'` in a batch, `s'` of rank `r`) summed down to
/// `s` (which broadcasts to `s'`), each lane on its own: `[k] ++ s`.
pub(crate) fn sum_to_lanes<V: Value>(v: &V, batch: Option<usize>, s: Shape, r: usize) -> Result<V> {
    match batch {
        None => v.sum_to(s),
        Some(k) => v.sum_to(s.pad_to(r).prepend(k))?.reshape(s.prepend(k)),
    }
}
