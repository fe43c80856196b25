//! [`Simd`] in plain Rust: fixed-size arrays whose lane loops the compiler
//! vectorises for the build's target (SSE2 on a baseline x86-64 build).

use super::Simd;
use crate::exp::portable::{exp_f32, exp_f64};

macro_rules! portable_vector {
    ($name:ident, $t:ty, $lanes:expr, $exp:path, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Copy)]
        #[repr(transparent)]
        pub(crate) struct $name([$t; $lanes]);

        impl $name {
            #[inline(always)]
            fn map2(self, o: Self, f: impl Fn($t, $t) -> $t) -> Self {
                let mut r = self.0;
                for (a, b) in r.iter_mut().zip(o.0) {
                    *a = f(*a, b);
                }
                Self(r)
            }
        }

        impl Simd for $name {
            type E = $t;
            const LANES: usize = $lanes;
            const REGISTERS: usize = 16;

            #[inline(always)]
            unsafe fn splat(v: $t) -> Self {
                Self([v; $lanes])
            }
            #[inline(always)]
            unsafe fn load(p: *const $t) -> Self {
                // SAFETY: the caller guarantees `LANES` readable elements.
                Self(unsafe { p.cast::<[$t; $lanes]>().read_unaligned() })
            }
            #[inline(always)]
            unsafe fn load_tail(p: *const $t, n: usize, fill: $t) -> Self {
                debug_assert!(n < $lanes);
                let mut b = [fill; $lanes];
                // SAFETY: the caller guarantees `n` readable elements.
                unsafe { core::ptr::copy_nonoverlapping(p, b.as_mut_ptr(), n) };
                Self(b)
            }
            #[inline(always)]
            unsafe fn load_u8(p: *const u8) -> Self {
                // SAFETY: the caller guarantees `LANES` readable bytes.
                let b = unsafe { p.cast::<[u8; $lanes]>().read_unaligned() };
                Self(b.map(<$t>::from))
            }
            #[inline(always)]
            unsafe fn store(self, p: *mut $t) {
                // SAFETY: the caller guarantees `LANES` writable elements.
                unsafe { p.cast::<[$t; $lanes]>().write_unaligned(self.0) }
            }
            #[inline(always)]
            unsafe fn store_tail(self, p: *mut $t, n: usize) {
                debug_assert!(n < $lanes);
                // SAFETY: the caller guarantees `n` writable elements.
                unsafe { core::ptr::copy_nonoverlapping(self.0.as_ptr(), p, n) }
            }
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self.map2(o, |a, b| a + b)
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                self.map2(o, |a, b| a - b)
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self.map2(o, |a, b| a * b)
            }
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                self.map2(o, |a, b| a / b)
            }
            #[inline(always)]
            fn fma(self, b: Self, c: Self) -> Self {
                let mut r = self.0;
                for ((a, b), c) in r.iter_mut().zip(b.0).zip(c.0) {
                    *a = a.mul_add(b, c);
                }
                Self(r)
            }
            #[inline(always)]
            fn mul_add(self, b: Self, c: Self) -> Self {
                self.mul(b).add(c)
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                // `o > a` is false for a NaN `o`, which keeps `a`.
                self.map2(o, |a, b| if b > a { b } else { a })
            }
            #[inline(always)]
            fn exp(self) -> Self {
                let mut r = self.0;
                for v in &mut r {
                    *v = $exp(*v);
                }
                Self(r)
            }
            #[inline(always)]
            fn reduce_add(self) -> $t {
                let mut v = self.0;
                let mut w = $lanes;
                while w > 1 {
                    w /= 2;
                    for i in 0..w {
                        v[i] += v[i + w];
                    }
                }
                v[0]
            }
            #[inline(always)]
            fn reduce_max(self) -> $t {
                self.0
                    .into_iter()
                    .fold(<$t>::NEG_INFINITY, |a, b| if b > a { b } else { a })
            }
            #[inline(always)]
            fn eq_mask(self, v: $t) -> u64 {
                let mut m = 0;
                for (i, &a) in self.0.iter().enumerate() {
                    m |= ((a == v) as u64) << i;
                }
                m
            }
        }
    };
}

// One 128-bit register of the x86-64 baseline (and of most other targets)
// per vector: the kernels' unrolling is sized for 16 vector registers, which
// holds only if a vector is one register.
portable_vector!(F32x4, f32, 4, exp_f32, "4 `f32` lanes.");
portable_vector!(F64x2, f64, 2, exp_f64, "2 `f64` lanes.");
portable_vector!(
    F32x16,
    f32,
    16,
    exp_f32,
    "16 `f32` lanes: the AVX-512 lane count, for tests on any CPU."
);
portable_vector!(
    F64x8,
    f64,
    8,
    exp_f64,
    "8 `f64` lanes: the AVX-512 lane count, for tests on any CPU."
);
