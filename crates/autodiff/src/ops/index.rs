//! One element per row: `gather` (`y[i] = x[i, index[i]]`, what cross-entropy
//! with class labels reads) and its adjoint `scatter`. Each is linear and
//! the other's transpose, so `vjp(gather) = scatter` and `vjp(scatter) = gather`.

use crate::error::{Error, Result};
use crate::shape::Shape;
use crate::tensor::Tensor;
use kernels::Element;

fn check_index(
    op: &'static str,
    rows: usize,
    cols: usize,
    index: &[usize],
    x: Shape,
) -> Result<()> {
    if index.len() != rows {
        return Err(Error::ShapeMismatch {
            op,
            lhs: x,
            rhs: Shape::from([index.len()]),
        });
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
