//! The element types every kernel accepts: `f32` and `f64`.
//!
//! [`Element`] is sealed: it is implemented for exactly these two types, which
//! lets each entry point pick the kernel for its type with a `match` on
//! [`Element::DTYPE`] and view its slices at their concrete type with
//! [`typed`]/[`typed_mut`], casts that cannot go wrong.

use core::fmt::{Debug, Display};
use core::iter::Sum;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// Which concrete type an [`Element`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dtype {
    /// IEEE 754 binary32.
    F32,
    /// IEEE 754 binary64.
    F64,
}

/// A floating-point element type that the kernels accept (`f32` or `f64`).
///
/// It carries the arithmetic and the few functions generic code above the
/// kernels needs, so that crates built on this one can be generic over the
/// element type with a single bound.
pub trait Element:
    sealed::Sealed
    + Copy
    + Send
    + Sync
    + Default
    + Debug
    + Display
    + PartialEq
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + 'static
{
    /// Which of the two types this is.
    const DTYPE: Dtype;
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Machine epsilon (the gap between 1 and the next number).
    const EPSILON: Self;
    /// +∞.
    const INFINITY: Self;
    /// −∞.
    const NEG_INFINITY: Self;
    /// A quiet NaN.
    const NAN: Self;
    /// The largest finite value.
    const MAX: Self;
    /// The smallest positive normal value.
    const MIN_POSITIVE: Self;

    /// Converts from `f64`, rounding to nearest.
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` (exact for both types).
    fn to_f64(self) -> f64;
    /// Converts from `usize`, rounding to nearest.
    fn from_usize(n: usize) -> Self {
        Self::from_f64(n as f64)
    }
    /// `eˣ`.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// `ln(1 + x)`, accurate for small `x`.
    fn ln_1p(self) -> Self;
    /// `eˣ − 1`, accurate for small `x`.
    fn exp_m1(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// `self` raised to a floating-point power.
    fn powf(self, p: Self) -> Self;
    /// `self` raised to an integer power.
    fn powi(self, n: i32) -> Self;
    /// The larger of two values; if one is NaN, the other.
    fn max(self, other: Self) -> Self;
    /// The smaller of two values; if one is NaN, the other.
    fn min(self, other: Self) -> Self;
    /// `self · a + b` with one rounding.
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// True for NaN.
    fn is_nan(self) -> bool;
    /// True for neither NaN nor ±∞.
    fn is_finite(self) -> bool;
    /// `1`, `0` or `−1` with the sign of `self` (and NaN for NaN), like `f64::signum`
    /// except that ±0 maps to 0.
    fn sign(self) -> Self;
}

macro_rules! impl_element {
    ($t:ident, $d:ident) => {
        impl Element for $t {
            const DTYPE: Dtype = Dtype::$d;
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const EPSILON: Self = $t::EPSILON;
            const INFINITY: Self = $t::INFINITY;
            const NEG_INFINITY: Self = $t::NEG_INFINITY;
            const NAN: Self = $t::NAN;
            const MAX: Self = $t::MAX;
            const MIN_POSITIVE: Self = $t::MIN_POSITIVE;

            #[inline]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn exp(self) -> Self {
                $t::exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                $t::ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                $t::ln_1p(self)
            }
            #[inline]
            fn exp_m1(self) -> Self {
                $t::exp_m1(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            #[inline]
            fn abs(self) -> Self {
                $t::abs(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                $t::tanh(self)
            }
            #[inline]
            fn powf(self, p: Self) -> Self {
                $t::powf(self, p)
            }
            #[inline]
            fn powi(self, n: i32) -> Self {
                $t::powi(self, n)
            }
            #[inline]
            fn max(self, other: Self) -> Self {
                $t::max(self, other)
            }
            #[inline]
            fn min(self, other: Self) -> Self {
                $t::min(self, other)
            }
            #[inline]
            fn mul_add(self, a: Self, b: Self) -> Self {
                $t::mul_add(self, a, b)
            }
            #[inline]
            fn is_nan(self) -> bool {
                $t::is_nan(self)
            }
            #[inline]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
            #[inline]
            fn sign(self) -> Self {
                if self > 0.0 {
                    1.0
                } else if self < 0.0 {
                    -1.0
                } else if self.is_nan() {
                    self
                } else {
                    0.0
                }
            }
        }
    };
}
impl_element!(f32, F32);
impl_element!(f64, F64);

/// A slice of either element type, seen at its concrete type.
pub(crate) enum Typed<'a> {
    F32(&'a [f32]),
    F64(&'a [f64]),
}

/// A mutable slice of either element type, seen at its concrete type.
pub(crate) enum TypedMut<'a> {
    F32(&'a mut [f32]),
    F64(&'a mut [f64]),
}

/// Views `x` at its concrete type.
#[inline]
pub(crate) fn typed<T: Element>(x: &[T]) -> Typed<'_> {
    let (p, n) = (x.as_ptr(), x.len());
    // SAFETY: `Element` is sealed to f32 and f64, and `T::DTYPE` names which
    // one `T` is, so the cast is to `T` itself (same size, alignment, validity).
    unsafe {
        match T::DTYPE {
            Dtype::F32 => Typed::F32(core::slice::from_raw_parts(p.cast(), n)),
            Dtype::F64 => Typed::F64(core::slice::from_raw_parts(p.cast(), n)),
        }
    }
}

/// Views `x` mutably at its concrete type.
#[inline]
pub(crate) fn typed_mut<T: Element>(x: &mut [T]) -> TypedMut<'_> {
    let (p, n) = (x.as_mut_ptr(), x.len());
    // SAFETY: as in `typed`; the unique borrow of `x` moves into the result.
    unsafe {
        match T::DTYPE {
            Dtype::F32 => TypedMut::F32(core::slice::from_raw_parts_mut(p.cast(), n)),
            Dtype::F64 => TypedMut::F64(core::slice::from_raw_parts_mut(p.cast(), n)),
        }
    }
}

/// Converts a scalar of type `T` to type `U` when both are the same type
/// (used to pass α and β through the typed dispatch).
#[inline]
pub(crate) fn same<T: Element, U: Element>(x: T) -> U {
    debug_assert_eq!(T::DTYPE, U::DTYPE);
    U::from_f64(x.to_f64())
}

/// `x` seen as a slice of `U`, which must be the same type as `T`.
#[inline]
pub(crate) fn cast<T: Element, U: Element>(x: &[T]) -> &[U] {
    assert_eq!(T::DTYPE, U::DTYPE);
    // SAFETY: `Element` is sealed to f32 and f64 and `DTYPE` names which one
    // a type is; equal `DTYPE`s mean `T` and `U` are the same type.
    unsafe { core::slice::from_raw_parts(x.as_ptr().cast(), x.len()) }
}

/// `x` seen mutably as a slice of `U`, which must be the same type as `T`.
#[inline]
pub(crate) fn cast_mut<T: Element, U: Element>(x: &mut [T]) -> &mut [U] {
    assert_eq!(T::DTYPE, U::DTYPE);
    // SAFETY: as in `cast`; the unique borrow moves into the result.
    unsafe { core::slice::from_raw_parts_mut(x.as_mut_ptr().cast(), x.len()) }
}
