//! AVX-512 kernels: 512-bit vectors, 32 registers.
//!
//! f32: a 12×32 register tile (24 accumulators, 2 loads of B, 1 broadcast of
//! A per row); f64: 12×16 with half the lanes. Two 512-bit FMAs per cycle
//! with a 4-cycle latency need at least 8 independent accumulators; 24 hide
//! the loads and broadcasts as well.

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
    type V = __m512;
    const LANES: usize = 16;

    #[inline(always)]
    unsafe fn zero() -> __m512 {
        // SAFETY: the caller runs on an AVX-512 CPU (as for every method here).
        unsafe { _mm512_setzero_ps() }
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m512 {
        // SAFETY: as above.
        unsafe { _mm512_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m512 {
        // SAFETY: as above; the caller guarantees 16 readable elements.
        unsafe { _mm512_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m512) {
        // SAFETY: as above; the caller guarantees 16 writable elements.
        unsafe { _mm512_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m512, b: __m512) -> __m512 {
        // SAFETY: as above.
        unsafe { _mm512_mul_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn fmadd(a: __m512, b: __m512, c: __m512) -> __m512 {
        // SAFETY: as above.
        unsafe { _mm512_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    unsafe fn hsum(v: __m512) -> f32 {
        // SAFETY: as above. Halving in registers: `_mm512_reduce_add_ps`
        // goes through memory, which keeps a whole array of accumulators on
        // the stack inside the loop that feeds it.
        unsafe {
            let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v)));
            let s = _mm256_add_ps(_mm512_castps512_ps256(v), hi);
            let s = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps::<1>(s));
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
    type V = __m512d;
    const LANES: usize = 8;

    #[inline(always)]
    unsafe fn zero() -> __m512d {
        // SAFETY: the caller runs on an AVX-512 CPU (as for every method here).
        unsafe { _mm512_setzero_pd() }
    }
    #[inline(always)]
    unsafe fn splat(x: f64) -> __m512d {
        // SAFETY: as above.
        unsafe { _mm512_set1_pd(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> __m512d {
        // SAFETY: as above; the caller guarantees 8 readable elements.
        unsafe { _mm512_loadu_pd(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f64, v: __m512d) {
        // SAFETY: as above; the caller guarantees 8 writable elements.
        unsafe { _mm512_storeu_pd(p, v) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: as above.
        unsafe { _mm512_mul_pd(a, b) }
    }
    #[inline(always)]
    unsafe fn fmadd(a: __m512d, b: __m512d, c: __m512d) -> __m512d {
        // SAFETY: as above.
        unsafe { _mm512_fmadd_pd(a, b, c) }
    }
    #[inline(always)]
    unsafe fn hsum(v: __m512d) -> f64 {
        // SAFETY: as above; halving in registers, as for f32.
        unsafe {
            let s = _mm256_add_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd::<1>(v));
            let s = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd::<1>(s));
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
    const MR: usize = 12;
    const NR: usize = 32;
    const KC: usize = 256;
    const MC: usize = 240;
    const NC: usize = 4096;

    unsafe fn tile(kc: usize, a: *const f32, b: *const f32, c: &Out<f32>) {
        // SAFETY: forwarded; the caller checked the CPU supports AVX-512.
        unsafe { tile_f32(kc, a, b, c) }
    }
}

impl Microkernel for F64 {
    type T = f64;
    const MR: usize = 12;
    const NR: usize = 16;
    const KC: usize = 256;
    const MC: usize = 120;
    const NC: usize = 2048;

    unsafe fn tile(kc: usize, a: *const f64, b: *const f64, c: &Out<f64>) {
        // SAFETY: forwarded; the caller checked the CPU supports AVX-512.
        unsafe { tile_f64(kc, a, b, c) }
    }
}

impl Skinny for F32 {
    const DOT_R: usize = 4;
    const AXPY_ROWS: usize = 32;

    unsafe fn dot<const W: usize>(
        full: bool,
        a: In<f32>,
        bt: *const f32,
        ldbt: usize,
        c: &Out<f32>,
    ) {
        // SAFETY: forwarded; the caller checked the CPU supports AVX-512.
        unsafe {
            if full {
                dot_f32::<4, W>(a, bt, ldbt, c)
            } else {
                dot_f32::<1, W>(a, bt, ldbt, c)
            }
        }
    }

    unsafe fn axpy<const W: usize>(a: In<f32>, b: *const f32, ldb: usize, c: &Out<f32>) {
        // SAFETY: forwarded; the caller checked the CPU supports AVX-512.
        unsafe { axpy_f32::<2, W>(a, b, ldb, c) }
    }
}

impl Skinny for F64 {
    const DOT_R: usize = 4;
    const AXPY_ROWS: usize = 16;

    unsafe fn dot<const W: usize>(
        full: bool,
        a: In<f64>,
        bt: *const f64,
        ldbt: usize,
        c: &Out<f64>,
    ) {
        // SAFETY: forwarded; the caller checked the CPU supports AVX-512.
        unsafe {
            if full {
                dot_f64::<4, W>(a, bt, ldbt, c)
            } else {
                dot_f64::<1, W>(a, bt, ldbt, c)
            }
        }
    }

    unsafe fn axpy<const W: usize>(a: In<f64>, b: *const f64, ldb: usize, c: &Out<f64>) {
        // SAFETY: forwarded; the caller checked the CPU supports AVX-512.
        unsafe { axpy_f64::<2, W>(a, b, ldb, c) }
    }
}

#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
unsafe fn tile_f32(kc: usize, a: *const f32, b: *const f32, c: &Out<f32>) {
    // SAFETY: compiled for AVX-512; the panel contract is the caller's.
    unsafe { kernel::tile::<F32, 12, 2>(kc, a, b, c) }
}

#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
unsafe fn tile_f64(kc: usize, a: *const f64, b: *const f64, c: &Out<f64>) {
    // SAFETY: as `tile_f32`.
    unsafe { kernel::tile::<F64, 12, 2>(kc, a, b, c) }
}

#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
unsafe fn dot_f32<const R: usize, const W: usize>(
    a: In<f32>,
    bt: *const f32,
    ldbt: usize,
    c: &Out<f32>,
) {
    // SAFETY: compiled for AVX-512; the view contract is the caller's.
    unsafe { skinny::dot_body::<F32, R, W>(a, bt, ldbt, c) }
}

#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
unsafe fn dot_f64<const R: usize, const W: usize>(
    a: In<f64>,
    bt: *const f64,
    ldbt: usize,
    c: &Out<f64>,
) {
    // SAFETY: as `dot_f32`.
    unsafe { skinny::dot_body::<F64, R, W>(a, bt, ldbt, c) }
}

#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
unsafe fn axpy_f32<const MV: usize, const W: usize>(
    a: In<f32>,
    b: *const f32,
    ldb: usize,
    c: &Out<f32>,
) {
    // SAFETY: compiled for AVX-512; the view contract is the caller's.
    unsafe { skinny::axpy_body::<F32, MV, W>(a, b, ldb, c) }
}

#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
unsafe fn axpy_f64<const MV: usize, const W: usize>(
    a: In<f64>,
    b: *const f64,
    ldb: usize,
    c: &Out<f64>,
) {
    // SAFETY: as `axpy_f32`.
    unsafe { skinny::axpy_body::<F64, MV, W>(a, b, ldb, c) }
}
