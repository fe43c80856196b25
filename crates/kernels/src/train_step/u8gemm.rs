//! GEMMs on 8-bit rows: `Y = X·Wᵀ + b` ([`u8_gemm_xwt`]) and `∂W += Gᵀ·X`
//! ([`u8_gemm_gtx`]), where `X` is the subset of an image set's rows named
//! by a slice of indices (a shuffled minibatch, repeats allowed) and every
//! byte is converted and scaled ([`U8Scale`]) in registers as it is read.
//!
//! # Register blocking
//! The classes are taken in blocks of at most [`MAX_CLASSES`] (balanced:
//! 10 classes are one block, 16 two blocks of 8), each block size a
//! separate compiled kernel so that its accumulators are an array of
//! vectors the compiler keeps in registers.
//!
//! - `X·Wᵀ`: per row, one vector accumulator per class over the features;
//!   each `LANES`-wide chunk of bytes is converted once and multiplied into
//!   every class's row of `W`; the accumulators are summed across lanes at
//!   the end of the row. With 32 registers two rows are taken at a time,
//!   so that each vector of `W` loaded serves both. The rows of a shuffled
//!   minibatch are scattered over a set too large for the caches, so each
//!   row is prefetched a few rows ahead: without it every row starts with
//!   a wait on memory.
//! - `Gᵀ·X`: per chunk of features (two vectors wide), one accumulator per
//!   class and vector, loaded from `∂W`; for every row, the bytes are
//!   converted once and `g[r, c]`, broadcast, is multiplied into each
//!   class's accumulators. With 16 registers, the classes are taken in
//!   blocks of at most 6 so that the two vectors fit (10 classes are two
//!   blocks of 5). Rows are taken in blocks of about the L1 data cache's
//!   size in bytes, whose lines stay in L1 while the feature chunks sweep
//!   across them, and each block of classes sweeps a block of rows before
//!   the next block of rows is read.
//!
//! The scalings linear in the byte (`U8Scale::Identity`, `Mul` and `Div`,
//! the book's `x / 255` among them) are not applied to every byte, where
//! they would take issue slots beside every few FMAs: `X·Wᵀ` applies them
//! to each sum, `s(Σⱼ x·w)`, and `Gᵀ·X` to each element of `G` before the
//! rows, `Σᵣ s(g)·x`: one rounding per sum (or per element of `G`) instead
//! of one per byte, as accurate, and different from scaling each byte by
//! rounding only. A standardisation is per column, so it is applied to
//! each byte.
//!
//! Every `∂W` element adds its rows in their given order, starting from its
//! value on entry, whatever the blocking; every `Y` element is one fixed sum
//! per row. So results depend only on the inputs and the path.

use core::mem::size_of;

use super::is_f32;
use crate::element::Element;
use crate::element::{TypedMut, cast, cast_mut, same as cast_scalar, typed_mut};
use crate::gemm::{LINE, rows_on_lines, with_scratch};
use crate::isa::{Isa, isa};
use crate::simd::{Elem, Kernel, Simd, dispatch, load_n, prefetch, reduce_add_each, store_n};

/// Classes per register block: 12 accumulators (AVX2: plus the converted
/// chunk and a broadcast, 14 of the 16 registers; AVX-512 `Gᵀ·X`: 24
/// accumulators and two chunks, 26 of 32).
pub const MAX_CLASSES: usize = 12;

/// Rows of `X` per row block of [`u8_gemm_gtx`] for rows of `f` bytes: the
/// L1 data cache's size in bytes ([`crate::caches()`]). A chunk of features
/// sweeps the block's rows with its accumulators in registers, loaded and
/// stored once per block, and reads only one line of each row at a time, so
/// the block need not fit in L1 itself: only those lines, one per row, must
/// stay there across the chunks that read them. Measured (f32, AVX2, Zen
/// 3, 32 KiB L1, one thread, 10×256×784, best of 31 interleaved): blocks
/// of 16 KiB at 59–67 GFLOP/s, 28–40 KiB at 67–72, 48 KiB at 62–64.
fn gtx_block_rows(f: usize) -> usize {
    (crate::caches::caches().l1d.bytes / f).clamp(4, 256)
}

/// Classes per block of [`u8_gemm_gtx`] on 16-register paths (AVX2), which
/// take two vectors of features per class there: 12 accumulators, the two
/// vectors of a row's bytes and one broadcast of `g`. Each broadcast then
/// feeds two FMAs rather than one, and a row's bytes are loaded and
/// converted once per 2×5 FMAs for ten classes: the AVX2 inner loop issues
/// 25 instructions per 10 FMAs instead of 30 (objdump of the release
/// build), which a 6-wide core had nearly all to dispatch in the 5 cycles
/// the FMAs take; 10×256×784 on Zen 3 went from 67–70 to 77–79 GFLOP/s.
/// Ten classes are two blocks of five, each sweeping a block of rows (from
/// L1 or L2 the second time).
const GTX_NARROW_CLASSES: usize = 6;

/// How a byte `x` of column `j` becomes a float, in the element type. The
/// linear ones (identity, `Mul`, `Div`) are applied where they cost least:
/// to each sum of [`u8_gemm_xwt`] and to each element of `G` in
/// [`u8_gemm_gtx`]; every path applies each the same way.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum U8Scale<'a, T> {
    /// `x` (exact).
    Identity,
    /// `x · k`.
    Mul(T),
    /// `x / k`, a true division (of a sum, or of an element of `G`).
    Div(T),
    /// `(x − mean[j]) · inv_std[j]`, per column `j`.
    Standardize {
        /// One entry per column.
        mean: &'a [T],
        /// One entry per column.
        inv_std: &'a [T],
    },
}

impl<'a, T: Element> U8Scale<'a, T> {
    /// The scaled value of byte `b` in column `j`, each operation rounded
    /// once (for references). The kernels apply a linear scaling to sums or
    /// to the other operand instead (see [`u8_gemm_xwt`]), so their results
    /// differ from sums of these values by rounding only.
    ///
    /// # Panics
    /// If `j` is out of range of a [`U8Scale::Standardize`]'s vectors.
    pub fn apply(&self, b: u8, j: usize) -> T {
        let x = T::from_f64(f64::from(b));
        match *self {
            U8Scale::Identity => x,
            U8Scale::Mul(k) => x * k,
            U8Scale::Div(k) => x / k,
            U8Scale::Standardize { mean, inv_std } => (x - mean[j]) * inv_std[j],
        }
    }

    fn check(&self, name: &str, features: usize) {
        if let U8Scale::Standardize { mean, inv_std } = self {
            for (what, v) in [("mean", mean), ("inv_std", inv_std)] {
                assert_eq!(
                    v.len(),
                    features,
                    "kernels::{name}: the scaling's `{what}` has {} entries but there are {features} features",
                    v.len()
                );
            }
        }
    }

    fn cast<U: Element>(&self) -> U8Scale<'a, U> {
        match *self {
            U8Scale::Identity => U8Scale::Identity,
            U8Scale::Mul(k) => U8Scale::Mul(cast_scalar(k)),
            U8Scale::Div(k) => U8Scale::Div(cast_scalar(k)),
            U8Scale::Standardize { mean, inv_std } => U8Scale::Standardize {
                mean: cast(mean),
                inv_std: cast(inv_std),
            },
        }
    }
}

/// `y[r, c] = Σⱼ s(x[rows[r], j]) · w[c, j] (+ bias[c])`: the logits of the
/// rows `rows` of the byte matrix `x` (`features` columns, row-major),
/// each byte scaled by `scale`; `w` is `classes × features` row-major and
/// `y` is `rows.len() × classes` (overwritten).
///
/// A linear `scale` (identity, `Mul`, `Div`) is applied to each sum,
/// `s(Σⱼ x·w)`, one rounding per output; a `Standardize` to each byte as it
/// is read. This is as accurate as scaling each byte (one rounding per
/// output instead of one per byte) and differs from it by rounding only.
///
/// # Panics
/// If `features` is 0; if `x.len()` or `w.len()` is not a multiple of
/// `features`; if `y` is not `rows.len() × classes` or `bias` not `classes`
/// long; if a row index is out of range; if a [`U8Scale::Standardize`]'s
/// vectors are not `features` long. Each message names the sizes.
///
/// ```
/// use kernels::{U8Scale, u8_gemm_xwt};
/// let x = [1u8, 2, 3, 4, 5, 6]; // 3 rows of 2 features
/// let w = [1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0]; // 3 classes
/// let mut y = [0.0f32; 6];
/// u8_gemm_xwt(&x, 2, &[2, 0], &U8Scale::Mul(0.5), &w, Some(&[0.0, 0.0, 10.0]), &mut y);
/// assert_eq!(y, [2.5, 3.0, 15.5, 0.5, 1.0, 11.5]);
/// ```
pub fn u8_gemm_xwt<T: Element>(
    x: &[u8],
    features: usize,
    rows: &[usize],
    scale: &U8Scale<'_, T>,
    w: &[T],
    bias: Option<&[T]>,
    y: &mut [T],
) {
    isa().u8_gemm_xwt(x, features, rows, scale, w, bias, y)
}

/// `dw[c, j] ← β·dw[c, j] + Σᵣ g[r, c] · s(x[rows[r], j])`: the weight
/// gradient `Gᵀ·X` of the rows `rows` of the byte matrix `x` (`features`
/// columns, row-major), each byte scaled by `scale`; `g` is
/// `rows.len() × classes` and `dw` is `classes × features`, both
/// row-major. A linear `scale` (identity, `Mul`, `Div`) is applied to each
/// element of `g`, `Σᵣ s(g[r, c])·x`, one rounding per element; a
/// `Standardize` to each byte as it is read. Each `dw` element adds the
/// rows in order, starting from `β·dw`: `β = 1` adds shares of a batch
/// into one buffer, and with `β = 0` `dw` is not read (NaN already in it
/// does not propagate), as in [`gemm`](fn@crate::gemm).
///
/// # Panics
/// If `features` is 0; if `x.len()` or `dw.len()` is not a multiple of
/// `features`; if `g` is not `rows.len() × classes`; if a row index is out
/// of range; if a [`U8Scale::Standardize`]'s vectors are not `features`
/// long. Each message names the sizes.
///
/// ```
/// use kernels::{U8Scale, u8_gemm_gtx};
/// let x = [1u8, 2, 3, 4]; // 2 rows of 2 features
/// let g = [1.0f64, -1.0, 0.5, 2.0]; // rows [1, 1] × 2 classes
/// let mut dw = [f64::NAN; 4]; // not read with β = 0
/// u8_gemm_gtx(&g, &x, 2, &[1, 1], &U8Scale::Identity, 0.0, &mut dw);
/// assert_eq!(dw, [4.5, 6.0, 3.0, 4.0]);
/// // β = 1 adds one more row (row 1 with g = [1, -1]).
/// u8_gemm_gtx(&g[..2], &x, 2, &[1], &U8Scale::Identity, 1.0, &mut dw);
/// assert_eq!(dw, [7.5, 10.0, 0.0, 0.0]);
/// ```
pub fn u8_gemm_gtx<T: Element>(
    g: &[T],
    x: &[u8],
    features: usize,
    rows: &[usize],
    scale: &U8Scale<'_, T>,
    beta: T,
    dw: &mut [T],
) {
    isa().u8_gemm_gtx(g, x, features, rows, scale, beta, dw)
}

/// Checks `x`, `features` and `rows`; returns the number of rows of `x`.
fn check_x(name: &str, x: &[u8], features: usize, rows: &[usize]) -> usize {
    assert!(features > 0, "kernels::{name}: features is 0");
    assert!(
        x.len().is_multiple_of(features),
        "kernels::{name}: `x` has {} bytes, not a multiple of features = {features}",
        x.len()
    );
    let n = x.len() / features;
    if let Some((k, &bad)) = rows.iter().enumerate().find(|&(_, &i)| i >= n) {
        panic!("kernels::{name}: rows[{k}] = {bad} is out of range for `x` with {n} rows");
    }
    n
}

/// The number of classes of a `classes × features` matrix named `what`.
fn classes_of(name: &str, what: &str, len: usize, features: usize) -> usize {
    assert!(
        len.is_multiple_of(features),
        "kernels::{name}: `{what}` has {len} elements, not a multiple of features = {features}"
    );
    len / features
}

impl Isa {
    /// [`u8_gemm_xwt`] on this path.
    ///
    /// # Panics
    /// As [`u8_gemm_xwt`]; also if this CPU does not support the path.
    #[allow(clippy::too_many_arguments)]
    pub fn u8_gemm_xwt<T: Element>(
        self,
        x: &[u8],
        features: usize,
        rows: &[usize],
        scale: &U8Scale<'_, T>,
        w: &[T],
        bias: Option<&[T]>,
        y: &mut [T],
    ) {
        const NAME: &str = "u8_gemm_xwt";
        check_x(NAME, x, features, rows);
        let classes = classes_of(NAME, "w", w.len(), features);
        scale.check(NAME, features);
        assert_eq!(
            y.len(),
            rows.len() * classes,
            "kernels::{NAME}: `y` has {} elements but there are {} rows × {classes} classes",
            y.len(),
            rows.len()
        );
        if let Some(b) = bias {
            assert_eq!(
                b.len(),
                classes,
                "kernels::{NAME}: `bias` has {} entries but there are {classes} classes",
                b.len()
            );
        }
        if rows.is_empty() {
            return;
        }
        if classes == 0 {
            return;
        }
        // `W` with each row starting a 64-byte line, so that its vectors,
        // most of the kernel's loads (one per class and step, for one or
        // two rows of `X`), straddle no line: `W` itself when so placed,
        // else a copy, rows padded to whole lines, in the GEMM's
        // per-thread scratch (a training step allocates nothing). Measured
        // (AVX-512, f32, one thread, Intel Xeon with AMX, 256×784×10 with
        // `W` in a plain `Vec`, criterion): 30.8 µs read in place, 26.0 µs
        // from the copy; the Fashion-MNIST-shaped epoch (one thread) went
        // from 16.9 to 15.8 ms.
        let ldw = features.next_multiple_of(LINE / size_of::<T>());
        let xwt = |w: *const T, ldw: usize, y: &mut [T]| {
            if is_f32::<T>() {
                dispatch(
                    self,
                    XwtK::<f32> {
                        x,
                        f: features,
                        rows,
                        scale: scale.cast(),
                        w: w.cast(),
                        ldw,
                        classes,
                        bias: bias.map(cast),
                        y: cast_mut(y),
                    },
                )
            } else {
                dispatch(
                    self,
                    XwtK::<f64> {
                        x,
                        f: features,
                        rows,
                        scale: scale.cast(),
                        w: w.cast(),
                        ldw,
                        classes,
                        bias: bias.map(cast),
                        y: cast_mut(y),
                    },
                )
            }
        };
        if rows_on_lines(w.as_ptr(), features) {
            xwt(w.as_ptr(), features, y)
        } else {
            with_scratch::<T, _>(classes * ldw, |s| {
                for (c, row) in w.chunks_exact(features).enumerate() {
                    // SAFETY: the scratch holds `classes` rows of `ldw ≥
                    // features` elements, used by nothing else during
                    // this call.
                    unsafe {
                        core::ptr::copy_nonoverlapping(row.as_ptr(), s.add(c * ldw), features)
                    };
                }
                xwt(s, ldw, y)
            })
        }
    }

    /// [`u8_gemm_gtx`] on this path.
    ///
    /// # Panics
    /// As [`u8_gemm_gtx`]; also if this CPU does not support the path.
    #[allow(clippy::too_many_arguments)]
    pub fn u8_gemm_gtx<T: Element>(
        self,
        g: &[T],
        x: &[u8],
        features: usize,
        rows: &[usize],
        scale: &U8Scale<'_, T>,
        beta: T,
        dw: &mut [T],
    ) {
        const NAME: &str = "u8_gemm_gtx";
        check_x(NAME, x, features, rows);
        let classes = classes_of(NAME, "dw", dw.len(), features);
        scale.check(NAME, features);
        assert_eq!(
            g.len(),
            rows.len() * classes,
            "kernels::{NAME}: `g` has {} elements but there are {} rows × {classes} classes",
            g.len(),
            rows.len()
        );
        // β = 0 and 1 are folded into the kernel (the first block of rows
        // starts from zero or from `dw`); any other β scales `dw` first.
        if beta != T::ZERO && beta != T::ONE {
            dw.iter_mut().for_each(|v| *v = beta * *v);
        }
        if rows.is_empty() {
            if beta == T::ZERO {
                dw.fill(T::ZERO);
            }
            return;
        }
        if classes == 0 {
            return;
        }
        let load = beta != T::ZERO;
        let gtx = |g: &[T], scale: &U8Scale<'_, T>, dw: &mut [T]| {
            if is_f32::<T>() {
                dispatch(
                    self,
                    GtxK::<f32> {
                        g: cast(g),
                        x,
                        f: features,
                        rows,
                        scale: scale.cast(),
                        load,
                        dw: cast_mut(dw),
                    },
                )
            } else {
                dispatch(
                    self,
                    GtxK::<f64> {
                        g: cast(g),
                        x,
                        f: features,
                        rows,
                        scale: scale.cast(),
                        load,
                        dw: cast_mut(dw),
                    },
                )
            }
        };
        match Linear::of(scale) {
            Linear::One => gtx(g, scale, dw),
            // A linear scaling is applied to `G` once rather than to each
            // byte (see [`Linear`]); `G` is `classes` times smaller than `X`.
            // Into the GEMM's per-thread scratch, so that a training step
            // allocates nothing.
            _ => with_scratch::<T, _>(g.len(), |p| {
                // SAFETY: the scratch holds at least `g.len()` elements,
                // initialised (zeroed when allocated) and used by nothing
                // else during this call.
                let scaled = unsafe { core::slice::from_raw_parts_mut(p, g.len()) };
                // In vectors, on this path: a scalar loop here (a closure,
                // compiled without the path's features) spent a division
                // of several cycles on each element, about 1 µs of a
                // 64-row shard's 17 µs (Intel Xeon with AMX, one thread).
                match typed_mut(&mut *scaled) {
                    TypedMut::F32(dst) => {
                        let (scale, src) = (scale.cast(), cast(g));
                        dispatch(self, ScaleLinearK { scale, src, dst })
                    }
                    TypedMut::F64(dst) => {
                        let (scale, src) = (scale.cast(), cast(g));
                        dispatch(self, ScaleLinearK { scale, src, dst })
                    }
                }
                gtx(scaled, &U8Scale::Identity, dw)
            }),
        }
    }
}

/// Splits `classes` into balanced blocks of at most `max`: yields
/// `(first class, block size)`.
fn class_blocks(classes: usize, max: usize) -> impl Iterator<Item = (usize, usize)> {
    let blocks = classes.div_ceil(max);
    (0..blocks).map(move |b| {
        let start = b * classes / blocks;
        let end = (b + 1) * classes / blocks;
        (start, end - start)
    })
}

/// How a kernel scales the bytes it reads: one type per kind of
/// [`U8Scale`], so that every inner loop is compiled for its own scaling
/// (one loop matching on the kind keeps every kind's constants live and
/// runs out of registers).
trait Scaler<V: Simd>: Copy {
    /// Scales `v`, the converted bytes of columns `j..j + LANES` (or, when
    /// `tail > 0`, of the `tail` columns from `j`, the other lanes 0).
    ///
    /// # Safety
    /// The CPU supports `V`; a standardisation's vectors hold those columns.
    unsafe fn scale(self, v: V, j: usize, tail: usize) -> V;

    /// The scaled bytes `row[j..j + LANES]`, or `row[j..j + tail]` (the
    /// other lanes 0) when `tail > 0`.
    ///
    /// # Safety
    /// `row[j..]` holds `LANES` (or `tail`) readable bytes, and as
    /// [`Scaler::scale`].
    #[inline(always)]
    unsafe fn load(self, row: *const u8, j: usize, tail: usize) -> V {
        // SAFETY: the caller's contract.
        unsafe {
            let v = if tail == 0 {
                V::load_u8(row.add(j))
            } else {
                V::load_u8_tail(row.add(j), tail)
            };
            self.scale(v, j, tail)
        }
    }
}

/// The byte itself: the scalings that are linear in it (identity, `x·k`,
/// `x/k`) are applied to the other operand instead ([`Linear`]).
#[derive(Clone, Copy)]
struct Plain;

impl<V: Simd> Scaler<V> for Plain {
    #[inline(always)]
    unsafe fn scale(self, v: V, _: usize, _: usize) -> V {
        v
    }
}

/// A scaling linear in the byte (`x`, `x·k` or `x/k`), which commutes with
/// the sums of both products: `X·Wᵀ` applies it to each sum,
/// `s(Σⱼ x·w)`, and `Gᵀ·X` to each element of `G`, `Σᵣ s(g)·x`, rather
/// than to every byte, where it would take issue slots beside every few
/// FMAs. (A standardisation is not linear: it is [`Standardize`]d per byte
/// and is [`Linear::One`] here.)
#[derive(Clone, Copy)]
enum Linear<E> {
    One,
    Mul(E),
    Div(E),
}

impl<E: Element> Linear<E> {
    fn of(scale: &U8Scale<'_, E>) -> Self {
        match *scale {
            U8Scale::Mul(k) => Linear::Mul(k),
            U8Scale::Div(k) => Linear::Div(k),
            U8Scale::Identity | U8Scale::Standardize { .. } => Linear::One,
        }
    }

    /// `v`, `v · k` or `v / k` (a true division) on every lane, one
    /// rounding each.
    ///
    /// # Safety
    /// Inline only into a function compiled for `V`'s instruction set.
    #[inline(always)]
    unsafe fn apply_v<V: Simd<E = E>>(self, v: V) -> V {
        // SAFETY: the caller's contract.
        unsafe {
            match self {
                Linear::One => v,
                Linear::Mul(k) => v.mul(V::splat(k)),
                Linear::Div(k) => v.div(V::splat(k)),
            }
        }
    }
}

/// `dst[i] = s(src[i])` for a linear scaling `s` (see [`Linear`]), in
/// vectors ([`Linear::apply_v`]).
struct ScaleLinearK<'a, E> {
    scale: U8Scale<'a, E>,
    src: &'a [E],
    dst: &'a mut [E],
}

impl<E: Elem> Kernel<E> for ScaleLinearK<'_, E> {
    type Out = ();
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) {
        let linear = Linear::of(&self.scale);
        let n = self.src.len().min(self.dst.len());
        let (src, dst) = (self.src.as_ptr(), self.dst.as_mut_ptr());
        let mut i = 0;
        // SAFETY: every access is below `n`, masked for the last partial
        // vector; `run` is compiled for `V`'s instruction set.
        unsafe {
            while i < n {
                let l = V::LANES.min(n - i);
                store_n(linear.apply_v(load_n::<V>(src.add(i), l)), dst.add(i), l);
                i += l;
            }
        }
    }
}

/// `(x − mean[j]) · inv_std[j]`.
#[derive(Clone, Copy)]
struct Standardize<E> {
    mean: *const E,
    inv_std: *const E,
}

impl<V: Simd> Scaler<V> for Standardize<V::E> {
    #[inline(always)]
    unsafe fn scale(self, v: V, j: usize, tail: usize) -> V {
        let z = <V::E as Element>::ZERO;
        // SAFETY: the caller's contract.
        unsafe {
            let (m, s) = if tail == 0 {
                (V::load(self.mean.add(j)), V::load(self.inv_std.add(j)))
            } else {
                (
                    V::load_tail(self.mean.add(j), tail, z),
                    V::load_tail(self.inv_std.add(j), tail, z),
                )
            };
            v.sub(m).mul(s)
        }
    }
}

/// True for 512-bit vectors (and the portable path with their lane count),
/// whose path has 32 registers: they take two vectors per class in `Gᵀ·X`
/// and two rows at a time in `X·Wᵀ`.
#[inline(always)]
fn wide<V: Simd>() -> bool {
    V::LANES * size_of::<V::E>() >= 64
}

/// Runs `$body` with `$p` bound to the [`Scaler`] of the [`U8Scale`]
/// `$scale`: the byte itself ([`Plain`]) for the linear scalings, which the
/// callers have moved onto the other operand, else the standardisation.
macro_rules! with_scaler {
    ($scale:expr, $p:ident => $body:expr) => {
        match *$scale {
            U8Scale::Standardize { mean, inv_std } => {
                let $p = Standardize {
                    mean: mean.as_ptr(),
                    inv_std: inv_std.as_ptr(),
                };
                $body
            }
            U8Scale::Identity | U8Scale::Mul(_) | U8Scale::Div(_) => {
                let $p = Plain;
                $body
            }
        }
    };
}

/// Calls `$f::<$v, NC, _>($args)` with the const `NC` equal to `$nc` (1 to
/// [`MAX_CLASSES`]).
macro_rules! with_classes {
    ($nc:expr, $f:ident::<$v:ty>($($arg:expr),* $(,)?)) => {
        match $nc {
            1 => $f::<$v, 1, _>($($arg),*),
            2 => $f::<$v, 2, _>($($arg),*),
            3 => $f::<$v, 3, _>($($arg),*),
            4 => $f::<$v, 4, _>($($arg),*),
            5 => $f::<$v, 5, _>($($arg),*),
            6 => $f::<$v, 6, _>($($arg),*),
            7 => $f::<$v, 7, _>($($arg),*),
            8 => $f::<$v, 8, _>($($arg),*),
            9 => $f::<$v, 9, _>($($arg),*),
            10 => $f::<$v, 10, _>($($arg),*),
            11 => $f::<$v, 11, _>($($arg),*),
            12 => $f::<$v, 12, _>($($arg),*),
            n => unreachable!("a class block of {n} (at most {MAX_CLASSES})"),
        }
    };
}

/// How many rows ahead [`xwt_block`] prefetches: a row takes a few hundred
/// nanoseconds, about a DRAM latency. The lines of the rows ahead are
/// requested as the loop reads (the same offset in each row ahead, every
/// chunk), rather than all at once, which would fill the cache's queue of
/// misses and hold up the loads of the current rows.
const XWT_PREFETCH_ROWS: usize = 4;

/// An empty piece of assembly that the compiler must assume reads and
/// writes memory, so that it moves no load or store across it; it emits
/// no instruction.
#[inline(always)]
fn schedule_barrier() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the assembly is empty: it touches no register, memory or flag.
    unsafe {
        core::arch::asm!("", options(nostack, preserves_flags));
    }
}

/// The most classes [`xwt_block`] takes two rows at a time for (more would
/// not fit the registers).
const XWT_PAIR_MAX_CLASSES: usize = 10;

struct XwtK<'a, E> {
    x: &'a [u8],
    f: usize,
    rows: &'a [usize],
    scale: U8Scale<'a, E>,
    /// `W`: `classes` rows of `f`, `ldw` apart.
    w: *const E,
    ldw: usize,
    classes: usize,
    bias: Option<&'a [E]>,
    y: &'a mut [E],
}

impl<E: Elem> Kernel<E> for XwtK<'_, E> {
    type Out = ();
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) {
        // SAFETY: the entry checked every size and index; the caller
        // guarantees the instruction set.
        unsafe { self.blocks::<V>() }
    }
}

impl<E: Elem> XwtK<'_, E> {
    /// The class blocks of [`u8_gemm_xwt`].
    ///
    /// # Safety
    /// The entry checked every size and index; the CPU supports `V`.
    #[inline(always)]
    unsafe fn blocks<V: Simd<E = E>>(self) {
        let (w, ldw, classes) = (self.w, self.ldw, self.classes);
        // SAFETY: the caller's contract.
        unsafe {
            let y = self.y.as_mut_ptr();
            let linear = Linear::of(&self.scale);
            with_scaler!(&self.scale, prep => {
                for (c0, nc) in class_blocks(classes, MAX_CLASSES) {
                    let w = w.add(c0 * ldw);
                    let bias = self.bias.map(|b| b.as_ptr().add(c0));
                    with_classes!(
                        nc,
                        xwt_block::<V>(
                            XwtBlock {
                                x: self.x.as_ptr(),
                                f: self.f,
                                prep,
                                linear,
                                w,
                                ldw,
                                bias,
                                ldy: classes,
                            },
                            self.rows,
                            y.add(c0)
                        )
                    );
                }
            })
        }
    }
}

/// What the rows of one class block of [`xwt_block`] share.
#[derive(Clone, Copy)]
struct XwtBlock<E, P> {
    /// The byte matrix, `f` bytes a row.
    x: *const u8,
    f: usize,
    /// The per-byte scaling, and the linear one applied to each sum.
    prep: P,
    linear: Linear<E>,
    /// The block's first row of `W`, rows `ldw` apart, and its first bias.
    w: *const E,
    ldw: usize,
    bias: Option<*const E>,
    /// The distance between rows of `y`.
    ldy: usize,
}

/// `y[r, c] = l(Σⱼ p(x[rows[r], j]) · w[c, j]) (+ bias[c])` for the `NC`
/// classes of one block ([`XwtBlock`]: `p` the per-byte scaling and `l`
/// the linear one; `w` and `bias` start at the block's first class, `y` at
/// its column, rows of `y` `ldy` apart).
///
/// On 512-bit vectors (32 registers) rows are taken two at a time for up to
/// [`XWT_PAIR_MAX_CLASSES`] classes, so that each vector of `W` loaded
/// serves two rows: one load per FMA would otherwise bound the loop, as
/// loads and FMAs of 512 bits issue at the same rate. Narrower vectors take
/// one row at a time (16 registers).
///
/// # Safety
/// Every row index is below the rows of `x` (`f` bytes each); `w` holds
/// `NC × f`, `bias` `NC`, `y` `rows.len() × ldy` elements; the CPU
/// supports `V`.
#[inline(always)]
unsafe fn xwt_block<V: Simd, const NC: usize, P: Scaler<V>>(
    blk: XwtBlock<V::E, P>,
    rows: &[usize],
    y: *mut V::E,
) {
    let ldy = blk.ldy;
    // Two rows of `NC` accumulators, their two chunks of bytes, a vector of
    // `W` and the scaling's constants and temporaries in 32 registers.
    let pairs = wide::<V>() && NC <= XWT_PAIR_MAX_CLASSES;
    let ahead = |r: usize, n: usize| {
        let lo = (r + XWT_PREFETCH_ROWS).min(rows.len());
        &rows[lo..(lo + n).min(rows.len())]
    };
    let mut r = 0;
    // SAFETY: the caller's contract, for the rows `r..r + RB`.
    unsafe {
        if pairs {
            while r + 2 <= rows.len() {
                let y = y.add(r * ldy);
                xwt_rows::<V, NC, 2, P>(blk, &rows[r..r + 2], ahead(r, 2), y);
                r += 2;
            }
        }
        while r < rows.len() {
            let y = y.add(r * ldy);
            xwt_rows::<V, NC, 1, P>(blk, &rows[r..r + 1], ahead(r, 1), y);
            r += 1;
        }
    }
}

/// The `RB` rows `ids` of [`xwt_block`] (prefetching the rows `next`):
/// one vector accumulator per row and class over the features, each vector
/// of `W` loaded once for the `RB` rows, summed across lanes at the end.
///
/// # Safety
/// As [`xwt_block`], with `ids.len() == RB` and `y` holding `RB × ldy`
/// elements.
#[inline(always)]
unsafe fn xwt_rows<V: Simd, const NC: usize, const RB: usize, P: Scaler<V>>(
    blk: XwtBlock<V::E, P>,
    ids: &[usize],
    next: &[usize],
    y: *mut V::E,
) {
    let XwtBlock {
        x,
        f,
        prep,
        linear,
        w,
        ldw,
        bias,
        ldy,
    } = blk;
    let l = V::LANES;
    let zero = <V::E as Element>::ZERO;
    let ahead: [*const u8; RB] = core::array::from_fn(|k| {
        // The last of `next` again when it is short (near the end).
        let i = next.get(k).or(next.last()).copied();
        i.map_or(x, |i| x.wrapping_add(i * f))
    });
    for p in ahead {
        prefetch(p.wrapping_add(f - 1));
    }
    // SAFETY: the caller's contract; every offset below stays inside it.
    unsafe {
        let z = V::splat(zero);
        let xr: [*const u8; RB] = core::array::from_fn(|k| x.add(ids[k] * f));
        // One accumulator per row and class.
        let mut acc = [[z; NC]; RB];
        let mut j = 0;
        while j + l <= f {
            // No branch: a line is requested once per `LANES` bytes, which
            // repeats a request `64 / LANES` times but keeps the loop one
            // block (a branch here made the compiler spill accumulators).
            for p in ahead {
                prefetch(p.wrapping_add(j));
            }
            let xv: [V; RB] = core::array::from_fn(|k| prep.load(xr[k], j, 0));
            for c in 0..NC {
                let wv = V::load(w.add(c * ldw + j));
                for (ak, &xv) in acc.iter_mut().zip(&xv) {
                    ak[c] = wv.mul_add(xv, ak[c]);
                }
            }
            j += l;
        }
        if j < f {
            let t = f - j;
            let xv: [V; RB] = core::array::from_fn(|k| prep.load(xr[k], j, t));
            for c in 0..NC {
                let wv = V::load_tail(w.add(c * ldw + j), t, zero);
                for (ak, &xv) in acc.iter_mut().zip(&xv) {
                    ak[c] = wv.mul_add(xv, ak[c]);
                }
            }
        }
        // The lane sums first, in a loop of nothing else, then the scaling
        // and the bias: with their branches in the same loop the compiler
        // kept the accumulators in memory (through the loop above, on some
        // instantiations).
        let mut sums = [[zero; NC]; RB];
        reduce_add_each(acc.as_flattened(), sums.as_flattened_mut());
        for (k, sk) in sums.iter().enumerate() {
            logits_row::<V>(sk, y.add(k * ldy), linear, bias);
        }
    }
}

/// `y[c] = l(s[c]) (+ bias[c])` for the sums `s` of one row of
/// [`xwt_rows`], in vectors (masked for the last `len mod LANES`) rather
/// than a lane extraction, a scalar scaling (a division for the book's
/// `x / 255`) and a store per class: the same operations, so the same
/// bits, in fewer instructions (AVX-512, f32, one thread, Intel Xeon with
/// AMX, 256×784×10 with `Div(255)`: 25.7 against 25.6 µs, level).
///
/// # Safety
/// `y` holds `s.len()` elements, and `bias` too when given; inline only
/// into a function compiled for `V`'s instruction set.
#[inline(always)]
unsafe fn logits_row<V: Simd>(
    s: &[V::E],
    y: *mut V::E,
    linear: Linear<V::E>,
    bias: Option<*const V::E>,
) {
    let mut c = 0;
    // SAFETY: the caller's contract; every access is one of the row's
    // `s.len()` elements (masked for the last partial vector).
    unsafe {
        while c < s.len() {
            let n = V::LANES.min(s.len() - c);
            let v = load_n::<V>(s.as_ptr().add(c), n);
            let v = linear.apply_v(v);
            let v = match bias {
                Some(b) => v.add(load_n(b.add(c), n)),
                None => v,
            };
            store_n(v, y.add(c), n);
            c += n;
        }
    }
}

struct GtxK<'a, E> {
    g: &'a [E],
    x: &'a [u8],
    f: usize,
    rows: &'a [usize],
    scale: U8Scale<'a, E>,
    /// Whether the first block of rows adds to `dw` (else it starts from 0).
    load: bool,
    dw: &'a mut [E],
}

impl<E: Elem> Kernel<E> for GtxK<'_, E> {
    type Out = ();
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) {
        let f = self.f;
        let classes = self.dw.len() / f;
        let block_rows = gtx_block_rows(f);
        // SAFETY: the entry checked every size and index; the caller
        // guarantees the instruction set.
        unsafe {
            let dw = self.dw.as_mut_ptr();
            let max = if wide::<V>() {
                MAX_CLASSES
            } else {
                GTX_NARROW_CLASSES
            };
            with_scaler!(&self.scale, prep => {
                // Each block of rows is swept once per block of classes,
                // the second time from cache.
                for (b, rows) in self.rows.chunks(block_rows).enumerate() {
                    let load = self.load || b > 0;
                    for (c0, nc) in class_blocks(classes, max) {
                        let g = self.g.as_ptr().add(b * block_rows * classes + c0);
                        let dwc = dw.add(c0 * f);
                        with_classes!(
                            nc,
                            gtx_block::<V>(g, classes, self.x.as_ptr(), f, rows, prep, load, dwc)
                        );
                    }
                }
            })
        }
    }
}

/// `dw[c, j] += Σᵣ g[r, c] · s(x[rows[r], j])` for the `NC` classes of one
/// block and the rows `rows` (`g` starts at the block's first row and
/// class, rows `ldg` apart; `dw` at the block's first class row); with
/// `load` false the sums start from 0 instead of `dw`, which is not read.
///
/// # Safety
/// Every row index is below the rows of `x` (`f` bytes each); `g` holds
/// `rows.len() × ldg`, `dw` `NC × f` elements; the CPU supports `V`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn gtx_block<V: Simd, const NC: usize, P: Scaler<V>>(
    g: *const V::E,
    ldg: usize,
    x: *const u8,
    f: usize,
    rows: &[usize],
    prep: P,
    load: bool,
    dw: *mut V::E,
) {
    let l = V::LANES;
    // Two vectors per class on 512-bit vectors (32 registers), and on
    // narrower ones (16 registers) for blocks of up to
    // [`GTX_NARROW_CLASSES`]; one for larger blocks there.
    let two = wide::<V>() || NC <= GTX_NARROW_CLASSES;
    let mut j = 0;
    // SAFETY: the caller's contract; every chunk lies inside a row.
    unsafe {
        if two {
            while j + 2 * l <= f {
                gtx_chunk::<V, NC, 2, P>(g, ldg, x, f, rows, prep, load, dw, j, 0);
                j += 2 * l;
            }
        }
        while j + l <= f {
            gtx_chunk::<V, NC, 1, P>(g, ldg, x, f, rows, prep, load, dw, j, 0);
            j += l;
        }
        if j < f {
            gtx_chunk::<V, NC, 1, P>(g, ldg, x, f, rows, prep, load, dw, j, f - j);
        }
    }
}

/// One chunk of `NV` vectors of features from `j` (or, with `tail > 0`
/// and `NV = 1`, the last `tail` features) of [`gtx_block`]: the
/// accumulators are loaded from `dw` (or start from 0 without `load`),
/// take every row in order, and are stored back.
///
/// # Safety
/// As [`gtx_block`], with `j + NV·LANES ≤ f` (or `j + tail = f`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn gtx_chunk<V: Simd, const NC: usize, const NV: usize, P: Scaler<V>>(
    g: *const V::E,
    ldg: usize,
    x: *const u8,
    f: usize,
    rows: &[usize],
    prep: P,
    load: bool,
    dw: *mut V::E,
    j: usize,
    tail: usize,
) {
    let l = V::LANES;
    let zero = <V::E as Element>::ZERO;
    // SAFETY: the caller's contract.
    unsafe {
        let z = V::splat(zero);
        let mut acc = [[z; NV]; NC];
        for (c, ac) in acc.iter_mut().enumerate() {
            for (v, a) in ac.iter_mut().enumerate() {
                let p = dw.add(c * f + j + v * l);
                *a = if !load {
                    z
                } else if tail == 0 {
                    V::load(p)
                } else {
                    V::load_tail(p, tail, zero)
                };
            }
        }
        // Row `r`'s `g`, stepped rather than computed as `g + r·ldg`
        // (a multiply per row in the loop); wrapping, as it steps past the
        // last row.
        let mut gr = g;
        for &i in rows {
            let xr = x.add(i * f);
            let mut xv = [z; NV];
            for (v, xv) in xv.iter_mut().enumerate() {
                *xv = prep.load(xr, j + v * l, tail);
            }
            for (c, ac) in acc.iter_mut().enumerate() {
                if NV == 1 || !wide::<V>() {
                    // With 16 registers, 12 accumulators leave room for one
                    // broadcast at a time: this barrier keeps the compiler
                    // from loading every class's `g` ahead of its FMA,
                    // which spills accumulators to the stack.
                    schedule_barrier();
                }
                let gc = V::splat(*gr.add(c));
                for (a, &xv) in ac.iter_mut().zip(&xv) {
                    *a = gc.mul_add(xv, *a);
                }
            }
            gr = gr.wrapping_add(ldg);
        }
        for (c, ac) in acc.iter().enumerate() {
            for (v, a) in ac.iter().enumerate() {
                let p = dw.add(c * f + j + v * l);
                if tail == 0 {
                    a.store(p)
                } else {
                    a.store_tail(p, tail)
                }
            }
        }
    }
}
