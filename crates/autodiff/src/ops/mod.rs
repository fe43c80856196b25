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

mod elementwise;
mod index;
mod layout;
mod matmul;
mod reduce;
mod softmax;

pub use elementwise::{Binary, Unary};

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
    /// Softmax along the last axis.
    Softmax,
    /// Log-softmax along the last axis.
    LogSoftmax,
    /// Logsumexp along the last axis (removing it).
    LogSumExp,
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
            Op::Softmax => "softmax",
            Op::LogSoftmax => "log_softmax",
            Op::LogSumExp => "logsumexp",
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
            Op::Softmax | Op::LogSoftmax | Op::LogSumExp => softmax::forward(self, xs[0]),
            Op::Gather(i) => index::gather_forward(xs[0], i),
            Op::Scatter { index, cols } => index::scatter_forward(xs[0], index, *cols),
        }
    }

    /// JVP rule: the output's tangent from the inputs' tangents (`None` = zero).
    pub(crate) fn jvp<V: Value<Elem = T>>(
        &self,
        xs: &[&V],
        y: &V,
        dxs: &[Option<&V>],
    ) -> Result<Option<V>> {
        if dxs.iter().all(Option::is_none) {
            return Ok(None);
        }
        let t = match self {
            Op::Unary(u) => elementwise::unary_jvp(*u, xs[0], y, dxs[0])?,
            Op::Binary(b) => elementwise::binary_jvp(*b, xs[0], xs[1], y, dxs[0], dxs[1])?,
            Op::Select(m) => elementwise::select_jvp(m, y, dxs[0], dxs[1])?,
            Op::MatMul { ta, tb } => matmul::jvp(*ta, *tb, xs[0], xs[1], dxs[0], dxs[1])?,
            Op::Transpose => dxs[0].map(V::t).transpose()?,
            Op::Reshape(s) => dxs[0].map(|d| d.reshape(*s)).transpose()?,
            Op::BroadcastTo(s) => dxs[0].map(|d| d.broadcast_to(*s)).transpose()?,
            Op::SumTo(s) => dxs[0].map(|d| d.sum_to(*s)).transpose()?,
            Op::Sum { .. } => dxs[0].map(|d| V::apply(self, &[d])).transpose()?,
            Op::Softmax | Op::LogSoftmax | Op::LogSumExp => softmax::jvp(self, xs[0], y, dxs[0])?,
            Op::Gather(i) => dxs[0].map(|d| d.gather_arc(i.clone())).transpose()?,
            Op::Scatter { index, cols } => dxs[0]
                .map(|d| d.scatter(index.clone(), *cols))
                .transpose()?,
        };
        Ok(t)
    }

    /// VJP rule: the inputs' cotangents from the output's cotangent `gy`,
    /// computed only where `needs` is set.
    pub(crate) fn vjp<V: Value<Elem = T>>(
        &self,
        xs: &[&V],
        y: &V,
        gy: &V,
        needs: [bool; 2],
    ) -> Result<[Option<V>; 2]> {
        let one = |g: Result<V>| -> Result<[Option<V>; 2]> { Ok([Some(g?), None]) };
        match self {
            Op::Unary(u) => one(elementwise::unary_vjp(*u, xs[0], y, gy)),
            Op::Binary(b) => elementwise::binary_vjp(*b, xs[0], xs[1], y, gy, needs),
            Op::Select(m) => elementwise::select_vjp(m, gy, needs),
            Op::MatMul { ta, tb } => matmul::vjp(*ta, *tb, xs[0], xs[1], gy, needs),
            Op::Transpose => one(gy.t()),
            Op::Reshape(_) => one(gy.reshape(xs[0].shape())),
            Op::BroadcastTo(_) => one(gy.sum_to(xs[0].shape())),
            Op::SumTo(_) => one(gy.broadcast_to(xs[0].shape())),
            Op::Sum { axis, scale, .. } => one(reduce::sum_vjp(xs[0], gy, *axis, *scale)),
            Op::Softmax | Op::LogSoftmax | Op::LogSumExp => one(softmax::vjp(self, xs[0], y, gy)),
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
