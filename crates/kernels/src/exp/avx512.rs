//! `eˣ` on AVX-512 registers (16 × f32, 8 × f64).
//!
//! The method is described in the parent module. AVX-512's `vscalefps`/
//! `vscalefpd` computes `p · 2ⁿ` with a single rounding, so gradual underflow
//! into the subnormals and overflow to +∞ come out exactly as IEEE rounding
//! of the true product.

use core::arch::x86_64::*;

use super::{f32c, f64c};

const ROUND: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

/// `eˣ` for 16 `f32` lanes.
///
/// # Safety
/// The CPU supports AVX-512.
#[inline(always)]
pub(crate) unsafe fn exp_f32x16(x: __m512) -> __m512 {
    // SAFETY: the caller guarantees AVX-512.
    unsafe {
        // `max`/`min` return their second operand when either is NaN, so a
        // NaN in `x` survives the clamp.
        let x = _mm512_min_ps(
            _mm512_set1_ps(f32c::X_MAX),
            _mm512_max_ps(_mm512_set1_ps(f32c::X_MIN), x),
        );
        let n = _mm512_roundscale_ps::<ROUND>(_mm512_mul_ps(x, _mm512_set1_ps(f32c::LOG2E)));
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(f32c::LN2_HI), x);
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(f32c::LN2_LO), r);
        let mut p = _mm512_set1_ps(f32c::P[0]);
        for &c in &f32c::P[1..] {
            p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
        }
        _mm512_scalef_ps(p, n)
    }
}

/// `eˣ` for 8 `f64` lanes.
///
/// # Safety
/// The CPU supports AVX-512.
#[inline(always)]
pub(crate) unsafe fn exp_f64x8(x: __m512d) -> __m512d {
    // SAFETY: the caller guarantees AVX-512.
    unsafe {
        let x = _mm512_min_pd(
            _mm512_set1_pd(f64c::X_MAX),
            _mm512_max_pd(_mm512_set1_pd(f64c::X_MIN), x),
        );
        let n = _mm512_roundscale_pd::<ROUND>(_mm512_mul_pd(x, _mm512_set1_pd(f64c::LOG2E)));
        let r = _mm512_fnmadd_pd(n, _mm512_set1_pd(f64c::LN2_HI), x);
        let r = _mm512_fnmadd_pd(n, _mm512_set1_pd(f64c::LN2_LO), r);
        let mut p = _mm512_set1_pd(f64c::P[0]);
        for &c in &f64c::P[1..] {
            p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(c));
        }
        _mm512_scalef_pd(p, n)
    }
}
