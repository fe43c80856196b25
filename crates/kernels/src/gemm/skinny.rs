//! Skinny GEMM: `n` small (at most [`SKINNY_N`]), the shape of a linear
//! layer with few outputs (`X·W`, `Xᵀ·G`) and of matrix-vector products.
//!
//! Packing A would cost as much as the product itself here, so A is streamed
//! once, unpacked, while all of B (k×n, small) stays in cache:
//! - A row-contiguous (`csa = 1`): [`dot`] — each `C[i, j]` is a dot product
//!   of row `i` of A with column `j` of B, vectorised along `k` (B packed as
//!   Bᵀ, n contiguous rows of length k), over `R` rows and `G` columns at once.
//! - A column-contiguous (`rsa = 1`, e.g. a transposed view): [`axpy`] — C's
//!   columns accumulate `A[:, p]·B[p, j]`, vectorised along `m`, over `MV`
//!   vectors of rows and `G` columns at once, with `k` cut into blocks of
//!   [`AXPY_KC`] so that the A rows being swept stay in L2. The same kernel
//!   runs shallow products (`k ≤ SHALLOW_K`, `m`, `n` large) as
//!   `Cᵀ = Bᵀ·Aᵀ` in [`shallow`], writing C's rows as whole vectors.
//!
//! A row-contiguous A larger than the CPU's L2 ([`crate::caches()`]) comes
//! from L3 or memory; [`dot`] then prefetches the next block of rows.
//!
//! A vector that straddles two cache lines costs two reads of L1. So
//! [`dot`] reads Bᵀ with each row starting a 64-byte line (packing it into
//! the aligned scratch when it is not so placed), and [`axpy`] starts its
//! strips of rows where A's columns reach a line.
//!
//! Threads split the rows of C; an element's arithmetic never depends on
//! which block or thread computed it, nor on where the operands sit in
//! memory.

use rayon::prelude::*;

use super::kernel::Microkernel;
use super::loops::{LINE, block, rows_on_lines, with_scratch};
use super::pack::pack;
use super::{In, Out};
use crate::caches::{Cache, caches};
use crate::element::Element;
use crate::simd::{Simd, load_n, prefetch, reduce_add_each, store_n};

/// The widest B (in columns) the skinny kernels take; wider goes to the
/// packed path.
pub(super) const SKINNY_N: usize = 16;

/// The deepest `k` for which a product with `m` and `n` both large still
/// takes the skinny kernels ([`shallow`]): there C costs as much to write as the
/// product to compute, and packing would add a pass over B.
pub(super) const SHALLOW_K: usize = 16;

/// Whether `rows` rows `stride` bytes apart put more lines on one set of
/// the L1 data cache `l1` than it has ways, so that a kernel reading all of
/// them at every step of `k` evicts its own operand: on a 32 KiB 8-way L1,
/// rows 4 KiB apart do so from 9 rows on (on a 48 KiB 12-way one, from 13).
/// (`rows` is at most [`SHALLOW_K`] where it is asked, so counting pairs
/// costs less than a table of sets.)
pub(super) fn crowds_l1(rows: usize, stride: usize, l1: &Cache) -> bool {
    let set = |p: usize| (p * stride / l1.line) % l1.sets();
    (0..rows).any(|p| (0..=p).filter(|&q| set(q) == set(p)).count() > l1.ways)
}

/// Whether `rows` rows of `k` elements of `bytes` each fill `cache` bytes.
/// An A that fills L2 comes from further away, and [`dot`] prefetches the
/// rows after those a kernel call works on (a smaller one is mostly in L2
/// already, and the prefetches would only crowd L1); one that fills the
/// part of L3 given by [`DOT_L3_PART`] streams from memory.
fn fills(rows: usize, k: usize, bytes: usize, cache: usize) -> bool {
    rows * k * bytes >= cache
}

/// The part of L3 (1/2) a row-contiguous A must fill for [`dot`] to take
/// it as streaming from memory, and so to sweep it only once (see
/// [`DOT_BT_L1_BYTES`]); L3 is shared with other cores.
const DOT_L3_PART: usize = 2;

/// Depth of a block of `k` in [`axpy`]: the `MV·LANES × AXPY_KC` strip of A
/// a kernel call sweeps is revisited once per group of G columns.
const AXPY_KC: usize = 256;

/// From this many bytes of Bᵀ (`n·k` elements), [`dot`] sweeps a chunk of
/// rows of A once per group of [`Skinny::DOT_G`] columns, rather than each
/// row block once for all groups (with one group, the two are the same):
/// that group's `DOT_G·k` elements of Bᵀ then stay in L1,
/// where all of Bᵀ and a block of A do not. Measured (f32, one thread,
/// against the `gemm` crate's AVX2 kernels in the same run): on Zen 4 (1
/// MiB L2), AVX2, (256,784,10), whose Bᵀ is 31 KiB, went from 84.5–86 to
/// 92.7 GFLOP/s (1.28× to 1.39×), with 5 columns a group; on
/// (784,256,10), Bᵀ 10 KiB, chunks were
/// 1–2% slower, hence the bound; on AVX-512 they were level. On Zen 3 (512
/// KiB L2, A of (256,784,10) beyond it, in L3), chunks were 1.15–1.29×
/// faster than row blocks (interleaved in one process, best of 31 each).
/// Not for an A that streams from memory (fills half of L3): there each
/// row block is better used for every group while it is in L1 (AVX-512,
/// Zen 4, (60000,784,10), best of 3: 20.2–20.4 ms in chunks against
/// 18.3–18.9 ms).
const DOT_BT_L1_BYTES: usize = 16 << 10;

/// Bytes of A in a chunk of rows of [`dot`] (see [`DOT_BT_L1_BYTES`]):
/// reread once per group of columns, from L2.
const DOT_CHUNK_BYTES: usize = 192 << 10;

/// Below this many multiply-adds (`m·n·k`) a skinny GEMM stays on one thread.
const PAR_MIN_MACS: usize = 1 << 20;

/// Columns of C per [`axpy`] kernel call: `G` accumulators per vector of
/// rows.
const G: usize = 5;

/// The skinny kernels of one instruction set (the same type as its
/// [`Microkernel`]).
pub(super) trait Skinny: Microkernel {
    /// Rows of C per [`Skinny::dot`] call (`R`).
    const DOT_R: usize;
    /// Columns of C per [`Skinny::dot`] call: `DOT_R × DOT_G` accumulators.
    const DOT_G: usize;
    /// Rows of C per [`Skinny::axpy`] call (`MV·LANES`).
    const AXPY_ROWS: usize;

    /// `C ← α·A·B + β·C` for `c.m` rows — `DOT_R` when `full`, else 1 — and
    /// `c.n ≤ DOT_G` columns, A row-contiguous, column `j` of B at `bt +
    /// j·ldbt`, contiguous. `a` runs on to the last row of A (at least `c.m`
    /// rows): with `stream` (what is left of it fills L2), the rows after
    /// the first `c.m` are prefetched. Each width is its own compiled
    /// kernel, and a path has those up to its `DOT_G` only.
    ///
    /// # Safety
    /// The CPU supports the instruction set; the views are valid; `1 ≤ c.n
    /// ≤ DOT_G`.
    unsafe fn dot(
        full: bool,
        stream: bool,
        a: In<Self::T>,
        bt: *const Self::T,
        ldbt: usize,
        c: &Out<Self::T>,
    );

    /// `C ← α·A·B + β·C` for `AXPY_ROWS` rows of a column-contiguous A (of
    /// which the first `c.m` are written) and `c.n = W` columns, row `p` of B
    /// at `b + p·ldb`, contiguous.
    ///
    /// # Safety
    /// The CPU supports the instruction set; A has `AXPY_ROWS` readable rows.
    unsafe fn axpy<const W: usize>(a: In<Self::T>, b: *const Self::T, ldb: usize, c: &Out<Self::T>);

    /// Packs the `k × n` B at `src` (element `(p, j)` at `src[p·rsb +
    /// j·csb]`) as the Bᵀ of [`Skinny::dot`]: `n` contiguous rows of `k` at
    /// `dst`. By default the portable transposing copy.
    ///
    /// # Safety
    /// The CPU supports the instruction set; `src` addresses every element
    /// of B; `dst` has room for `n·k` elements and does not overlap it.
    unsafe fn pack_bt(
        n: usize,
        k: usize,
        src: *const Self::T,
        rsb: usize,
        csb: usize,
        dst: *mut Self::T,
    ) {
        // SAFETY: one panel of width 1 and depth `k` per column of B.
        unsafe { pack(1, n, k, src, csb, rsb, dst) }
    }

    /// [`Skinny::axpy`] for the last `c.m < AXPY_ROWS` rows of A, of which
    /// only those `c.m` are readable: as many whole vectors as they fill,
    /// then one masked vector, so a partial strip needs neither a padded copy
    /// nor a full strip's work.
    ///
    /// # Safety
    /// The CPU supports the instruction set; `1 ≤ c.m < AXPY_ROWS`; A has
    /// `c.m` readable rows.
    unsafe fn axpy_partial<const W: usize>(
        a: In<Self::T>,
        b: *const Self::T,
        ldb: usize,
        c: &Out<Self::T>,
    );
}

/// [`Skinny::axpy`] for a group of `c.n ≤ G` columns.
///
/// # Safety
/// As [`Skinny::axpy`].
unsafe fn axpy_group<K: Skinny>(a: In<K::T>, b: *const K::T, ldb: usize, c: &Out<K::T>) {
    debug_assert!((1..=G).contains(&c.n));
    // SAFETY: forwarded, with `W = c.n`.
    unsafe {
        match c.n {
            1 => K::axpy::<1>(a, b, ldb, c),
            2 => K::axpy::<2>(a, b, ldb, c),
            3 => K::axpy::<3>(a, b, ldb, c),
            4 => K::axpy::<4>(a, b, ldb, c),
            _ => K::axpy::<G>(a, b, ldb, c),
        }
    }
}

/// [`Skinny::axpy_partial`] for a group of `c.n ≤ G` columns.
///
/// # Safety
/// As [`Skinny::axpy_partial`].
unsafe fn axpy_partial_group<K: Skinny>(a: In<K::T>, b: *const K::T, ldb: usize, c: &Out<K::T>) {
    debug_assert!((1..=G).contains(&c.n));
    // SAFETY: forwarded, with `W = c.n`.
    unsafe {
        match c.n {
            1 => K::axpy_partial::<1>(a, b, ldb, c),
            2 => K::axpy_partial::<2>(a, b, ldb, c),
            3 => K::axpy_partial::<3>(a, b, ldb, c),
            4 => K::axpy_partial::<4>(a, b, ldb, c),
            _ => K::axpy_partial::<G>(a, b, ldb, c),
        }
    }
}

/// Scalar `α·s + β·c` as every skinny kernel writes it (`c` unread if `β = 0`).
#[inline(always)]
fn update<T: Element>(s: T, c: *mut T, alpha: T, beta: T) {
    let t = alpha * s;
    // SAFETY: callers pass a valid, exclusively borrowed element.
    unsafe {
        *c = if beta == T::ZERO {
            t
        } else {
            beta.mul_add(*c, t)
        }
    };
}

/// The [`Skinny::dot`] body for `R` rows and `W` columns: per `LANES`
/// elements of `k`, `R` loads of A, `W` loads of Bᵀ and `R·W` FMAs; then a
/// horizontal sum per element and the `k mod LANES` tail in scalar FMAs.
///
/// # Safety
/// As [`Skinny::dot`], with `c.m = R`, `c.n = W`; inline only into a function
/// compiled for `V`'s instruction set.
#[inline(always)]
pub(super) unsafe fn dot_body<V: Simd, const R: usize, const W: usize>(
    stream: bool,
    a: In<V::E>,
    bt: *const V::E,
    ldbt: usize,
    c: &Out<V::E>,
) {
    let k = a.cols;
    let kv = k - k % V::LANES;
    // SAFETY: reads stay within rows `< R` of A and `< W` of Bᵀ, columns `< k`.
    unsafe {
        let mut acc = [[V::splat(V::E::ZERO); W]; R];
        for p in (0..kv).step_by(V::LANES) {
            let av: [V; R] = core::array::from_fn(|r| {
                let ar = a.ptr.add(r * a.rs + p);
                if stream {
                    // The same place `R` rows on: the next call's A,
                    // fetched while this one computes.
                    prefetch(ar.wrapping_add(R * a.rs));
                }
                V::load(ar)
            });
            for g in 0..W {
                let b = V::load(bt.add(g * ldbt + p));
                for (row, &x) in acc.iter_mut().zip(&av) {
                    row[g] = x.mul_add(b, row[g]);
                }
            }
        }
        // The horizontal sums first, in a loop nest of constant trip counts
        // that unrolls fully, so that `acc` is only ever indexed by constants
        // and stays in registers through the loop above; a loop of unknown
        // length here (the tail) would index it at run time, and the
        // compiler would then keep it in memory, stored on every step of `k`.
        let mut sums = [[V::E::ZERO; W]; R];
        reduce_add_each(acc.as_flattened(), sums.as_flattened_mut());
        if kv < k {
            for (r, srow) in sums.iter_mut().enumerate() {
                for (g, s) in srow.iter_mut().enumerate() {
                    for p in kv..k {
                        *s = (*a.ptr.add(r * a.rs + p)).mul_add(*bt.add(g * ldbt + p), *s);
                    }
                }
            }
        }
        for (r, srow) in sums.iter().enumerate() {
            update_row::<V>(srow, c.ptr.add(r * c.rs), c.cs, c.alpha, c.beta);
        }
    }
}

/// `c[g·cs] ← α·s[g] + β·c[g·cs]` for the sums `s` of one row of C, as
/// [`update`] does each: with C's row contiguous (`cs = 1`), in vectors
/// (masked for the last `len mod LANES`), rather than a lane extraction,
/// a multiply and a store per element; the same operations, so the same
/// bits, in fewer instructions (on (784,256,10), 20 sums per 16 steps of
/// `k`, AVX-512, Intel Xeon with AMX, no change in time beyond the spread
/// between runs was measured).
///
/// # Safety
/// `c` addresses `s.len()` elements `cs` apart, exclusively borrowed;
/// inline only into a function compiled for `V`'s instruction set.
#[inline(always)]
pub(super) unsafe fn update_row<V: Simd>(
    s: &[V::E],
    c: *mut V::E,
    cs: usize,
    alpha: V::E,
    beta: V::E,
) {
    // SAFETY: the caller's contract; every access is one of the `s.len()`
    // elements of C's row or of `s`.
    unsafe {
        if cs != 1 {
            for (g, &x) in s.iter().enumerate() {
                update(x, c.add(g * cs), alpha, beta);
            }
            return;
        }
        let mut g = 0;
        while g < s.len() {
            let n = V::LANES.min(s.len() - g);
            let p = c.add(g);
            let t = V::splat(alpha).mul(load_n::<V>(s.as_ptr().add(g), n));
            let y = if beta == V::E::ZERO {
                t
            } else {
                V::splat(beta).mul_add(load_n(p, n), t)
            };
            store_n(y, p, n);
            g += n;
        }
    }
}

/// The [`Skinny::axpy`] body for `MV` vectors of rows and `W` columns: per
/// step of `k`, `MV` loads of a column of A, `W` broadcasts of B and `MV·W`
/// FMAs.
///
/// # Safety
/// As [`Skinny::axpy`] with `AXPY_ROWS = MV·LANES`, `c.n = W`; inline only into
/// a function compiled for `V`'s instruction set. With `TAIL`, only the first
/// `last < LANES` rows of the last vector are readable (and `c.m` is
/// `(MV − 1)·LANES + last`): that vector is loaded masked.
#[inline(always)]
pub(super) unsafe fn axpy_body<V: Simd, const MV: usize, const W: usize, const TAIL: bool>(
    last: usize,
    a: In<V::E>,
    b: *const V::E,
    ldb: usize,
    c: &Out<V::E>,
) {
    // SAFETY: reads stay within `MV·LANES` rows and `k` columns of A and the
    // first `G` elements of `k` rows of B; writes within the `c.m × G` tile.
    unsafe {
        let mut acc = [[V::splat(V::E::ZERO); W]; MV];
        for p in 0..a.cols {
            let ap = a.ptr.add(p * a.cs);
            let av: [V; MV] = core::array::from_fn(|v| {
                let p = ap.add(v * V::LANES);
                if TAIL && v == MV - 1 {
                    V::load_tail(p, last, V::E::ZERO)
                } else {
                    V::load(p)
                }
            });
            let bp = b.add(p * ldb);
            for g in 0..W {
                let bg = V::splat(*bp.add(g));
                for (row, &x) in acc.iter_mut().zip(&av) {
                    row[g] = x.mul_add(bg, row[g]);
                }
            }
        }
        if c.rs == 1 && c.m == MV * V::LANES {
            // Columns of C contiguous (a transposed shallow product, see
            // `mod.rs`): whole vectors, the same `α·s`, then `β·c + t`.
            let alpha = V::splat(c.alpha);
            let beta = V::splat(c.beta);
            for g in 0..W {
                let cg = c.ptr.add(g * c.cs);
                for (v, row) in acc.iter().enumerate() {
                    let p = cg.add(v * V::LANES);
                    let t = alpha.mul(row[g]);
                    let x = if c.beta == V::E::ZERO {
                        t
                    } else {
                        beta.mul_add(V::load(p), t)
                    };
                    x.store(p);
                }
            }
            return;
        }
        let mut col = [V::splat(V::E::ZERO); MV];
        for g in 0..W {
            for (x, row) in col.iter_mut().zip(&acc) {
                *x = row[g];
            }
            let s = col.as_ptr().cast::<V::E>();
            for i in 0..c.m {
                update(*s.add(i), c.ptr.add(i * c.rs + g * c.cs), c.alpha, c.beta);
            }
        }
    }
}

/// Splits the rows of C into blocks of whole `unit`s, one per thread when the
/// product is big enough, and runs `f(first_row, rows)` on each.
fn par_rows(m: usize, n: usize, k: usize, unit: usize, f: impl Fn(usize, usize) + Sync) {
    let threads = rayon::current_num_threads();
    let parts = if m * n * k >= PAR_MIN_MACS {
        threads.min(m.div_ceil(unit))
    } else {
        1
    };
    if parts <= 1 {
        f(0, m);
        return;
    }
    let rows = m.div_ceil(parts).next_multiple_of(unit);
    (0..parts).into_par_iter().for_each(|t| {
        let i0 = t * rows;
        if i0 < m {
            f(i0, rows.min(m - i0));
        }
    });
}

/// Skinny GEMM with a row-contiguous A (`a.cs == 1`).
///
/// # Safety
/// The CPU supports `K`'s instruction set; the views are valid, `c`
/// exclusively borrowed; `c.n ≤ SKINNY_N`.
pub(super) unsafe fn dot<K: Skinny>(a: In<K::T>, b: In<K::T>, c: Out<K::T>) {
    let (m, k, n) = (c.m, a.cols, c.n);
    // Bᵀ with contiguous rows, each starting a 64-byte line, so that its
    // vectors, most of the loads (W per R of A), straddle no line: B itself
    // when it is column-contiguous and so placed, else packed (n·k
    // elements, small) into the scratch. Measured (AVX-512, f32, one
    // thread, Intel Xeon with AMX, 2×10 blocks): (256,784,10) took 35.1 µs
    // with Bᵀ packed into a plain `Vec` (16 bytes off a line: every load
    // of Bᵀ straddling two) and 27.2 µs packed on a line.
    //
    // Each thread packs its own copy, inside the parallel part. Packed once
    // before it, the other thread waited through the packing, long enough
    // to fall asleep, and then read every line of Bᵀ from the packing
    // core's cache: (256,784,10) on two threads took 39.7 µs, against 29.7
    // on one (same Xeon, criterion).
    let in_place = b.rs == 1 && rows_on_lines(b.ptr, b.cs);
    let (bp, rsb, csb) = (Ptr(b.ptr), b.rs, b.cs);
    par_rows(m, n, k, K::DOT_R, |i0, rows| {
        if in_place {
            // SAFETY: forwarded; B is the caller's valid view.
            unsafe { dot_rows::<K>(a, bp.get(), csb, &c, (i0, rows)) }
        } else {
            with_scratch::<K::T, _>(n * k, |bt| {
                // SAFETY: the scratch holds `n` rows of `k`; `b` is the
                // caller's valid view; then forwarded.
                unsafe {
                    K::pack_bt(n, k, bp.get(), rsb, csb, bt);
                    dot_rows::<K>(a, bt, k, &c, (i0, rows))
                }
            })
        }
    });
}

/// Rows `i0..i0 + rows` of [`dot`]'s C (a whole number of row blocks,
/// but for the end), with Bᵀ at `bt`, rows `ldbt` apart.
///
/// # Safety
/// As [`dot`], with `bt` addressing `n` rows of `k` elements and the rows
/// inside C.
unsafe fn dot_rows<K: Skinny>(
    a: In<K::T>,
    bt: *const K::T,
    ldbt: usize,
    c: &Out<K::T>,
    (i0, rows): (usize, usize),
) {
    let (m, k, n) = (c.m, a.cols, c.n);
    let r = K::DOT_R;
    let bytes = size_of::<K::T>();
    let (l2, l3) = (caches().l2.bytes, caches().l3.bytes);
    let chunk = if n * k * bytes > DOT_BT_L1_BYTES && !fills(m, k, bytes, l3 / DOT_L3_PART) {
        (DOT_CHUNK_BYTES / (k * bytes)).next_multiple_of(r)
    } else {
        // One row block at a time, all groups of columns on it.
        r
    };
    // Groups of columns as even as possible (16 columns on a path of 10 a
    // call are two groups of 8).
    let group = block(n, K::DOT_G, 1);
    // Chunks of whole row blocks, each swept once per group of columns.
    for c0 in (i0..i0 + rows).step_by(chunk) {
        let end = (c0 + chunk).min(i0 + rows);
        for j in (0..n).step_by(group) {
            let g = group.min(n - j);
            let mut i = c0;
            while i < end {
                let full = end - i >= r;
                let rr = if full { r } else { 1 };
                // Prefetched on the first group's sweep only: the others
                // find these rows in L1 or, in chunks, in L2.
                let stream = j == 0 && fills(m - i, k, bytes, l2);
                // SAFETY: rows `i..i+rr` and columns `j..j+g` lie inside
                // this thread's block of C and inside A and Bᵀ.
                unsafe {
                    K::dot(
                        full,
                        stream,
                        a.sub(i, 0, m - i, k),
                        bt.add(j * ldbt),
                        ldbt,
                        &c.sub(i, j, rr, g),
                    )
                };
                i += rr;
            }
        }
    }
}

/// B with contiguous rows, for [`axpy`] and [`shallow`]: B itself when
/// row-contiguous (with its row stride), else packed into `store`.
///
/// # Safety
/// `b` is a valid `k × n` view.
unsafe fn rows_of_b<T: Element>(b: In<T>, store: &mut Vec<T>) -> (Ptr<T>, usize) {
    let (k, n) = (b.rows, b.cols);
    if b.cs == 1 {
        return (Ptr(b.ptr), b.rs);
    }
    *store = vec![T::ZERO; k * n];
    // SAFETY: `store` holds one panel of width `n` and depth `k`.
    unsafe { pack(n, n, k, b.ptr, b.cs, b.rs, store.as_mut_ptr()) };
    (Ptr(store.as_ptr()), n)
}

/// Skinny GEMM with a column-contiguous A (`a.rs == 1`): each strip of A's
/// rows is read once for all of C's few columns; threads split the rows.
///
/// # Safety
/// As [`dot`], with `a.rs == 1`.
pub(super) unsafe fn axpy<K: Skinny>(a: In<K::T>, b: In<K::T>, c: Out<K::T>) {
    let (m, k, n) = (c.m, a.cols, c.n);
    let mut store = Vec::new();
    // SAFETY: `b` is the caller's valid view.
    let (bp, ldb) = unsafe { rows_of_b(b, &mut store) };
    let kc_max = block(k, AXPY_KC, 1);
    let strips = |i0: usize, rows: usize| {
        for pc in (0..k).step_by(kc_max) {
            let depth = (pc, kc_max.min(k - pc));
            let beta = if pc == 0 { c.beta } else { K::T::ONE };
            // SAFETY: forwarded; the ranges lie inside the problem.
            unsafe { axpy_columns::<K>(a, bp, ldb, &c, (i0, rows), depth, (0, n), beta) };
        }
    };
    // The strips start on a 64-byte line of A's columns, so that their
    // vectors straddle none: the `h` rows before the first line are a
    // partial strip of their own. (Each row of C is summed the same way
    // whichever strip holds it, so this changes no bit.) Measured
    // (AVX-512, f32, one thread, Intel Xeon with AMX, best of 3000, A the
    // transposed view of a row-major array 16 or 32 bytes off a line):
    // (784,256,10) at 119 GFLOP/s without the shift and 168 with it (176
    // with A on a line); (256,784,10) at 129 and 131–146.
    let h = head_rows(a.ptr, a.cs, m);
    if h > 0 {
        strips(0, h);
    }
    par_rows(m - h, n, k, K::AXPY_ROWS, |i0, rows| strips(h + i0, rows));
}

/// The rows of a column-contiguous A at `p` (columns `cs` apart) before
/// its columns reach a 64-byte line, at most `m`: 0 when they start on
/// one, and when its columns are not all placed alike in their lines (or
/// `p` not aligned to its element), where no shift aligns every column.
fn head_rows<T>(p: *const T, cs: usize, m: usize) -> usize {
    let (bytes, off) = (size_of::<T>(), p as usize % LINE);
    if off.is_multiple_of(bytes) && (cs * bytes).is_multiple_of(LINE) {
        ((LINE - off) % LINE / bytes).min(m)
    } else {
        0
    }
}

/// A shallow product (`k ≤ SHALLOW_K`, `m` and `n` large) on the [`axpy`]
/// kernels, given as `Cᵀ = Bᵀ·Aᵀ` (so here `a.rs == 1` and `n` is the
/// original C's rows): C is as big as the work and is written G of its
/// rows at a time, in memory order within a block of its columns (the
/// rows of A that fill half of L1, [`shallow_rows`]), and threads split
/// its rows.
///
/// Strip by strip, as [`axpy`] goes, each strip would write a few lines in
/// every row of C, far apart; and threads splitting C's columns write the
/// same rows at the same time. Measured (AVX-512, Zen 4, against the `gemm`
/// crate in the same process): 2048×8×2048 on one thread at 22–25 GFLOP/s
/// strip by strip, 60–68 in this order (the `gemm` crate: 58–67);
/// (256,10,784) on two threads at 54 with C's columns split, 160–163 with
/// its rows split.
///
/// # Safety
/// As [`axpy`].
pub(super) unsafe fn shallow<K: Skinny>(a: In<K::T>, b: In<K::T>, c: Out<K::T>) {
    let (m, k, n) = (c.m, a.cols, c.n);
    let mut store = Vec::new();
    // SAFETY: `b` is the caller's valid view.
    let (bp, ldb) = unsafe { rows_of_b(b, &mut store) };
    let kc_max = block(k, AXPY_KC, 1);
    let mb = block(m, shallow_rows::<K>(k, &caches().l1d), K::AXPY_ROWS);
    par_rows(n, m, k, G, |j0, cols| {
        for pc in (0..k).step_by(kc_max) {
            let depth = (pc, kc_max.min(k - pc));
            let beta = if pc == 0 { c.beta } else { K::T::ONE };
            for i in (0..m).step_by(mb) {
                let rows = (i, mb.min(m - i));
                for j in (j0..j0 + cols).step_by(G) {
                    let g = (j, G.min(j0 + cols - j));
                    // SAFETY: forwarded; the ranges lie inside the problem.
                    unsafe { axpy_columns::<K>(a, bp, ldb, &c, rows, depth, g, beta) };
                }
            }
        }
    });
}

/// The rows of A (at most) that [`shallow`] sweeps for every group of G
/// columns: a block of A of `k` columns that fills [`SHALLOW_L1_PART`] of
/// L1, a multiple of the strip. Each of its elements is then read once per
/// group from L1 rather than from L2, while C is still written a run of
/// lines per row at a time.
fn shallow_rows<K: Skinny>(k: usize, l1: &Cache) -> usize {
    let rows = l1.bytes / SHALLOW_L1_PART / (k.max(1) * size_of::<K::T>());
    (rows / K::AXPY_ROWS * K::AXPY_ROWS).max(K::AXPY_ROWS)
}

/// The part of L1 (1/2) the block of A that [`shallow`] sweeps per group
/// of columns takes; the rest holds the lines of C being written and the
/// group's rows of B.
const SHALLOW_L1_PART: usize = 2;

/// [`axpy`] on the columns `j0 .. j0 + nj` of C and rows `i0 .. i0 + rows`,
/// at depth `pc .. pc + kc`: each strip of `AXPY_ROWS` rows across those
/// columns, G at a time.
///
/// # Safety
/// As [`axpy`], with B's rows at `bp`, `ldb` apart, and the ranges inside
/// the problem.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn axpy_columns<K: Skinny>(
    a: In<K::T>,
    bp: Ptr<K::T>,
    ldb: usize,
    c: &Out<K::T>,
    (i0, rows): (usize, usize),
    (pc, kc): (usize, usize),
    (j0, nj): (usize, usize),
    beta: K::T,
) {
    let mr = K::AXPY_ROWS;
    for i in (i0..i0 + rows).step_by(mr) {
        let ri = mr.min(i0 + rows - i);
        for j in (j0..j0 + nj).step_by(G) {
            let g = G.min(j0 + nj - j);
            // SAFETY: as in `dot`; a partial strip of rows reads only its
            // own rows (masked loads for the last vector).
            unsafe {
                let mut t = c.sub(i, j, ri, g);
                t.beta = beta;
                let bj = bp.get().add(pc * ldb + j);
                let strip = a.sub(i, pc, ri, kc);
                if ri == mr {
                    axpy_group::<K>(strip, bj, ldb, &t);
                } else {
                    axpy_partial_group::<K>(strip, bj, ldb, &t);
                }
            }
        }
    }
}

/// A pointer shared read-only between threads.
#[derive(Clone, Copy)]
struct Ptr<T>(*const T);

impl<T> Ptr<T> {
    /// The pointer (a method, so that closures capture the `Sync` wrapper).
    fn get(self) -> *const T {
        self.0
    }
}
// SAFETY: the pointee is read-only for the duration of the parallel loop.
unsafe impl<T: Sync> Sync for Ptr<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Send for Ptr<T> {}

#[cfg(test)]
mod tests {
    use super::crowds_l1;
    use crate::caches::{Cache, Caches};

    #[test]
    fn rows_crowd_l1_when_more_share_a_set_than_it_has_ways() {
        let l1 = &Caches::ASSUMED.l1d; // 32 KiB, 8 ways, 64 sets
        // 4 KiB apart: every row on the same set.
        assert!(!crowds_l1(8, 4096, l1));
        assert!(crowds_l1(9, 4096, l1));
        assert!(crowds_l1(9, 8192, l1));
        // 2 KiB apart: two sets, eight rows each.
        assert!(!crowds_l1(16, 2048, l1));
        assert!(crowds_l1(17, 2048, l1));
        // One line further each row: a set each.
        assert!(!crowds_l1(16, 4096 + 64, l1));
        assert!(!crowds_l1(16, 784 * 4, l1));
        // 48 KiB, 12 ways, 64 sets: 12 rows 4 KiB apart fit, 13 do not.
        let wide = &Cache {
            bytes: 48 << 10,
            ways: 12,
            line: 64,
        };
        assert!(!crowds_l1(12, 4096, wide));
        assert!(crowds_l1(13, 4096, wide));
    }
}
