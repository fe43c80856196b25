//! Accuracy of `exp` on every available path.
//!
//! # References
//! - `f32`: the exact `eˣ` is approximated by `(x as f64).exp()`, whose error is
//!   below 1 f64 ULP (2⁻⁵² relative). The error of our result is measured in
//!   f32 ULPs against that f64 value *without* rounding it to f32 first, so the
//!   double-rounding problem does not arise: the measured error is exact up to
//!   ±2⁻²⁸ ULP. Only the overflow decision needs a rounded reference; there an
//!   input whose f64 value lies within 2⁻⁴⁰ (relative) of the rounding
//!   boundary would be ambiguous — the test asserts that none is.
//! - `f64`: a double-double evaluation in this file (about 100 correct bits),
//!   so the f64 error is measured exactly up to ~2⁻⁴⁰ ULP; `f64::exp` is only
//!   used to check the overflow/underflow thresholds.

use kernels::Isa;
use proptest::prelude::*;

// ---------------------------------------------------------------- f32 ----

/// The f32 ULP at the real number `e > 0` (subnormal spacing below 2⁻¹²⁶).
fn ulp_f32(e: f64) -> f64 {
    let ex = ((e.to_bits() >> 52) as i32 - 1023).max(-126);
    2f64.powi(ex - 23)
}

/// Error of `got` against the f64 reference `e` in f32 ULPs; 0 when both are
/// the same special value, ∞ on any disagreement about NaN or overflow.
fn err_f32(got: f32, e: f64) -> f64 {
    if e.is_nan() || got.is_nan() {
        return if e.is_nan() && got.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    // Correctly rounded f32 overflows iff e ≥ f32::MAX + ½ULP = 2¹²⁸ − 2¹⁰³.
    let boundary = 2f64.powi(128) - 2f64.powi(103);
    if e.is_finite() {
        assert!(
            ((e - boundary) / boundary).abs() > 2f64.powi(-40),
            "ambiguous reference at the overflow boundary"
        );
    }
    let want_inf = e >= boundary;
    if got.is_infinite() || want_inf {
        return if got.is_infinite() && want_inf {
            0.0
        } else {
            f64::INFINITY
        };
    }
    (got as f64 - e).abs() / ulp_f32(e)
}

/// Maximum error of `isa.exp` over `xs`, with the worst input.
fn max_err_f32(isa: Isa, xs: &[f32], refs: &[f64]) -> (f64, f32) {
    let mut out = vec![0f32; xs.len()];
    isa.exp(xs, &mut out);
    let mut worst = (0.0, 0.0);
    for ((&x, &g), &e) in xs.iter().zip(&out).zip(refs) {
        let err = err_f32(g, e);
        if err > worst.0 {
            worst = (err, x);
        }
    }
    worst
}

fn check_range_f32(name: &str, xs: &[f32]) {
    let refs: Vec<f64> = xs.iter().map(|&x| (x as f64).exp()).collect();
    for isa in Isa::available() {
        let (err, x) = max_err_f32(isa, xs, &refs);
        println!(
            "exp f32 {isa:>8} {name}: {} inputs, max error {err:.4} ULP (at x = {x:e})",
            xs.len()
        );
        assert!(
            err <= 2.0,
            "{isa}: exp({x:e}) is {err} ULP off (> 2) in {name}"
        );
    }
}

/// Every `step`-th bit pattern of the f32s in `[lo, hi]` (same sign).
fn sweep(lo: f32, hi: f32, step: u32) -> Vec<f32> {
    let (a, b) = (
        lo.to_bits().min(hi.to_bits()),
        lo.to_bits().max(hi.to_bits()),
    );
    (a..=b).step_by(step as usize).map(f32::from_bits).collect()
}

#[test]
fn f32_dense_sweep() {
    // Every 61st bit pattern (61 is prime, so all low mantissa bits are
    // exercised) over [−104, 89], in pieces to bound memory.
    let step = 61;
    let pieces = [(0.0f32, 1e-30f32), (1e-30, 1e-6), (1e-6, 1.0), (1.0, 89.0)];
    for &(a, b) in &pieces {
        check_range_f32(&format!("sweep [{a:e}, {b:e}]"), &sweep(a, b, step));
        check_range_f32(&format!("sweep [{:e}, {:e}]", -b, -a), &sweep(-a, -b, step));
    }
    check_range_f32("sweep [−104, −89]", &sweep(-89.0, -104.0, step));
}

#[test]
fn f32_exhaustive_subnormal_and_overflow_ranges() {
    // Every f32 whose exp is subnormal or underflows, down to −104
    // (e^−87.336 = 2⁻¹²⁶), and every f32 in [88, 89] (overflow at 88.7228).
    check_range_f32("all of [−104, −87.3]", &sweep(-87.3, -104.0, 1));
    check_range_f32("all of [88, 89]", &sweep(88.0, 89.0, 1));
}

#[test]
fn f32_thresholds_match_std() {
    let mut xs = sweep(88.0, 89.0, 1);
    xs.extend(sweep(-103.0, -104.5, 1));
    for isa in Isa::available() {
        let mut out = vec![0f32; xs.len()];
        isa.exp(&xs, &mut out);
        for (&x, &g) in xs.iter().zip(&out) {
            let s = x.exp();
            assert_eq!(g.is_infinite(), s.is_infinite(), "{isa}: overflow at {x:e}");
            assert_eq!(
                g == 0.0,
                s == 0.0,
                "{isa}: underflow at {x:e}: {g:e} vs {s:e}"
            );
        }
    }
}

fn specials_f32() -> Vec<f32> {
    vec![
        f32::NAN,
        -f32::NAN,
        f32::from_bits(0x7fc0_1234),
        f32::from_bits(0x7f80_0001),
        f32::INFINITY,
        f32::NEG_INFINITY,
        0.0,
        -0.0,
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        f32::from_bits(1),
        -f32::from_bits(1),
        f32::EPSILON,
        1.0,
        -1.0,
        1e30,
        -1e30,
        88.72283,
        88.72284,
        -103.97207,
        -103.97209,
        -87.33655,
    ]
}

#[test]
fn f32_special_values() {
    let xs = specials_f32();
    for isa in Isa::available() {
        let mut out = vec![0f32; xs.len()];
        isa.exp(&xs, &mut out);
        for (&x, &g) in xs.iter().zip(&out) {
            let s = x.exp();
            if s.is_nan() {
                assert!(g.is_nan(), "{isa}: exp({x}) = {g}, want NaN");
            } else if s.is_infinite() || s == 0.0 || x == 0.0 {
                assert_eq!(g, s, "{isa}: exp({x:e})");
            } else {
                assert!(
                    err_f32(g, (x as f64).exp()) <= 2.0,
                    "{isa}: exp({x:e}) = {g:e}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------- f64 ----

/// Double-double arithmetic for the f64 reference.
mod dd {
    #[derive(Clone, Copy, Debug)]
    pub struct Dd(pub f64, pub f64);

    fn two_sum(a: f64, b: f64) -> Dd {
        let s = a + b;
        let bb = s - a;
        Dd(s, (a - (s - bb)) + (b - bb))
    }
    fn fast_two_sum(a: f64, b: f64) -> Dd {
        let s = a + b;
        Dd(s, b - (s - a))
    }
    fn two_prod(a: f64, b: f64) -> Dd {
        let p = a * b;
        Dd(p, a.mul_add(b, -p))
    }
    pub fn add(a: Dd, b: Dd) -> Dd {
        let s = two_sum(a.0, b.0);
        let t = two_sum(a.1, b.1);
        let s = fast_two_sum(s.0, s.1 + t.0);
        fast_two_sum(s.0, s.1 + t.1)
    }
    pub fn mul(a: Dd, b: Dd) -> Dd {
        let p = two_prod(a.0, b.0);
        fast_two_sum(p.0, p.1 + (a.0 * b.1 + a.1 * b.0))
    }
    pub fn scale(a: Dd, s: f64) -> Dd {
        Dd(a.0 * s, a.1 * s)
    }
}

/// `eˣ = 2ⁿ · s` in double-double (about 100 correct bits): `r = x − n·ln2`
/// with ln 2 to 107 bits, `s = e^r` by a Taylor series of degree 12 on
/// `r/2¹⁰` (remainder < 10⁻⁴⁵) followed by ten squarings.
fn ref_exp_f64(x: f64) -> (i32, dd::Dd) {
    use dd::*;
    let n = (x / std::f64::consts::LN_2).round();
    let np = mul(
        Dd(std::f64::consts::LN_2, 2.319_046_813_846_299_6e-17),
        Dd(n, 0.0),
    );
    let r = add(Dd(x, 0.0), Dd(-np.0, -np.1));
    let r = scale(r, 2f64.powi(-10));
    // Horner on Σ rᵏ/k! = 1 + r(1 + r/2(1 + r/3(1 + …))): each step divides a
    // double-double by a small integer k, done exactly enough by
    // q = hi/k, then the remainder (hi − q·k + lo)/k.
    let div = |a: Dd, k: f64| -> Dd {
        let q = a.0 / k;
        let rem = (-q).mul_add(k, a.0) + a.1;
        let q2 = rem / k;
        let s = q + q2;
        Dd(s, q2 - (s - q))
    };
    let mut s = Dd(1.0, 0.0);
    for k in (1..=12).rev() {
        s = add(Dd(1.0, 0.0), mul(div(r, k as f64), s));
    }
    for _ in 0..10 {
        s = mul(s, s);
    }
    (n as i32, s)
}

/// Error of `got` in f64 ULPs against `eˣ`, computed relative to the
/// reduced argument so that subnormal results are measured correctly.
fn err_f64(x: f64, got: f64) -> f64 {
    let (n, s) = ref_exp_f64(x);
    // The exact value is 2ⁿ·s with s ∈ [0.7, 1.42]; its f64 exponent:
    let e_exp = n + ((s.0.to_bits() >> 52) as i32 - 1023);
    let overflow_boundary_exp = 1024; // 2¹⁰²⁴ − 2⁹⁷⁰ rounds to ∞
    if e_exp >= overflow_boundary_exp || got.is_infinite() {
        let want_inf = e_exp >= overflow_boundary_exp
            || (e_exp == 1023 && s.0 * 2f64.powi(1023 - n) >= 2.0 - 2f64.powi(-53));
        return if got.is_infinite() == want_inf {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let ulp_exp = e_exp.max(-1022) - 52;
    // got·2⁻ⁿ is exact (a power-of-two scaling of a number far from the
    // overflow and underflow limits after scaling).
    let scaled = got * 2f64.powi(-n / 2) * 2f64.powi(-(n - n / 2));
    let diff = (scaled - s.0) - s.1;
    diff.abs() / 2f64.powi(ulp_exp - n)
}

fn check_range_f64(name: &str, xs: &[f64]) {
    for isa in Isa::available() {
        let mut out = vec![0f64; xs.len()];
        isa.exp(xs, &mut out);
        let mut worst = (0.0, 0.0);
        for (&x, &g) in xs.iter().zip(&out) {
            let e = err_f64(x, g);
            if e > worst.0 {
                worst = (e, x);
            }
        }
        println!(
            "exp f64 {isa:>8} {name}: {} inputs, max error {:.4} ULP (at x = {:e})",
            xs.len(),
            worst.0,
            worst.1
        );
        assert!(
            worst.0 <= 2.0,
            "{isa}: exp({:e}) is {} ULP off in {name}",
            worst.1,
            worst.0
        );
    }
}

/// `count` pseudo-random points spread uniformly over `[a, b]`.
fn uniform(a: f64, b: f64, count: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..count)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            a + (b - a) * ((s >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

#[test]
fn f64_reference_agrees_with_std() {
    // The double-double reference and `f64::exp` must agree within 1 ULP.
    for &x in &uniform(-700.0, 700.0, 20_000, 7) {
        let (n, s) = ref_exp_f64(x);
        let want = s.0 * 2f64.powi(n);
        let e = err_f64(x, x.exp());
        assert!(
            e < 1.0,
            "reference disagrees with std at {x}: {want:e} vs {:e}",
            x.exp()
        );
    }
}

#[test]
fn f64_ranges() {
    check_range_f64(
        "uniform [−745.2, 709.8]",
        &uniform(-745.2, 709.8, 200_000, 1),
    );
    check_range_f64("uniform [−1, 1]", &uniform(-1.0, 1.0, 100_000, 2));
    check_range_f64("uniform [−1e−8, 1e−8]", &uniform(-1e-8, 1e-8, 20_000, 3));
    check_range_f64(
        "subnormal results [−745.2, −708.3]",
        &uniform(-745.2, -708.3, 100_000, 4),
    );
    check_range_f64(
        "near overflow [709, 709.8]",
        &uniform(709.0, 709.79, 50_000, 5),
    );
}

#[test]
fn f64_thresholds_match_std() {
    // Every f64 within 2¹⁸ ULP of the overflow and underflow thresholds.
    let mut xs = Vec::new();
    for t in [709.782712893384f64, -745.1332191019411, -708.3964185322641] {
        let b = t.to_bits();
        xs.extend(
            (b - (1 << 18)..b + (1 << 18))
                .step_by(3)
                .map(f64::from_bits),
        );
    }
    for isa in Isa::available() {
        let mut out = vec![0f64; xs.len()];
        isa.exp(&xs, &mut out);
        for (&x, &g) in xs.iter().zip(&out) {
            let s = x.exp();
            assert_eq!(g.is_infinite(), s.is_infinite(), "{isa}: overflow at {x:e}");
            assert_eq!(g == 0.0, s == 0.0, "{isa}: underflow at {x:e}");
            assert!(err_f64(x, g) <= 2.0, "{isa}: exp({x:e}) = {g:e}");
        }
    }
}

#[test]
fn f64_special_values() {
    let xs = [
        f64::NAN,
        -f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        f64::from_bits(1),
        1e300,
        -1e300,
        1.0,
    ];
    for isa in Isa::available() {
        let mut out = vec![0f64; xs.len()];
        isa.exp(&xs, &mut out);
        for (&x, &g) in xs.iter().zip(&out) {
            let s = x.exp();
            if s.is_nan() {
                assert!(g.is_nan(), "{isa}: exp({x}) = {g}");
            } else if s.is_infinite() || s == 0.0 || x == 0.0 {
                assert_eq!(g, s, "{isa}: exp({x:e})");
            } else {
                assert!(err_f64(x, g) <= 2.0, "{isa}: exp({x:e}) = {g:e}");
            }
        }
    }
}

// ------------------------------------------------- slices and dispatch ----

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any length and offset: every element within 2 ULP, in place equal to
    /// out of place, and the top-level function equal to its path.
    #[test]
    fn slices_any_length(
        v in prop::collection::vec(-110.0f32..95.0, 0..80),
        w in prop::collection::vec(-800.0f64..720.0, 0..40),
        off in 0usize..3,
    ) {
        let v = &v[off.min(v.len())..];
        let w = &w[off.min(w.len())..];
        for isa in Isa::available() {
            let mut o = vec![0f32; v.len()];
            isa.exp(v, &mut o);
            let mut ip = v.to_vec();
            isa.exp_inplace(&mut ip);
            for ((&x, &g), &h) in v.iter().zip(&o).zip(&ip) {
                prop_assert!(err_f32(g, (x as f64).exp()) <= 2.0, "{isa}: exp({x})");
                prop_assert_eq!(g.to_bits(), h.to_bits());
            }
            let mut o64 = vec![0f64; w.len()];
            isa.exp(w, &mut o64);
            let mut ip64 = w.to_vec();
            isa.exp_inplace(&mut ip64);
            for ((&x, &g), &h) in w.iter().zip(&o64).zip(&ip64) {
                prop_assert!(err_f64(x, g) <= 2.0, "{isa}: exp({x})");
                prop_assert_eq!(g.to_bits(), h.to_bits());
            }
        }
        let mut a = vec![0f32; v.len()];
        let mut b = vec![0f32; v.len()];
        kernels::exp(v, &mut a);
        kernels::isa().exp(v, &mut b);
        prop_assert_eq!(a, b);
    }
}

#[test]
#[should_panic(expected = "`x` has 3 elements but `out` has 2")]
fn length_mismatch_panics() {
    kernels::exp(&[1.0f32, 2.0, 3.0], &mut [0.0f32; 2]);
}
