//! AVX2+FMA kernels: 256-bit vectors, 16 registers.
//!
//! f32: a 6×16 register tile (12 accumulators, 2 loads of B, 1 broadcast of
//! A); f64: 6×8 with half the lanes. Two FMAs per cycle with a 4-cycle
//! latency need at least 8 independent accumulators, which both tiles have.

use core::arch::x86_64::*;

use super::kernel::{self, Microkernel, Simd};
use super::skinny::{self, Skinny};
use super::{In, Out};

/// The f32 kernels.
#[derive(Clone, Copy)]
pub(super) struct F32;

/// The f64 kernels.
#[derive(Clone, Copy)]
pub(super) struct F64;

impl Simd for F32 {
    type T = f32;
    type V = __m256;
    const LANES: usize = 8;

    #[inline(always)]
    unsafe fn zero() -> __m256 {
        // SAFETY: the caller runs on an AVX2 CPU (as for every method here).
        unsafe { _mm256_setzero_ps() }
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m256 {
        // SAFETY: as above.
        unsafe { _mm256_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m256 {
        // SAFETY: as above; the caller guarantees 8 readable elements.
        unsafe { _mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m256) {
        // SAFETY: as above; the caller guarantees 8 writable elements.
        unsafe { _mm256_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m256, b: __m256) -> __m256 {
        // SAFETY: as above.
        unsafe { _mm256_mul_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn fmadd(a: __m256, b: __m256, c: __m256) -> __m256 {
        // SAFETY: as above (FMA is part of this path).
        unsafe { _mm256_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    unsafe fn hsum(v: __m256) -> f32 {
        // SAFETY: as above.
        unsafe {
            let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)))
        }
    }
    #[inline(always)]
    unsafe fn prefetch(p: *const f32) {
        // SAFETY: a prefetch never faults, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) }
    }
}

impl Simd for F64 {
    type T = f64;
    type V = __m256d;
    const LANES: usize = 4;

    #[inline(always)]
    unsafe fn zero() -> __m256d {
        // SAFETY: the caller runs on an AVX2 CPU (as for every method here).
        unsafe { _mm256_setzero_pd() }
    }
    #[inline(always)]
    unsafe fn splat(x: f64) -> __m256d {
        // SAFETY: as above.
        unsafe { _mm256_set1_pd(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> __m256d {
        // SAFETY: as above; the caller guarantees 4 readable elements.
        unsafe { _mm256_loadu_pd(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f64, v: __m256d) {
        // SAFETY: as above; the caller guarantees 4 writable elements.
        unsafe { _mm256_storeu_pd(p, v) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: as above.
        unsafe { _mm256_mul_pd(a, b) }
    }
    #[inline(always)]
    unsafe fn fmadd(a: __m256d, b: __m256d, c: __m256d) -> __m256d {
        // SAFETY: as above (FMA is part of this path).
        unsafe { _mm256_fmadd_pd(a, b, c) }
    }
    #[inline(always)]
    unsafe fn hsum(v: __m256d) -> f64 {
        // SAFETY: as above.
        unsafe {
            let s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v));
            _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)))
        }
    }
    #[inline(always)]
    unsafe fn prefetch(p: *const f64) {
        // SAFETY: a prefetch never faults, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) }
    }
}

impl Microkernel for F32 {
    type T = f32;
    const MR: usize = 6;
    const NR: usize = 16;
    const KC: usize = 384;
    const MC: usize = 144;
    const NC: usize = 4080;

    unsafe fn tile(kc: usize, a: *const f32, b: *const f32, c: &Out<f32>) {
        // SAFETY: forwarded; the caller checked the CPU supports AVX2+FMA.
        unsafe { tile_f32(kc, a, b, c) }
    }

    unsafe fn pack_a(
        len: usize,
        kc: usize,
        src: *const f32,
        rsa: usize,
        csa: usize,
        dst: *mut f32,
    ) {
        // SAFETY: forwarded; the caller checked the CPU supports AVX2+FMA.
        unsafe { pack_a_f32(len, kc, src, rsa, csa, dst) }
    }
}

impl Microkernel for F64 {
    type T = f64;
    const MR: usize = 6;
    const NR: usize = 8;
    const KC: usize = 256;
    const MC: usize = 60;
    const NC: usize = 2040;

    unsafe fn tile(kc: usize, a: *const f64, b: *const f64, c: &Out<f64>) {
        // SAFETY: forwarded; the caller checked the CPU supports AVX2+FMA.
        unsafe { tile_f64(kc, a, b, c) }
    }
}

impl Skinny for F32 {
    const DOT_R: usize = 2;
    const AXPY_ROWS: usize = 16;

    unsafe fn dot<const W: usize>(
        full: bool,
        a: In<f32>,
        bt: *const f32,
        ldbt: usize,
        c: &Out<f32>,
    ) {
        // SAFETY: forwarded; the caller checked the CPU supports AVX2+FMA.
        unsafe {
            if full {
                dot_f32::<2, W>(a, bt, ldbt, c)
            } else {
                dot_f32::<1, W>(a, bt, ldbt, c)
            }
        }
    }

    unsafe fn axpy<const W: usize>(a: In<f32>, b: *const f32, ldb: usize, c: &Out<f32>) {
        // SAFETY: forwarded; the caller checked the CPU supports AVX2+FMA.
        unsafe { axpy_f32::<2, W>(a, b, ldb, c) }
    }
}

impl Skinny for F64 {
    const DOT_R: usize = 2;
    const AXPY_ROWS: usize = 8;

    unsafe fn dot<const W: usize>(
        full: bool,
        a: In<f64>,
        bt: *const f64,
        ldbt: usize,
        c: &Out<f64>,
    ) {
        // SAFETY: forwarded; the caller checked the CPU supports AVX2+FMA.
        unsafe {
            if full {
                dot_f64::<2, W>(a, bt, ldbt, c)
            } else {
                dot_f64::<1, W>(a, bt, ldbt, c)
            }
        }
    }

    unsafe fn axpy<const W: usize>(a: In<f64>, b: *const f64, ldb: usize, c: &Out<f64>) {
        // SAFETY: forwarded; the caller checked the CPU supports AVX2+FMA.
        unsafe { axpy_f64::<2, W>(a, b, ldb, c) }
    }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn tile_f32(kc: usize, a: *const f32, b: *const f32, c: &Out<f32>) {
    // SAFETY: compiled for AVX2+FMA; the panel contract is the caller's.
    unsafe { kernel::tile::<F32, 6, 2>(kc, a, b, c) }
}

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
/// As [`Microkernel::pack_a`] for a 6-row panel width; the CPU supports AVX2.
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_a_f32(
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
    // since `kv < kc`, so they stay inside that panel, and the portable copy
    // then writes the columns from `kv` on.
    unsafe {
        let full = len / W;
        for q in 0..full {
            let s = src.add(q * W * rsa);
            let d = dst.add(q * W * kc);
            for p0 in (0..kv).step_by(8) {
                let r = |i: usize| _mm256_loadu_ps(s.add(i * rsa + p0));
                let z = _mm256_setzero_ps();
                let cols = transpose8(r(0), r(1), r(2), r(3), r(4), r(5), z, z);
                for (p, col) in cols.into_iter().enumerate() {
                    _mm256_storeu_ps(d.add((p0 + p) * W), col);
                }
            }
            // Columns `kv..kc` of this panel, in place: a one-panel block
            // of depth `kc − kv` has the panel's own layout from column `kv`.
            super::pack::pack(W, W, kc - kv, s.add(kv), rsa, 1, d.add(kv * W));
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

#[target_feature(enable = "avx2,fma")]
unsafe fn tile_f64(kc: usize, a: *const f64, b: *const f64, c: &Out<f64>) {
    // SAFETY: as `tile_f32`.
    unsafe { kernel::tile::<F64, 6, 2>(kc, a, b, c) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn dot_f32<const R: usize, const W: usize>(
    a: In<f32>,
    bt: *const f32,
    ldbt: usize,
    c: &Out<f32>,
) {
    // SAFETY: compiled for AVX2+FMA; the view contract is the caller's.
    unsafe { skinny::dot_body::<F32, R, W>(a, bt, ldbt, c) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn dot_f64<const R: usize, const W: usize>(
    a: In<f64>,
    bt: *const f64,
    ldbt: usize,
    c: &Out<f64>,
) {
    // SAFETY: as `dot_f32`.
    unsafe { skinny::dot_body::<F64, R, W>(a, bt, ldbt, c) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn axpy_f32<const MV: usize, const W: usize>(
    a: In<f32>,
    b: *const f32,
    ldb: usize,
    c: &Out<f32>,
) {
    // SAFETY: compiled for AVX2+FMA; the view contract is the caller's.
    unsafe { skinny::axpy_body::<F32, MV, W>(a, b, ldb, c) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn axpy_f64<const MV: usize, const W: usize>(
    a: In<f64>,
    b: *const f64,
    ldb: usize,
    c: &Out<f64>,
) {
    // SAFETY: as `axpy_f32`.
    unsafe { skinny::axpy_body::<F64, MV, W>(a, b, ldb, c) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::pack::pack;

    /// The vectorised A packing writes exactly what the portable copy does,
    /// for row-major blocks with any row stride, ragged panels and depths
    /// around the eight-column chunks.
    #[test]
    fn pack_a_matches_the_portable_copy() {
        if !std::is_x86_feature_detected!("avx2") || !std::is_x86_feature_detected!("fma") {
            return;
        }
        for len in [0usize, 1, 5, 6, 7, 12, 13, 17, 144] {
            for kc in [1usize, 7, 8, 9, 15, 16, 17, 24, 25, 100, 384] {
                for extra in [0, 3] {
                    for csa in [1, 2] {
                        let rsa = kc * csa + extra;
                        let src: Vec<f32> = (0..len * rsa + kc * csa)
                            .map(|i| (i as f32).sin())
                            .collect();
                        let size = len.div_ceil(6) * 6 * kc;
                        // Both buffers start as NaN: every slot must be written.
                        let mut want = vec![f32::NAN; size];
                        let mut got = vec![f32::NAN; size];
                        // SAFETY: `src` holds the `len × kc` block with these
                        // strides, each buffer its panels; AVX2 was detected.
                        unsafe {
                            pack(6, len, kc, src.as_ptr(), rsa, csa, want.as_mut_ptr());
                            F32::pack_a(len, kc, src.as_ptr(), rsa, csa, got.as_mut_ptr());
                        }
                        assert!(
                            want.iter()
                                .zip(&got)
                                .all(|(a, b)| a.to_bits() == b.to_bits()),
                            "len {len} kc {kc} rsa {rsa} csa {csa}"
                        );
                    }
                }
            }
        }
    }
}
