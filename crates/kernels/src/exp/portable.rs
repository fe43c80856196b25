//! `eˣ` in plain Rust for one element, written without branches so that the compiler can vectorise it across the lanes
//! of the portable vectors.
//!
//! The method is the parent module's, with two differences: no fused
//! multiply–add (a library call on CPUs without the instruction), which the
//! two-part `ln 2` tolerates because `n · LN2_HI` is exact; and rounding to
//! the nearest integer by adding and subtracting `1.5 · 2ᵐ` (with `m` the
//! mantissa width), which needs no rounding instruction.

use super::{f32c, f64c};

/// `eˣ` for one `f32`.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    // `clamp` returns NaN for NaN.
    let x = x.clamp(f32c::X_MIN, f32c::X_MAX);
    const SHIFT: f32 = 12582912.0; // 1.5 · 2²³
    let n = (x * f32c::LOG2E + SHIFT) - SHIFT;
    let r = (x - n * f32c::LN2_HI) - n * f32c::LN2_LO;
    let mut p = f32c::P[0];
    for &c in &f32c::P[1..] {
        p = p * r + c;
    }
    // n ∈ [−152, 129] (NaN converts to 0; the result is NaN through `p`).
    let k = n as i32;
    let k1 = k >> 1;
    let k2 = k - k1;
    let s1 = f32::from_bits(((k1 + 127) as u32) << 23);
    let s2 = f32::from_bits(((k2 + 127) as u32) << 23);
    p * s1 * s2
}

/// `eˣ` for one `f64`.
#[inline(always)]
pub(crate) fn exp_f64(x: f64) -> f64 {
    let x = x.clamp(f64c::X_MIN, f64c::X_MAX);
    const SHIFT: f64 = 6755399441055744.0; // 1.5 · 2⁵²
    let n = (x * f64c::LOG2E + SHIFT) - SHIFT;
    let r = (x - n * f64c::LN2_HI) - n * f64c::LN2_LO;
    let mut p = f64c::P[0];
    for &c in &f64c::P[1..] {
        p = p * r + c;
    }
    // n ∈ [−1077, 1025].
    let k = n as i64;
    let k1 = k >> 1;
    let k2 = k - k1;
    let s1 = f64::from_bits(((k1 + 1023) as u64) << 52);
    let s2 = f64::from_bits(((k2 + 1023) as u64) << 52);
    p * s1 * s2
}
