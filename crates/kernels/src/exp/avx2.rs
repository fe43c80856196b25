//! `eˣ` on AVX2+FMA registers (8 × f32, 4 × f64).
//!
//! The method is described in the parent module, with two refinements that
//! save instructions without changing any result:
//!
//! - Rounding: `t = x·log₂e + SHIFT` in one fused multiply–add, with
//!   `SHIFT = 1.5·2ᵐ + bias` (`m` the mantissa width). The sum lies in
//!   `[2ᵐ, 2ᵐ⁺¹)`, where the spacing is 1, so the single rounding of the fma
//!   rounds `x·log₂e` to the nearest integer `n`; `t − SHIFT = n` exactly, and
//!   the low mantissa bits of `t` hold the biased exponent `n + bias`, which a
//!   left shift by `m` turns into the bits of `2ⁿ`.
//! - Scaling: when every lane has `|x| ≤ X_FAST` (one compare and one
//!   `movemask` per vector), `2ⁿ` is a normal number and `p · 2ⁿ` is a single
//!   multiply, rounded once. Otherwise (large `|x|`, ±∞, NaN) AVX2, which has
//!   no `scalef`, forms `p · 2ⁿ` as `(p · 2^⌊n/2⌋) · 2^(n−⌊n/2⌋)`: both
//!   factors are normal, the first product is exact (it stays in the normal
//!   range) and the second rounds once — which gives correctly rounded
//!   gradual underflow and overflow to +∞. Both ways round the same exact
//!   product once, so the result does not depend on which way a lane goes.

use core::arch::x86_64::*;

use super::{f32c, f64c};

/// Largest `|x|` of the single-multiply `f32` path: `87·log₂e < 125.6`, so
/// `n ∈ [−126, 126]` and `2ⁿ` is normal.
const X_FAST_F32: f32 = 87.0;
/// `1.5·2²³ + 127`: rounds `x·log₂e` and biases the exponent (see above).
const SHIFT_F32: f32 = 12582912.0 + 127.0;

/// Largest `|x|` of the single-multiply `f64` path: `708·log₂e < 1021.5`, so
/// `n ∈ [−1022, 1022]` and `2ⁿ` is normal.
const X_FAST_F64: f64 = 708.0;
/// `1.5·2⁵² + 1023`: rounds `x·log₂e` and biases the exponent (see above).
const SHIFT_F64: f64 = 6755399441055744.0 + 1023.0;

/// `eʳ` on the reduced argument: `(n, p)` with `x = n·ln2 + r`, `p ≈ eʳ`,
/// and `t` (the fma result whose low bits hold `n + 127`), for
/// `x ∈ [X_MIN, X_MAX]`.
///
/// # Safety
/// The CPU supports AVX2 and FMA.
#[inline(always)]
unsafe fn reduce_f32x8(x: __m256) -> (__m256, __m256, __m256) {
    // SAFETY: the caller guarantees AVX2 and FMA.
    unsafe {
        let shift = _mm256_set1_ps(SHIFT_F32);
        let t = _mm256_fmadd_ps(x, _mm256_set1_ps(f32c::LOG2E), shift);
        let n = _mm256_sub_ps(t, shift);
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(f32c::LN2_HI), x);
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(f32c::LN2_LO), r);
        let mut p = _mm256_set1_ps(f32c::P[0]);
        for &c in &f32c::P[1..] {
            p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
        }
        (t, n, p)
    }
}

/// `eˣ` for 8 `f32` lanes.
///
/// # Safety
/// The CPU supports AVX2 and FMA.
#[inline(always)]
pub(crate) unsafe fn exp_f32x8(x: __m256) -> __m256 {
    // SAFETY: the caller guarantees AVX2 and FMA.
    unsafe {
        // `|x| ≤ X_FAST` in every lane (false for NaN).
        let ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0), x);
        let fast = _mm256_cmp_ps::<_CMP_LE_OQ>(ax, _mm256_set1_ps(X_FAST_F32));
        if _mm256_movemask_ps(fast) == 0xff {
            let (t, _, p) = reduce_f32x8(x);
            let s = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_castps_si256(t)));
            return _mm256_mul_ps(p, s);
        }
        exp_f32x8_wide(x)
    }
}

/// [`exp_f32x8`] for any input, scaling in two steps.
///
/// # Safety
/// The CPU supports AVX2 and FMA.
#[inline(always)]
unsafe fn exp_f32x8_wide(x: __m256) -> __m256 {
    // SAFETY: the caller guarantees AVX2 and FMA.
    unsafe {
        // `max`/`min` return their second operand when either is NaN, so a NaN
        // in `x` survives the clamp.
        let x = _mm256_min_ps(
            _mm256_set1_ps(f32c::X_MAX),
            _mm256_max_ps(_mm256_set1_ps(f32c::X_MIN), x),
        );
        let (_, n, p) = reduce_f32x8(x);
        // n ∈ [−152, 129] (for NaN the conversion gives some integer, but `p` is
        // NaN and so is the product): split it so that each power of two is normal.
        let k = _mm256_cvtps_epi32(n);
        let k1 = _mm256_srai_epi32::<1>(k);
        let k2 = _mm256_sub_epi32(k, k1);
        let bias = _mm256_set1_epi32(127);
        let s1 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(k1, bias)));
        let s2 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(k2, bias)));
        _mm256_mul_ps(_mm256_mul_ps(p, s1), s2)
    }
}

/// As [`reduce_f32x8`], for 4 `f64` lanes (`t` holds `n + 1023`).
///
/// # Safety
/// The CPU supports AVX2 and FMA.
#[inline(always)]
unsafe fn reduce_f64x4(x: __m256d) -> (__m256d, __m256d, __m256d) {
    // SAFETY: the caller guarantees AVX2 and FMA.
    unsafe {
        let shift = _mm256_set1_pd(SHIFT_F64);
        let t = _mm256_fmadd_pd(x, _mm256_set1_pd(f64c::LOG2E), shift);
        let n = _mm256_sub_pd(t, shift);
        let r = _mm256_fnmadd_pd(n, _mm256_set1_pd(f64c::LN2_HI), x);
        let r = _mm256_fnmadd_pd(n, _mm256_set1_pd(f64c::LN2_LO), r);
        let mut p = _mm256_set1_pd(f64c::P[0]);
        for &c in &f64c::P[1..] {
            p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(c));
        }
        (t, n, p)
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
        // `|x| ≤ X_FAST` in every lane (false for NaN).
        let ax = _mm256_andnot_pd(_mm256_set1_pd(-0.0), x);
        let fast = _mm256_cmp_pd::<_CMP_LE_OQ>(ax, _mm256_set1_pd(X_FAST_F64));
        if _mm256_movemask_pd(fast) == 0xf {
            let (t, _, p) = reduce_f64x4(x);
            let s = _mm256_castsi256_pd(_mm256_slli_epi64::<52>(_mm256_castpd_si256(t)));
            return _mm256_mul_pd(p, s);
        }
        exp_f64x4_wide(x)
    }
}

/// [`exp_f64x4`] for any input, scaling in two steps.
///
/// # Safety
/// The CPU supports AVX2 and FMA.
#[inline(always)]
unsafe fn exp_f64x4_wide(x: __m256d) -> __m256d {
    // SAFETY: the caller guarantees AVX2 and FMA.
    unsafe {
        let x = _mm256_min_pd(
            _mm256_set1_pd(f64c::X_MAX),
            _mm256_max_pd(_mm256_set1_pd(f64c::X_MIN), x),
        );
        let (_, n, p) = reduce_f64x4(x);
        // n ∈ [−1077, 1025]: split it so that each power of two is normal.
        // AVX2 has no f64 → i64 conversion; adding 2⁵² + 1023 to an integral
        // k ∈ [−1022, 1023] puts the biased exponent k + 1023 in the low
        // mantissa bits, and a left shift by 52 moves it into place.
        let k1 = _mm256_floor_pd(_mm256_mul_pd(n, _mm256_set1_pd(0.5)));
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
