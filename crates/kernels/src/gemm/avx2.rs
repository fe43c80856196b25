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
