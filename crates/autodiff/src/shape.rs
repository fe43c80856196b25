//! [`Shape`]: the dimensions of a tensor, of any rank, copied without allocating.

use crate::error::Result;
use core::fmt;
use core::ops::Deref;
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

/// Ranks up to this are stored inline.
const INLINE: usize = 5;

/// The dimensions of a row-major tensor, of any rank.
///
/// Shapes of rank up to 5 are stored inline; a higher-rank shape is
/// interned once per distinct shape (a process-wide table of leaked
/// slices), so that `Shape` stays `Copy` and copying or comparing one never
/// allocates. It dereferences to `&[usize]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape(Repr);

/// Each shape has exactly one representation (inline up to [`INLINE`] axes,
/// interned above), so the derived equality compares dimensions.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Repr {
    Inline { dims: [usize; INLINE], rank: u8 },
    Spilled(&'static [usize]),
}

/// The table of interned high-rank shapes.
fn intern(dims: &[usize]) -> &'static [usize] {
    static TABLE: OnceLock<Mutex<HashSet<&'static [usize]>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| Mutex::new(HashSet::new()));
    // A poisoned lock only means another thread panicked while inserting;
    // the set itself is still valid.
    let mut set = table.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(&s) = set.get(dims) {
        return s;
    }
    let s: &'static [usize] = Box::leak(dims.to_vec().into_boxed_slice());
    set.insert(s);
    s
}

impl Shape {
    /// The shape of a scalar (rank 0, one element).
    pub const SCALAR: Shape = Shape(Repr::Inline {
        dims: [0; INLINE],
        rank: 0,
    });

    /// A shape from its dimensions.
    ///
    /// # Errors
    /// None: every rank is accepted. The `Result` is kept so that shapes
    /// can be built uniformly with the other fallible constructors.
    pub fn new(dims: &[usize]) -> Result<Shape> {
        Ok(Shape::of(dims))
    }

    /// A shape from its dimensions (infallible form of [`Shape::new`]).
    pub fn of(dims: &[usize]) -> Shape {
        if dims.len() <= INLINE {
            let mut d = [0; INLINE];
            d[..dims.len()].copy_from_slice(dims);
            Shape(Repr::Inline {
                dims: d,
                rank: dims.len() as u8,
            })
        } else {
            Shape(Repr::Spilled(intern(dims)))
        }
    }

    /// A shape of `rank` axes whose axis `i` has length `f(i)`.
    pub(crate) fn from_fn(rank: usize, f: impl Fn(usize) -> usize) -> Shape {
        if rank <= INLINE {
            let mut dims = [0; INLINE];
            for (i, d) in dims[..rank].iter_mut().enumerate() {
                *d = f(i);
            }
            Shape(Repr::Inline {
                dims,
                rank: rank as u8,
            })
        } else {
            let v: Vec<usize> = (0..rank).map(f).collect();
            Shape::of(&v)
        }
    }

    /// Number of axes.
    pub fn rank(&self) -> usize {
        self.dims().len()
    }

    /// Number of elements (1 for a scalar).
    pub fn numel(&self) -> usize {
        self.iter().product()
    }

    /// The dimensions as a slice.
    pub fn dims(&self) -> &[usize] {
        match &self.0 {
            Repr::Inline { dims, rank } => &dims[..*rank as usize],
            Repr::Spilled(s) => s,
        }
    }

    /// The last dimension (1 for a scalar).
    pub fn last(&self) -> usize {
        self.dims().last().copied().unwrap_or(1)
    }

    /// This shape without axis `axis`.
    pub(crate) fn remove(&self, axis: usize) -> Shape {
        let d = self.dims();
        Shape::from_fn(d.len() - 1, |i| if i < axis { d[i] } else { d[i + 1] })
    }

    /// This shape with axis `axis` set to 1.
    pub(crate) fn with_one(&self, axis: usize) -> Shape {
        self.with(axis, 1)
    }

    /// This shape with axis `axis` set to `n`.
    pub(crate) fn with(&self, axis: usize, n: usize) -> Shape {
        let d = self.dims();
        Shape::from_fn(d.len(), |i| if i == axis { n } else { d[i] })
    }

    /// `[k] ++ self`.
    pub(crate) fn prepend(&self, k: usize) -> Shape {
        let d = self.dims();
        Shape::from_fn(d.len() + 1, |i| if i == 0 { k } else { d[i - 1] })
    }

    /// This shape without its first axis.
    pub(crate) fn tail(&self) -> Shape {
        Shape::of(&self.dims()[1..])
    }

    /// This shape padded on the left with axes of length 1 up to rank `r`
    /// (unchanged if its rank is already `r` or more).
    pub(crate) fn pad_to(&self, r: usize) -> Shape {
        let d = self.dims();
        if d.len() >= r {
            return *self;
        }
        let off = r - d.len();
        Shape::from_fn(r, |i| if i < off { 1 } else { d[i - off] })
    }

    /// `self ++ other`.
    pub(crate) fn concat(&self, other: &Shape) -> Shape {
        let (a, b) = (self.dims(), other.dims());
        Shape::from_fn(a.len() + b.len(), |i| {
            if i < a.len() { a[i] } else { b[i - a.len()] }
        })
    }

    /// Row-major strides of this shape, with stride 0 on axes of length 1
    /// when seen from a larger `out` shape it broadcasts to (numpy rules:
    /// align trailing axes).
    pub(crate) fn broadcast_strides(&self, out: &Shape) -> Vec<usize> {
        let mut strides = vec![0; out.rank()];
        let off = out.rank() - self.rank();
        let mut acc = 1;
        for i in (0..self.rank()).rev() {
            if self[i] != 1 {
                strides[off + i] = acc;
            }
            acc *= self[i];
        }
        strides
    }

    /// The numpy broadcast of two shapes.
    pub(crate) fn broadcast(op: &'static str, a: &Shape, b: &Shape) -> Result<Shape> {
        if a == b {
            return Ok(*a);
        }
        let rank = a.rank().max(b.rank());
        let (pa, pb) = (a.pad_to(rank), b.pad_to(rank));
        for i in 0..rank {
            let (da, db) = (pa[i], pb[i]);
            if da != db && da != 1 && db != 1 {
                return Err(crate::error::Error::Shape(crate::ShapeError {
                    op,
                    what: "the operands",
                    left: *a,
                    right: *b,
                }));
            }
        }
        Ok(Shape::from_fn(
            rank,
            |i| {
                if pa[i] == 1 { pb[i] } else { pa[i] }
            },
        ))
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
    sa: &[usize],
    sb: &[usize],
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
    let mut idx = vec![0usize; rank];
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

#[cfg(test)]
mod tests {
    use super::Shape;

    #[test]
    fn high_ranks_are_interned_and_compare_by_value() {
        assert!(core::mem::size_of::<Shape>() <= 48);
        let dims: Vec<usize> = (1..=9).collect();
        let (a, b) = (Shape::of(&dims), Shape::of(&dims));
        assert_eq!(a, b);
        assert_eq!(a.rank(), 9);
        assert_eq!(a.numel(), (1..=9).product());
        assert_eq!(a.remove(0).dims(), &dims[1..]);
        assert_eq!(a.prepend(7)[0], 7);
        assert_ne!(a, Shape::of(&dims[..8]));
    }
}
