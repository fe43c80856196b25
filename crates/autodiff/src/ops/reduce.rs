//! Reductions and their adjoints: `sum`/`mean` (a scaled sum over one axis or
//! all), `broadcast_to` and `sum_to`. Sums are linear (JVP: the same sum of
//! the tangent); the VJP of a sum broadcasts the cotangent back, and
//! `broadcast_to` and `sum_to` are each other's transposes.

use crate::error::{Error, Result};
use crate::shape::{Shape, for_each_broadcast};
use crate::tensor::Tensor;
use crate::value::Value;
use kernels::Element;

/// The shape of a sum over `axis` (or all axes) of `s`.
pub(crate) fn reduced_shape(s: Shape, axis: Option<usize>, keepdim: bool) -> Result<Shape> {
    match axis {
        None if keepdim => Ok(Shape::from_fn(s.rank(), |_| 1)),
        None => Ok(Shape::SCALAR),
        Some(ax) if ax >= s.rank() => Err(Error::AxisOutOfRange {
            op: "sum",
            axis: ax,
            rank: s.rank(),
        }),
        Some(ax) if keepdim => Ok(s.with_one(ax)),
        Some(ax) => Ok(s.remove(ax)),
    }
}

pub(crate) fn sum_forward<T: Element>(
    x: &Tensor<T>,
    axis: Option<usize>,
    keepdim: bool,
    scale: T,
) -> Result<Tensor<T>> {
    let s = x.shape();
    let out_shape = reduced_shape(s, axis, keepdim)?;
    let d = x.as_slice();
    let mut out = match axis {
        None => vec![kernels::sum(d)],
        Some(ax) => {
            let n = s[ax];
            let inner: usize = s[ax + 1..].iter().product();
            let outer: usize = s[..ax].iter().product();
            let mut out = vec![T::ZERO; outer * inner];
            if n > 0 && inner > 0 {
                if inner == 1 {
                    kernels::row_sums(d, n, &mut out);
                } else {
                    for (o, blk) in out.chunks_exact_mut(inner).zip(d.chunks_exact(n * inner)) {
                        kernels::col_sums(blk, inner, o);
                    }
                }
            }
            out
        }
    };
    if scale != T::ONE {
        kernels::scale(scale, &mut out);
    }
    Ok(Tensor::from_parts(out, out_shape))
}

/// `x̄ = scale · broadcast(ȳ)`: every element of a summed group receives
/// the group's cotangent.
pub(crate) fn sum_vjp<V: Value>(x: &V, gy: &V, axis: Option<usize>, scale: V::Elem) -> Result<V> {
    let s = x.shape();
    let g = if scale == V::Elem::ONE {
        gy.clone()
    } else {
        gy.mul_scalar(scale.to_f64())?
    };
    g.reshape(reduced_shape(s, axis, true)?)?.broadcast_to(s)
}

pub(crate) fn broadcast_forward<T: Element>(x: &Tensor<T>, shape: Shape) -> Result<Tensor<T>> {
    let s = x.shape();
    if !s.broadcasts_to(&shape) {
        return Err(Error::Shape(crate::ShapeError {
            op: "broadcast_to",
            what: "the value vs the target shape",
            left: s,
            right: shape,
        }));
    }
    let src = x.as_slice();
    let n = shape.numel();
    let out = if src.len() == 1 {
        vec![src[0]; n]
    } else {
        let mut out = vec![T::ZERO; n];
        let sx = s.broadcast_strides(&shape);
        for_each_broadcast(&shape, &sx, &sx, |k, i, _| out[k] = src[i]);
        out
    };
    Ok(Tensor::from_parts(out, shape))
}

pub(crate) fn sum_to_forward<T: Element>(x: &Tensor<T>, shape: Shape) -> Result<Tensor<T>> {
    let s = x.shape();
    if !shape.broadcasts_to(&s) {
        return Err(Error::Shape(crate::ShapeError {
            op: "sum_to",
            what: "the value vs the target shape",
            left: s,
            right: shape,
        }));
    }
    let src = x.as_slice();
    let n = shape.numel();
    let out = if n == 1 {
        vec![kernels::sum(src)]
    } else if n == s.last() && s.last() > 0 && shape.last() == n {
        // Down to a row vector (a bias gradient): column sums.
        let mut out = vec![T::ZERO; n];
        kernels::col_sums(src, n, &mut out);
        out
    } else {
        let mut out = vec![T::ZERO; n];
        let so = shape.broadcast_strides(&s);
        for_each_broadcast(&s, &so, &so, |k, i, _| out[i] += src[k]);
        out
    };
    Ok(Tensor::from_parts(out, shape))
}

/// The tangent of `sum_to(s)` applied to `x` (of shape `xs`): the same sum
/// of the tangent, each lane of a batch on its own.
pub(crate) fn sum_to_jvp<V: Value>(d: &V, batch: Option<usize>, s: Shape, xs: Shape) -> Result<V> {
    match batch {
        None => d.sum_to(s),
        Some(k) => d
            .sum_to(s.pad_to(xs.rank()).prepend(k))?
            .reshape(s.prepend(k)),
    }
}

/// The tangent of a scaled sum: the same sum of the tangent (it is linear),
/// each lane of a batch on its own; `ys` is the output's shape.
pub(crate) fn sum_jvp<V: Value>(
    d: &V,
    batch: Option<usize>,
    axis: Option<usize>,
    keepdim: bool,
    scale: V::Elem,
    ys: Shape,
) -> Result<V> {
    let sum = |d: &V, axis, keepdim| {
        V::apply(
            &crate::ops::Op::Sum {
                axis,
                keepdim,
                scale,
            },
            &[d],
        )
    };
    match (batch, axis) {
        (None, _) => sum(d, axis, keepdim),
        (Some(k), None) => {
            let n = d.numel() / k.max(1);
            sum(&d.reshape([k, n])?, Some(1), false)?.reshape(ys.prepend(k))
        }
        (Some(_), Some(ax)) => sum(d, Some(ax + 1), keepdim),
    }
}
