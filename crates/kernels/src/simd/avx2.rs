//! [`Simd`] on AVX2+FMA: 8 × f32 and 4 × f64 in a ymm register. Tails are
//! masked loads and stores (`vmaskmov`), which touch only the lanes asked
//! for and keep the vector in a register (a copy through a stack buffer
//! would put it on the stack in every loop that handles a tail).

use core::arch::x86_64::*;

use super::Simd;
use crate::exp::avx2::{exp_f32x8, exp_f64x4};

/// 8 `f32` lanes.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct F32x8(__m256);

/// 4 `f64` lanes.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct F64x4(__m256d);

/// A lane mask with the low `n` of eight 32-bit lanes set.
///
/// # Safety
/// The CPU supports AVX2.
#[inline(always)]
unsafe fn mask32(n: usize) -> __m256i {
    // SAFETY: the caller guarantees AVX2.
    unsafe {
        _mm256_cmpgt_epi32(
            _mm256_set1_epi32(n as i32),
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        )
    }
}

/// A lane mask with the low `n` of four 64-bit lanes set.
///
/// # Safety
/// The CPU supports AVX2.
#[inline(always)]
unsafe fn mask64(n: usize) -> __m256i {
    // SAFETY: the caller guarantees AVX2.
    unsafe { _mm256_cmpgt_epi64(_mm256_set1_epi64x(n as i64), _mm256_setr_epi64x(0, 1, 2, 3)) }
}

// SAFETY (for every `unsafe` block in the safe methods below): a value of
// these types is made only by the `unsafe` constructors, whose contract is
// that the CPU supports AVX2 and FMA; so the instructions are available.

impl Simd for F32x8 {
    type E = f32;
    const LANES: usize = 8;
    const REGISTERS: usize = 16;

    #[inline(always)]
    unsafe fn splat(v: f32) -> Self {
        // SAFETY: the caller guarantees AVX2.
        unsafe { Self(_mm256_set1_ps(v)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees AVX2 and 8 readable elements.
        unsafe { Self(_mm256_loadu_ps(p)) }
    }
    #[inline(always)]
    unsafe fn load_tail(p: *const f32, n: usize, fill: f32) -> Self {
        debug_assert!(n < 8);
        // SAFETY: the masked load reads only the low `n` elements, which the
        // caller guarantees readable; the caller guarantees AVX2.
        unsafe {
            let m = mask32(n);
            let v = _mm256_maskload_ps(p, m);
            Self(_mm256_blendv_ps(
                _mm256_set1_ps(fill),
                v,
                _mm256_castsi256_ps(m),
            ))
        }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees 8 writable elements.
        unsafe { _mm256_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn store_tail(self, p: *mut f32, n: usize) {
        debug_assert!(n < 8);
        // SAFETY: the masked store writes only the low `n` elements, which
        // the caller guarantees writable.
        unsafe { _mm256_maskstore_ps(p, mask32(n), self.0) }
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm256_add_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm256_sub_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm256_mul_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm256_fmadd_ps(self.0, b.0, c.0)) }
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        // `vmaxps` returns its second operand when either is NaN.
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm256_max_ps(o.0, self.0)) }
    }
    #[inline(always)]
    fn exp(self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(exp_f32x8(self.0)) }
    }
    #[inline(always)]
    fn reduce_add(self) -> f32 {
        // SAFETY: see the note above the impls.
        unsafe {
            let s = _mm_add_ps(
                _mm256_castps256_ps128(self.0),
                _mm256_extractf128_ps::<1>(self.0),
            );
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            let s = _mm_add_ss(s, _mm_movehdup_ps(s));
            _mm_cvtss_f32(s)
        }
    }
    #[inline(always)]
    fn reduce_max(self) -> f32 {
        // SAFETY: see the note above the impls.
        unsafe {
            let s = _mm_max_ps(
                _mm256_castps256_ps128(self.0),
                _mm256_extractf128_ps::<1>(self.0),
            );
            let s = _mm_max_ps(s, _mm_movehl_ps(s, s));
            let s = _mm_max_ss(s, _mm_movehdup_ps(s));
            _mm_cvtss_f32(s)
        }
    }
    #[inline(always)]
    fn eq_mask(self, v: f32) -> u64 {
        // SAFETY: see the note above the impls.
        unsafe {
            let m = _mm256_cmp_ps::<_CMP_EQ_OQ>(self.0, _mm256_set1_ps(v));
            _mm256_movemask_ps(m) as u32 as u64
        }
    }
}

impl Simd for F64x4 {
    type E = f64;
    const LANES: usize = 4;
    const REGISTERS: usize = 16;

    #[inline(always)]
    unsafe fn splat(v: f64) -> Self {
        // SAFETY: the caller guarantees AVX2.
        unsafe { Self(_mm256_set1_pd(v)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: the caller guarantees AVX2 and 4 readable elements.
        unsafe { Self(_mm256_loadu_pd(p)) }
    }
    #[inline(always)]
    unsafe fn load_tail(p: *const f64, n: usize, fill: f64) -> Self {
        debug_assert!(n < 4);
        // SAFETY: as for f32.
        unsafe {
            let m = mask64(n);
            let v = _mm256_maskload_pd(p, m);
            Self(_mm256_blendv_pd(
                _mm256_set1_pd(fill),
                v,
                _mm256_castsi256_pd(m),
            ))
        }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64) {
        // SAFETY: the caller guarantees 4 writable elements.
        unsafe { _mm256_storeu_pd(p, self.0) }
    }
    #[inline(always)]
    unsafe fn store_tail(self, p: *mut f64, n: usize) {
        debug_assert!(n < 4);
        // SAFETY: as for f32.
        unsafe { _mm256_maskstore_pd(p, mask64(n), self.0) }
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm256_add_pd(self.0, o.0)) }
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm256_sub_pd(self.0, o.0)) }
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm256_mul_pd(self.0, o.0)) }
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm256_fmadd_pd(self.0, b.0, c.0)) }
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        // `vmaxpd` returns its second operand when either is NaN.
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm256_max_pd(o.0, self.0)) }
    }
    #[inline(always)]
    fn exp(self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(exp_f64x4(self.0)) }
    }
    #[inline(always)]
    fn reduce_add(self) -> f64 {
        // SAFETY: see the note above the impls.
        unsafe {
            let s = _mm_add_pd(
                _mm256_castpd256_pd128(self.0),
                _mm256_extractf128_pd::<1>(self.0),
            );
            _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)))
        }
    }
    #[inline(always)]
    fn reduce_max(self) -> f64 {
        // SAFETY: see the note above the impls.
        unsafe {
            let s = _mm_max_pd(
                _mm256_castpd256_pd128(self.0),
                _mm256_extractf128_pd::<1>(self.0),
            );
            _mm_cvtsd_f64(_mm_max_sd(s, _mm_unpackhi_pd(s, s)))
        }
    }
    #[inline(always)]
    fn eq_mask(self, v: f64) -> u64 {
        // SAFETY: see the note above the impls.
        unsafe {
            let m = _mm256_cmp_pd::<_CMP_EQ_OQ>(self.0, _mm256_set1_pd(v));
            _mm256_movemask_pd(m) as u32 as u64
        }
    }
}
