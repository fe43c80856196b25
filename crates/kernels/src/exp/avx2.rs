//! `eˣ` on AVX2+FMA registers (8 × f32, 4 × f64).
//!
//! The method is described in the parent module. AVX2 has no `scalef`, so
//! `p · 2ⁿ` is formed as `(p · 2^⌊n/2⌋) · 2^(n−⌊n/2⌋)`: both factors are
//! normal numbers, the first product is exact (it stays in the normal range),
//! and the second rounds once — which gives correctly rounded gradual
//! underflow and overflow to +∞.

use core::arch::x86_64::*;

use super::{f32c, f64c};

const ROUND: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
const FLOOR: i32 = _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC;

/// `eˣ` for 8 `f32` lanes.
///
/// # Safety
/// The CPU supports AVX2 and FMA.
#[inline(always)]
pub(crate) unsafe fn exp_f32x8(x: __m256) -> __m256 {
    // SAFETY: the caller guarantees AVX2 and FMA.
    unsafe {
        // `max`/`min` return their second operand when either is NaN, so a
        // NaN in `x` survives the clamp.
        let x = _mm256_min_ps(
            _mm256_set1_ps(f32c::X_MAX),
            _mm256_max_ps(_mm256_set1_ps(f32c::X_MIN), x),
        );
        let n = _mm256_round_ps::<ROUND>(_mm256_mul_ps(x, _mm256_set1_ps(f32c::LOG2E)));
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(f32c::LN2_HI), x);
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(f32c::LN2_LO), r);
        let mut p = _mm256_set1_ps(f32c::P[0]);
        for &c in &f32c::P[1..] {
            p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
        }
        // n ∈ [−152, 129]: split it so that each power of two is normal.
        let k = _mm256_cvtps_epi32(n);
        let k1 = _mm256_srai_epi32::<1>(k);
        let k2 = _mm256_sub_epi32(k, k1);
        let bias = _mm256_set1_epi32(127);
        let s1 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(k1, bias)));
        let s2 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(k2, bias)));
        _mm256_mul_ps(_mm256_mul_ps(p, s1), s2)
    }
}

/// `eˣ` for 4 `f64` lanes.
///
/// # Safety
/// The CPU supports AVX2 and FMA.
#[inline(always)]
pub(crate) unsafe fn exp_f64x4(x: __m256d) -> __m256d {
    // SAFETY: the caller guarantees AVX2 and FMA.
    unsafe {
        let x = _mm256_min_pd(
            _mm256_set1_pd(f64c::X_MAX),
            _mm256_max_pd(_mm256_set1_pd(f64c::X_MIN), x),
        );
        let n = _mm256_round_pd::<ROUND>(_mm256_mul_pd(x, _mm256_set1_pd(f64c::LOG2E)));
        let r = _mm256_fnmadd_pd(n, _mm256_set1_pd(f64c::LN2_HI), x);
        let r = _mm256_fnmadd_pd(n, _mm256_set1_pd(f64c::LN2_LO), r);
        let mut p = _mm256_set1_pd(f64c::P[0]);
        for &c in &f64c::P[1..] {
            p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(c));
        }
        // n ∈ [−1077, 1025]: split it so that each power of two is normal.
        // AVX2 has no f64 → i64 conversion; adding 2⁵² + 1023 to an integral
        // k ∈ [−1022, 1023] puts the biased exponent k + 1023 in the low
        // mantissa bits, and a left shift by 52 moves it into place.
        let k1 = _mm256_round_pd::<FLOOR>(_mm256_mul_pd(n, _mm256_set1_pd(0.5)));
        let k2 = _mm256_sub_pd(n, k1);
        let magic = _mm256_set1_pd(4503599627370496.0 + 1023.0);
        let s1 = _mm256_castsi256_pd(_mm256_slli_epi64::<52>(_mm256_castpd_si256(_mm256_add_pd(
            k1, magic,
        ))));
        let s2 = _mm256_castsi256_pd(_mm256_slli_epi64::<52>(_mm256_castpd_si256(_mm256_add_pd(
            k2, magic,
        ))));
        _mm256_mul_pd(_mm256_mul_pd(p, s1), s2)
    }
}
