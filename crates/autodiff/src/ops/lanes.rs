//! VJP rules on a batch of `k` cotangents stacked on a leading axis (shape
//! `[k] ++ the output's shape`), giving `k` cotangents of each input at
//! once: the reverse-mode counterpart of batched tangents, used by
//! [`crate::vjp_batched`] and [`crate::jacrev`]. Each rule is the op's VJP
//! with the reduced axes shifted past the batch axis; elementwise factors
//! broadcast over the lanes, and a matrix product pulls all lanes back
//! through one GEMM (the lanes stacked into the rows of one matrix).

use super::{Op, axes, elementwise, gather, index, matmul, reduce, softmax};
use crate::error::Result;
use crate::shape::Shape;
use crate::value::Value;
use kernels::Element;

impl<T: Element> Op<T> {
    /// The VJP rule on `k` cotangents `gy` of shape `[k] ++ y.shape`.
    pub(crate) fn vjp_lanes<V: Value<Elem = T>>(
        &self,
        xs: &[&V],
        y: &V,
        gy: &V,
        needs: [bool; 2],
        k: usize,
    ) -> Result<[Option<V>; 2]> {
        let b = Some(k);
        let one = |g: Result<V>| -> Result<[Option<V>; 2]> { Ok([Some(g?), None]) };
        let x = xs[0];
        let xs0 = x.shape();
        let lanes = |s: Shape| s.prepend(k);
        match self {
            Op::Unary(u) => one(elementwise::unary_vjp(*u, x, y, gy)),
            Op::Binary(op) => elementwise::binary_vjp(*op, x, xs[1], y, gy, needs, b),
            Op::Select(m) => elementwise::select_vjp_lanes(m, gy, needs, k),
            Op::MatMul { ta, tb } => matmul::vjp_lanes(*ta, *tb, x, xs[1], gy, needs, k),
            Op::Transpose if xs0.rank() < 2 => one(Ok(gy.clone())),
            Op::Transpose => one(gy.t()),
            Op::Reshape(_) => one(gy.reshape(lanes(xs0))),
            Op::BroadcastTo(_) => one(super::sum_to_lanes(gy, b, xs0, y.shape().rank())),
            Op::SumTo(_) => one(super::lift(gy, b, xs0.rank())?.broadcast_to(lanes(xs0))),
            Op::Sum { axis, scale, .. } => {
                let g = if *scale == T::ONE {
                    gy.clone()
                } else {
                    gy.mul_scalar(scale.to_f64())?
                };
                let kept = reduce::reduced_shape(xs0, *axis, true)?;
                one(g.reshape(lanes(kept))?.broadcast_to(lanes(xs0)))
            }
            Op::Softmax { .. } | Op::LogSoftmax { .. } | Op::LogSumExp { .. } => {
                one(softmax::vjp_lanes(self, x, y, gy, k))
            }
            Op::Extremum { axis, .. } => one(axes::extremum_vjp_lanes(x, y, gy, *axis, k)),
            Op::Norm { axis, .. } => one(axes::norm_vjp_lanes(x, y, gy, *axis, k)),
            Op::Permute(p) => one(gy.permute(&axes::lane_perm(&axes::inverse(p)))),
            Op::GatherAxis { axis, index } => one(gather::scatter_add(gy, *axis, index, xs0)),
            Op::ScatterAddAxis { axis, index, .. } => one(gather::gather(gy, *axis, index)),
            Op::Gather(i) => one(index::scatter_jvp(gy, i, xs0.last(), b)),
            Op::Scatter { index, .. } => one(index::gather_jvp(gy, index, b)),
        }
    }
}
