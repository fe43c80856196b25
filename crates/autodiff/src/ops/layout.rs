//! Layout ops: reshape (shares storage) and transpose of the last two axes.
//! Both are linear, so their JVP applies the op to the tangent and their VJP
//! applies the inverse op to the cotangent (see `ops/mod.rs`).

use crate::error::{Error, Result};
use crate::shape::Shape;
use crate::tensor::Tensor;
use kernels::Element;

pub(crate) fn reshape_forward<T: Element>(x: &Tensor<T>, shape: Shape) -> Result<Tensor<T>> {
    if shape.numel() != x.numel() {
        return Err(Error::Shape(crate::ShapeError {
            op: "reshape",
            what: "the value vs the requested shape",
            left: x.shape(),
            right: shape,
        }));
    }
    Ok(Tensor {
        data: x.data.clone(),
        shape,
    })
}

pub(crate) fn transpose_forward<T: Element>(x: &Tensor<T>) -> Result<Tensor<T>> {
    let s = x.shape();
    let r = s.rank();
    if r < 2 {
        return Ok(x.clone());
    }
    let (rows, cols) = (s[r - 2], s[r - 1]);
    let mut dims = s.to_vec();
    dims.swap(r - 2, r - 1);
    let out_shape = Shape::of(&dims);
    let src = x.as_slice();
    let mut out = vec![T::ZERO; src.len()];
    let block = rows * cols;
    if block > 0 {
        for (o, i) in out.chunks_exact_mut(block).zip(src.chunks_exact(block)) {
            for r_ in 0..rows {
                for c in 0..cols {
                    o[c * rows + r_] = i[r_ * cols + c];
                }
            }
        }
    }
    Ok(Tensor::from_parts(out, out_shape))
}
