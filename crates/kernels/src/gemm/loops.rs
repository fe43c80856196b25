//! The five loops around the microkernel (BLIS order) and their threading.
//!
//! ```text
//! loop 1  jc: n by NC        pack B[pc.., jc..] (KC×NC) into NR-column panels
//! loop 2  pc: k by KC
//! loop 3  ic: m by MC        pack A[ic.., pc..] (MC×KC) into MR-row panels
//! loop 4  jr: NC by NR       (the macro-kernel: loops 4 and 5)
//! loop 5  ir: MC by MR       microkernel: C[MR×NR] ← α·Ã·B̃ + β·C
//! ```
//!
//! Threads split C into a grid of rectangular blocks (never `k`), each run
//! through the five loops on its own packed copies (or, when they cut only
//! `m` and B's blocks are large, on one packed copy of B that they pack
//! together), so an element of C sees the same operations in the same order
//! whatever the thread count.

use core::cell::RefCell;
use rayon::prelude::*;
use std::thread::LocalKey;

use super::blocking::Blocking;
use super::kernel::Microkernel;
use super::{In, Out};
use crate::caches::caches;
use crate::element::Element;

/// Below this many multiply-adds (`m·n·k`) a packed GEMM stays on one thread:
/// the fork/join and duplicated packing cost more than the second core saves.
const PAR_MIN_MACS: usize = 1 << 20;

/// From this many bytes of a packed depth block of B (KC×NC), threads that
/// cut only `m` share one packed copy of each block ([`shared_b`]) instead
/// of each packing its own. Below it the duplicated copy costs less than
/// the extra join per block. Measured (f32, AVX-512, two threads, Zen 5,
/// best of 6–10 runs alternated with the unshared code): with 1 MiB blocks
/// (512³) level, 0.639 against 0.634 ms; with 4 MiB blocks 2% faster at
/// 1000³ (4.85 against 4.96 ms) and 1024³ (5.15 against 5.27 ms), level at
/// 2048³ (41.2 against 41.4 ms).
const SHARED_B_MIN_BYTES: usize = 2 << 20;

/// The fewest MR-row tiles of C per thread for [`shared_b`], whose blocks
/// cut only `m`: with fewer, rounding the blocks to whole tiles leaves
/// one thread more than an eighth more work than the other, and cutting
/// `n` balances them better (a bound from that arithmetic, not measured).
const SHARED_B_MIN_TILES: usize = 8;

/// Up to this many bytes of B (its `k` rows at their stride), a row-major
/// B (unit column stride) is read in place by the microkernel instead of
/// packed: the packing copy is a tenth of a 64³ product, and a B this
/// small stays in the caches between the tiles that reread it. Measured
/// (f32, one thread): 64³ 6–8% faster on AVX-512 and AVX2, 128³ 3% faster
/// on AVX-512 and level on AVX2; at 192³–256³ in place was 5% slower on
/// AVX2 and at 1024³ 10% slower on AVX-512 (rows 4 KiB apart compete for
/// the same L1 sets), so larger B is packed. Nor is a B whose rows are a
/// multiple of 4 KiB apart read in place, however small: at 512×16×1024
/// (f32, one thread, Zen 4) in place ran at 26 GFLOP/s on AVX2 and 82 on
/// AVX-512, packed at 66 and 91.
const B_IN_PLACE_MAX_BYTES: usize = 64 << 10;

/// Up to this many bytes of A (the extent of its elements in memory), A
/// is read in place by the microkernel, broadcasting each element from
/// where it is, instead of packed (a transposition when A is row-major);
/// only a ragged last row panel is packed (its zero padding keeps the
/// tile's reads inside A). The same size as for B, for the same reason.
/// Measured (f32, one thread, with B in place too): 64³ 6% faster on
/// AVX-512 and 5% on AVX2, 96³–128³ 3–4% on AVX-512 and level on AVX2.
const A_IN_PLACE_MAX_BYTES: usize = 64 << 10;

/// The size of the blocks `len` is cut into: as even as possible, at most
/// `max` (a multiple of `unit`), rounded up to a multiple of `unit`.
pub(super) fn block(len: usize, max: usize, unit: usize) -> usize {
    let blocks = len.div_ceil(max).max(1);
    len.div_ceil(blocks).next_multiple_of(unit).min(max)
}

/// A 64-byte line of scratch memory (the alignment of packed panels).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; LINE]);

/// The bytes of a cache line: the alignment of the scratch, and the unit a
/// vector load must not straddle to cost one read of L1.
pub(crate) const LINE: usize = 64;

/// Whether every row of a matrix at `p`, rows `stride` elements apart,
/// starts a cache line.
pub(crate) fn rows_on_lines<T>(p: *const T, stride: usize) -> bool {
    (p as usize).is_multiple_of(LINE) && (stride * size_of::<T>()).is_multiple_of(LINE)
}

/// A buffer of lines kept by each thread between calls.
type Buffer = LocalKey<RefCell<Vec<Line>>>;

thread_local! {
    /// Each thread's packing buffer, kept between calls: allocating (and page
    /// faulting) megabytes on every GEMM would cost more than small GEMMs do.
    /// `u8_gemm_gtx` keeps its scaled copy of `G` here too.
    static SCRATCH: RefCell<Vec<Line>> = const { RefCell::new(Vec::new()) };
    /// The packed blocks of B that [`shared_b`] shares between threads,
    /// apart from [`SCRATCH`], which the calling thread may need for its own
    /// rows of A while it holds this one.
    static SHARED_B: RefCell<Vec<Line>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on a 64-byte-aligned scratch buffer of at least `elems` elements.
pub(crate) fn with_scratch<T: Element, R>(elems: usize, f: impl FnOnce(*mut T) -> R) -> R {
    with_buffer(&SCRATCH, elems, f)
}

/// Runs `f` on this thread's `buffer`, grown to at least `elems` elements.
fn with_buffer<T: Element, R>(
    buffer: &'static Buffer,
    elems: usize,
    f: impl FnOnce(*mut T) -> R,
) -> R {
    let lines = (elems * size_of::<T>()).div_ceil(64);
    buffer.with(|cell| match cell.try_borrow_mut() {
        Ok(mut v) => {
            if v.len() < lines {
                v.resize(lines, Line([0; 64]));
            }
            f(v.as_mut_ptr().cast())
        }
        // Re-entered on this thread (a worker running a second GEMM while the
        // first holds the buffer): use a fresh one.
        Err(_) => f(vec![Line([0; 64]); lines].as_mut_ptr().cast()),
    })
}

/// The packed GEMM `C ← α·A·B + β·C`, threaded over blocks of C.
///
/// # Safety
/// The CPU supports `K`'s instruction set; `a`, `b`, `c` are valid views
/// with `a` m×k, `b` k×n, `c` m×n, `c` exclusively borrowed and not
/// overlapping `a` or `b`.
pub(super) unsafe fn packed<K: Microkernel>(a: In<K::T>, b: In<K::T>, c: Out<K::T>) {
    let (m, k, n) = (c.m, a.cols, c.n);
    let threads = rayon::current_num_threads();
    let (mut tm, mut tn, mut share) = (1, 1, false);
    if threads > 1 && m * n * k >= PAR_MIN_MACS {
        let packs = (!a_in_place::<K>(a, m, k), !b_in_place::<K>(b, k));
        share = packs.1 && shares_b::<K>(m, k, n, threads);
        (tm, tn) = grid(m, n, threads, K::MR, K::NR, packs, share);
    }
    if tm * tn == 1 {
        // SAFETY: forwarded from the caller.
        unsafe { serial::<K>(a, b, c) };
        return;
    }
    if share && tn == 1 {
        // SAFETY: forwarded from the caller.
        unsafe { shared_b::<K>(a, b, c, tm) };
        return;
    }
    // Blocks of whole tiles, but columns cut at multiples of NR/2 (a
    // block's last panel is then a full tile or the half-width one): with
    // AVX-512's NR of 64, 192 columns cut at NR made blocks of 128 and 64,
    // and two threads ran at 0.71× the `gemm` crate.
    let rows = m.div_ceil(tm).next_multiple_of(K::MR);
    let cols = n.div_ceil(tn).next_multiple_of(K::NR / 2);
    (0..tm * tn).into_par_iter().for_each(|w| {
        let (i0, j0) = ((w / tn) * rows, (w % tn) * cols);
        if i0 < m && j0 < n {
            let (mb, nb) = (rows.min(m - i0), cols.min(n - j0));
            // SAFETY: the blocks `[i0, i0+mb) × [j0, j0+nb)` of C are disjoint
            // across `w`, and C's view is injective, so each thread writes
            // elements no other touches; A's rows and B's columns are read only.
            unsafe {
                serial::<K>(
                    a.sub(i0, 0, mb, k),
                    b.sub(0, j0, k, nb),
                    c.sub(i0, j0, mb, nb),
                )
            };
        }
    });
}

/// How to cut an `m × n` C into `tm × tn` blocks for `threads` threads:
/// the factorisation that packs the least (each block packs its rows of A
/// and its columns of B, those of `(pack_a, pack_b)` that are packed),
/// keeping at least one tile per block. On a tie, the one that cuts `m`
/// more. When A is packed and B is not, that cuts `m`. Measured (f32,
/// AVX-512, two threads, in one run, Zen 4): at 128³ (both read in place)
/// cutting `m` ran at 1.03× the `gemm` crate and cutting `n` at 0.97×; at
/// 512³ with B packed and A read in place (a choice since dropped, see
/// [`b_in_place`]) cutting `n` at 1.01–1.02× and cutting `m` at
/// 0.99–1.00×. The grid is chosen for the whole product, while each block
/// decides for itself whether to pack (a block may read in place a B the
/// whole would pack). With `share`, a grid that cuts only `m` shares B's
/// packing between its blocks ([`shared_b`]): each packs `n/tm` columns.
fn grid(
    m: usize,
    n: usize,
    threads: usize,
    mr: usize,
    nr: usize,
    (pack_a, pack_b): (bool, bool),
    share: bool,
) -> (usize, usize) {
    let packed = |tm: usize, tn: usize| {
        let b_cols = if share && tn == 1 {
            n.div_ceil(tm)
        } else {
            n.div_ceil(tn)
        };
        usize::from(pack_a) * m.div_ceil(tm) + usize::from(pack_b) * b_cols
    };
    (1..=threads)
        .filter(|&tm| threads.is_multiple_of(tm))
        .map(|tm| (tm, threads / tm))
        .filter(|&(tm, tn)| tm <= m.div_ceil(mr) && tn <= n.div_ceil(nr))
        .min_by_key(|&(tm, tn)| (packed(tm, tn), tn))
        .unwrap_or((1, 1))
}

/// Whether [`serial`] reads the full panels of a `k`-row B in place rather
/// than packing them: a small row-major B only.
///
/// Larger operands are packed on every path. Reading them in place (an A
/// of any size with a unit stride, a row-major B up to 1 MiB) had been
/// 1–3% faster on Zen 4's AVX-512 (f32, one thread, 256³–2048³, against
/// the `gemm` crate in the same runs). On an Intel Xeon (family 6, model
/// 207: two 512-bit FMAs a cycle, so twice the operand traffic a cycle;
/// f32, one thread, criterion medians in the same minutes, 2026-12-02) B
/// in place was 1.4–1.5× slower than packed (256³ 327 against 218 µs,
/// 512³ 2.98 against 2.14 ms) and A in place 1.19× slower at 2048³ (170
/// against 143 ms), level within the host's noise at 512³–1024³ (2.14
/// against 2.10 ms, 16.3 against 17.1 ms).
fn b_in_place<K: Microkernel>(b: In<K::T>, k: usize) -> bool {
    let row = b.rs * size_of::<K::T>();
    // Rows a multiple of L1's way size apart (4 KiB on current x86-64
    // cores) all fall on one set of L1.
    let crowded = row.is_multiple_of(caches().l1d.way_bytes());
    b.cs == 1 && !crowded && k * row <= B_IN_PLACE_MAX_BYTES
}

/// Whether [`serial`] reads an `m × k` A in place rather than packing it:
/// a small one only (see [`b_in_place`]).
fn a_in_place<K: Microkernel>(a: In<K::T>, m: usize, k: usize) -> bool {
    let extent = m.saturating_sub(1) * a.rs + k.saturating_sub(1) * a.cs + 1;
    extent * size_of::<K::T>() <= A_IN_PLACE_MAX_BYTES
}

/// Whether the threads of an `m × k × n` product that cut only `m` share
/// B's packed blocks ([`shared_b`]): when a block is large enough for its
/// copy to cost more than a join, and each thread has enough rows.
fn shares_b<K: Microkernel>(m: usize, k: usize, n: usize, threads: usize) -> bool {
    let Blocking { kc, nc, .. } = Blocking::of::<K>(caches());
    let bytes = block(k, kc, 1) * block(n, nc, K::NR) * size_of::<K::T>();
    bytes >= SHARED_B_MIN_BYTES && m.div_ceil(K::MR) >= SHARED_B_MIN_TILES * threads
}

/// The five loops on `threads` threads that cut `m` and share B: for each
/// depth block of B the threads pack its panels between them into one
/// copy, join, and each runs its rows of A against that copy. The blocks
/// of C and the steps of `k` are those of [`packed`]'s grid, so the
/// results are the same bits.
///
/// # Safety
/// As [`packed`].
unsafe fn shared_b<K: Microkernel>(a: In<K::T>, b: In<K::T>, c: Out<K::T>, threads: usize) {
    let (m, k, n) = (c.m, a.cols, c.n);
    let (mr, nr) = (K::MR, K::NR);
    let Blocking { kc, mc, nc } = Blocking::of::<K>(caches());
    let rows = m.div_ceil(threads).next_multiple_of(mr);
    let kc_max = block(k, kc, 1);
    let mc_max = block(rows, mc, mr);
    let nc_max = block(n, nc, nr);
    let (b_len, a_len) = (nc_max * kc_max, mc_max * kc_max);
    with_buffer::<K::T, _>(&SHARED_B, b_len, |bp| {
        // SAFETY: the buffer holds `b_len` elements, and any bits are a
        // valid float.
        let shared = unsafe { core::slice::from_raw_parts_mut(bp, b_len) };
        for jc in (0..n).step_by(nc_max) {
            let nc = nc_max.min(n - jc);
            let panels = nc.div_ceil(nr);
            let per_thread = panels.div_ceil(threads);
            for pc in (0..k).step_by(kc_max) {
                let kc = kc_max.min(k - pc);
                // Later depth blocks add to what the first one wrote.
                let beta = if pc == 0 { c.beta } else { K::T::ONE };
                let bt = &mut shared[..panels * nr * kc];
                bt.par_chunks_mut(per_thread * nr * kc)
                    .enumerate()
                    .for_each(|(w, chunk)| {
                        for (q, panel) in chunk.chunks_mut(nr * kc).enumerate() {
                            let jr = (w * per_thread + q) * nr;
                            // SAFETY: columns `jc + jr ..` (at most NR, inside
                            // B) of rows `pc .. pc + kc`, packed into this
                            // thread's own panel of `nr·kc` elements.
                            unsafe {
                                let src = b.at(pc, jc + jr);
                                K::pack_b(nr.min(nc - jr), kc, src, b.rs, b.cs, panel.as_mut_ptr())
                            };
                        }
                    });
                let bt = &*bt;
                (0..threads).into_par_iter().for_each(|w| {
                    let (i0, end) = (w * rows, m.min((w + 1) * rows));
                    with_scratch::<K::T, _>(a_len, |ap| {
                        for ic in (i0..end).step_by(mc_max) {
                            let mc = mc_max.min(end - ic);
                            // SAFETY: rows `ic .. ic + mc` of this thread's
                            // block of C, disjoint from the others'; A and the
                            // packed B are read only, inside their extents.
                            unsafe {
                                K::pack_a(mc, kc, a.at(ic, pc), a.rs, a.cs, ap);
                                for jr in (0..nc).step_by(nr) {
                                    let bq = bt.as_ptr().add(jr * kc);
                                    for ir in (0..mc).step_by(mr) {
                                        let (tr, tc) = (mr.min(mc - ir), nr.min(nc - jr));
                                        let mut t = c.sub(ic + ir, jc + jr, tr, tc);
                                        t.beta = beta;
                                        K::tile(kc, ap.add(ir * kc), bq, &t);
                                    }
                                }
                            }
                        }
                    });
                });
            }
        }
    });
}

/// The five loops on one thread.
///
/// # Safety
/// As [`packed`].
unsafe fn serial<K: Microkernel>(a: In<K::T>, b: In<K::T>, c: Out<K::T>) {
    let (m, k, n) = (c.m, a.cols, c.n);
    let (mr, nr) = (K::MR, K::NR);
    let Blocking { kc, mc, nc } = Blocking::of::<K>(caches());
    let kc_max = block(k, kc, 1);
    let mc_max = block(m, mc, mr);
    let nc_max = block(n, nc, nr);
    let b_len = nc_max.next_multiple_of(nr) * kc_max;
    let a_len = mc_max.next_multiple_of(mr) * kc_max;
    // Full panels of a small row-major B are read in place; only a ragged
    // last panel is packed (its zero padding keeps the tile's loads inside
    // B). The arithmetic is the same either way.
    let b_in_place = b_in_place::<K>(b, k);
    let a_in_place = a_in_place::<K>(a, m, k);
    with_scratch::<K::T, _>(b_len + a_len, |bp| {
        // SAFETY: `bp` has room for both packed blocks; every offset below
        // stays inside the views, as the caller guarantees their extents.
        unsafe {
            let ap = bp.add(b_len);
            for jc in (0..n).step_by(nc_max) {
                let nc = nc_max.min(n - jc);
                let full = if b_in_place { nc / nr * nr } else { 0 };
                for pc in (0..k).step_by(kc_max) {
                    let kc = kc_max.min(k - pc);
                    // Later depth blocks add to what the first one wrote.
                    let beta = if pc == 0 { c.beta } else { K::T::ONE };
                    for ic in (0..m).step_by(mc_max) {
                        let mc = mc_max.min(m - ic);
                        let a_full = if a_in_place { mc / mr * mr } else { 0 };
                        if a_full < mc {
                            let aq = a.at(ic + a_full, pc);
                            K::pack_a(mc - a_full, kc, aq, a.rs, a.cs, ap.add(a_full * kc));
                        }
                        for jr in (0..nc).step_by(nr) {
                            if ic == 0 && jr >= full {
                                let (bq, w) = (b.at(pc, jc + jr), nr.min(nc - jr));
                                K::pack_b(w, kc, bq, b.rs, b.cs, bp.add(jr * kc));
                            }
                            // This panel of B: in place, or packed.
                            let (bq, bs) = if jr < full {
                                (b.at(pc, jc + jr), b.rs)
                            } else {
                                (bp.add(jr * kc).cast_const(), nr)
                            };
                            for ir in (0..mc).step_by(mr) {
                                let mut t =
                                    c.sub(ic + ir, jc + jr, mr.min(mc - ir), nr.min(nc - jr));
                                t.beta = beta;
                                let at = ap.add(ir * kc);
                                if ir < a_full {
                                    let aq = a.at(ic + ir, pc);
                                    K::tile_a_in_place(kc, aq, a.rs, a.cs, bq, bs, &t);
                                } else if jr < full {
                                    K::tile_b_in_place(kc, at, bq, bs, &t);
                                } else {
                                    K::tile(kc, at, bq, &t);
                                }
                            }
                        }
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::super::{In, MatMut, MatRef, Out, paths};
    use super::*;
    use crate::isa::Isa;

    /// [`shared_b`] on 2 and 3 threads gives [`serial`]'s bits, over
    /// several depth blocks of B (and, with the AVX paths' blocking on
    /// caches of 1 MiB of L2 and 32 MiB of L3, two column blocks), ragged
    /// edges, a β that reads C, and a row-major and a column-major A.
    fn shared_b_matches_serial<K: Microkernel>(isa: Isa) {
        let (m, k, n) = (40, 1100, 1100);
        let unit = |i: usize| K::T::from_f64(((i * 7919) % 997) as f64 / 997.0 - 0.5);
        let a: Vec<K::T> = (0..m * k).map(unit).collect();
        let b: Vec<K::T> = (0..k * n).map(|i| unit(i + 13)).collect();
        let c0: Vec<K::T> = (0..m * n).map(|i| unit(i + 29)).collect();
        for a_col_major in [false, true] {
            let a_view = if a_col_major {
                MatRef::new(&a, k, m).t()
            } else {
                MatRef::new(&a, m, k)
            };
            let run = |threads: usize| {
                let mut c = c0.clone();
                let cv = MatMut::new(&mut c, m, n);
                let out = Out {
                    ptr: cv.data.as_mut_ptr(),
                    m,
                    n,
                    rs: cv.rs,
                    cs: cv.cs,
                    alpha: K::T::from_f64(0.75),
                    beta: K::T::from_f64(-0.5),
                };
                let (ai, bi) = (In::of(&a_view), In::of(&MatRef::new(&b, k, n)));
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .expect("a rayon pool");
                // SAFETY: `isa` is available on this CPU, the views are
                // valid and agree, and C is exclusively borrowed.
                pool.install(|| unsafe {
                    if threads == 1 {
                        serial::<K>(ai, bi, out)
                    } else {
                        shared_b::<K>(ai, bi, out, threads)
                    }
                });
                c
            };
            let one = run(1);
            for threads in [2, 3] {
                let many = run(threads);
                let same = one
                    .iter()
                    .zip(&many)
                    .all(|(x, y)| x.to_f64().to_bits() == y.to_f64().to_bits());
                assert!(
                    same,
                    "{isa} {:?} A col-major {a_col_major}: {threads} threads differ",
                    K::T::DTYPE
                );
            }
        }
    }

    #[test]
    fn shared_b_gives_the_serial_bits_on_every_path() {
        for isa in Isa::available() {
            match isa {
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512 => {
                    shared_b_matches_serial::<paths::Avx512F32>(isa);
                    shared_b_matches_serial::<paths::Avx512F64>(isa);
                }
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 => {
                    shared_b_matches_serial::<paths::Avx2F32>(isa);
                    shared_b_matches_serial::<paths::Avx2F64>(isa);
                }
                Isa::Portable16 => {
                    shared_b_matches_serial::<paths::Portable16F32>(isa);
                    shared_b_matches_serial::<paths::Portable16F64>(isa);
                }
                _ => {
                    shared_b_matches_serial::<paths::PortableF32>(isa);
                    shared_b_matches_serial::<paths::PortableF64>(isa);
                }
            }
        }
    }
}
