//! Packing by 8×8 transposes in AVX2 registers, for the AVX2 and AVX-512
//! f32 paths (every AVX-512 CPU has AVX2), named in `paths.rs`: a row-major
//! block of A into 6-row panels (`pack_a`), and a row-major B into the Bᵀ
//! of the skinny `dot` kernel (`pack_bt`).

use core::arch::x86_64::*;

/// Packs a block of A into 6-row panels (the layout of [`super::pack`]).
///
/// A row-major A (`csa = 1`) would be packed by a transposing scalar copy,
/// one element at a time; here each full panel is transposed eight columns
/// at a time instead: six rows of eight are loaded (two zero rows make an
/// 8×8 block), transposed in registers, and column `p` — the panel's step
/// `p`, six elements followed by the two zeros — is stored at `p·6`, where
/// the next column's store overwrites the zeros. The last eight columns of
/// a panel (whose final store would run past it) and ragged panels go
/// through the portable copy.
///
/// Counted with callgrind on a 256³ product, this halves the instructions
/// spent packing A (from 3.8% to 1.9% of the GEMM's); in wall time the gain
/// is below the noise of a criterion run.
///
/// # Safety
/// As [`Microkernel::pack_a`](super::kernel::Microkernel::pack_a) for a
/// 6-row panel width; the CPU supports AVX2.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn pack_a_f32(
    len: usize,
    kc: usize,
    src: *const f32,
    rsa: usize,
    csa: usize,
    dst: *mut f32,
) {
    const W: usize = 6;
    if csa != 1 || kc <= 8 {
        // SAFETY: forwarded.
        unsafe { super::pack::pack(W, len, kc, src, rsa, csa, dst) };
        return;
    }
    // Columns done eight at a time: every chunk whose last store stays
    // inside the panel (`p0 + 8 < kc`).
    let kv = (kc - 1) / 8 * 8;
    // SAFETY: rows `< len` and columns `< kc` of the block are read; the
    // vector stores of panel `q` end at `(q·kc + kv − 1)·6 + 8 ≤ (q + 1)·kc·6`
    // since `kv < kc`, so they stay inside that panel.
    unsafe {
        panels_by_eight::<W>(len, kc, kv, src, rsa, dst, |s, d| {
            let r = |i: usize| _mm256_loadu_ps(s.add(i * rsa));
            let z = _mm256_setzero_ps();
            let cols = transpose8(r(0), r(1), r(2), r(3), r(4), r(5), z, z);
            for (p, col) in cols.into_iter().enumerate() {
                _mm256_storeu_ps(d.add(p * W), col);
            }
        })
    }
}

/// The loops of [`pack_a_f32`] around its transposes: each full `W`-row panel of a
/// row-major block, eight columns at a time up to `kv`, through `chunk(s,
/// d)` (`s` at the chunk's first element, rows `rsa` apart; `d` at its
/// first column in the panel); then the panel's columns `kv..kc` and a
/// ragged last panel through the portable copy.
///
/// # Safety
/// As the callers, with `kv ≤ kc` a multiple of 8 and `chunk` writing only
/// the chunk's eight columns of the panel (at most up to column `kc`).
#[inline(always)]
unsafe fn panels_by_eight<const W: usize>(
    len: usize,
    kc: usize,
    kv: usize,
    src: *const f32,
    rsa: usize,
    dst: *mut f32,
    chunk: impl Fn(*const f32, *mut f32),
) {
    // SAFETY: the caller's contract; every offset stays inside the block
    // and its panels.
    unsafe {
        let full = len / W;
        for q in 0..full {
            let s = src.add(q * W * rsa);
            let d = dst.add(q * W * kc);
            for p0 in (0..kv).step_by(8) {
                chunk(s.add(p0), d.add(p0 * W));
            }
            if kv < kc {
                // Columns `kv..kc` of this panel, in place: a one-panel
                // block of depth `kc − kv` has the panel's own layout from
                // column `kv`.
                super::pack::pack(W, W, kc - kv, s.add(kv), rsa, 1, d.add(kv * W));
            }
        }
        if full * W < len {
            super::pack::pack(
                W,
                len - full * W,
                kc,
                src.add(full * W * rsa),
                rsa,
                1,
                dst.add(full * W * kc),
            );
        }
    }
}

/// Packs a `k × n` B (element `(p, j)` at `src[p·rsb + j·csb]`) as Bᵀ,
/// `n` rows of `k` at `dst` (the layout of `super::pack::pack` with width 1).
///
/// A row-major B (`csb = 1`) would be transposed by a scalar copy, one
/// element at a time, which took 7% of a (256,784,10) product (f32, AVX2,
/// Zen 3: 51.0 µs against 47.2 µs with B already column-major). Here each
/// eight rows of B are loaded eight columns at a time (the last, partial,
/// group of columns by masked loads), transposed in registers and stored
/// as eight elements of each of those columns' rows of Bᵀ. The last
/// `k mod 8` rows, and other layouts, go through the portable copy.
///
/// # Safety
/// As `super::pack::pack` with `w = 1`; the CPU supports AVX2.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn pack_bt_f32(
    n: usize,
    k: usize,
    src: *const f32,
    rsb: usize,
    csb: usize,
    dst: *mut f32,
) {
    let kv = k / 8 * 8;
    if csb != 1 || kv == 0 {
        // SAFETY: forwarded.
        unsafe { super::pack::pack(1, n, k, src, csb, rsb, dst) };
        return;
    }
    // SAFETY: the loads read columns `j0 .. j0 + w ≤ n` (the masked ones
    // no further) of rows `< kv ≤ k`; the stores write elements `p0 .. p0 +
    // 8 ≤ kv` of rows `j0 .. j0 + w` of Bᵀ, inside its `n·k` elements.
    unsafe {
        for j0 in (0..n).step_by(8) {
            let w = 8.min(n - j0);
            // Lane `i` loads if `i < w`.
            let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            let mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(w as i32), lanes);
            for p0 in (0..kv).step_by(8) {
                let row = |i: usize| {
                    let s = src.add((p0 + i) * rsb + j0);
                    if w == 8 {
                        _mm256_loadu_ps(s)
                    } else {
                        _mm256_maskload_ps(s, mask)
                    }
                };
                let cols = transpose8(
                    row(0),
                    row(1),
                    row(2),
                    row(3),
                    row(4),
                    row(5),
                    row(6),
                    row(7),
                );
                for (j, col) in cols.into_iter().take(w).enumerate() {
                    _mm256_storeu_ps(dst.add((j0 + j) * k + p0), col);
                }
            }
        }
        // Rows `kv..k` of B: columns `kv..k` of Bᵀ.
        for j in 0..n {
            for p in kv..k {
                *dst.add(j * k + p) = *src.add(p * rsb + j);
            }
        }
    }
}

/// The 8×8 transpose of the rows `r0…r7`: lane `i` of output `p` is lane
/// `p` of `ri`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn transpose8(
    r0: __m256,
    r1: __m256,
    r2: __m256,
    r3: __m256,
    r4: __m256,
    r5: __m256,
    r6: __m256,
    r7: __m256,
) -> [__m256; 8] {
    // SAFETY: register shuffles only; inlined into AVX2 functions.
    unsafe {
        // Interleave pairs of rows: t0 = r0₀ r1₀ r0₁ r1₁ | r0₄ r1₄ r0₅ r1₅, …
        let t0 = _mm256_unpacklo_ps(r0, r1);
        let t1 = _mm256_unpackhi_ps(r0, r1);
        let t2 = _mm256_unpacklo_ps(r2, r3);
        let t3 = _mm256_unpackhi_ps(r2, r3);
        let t4 = _mm256_unpacklo_ps(r4, r5);
        let t5 = _mm256_unpackhi_ps(r4, r5);
        let t6 = _mm256_unpacklo_ps(r6, r7);
        let t7 = _mm256_unpackhi_ps(r6, r7);
        // Gather four rows per 128-bit half: s0 = column 0 | column 4 of r0…r3.
        let s0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let s1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let s2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let s3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let s4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let s5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let s6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let s7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        // Join the halves of rows 0…3 and 4…7.
        [
            _mm256_permute2f128_ps::<0x20>(s0, s4),
            _mm256_permute2f128_ps::<0x20>(s1, s5),
            _mm256_permute2f128_ps::<0x20>(s2, s6),
            _mm256_permute2f128_ps::<0x20>(s3, s7),
            _mm256_permute2f128_ps::<0x31>(s0, s4),
            _mm256_permute2f128_ps::<0x31>(s1, s5),
            _mm256_permute2f128_ps::<0x31>(s2, s6),
            _mm256_permute2f128_ps::<0x31>(s3, s7),
        ]
    }
}
