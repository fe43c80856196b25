//! Row-wise softmax, log-softmax and logsumexp of a row-major matrix.
//!
//! Every row is shifted by its maximum `m` before exponentiating, so no
//! finite input overflows (`eˣ⁻ᵐ ≤ 1`) and the sum `s = Σ eˣ⁻ᵐ ≥ 1` never
//! underflows:
//!
//! - `softmax(x)ⱼ = eˣʲ⁻ᵐ / s`: three passes over the row — the maximum; the
//!   exponentials, stored and summed in the same pass; the scaling by `1/s`.
//! - `log_softmax(x)ⱼ = (xⱼ − m) − ln s`: the maximum; the sum (nothing
//!   stored); the subtraction. Subtracting `m` first keeps the result exact
//!   where `xⱼ − m` is, instead of cancelling `xⱼ` against `m + ln s`.
//! - `logsumexp(x) = m + ln s`.
//!
//! # Non-finite inputs
//! - A NaN anywhere in a row makes that row's results NaN.
//! - A row whose entries are all −∞ has no distribution: `logsumexp` is −∞
//!   (the sum of nothing is 0), while `softmax` and `log_softmax` are NaN
//!   for the whole row (`−∞ − (−∞)`), as in PyTorch and NumPy.
//! - A row containing +∞ has `logsumexp` +∞; its `softmax` and
//!   `log_softmax` are NaN for the whole row (`∞ − ∞`), again as in PyTorch.
//! - Finite extremes are fine: rows holding ±`f32::MAX` or ±1e30 give finite
//!   softmax values and no NaN (`x − m` may round to −∞, whose exponential
//!   is exactly 0, and then `log_softmax` is −∞, the rounded true value).
//!
//! Rows are split across threads (rayon) when the matrix holds at least
//! [`PAR_MIN_ELEMS`] elements; each row's result does not depend on the
//! split.

use rayon::prelude::*;

use crate::element::{Element, Typed, TypedMut, typed, typed_mut};
use crate::isa::{Isa, isa};
use crate::simd::{Elem, Kernel, Simd, dispatch, keep_low};

/// Matrices with fewer elements than this are processed on one thread.
/// Below it the rayon fork/join overhead (a few µs) exceeds the gain.
const PAR_MIN_ELEMS: usize = 1 << 16;

/// Rows per rayon task: at least this many elements per task.
const PAR_TASK_ELEMS: usize = 1 << 14;

/// The number of rows of a `len`-element row-major matrix with `cols`
/// columns, or a panic naming the operation.
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

fn same_len(name: &str, x: usize, out: usize) {
    assert_eq!(
        x, out,
        "kernels::{name}: `x` has {x} elements but `out` has {out}"
    );
}

/// Row-wise logsumexp: `out[r] = ln Σⱼ exp(x[r, j])` for row-major `x` with
/// `cols` columns, computed stably as `m + ln Σ exp(x − m)` with `m` the row
/// maximum. See the module notes for non-finite inputs.
///
/// # Panics
/// If `x.len()` is not a multiple of `cols` (or `cols == 0` with a non-empty
/// `x`), or if `out.len()` is not the number of rows, naming both sizes.
///
/// # Example
/// ```
/// let x = [0.0f32, 0.0, 1000.0, 1000.0]; // two rows of two
/// let mut out = [0.0f32; 2];
/// kernels::logsumexp_rows(&x, 2, &mut out);
/// assert!((out[0] - 2f32.ln()).abs() < 1e-6);
/// assert!((out[1] - (1000.0 + 2f32.ln())).abs() < 1e-3);
/// ```
pub fn logsumexp_rows<T: Element>(x: &[T], cols: usize, out: &mut [T]) {
    isa().logsumexp_rows(x, cols, out)
}

/// Row-wise softmax: `out[r, j] = exp(x[r, j] − m) / Σₖ exp(x[r, k] − m)`
/// with `m` the row maximum; each row sums to 1 within a few ULP. See the
/// module notes for non-finite inputs.
///
/// # Panics
/// If `out.len() != x.len()`, or `x.len()` is not a multiple of `cols` (or
/// `cols == 0` with a non-empty `x`), naming both sizes.
///
/// # Example
/// ```
/// let x = [1.0f32, 2.0, 3.0, 1e30, -1e30, 0.0];
/// let mut p = [0.0f32; 6];
/// kernels::softmax_rows(&x, 3, &mut p);
/// assert!((p[0] + p[1] + p[2] - 1.0).abs() < 1e-6);
/// assert_eq!(&p[3..], &[1.0, 0.0, 0.0]);
/// ```
pub fn softmax_rows<T: Element>(x: &[T], cols: usize, out: &mut [T]) {
    isa().softmax_rows(x, cols, out)
}

/// [`softmax_rows`] in place.
///
/// # Panics
/// As [`softmax_rows`].
pub fn softmax_rows_inplace<T: Element>(x: &mut [T], cols: usize) {
    isa().softmax_rows_inplace(x, cols)
}

/// Row-wise log-softmax: `out[r, j] = (x[r, j] − m) − ln Σₖ exp(x[r, k] − m)`
/// with `m` the row maximum. See the module notes for non-finite inputs.
///
/// # Panics
/// As [`softmax_rows`].
///
/// # Example
/// ```
/// let x = [0.0f64, 0.0];
/// let mut out = [0.0f64; 2];
/// kernels::log_softmax_rows(&x, 2, &mut out);
/// assert!((out[0] + 2f64.ln()).abs() < 1e-15);
/// ```
pub fn log_softmax_rows<T: Element>(x: &[T], cols: usize, out: &mut [T]) {
    isa().log_softmax_rows(x, cols, out)
}

/// [`log_softmax_rows`] in place.
///
/// # Panics
/// As [`softmax_rows`].
pub fn log_softmax_rows_inplace<T: Element>(x: &mut [T], cols: usize) {
    isa().log_softmax_rows_inplace(x, cols)
}

/// Which row operation a kernel performs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Softmax,
    LogSoftmax,
}

impl Isa {
    /// [`logsumexp_rows`] on this path.
    ///
    /// # Panics
    /// As [`logsumexp_rows`]; also if this CPU does not support the path.
    pub fn logsumexp_rows<T: Element>(self, x: &[T], cols: usize, out: &mut [T]) {
        let rows = rows_of("logsumexp_rows", x.len(), cols);
        assert_eq!(
            out.len(),
            rows,
            "kernels::logsumexp_rows: `out` has {} elements but `x` has {rows} rows",
            out.len()
        );
        match (typed(x), typed_mut(out)) {
            (Typed::F32(x), TypedMut::F32(o)) => lse_rows(self, x, cols, o),
            (Typed::F64(x), TypedMut::F64(o)) => lse_rows(self, x, cols, o),
            _ => unreachable!("`x` and `out` have the same element type"),
        }
    }

    /// [`softmax_rows`] on this path.
    ///
    /// # Panics
    /// As [`softmax_rows`]; also if this CPU does not support the path.
    pub fn softmax_rows<T: Element>(self, x: &[T], cols: usize, out: &mut [T]) {
        same_len("softmax_rows", x.len(), out.len());
        rows_of("softmax_rows", x.len(), cols);
        self.rows_op(Op::Softmax, Some(x), cols, out);
    }

    /// [`softmax_rows_inplace`] on this path.
    ///
    /// # Panics
    /// As [`softmax_rows`]; also if this CPU does not support the path.
    pub fn softmax_rows_inplace<T: Element>(self, x: &mut [T], cols: usize) {
        rows_of("softmax_rows", x.len(), cols);
        self.rows_op(Op::Softmax, None, cols, x);
    }

    /// [`log_softmax_rows`] on this path.
    ///
    /// # Panics
    /// As [`log_softmax_rows`]; also if this CPU does not support the path.
    pub fn log_softmax_rows<T: Element>(self, x: &[T], cols: usize, out: &mut [T]) {
        same_len("log_softmax_rows", x.len(), out.len());
        rows_of("log_softmax_rows", x.len(), cols);
        self.rows_op(Op::LogSoftmax, Some(x), cols, out);
    }

    /// [`log_softmax_rows_inplace`] on this path.
    ///
    /// # Panics
    /// As [`log_softmax_rows`]; also if this CPU does not support the path.
    pub fn log_softmax_rows_inplace<T: Element>(self, x: &mut [T], cols: usize) {
        rows_of("log_softmax_rows", x.len(), cols);
        self.rows_op(Op::LogSoftmax, None, cols, x);
    }

    /// Applies `op` to every row of `src` (or of `out` itself when `src` is
    /// `None`), writing `out`. Shapes are already checked.
    fn rows_op<T: Element>(self, op: Op, src: Option<&[T]>, cols: usize, out: &mut [T]) {
        match (src.map(typed), typed_mut(out)) {
            (None, TypedMut::F32(o)) => rows_op_typed(self, op, None, cols, o),
            (None, TypedMut::F64(o)) => rows_op_typed(self, op, None, cols, o),
            (Some(Typed::F32(x)), TypedMut::F32(o)) => rows_op_typed(self, op, Some(x), cols, o),
            (Some(Typed::F64(x)), TypedMut::F64(o)) => rows_op_typed(self, op, Some(x), cols, o),
            _ => unreachable!("`x` and `out` have the same element type"),
        }
    }
}

/// Rows per rayon task for a matrix of `rows × cols`, or `None` to stay on
/// this thread.
fn task_rows(rows: usize, cols: usize) -> Option<usize> {
    (rows * cols >= PAR_MIN_ELEMS && rows > 1).then(|| PAR_TASK_ELEMS.div_ceil(cols).max(1))
}

fn rows_op_typed<E: Elem>(isa: Isa, op: Op, src: Option<&[E]>, cols: usize, out: &mut [E]) {
    if out.is_empty() {
        return;
    }
    let rows = out.len() / cols;
    let run = |s: Option<&[E]>, o: &mut [E]| {
        let rows = o.len() / cols;
        let dst = o.as_mut_ptr();
        let src = s.map_or(dst.cast_const(), <[E]>::as_ptr);
        dispatch(
            isa,
            RowsK {
                op,
                src,
                dst,
                rows,
                cols,
            },
        )
    };
    match (task_rows(rows, cols), src) {
        (None, s) => run(s, out),
        (Some(tr), Some(s)) => s
            .par_chunks(tr * cols)
            .zip(out.par_chunks_mut(tr * cols))
            .for_each(|(s, o)| run(Some(s), o)),
        (Some(tr), None) => out.par_chunks_mut(tr * cols).for_each(|o| run(None, o)),
    }
}

fn lse_rows<E: Elem>(isa: Isa, x: &[E], cols: usize, out: &mut [E]) {
    if out.is_empty() {
        return;
    }
    let run = |s: &[E], o: &mut [E]| {
        dispatch(
            isa,
            LseK {
                src: s,
                out: o,
                cols,
            },
        )
    };
    match task_rows(out.len(), cols) {
        None => run(x, out),
        Some(tr) => x
            .par_chunks(tr * cols)
            .zip(out.par_chunks_mut(tr))
            .for_each(|(s, o)| run(s, o)),
    }
}

/// Softmax or log-softmax of `rows` rows of `cols` from `src` into `dst`
/// (which may be the same pointer; otherwise they must not overlap).
struct RowsK<E> {
    op: Op,
    src: *const E,
    dst: *mut E,
    rows: usize,
    cols: usize,
}

impl<E: Elem> Kernel<E> for RowsK<E> {
    type Out = ();
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) {
        let n = self.cols;
        for r in 0..self.rows {
            // SAFETY: both pointers are valid for `rows · cols` elements, so
            // for this row; each element is read before it is written. The
            // caller guarantees `V`'s instruction set.
            unsafe {
                let src = self.src.add(r * n);
                let dst = self.dst.add(r * n);
                let m = row_max::<V>(src, n);
                match self.op {
                    Op::Softmax => {
                        let s = row_exp_shift::<V>(src, Some(dst), n, m);
                        row_scale::<V>(dst, n, E::ONE / s);
                    }
                    Op::LogSoftmax => {
                        let s = row_exp_shift::<V>(src, None, n, m);
                        row_shift2::<V>(src, dst, n, m, s.ln());
                    }
                }
            }
        }
    }
}

/// Logsumexp of each row of `src` (`out.len()` rows of `cols`).
struct LseK<'a, E> {
    src: &'a [E],
    out: &'a mut [E],
    cols: usize,
}

impl<E: Elem> Kernel<E> for LseK<'_, E> {
    type Out = ();
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) {
        let n = self.cols;
        for (row, o) in self.src.chunks_exact(n).zip(self.out.iter_mut()) {
            // SAFETY: `row` holds `n` elements; the caller guarantees `V`'s
            // instruction set.
            unsafe {
                let m = row_max::<V>(row.as_ptr(), n);
                *o = if m.is_finite() {
                    m + row_exp_shift::<V>(row.as_ptr(), None, n, m).ln()
                } else if row.iter().any(|v| v.is_nan()) {
                    E::NAN
                } else {
                    // All −∞ (m = −∞: the sum is 0) or some +∞ (m = +∞).
                    m
                };
            }
        }
    }
}

/// The largest element of `p[..n]`, ignoring NaN (−∞ if there is none).
///
/// # Safety
/// `p` valid for `n` reads; the CPU supports `V`'s instruction set.
#[inline(always)]
unsafe fn row_max<V: Simd>(p: *const V::E, n: usize) -> V::E {
    let l = V::LANES;
    // SAFETY: every access is below `n`.
    unsafe {
        let ninf = V::splat(V::E::NEG_INFINITY);
        let (mut a0, mut a1, mut a2, mut a3) = (ninf, ninf, ninf, ninf);
        let mut i = 0;
        while i + 4 * l <= n {
            a0 = a0.max(V::load(p.add(i)));
            a1 = a1.max(V::load(p.add(i + l)));
            a2 = a2.max(V::load(p.add(i + 2 * l)));
            a3 = a3.max(V::load(p.add(i + 3 * l)));
            i += 4 * l;
        }
        while i + l <= n {
            a0 = a0.max(V::load(p.add(i)));
            i += l;
        }
        if i < n {
            a1 = a1.max(V::load_tail(p.add(i), n - i, V::E::NEG_INFINITY));
        }
        a0.max(a1).max(a2.max(a3)).reduce_max()
    }
}

/// `Σ exp(src[j] − m)`, also storing each term to `dst` when given.
///
/// # Safety
/// Pointers valid for `n` elements (`dst` may equal `src`); the CPU supports
/// `V`'s instruction set.
#[inline(always)]
unsafe fn row_exp_shift<V: Simd>(
    src: *const V::E,
    dst: Option<*mut V::E>,
    n: usize,
    m: V::E,
) -> V::E {
    let l = V::LANES;
    // SAFETY: every access is below `n`; each element is read before written.
    unsafe {
        let mv = V::splat(m);
        let zero = V::splat(V::E::ZERO);
        let (mut s0, mut s1, mut s2, mut s3) = (zero, zero, zero, zero);
        let mut i = 0;
        // Four vectors per step with 32 registers; one with 16, where the
        // shift `m` and the running sums would otherwise be spilled beside
        // the constants of `exp` (see `Simd::REGISTERS`). The iterations are
        // independent, so the processor overlaps them all the same.
        while V::REGISTERS >= 32 && i + 4 * l <= n {
            let e0 = V::load(src.add(i)).sub(mv).exp();
            let e1 = V::load(src.add(i + l)).sub(mv).exp();
            let e2 = V::load(src.add(i + 2 * l)).sub(mv).exp();
            let e3 = V::load(src.add(i + 3 * l)).sub(mv).exp();
            if let Some(d) = dst {
                e0.store(d.add(i));
                e1.store(d.add(i + l));
                e2.store(d.add(i + 2 * l));
                e3.store(d.add(i + 3 * l));
            }
            s0 = s0.add(e0);
            s1 = s1.add(e1);
            s2 = s2.add(e2);
            s3 = s3.add(e3);
            i += 4 * l;
        }
        while V::REGISTERS >= 32 && i + 2 * l <= n {
            let e0 = V::load(src.add(i)).sub(mv).exp();
            let e1 = V::load(src.add(i + l)).sub(mv).exp();
            if let Some(d) = dst {
                e0.store(d.add(i));
                e1.store(d.add(i + l));
            }
            s0 = s0.add(e0);
            s1 = s1.add(e1);
            i += 2 * l;
        }
        while i + l <= n {
            let e = V::load(src.add(i)).sub(mv).exp();
            if let Some(d) = dst {
                e.store(d.add(i));
            }
            s0 = s0.add(e);
            i += l;
        }
        if i < n {
            // `m` in the fill lanes, masked out of the sum (see `keep_low`).
            let e = V::load_tail(src.add(i), n - i, m).sub(mv).exp();
            if let Some(d) = dst {
                e.store_tail(d.add(i), n - i);
            }
            s1 = s1.add(e.mul(keep_low::<V>(n - i)));
        }
        s0.add(s1).add(s2.add(s3)).reduce_add()
    }
}

/// `p[j] *= a`.
///
/// # Safety
/// `p` valid for `n` elements; the CPU supports `V`'s instruction set.
#[inline(always)]
unsafe fn row_scale<V: Simd>(p: *mut V::E, n: usize, a: V::E) {
    let l = V::LANES;
    // SAFETY: every access is below `n`.
    unsafe {
        let av = V::splat(a);
        let mut i = 0;
        while i + l <= n {
            V::load(p.add(i)).mul(av).store(p.add(i));
            i += l;
        }
        if i < n {
            V::load_tail(p.add(i), n - i, V::E::ZERO)
                .mul(av)
                .store_tail(p.add(i), n - i);
        }
    }
}

/// `dst[j] = (src[j] − a) − b`.
///
/// # Safety
/// Pointers valid for `n` elements (`dst` may equal `src`); the CPU supports
/// `V`'s instruction set.
#[inline(always)]
unsafe fn row_shift2<V: Simd>(src: *const V::E, dst: *mut V::E, n: usize, a: V::E, b: V::E) {
    let l = V::LANES;
    // SAFETY: every access is below `n`; each element is read before written.
    unsafe {
        let (av, bv) = (V::splat(a), V::splat(b));
        let mut i = 0;
        while i + l <= n {
            V::load(src.add(i)).sub(av).sub(bv).store(dst.add(i));
            i += l;
        }
        if i < n {
            V::load_tail(src.add(i), n - i, V::E::ZERO)
                .sub(av)
                .sub(bv)
                .store_tail(dst.add(i), n - i);
        }
    }
}
