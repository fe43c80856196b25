//! One element per row: `gather` (`y[i] = x[i, index[i]]`, what cross-entropy
//! with class labels reads) and its adjoint `scatter`. Each is linear and
//! the other's transpose, so `vjp(gather) = scatter` and `vjp(scatter) = gather`.

use crate::error::{Error, Result};
use crate::shape::Shape;
use crate::tensor::Tensor;
use crate::value::Value;
use kernels::Element;
use std::sync::Arc;

fn check_index(
    op: &'static str,
    rows: usize,
    cols: usize,
    index: &[usize],
    x: Shape,
) -> Result<()> {
    if index.len() != rows {
        return Err(Error::Shape(crate::ShapeError {
            op,
            what: "the operands",
            left: x,
            right: Shape::from([index.len()]),
        }));
    }
    if let Some(&bad) = index.iter().find(|&&i| i >= cols) {
        return Err(Error::IndexOutOfBounds {
            op,
            index: bad,
            bound: cols,
        });
    }
    Ok(())
}

pub(crate) fn gather_forward<T: Element>(x: &Tensor<T>, index: &[usize]) -> Result<Tensor<T>> {
    let s = x.shape();
    if s.rank() != 2 {
        return Err(Error::BadRank {
            op: "gather",
            expected: "a (rows, cols) matrix",
            shape: s,
        });
    }
    let (rows, cols) = (s[0], s[1]);
    check_index("gather", rows, cols, index, s)?;
    let d = x.as_slice();
    let out = index
        .iter()
        .enumerate()
        .map(|(r, &c)| d[r * cols + c])
        .collect();
    Ok(Tensor::from_parts(out, Shape::from([rows])))
}

pub(crate) fn scatter_forward<T: Element>(
    y: &Tensor<T>,
    index: &[usize],
    cols: usize,
) -> Result<Tensor<T>> {
    let s = y.shape();
    if s.rank() != 1 {
        return Err(Error::BadRank {
            op: "scatter",
            expected: "a vector with one value per row",
            shape: s,
        });
    }
    let rows = s[0];
    check_index("scatter", rows, cols, index, s)?;
    let mut out = vec![T::ZERO; rows * cols];
    for (r, (&c, &v)) in index.iter().zip(y.as_slice()).enumerate() {
        out[r * cols + c] = v;
    }
    Ok(Tensor::from_parts(out, Shape::from([rows, cols])))
}

/// `index` repeated `k` times: the per-row index of `k` stacked copies.
fn repeat(index: &[usize], k: usize) -> Arc<[usize]> {
    index
        .iter()
        .cycle()
        .take(k * index.len())
        .copied()
        .collect()
}

/// The tangent of a gather: the same gather of the tangent (it is linear);
/// a batch of `k` lanes is gathered as `k·rows` rows at once.
pub(crate) fn gather_jvp<V: Value>(d: &V, index: &Arc<[usize]>, batch: Option<usize>) -> Result<V> {
    match batch {
        None => d.gather_arc(index.clone()),
        Some(k) => {
            let s = d.shape();
            let (rows, cols) = (s[1], s[2]);
            d.reshape([k * rows, cols])?
                .gather_arc(repeat(index, k))?
                .reshape([k, rows])
        }
    }
}

/// The tangent of a scatter: the same scatter of the tangent, a batch of
/// `k` lanes scattered as `k·rows` rows at once.
pub(crate) fn scatter_jvp<V: Value>(
    d: &V,
    index: &Arc<[usize]>,
    cols: usize,
    batch: Option<usize>,
) -> Result<V> {
    match batch {
        None => d.scatter(index.clone(), cols),
        Some(k) => {
            let rows = d.shape()[1];
            d.reshape([k * rows])?
                .scatter(repeat(index, k), cols)?
                .reshape([k, rows, cols])
        }
    }
}
