//! [`Simd`] on AVX2+FMA: 8 × f32 and 4 × f64 in a ymm register. A tail is
//! loaded with a masked load (`vmaskmov`) and stored with plain stores of
//! 4, 2 and 1 lanes; both touch only the lanes asked for and keep the
//! vector in a register (a copy through a stack buffer would put it on the
//! stack in every loop that handles a tail).

use core::arch::x86_64::*;

use super::Simd;
use crate::exp::avx2::{exp_f32x8, exp_f64x4};

/// 8 `f32` lanes.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct F32x8(pub(super) __m256);

/// 4 `f64` lanes.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct F64x4(__m256d);

/// A lane mask with the low `n` of 8 32-bit lanes set (all bits).
///
/// # Safety
/// The CPU supports AVX2.
#[inline(always)]
unsafe fn tail_mask32(n: usize) -> __m256i {
    // SAFETY: the caller guarantees AVX2.
    unsafe {
        _mm256_cmpgt_epi32(
            _mm256_set1_epi32(n as i32),
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        )
    }
}

/// A lane mask with the low `n` of 4 64-bit lanes set (all bits).
///
/// # Safety
/// The CPU supports AVX2.
#[inline(always)]
unsafe fn tail_mask64(n: usize) -> __m256i {
    // SAFETY: the caller guarantees AVX2.
    unsafe { _mm256_cmpgt_epi64(_mm256_set1_epi64x(n as i64), _mm256_setr_epi64x(0, 1, 2, 3)) }
}

/// The `n ≤ 8` bytes at `p` as the low bytes of a little-endian word (the
/// rest 0): a register-only tail load, where a copy into a stack buffer
/// would be a `memcpy` call that spills every vector register of the
/// calling loop. The bytes are shifted in from the last, a serial chain
/// the compiler keeps scalar (a vectorised loop here would need registers
/// of the calling loop).
///
/// # Safety
/// `p` is valid for reading `n` bytes.
#[inline(always)]
pub(crate) unsafe fn read_bytes(p: *const u8, n: usize) -> u64 {
    debug_assert!(n <= 8);
    let mut w = 0u64;
    let mut i = n;
    while i > 0 {
        i -= 1;
        // SAFETY: `i < n`, which the caller guarantees readable.
        w = (w << 8) | u64::from(unsafe { *p.add(i) });
    }
    w
}

// SAFETY (for every `unsafe` block in the safe methods below): a value of
// these types is made only by the `unsafe` constructors, whose contract is
// that the CPU supports AVX2 and FMA; so the instructions are available.

/// The lane sums of eight vectors in one vector, lane `i` the sum of
/// `x[i]`, by the tree of [`F32x8::reduce_add`](Simd::reduce_add) (the same
/// additions, so the same bits): halves, then quarters, then pairs, each
/// level adding two shuffles of whole vectors. 21 instructions for the
/// eight sums, against 6 for each alone.
///
/// # Safety
/// The CPU supports AVX.
#[inline(always)]
pub(super) unsafe fn reduce_add8_f32(x: [__m256; 8]) -> [f32; 8] {
    // SAFETY: register operations only, on AVX as the caller guarantees.
    unsafe {
        // Lane i + lane i+4: vector `a`'s in the low half, `b`'s in the high.
        // (Functions, not closures: a closure would be compiled without
        // AVX, and the intrinsics in it would become calls.)
        #[inline(always)]
        unsafe fn halves(a: __m256, b: __m256) -> __m256 {
            // SAFETY: as the enclosing function.
            unsafe {
                _mm256_add_ps(
                    _mm256_permute2f128_ps::<0x20>(a, b),
                    _mm256_permute2f128_ps::<0x31>(a, b),
                )
            }
        }
        // Then within each half: lanes `LO` of `a`, `b` plus lanes `HI`
        // (a `_mm256_shuffle_ps` selector each).
        #[inline(always)]
        unsafe fn fold<const LO: i32, const HI: i32>(a: __m256, b: __m256) -> __m256 {
            // SAFETY: as the enclosing function.
            unsafe { _mm256_add_ps(_mm256_shuffle_ps::<LO>(a, b), _mm256_shuffle_ps::<HI>(a, b)) }
        }
        // i + i+2, two vectors per half (lanes 0, 1 plus lanes 2, 3), then
        // i + i+1, one sum per lane (even lanes plus odd lanes).
        let quarters = fold::<0x44, 0xEE>;
        let pairs = fold::<0x88, 0xDD>;
        // Inputs paired so that the sums come out in lane order: the low
        // halves hold x0…x3, the high halves x4…x7.
        let s0 = halves(x[0], x[4]);
        let s1 = halves(x[1], x[5]);
        let s2 = halves(x[2], x[6]);
        let s3 = halves(x[3], x[7]);
        let r = pairs(quarters(s0, s1), quarters(s2, s3));
        core::mem::transmute::<__m256, [f32; 8]>(r)
    }
}

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
        // SAFETY: the caller guarantees AVX2; the masked load reads only the
        // low `n` lanes (masked-out lanes never fault), which the caller
        // guarantees readable.
        unsafe {
            let m = tail_mask32(n);
            let v = _mm256_maskload_ps(p, m);
            Self(_mm256_blendv_ps(
                _mm256_set1_ps(fill),
                v,
                _mm256_castsi256_ps(m),
            ))
        }
    }
    #[inline(always)]
    unsafe fn load_u8(p: *const u8) -> Self {
        // SAFETY: the caller guarantees AVX2 and 8 readable bytes (the
        // 64-bit load reads exactly 8).
        unsafe {
            let b = _mm_loadl_epi64(p.cast::<__m128i>());
            Self(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b)))
        }
    }
    #[inline(always)]
    unsafe fn load_u8_tail(p: *const u8, n: usize) -> Self {
        debug_assert!(n < 8);
        // SAFETY: the caller guarantees AVX2 and `n` readable bytes.
        unsafe {
            let b = _mm_cvtsi64_si128(read_bytes(p, n) as i64);
            Self(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b)))
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
        // Plain stores of 4, 2 and 1 lanes as `n`'s bits say, not
        // `vmaskmovps`: on Zen 3 a masked store is 42 micro-ops with one
        // issued every 12 cycles (llvm-mca's model); without them the
        // softmax cross-entropy of rows of 10 classes ran 10% faster.
        // SAFETY: the caller guarantees AVX2 and the low `n` lanes at `p`
        // writable; each store below writes lanes `< n` only.
        unsafe {
            let (mut p, mut x) = (p, _mm256_castps256_ps128(self.0));
            if n & 4 != 0 {
                _mm_storeu_ps(p, x);
                p = p.add(4);
                x = _mm256_extractf128_ps::<1>(self.0);
            }
            if n & 2 != 0 {
                _mm_storel_epi64(p.cast::<__m128i>(), _mm_castps_si128(x));
                p = p.add(2);
                x = _mm_movehl_ps(x, x);
            }
            if n & 1 != 0 {
                _mm_store_ss(p, x);
            }
        }
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
    fn div(self, o: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm256_div_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm256_fmadd_ps(self.0, b.0, c.0)) }
    }
    #[inline(always)]
    fn fma(self, b: Self, c: Self) -> Self {
        self.mul_add(b, c)
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
    fn reduce_add8(xs: [Self; 8]) -> [f32; 8] {
        // SAFETY: see the note above the impls.
        unsafe {
            reduce_add8_f32([
                xs[0].0, xs[1].0, xs[2].0, xs[3].0, xs[4].0, xs[5].0, xs[6].0, xs[7].0,
            ])
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
        // SAFETY: as for `F32x8::load_tail`.
        unsafe {
            let m = tail_mask64(n);
            let v = _mm256_maskload_pd(p, m);
            Self(_mm256_blendv_pd(
                _mm256_set1_pd(fill),
                v,
                _mm256_castsi256_pd(m),
            ))
        }
    }
    #[inline(always)]
    unsafe fn load_u8(p: *const u8) -> Self {
        // SAFETY: the caller guarantees AVX2 and 4 readable bytes.
        unsafe {
            let b = _mm_cvtsi32_si128(p.cast::<i32>().read_unaligned());
            Self(_mm256_cvtepi32_pd(_mm_cvtepu8_epi32(b)))
        }
    }
    #[inline(always)]
    unsafe fn load_u8_tail(p: *const u8, n: usize) -> Self {
        debug_assert!(n < 4);
        // SAFETY: the caller guarantees AVX2 and `n` readable bytes.
        unsafe {
            let b = _mm_cvtsi32_si128(read_bytes(p, n) as i32);
            Self(_mm256_cvtepi32_pd(_mm_cvtepu8_epi32(b)))
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
        // Plain stores, as for `F32x8::store_tail`.
        // SAFETY: the caller guarantees AVX2 and the low `n` lanes at `p`
        // writable; each store below writes lanes `< n` only.
        unsafe {
            let (mut p, mut x) = (p, _mm256_castpd256_pd128(self.0));
            if n & 2 != 0 {
                _mm_storeu_pd(p, x);
                p = p.add(2);
                x = _mm256_extractf128_pd::<1>(self.0);
            }
            if n & 1 != 0 {
                _mm_store_sd(p, x);
            }
        }
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
    fn div(self, o: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm256_div_pd(self.0, o.0)) }
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: see the note above the impls.
        unsafe { Self(_mm256_fmadd_pd(self.0, b.0, c.0)) }
    }
    #[inline(always)]
    fn fma(self, b: Self, c: Self) -> Self {
        self.mul_add(b, c)
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
