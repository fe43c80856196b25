//! GEMM: `C ← α·A·B + β·C` over strided matrix views.
//!
//! (Placeholder body: a plain triple loop; the packed BLIS implementation
//! replaces it.)

use crate::element::Element;
use crate::isa::{Isa, isa};

/// A read-only matrix view: `rows × cols` elements of `data`, element `(i, j)`
/// at `data[i·rs + j·cs]` (BLIS names: `rs` row stride, `cs` column stride).
///
/// A transpose is a view with the strides swapped ([`MatRef::t`]), not a copy.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, T> {
    data: &'a [T],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

/// Index one past the last element a `rows × cols` view with strides `rs, cs` reads.
fn extent(rows: usize, cols: usize, rs: usize, cs: usize) -> Option<usize> {
    if rows == 0 || cols == 0 {
        return Some(0);
    }
    (rows - 1)
        .checked_mul(rs)?
        .checked_add((cols - 1).checked_mul(cs)?)?
        .checked_add(1)
}

impl<'a, T: Element> MatRef<'a, T> {
    /// A contiguous row-major `rows × cols` view.
    ///
    /// # Panics
    /// If `data` holds fewer than `rows·cols` elements.
    pub fn new(data: &'a [T], rows: usize, cols: usize) -> Self {
        Self::from_strides(data, rows, cols, cols, 1)
    }

    /// A view with explicit row stride `rs` and column stride `cs`.
    ///
    /// # Panics
    /// If the view reaches past the end of `data`.
    pub fn from_strides(data: &'a [T], rows: usize, cols: usize, rs: usize, cs: usize) -> Self {
        let need = extent(rows, cols, rs, cs).unwrap_or_else(|| {
            panic!("kernels::MatRef: {rows}×{cols} view with strides ({rs}, {cs}) overflows usize")
        });
        assert!(
            data.len() >= need,
            "kernels::MatRef: a {rows}×{cols} view with strides ({rs}, {cs}) needs {need} elements but the slice has {}",
            data.len()
        );
        MatRef {
            data,
            rows,
            cols,
            rs,
            cs,
        }
    }

    /// The transposed view (swaps rows/cols and their strides; no copy).
    pub fn t(self) -> Self {
        MatRef {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// Row stride.
    pub fn rs(&self) -> usize {
        self.rs
    }
    /// Column stride.
    pub fn cs(&self) -> usize {
        self.cs
    }
    /// The underlying slice.
    pub fn data(&self) -> &'a [T] {
        self.data
    }
    /// Element `(i, j)`.
    ///
    /// # Panics
    /// If `(i, j)` is outside the view.
    pub fn at(&self, i: usize, j: usize) -> T {
        assert!(
            i < self.rows && j < self.cols,
            "kernels::MatRef::at: ({i}, {j}) outside {}×{}",
            self.rows,
            self.cols
        );
        self.data[i * self.rs + j * self.cs]
    }
}

/// A mutable matrix view, element `(i, j)` at `data[i·rs + j·cs]`.
///
/// Its strides must address each element once (no two `(i, j)` share a
/// slot), which the constructors check: the output of a GEMM never overlaps
/// itself, and Rust's borrows keep it from overlapping the inputs.
#[derive(Debug)]
pub struct MatMut<'a, T> {
    data: &'a mut [T],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a, T: Element> MatMut<'a, T> {
    /// A contiguous row-major `rows × cols` view.
    ///
    /// # Panics
    /// If `data` holds fewer than `rows·cols` elements.
    pub fn new(data: &'a mut [T], rows: usize, cols: usize) -> Self {
        Self::from_strides(data, rows, cols, cols, 1)
    }

    /// A view with explicit strides.
    ///
    /// # Panics
    /// If the view reaches past the end of `data`, or if its strides make two
    /// elements share a slot (an overlapping output).
    pub fn from_strides(data: &'a mut [T], rows: usize, cols: usize, rs: usize, cs: usize) -> Self {
        let need = extent(rows, cols, rs, cs).unwrap_or_else(|| {
            panic!("kernels::MatMut: {rows}×{cols} view with strides ({rs}, {cs}) overflows usize")
        });
        assert!(
            data.len() >= need,
            "kernels::MatMut: a {rows}×{cols} view with strides ({rs}, {cs}) needs {need} elements but the slice has {}",
            data.len()
        );
        // Injective iff, ordering the two (dim, stride) pairs by stride, the
        // inner stride is ≥ 1 and the outer stride clears the inner extent.
        let (mut inner, mut outer) = ((rows, rs), (cols, cs));
        if inner.1 > outer.1 {
            core::mem::swap(&mut inner, &mut outer);
        }
        let ok = rows == 0
            || cols == 0
            || ((inner.0 <= 1 || inner.1 >= 1)
                && (outer.0 <= 1 || outer.1 >= inner.1 * inner.0.max(1) && outer.1 >= 1));
        assert!(
            ok,
            "kernels::MatMut: strides ({rs}, {cs}) make a {rows}×{cols} output overlap itself"
        );
        MatMut {
            data,
            rows,
            cols,
            rs,
            cs,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// Row stride.
    pub fn rs(&self) -> usize {
        self.rs
    }
    /// Column stride.
    pub fn cs(&self) -> usize {
        self.cs
    }
}

/// `C ← α·A·B + β·C` on the path chosen by [`isa()`].
///
/// When `β = 0`, `C` is not read (NaN already in `C` does not propagate), as in BLAS.
/// The result does not depend on the number of threads: `k` is never split.
///
/// # Panics
/// If the shapes do not agree (`A` m×k, `B` k×n, `C` m×n), naming the dimensions.
pub fn gemm<T: Element>(alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>) {
    isa().gemm(alpha, a, b, beta, c)
}

impl Isa {
    /// [`gemm`] on this path.
    ///
    /// # Panics
    /// As [`gemm`]; also if this CPU does not support the path.
    pub fn gemm<T: Element>(
        self,
        alpha: T,
        a: MatRef<'_, T>,
        b: MatRef<'_, T>,
        beta: T,
        c: MatMut<'_, T>,
    ) {
        self.assert_supported();
        assert!(
            a.cols == b.rows && a.rows == c.rows && b.cols == c.cols,
            "kernels::gemm: A is {}×{}, B is {}×{}, C is {}×{}: need A m×k, B k×n, C m×n",
            a.rows,
            a.cols,
            b.rows,
            b.cols,
            c.rows,
            c.cols
        );
        let (m, k, n) = (a.rows, a.cols, b.cols);
        for i in 0..m {
            for j in 0..n {
                let mut s = T::ZERO;
                for p in 0..k {
                    s += a.data[i * a.rs + p * a.cs] * b.data[p * b.rs + j * b.cs];
                }
                let ci = i * c.rs + j * c.cs;
                c.data[ci] = if beta == T::ZERO {
                    alpha * s
                } else {
                    alpha * s + beta * c.data[ci]
                };
            }
        }
    }
}

/// `C = A·B` for contiguous row-major `a` (m×k), `b` (k×n) and `c` (m×n);
/// `c` is overwritten (never read).
///
/// # Panics
/// If a slice is shorter than its shape says, naming the argument and both sizes.
///
/// # Example
/// ```
/// let a = [1.0f32, 2.0, 3.0, 4.0]; // 2×2
/// let b = [5.0f32, 6.0, 7.0, 8.0]; // 2×2
/// let mut c = [0.0f32; 4];
/// kernels::matmul(2, 2, 2, &a, &b, &mut c);
/// assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
/// ```
pub fn matmul<T: Element>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T]) {
    let check = |name: &str, len: usize, r: usize, cl: usize| {
        assert!(
            len >= r * cl,
            "kernels::matmul: `{name}` should hold {r}×{cl} = {} elements but has {len}",
            r * cl
        );
    };
    check("a", a.len(), m, k);
    check("b", b.len(), k, n);
    check("c", c.len(), m, n);
    gemm(
        T::ONE,
        MatRef::new(a, m, k),
        MatRef::new(b, k, n),
        T::ZERO,
        MatMut::new(c, m, n),
    );
}
