//! The softmax family along any axis, through `kernels`' stable row
//! kernels (each subtracts the row maximum before exponentiating):
//! `log_softmax(x) = x − max − log Σ exp(x − max)`. Along an axis other than
//! the last, the axis is first moved to the end (a copy), so that the
//! kernels always see contiguous rows.
//!
//! Derivations, with `p = softmax(x)` along the axis and `⟨u, v⟩` the inner
//! product along it:
//! - `∂pᵢ/∂xⱼ = pᵢ(δᵢⱼ − pⱼ)`, so `ṗ = p·(ẋ − ⟨p, ẋ⟩)`; the Jacobian is
//!   symmetric, so the VJP is the same formula with `ȳ`: `x̄ = p·(ȳ − ⟨p, ȳ⟩)`.
//! - `log_softmax = x − lse(x)`, `∂lse/∂x = p`: tangent `ẋ − ⟨p, ẋ⟩`,
//!   cotangent `x̄ = ȳ − p·Σȳ`; `p = exp(y)` is read off the output.
//! - `lse`: tangent `⟨p, ẋ⟩`, cotangent `x̄ = p·ȳ` (ȳ broadcast along the axis).
//!
//! Over a batch of tangents the inner products run along the axis shifted
//! by the leading batch axis; `p` broadcasts over the lanes.

use super::Op;
use crate::error::{Error, Result};
use crate::shape::Shape;
use crate::tensor::Tensor;
use crate::value::Value;
use kernels::Element;

/// The axis an op of this family acts along.
fn axis_of<T>(op: &Op<T>) -> usize {
    match op {
        Op::Softmax { axis } | Op::LogSoftmax { axis } | Op::LogSumExp { axis, .. } => *axis,
        _ => unreachable!("not a softmax-family op"),
    }
}

/// Swaps the last two axes of `blocks` stacked `rows × cols` matrices.
pub(crate) fn transpose_blocks<T: Element>(src: &[T], rows: usize, cols: usize) -> Vec<T> {
    let mut out = vec![T::ZERO; src.len()];
    let block = rows * cols;
    if block > 0 {
        for (o, i) in out.chunks_exact_mut(block).zip(src.chunks_exact(block)) {
            for r in 0..rows {
                for c in 0..cols {
                    o[c * rows + r] = i[r * cols + c];
                }
            }
        }
    }
    out
}

pub(crate) fn forward<T: Element>(op: &Op<T>, x: &Tensor<T>) -> Result<Tensor<T>> {
    let s = x.shape();
    let axis = axis_of(op);
    if axis >= s.rank() {
        return Err(Error::AxisOutOfRange {
            op: op.name(),
            axis,
            rank: s.rank(),
        });
    }
    let n = s[axis];
    let inner: usize = s[axis + 1..].iter().product();
    // Rows along the axis, contiguous.
    let moved;
    let d = if inner == 1 {
        x.as_slice()
    } else {
        moved = transpose_blocks(x.as_slice(), n, inner);
        &moved[..]
    };
    // Back from rows along the axis to the input's layout.
    let back = |v: Vec<T>| {
        if inner == 1 {
            v
        } else {
            transpose_blocks(&v, inner, n)
        }
    };
    Ok(match op {
        Op::Softmax { .. } => {
            let mut out = vec![T::ZERO; d.len()];
            if n > 0 {
                kernels::softmax_rows(d, n, &mut out);
            }
            Tensor::from_parts(back(out), s)
        }
        Op::LogSoftmax { .. } => {
            let mut out = vec![T::ZERO; d.len()];
            if n > 0 {
                kernels::log_softmax_rows(d, n, &mut out);
            }
            Tensor::from_parts(back(out), s)
        }
        Op::LogSumExp { keepdim, .. } => {
            // The remaining axes keep their order, so the row results are
            // already laid out as the output.
            let out_shape: Shape = if *keepdim {
                s.with_one(axis)
            } else {
                s.remove(axis)
            };
            let mut out = vec![T::NEG_INFINITY; out_shape.numel()];
            if n > 0 {
                kernels::logsumexp_rows(d, n, &mut out);
            }
            Tensor::from_parts(out, out_shape)
        }
        _ => unreachable!("not a softmax-family op"),
    })
}

pub(crate) fn jvp<V: Value>(
    op: &Op<V::Elem>,
    x: &V,
    y: &V,
    dx: Option<&V>,
    batch: Option<usize>,
) -> Result<Option<V>> {
    let Some(dx) = dx else { return Ok(None) };
    let axis = axis_of(op);
    // The axis in the tangent's index space.
    let ta = axis + usize::from(batch.is_some());
    Ok(Some(match op {
        Op::Softmax { .. } => y.mul(&dx.sub(&y.mul(dx)?.sum_axis(ta, true)?)?)?,
        Op::LogSoftmax { .. } => dx.sub(&y.exp()?.mul(dx)?.sum_axis(ta, true)?)?,
        Op::LogSumExp { keepdim, .. } if x.shape().rank() == 1 => lse_vector_jvp(x, dx, *keepdim)?,
        Op::LogSumExp { keepdim, .. } => x.softmax_axis(axis)?.mul(dx)?.sum_axis(ta, *keepdim)?,
        _ => unreachable!("not a softmax-family op"),
    }))
}

/// The tangent of `logsumexp` of a vector: `⟨p, ẋ⟩`, one dot product, or
/// over a batch of tangents (the rows of a `k × n` matrix) one
/// matrix-vector product `Ẋ·p` — without forming the `k × n` products
/// `p·ẋ_l` that the general rule sums.
fn lse_vector_jvp<V: Value>(x: &V, dx: &V, keepdim: bool) -> Result<V> {
    let p = x.softmax_axis(0)?;
    let t = dx.matmul(&p)?;
    if keepdim {
        t.reshape(t.shape().concat(&Shape::from([1])))
    } else {
        Ok(t)
    }
}

pub(crate) fn vjp<V: Value>(op: &Op<V::Elem>, x: &V, y: &V, gy: &V) -> Result<V> {
    let axis = axis_of(op);
    match op {
        Op::Softmax { .. } => y.mul(&gy.sub(&y.mul(gy)?.sum_axis(axis, true)?)?),
        Op::LogSoftmax { .. } => gy.sub(&y.exp()?.mul(&gy.sum_axis(axis, true)?)?),
        Op::LogSumExp { .. } => x
            .softmax_axis(axis)?
            .mul(&gy.reshape(x.shape().with_one(axis))?),
        _ => unreachable!("not a softmax-family op"),
    }
}

/// [`vjp`] on `k` cotangents (the axis shifted past the batch axis).
pub(crate) fn vjp_lanes<V: Value>(op: &Op<V::Elem>, x: &V, y: &V, gy: &V, k: usize) -> Result<V> {
    let axis = axis_of(op);
    let la = axis + 1;
    match op {
        Op::Softmax { .. } => y.mul(&gy.sub(&y.mul(gy)?.sum_axis(la, true)?)?),
        Op::LogSoftmax { .. } => gy.sub(&y.exp()?.mul(&gy.sum_axis(la, true)?)?),
        Op::LogSumExp { .. } => x
            .softmax_axis(axis)?
            .mul(&gy.reshape(x.shape().with_one(axis).prepend(k))?),
        _ => unreachable!("not a softmax-family op"),
    }
}
