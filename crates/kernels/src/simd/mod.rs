//! A small vector abstraction shared by the element-wise kernels (`exp`,
//! the softmax family, the reductions), so that each algorithm is written
//! once and instantiated for every instruction-set path.
//!
//! [`Simd`] is a vector of [`Simd::LANES`] elements. Each path implements it
//! with its own registers (`__m512`/`__m512d` for AVX-512, `__m256`/`__m256d`
//! for AVX2+FMA, plain arrays for the portable path). Every method is
//! `#[inline(always)]`, and a kernel generic over `V: Simd` is entered through
//! [`dispatch`], which calls it from inside a `#[target_feature]` function of
//! the chosen path: after inlining, the whole kernel is compiled for that
//! path's instructions.
//!
//! Soundness: a value of an AVX type can only be made by the `unsafe`
//! constructors ([`Simd::splat`], [`Simd::load`], [`Simd::load_tail`]), whose
//! contract is that the CPU supports the path; the arithmetic methods are
//! therefore safe on any value that exists.

use crate::element::Element;
use crate::isa::Isa;

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
pub(crate) mod portable;

/// A vector of `LANES` elements of type `E`, laid out as `[E; LANES]`
/// (every implementation is `#[repr(transparent)]` over its register or
/// array, so an array of vectors may be read as an array of elements).
///
/// # Safety (of the constructors)
/// The CPU must support the instruction set of the implementing type, and
/// pointers must be valid for the stated number of elements.
pub(crate) trait Simd: Copy {
    /// The element type.
    type E: Elem;
    /// Elements per vector.
    const LANES: usize;
    /// Vector registers of the path (16 for AVX2 and the x86-64 baseline,
    /// 32 for AVX-512). Loops unrolled to overlap long dependency chains
    /// (the `exp` polynomial) take as many independent vectors per step as
    /// fit in them with the constants: four with 32 registers, two with 16.
    const REGISTERS: usize;

    /// Every lane `v`.
    ///
    /// # Safety
    /// The CPU supports this type's instruction set.
    unsafe fn splat(v: Self::E) -> Self;
    /// Loads `LANES` elements from `p` (any alignment).
    ///
    /// # Safety
    /// As [`Simd::splat`]; `p` is valid for reading `LANES` elements.
    unsafe fn load(p: *const Self::E) -> Self;
    /// Loads `n < LANES` elements from `p` into the low lanes; the other lanes
    /// hold `fill`.
    ///
    /// # Safety
    /// As [`Simd::splat`]; `p` is valid for reading `n` elements.
    unsafe fn load_tail(p: *const Self::E, n: usize, fill: Self::E) -> Self;
    /// Loads `LANES` bytes from `p`, each converted exactly to `E`.
    ///
    /// # Safety
    /// As [`Simd::splat`]; `p` is valid for reading `LANES` bytes.
    unsafe fn load_u8(p: *const u8) -> Self;
    /// Loads `n < LANES` bytes from `p` into the low lanes, converted to
    /// `E`; the other lanes are 0.
    ///
    /// # Safety
    /// As [`Simd::splat`]; `p` is valid for reading `n` bytes.
    #[inline(always)]
    unsafe fn load_u8_tail(p: *const u8, n: usize) -> Self {
        debug_assert!(n < Self::LANES);
        let mut b = [0u8; 64];
        // SAFETY: the caller guarantees `n` readable bytes; `b` holds 64,
        // at least `LANES` (16 at most for every implementation).
        unsafe {
            core::ptr::copy_nonoverlapping(p, b.as_mut_ptr(), n);
            Self::load_u8(b.as_ptr())
        }
    }
    /// Stores all lanes to `p`.
    ///
    /// # Safety
    /// `p` is valid for writing `LANES` elements.
    unsafe fn store(self, p: *mut Self::E);
    /// Stores the low `n < LANES` lanes to `p`.
    ///
    /// # Safety
    /// `p` is valid for writing `n` elements.
    unsafe fn store_tail(self, p: *mut Self::E, n: usize);

    /// `self + o`.
    fn add(self, o: Self) -> Self;
    /// `self − o`.
    fn sub(self, o: Self) -> Self;
    /// `self · o`.
    fn mul(self, o: Self) -> Self;
    /// `self / o`, correctly rounded (as the scalar division).
    fn div(self, o: Self) -> Self;
    /// `self · b + c`, fused (one rounding) on the AVX paths; the portable
    /// path rounds twice (a fused multiply–add is a slow library call on CPUs
    /// without the instruction).
    fn mul_add(self, b: Self, c: Self) -> Self;
    /// `self · b + c` with one rounding on every path (the portable path
    /// calls `mul_add` per lane: a library call on CPUs without FMA), for
    /// kernels whose results must be the same bits on every path.
    fn fma(self, b: Self, c: Self) -> Self;
    /// Lane-wise maximum; a NaN lane of `o` is ignored (the lane of `self` is
    /// kept). With `self` never NaN this is a NaN-ignoring running maximum.
    fn max(self, o: Self) -> Self;
    /// Lane-wise `eˣ` within 2 ULP (see `crate::exp`).
    fn exp(self) -> Self;
    /// Sum of the lanes by a pairwise tree of halves: lane `i` plus lane
    /// `i + LANES/2`, then the same on the half, down to one lane.
    fn reduce_add(self) -> Self::E;
    /// The lane sums of eight vectors, `xs[i].reduce_add()` with the same
    /// bits. The AVX paths compute them together: each addition of the tree
    /// then adds two vectors' worth of partial sums, so eight sums cost
    /// about as many instructions as two.
    #[inline(always)]
    fn reduce_add8(xs: [Self; 8]) -> [Self::E; 8] {
        // Written out: `xs.map(Self::reduce_add)` would compile the calls
        // inside `map`, without the path's target features.
        let [a, b, c, d, e, f, g, h] = xs;
        [
            a.reduce_add(),
            b.reduce_add(),
            c.reduce_add(),
            d.reduce_add(),
            e.reduce_add(),
            f.reduce_add(),
            g.reduce_add(),
            h.reduce_add(),
        ]
    }
    /// Maximum of the lanes (NaN lanes ignored unless all are NaN).
    fn reduce_max(self) -> Self::E;
    /// Bit `i` set when lane `i` equals `v` (`==` on floats: never for NaN).
    fn eq_mask(self, v: Self::E) -> u64;
}

/// Hints that the cache line holding `p` will be used soon. Never faults,
/// whatever the address; does nothing off x86-64.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of x86-64, and a prefetch never faults.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The `n ≤ LANES` elements from `p` in the low lanes: a whole vector
/// when `n = LANES`, else masked (the other lanes 0).
///
/// # Safety
/// `n` elements from `p` are readable; inline only into a function
/// compiled for `V`'s instruction set.
#[inline(always)]
pub(crate) unsafe fn load_n<V: Simd>(p: *const V::E, n: usize) -> V {
    // SAFETY: the caller's contract.
    unsafe {
        if n == V::LANES {
            V::load(p)
        } else {
            V::load_tail(p, n, <V::E as Element>::ZERO)
        }
    }
}

/// Stores the low `n ≤ LANES` lanes of `v` to `p`: a whole vector when
/// `n = LANES`, else masked.
///
/// # Safety
/// `n` elements from `p` are writable; inline only into a function
/// compiled for `V`'s instruction set.
#[inline(always)]
pub(crate) unsafe fn store_n<V: Simd>(v: V, p: *mut V::E, n: usize) {
    // SAFETY: the caller's contract.
    unsafe {
        if n == V::LANES {
            v.store(p)
        } else {
            v.store_tail(p, n)
        }
    }
}

/// `out[i] = xs[i].reduce_add()` (the same bits), eight at a time through
/// [`Simd::reduce_add8`] and the last one or two alone. Inlined with
/// lengths known at compile time, every loop here unrolls, so `xs` is only
/// indexed by constants (and can stay in registers).
#[inline(always)]
pub(crate) fn reduce_add_each<V: Simd>(xs: &[V], out: &mut [V::E]) {
    debug_assert_eq!(xs.len(), out.len());
    let n = xs.len();
    let full = n / 8;
    for c in 0..full {
        let r = V::reduce_add8(core::array::from_fn(|j| xs[8 * c + j]));
        out[8 * c..8 * c + 8].copy_from_slice(&r);
    }
    let (i, m) = (8 * full, n % 8);
    if m >= 3 {
        // Three or more left: padded with copies of the last vector, the
        // tree on eight still costs less than three single sums.
        let r = V::reduce_add8(core::array::from_fn(|j| xs[i + j.min(m - 1)]));
        out[i..].copy_from_slice(&r[..m]);
    } else {
        for (o, x) in out[i..].iter_mut().zip(&xs[i..]) {
            *o = x.reduce_add();
        }
    }
}

/// An element type with a vector type for every path.
pub(crate) trait Elem: Element {
    /// The portable vector.
    type Portable: Simd<E = Self>;
    /// A portable vector with as many lanes as the AVX-512 one, so that the
    /// AVX-512 lane count and tails are exercised on any CPU.
    type Portable16: Simd<E = Self>;
    /// The AVX2+FMA vector.
    #[cfg(target_arch = "x86_64")]
    type Avx2: Simd<E = Self>;
    /// The AVX-512 vector.
    #[cfg(target_arch = "x86_64")]
    type Avx512: Simd<E = Self>;
}

impl Elem for f32 {
    type Portable = portable::F32x4;
    type Portable16 = portable::F32x16;
    #[cfg(target_arch = "x86_64")]
    type Avx2 = avx2::F32x8;
    #[cfg(target_arch = "x86_64")]
    type Avx512 = avx512::F32x16;
}

impl Elem for f64 {
    type Portable = portable::F64x2;
    type Portable16 = portable::F64x8;
    #[cfg(target_arch = "x86_64")]
    type Avx2 = avx2::F64x4;
    #[cfg(target_arch = "x86_64")]
    type Avx512 = avx512::F64x8;
}

/// A kernel written once for any vector type of element `E`.
pub(crate) trait Kernel<E: Elem> {
    /// What the kernel returns.
    type Out;
    /// The bytes the kernel streams through once (a reduction over a long
    /// array), or 0 (the default) for a kernel whose data the caches hold or
    /// that rereads it. [`dispatch`] runs a kernel streaming at least
    /// [`NARROW_STREAM_BYTES`] on the AVX-512 path with 256-bit vectors.
    fn stream_bytes(&self) -> usize {
        0
    }
    /// For a kernel each of whose output elements depends only on the
    /// inputs at its own position (so that its bits do not depend on the
    /// vector width): how many elements it runs over; `None` (the default)
    /// for any other. [`dispatch`] runs such a kernel over fewer than
    /// [`SHORT_ELEMS`] elements on the AVX-512 path with 256-bit vectors.
    fn elementwise_len(&self) -> Option<usize> {
        None
    }
    /// Runs the kernel with vector type `V`. Implementations are
    /// `#[inline(always)]` so that they compile into the calling
    /// `#[target_feature]` function.
    ///
    /// # Safety
    /// The CPU supports `V`'s instruction set.
    unsafe fn run<V: Simd<E = E>>(self) -> Self::Out;
}

/// From this many bytes streamed ([`Kernel::stream_bytes`]) a kernel runs
/// on the AVX-512 path with the AVX2 vector type (256-bit), still compiled
/// with the path's features. At memory bandwidth the width buys nothing, and
/// on Zen 4 the 512-bit loads are slower there: measured (f32 `sum`, best of
/// 5, 256-bit against 512-bit vectors on the AVX-512 path), level up to
/// 16 MiB, then 0.80 against 0.97–1.10 ms at 32 MiB and 2.33–2.86 against
/// 2.88–3.14 ms at 64 MiB.
pub(crate) const NARROW_STREAM_BYTES: usize = 16 << 20;

/// Below this many elements an elementwise kernel
/// ([`Kernel::elementwise_len`]) runs on the AVX-512 path with the AVX2
/// vector type, still compiled with the path's features: on a few
/// elements the 512-bit code costs more per call than the 256-bit code
/// (the training loop calls `axpy` and the SGD update on the two weights
/// and one bias of the book's linear regression hundreds of times an
/// epoch). Measured (f32 `axpy` into the `y` of the call before, five
/// million calls in a loop, Zen 5; 512-bit against 256-bit vectors, three
/// runs): 2 and 3 elements 7.3–9.6 against 5.7–7.2 ns, 24 and 40 elements
/// 9.8–10.7 against 4.5–5.6 ns, 63 elements 6.7–6.9 against 7.2–9.0 ns,
/// 512-bit ahead from 1024 elements. With this bound the AVX-512 path's
/// `axpy` on 2 and 3 elements took 6.2 and 6.0 ns, on 40 elements 5.6 and
/// 6.1 ns in two runs and 10.1 in a third. (f64 not measured.)
pub(crate) const SHORT_ELEMS: usize = 64;

/// Runs `k` on the path `isa`.
///
/// # Panics
/// If this CPU does not support `isa`.
#[inline]
pub(crate) fn dispatch<E: Elem, K: Kernel<E>>(isa: Isa, k: K) -> K::Out {
    isa.assert_supported();
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `assert_supported` just checked that the CPU has AVX-512,
        // AVX2 and FMA.
        Isa::Avx512
            if k.stream_bytes() >= NARROW_STREAM_BYTES
                || k.elementwise_len().is_some_and(|n| n < SHORT_ELEMS) =>
        unsafe { run_avx512_narrow::<E, K>(k) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Isa::Avx512 => unsafe { run_avx512::<E, K>(k) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `assert_supported` just checked that the CPU has AVX2 and FMA.
        Isa::Avx2 => unsafe { run_avx2::<E, K>(k) },
        Isa::Portable16 => run_portable16::<E, K>(k),
        // SAFETY: the portable vectors need no CPU feature.
        _ => unsafe { k.run::<E::Portable>() },
    }
}

/// Runs `k` on the portable vectors of the AVX-512 lane count. Never
/// inlined, so that this test path's code is a function of its own, which
/// `cargo xtask asm-check` recognises by name (its vectors span several
/// registers, so it keeps them on the stack by design).
#[inline(never)]
fn run_portable16<E: Elem, K: Kernel<E>>(k: K) -> K::Out {
    // SAFETY: the portable vectors need no CPU feature.
    unsafe { k.run::<E::Portable16>() }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
unsafe fn run_avx512<E: Elem, K: Kernel<E>>(k: K) -> K::Out {
    // SAFETY: this function's contract is the kernel's.
    unsafe { k.run::<E::Avx512>() }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
unsafe fn run_avx512_narrow<E: Elem, K: Kernel<E>>(k: K) -> K::Out {
    // SAFETY: this function's contract is the kernel's; the AVX2 vectors
    // need a subset of the features it is compiled with.
    unsafe { k.run::<E::Avx2>() }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_avx2<E: Elem, K: Kernel<E>>(k: K) -> K::Out {
    // SAFETY: this function's contract is the kernel's.
    unsafe { k.run::<E::Avx2>() }
}

/// A vector of 1 in its low `n < LANES` lanes and 0 in the others: a tail
/// vector times it keeps the tail's lanes and zeroes the fill.
///
/// For the exponential of a row's tail after subtracting the row's maximum
/// `m`: fill with `m`, not −∞, and multiply by this mask before summing.
/// `e^{−∞}` would be 0 without a mask, but a lane beyond the exponential's
/// fast range sends the whole vector down its clamping path, whose
/// underflow to 0 is slow: it cost a row of 10 classes as much as all the
/// rest of its work on Zen 3. The fill's `e^{m − m} = 1` stays in range,
/// and the tail's own lanes get the same exponentials either way.
///
/// # Safety
/// The CPU supports `V`.
#[inline(always)]
pub(crate) unsafe fn keep_low<V: Simd>(n: usize) -> V {
    let ones = [<V::E as Element>::ONE; 16];
    // SAFETY: `n < LANES ≤ 16` elements of `ones` are read; the caller
    // guarantees the instruction set.
    unsafe { V::load_tail(ones.as_ptr(), n, <V::E as Element>::ZERO) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::element::Element;

    /// For `n` vectors of random data at `x`: whether `reduce_add_each`
    /// (and so `reduce_add8`) gives `reduce_add`'s bits for each.
    struct SameBits<'a, E>(&'a [E], usize);
    impl<E: Elem> Kernel<E> for SameBits<'_, E> {
        type Out = bool;
        #[inline(always)]
        unsafe fn run<V: Simd<E = E>>(self) -> bool {
            let (x, n) = (self.0, self.1);
            // SAFETY: `x` holds 20 vectors of the widest type; the caller
            // guarantees the instruction set.
            let xs: [V; 20] =
                core::array::from_fn(|i| unsafe { V::load(x[i * V::LANES..].as_ptr()) });
            let mut out = [E::ZERO; 20];
            reduce_add_each(&xs[..n], &mut out[..n]);
            (0..n).all(|i| out[i].to_f64().to_bits() == xs[i].reduce_add().to_f64().to_bits())
        }
    }

    fn values<E: Element>(seed: u64) -> Vec<E> {
        let mut s = seed | 1;
        (0..20 * 16usize)
            .map(|i| {
                s = s
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                // Magnitudes over many binades, so that the order of the
                // additions shows in the bits.
                let m = ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0;
                E::from_f64(m * 2f64.powi((i % 13) as i32 * 3 - 18))
            })
            .collect()
    }

    /// For every tail length `n < LANES` and start offset: whether
    /// `store_tail` writes exactly the `n` lanes asked for (the elements
    /// around them keep a marker), and `load_tail` reads them back with the
    /// fill in the other lanes.
    struct Tails<'a, E>(&'a [E]);
    impl<E: Elem> Kernel<E> for Tails<'_, E> {
        type Out = bool;
        #[inline(always)]
        unsafe fn run<V: Simd<E = E>>(self) -> bool {
            let l = V::LANES;
            // SAFETY: `self.0` holds at least one vector; the caller
            // guarantees the instruction set.
            let v = unsafe { V::load(self.0.as_ptr()) };
            let marker = E::from_f64(-7.0);
            let mut ok = true;
            for n in 0..l {
                for at in 0..3 {
                    let mut buf = [marker; 40];
                    // SAFETY: `at + n < 40`.
                    unsafe { v.store_tail(buf.as_mut_ptr().add(at), n) };
                    ok &= (0..40).all(|i| {
                        let want = if (at..at + n).contains(&i) {
                            self.0[i - at]
                        } else {
                            marker
                        };
                        buf[i].to_f64().to_bits() == want.to_f64().to_bits()
                    });
                    // SAFETY: as above.
                    let back = unsafe { V::load_tail(buf.as_ptr().add(at), n, E::ONE) };
                    let mut out = [marker; 16];
                    // SAFETY: `out` holds a vector of the widest type.
                    unsafe { back.store(out.as_mut_ptr()) };
                    ok &= (0..l).all(|i| {
                        let want = if i < n { self.0[i] } else { E::ONE };
                        out[i].to_f64().to_bits() == want.to_f64().to_bits()
                    });
                }
            }
            ok
        }
    }

    #[test]
    fn tails_touch_only_their_lanes_on_every_path() {
        let (x32, x64) = (values::<f32>(3), values::<f64>(3));
        for isa in Isa::available() {
            assert!(dispatch(isa, Tails(&x32)), "{isa} f32");
            assert!(dispatch(isa, Tails(&x64)), "{isa} f64");
        }
    }

    #[test]
    fn reduce_add_each_gives_reduce_add_bits_on_every_path() {
        for seed in 0..20 {
            let (x32, x64) = (values::<f32>(seed), values::<f64>(seed));
            for n in 1..=20 {
                for isa in Isa::available() {
                    assert!(dispatch(isa, SameBits(&x32, n)), "{isa} f32 n={n}");
                    assert!(dispatch(isa, SameBits(&x64, n)), "{isa} f64 n={n}");
                }
            }
        }
    }
}
