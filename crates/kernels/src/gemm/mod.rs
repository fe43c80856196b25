//! GEMM: `C ← α·A·B + β·C` over strided matrix views, in the BLIS style.
//!
//! - `mod.rs`: the views, argument checks, and the choice of path.
//! - `loops`: the five loops (NC, KC, MC around the NR×MR macro-kernel) and
//!   their threading; `pack`: packing A and B into panels.
//! - `kernel`: the microkernel contract and its shared body;
//!   `avx512`, `avx2`, `portable`: the register tiles of each path.
//! - `skinny`: `n` (or `m`) ≤ 16 — linear layers with few outputs and
//!   matrix-vector products — streaming A once without packing it; also
//!   shallow products (`k` ≤ 16), through `Cᵀ = Bᵀ·Aᵀ`.
//!
//! Threads (`rayon::current_num_threads()`, so a rayon pool's `install`
//! controls them) split C, never `k`, so results are bit-identical for any
//! thread count.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod kernel;
mod loops;
mod pack;
mod portable;
mod skinny;

use crate::element::{Dtype, Element, same};
use crate::isa::{Isa, isa};
use skinny::{SHALLOW_K, SKINNY_N, Skinny};

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
/// When `β = 0`, `C` is not read (NaN already in `C` does not propagate), as in BLAS;
/// when `α = 0` or `k = 0`, `C ← β·C` and A and B are not read; when `m = 0`
/// or `n = 0`, nothing happens.
///
/// Threads: `rayon::current_num_threads()` (run inside a pool's `install` to
/// choose). The result does not depend on the number of threads: `k` is never
/// split, and each element's arithmetic is the same whichever block computes it.
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
        let (m, n) = (c.rows, c.cols);
        if m == 0 || n == 0 {
            return;
        }
        let c = Out {
            ptr: c.data.as_mut_ptr(),
            m,
            n,
            rs: c.rs,
            cs: c.cs,
            alpha,
            beta,
        };
        let (a, b) = (In::of(&a), In::of(&b));
        if a.cols == 0 || alpha == T::ZERO {
            // SAFETY: `c` is the caller's exclusively borrowed, checked view.
            unsafe { scale(c) };
            return;
        }
        // SAFETY: the views were bounds-checked by their constructors and C
        // is injective and exclusively borrowed (so it overlaps neither A nor
        // B); the shapes agree (asserted above); `assert_supported` checked
        // the CPU features of the path; `cast` is to `T` itself, as `DTYPE`
        // says.
        unsafe {
            match (self, T::DTYPE) {
                #[cfg(target_arch = "x86_64")]
                (Isa::Avx512, Dtype::F32) => run::<avx512::F32>(a.cast(), b.cast(), c.cast()),
                #[cfg(target_arch = "x86_64")]
                (Isa::Avx512, Dtype::F64) => run::<avx512::F64>(a.cast(), b.cast(), c.cast()),
                #[cfg(target_arch = "x86_64")]
                (Isa::Avx2, Dtype::F32) => run::<avx2::F32>(a.cast(), b.cast(), c.cast()),
                #[cfg(target_arch = "x86_64")]
                (Isa::Avx2, Dtype::F64) => run::<avx2::F64>(a.cast(), b.cast(), c.cast()),
                (_, Dtype::F32) => run::<portable::F32>(a.cast(), b.cast(), c.cast()),
                (_, Dtype::F64) => run::<portable::F64>(a.cast(), b.cast(), c.cast()),
            }
        }
    }
}

/// A read-only raw view of A or B (element `(i, j)` at `ptr + i·rs + j·cs`),
/// shareable between the threads of one GEMM.
#[derive(Clone, Copy)]
struct In<T> {
    ptr: *const T,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

// SAFETY: an `In` is only built from a shared borrow that outlives the GEMM
// call and is only read through.
unsafe impl<T: Sync> Send for In<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for In<T> {}

impl<T> In<T> {
    fn of(m: &MatRef<'_, T>) -> Self {
        In {
            ptr: m.data.as_ptr(),
            rows: m.rows,
            cols: m.cols,
            rs: m.rs,
            cs: m.cs,
        }
    }

    /// The same view at another type.
    ///
    /// # Safety
    /// `U` is `T` (checked through `Element::DTYPE` by the caller).
    unsafe fn cast<U>(self) -> In<U> {
        In {
            ptr: self.ptr.cast(),
            rows: self.rows,
            cols: self.cols,
            rs: self.rs,
            cs: self.cs,
        }
    }

    fn t(self) -> Self {
        In {
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
            ..self
        }
    }

    /// Pointer to element `(i, j)`.
    ///
    /// # Safety
    /// `(i, j)` lies inside the view (or on its edge, for an empty block).
    unsafe fn at(&self, i: usize, j: usize) -> *const T {
        // SAFETY: in bounds, as the caller guarantees.
        unsafe { self.ptr.add(i * self.rs + j * self.cs) }
    }

    /// The `rows × cols` block starting at `(i, j)`.
    ///
    /// # Safety
    /// The block lies inside the view.
    unsafe fn sub(&self, i: usize, j: usize, rows: usize, cols: usize) -> Self {
        In {
            // SAFETY: forwarded.
            ptr: unsafe { self.at(i, j) },
            rows,
            cols,
            ..*self
        }
    }
}

/// A raw view of (a block of) C with the scalars of its update
/// `C ← α·(…) + β·C`; blocks handed to different threads are disjoint.
#[derive(Clone, Copy)]
struct Out<T> {
    ptr: *mut T,
    m: usize,
    n: usize,
    rs: usize,
    cs: usize,
    alpha: T,
    beta: T,
}

// SAFETY: an `Out` comes from an exclusive borrow that outlives the GEMM
// call; threads receive disjoint blocks of it.
unsafe impl<T: Send> Send for Out<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Out<T> {}

impl<T: Element> Out<T> {
    /// The same view at another type.
    ///
    /// # Safety
    /// `U` is `T`.
    unsafe fn cast<U: Element>(self) -> Out<U> {
        Out {
            ptr: self.ptr.cast(),
            m: self.m,
            n: self.n,
            rs: self.rs,
            cs: self.cs,
            alpha: same(self.alpha),
            beta: same(self.beta),
        }
    }

    fn t(self) -> Self {
        Out {
            m: self.n,
            n: self.m,
            rs: self.cs,
            cs: self.rs,
            ..self
        }
    }

    /// The `m × n` block starting at `(i, j)`.
    ///
    /// # Safety
    /// The block lies inside the view.
    unsafe fn sub(&self, i: usize, j: usize, m: usize, n: usize) -> Self {
        Out {
            // SAFETY: in bounds, as the caller guarantees.
            ptr: unsafe { self.ptr.add(i * self.rs + j * self.cs) },
            m,
            n,
            ..*self
        }
    }
}

/// `C ← β·C` (the whole update when `k = 0` or `α = 0`); `C` is not read when `β = 0`.
///
/// # Safety
/// `c` is a valid, exclusively borrowed view.
unsafe fn scale<T: Element>(c: Out<T>) {
    for i in 0..c.m {
        for j in 0..c.n {
            // SAFETY: `(i, j)` is inside the view.
            unsafe {
                let p = c.ptr.add(i * c.rs + j * c.cs);
                *p = if c.beta == T::ZERO {
                    T::ZERO
                } else {
                    c.beta * *p
                };
            }
        }
    }
}

/// Picks the path for a problem with `k ≥ 1`, `α ≠ 0`: skinny when `n` (or,
/// through `Cᵀ = Bᵀ·Aᵀ`, `m`) is small and the long operand is contiguous
/// along one axis, else packed.
///
/// # Safety
/// As [`loops::packed`].
unsafe fn run<K: Skinny>(a: In<K::T>, b: In<K::T>, c: Out<K::T>) {
    let streamable = |x: &In<K::T>| x.cs == 1 || x.rs == 1;
    // SAFETY: forwarded; the transposed problem addresses the same elements.
    unsafe {
        if c.n <= SKINNY_N && streamable(&a) {
            run_skinny::<K>(a, b, c);
        } else if c.m <= SKINNY_N && streamable(&b) {
            run_skinny::<K>(b.t(), a.t(), c.t());
        } else if a.cols <= SHALLOW_K && b.cs == 1 {
            // Shallow (`k` small, `m` and `n` large): C is as big as the
            // work, so write it once, unpacked, from `Cᵀ = Bᵀ·Aᵀ` with the
            // column-contiguous Bᵀ swept along C's rows.
            skinny::axpy::<K>(b.t(), a.t(), c.t());
        } else {
            loops::packed::<K>(a, b, c);
        }
    }
}

/// The skinny kernel matching A's layout.
///
/// # Safety
/// As [`run`], with `c.n ≤ SKINNY_N` and A row- or column-contiguous.
unsafe fn run_skinny<K: Skinny>(a: In<K::T>, b: In<K::T>, c: Out<K::T>) {
    // SAFETY: forwarded.
    unsafe {
        if a.cs == 1 {
            skinny::dot::<K>(a, b, c)
        } else {
            skinny::axpy::<K>(a, b, c)
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
