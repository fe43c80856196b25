//! The microkernel contract: a register tile `C[MR×NR] ← α·Ã·B̃ + β·C` over
//! packed panels, with the blocking constants of the loops around it.
//!
//! The body, [`tile`], is written once over the crate's vector type
//! ([`crate::simd::Simd`], the same one the element-wise kernels use);
//! `paths.rs` instantiates it for each instruction set behind a
//! `#[target_feature]` entry.

use super::Out;
use crate::element::Element;
use crate::simd::{Simd, prefetch};

/// A register-tile microkernel and the deepest block of the five loops
/// around it (BLIS order: jc by NC, pc by KC, ic by MC, jr by NR, ir by MR).
pub(super) trait Microkernel: Copy + Send + Sync + 'static {
    /// The element type.
    type T: Element;
    /// Rows of the register tile: loop 5 (ir) steps through a packed block of
    /// A by MR rows, and A is packed into MR-row panels.
    const MR: usize;
    /// Columns of the register tile: loop 4 (jr) steps through a packed block
    /// of B by NR columns, and B is packed into NR-column panels.
    const NR: usize;
    /// The deepest packed block: loop 2 (pc) steps through k by at most KC
    /// (less where the caches are small, see `blocking.rs`, which derives
    /// loops 1 and 3's NC and MC from the caches too). Each tile of C is
    /// read and written once per KC of `k`, and that update costs hundreds
    /// of cycles (its rows are far apart in memory), so KC is deep: the
    /// KC×NR panel of B then lives in L2 rather than L1, which feeds its NV
    /// loads per step of `k` with room to spare.
    const KC: usize;

    /// `C ← α·Ã·B̃ + β·C` on the `c.m × c.n` tile (`c.m ≤ MR`, `c.n ≤ NR`).
    ///
    /// # Safety
    /// The CPU supports the kernel's instruction set; `a` holds `kc·MR` packed
    /// elements (panel layout of [`super::pack`]), `b` holds `kc·NR`, and `c`
    /// addresses a valid, exclusively borrowed tile.
    unsafe fn tile(kc: usize, a: *const Self::T, b: *const Self::T, c: &Out<Self::T>);

    /// As [`Microkernel::tile`] on a full-width tile (`c.n = NR`), with B
    /// read in place: `kc` rows of `NR` contiguous elements, `rsb` apart
    /// (a row-major B, not packed).
    ///
    /// # Safety
    /// As [`Microkernel::tile`], with `b` valid for those `kc` rows.
    unsafe fn tile_b_in_place(
        kc: usize,
        a: *const Self::T,
        b: *const Self::T,
        rsb: usize,
        c: &Out<Self::T>,
    );

    /// As [`Microkernel::tile`] on a full-height tile (`c.m = MR`) with A
    /// read in place (element `(i, p)` at `a[i·rsa + p·csa]`, not packed)
    /// and B's rows `bs` apart (a packed panel's `NR`, or a row-major B's
    /// row stride).
    ///
    /// # Safety
    /// As [`Microkernel::tile`], with `a` valid for the tile's `MR` rows
    /// and `kc` columns and `b` for `kc` rows of `NR` elements.
    unsafe fn tile_a_in_place(
        kc: usize,
        a: *const Self::T,
        rsa: usize,
        csa: usize,
        b: *const Self::T,
        bs: usize,
        c: &Out<Self::T>,
    );

    /// Packs the `len × kc` block of A at `src` (element `(i, p)` at
    /// `src[i·rsa + p·csa]`) into MR-row panels at `dst`, in
    /// [`super::pack`]'s layout. The default is the portable copy; a path
    /// overrides it where a vectorised transposition pays (a row-major A is
    /// packed by transposing it).
    ///
    /// # Safety
    /// As [`super::pack::pack`] with `w = MR`; the CPU supports the
    /// kernel's instruction set.
    unsafe fn pack_a(
        len: usize,
        kc: usize,
        src: *const Self::T,
        rsa: usize,
        csa: usize,
        dst: *mut Self::T,
    ) {
        // SAFETY: forwarded.
        unsafe { super::pack::pack(Self::MR, len, kc, src, rsa, csa, dst) }
    }

    /// Packs the `kc × len` block of B at `src` (element `(p, j)` at
    /// `src[p·rsb + j·csb]`) into NR-column panels at `dst`, in
    /// [`super::pack`]'s layout, compiled for the path.
    ///
    /// # Safety
    /// As [`super::pack::pack`] with `w = NR`; the CPU supports the
    /// kernel's instruction set.
    unsafe fn pack_b(
        len: usize,
        kc: usize,
        src: *const Self::T,
        rsb: usize,
        csb: usize,
        dst: *mut Self::T,
    );
}

/// How many four-step trips of `k` before the end of a tile [`tile`]
/// prefetches C's tile: at least a memory latency of FMAs (8 trips of the
/// AVX-512 6×64 tile are 768 FMAs), and no more, so the lines are still in
/// L1 when the tile is written. Measured (f32, AVX-512, one thread, on the
/// 12×32 tile of the time and with `KC` 256, so that each tile of C was
/// updated four times at 1024³):
/// prefetching here rather than at the start of the tile took 1024³ from
/// 0.94–0.96× to 0.97× the `gemm` crate, and 2048³ from 0.97× to 0.99×.
/// With the deeper `KC` of the AVX paths now, a tile is written once per
/// 1024 steps at those sizes and the two placements were within 1%.
const C_PREFETCH_TRIPS: usize = 8;

/// The body every SIMD microkernel shares: an `MR × NV·LANES` tile of
/// accumulators in registers; per step of `k`, `NV` vector loads of B,
/// `MR` broadcasts of A elements and `MR·NV` FMAs.
///
/// Element `(i, p)` of A is at `a[i·ars + p·acs]`: a packed panel `AS ≥ MR`
/// rows wide has `ars = 1, acs = AS`, a row-major A read in place its row
/// and column strides. B's rows are `bs ≥ NV·LANES` elements apart: the
/// width of a packed panel, or the row stride of a row-major B read in
/// place. Where this is inlined with constant strides they fold into the
/// addressing. A tile of the first rows or columns of wider panels serves
/// a ragged edge without computing its zero padding.
///
/// # Safety
/// As [`Microkernel::tile`] with `MR` readable elements of A per step at
/// those strides and `kc` rows of `NV·LANES` readable elements `bs` apart
/// at `b`, `c.m ≤ MR` and `c.n ≤ NV·LANES`; inline only into a function
/// compiled for `V`'s instruction set.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn tile<V: Simd, const MR: usize, const NV: usize>(
    kc: usize,
    a: *const V::E,
    ars: usize,
    acs: usize,
    b: *const V::E,
    bs: usize,
    c: &Out<V::E>,
) {
    // SAFETY: the caller guarantees the CPU features and the extents: step
    // `p` reads `a[i·ars + p·acs]` for `i < MR` and `b[p·bs .. p·bs + NV·LANES]`.
    unsafe {
        let mut acc = [[V::splat(V::E::ZERO); NV]; MR];
        let (mut a, mut b) = (a, b);
        // C's tile is fetched a few trips before the end: early enough to
        // arrive from memory, late enough that the A and B streams have no
        // time to evict it again (C's rows can be 4 KiB apart, all in one
        // set of L1, and a 12-row tile would have more rows than L1 has ways).
        let early = (kc / 4).saturating_sub(C_PREFETCH_TRIPS);
        trips::<V, MR, NV>(early, &mut acc, &mut a, ars, acs, &mut b, bs);
        for i in 0..c.m {
            prefetch(c.ptr.add(i * c.rs));
            prefetch(c.ptr.add(i * c.rs + (c.n - 1) * c.cs));
        }
        trips::<V, MR, NV>(kc / 4 - early, &mut acc, &mut a, ars, acs, &mut b, bs);
        for _ in 0..kc % 4 {
            step::<V, MR, NV>(&mut acc, a, ars, b);
            a = a.add(acs);
            b = b.add(bs);
        }
        store_tile::<V, MR, NV>(&acc, c);
    }
}

/// `n` trips of four steps of `k`, advancing `a` and `b` past them.
///
/// Nothing is prefetched here: the hardware follows A and B. A software
/// prefetch of the A panel 8 steps ahead, once per trip, cost 3–5% of a
/// 64³–128³ product on AVX2 with A read in place (where it only touched
/// row 0), up to 1% at 64³–512³ on AVX-512, and made no measurable
/// difference with A packed (AVX2, 256³–2048³; f32, one thread, Zen 4).
///
/// # Safety
/// As [`tile`], for the `4·n` steps at `a` and `b`.
#[inline(always)]
unsafe fn trips<V: Simd, const MR: usize, const NV: usize>(
    n: usize,
    acc: &mut [[V; NV]; MR],
    a: &mut *const V::E,
    ars: usize,
    acs: usize,
    b: &mut *const V::E,
    bs: usize,
) {
    // SAFETY: reads the `4·n` steps of A and B the caller guarantees.
    unsafe {
        for _ in 0..n {
            for u in 0..4 {
                step::<V, MR, NV>(acc, a.add(u * acs), ars, b.add(u * bs));
            }
            *a = a.add(4 * acs);
            *b = b.add(4 * bs);
        }
    }
}

/// One step of `k`: `acc += Ã[p, 0..MR]ᵀ · B̃[p, 0..NR]`, row `i` of A's
/// column at `a[i·ars]`.
///
/// # Safety
/// As [`tile`], for one step of A and B at `a` and `b`.
#[inline(always)]
unsafe fn step<V: Simd, const MR: usize, const NV: usize>(
    acc: &mut [[V; NV]; MR],
    a: *const V::E,
    ars: usize,
    b: *const V::E,
) {
    // SAFETY: reads `MR` elements of A and `NV·LANES` at `b`, as the caller
    // guarantees.
    unsafe {
        let bv: [V; NV] = core::array::from_fn(|v| V::load(b.add(v * V::LANES)));
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = V::splat(*a.add(i * ars));
            for (x, &bj) in row.iter_mut().zip(&bv) {
                *x = ai.mul_add(bj, *x);
            }
        }
    }
}

/// Writes `α·acc + β·C` to the tile (`C` is not read when `β = 0`).
///
/// Full tiles of a row-contiguous `C` are updated in place with vector loads
/// and stores; any other tile goes through a buffer with the same vector
/// arithmetic, so an element's value never depends on which tile it fell in
/// (and hence not on how the problem was split between threads).
///
/// # Safety
/// As [`tile`].
#[inline(always)]
pub(super) unsafe fn store_tile<V: Simd, const MR: usize, const NV: usize>(
    acc: &[[V; NV]; MR],
    c: &Out<V::E>,
) {
    // SAFETY: the caller guarantees `c` addresses `c.m × c.n` valid elements;
    // `buf` holds MR·NV vectors = MR·NR elements, row `i` at `i·NR`.
    unsafe {
        let nr = NV * V::LANES;
        let alpha = V::splat(c.alpha);
        let beta = V::splat(c.beta);
        let read_c = c.beta != V::E::ZERO;
        let update = |x: V, p: *const V::E| {
            let t = alpha.mul(x);
            if read_c {
                beta.mul_add(V::load(p), t)
            } else {
                t
            }
        };
        if c.m == MR && c.n == nr && c.cs == 1 {
            for (i, row) in acc.iter().enumerate() {
                let ci = c.ptr.add(i * c.rs);
                for (v, &x) in row.iter().enumerate() {
                    let p = ci.add(v * V::LANES);
                    update(x, p).store(p);
                }
            }
        } else {
            let mut buf = [[V::splat(V::E::ZERO); NV]; MR];
            let bp = buf.as_mut_ptr().cast::<V::E>();
            if read_c {
                for i in 0..c.m {
                    for j in 0..c.n {
                        *bp.add(i * nr + j) = *c.ptr.add(i * c.rs + j * c.cs);
                    }
                }
            }
            for (i, row) in acc.iter().enumerate() {
                for (v, &x) in row.iter().enumerate() {
                    let p = bp.add(i * nr + v * V::LANES);
                    update(x, p).store(p);
                }
            }
            for i in 0..c.m {
                for j in 0..c.n {
                    *c.ptr.add(i * c.rs + j * c.cs) = *bp.add(i * nr + j);
                }
            }
        }
    }
}
