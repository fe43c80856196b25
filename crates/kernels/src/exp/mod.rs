//! Vectorised `eˣ` over slices, within 2 ULP of the correctly rounded result.
//!
//! # Method
//! For each element:
//! 1. Clamp `x` to `[X_MIN, X_MAX]`, just outside the range where `eˣ` is a
//!    finite non-zero number (`f32`: `[−105, 89]`, `f64`: `[−746, 710]`), so
//!    that everything below rounds to 0 and everything above to +∞ through
//!    the normal path. NaN passes through the clamp unchanged.
//! 2. `n = round(x · log₂e)` and `r = x − n·ln2` with `ln 2 = LN2_HI + LN2_LO`
//!    (Cody–Waite): `LN2_HI` has enough trailing zero bits that `n · LN2_HI`
//!    is exact for every `n` in range, so `r ∈ [−ln2/2, ln2/2]` carries only
//!    the tiny rounding of the `LN2_LO` term.
//! 3. `eʳ ≈ 1 + r + r²·q(r)` by Horner's rule, with `q` fitted to
//!    `(eʳ − 1 − r)/r²` at Chebyshev nodes on `[−0.3466, 0.3466]`: degree 6 for
//!    `f32` (relative error 1.1·10⁻⁹, 0.02 ULP) and degree 11 for `f64` (1.6·10⁻¹⁷,
//!    0.14 ULP).
//! 4. `eˣ = eʳ · 2ⁿ`, scaled with a single rounding so that results in the
//!    subnormal range are rounded correctly rather than flushed to zero.
//!
//! The measured maximum error (see the tests) is below 1 ULP on every path.
//! Special values: `exp(NaN) = NaN`, `exp(+∞) = +∞`, `exp(−∞) = 0`, and
//! overflow to +∞ / underflow to 0 happen at the same inputs as for
//! `f32::exp` / `f64::exp`.

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
pub(crate) mod portable;

use crate::element::{Element, Typed, TypedMut, typed, typed_mut};
use crate::isa::{Isa, isa};
use crate::simd::{Elem, Kernel, Simd, dispatch};

/// Constants of the `f32` method.
pub(crate) mod f32c {
    /// Below this, `eˣ` rounds to 0 (`e⁻¹⁰⁵ < 2⁻¹⁵⁰`).
    pub const X_MIN: f32 = -105.0;
    /// Above this, `eˣ` rounds to +∞ (`e⁸⁹ > f32::MAX`).
    pub const X_MAX: f32 = 89.0;
    /// log₂e.
    pub const LOG2E: f32 = core::f32::consts::LOG2_E;
    /// The high part of ln 2: 15 significant bits, so `n · LN2_HI` is exact
    /// for |n| < 2⁹.
    pub const LN2_HI: f32 = f32::from_bits(0x3f31_7200); // 0.693145751953125
    /// `ln 2 − LN2_HI`.
    pub const LN2_LO: f32 = f32::from_bits(0x35bf_be8e); // 1.4286068e-6
    /// Polynomial coefficients, highest degree first: `eʳ ≈ Σ P[i]·r^(6−i)`.
    pub const P: [f32; 7] = [
        0.001_392_618_2,
        0.008_363_178,
        0.041_666_556,
        0.166_665_76,
        0.5,
        1.0,
        1.0,
    ];
}

/// Constants of the `f64` method.
pub(crate) mod f64c {
    /// Below this, `eˣ` rounds to 0 (`e⁻⁷⁴⁶ < 2⁻¹⁰⁷⁵`).
    pub const X_MIN: f64 = -746.0;
    /// Above this, `eˣ` rounds to +∞ (`e⁷¹⁰ > f64::MAX`).
    pub const X_MAX: f64 = 710.0;
    /// log₂e.
    pub const LOG2E: f64 = core::f64::consts::LOG2_E;
    /// The high part of ln 2: 32 significant bits, so `n · LN2_HI` is exact
    /// for |n| < 2²¹.
    pub const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 0.6931471803691238
    /// `ln 2 − LN2_HI`.
    pub const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.9082149292705877e-10
    /// Polynomial coefficients, highest degree first: `eʳ ≈ Σ P[i]·r^(11−i)`.
    pub const P: [f64; 12] = [
        2.510_038_319_586_702e-8,
        2.762_008_545_501_841_4e-7,
        2.755_726_846_483_162_7e-6,
        2.480_152_130_224_108_2e-5,
        1.984_126_986_305_050_6e-4,
        1.388_888_891_720_967e-3,
        8.333_333_333_330_063e-3,
        4.166_666_666_662_413_6e-2,
        1.666_666_666_666_666_9e-1,
        5.000_000_000_000_001e-1,
        1.0,
        1.0,
    ];
}

/// `out[i] = exp(x[i])`, within 2 ULP of the correctly rounded result.
///
/// Special values follow `f32::exp`/`f64::exp`: NaN → NaN, +∞ → +∞, −∞ → 0,
/// and results in the subnormal range are rounded, not flushed to zero.
///
/// # Panics
/// If `out.len() != x.len()`, naming both lengths.
///
/// # Example
/// ```
/// let x = [0.0f32, 1.0, f32::NEG_INFINITY];
/// let mut y = [0.0f32; 3];
/// kernels::exp(&x, &mut y);
/// assert_eq!(y[0], 1.0);
/// assert!((y[1] - core::f32::consts::E).abs() <= 2.0 * f32::EPSILON * y[1]);
/// assert_eq!(y[2], 0.0);
/// ```
pub fn exp<T: Element>(x: &[T], out: &mut [T]) {
    isa().exp(x, out)
}

/// `x[i] = exp(x[i])` in place; as [`exp`].
pub fn exp_inplace<T: Element>(x: &mut [T]) {
    isa().exp_inplace(x)
}

impl Isa {
    /// [`exp`] on this path.
    ///
    /// # Panics
    /// As [`exp`]; also if this CPU does not support the path.
    pub fn exp<T: Element>(self, x: &[T], out: &mut [T]) {
        assert_eq!(
            x.len(),
            out.len(),
            "kernels::exp: `x` has {} elements but `out` has {}",
            x.len(),
            out.len()
        );
        match (typed(x), typed_mut(out)) {
            (Typed::F32(x), TypedMut::F32(o)) => {
                dispatch(self, ExpK(x.as_ptr(), o.as_mut_ptr(), x.len()))
            }
            (Typed::F64(x), TypedMut::F64(o)) => {
                dispatch(self, ExpK(x.as_ptr(), o.as_mut_ptr(), x.len()))
            }
            _ => unreachable!("`x` and `out` have the same element type"),
        }
    }

    /// [`exp_inplace`] on this path.
    ///
    /// # Panics
    /// If this CPU does not support the path.
    pub fn exp_inplace<T: Element>(self, x: &mut [T]) {
        let n = x.len();
        match typed_mut(x) {
            TypedMut::F32(x) => {
                let p = x.as_mut_ptr();
                dispatch(self, ExpK(p.cast_const(), p, n))
            }
            TypedMut::F64(x) => {
                let p = x.as_mut_ptr();
                dispatch(self, ExpK(p.cast_const(), p, n))
            }
        }
    }
}

/// `dst[i] = exp(src[i])` for `i < n`; `src` and `dst` may be the same
/// pointer (in place) but must not otherwise overlap, and must be valid for
/// `n` elements.
struct ExpK<E>(*const E, *mut E, usize);

impl<E: Elem> Kernel<E> for ExpK<E> {
    type Out = ();
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) {
        let ExpK(src, dst, n) = self;
        let l = V::LANES;
        let mut i = 0;
        // SAFETY: every access is below `n`, for which both pointers are
        // valid; each element is read before it is written, so `src == dst`
        // is fine. The caller of `run` guarantees `V`'s instruction set.
        unsafe {
            // Four independent vectors per step (two on a path with 16
            // registers, where four would not fit beside the constants), so
            // that the dependent chains of the polynomial overlap.
            while V::REGISTERS >= 32 && i + 4 * l <= n {
                let a = V::load(src.add(i));
                let b = V::load(src.add(i + l));
                let c = V::load(src.add(i + 2 * l));
                let d = V::load(src.add(i + 3 * l));
                a.exp().store(dst.add(i));
                b.exp().store(dst.add(i + l));
                c.exp().store(dst.add(i + 2 * l));
                d.exp().store(dst.add(i + 3 * l));
                i += 4 * l;
            }
            while i + 2 * l <= n {
                let a = V::load(src.add(i));
                let b = V::load(src.add(i + l));
                a.exp().store(dst.add(i));
                b.exp().store(dst.add(i + l));
                i += 2 * l;
            }
            while i + l <= n {
                V::load(src.add(i)).exp().store(dst.add(i));
                i += l;
            }
            if i < n {
                V::load_tail(src.add(i), n - i, E::ZERO)
                    .exp()
                    .store_tail(dst.add(i), n - i);
            }
        }
    }
}
