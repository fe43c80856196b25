//! [`Shape`]: the dimensions of a tensor, stored inline (no allocation).

use crate::error::{Error, Result};
use core::fmt;
use core::ops::Deref;

/// The dimensions of a row-major tensor, of rank 0 to [`Shape::MAX_RANK`].
///
/// Stored inline so that making or copying a shape never allocates; it
/// dereferences to `&[usize]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    dims: [usize; Shape::MAX_RANK],
    rank: u8,
}

impl Shape {
    /// The largest rank a tensor may have.
    pub const MAX_RANK: usize = 4;

    /// The shape of a scalar (rank 0, one element).
    pub const SCALAR: Shape = Shape {
        dims: [0; Shape::MAX_RANK],
        rank: 0,
    };

    /// A shape from its dimensions.
    ///
    /// # Errors
    /// [`Error::RankTooHigh`] if there are more than [`Shape::MAX_RANK`] of them.
    pub fn new(dims: &[usize]) -> Result<Shape> {
        if dims.len() > Self::MAX_RANK {
            return Err(Error::RankTooHigh { rank: dims.len() });
        }
        let mut s = Shape::SCALAR;
        s.dims[..dims.len()].copy_from_slice(dims);
        s.rank = dims.len() as u8;
        Ok(s)
    }

    /// Number of axes.
    pub fn rank(&self) -> usize {
        self.rank as usize
    }

    /// Number of elements (1 for a scalar).
    pub fn numel(&self) -> usize {
        self.iter().product()
    }

    /// The dimensions as a slice.
    pub fn dims(&self) -> &[usize] {
        &self.dims[..self.rank as usize]
    }

    /// The last dimension (1 for a scalar).
    pub fn last(&self) -> usize {
        self.dims().last().copied().unwrap_or(1)
    }

    /// This shape without axis `axis`.
    pub(crate) fn remove(&self, axis: usize) -> Shape {
        let mut s = Shape::SCALAR;
        let mut r = 0;
        for (i, &d) in self.iter().enumerate() {
            if i != axis {
                s.dims[r] = d;
                r += 1;
            }
        }
        s.rank = r as u8;
        s
    }

    /// This shape with axis `axis` set to 1.
    pub(crate) fn with_one(&self, axis: usize) -> Shape {
        let mut s = *self;
        s.dims[axis] = 1;
        s
    }

    /// Row-major strides of this shape, with stride 0 on axes of length 1
    /// when seen from a larger `out` shape it broadcasts to (numpy rules:
    /// align trailing axes).
    pub(crate) fn broadcast_strides(&self, out: &Shape) -> [usize; Shape::MAX_RANK] {
        let mut strides = [0; Shape::MAX_RANK];
        let off = out.rank() - self.rank();
        let mut acc = 1;
        for i in (0..self.rank()).rev() {
            if self.dims[i] != 1 {
                strides[off + i] = acc;
            }
            acc *= self.dims[i];
        }
        strides
    }

    /// The numpy broadcast of two shapes.
    pub(crate) fn broadcast(op: &'static str, a: &Shape, b: &Shape) -> Result<Shape> {
        if a == b {
            return Ok(*a);
        }
        let rank = a.rank().max(b.rank());
        let mut s = Shape::SCALAR;
        s.rank = rank as u8;
        for i in 0..rank {
            let da = if i + a.rank() >= rank {
                a.dims[i + a.rank() - rank]
            } else {
                1
            };
            let db = if i + b.rank() >= rank {
                b.dims[i + b.rank() - rank]
            } else {
                1
            };
            s.dims[i] = if da == db || db == 1 {
                da
            } else if da == 1 {
                db
            } else {
                return Err(Error::ShapeMismatch {
                    op,
                    lhs: *a,
                    rhs: *b,
                });
            };
        }
        Ok(s)
    }

    /// Whether this shape broadcasts to `out`.
    pub(crate) fn broadcasts_to(&self, out: &Shape) -> bool {
        self.rank() <= out.rank() && Shape::broadcast("", self, out).is_ok_and(|s| s == *out)
    }
}

impl Deref for Shape {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        self.dims()
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.dims())
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.dims())
    }
}

/// Walks `out` in row-major order, calling `f(k, ia, ib)` for each flat
/// output index `k` with the matching offsets into two operands whose
/// strides (in `out`'s index space, 0 on broadcast axes) are `sa` and `sb`.
#[inline]
pub(crate) fn for_each_broadcast(
    out: &Shape,
    sa: &[usize; Shape::MAX_RANK],
    sb: &[usize; Shape::MAX_RANK],
    mut f: impl FnMut(usize, usize, usize),
) {
    let rank = out.rank();
    if out.numel() == 0 {
        return;
    }
    if rank == 0 {
        f(0, 0, 0);
        return;
    }
    let last = out[rank - 1];
    let (la, lb) = (sa[rank - 1], sb[rank - 1]);
    let mut idx = [0usize; Shape::MAX_RANK];
    let (mut oa, mut ob) = (0usize, 0usize);
    let mut k = 0;
    loop {
        for j in 0..last {
            f(k + j, oa + j * la, ob + j * lb);
        }
        k += last;
        // Advance the outer multi-index (all axes but the last).
        let mut ax = rank - 1;
        loop {
            if ax == 0 {
                return;
            }
            ax -= 1;
            idx[ax] += 1;
            oa += sa[ax];
            ob += sb[ax];
            if idx[ax] < out[ax] {
                break;
            }
            oa -= sa[ax] * out[ax];
            ob -= sb[ax] * out[ax];
            idx[ax] = 0;
        }
    }
}
