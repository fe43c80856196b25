//! [`Simd`] on AVX-512F: 16 × f32 and 8 × f64 in a zmm register. Tails use
//! masked loads and stores.

use core::arch::x86_64::*;

use super::Simd;
use super::avx2::{F32x8, read_bytes, reduce_add8_f32};
use crate::exp::avx512::{exp_f32x16, exp_f64x8};

/// 16 `f32` lanes.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct F32x16(__m512);

/// 8 `f64` lanes.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct F64x8(__m512d);

// SAFETY (for every `unsafe` block in the safe methods below): a value of
// these types is made only by the `unsafe` constructors, whose contract is
// that the CPU supports AVX-512F; so the instructions are available.

/// Lane `i` plus lane `i + 8`: the first level of the lane-sum tree.
///
/// # Safety
/// The CPU supports AVX-512F.
#[inline(always)]
unsafe fn halve_f32(x: __m512) -> __m256 {
    // SAFETY: register operations only, on AVX-512F as the caller guarantees.
    unsafe {
        // (Extracted as f64 lanes: `_mm512_extractf32x8_ps` needs AVX-512DQ,
        // beyond this type's AVX-512F contract.)
        let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(x)));
        _mm256_add_ps(_mm512_castps512_ps256(x), hi)
    }
}

impl Simd for F32x16 {
    type E = f32;
    const LANES: usize = 16;
    const REGISTERS: usize = 32;

    #[inline(always)]
    unsafe fn splat(v: f32) -> Self {
        // SAFETY: the caller guarantees AVX-512F.
        unsafe { Self(_mm512_set1_ps(v)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees AVX-512F and 16 readable elements.
        unsafe { Self(_mm512_loadu_ps(p)) }
    }
    #[inline(always)]
    unsafe fn load_tail(p: *const f32, n: usize, fill: f32) -> Self {
        debug_assert!(n < 16);
        // SAFETY: the masked load touches only the low `n` elements, which
        // the caller guarantees readable.
        unsafe {
            Self(_mm512_mask_loadu_ps(
                _mm512_set1_ps(fill),
                ((1u32 << n) - 1) as u16,
                p,
            ))
        }
    }
    #[inline(always)]
    unsafe fn load_u8(p: *const u8) -> Self {
        // SAFETY: the caller guarantees AVX-512F and 16 readable bytes.
        unsafe {
            let b = _mm_loadu_si128(p.cast::<__m128i>());
            Self(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b)))
        }
    }
    #[inline(always)]
    unsafe fn load_u8_tail(p: *const u8, n: usize) -> Self {
        debug_assert!(n < 16);
        // SAFETY: the caller guarantees AVX-512F and `n` readable bytes;
        // the two words read `min(n, 8)` and `n − 8` of them.
        unsafe {
            let lo = read_bytes(p, n.min(8));
            let hi = if n > 8 {
                read_bytes(p.add(8), n - 8)
            } else {
                0
            };
            let b = _mm_set_epi64x(hi as i64, lo as i64);
            Self(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b)))
        }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees 16 writable elements.
        unsafe { _mm512_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn store_tail(self, p: *mut f32, n: usize) {
        debug_assert!(n < 16);
        // SAFETY: the masked store touches only the low `n` elements.
        unsafe { _mm512_mask_storeu_ps(p, ((1u32 << n) - 1) as u16, self.0) }
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        // SAFETY: see the note above the impl.
        unsafe { Self(_mm512_add_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        // SAFETY: see the note above the impl.
        unsafe { Self(_mm512_sub_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        // SAFETY: see the note above the impl.
        unsafe { Self(_mm512_mul_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        // SAFETY: see the note above the impl.
        unsafe { Self(_mm512_div_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: see the note above the impl.
        unsafe { Self(_mm512_fmadd_ps(self.0, b.0, c.0)) }
    }
    #[inline(always)]
    fn fma(self, b: Self, c: Self) -> Self {
        self.mul_add(b, c)
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        // `vmaxps` returns its second operand when either is NaN.
        // SAFETY: see the note above the impl.
        unsafe { Self(_mm512_max_ps(o.0, self.0)) }
    }
    #[inline(always)]
    fn exp(self) -> Self {
        // SAFETY: see the note above the impl.
        unsafe { Self(exp_f32x16(self.0)) }
    }
    #[inline(always)]
    fn reduce_add(self) -> f32 {
        // Spelled out (lane i + lane i+8, then the AVX2 tree on the half) so
        // that `reduce_add8` can give the same bits.
        // SAFETY: see the note above the impl.
        unsafe { F32x8(halve_f32(self.0)).reduce_add() }
    }
    #[inline(always)]
    fn reduce_add8(xs: [Self; 8]) -> [f32; 8] {
        // SAFETY: see the note above the impl.
        // (No closure here: one would be compiled without AVX-512, and the
        // intrinsics in it would become calls.)
        unsafe {
            reduce_add8_f32([
                halve_f32(xs[0].0),
                halve_f32(xs[1].0),
                halve_f32(xs[2].0),
                halve_f32(xs[3].0),
                halve_f32(xs[4].0),
                halve_f32(xs[5].0),
                halve_f32(xs[6].0),
                halve_f32(xs[7].0),
            ])
        }
    }
    #[inline(always)]
    fn reduce_max(self) -> f32 {
        // SAFETY: see the note above the impl.
        unsafe { _mm512_reduce_max_ps(self.0) }
    }
    #[inline(always)]
    fn eq_mask(self, v: f32) -> u64 {
        // SAFETY: see the note above the impl.
        unsafe { _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(self.0, _mm512_set1_ps(v)) as u64 }
    }
}

impl Simd for F64x8 {
    type E = f64;
    const LANES: usize = 8;
    const REGISTERS: usize = 32;

    #[inline(always)]
    unsafe fn splat(v: f64) -> Self {
        // SAFETY: the caller guarantees AVX-512F.
        unsafe { Self(_mm512_set1_pd(v)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: the caller guarantees AVX-512F and 8 readable elements.
        unsafe { Self(_mm512_loadu_pd(p)) }
    }
    #[inline(always)]
    unsafe fn load_tail(p: *const f64, n: usize, fill: f64) -> Self {
        debug_assert!(n < 8);
        // SAFETY: the masked load touches only the low `n` elements.
        unsafe {
            Self(_mm512_mask_loadu_pd(
                _mm512_set1_pd(fill),
                ((1u32 << n) - 1) as u8,
                p,
            ))
        }
    }
    #[inline(always)]
    unsafe fn load_u8(p: *const u8) -> Self {
        // SAFETY: the caller guarantees AVX-512F (with AVX2) and 8 readable
        // bytes (the 64-bit load reads exactly 8).
        unsafe {
            let b = _mm_loadl_epi64(p.cast::<__m128i>());
            Self(_mm512_cvtepi32_pd(_mm256_cvtepu8_epi32(b)))
        }
    }
    #[inline(always)]
    unsafe fn load_u8_tail(p: *const u8, n: usize) -> Self {
        debug_assert!(n < 8);
        // SAFETY: the caller guarantees AVX-512F (with AVX2) and `n`
        // readable bytes.
        unsafe {
            let b = _mm_cvtsi64_si128(read_bytes(p, n) as i64);
            Self(_mm512_cvtepi32_pd(_mm256_cvtepu8_epi32(b)))
        }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64) {
        // SAFETY: the caller guarantees 8 writable elements.
        unsafe { _mm512_storeu_pd(p, self.0) }
    }
    #[inline(always)]
    unsafe fn store_tail(self, p: *mut f64, n: usize) {
        debug_assert!(n < 8);
        // SAFETY: the masked store touches only the low `n` elements.
        unsafe { _mm512_mask_storeu_pd(p, ((1u32 << n) - 1) as u8, self.0) }
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm512_add_pd(self.0, o.0)) }
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm512_sub_pd(self.0, o.0)) }
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm512_mul_pd(self.0, o.0)) }
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm512_div_pd(self.0, o.0)) }
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm512_fmadd_pd(self.0, b.0, c.0)) }
    }
    #[inline(always)]
    fn fma(self, b: Self, c: Self) -> Self {
        self.mul_add(b, c)
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        // `vmaxpd` returns its second operand when either is NaN.
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm512_max_pd(o.0, self.0)) }
    }
    #[inline(always)]
    fn exp(self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(exp_f64x8(self.0)) }
    }
    #[inline(always)]
    fn reduce_add(self) -> f64 {
        // SAFETY: see the note above the impls.
        unsafe { _mm512_reduce_add_pd(self.0) }
    }
    #[inline(always)]
    fn reduce_max(self) -> f64 {
        // SAFETY: see the note above the impls.
        unsafe { _mm512_reduce_max_pd(self.0) }
    }
    #[inline(always)]
    fn eq_mask(self, v: f64) -> u64 {
        // SAFETY: see the note above the impls.
        unsafe { _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(self.0, _mm512_set1_pd(v)) as u64 }
    }
}
