//! Portable kernels in plain Rust over `wide` vectors, for CPUs without the
//! x86 paths (`wide` lowers to the SIMD the build targets, or to scalars).
//!
//! f32: a 4×8 register tile over `f32x8`; f64: 4×4 over `f64x4` — 4
//! accumulators, which fit the 16 registers of baseline x86-64 (SSE2, two
//! registers per vector) and every other 128-bit SIMD.

use wide::{f32x8, f64x4};

use super::kernel::{self, Microkernel, Simd};
use super::skinny::{self, Skinny};
use super::{In, Out};

/// The f32 kernels.
#[derive(Clone, Copy)]
pub(super) struct F32;

/// The f64 kernels.
#[derive(Clone, Copy)]
pub(super) struct F64;

macro_rules! impl_simd {
    ($k:ty, $t:ty, $v:ty, $lanes:literal) => {
        impl Simd for $k {
            type T = $t;
            type V = $v;
            const LANES: usize = $lanes;

            #[inline(always)]
            unsafe fn zero() -> $v {
                <$v>::ZERO
            }
            #[inline(always)]
            unsafe fn splat(x: $t) -> $v {
                <$v>::splat(x)
            }
            #[inline(always)]
            unsafe fn load(p: *const $t) -> $v {
                // SAFETY: the caller guarantees `LANES` readable elements.
                <$v>::new(unsafe { p.cast::<[$t; $lanes]>().read_unaligned() })
            }
            #[inline(always)]
            unsafe fn store(p: *mut $t, v: $v) {
                // SAFETY: the caller guarantees `LANES` writable elements.
                unsafe { p.cast::<[$t; $lanes]>().write_unaligned(v.to_array()) }
            }
            #[inline(always)]
            unsafe fn mul(a: $v, b: $v) -> $v {
                a * b
            }
            #[inline(always)]
            unsafe fn fmadd(a: $v, b: $v, c: $v) -> $v {
                a.mul_add(b, c)
            }
            #[inline(always)]
            unsafe fn hsum(v: $v) -> $t {
                v.reduce_add()
            }
            #[inline(always)]
            unsafe fn prefetch(_: *const $t) {}
        }
    };
}

impl_simd!(F32, f32, f32x8, 8);
impl_simd!(F64, f64, f64x4, 4);

impl Microkernel for F32 {
    type T = f32;
    const MR: usize = 4;
    const NR: usize = 8;
    const KC: usize = 256;
    const MC: usize = 128;
    const NC: usize = 4096;

    unsafe fn tile(kc: usize, a: *const f32, b: *const f32, c: &Out<f32>) {
        // SAFETY: forwarded.
        unsafe { kernel::tile::<F32, 4, 1>(kc, a, b, c) }
    }
}

impl Microkernel for F64 {
    type T = f64;
    const MR: usize = 4;
    const NR: usize = 4;
    const KC: usize = 256;
    const MC: usize = 64;
    const NC: usize = 2048;

    unsafe fn tile(kc: usize, a: *const f64, b: *const f64, c: &Out<f64>) {
        // SAFETY: forwarded.
        unsafe { kernel::tile::<F64, 4, 1>(kc, a, b, c) }
    }
}

// The skinny kernels take one vector of rows (or one row) per call: with
// `G` = 5 columns that is 5 accumulators of two baseline registers each, plus
// the loaded operands, within the 16 registers of x86-64's baseline; two
// would spill them.
impl Skinny for F32 {
    const DOT_R: usize = 1;
    const AXPY_ROWS: usize = 8;

    unsafe fn dot<const W: usize>(
        full: bool,
        a: In<f32>,
        bt: *const f32,
        ldbt: usize,
        c: &Out<f32>,
    ) {
        // SAFETY: forwarded.
        unsafe {
            let _ = full;
            skinny::dot_body::<F32, 1, W>(a, bt, ldbt, c)
        }
    }

    unsafe fn axpy<const W: usize>(a: In<f32>, b: *const f32, ldb: usize, c: &Out<f32>) {
        // SAFETY: forwarded.
        unsafe { skinny::axpy_body::<F32, 1, W>(a, b, ldb, c) }
    }
}

impl Skinny for F64 {
    const DOT_R: usize = 1;
    const AXPY_ROWS: usize = 4;

    unsafe fn dot<const W: usize>(
        full: bool,
        a: In<f64>,
        bt: *const f64,
        ldbt: usize,
        c: &Out<f64>,
    ) {
        // SAFETY: forwarded.
        unsafe {
            let _ = full;
            skinny::dot_body::<F64, 1, W>(a, bt, ldbt, c)
        }
    }

    unsafe fn axpy<const W: usize>(a: In<f64>, b: *const f64, ldb: usize, c: &Out<f64>) {
        // SAFETY: forwarded.
        unsafe { skinny::axpy_body::<F64, 1, W>(a, b, ldb, c) }
    }
}
