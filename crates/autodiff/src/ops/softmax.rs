//! The softmax family along the last axis, through `kernels`' stable row
//! kernels (each subtracts the row maximum before exponentiating):
//! `log_softmax(x) = x − max − log Σ exp(x − max)`.
//!
//! Derivations, with `p = softmax(x)` per row and `⟨u, v⟩` the row-wise inner
//! product along the last axis:
//! - `∂pᵢ/∂xⱼ = pᵢ(δᵢⱼ − pⱼ)`, so `ṗ = p·(ẋ − ⟨p, ẋ⟩)`; the Jacobian is
//!   symmetric, so the VJP is the same formula with `ȳ`: `x̄ = p·(ȳ − ⟨p, ȳ⟩)`.
//! - `log_softmax = x − lse(x)`, `∂lse/∂x = p`: tangent `ẋ − ⟨p, ẋ⟩`,
//!   cotangent `x̄ = ȳ − p·Σȳ`; `p = exp(y)` is read off the output.
//! - `lse`: tangent `⟨p, ẋ⟩`, cotangent `x̄ = p·ȳ` (ȳ broadcast along the row).

use super::Op;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use crate::value::Value;
use kernels::Element;

pub(crate) fn forward<T: Element>(op: &Op<T>, x: &Tensor<T>) -> Result<Tensor<T>> {
    let s = x.shape();
    if s.rank() == 0 {
        return Err(Error::BadRank {
            op: op.name(),
            expected: "rank ≥ 1 (it acts along the last axis)",
            shape: s,
        });
    }
    let cols = s.last();
    let d = x.as_slice();
    Ok(match op {
        Op::Softmax => {
            let mut out = vec![T::ZERO; d.len()];
            if cols > 0 {
                kernels::softmax_rows(d, cols, &mut out);
            }
            Tensor::from_parts(out, s)
        }
        Op::LogSoftmax => {
            let mut out = vec![T::ZERO; d.len()];
            if cols > 0 {
                kernels::log_softmax_rows(d, cols, &mut out);
            }
            Tensor::from_parts(out, s)
        }
        _ => {
            let out_shape = s.remove(s.rank() - 1);
            let mut out = vec![T::NEG_INFINITY; out_shape.numel()];
            if cols > 0 {
                kernels::logsumexp_rows(d, cols, &mut out);
            }
            Tensor::from_parts(out, out_shape)
        }
    })
}

/// `⟨u, v⟩` along the last axis, keeping it as length 1.
fn row_dot<V: Value>(u: &V, v: &V) -> Result<V> {
    let last = u.shape().rank() - 1;
    u.mul(v)?.sum_axis(last, true)
}

pub(crate) fn jvp<V: Value>(op: &Op<V::Elem>, x: &V, y: &V, dx: Option<&V>) -> Result<Option<V>> {
    let Some(dx) = dx else { return Ok(None) };
    Ok(Some(match op {
        Op::Softmax => y.mul(&dx.sub(&row_dot(y, dx)?)?)?,
        Op::LogSoftmax => dx.sub(&row_dot(&y.exp()?, dx)?)?,
        _ => {
            let last = x.shape().rank() - 1;
            x.softmax()?.mul(dx)?.sum_axis(last, false)?
        }
    }))
}

pub(crate) fn vjp<V: Value>(op: &Op<V::Elem>, x: &V, y: &V, gy: &V) -> Result<V> {
    let last = x.shape().rank() - 1;
    match op {
        Op::Softmax => y.mul(&gy.sub(&row_dot(y, gy)?)?),
        Op::LogSoftmax => gy.sub(&y.exp()?.mul(&gy.sum_axis(last, true)?)?),
        _ => x.softmax()?.mul(&gy.reshape(x.shape().with_one(last))?),
    }
}
