//! Ops along an axis, and axis permutation: `amax`/`amin` (PyTorch's tie
//! rule: the derivative is split evenly among the elements equal to the
//! extremum), `norm` (the Euclidean norm over one axis or all), and
//! `permute`.
//!
//! Each reduces a tensor seen as `[outer, n, inner]` (`n` the reduced axis).
//! - `amax`: with `w = [x = max] / #ties` along the axis, tangent `⟨w, ẋ⟩`,
//!   cotangent `w·ȳ` (ȳ broadcast along the axis). `w` depends on the
//!   primal only, so it is a constant of the derivative rules.
//! - `norm`: `y = √Σx²`, tangent `⟨x, ẋ⟩/y`, cotangent `x·ȳ/y`; where
//!   `y = 0` both are 0 (PyTorch's subgradient), through a reciprocal that
//!   is masked there and stays differentiable elsewhere.
//! - `permute`: linear; tangent permuted the same way (the batch axis stays
//!   in front), cotangent by the inverse permutation.

use crate::error::{Error, Result};
use crate::shape::Shape;
use crate::tensor::Tensor;
use crate::value::Value;
use kernels::Element;

/// `(outer, n, inner)` of `s` around `axis`.
fn split(s: Shape, axis: usize) -> (usize, usize, usize) {
    (
        s[..axis].iter().product(),
        s[axis],
        s[axis + 1..].iter().product(),
    )
}

/// Checks `axis < rank` for op `op`.
pub(crate) fn check_axis(op: &'static str, s: Shape, axis: usize) -> Result<()> {
    if axis >= s.rank() {
        return Err(Error::AxisOutOfRange {
            op,
            axis,
            rank: s.rank(),
        });
    }
    Ok(())
}

/// The shape of a reduction over `axis`.
fn reduced(s: Shape, axis: usize, keepdim: bool) -> Shape {
    if keepdim {
        s.with_one(axis)
    } else {
        s.remove(axis)
    }
}

/// Position and value of the largest (`max`) or smallest element of each
/// line along `axis`, row-major over the other axes. NaN wins, as in PyTorch;
/// the first of equal elements is taken.
pub(crate) fn extremum_lines<T: Element>(
    op: &'static str,
    x: &Tensor<T>,
    axis: usize,
    max: bool,
) -> Result<(Vec<usize>, Vec<T>)> {
    let s = x.shape();
    check_axis(op, s, axis)?;
    let (outer, n, inner) = split(s, axis);
    if n == 0 {
        return Err(Error::BadRank {
            op,
            expected: "a non-empty axis to reduce",
            shape: s,
        });
    }
    let d = x.as_slice();
    let mut idx = vec![0; outer * inner];
    let mut val = vec![T::ZERO; outer * inner];
    for o in 0..outer {
        for i in 0..inner {
            let at = |j: usize| d[(o * n + j) * inner + i];
            let mut best = 0;
            for j in 1..n {
                let (v, b) = (at(j), at(best));
                if b.is_nan() {
                    break;
                }
                if v.is_nan() || (max && v > b) || (!max && v < b) {
                    best = j;
                }
            }
            idx[o * inner + i] = best;
            val[o * inner + i] = at(best);
        }
    }
    Ok((idx, val))
}

pub(crate) fn extremum_forward<T: Element>(
    x: &Tensor<T>,
    axis: usize,
    keepdim: bool,
    max: bool,
) -> Result<Tensor<T>> {
    let op = if max { "amax" } else { "amin" };
    let (_, val) = extremum_lines(op, x, axis, max)?;
    Ok(Tensor::from_parts(val, reduced(x.shape(), axis, keepdim)))
}

/// `w = [x = extremum] / #ties` along the axis, of `x`'s shape.
fn tie_weights<T: Element>(x: &Tensor<T>, y: &Tensor<T>, axis: usize) -> Tensor<T> {
    let s = x.shape();
    let (outer, n, inner) = split(s, axis);
    let (d, e) = (x.as_slice(), y.as_slice());
    let mut w = vec![T::ZERO; d.len()];
    for o in 0..outer {
        for i in 0..inner {
            let m = e[o * inner + i];
            let hit = |v: T| v == m || (v.is_nan() && m.is_nan());
            let ties = (0..n).filter(|&j| hit(d[(o * n + j) * inner + i])).count();
            let share = T::ONE / T::from_usize(ties.max(1));
            for j in 0..n {
                let k = (o * n + j) * inner + i;
                if hit(d[k]) {
                    w[k] = share;
                }
            }
        }
    }
    Tensor::from_parts(w, s)
}

pub(crate) fn extremum_jvp<V: Value>(
    x: &V,
    y: &V,
    dx: &V,
    axis: usize,
    keepdim: bool,
    batch: Option<usize>,
) -> Result<V> {
    let w = V::constant(tie_weights(&x.tensor(), &y.tensor(), axis));
    w.mul(dx)?
        .sum_axis(axis + usize::from(batch.is_some()), keepdim)
}

pub(crate) fn extremum_vjp<V: Value>(x: &V, y: &V, gy: &V, axis: usize) -> Result<V> {
    let s = x.shape();
    let w = V::constant(tie_weights(&x.tensor(), &y.tensor(), axis));
    w.mul(&gy.reshape(s.with_one(axis))?)
}

pub(crate) fn norm_forward<T: Element>(
    x: &Tensor<T>,
    axis: Option<usize>,
    keepdim: bool,
) -> Result<Tensor<T>> {
    let s = x.shape();
    let d = x.as_slice();
    match axis {
        None => {
            let shape = if keepdim {
                Shape::from_fn(s.rank(), |_| 1)
            } else {
                Shape::SCALAR
            };
            Ok(Tensor::from_parts(vec![kernels::dot(d, d).sqrt()], shape))
        }
        Some(axis) => {
            check_axis("norm", s, axis)?;
            let (outer, n, inner) = split(s, axis);
            let mut out = vec![T::ZERO; outer * inner];
            for o in 0..outer {
                for j in 0..n {
                    let row = &d[(o * n + j) * inner..(o * n + j + 1) * inner];
                    for (acc, &v) in out[o * inner..(o + 1) * inner].iter_mut().zip(row) {
                        *acc += v * v;
                    }
                }
            }
            for v in &mut out {
                *v = v.sqrt();
            }
            Ok(Tensor::from_parts(out, reduced(s, axis, keepdim)))
        }
    }
}

/// `1/y` where `y > 0`, and 0 where `y = 0`, differentiable where `y > 0`.
fn masked_recip<V: Value>(y: &V) -> Result<V> {
    let t = y.tensor();
    let zero = |v: V::Elem| v == V::Elem::ZERO;
    let fix = V::constant(t.map(|v| if zero(v) { V::Elem::ONE } else { V::Elem::ZERO }));
    let keep = V::constant(t.map(|v| if zero(v) { V::Elem::ZERO } else { V::Elem::ONE }));
    y.add(&fix)?.recip()?.mul(&keep)
}

/// `y` (of the reduced shape) with the reduced axes kept as length 1.
fn keep<V: Value>(y: &V, s: Shape, axis: Option<usize>) -> Result<V> {
    match axis {
        None => y.reshape(Shape::from_fn(s.rank(), |_| 1)),
        Some(a) => y.reshape(s.with_one(a)),
    }
}

pub(crate) fn norm_jvp<V: Value>(
    x: &V,
    y: &V,
    dx: &V,
    axis: Option<usize>,
    keepdim: bool,
    batch: Option<usize>,
) -> Result<V> {
    let inv = masked_recip(y)?;
    let prod = x.mul(dx)?;
    let dot = match (axis, batch) {
        (Some(a), b) => prod.sum_axis(a + usize::from(b.is_some()), keepdim)?,
        (None, None) => prod.sum()?.reshape(y.shape())?,
        (None, Some(k)) => prod
            .reshape([k, x.numel()])?
            .sum_axis(1, false)?
            .reshape(y.shape().prepend(k))?,
    };
    dot.mul(&inv)
}

pub(crate) fn norm_vjp<V: Value>(x: &V, y: &V, gy: &V, axis: Option<usize>) -> Result<V> {
    let s = x.shape();
    let g = gy.mul(&masked_recip(y)?)?;
    x.mul(&keep(&g, s, axis)?)
}

/// Checks that `perm` is a permutation of the axes of `s`.
pub(crate) fn check_perm(s: Shape, perm: &[usize]) -> Result<()> {
    let mut seen = vec![false; perm.len()];
    let ok = perm.len() == s.rank()
        && perm
            .iter()
            .all(|&p| p < seen.len() && !std::mem::replace(&mut seen[p], true));
    if !ok {
        return Err(Error::Shape(crate::ShapeError {
            op: "permute",
            what: "the value vs the permutation",
            left: s,
            right: Shape::of(perm),
        }));
    }
    Ok(())
}

pub(crate) fn permute_forward<T: Element>(x: &Tensor<T>, perm: &[usize]) -> Result<Tensor<T>> {
    let s = x.shape();
    check_perm(s, perm)?;
    let r = s.rank();
    let out_shape = Shape::from_fn(r, |i| s[perm[i]]);
    // Strides of x, read in the output's axis order.
    let mut stride = vec![0; r];
    let mut acc = 1;
    for a in (0..r).rev() {
        stride[a] = acc;
        acc *= s[a];
    }
    let src: Vec<usize> = perm.iter().map(|&p| stride[p]).collect();
    let d = x.as_slice();
    let mut out = Vec::with_capacity(d.len());
    crate::shape::for_each_broadcast(&out_shape, &src, &src, |_, i, _| out.push(d[i]));
    Ok(Tensor::from_parts(out, out_shape))
}

/// The inverse of a permutation.
pub(crate) fn inverse(perm: &[usize]) -> Vec<usize> {
    let mut inv = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    inv
}

/// The permutation of a batched tangent: the batch axis first, the rest shifted.
pub(crate) fn lane_perm(perm: &[usize]) -> Vec<usize> {
    core::iter::once(0)
        .chain(perm.iter().map(|p| p + 1))
        .collect()
}

/// [`extremum_vjp`] on `k` cotangents.
pub(crate) fn extremum_vjp_lanes<V: Value>(
    x: &V,
    y: &V,
    gy: &V,
    axis: usize,
    k: usize,
) -> Result<V> {
    let s = x.shape();
    let w = V::constant(tie_weights(&x.tensor(), &y.tensor(), axis));
    w.mul(&gy.reshape(s.with_one(axis).prepend(k))?)
}

/// [`norm_vjp`] on `k` cotangents.
pub(crate) fn norm_vjp_lanes<V: Value>(
    x: &V,
    y: &V,
    gy: &V,
    axis: Option<usize>,
    k: usize,
) -> Result<V> {
    let s = x.shape();
    let g = gy.mul(&masked_recip(y)?)?;
    let kept = match axis {
        None => Shape::from_fn(s.rank(), |_| 1),
        Some(a) => s.with_one(a),
    };
    x.mul(&g.reshape(kept.prepend(k))?)
}
