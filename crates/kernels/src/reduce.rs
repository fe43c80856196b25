//! Reductions and level-1 helpers: [`sum`], [`dot`], [`max`], [`argmax`],
//! [`col_sums`], [`row_sums`], [`axpy`], [`scale`].
//!
//! # Summation error
//! [`sum`], [`dot`] and [`row_sums`] add leaf blocks of `SUM_BLOCK` = 2048
//! elements in 8 independent vector accumulators (each lane adds at most
//! `SUM_BLOCK / (8 · lanes) + 1 ≤ 65` terms in sequence), combine the
//! accumulators and their lanes by a pairwise tree, and merge the leaf sums
//! pairwise like a binary counter. With `u` the unit roundoff the error is at
//! most `d · u · Σ|xᵢ|` (to first order) with
//! `d = 70 + 2·⌈log₂⌈n / 2048⌉⌉` — the pairwise-summation bound with a
//! constant leaf, instead of the `(n − 1) · u · Σ|xᵢ|` of a plain loop.
//! [`col_sums`] adds `COL_BLOCK_ROWS` = 64 rows in sequence and merges those
//! blocks the same way: `d = 64 + 2·⌈log₂⌈rows / 64⌉⌉`.

use crate::element::{Element, Typed, TypedMut, same, typed, typed_mut};
use crate::isa::{Isa, isa};
use crate::simd::{Elem, Kernel, Simd, dispatch};

/// Elements in a leaf block of the pairwise summation. It bounds the
/// sequential additions per accumulator lane (`SUM_BLOCK / (8 · lanes)`),
/// and is large enough that combining leaves costs nothing measurable.
pub(crate) const SUM_BLOCK: usize = 2048;

/// Rows summed in sequence by [`col_sums`] before blocks are combined
/// pairwise (the rows loop of the column-strip kernel).
pub(crate) const COL_BLOCK_ROWS: usize = 64;

/// `Σ xᵢ`, blocked and pairwise: the error is at most
/// `(70 + 2·⌈log₂⌈n / 2048⌉⌉) · u · Σ|xᵢ|` (u the unit roundoff) instead of
/// the `(n − 1) · u · Σ|xᵢ|` of a plain loop. The empty sum is 0.
///
/// # Example
/// ```
/// assert_eq!(kernels::sum(&[1.0f32, 2.0, 3.0]), 6.0);
/// ```
pub fn sum<T: Element>(x: &[T]) -> T {
    isa().sum(x)
}

/// `Σ xᵢ·yᵢ`, blocked and pairwise like [`sum`] (fused multiply–add on the
/// AVX paths).
///
/// # Panics
/// If `x.len() != y.len()`, naming both lengths.
pub fn dot<T: Element>(x: &[T], y: &[T]) -> T {
    isa().dot(x, y)
}

/// The largest element, `None` for an empty slice. NaN counts as larger than
/// everything: if `x` holds a NaN the result is NaN (as in NumPy and PyTorch).
/// `−0.0` and `+0.0` compare equal; either may be returned.
///
/// # Example
/// ```
/// assert_eq!(kernels::max(&[1.0f32, 5.0, -2.0]), Some(5.0));
/// assert!(kernels::max(&[1.0f32, f32::NAN]).unwrap().is_nan());
/// assert_eq!(kernels::max::<f64>(&[]), None);
/// ```
pub fn max<T: Element>(x: &[T]) -> Option<T> {
    isa().max(x)
}

/// Index of the first largest element, `None` for an empty slice. Ties go to
/// the first index; NaN counts as larger than everything, so the index of
/// the first NaN is returned if there is one (as `numpy.argmax`).
///
/// # Example
/// ```
/// assert_eq!(kernels::argmax(&[1.0f32, 5.0, 5.0]), Some(1));
/// assert_eq!(kernels::argmax(&[1.0f32, f32::NAN, 9.0, f32::NAN]), Some(1));
/// ```
pub fn argmax<T: Element>(x: &[T]) -> Option<usize> {
    isa().argmax(x)
}

/// `out[j] = Σᵢ x[i, j]` for row-major `x` with `cols` columns (the bias
/// gradient), vectorised across columns. Blocks of 64 rows are summed in
/// sequence and merged pairwise: the error in `out[j]` is at most
/// `(64 + 2·⌈log₂⌈rows / 64⌉⌉) · u · Σᵢ|x[i, j]|`.
///
/// # Panics
/// If `out.len() != cols`, or `x.len()` is not a multiple of `cols` (or
/// `cols == 0` with a non-empty `x`), naming both sizes.
///
/// # Example
/// ```
/// let x = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2×3
/// let mut out = [0.0f32; 3];
/// kernels::col_sums(&x, 3, &mut out);
/// assert_eq!(out, [5.0, 7.0, 9.0]);
/// ```
pub fn col_sums<T: Element>(x: &[T], cols: usize, out: &mut [T]) {
    isa().col_sums(x, cols, out)
}

/// `out[i] = Σⱼ x[i, j]` for row-major `x` with `cols` columns, each row
/// summed like [`sum`]. With `cols == 0` (so `x` empty) every `out[i]` is 0.
///
/// # Panics
/// If `x.len()` is not a multiple of `cols` (or `cols == 0` with a non-empty
/// `x`), or if `cols > 0` and `out.len()` is not the number of rows, naming
/// both sizes.
pub fn row_sums<T: Element>(x: &[T], cols: usize, out: &mut [T]) {
    isa().row_sums(x, cols, out)
}

/// `y ← α·x + y` (fused multiply–add on the AVX paths).
///
/// # Panics
/// If `x.len() != y.len()`, naming both lengths.
pub fn axpy<T: Element>(alpha: T, x: &[T], y: &mut [T]) {
    isa().axpy(alpha, x, y)
}

/// `x ← α·x`.
pub fn scale<T: Element>(alpha: T, x: &mut [T]) {
    isa().scale(alpha, x)
}

fn same_len(name: &str, a: &str, la: usize, b: &str, lb: usize) {
    assert_eq!(
        la, lb,
        "kernels::{name}: `{a}` has {la} elements but `{b}` has {lb}"
    );
}

fn rows_of(name: &str, len: usize, cols: usize) -> usize {
    if cols == 0 {
        assert!(
            len == 0,
            "kernels::{name}: cols is 0 but `x` has {len} elements"
        );
        return 0;
    }
    assert!(
        len.is_multiple_of(cols),
        "kernels::{name}: `x` has {len} elements, not a multiple of cols = {cols}"
    );
    len / cols
}

impl Isa {
    /// [`sum`] on this path.
    ///
    /// # Panics
    /// If this CPU does not support the path.
    pub fn sum<T: Element>(self, x: &[T]) -> T {
        match typed(x) {
            Typed::F32(x) => same(dispatch(self, SumK(x))),
            Typed::F64(x) => same(dispatch(self, SumK(x))),
        }
    }

    /// [`dot`] on this path.
    ///
    /// # Panics
    /// As [`dot`]; also if this CPU does not support the path.
    pub fn dot<T: Element>(self, x: &[T], y: &[T]) -> T {
        same_len("dot", "x", x.len(), "y", y.len());
        match (typed(x), typed(y)) {
            (Typed::F32(x), Typed::F32(y)) => same(dispatch(self, DotK(x, y))),
            (Typed::F64(x), Typed::F64(y)) => same(dispatch(self, DotK(x, y))),
            _ => unreachable!("`x` and `y` have the same element type"),
        }
    }

    /// [`max`] on this path.
    ///
    /// # Panics
    /// If this CPU does not support the path.
    pub fn max<T: Element>(self, x: &[T]) -> Option<T> {
        if x.is_empty() {
            return None;
        }
        let (m, nonfinite) = match typed(x) {
            Typed::F32(x) => {
                let (m, f) = dispatch(self, MaxK(x));
                (same(m), f)
            }
            Typed::F64(x) => {
                let (m, f) = dispatch(self, MaxK(x));
                (same(m), f)
            }
        };
        if nonfinite && x.iter().any(|v| v.is_nan()) {
            return Some(T::NAN);
        }
        Some(m)
    }

    /// [`argmax`] on this path.
    ///
    /// # Panics
    /// If this CPU does not support the path.
    pub fn argmax<T: Element>(self, x: &[T]) -> Option<usize> {
        if x.is_empty() {
            return None;
        }
        match typed(x) {
            Typed::F32(x) => Some(dispatch(self, ArgmaxK(x))),
            Typed::F64(x) => Some(dispatch(self, ArgmaxK(x))),
        }
    }

    /// [`col_sums`] on this path.
    ///
    /// # Panics
    /// As [`col_sums`]; also if this CPU does not support the path.
    pub fn col_sums<T: Element>(self, x: &[T], cols: usize, out: &mut [T]) {
        assert_eq!(
            out.len(),
            cols,
            "kernels::col_sums: `out` has {} elements but cols = {cols}",
            out.len()
        );
        let rows = rows_of("col_sums", x.len(), cols);
        match (typed(x), typed_mut(out)) {
            (Typed::F32(x), TypedMut::F32(o)) => dispatch(
                self,
                ColSumsK {
                    x,
                    rows,
                    cols,
                    out: o,
                },
            ),
            (Typed::F64(x), TypedMut::F64(o)) => dispatch(
                self,
                ColSumsK {
                    x,
                    rows,
                    cols,
                    out: o,
                },
            ),
            _ => unreachable!("`x` and `out` have the same element type"),
        }
    }

    /// [`row_sums`] on this path.
    ///
    /// # Panics
    /// As [`row_sums`]; also if this CPU does not support the path.
    pub fn row_sums<T: Element>(self, x: &[T], cols: usize, out: &mut [T]) {
        let rows = rows_of("row_sums", x.len(), cols);
        if cols == 0 {
            out.fill(T::ZERO);
            return;
        }
        assert_eq!(
            out.len(),
            rows,
            "kernels::row_sums: `out` has {} elements but `x` has {rows} rows",
            out.len()
        );
        match (typed(x), typed_mut(out)) {
            (Typed::F32(x), TypedMut::F32(o)) => dispatch(self, RowSumsK { x, cols, out: o }),
            (Typed::F64(x), TypedMut::F64(o)) => dispatch(self, RowSumsK { x, cols, out: o }),
            _ => unreachable!("`x` and `out` have the same element type"),
        }
    }

    /// [`axpy`] on this path.
    ///
    /// # Panics
    /// As [`axpy`]; also if this CPU does not support the path.
    pub fn axpy<T: Element>(self, alpha: T, x: &[T], y: &mut [T]) {
        same_len("axpy", "x", x.len(), "y", y.len());
        match (typed(x), typed_mut(y)) {
            (Typed::F32(x), TypedMut::F32(y)) => dispatch(self, AxpyK(same(alpha), x, y)),
            (Typed::F64(x), TypedMut::F64(y)) => dispatch(self, AxpyK(same(alpha), x, y)),
            _ => unreachable!("`x` and `y` have the same element type"),
        }
    }

    /// [`scale`] on this path.
    ///
    /// # Panics
    /// If this CPU does not support the path.
    pub fn scale<T: Element>(self, alpha: T, x: &mut [T]) {
        match typed_mut(x) {
            TypedMut::F32(x) => dispatch(self, ScaleK(same(alpha), x)),
            TypedMut::F64(x) => dispatch(self, ScaleK(same(alpha), x)),
        }
    }
}

/// Sum of one leaf block (any length; callers pass at most `SUM_BLOCK`) of
/// `Σ f(xᵢ, yᵢ)` where `f` is the identity on `x` (`y` absent) or the
/// product.
///
/// # Safety
/// `x` (and `y` when given) valid for `n` reads; the CPU supports `V`'s
/// instruction set.
#[inline(always)]
unsafe fn block_sum<V: Simd>(x: *const V::E, y: Option<*const V::E>, n: usize) -> V::E {
    let l = V::LANES;
    // Multiply–accumulate `xv·yv` into `acc`, or add `xv` alone. (A
    // function, not a closure: a closure is compiled without the path's
    // target features, and where it is not inlined its intrinsics become
    // calls.)
    #[inline(always)]
    unsafe fn acc<V: Simd>(
        acc: V,
        x: *const V::E,
        y: Option<*const V::E>,
        n: usize,
        i: usize,
        full: bool,
    ) -> V {
        // SAFETY: the loops below keep `i + LANES ≤ n` for full vectors and
        // `i < n` for the tail.
        unsafe {
            let xv = if full {
                V::load(x.add(i))
            } else {
                V::load_tail(x.add(i), n - i, V::E::ZERO)
            };
            match y {
                Some(y) => {
                    let yv = if full {
                        V::load(y.add(i))
                    } else {
                        V::load_tail(y.add(i), n - i, V::E::ZERO)
                    };
                    xv.mul_add(yv, acc)
                }
                None => acc.add(xv),
            }
        }
    }
    // SAFETY: the caller guarantees the instruction set.
    let z = unsafe { V::splat(V::E::ZERO) };
    let mut a = [z; 8];
    let mut i = 0;
    while i + 8 * l <= n {
        for (k, ak) in a.iter_mut().enumerate() {
            // SAFETY: `i + (k + 1)·LANES ≤ n`.
            *ak = unsafe { acc(*ak, x, y, n, i + k * l, true) };
        }
        i += 8 * l;
    }
    let mut k = 0;
    while i + l <= n {
        // SAFETY: `i + LANES ≤ n`.
        a[k] = unsafe { acc(a[k], x, y, n, i, true) };
        k += 1;
        i += l;
    }
    if i < n {
        // SAFETY: `i < n`.
        a[k] = unsafe { acc(a[k], x, y, n, i, false) };
    }
    let s = a[0].add(a[1]).add(a[2].add(a[3]));
    let t = a[4].add(a[5]).add(a[6].add(a[7]));
    s.add(t).reduce_add()
}

/// Pairwise sum of `⌈n / SUM_BLOCK⌉` leaf blocks without recursion: leaf
/// sums are pushed on a stack and merged like a binary counter, which adds
/// them in the same balanced tree as recursive halving would (up to the
/// order of equal-depth merges).
///
/// # Safety
/// As [`block_sum`].
#[inline(always)]
unsafe fn pairwise_iter<V: Simd>(x: *const V::E, y: Option<*const V::E>, n: usize) -> V::E {
    // stack[d] holds a partial sum of 2^d leaves, when present.
    let mut stack = [V::E::ZERO; 64];
    let mut full = 0u64;
    let mut i = 0;
    while i < n {
        let len = SUM_BLOCK.min(n - i);
        // SAFETY: `i + len ≤ n`.
        let mut s = unsafe { block_sum::<V>(x.add(i), y.map(|y| y.add(i)), len) };
        let mut d = 0;
        while full & (1 << d) != 0 {
            s = stack[d] + s;
            full &= !(1 << d);
            d += 1;
        }
        stack[d] = s;
        full |= 1 << d;
        i += len;
    }
    // The partial sums present, from the smallest: a loop over the set
    // bits only (one over all 64 slots, with its selects, cost as much as
    // a whole leaf block on some paths).
    let mut total = V::E::ZERO;
    let mut first = true;
    while full != 0 {
        let v = stack[full.trailing_zeros() as usize];
        total = if first { v } else { total + v };
        first = false;
        full &= full - 1;
    }
    total
}

struct SumK<'a, E>(&'a [E]);
impl<E: Elem> Kernel<E> for SumK<'_, E> {
    type Out = E;
    fn stream_bytes(&self) -> usize {
        size_of_val(self.0)
    }
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) -> E {
        // SAFETY: the slice is valid for its length; the caller guarantees
        // the instruction set.
        unsafe { pairwise_iter::<V>(self.0.as_ptr(), None, self.0.len()) }
    }
}

struct DotK<'a, E>(&'a [E], &'a [E]);
impl<E: Elem> Kernel<E> for DotK<'_, E> {
    type Out = E;
    fn stream_bytes(&self) -> usize {
        size_of_val(self.0) + size_of_val(self.1)
    }
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) -> E {
        // SAFETY: both slices hold `len` elements (checked at the entry).
        unsafe { pairwise_iter::<V>(self.0.as_ptr(), Some(self.1.as_ptr()), self.0.len()) }
    }
}

/// `(max ignoring NaN, whether any element is NaN or ±∞)`.
struct MaxK<'a, E>(&'a [E]);
impl<E: Elem> Kernel<E> for MaxK<'_, E> {
    type Out = (E, bool);
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) -> (E, bool) {
        let (x, n, l) = (self.0.as_ptr(), self.0.len(), V::LANES);
        // SAFETY: every access is below `n`; the caller guarantees the
        // instruction set.
        unsafe {
            let ninf = V::splat(E::NEG_INFINITY);
            let zero = V::splat(E::ZERO);
            let (mut a0, mut a1) = (ninf, ninf);
            // `chk` stays 0 unless some `v·0` is NaN, i.e. v is NaN or ±∞.
            let (mut c0, mut c1) = (zero, zero);
            let mut i = 0;
            while i + 2 * l <= n {
                let (v0, v1) = (V::load(x.add(i)), V::load(x.add(i + l)));
                a0 = a0.max(v0);
                a1 = a1.max(v1);
                c0 = v0.mul_add(zero, c0);
                c1 = v1.mul_add(zero, c1);
                i += 2 * l;
            }
            while i + l <= n {
                let v = V::load(x.add(i));
                a0 = a0.max(v);
                c0 = v.mul_add(zero, c0);
                i += l;
            }
            if i < n {
                let v = V::load_tail(x.add(i), n - i, E::NEG_INFINITY);
                a1 = a1.max(v);
                c1 = V::load_tail(x.add(i), n - i, E::ZERO).mul_add(zero, c1);
            }
            (a0.max(a1).reduce_max(), c0.add(c1).reduce_add().is_nan())
        }
    }
}

/// Index of the first NaN, else of the first maximum (non-empty slice).
struct ArgmaxK<'a, E>(&'a [E]);
impl<E: Elem> Kernel<E> for ArgmaxK<'_, E> {
    type Out = usize;
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) -> usize {
        let x = self.0;
        // SAFETY: forwarded from the caller.
        let (m, nonfinite) = unsafe { MaxK(x).run::<V>() };
        if nonfinite && let Some(i) = x.iter().position(|v| v.is_nan()) {
            return i;
        }
        let (p, n, l) = (x.as_ptr(), x.len(), V::LANES);
        let mut i = 0;
        // SAFETY: every access is below `n`.
        unsafe {
            while i + l <= n {
                let mask = V::load(p.add(i)).eq_mask(m);
                if mask != 0 {
                    return i + mask.trailing_zeros() as usize;
                }
                i += l;
            }
        }
        // `m` is an element, so it is found by here.
        i + x[i..].iter().position(|&v| v == m).unwrap_or(0)
    }
}

/// Column sums of a `rows × cols` block into `out` (overwritten), in strips
/// of 4 vectors of columns; each strip walks down the rows with its
/// accumulators in registers.
///
/// # Safety
/// `x` valid for `rows · cols` reads, `out` for `cols` writes; the CPU
/// supports `V`'s instruction set.
#[inline(always)]
unsafe fn col_block<V: Simd>(x: *const V::E, rows: usize, cols: usize, out: *mut V::E) {
    let l = V::LANES;
    // SAFETY: every access is below row `rows` and column `cols`.
    unsafe {
        let z = V::splat(V::E::ZERO);
        let mut j = 0;
        while j + 4 * l <= cols {
            let mut a = [z; 4];
            for r in 0..rows {
                let p = x.add(r * cols + j);
                for (k, ak) in a.iter_mut().enumerate() {
                    *ak = ak.add(V::load(p.add(k * l)));
                }
            }
            for (k, ak) in a.iter().enumerate() {
                ak.store(out.add(j + k * l));
            }
            j += 4 * l;
        }
        while j + l <= cols {
            let mut a = z;
            for r in 0..rows {
                a = a.add(V::load(x.add(r * cols + j)));
            }
            a.store(out.add(j));
            j += l;
        }
        if j < cols {
            let t = cols - j;
            let mut a = z;
            for r in 0..rows {
                a = a.add(V::load_tail(x.add(r * cols + j), t, V::E::ZERO));
            }
            a.store_tail(out.add(j), t);
        }
    }
}

/// `out += t`.
///
/// # Safety
/// The CPU supports `V`'s instruction set; `out.len() == t.len()`.
#[inline(always)]
unsafe fn add_into<V: Simd>(out: &mut [V::E], t: &[V::E]) {
    let (n, l) = (out.len(), V::LANES);
    let (o, p) = (out.as_mut_ptr(), t.as_ptr());
    let mut i = 0;
    // SAFETY: every access is below `n`.
    unsafe {
        while i + l <= n {
            V::load(o.add(i)).add(V::load(p.add(i))).store(o.add(i));
            i += l;
        }
        if i < n {
            V::load_tail(o.add(i), n - i, V::E::ZERO)
                .add(V::load_tail(p.add(i), n - i, V::E::ZERO))
                .store_tail(o.add(i), n - i);
        }
    }
}

struct ColSumsK<'a, E> {
    x: &'a [E],
    rows: usize,
    cols: usize,
    out: &'a mut [E],
}
impl<E: Elem> Kernel<E> for ColSumsK<'_, E> {
    type Out = ();
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) {
        let (rows, cols) = (self.rows, self.cols);
        if cols == 0 {
            return;
        }
        // Pairwise over row blocks, bottom-up like a binary counter:
        // `stack[d]` holds the sums of 2^d blocks when bit d of `full` is set.
        let mut stack: Vec<Vec<E>> = Vec::new();
        let mut full = 0u64;
        let mut cur = vec![E::ZERO; cols];
        let mut r = 0;
        if rows == 0 {
            self.out.fill(E::ZERO);
            return;
        }
        while r < rows {
            let b = COL_BLOCK_ROWS.min(rows - r);
            // SAFETY: rows `r..r + b` are inside `x`; `cur` holds `cols`.
            unsafe { col_block::<V>(self.x.as_ptr().add(r * cols), b, cols, cur.as_mut_ptr()) };
            let mut d = 0;
            while full & (1 << d) != 0 {
                // SAFETY: both hold `cols`; the caller guarantees the ISA.
                unsafe { add_into::<V>(&mut cur, &stack[d]) };
                full &= !(1 << d);
                d += 1;
            }
            if stack.len() <= d {
                stack.resize_with(d + 1, || vec![E::ZERO; cols]);
            }
            core::mem::swap(&mut stack[d], &mut cur);
            full |= 1 << d;
            r += b;
        }
        let mut first = true;
        for (d, s) in stack.iter().enumerate() {
            if full & (1 << d) != 0 {
                if first {
                    self.out.copy_from_slice(s);
                    first = false;
                } else {
                    // SAFETY: both hold `cols`.
                    unsafe { add_into::<V>(self.out, s) };
                }
            }
        }
    }
}

struct RowSumsK<'a, E> {
    x: &'a [E],
    cols: usize,
    out: &'a mut [E],
}
impl<E: Elem> Kernel<E> for RowSumsK<'_, E> {
    type Out = ();
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) {
        for (o, row) in self.out.iter_mut().zip(self.x.chunks_exact(self.cols)) {
            // SAFETY: `row` holds `cols` elements.
            *o = unsafe { pairwise_iter::<V>(row.as_ptr(), None, row.len()) };
        }
    }
}

struct AxpyK<'a, E>(E, &'a [E], &'a mut [E]);
impl<E: Elem> Kernel<E> for AxpyK<'_, E> {
    type Out = ();
    fn elementwise_len(&self) -> Option<usize> {
        Some(self.1.len())
    }
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) {
        let (n, l) = (self.1.len(), V::LANES);
        let (x, y) = (self.1.as_ptr(), self.2.as_mut_ptr());
        // SAFETY: both slices hold `n` (checked at the entry); every access
        // is below `n`.
        unsafe {
            let a = V::splat(self.0);
            let mut i = 0;
            while i + 2 * l <= n {
                let y0 = a.mul_add(V::load(x.add(i)), V::load(y.add(i)));
                let y1 = a.mul_add(V::load(x.add(i + l)), V::load(y.add(i + l)));
                y0.store(y.add(i));
                y1.store(y.add(i + l));
                i += 2 * l;
            }
            while i + l <= n {
                a.mul_add(V::load(x.add(i)), V::load(y.add(i)))
                    .store(y.add(i));
                i += l;
            }
            if i < n {
                let t = n - i;
                a.mul_add(
                    V::load_tail(x.add(i), t, E::ZERO),
                    V::load_tail(y.add(i), t, E::ZERO),
                )
                .store_tail(y.add(i), t);
            }
        }
    }
}

struct ScaleK<'a, E>(E, &'a mut [E]);
impl<E: Elem> Kernel<E> for ScaleK<'_, E> {
    type Out = ();
    fn elementwise_len(&self) -> Option<usize> {
        Some(self.1.len())
    }
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) {
        let (n, l) = (self.1.len(), V::LANES);
        let x = self.1.as_mut_ptr();
        // SAFETY: every access is below `n`.
        unsafe {
            let a = V::splat(self.0);
            let mut i = 0;
            while i + l <= n {
                V::load(x.add(i)).mul(a).store(x.add(i));
                i += l;
            }
            if i < n {
                V::load_tail(x.add(i), n - i, E::ZERO)
                    .mul(a)
                    .store_tail(x.add(i), n - i);
            }
        }
    }
}
