//! Reductions and level-1 helpers on every available path, against f64
//! references.
//!
//! Stated bounds (u = unit roundoff of the element type):
//! - sum, dot, row_sums: |err| ≤ (70 + 2·⌈log₂⌈n/2048⌉⌉ + 1)·u·Σ|terms| (the
//!   `+1` covers the product rounding of `dot` on the portable path).
//! - col_sums: |err| ≤ (64 + 2·⌈log₂⌈rows/64⌉⌉)·u·Σᵢ|x[i, j]|.
//! - axpy: one fused multiply–add (AVX) or two roundings (portable) per
//!   element; scale: one rounding.
//!
//! Lengths cover 0, 1, primes, one off the vector widths (4, 8, 16 lanes, ×8
//! accumulators) and one off the leaf block (2048).

use kernels::{Element, Isa};
use proptest::prelude::*;

fn log2_ceil(n: usize) -> f64 {
    (n.max(1) as f64).log2().ceil()
}

fn sum_bound(n: usize) -> f64 {
    70.0 + 2.0 * log2_ceil(n.div_ceil(2048)) + 1.0
}

fn lengths() -> impl Strategy<Value = usize> {
    prop_oneof![
        prop::sample::select(vec![
            0usize, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 131,
            257, 2047, 2048, 2049, 4095, 4097, 6143, 10007
        ]),
        0usize..5000,
    ]
}

fn check_sum_dot<T: Element>(x: &[T], y: &[T]) -> Result<(), TestCaseError> {
    let u = T::EPSILON.to_f64() / 2.0;
    let n = x.len();
    let want: f64 = x.iter().map(|v| v.to_f64()).sum();
    let abs: f64 = x.iter().map(|v| v.to_f64().abs()).sum();
    let wdot: f64 = x.iter().zip(y).map(|(a, b)| a.to_f64() * b.to_f64()).sum();
    let adot: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| (a.to_f64() * b.to_f64()).abs())
        .sum();
    for isa in Isa::available() {
        let s = isa.sum(x).to_f64();
        prop_assert!(
            (s - want).abs() <= sum_bound(n) * u * abs,
            "{}: sum {} vs {}",
            isa,
            s,
            want
        );
        let d = isa.dot(x, y).to_f64();
        prop_assert!(
            (d - wdot).abs() <= sum_bound(n) * u * adot,
            "{}: dot {} vs {}",
            isa,
            d,
            wdot
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sum_dot_f32(n in lengths(), seed in any::<u64>()) {
        let x = values::<f32>(n, seed);
        let y = values::<f32>(n, seed ^ 0xabcdef);
        check_sum_dot(&x, &y)?;
    }

    #[test]
    fn sum_dot_f64(n in lengths(), seed in any::<u64>()) {
        let x = values::<f64>(n, seed);
        let y = values::<f64>(n, seed ^ 0xabcdef);
        check_sum_dot(&x, &y)?;
    }

    #[test]
    fn max_argmax(n in 1usize..300, seed in any::<u64>(), ties in 0usize..4, nan_at in prop::option::of(0usize..300)) {
        // Values on a coarse grid so that ties are frequent.
        let mut x: Vec<f32> = values::<f32>(n, seed).iter().map(|v| (v * 4.0).round()).collect();
        let m = x.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        for t in 0..ties {
            let i = (seed as usize).wrapping_add(t * 7919) % n;
            x[i] = m;
        }
        let want_max = if let Some(k) = nan_at.filter(|&k| k < n) {
            x[k] = f32::NAN;
            None
        } else {
            Some(m)
        };
        let want_arg = x.iter().position(|v| v.is_nan()).unwrap_or_else(|| x.iter().position(|&v| v == m).unwrap());
        let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        for isa in Isa::available() {
            prop_assert_eq!(isa.argmax(&x), Some(want_arg), "{}", isa);
            prop_assert_eq!(isa.argmax(&x64), Some(want_arg), "{}", isa);
            let got = isa.max(&x).unwrap();
            let got64 = isa.max(&x64).unwrap();
            match want_max {
                Some(w) => { prop_assert_eq!(got, w); prop_assert_eq!(got64, w as f64); }
                None => { prop_assert!(got.is_nan() && got64.is_nan()); }
            }
        }
    }

    #[test]
    fn col_row_sums(rows in prop::sample::select(vec![0usize, 1, 2, 3, 63, 64, 65, 129, 200]),
                    cols in lengths().prop_map(|c| c % 300), seed in any::<u64>()) {
        let x = values::<f32>(rows * cols, seed);
        let u = f32::EPSILON as f64 / 2.0;
        for isa in Isa::available() {
            let mut cs = vec![f32::NAN; cols];
            isa.col_sums(&x, cols, &mut cs);
            for j in 0..cols {
                let col = (0..rows).map(|i| x[i * cols + j] as f64);
                let (want, abs) = col.fold((0.0, 0.0), |(s, a), v| (s + v, a + v.abs()));
                let bound = (64.0 + 2.0 * log2_ceil(rows.div_ceil(64))) * u * abs;
                prop_assert!((cs[j] as f64 - want).abs() <= bound, "{}: col {}", isa, j);
            }
            let mut rs = vec![f32::NAN; rows];
            isa.row_sums(&x, cols, &mut rs);
            for i in 0..rows {
                let row = &x[i * cols..(i + 1) * cols];
                let want: f64 = row.iter().map(|&v| v as f64).sum();
                let abs: f64 = row.iter().map(|&v| (v as f64).abs()).sum();
                prop_assert!((rs[i] as f64 - want).abs() <= sum_bound(cols) * u * abs, "{}: row {}", isa, i);
            }
        }
    }

    #[test]
    fn axpy_scale(n in lengths(), seed in any::<u64>(), alpha in -3.0f64..3.0) {
        let x = values::<f64>(n, seed);
        let y = values::<f64>(n, !seed);
        let u = f64::EPSILON / 2.0;
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
        let a32 = alpha as f32;
        for isa in Isa::available() {
            let mut z = y.clone();
            isa.axpy(alpha, &x, &mut z);
            for i in 0..n {
                let want = alpha * x[i] + y[i];
                let bound = 2.0 * u * ((alpha * x[i]).abs() + y[i].abs());
                prop_assert!((z[i] - want).abs() <= bound, "{}: axpy[{}]", isa, i);
            }
            let mut z32 = y32.clone();
            isa.axpy(a32, &x32, &mut z32);
            let u32_ = f32::EPSILON as f64 / 2.0;
            for i in 0..n {
                let want = a32 as f64 * x32[i] as f64 + y32[i] as f64;
                let bound = 2.0 * u32_ * ((a32 as f64 * x32[i] as f64).abs() + (y32[i] as f64).abs());
                prop_assert!((z32[i] as f64 - want).abs() <= bound, "{}: axpy f32[{}]", isa, i);
            }
            let mut s = x.clone();
            isa.scale(alpha, &mut s);
            for i in 0..n {
                prop_assert_eq!(s[i], alpha * x[i], "{}: scale[{}]", isa, i);
            }
            let mut s32 = x32.clone();
            isa.scale(a32, &mut s32);
            for i in 0..n {
                prop_assert_eq!(s32[i], a32 * x32[i], "{}: scale f32[{}]", isa, i);
            }
        }
    }
}

/// Deterministic values in [−1, 1) from a seed.
fn values<T: Element>(n: usize, seed: u64) -> Vec<T> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            T::from_f64(((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0)
        })
        .collect()
}

/// Sums and dot products long enough (16 MiB and more) to run on the
/// AVX-512 path with 256-bit vectors meet the bound on every path, and there
/// give the AVX2 path's bits (the same vector code, which shows the
/// narrower vectors are the ones used).
#[test]
fn streamed_sums_meet_the_bound() {
    let n = (1 << 22) + 2049;
    let x: Vec<f32> = values(n, 3);
    let y: Vec<f32> = values(n, 4);
    check_sum_dot(&x, &y).unwrap();
    let paths = Isa::available();
    if paths.contains(&Isa::Avx512) && paths.contains(&Isa::Avx2) {
        assert_eq!(Isa::Avx512.sum(&x).to_bits(), Isa::Avx2.sum(&x).to_bits());
        assert_eq!(
            Isa::Avx512.dot(&x, &y).to_bits(),
            Isa::Avx2.dot(&x, &y).to_bits()
        );
        // Below the threshold the AVX-512 path keeps its own vectors.
        let short = &x[..1 << 20];
        assert_ne!(
            Isa::Avx512.sum(short).to_bits(),
            Isa::Avx2.sum(short).to_bits()
        );
    }
}

/// A sum a plain loop gets badly wrong: 1 followed by 2²⁰ halves of an ULP
/// of 1. Each plain `+` rounds back to 1 (error 2⁻⁴ = 0.0625); the blocked
/// sum must meet its bound.
#[test]
fn sum_beats_plain_loop() {
    let mut x = vec![f32::EPSILON / 2.0; 1 << 20];
    x[0] = 1.0;
    let exact = 1.0 + (((1 << 20) - 1) as f64) * (f32::EPSILON as f64 / 2.0);
    let plain: f32 = x.iter().sum();
    assert!((plain as f64 - exact).abs() > 0.06);
    let bound = sum_bound(x.len()) * (f32::EPSILON as f64 / 2.0) * exact;
    for isa in Isa::available() {
        let s = isa.sum(&x) as f64;
        println!(
            "{isa}: sum error {:e} (bound {bound:e}, plain loop {:e})",
            (s - exact).abs(),
            (plain as f64 - exact).abs()
        );
        assert!((s - exact).abs() <= bound, "{isa}: {s} vs {exact}");
    }
    assert_eq!(kernels::sum(&x), kernels::isa().sum(&x));
}

#[test]
fn empty_and_special() {
    for isa in Isa::available() {
        assert_eq!(isa.sum::<f32>(&[]), 0.0);
        assert_eq!(isa.dot::<f64>(&[], &[]), 0.0);
        assert_eq!(isa.max::<f32>(&[]), None);
        assert_eq!(isa.argmax::<f64>(&[]), None);
        let ninf = [f32::NEG_INFINITY; 5];
        assert_eq!(isa.argmax(&ninf), Some(0));
        assert_eq!(isa.max(&ninf), Some(f32::NEG_INFINITY));
        let with_inf = [1.0, f32::INFINITY, 2.0, f32::INFINITY];
        assert_eq!(isa.argmax(&with_inf), Some(1));
        assert_eq!(isa.max(&with_inf), Some(f32::INFINITY));
        let mut long = vec![0.0f64; 100];
        long[77] = f64::NAN;
        long[90] = f64::NAN;
        assert_eq!(isa.argmax(&long), Some(77));
        let mut out = [1.0f32; 3];
        isa.row_sums(&[], 0, &mut out);
        assert_eq!(out, [0.0; 3]);
        let mut out: [f32; 0] = [];
        isa.col_sums(&[], 0, &mut out);
        let mut out = [1.0f32; 4];
        isa.col_sums(&[], 4, &mut out);
        assert_eq!(out, [0.0; 4]);
    }
}

#[test]
#[should_panic(expected = "kernels::dot: `x` has 3 elements but `y` has 2")]
fn dot_mismatch_panics() {
    kernels::dot(&[1.0f32; 3], &[1.0f32; 2]);
}

#[test]
#[should_panic(expected = "kernels::axpy: `x` has 2 elements but `y` has 3")]
fn axpy_mismatch_panics() {
    kernels::axpy(1.0f64, &[1.0; 2], &mut [1.0; 3]);
}

#[test]
#[should_panic(expected = "kernels::col_sums: `out` has 2 elements but cols = 3")]
fn col_sums_mismatch_panics() {
    kernels::col_sums(&[1.0f32; 6], 3, &mut [0.0; 2]);
}

#[test]
#[should_panic(expected = "kernels::row_sums: `out` has 3 elements but `x` has 2 rows")]
fn row_sums_mismatch_panics() {
    kernels::row_sums(&[1.0f32; 6], 3, &mut [0.0; 3]);
}

/// `axpy`, `scale` and the SGD update (with momentum, Nesterov and weight
/// decay) give the AVX2 path's bits on the AVX-512 path at
/// every length around the bound below which that path runs elementwise
/// kernels with 256-bit vectors, and past it with 512-bit ones: each
/// element's arithmetic is the same whatever the width, so the bound is a
/// choice of speed only.
#[test]
fn short_elementwise_kernels_keep_their_bits_on_avx512() {
    let paths = Isa::available();
    if !(paths.contains(&Isa::Avx512) && paths.contains(&Isa::Avx2)) {
        return;
    }
    for n in 0..=130 {
        let x: Vec<f32> = values(n, 11);
        let y0: Vec<f32> = values(n, 12);
        let run = |isa: Isa| {
            let mut y = y0.clone();
            isa.axpy(0.37, &x, &mut y);
            let mut z = y0.clone();
            isa.scale(-1.7, &mut z);
            let h = kernels::SgdHyper {
                lr: 0.1,
                momentum: 0.9,
                dampening: 0.1,
                weight_decay: 0.01,
                nesterov: true,
                maximize: false,
            };
            let (mut p, mut buf) = (y0.clone(), x.clone());
            isa.sgd_update(&mut p, &x, kernels::MomentumBuffer::Next(&mut buf), &h);
            (y, z, p, buf)
        };
        let bits = |v: &[f32]| v.iter().map(|e| e.to_bits()).collect::<Vec<_>>();
        let ((y5, z5, p5, b5), (y2, z2, p2, b2)) = (run(Isa::Avx512), run(Isa::Avx2));
        assert_eq!(bits(&y5), bits(&y2), "axpy, {n} elements");
        assert_eq!(bits(&z5), bits(&z2), "scale, {n} elements");
        assert_eq!(bits(&p5), bits(&p2), "sgd_update parameters, {n} elements");
        assert_eq!(bits(&b5), bits(&b2), "sgd_update buffer, {n} elements");
    }
}
