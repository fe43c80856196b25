//! `gather` along any axis (PyTorch's `torch.gather`) and its adjoint
//! `scatter_add`: with an index of the same rank as the input,
//! `y[p] = x[p with axis ← index[p]]`, and `scatter_add` adds `y[p]` into
//! that position of a tensor of zeros. Both are linear and each is the
//! other's transpose: `vjp(gather) = scatter_add`, `vjp(scatter_add) = gather`.
//!
//! An input with one more (leading) axis than the index is a stack of
//! lanes, each gathered with the same index: that is how a batch of
//! tangents goes through (see [`crate::Dual::batched`]).

use crate::error::{Error, Result};
use crate::shape::Shape;
use crate::tensor::{IntoShape, Tensor};
use crate::value::Value;
use kernels::Element;
use std::sync::Arc;

/// A tensor of indices (positions along an axis), shared cheaply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    data: Arc<[usize]>,
    shape: Shape,
}

impl Index {
    /// An index tensor from row-major positions and a shape.
    ///
    /// # Errors
    /// [`Error::DataLength`] if `data.len()` is not the product of `shape`.
    pub fn new(data: Vec<usize>, shape: impl IntoShape) -> Result<Index> {
        let shape = shape.into_shape()?;
        if data.len() != shape.numel() {
            return Err(Error::DataLength {
                shape,
                expected: shape.numel(),
                got: data.len(),
            });
        }
        Ok(Index {
            data: data.into(),
            shape,
        })
    }

    /// The shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The positions in row-major order.
    pub fn as_slice(&self) -> &[usize] {
        &self.data
    }
}

/// Row-major strides of `s`.
fn strides(s: &[usize]) -> Vec<usize> {
    let mut st = vec![0; s.len()];
    let mut acc = 1;
    for a in (0..s.len()).rev() {
        st[a] = acc;
        acc *= s[a];
    }
    st
}

/// Checks `index` against a full tensor of shape `full` (without lanes):
/// same rank, no longer along any axis but `axis`, entries within `full[axis]`.
fn check(op: &'static str, full: Shape, axis: usize, index: &Index) -> Result<()> {
    let si = index.shape;
    if axis >= full.rank() {
        return Err(Error::AxisOutOfRange {
            op,
            axis,
            rank: full.rank(),
        });
    }
    let fits = si.rank() == full.rank() && (0..si.rank()).all(|d| d == axis || si[d] <= full[d]);
    if !fits {
        return Err(Error::Shape(crate::ShapeError {
            op,
            what: "the operands",
            left: full,
            right: si,
        }));
    }
    if let Some(&bad) = index.data.iter().find(|&&i| i >= full[axis]) {
        return Err(Error::IndexOutOfBounds {
            op,
            index: bad,
            bound: full[axis],
        });
    }
    Ok(())
}

/// Calls `f(k, off)` for each position `k` of the index (row-major) with
/// the flat offset `off` of its target in a tensor of shape `full`.
fn for_each_target(full: Shape, axis: usize, index: &Index, mut f: impl FnMut(usize, usize)) {
    let si = index.shape;
    let st = strides(&full);
    let r = si.rank();
    let mut p = vec![0usize; r];
    for (k, &ix) in index.data.iter().enumerate() {
        let off: usize = (0..r)
            .map(|d| if d == axis { ix } else { p[d] } * st[d])
            .sum();
        f(k, off);
        for d in (0..r).rev() {
            p[d] += 1;
            if p[d] < si[d] {
                break;
            }
            p[d] = 0;
        }
    }
}

/// `(lanes, full shape without lanes)` of an operand that is either of the
/// index's rank or has one leading lane axis more.
fn lanes(op: &'static str, s: Shape, index: &Index) -> Result<(usize, Shape)> {
    if s.rank() == index.shape.rank() + 1 {
        Ok((s[0], s.tail()))
    } else if s.rank() == index.shape.rank() {
        Ok((1, s))
    } else {
        Err(Error::Shape(crate::ShapeError {
            op,
            what: "the operands",
            left: s,
            right: index.shape,
        }))
    }
}

pub(crate) fn gather_forward<T: Element>(
    x: &Tensor<T>,
    axis: usize,
    index: &Index,
) -> Result<Tensor<T>> {
    let s = x.shape();
    let (l, full) = lanes("gather", s, index)?;
    check("gather", full, axis, index)?;
    let (n_in, n_out) = (full.numel(), index.shape.numel());
    let d = x.as_slice();
    let mut out = vec![T::ZERO; l * n_out];
    for lane in 0..l {
        let (src, dst) = (&d[lane * n_in..], &mut out[lane * n_out..]);
        for_each_target(full, axis, index, |k, off| dst[k] = src[off]);
    }
    let shape = if s.rank() == full.rank() {
        index.shape
    } else {
        index.shape.prepend(l)
    };
    Ok(Tensor::from_parts(out, shape))
}

pub(crate) fn scatter_add_forward<T: Element>(
    y: &Tensor<T>,
    axis: usize,
    index: &Index,
    full: Shape,
) -> Result<Tensor<T>> {
    let s = y.shape();
    let (l, inner) = lanes("scatter_add", s, index)?;
    if inner != index.shape {
        return Err(Error::Shape(crate::ShapeError {
            op: "scatter_add",
            what: "the input vs the index",
            left: s,
            right: index.shape,
        }));
    }
    check("scatter_add", full, axis, index)?;
    let (n_full, n_in) = (full.numel(), index.shape.numel());
    let d = y.as_slice();
    let mut out = vec![T::ZERO; l * n_full];
    for lane in 0..l {
        let (src, dst) = (&d[lane * n_in..], &mut out[lane * n_full..]);
        for_each_target(full, axis, index, |k, off| dst[off] += src[k]);
    }
    let shape = if s.rank() == index.shape.rank() {
        full
    } else {
        full.prepend(l)
    };
    Ok(Tensor::from_parts(out, shape))
}

/// `gather` of a value (its tangents in lanes when batched).
pub(crate) fn gather<V: Value>(x: &V, axis: usize, index: &Index) -> Result<V> {
    V::apply(
        &super::Op::GatherAxis {
            axis,
            index: index.clone(),
        },
        &[x],
    )
}

/// `scatter_add` of a value into zeros of shape `full`.
pub(crate) fn scatter_add<V: Value>(y: &V, axis: usize, index: &Index, full: Shape) -> Result<V> {
    V::apply(
        &super::Op::ScatterAddAxis {
            axis,
            index: index.clone(),
            shape: full,
        },
        &[y],
    )
}
