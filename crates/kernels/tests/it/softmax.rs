//! The softmax family on every available path, against an f64 reference.
//!
//! Error bounds (ε = the element type's machine epsilon, u = ε/2 the unit
//! roundoff, k = the number of additions in a row's sum along one accumulator
//! lane plus the tree that combines lanes, at most `⌈cols/16⌉ + 6` on every
//! path):
//! - softmax: relative error ≤ (|x − m| + k + 8)·u: `x − m` rounds once
//!   (absolute |x − m|·u in the exponent), `exp` is within 2 ULP (4u), the sum
//!   within k·u, the reciprocal and the product u each.
//! - row sums of softmax: |Σ − 1| ≤ (k + 4)·u (the exponentials' own errors
//!   cancel between numerator and sum).
//! - log_softmax and logsumexp: absolute error ≤ (|x − m| + |result| + k + 4)·ε.

use kernels::{Element, Isa};
use proptest::prelude::*;

/// f64 reference of one row: (softmax, log_softmax, logsumexp).
fn reference(row: &[f64]) -> (Vec<f64>, Vec<f64>, f64) {
    let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = row.iter().map(|&v| (v - m).exp()).sum();
    let sm = row.iter().map(|&v| (v - m).exp() / s).collect();
    let ls = row.iter().map(|&v| (v - m) - s.ln()).collect();
    (sm, ls, m + s.ln())
}

fn k_of(cols: usize) -> f64 {
    (cols.div_ceil(16) + 6) as f64
}

/// Checks every path and both in-place and out-of-place forms on a matrix.
fn check<T: Element>(x: &[T], cols: usize) -> Result<(), TestCaseError> {
    let rows = x.len().checked_div(cols).unwrap_or(0);
    let eps = T::EPSILON.to_f64();
    let k = k_of(cols);
    let tiny = T::MIN_POSITIVE.to_f64() * T::EPSILON.to_f64() * 4.0;
    for isa in Isa::available() {
        let mut sm = vec![T::ZERO; x.len()];
        let mut ls = vec![T::ZERO; x.len()];
        let mut lse = vec![T::ZERO; rows];
        isa.softmax_rows(x, cols, &mut sm);
        isa.log_softmax_rows(x, cols, &mut ls);
        isa.logsumexp_rows(x, cols, &mut lse);
        let mut sm2 = x.to_vec();
        isa.softmax_rows_inplace(&mut sm2, cols);
        let mut ls2 = x.to_vec();
        isa.log_softmax_rows_inplace(&mut ls2, cols);
        for (a, b) in sm.iter().zip(&sm2).chain(ls.iter().zip(&ls2)) {
            prop_assert_eq!(
                a.to_f64().to_bits(),
                b.to_f64().to_bits(),
                "{}: in place differs",
                isa
            );
        }
        for r in 0..rows {
            let row: Vec<f64> = x[r * cols..(r + 1) * cols]
                .iter()
                .map(|v| v.to_f64())
                .collect();
            let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let (rs, rl, rlse) = reference(&row);
            let mut total = 0.0;
            for j in 0..cols {
                let (p, want) = (sm[r * cols + j].to_f64(), rs[j]);
                total += p;
                let tol = ((row[j] - m).abs() + k + 8.0) * (eps / 2.0) * want + tiny;
                prop_assert!(
                    (p - want).abs() <= tol,
                    "{}: softmax[{},{}] = {:e}, want {:e} (x = {:e})",
                    isa,
                    r,
                    j,
                    p,
                    want,
                    row[j]
                );
                let (l, want) = (ls[r * cols + j].to_f64(), rl[j]);
                let want_t = T::from_f64(want).to_f64();
                if want_t.is_infinite() {
                    prop_assert_eq!(l, want_t, "{}: log_softmax[{},{}]", isa, r, j);
                } else {
                    let tol = ((row[j] - m).abs() + want.abs() + k + 4.0) * eps;
                    prop_assert!(
                        (l - want).abs() <= tol,
                        "{}: log_softmax[{},{}] = {:e}, want {:e}",
                        isa,
                        r,
                        j,
                        l,
                        want
                    );
                }
                // log_softmax = ln(softmax) where softmax is a normal number.
                if p >= T::MIN_POSITIVE.to_f64() {
                    let tol = ((row[j] - m).abs() + l.abs() + 2.0 * k + 12.0) * eps;
                    prop_assert!(
                        (p.ln() - l).abs() <= tol,
                        "{}: ln(softmax) ≠ log_softmax",
                        isa
                    );
                }
            }
            prop_assert!(
                (total - 1.0).abs() <= (k + 4.0) * (eps / 2.0),
                "{}: row {} sums to 1 + {:e}",
                isa,
                r,
                total - 1.0
            );
            let got = lse[r].to_f64();
            let tol = (rlse.abs() + k + 4.0) * eps;
            prop_assert!(
                (got - rlse).abs() <= tol,
                "{}: lse[{}] = {:e}, want {:e}",
                isa,
                r,
                got,
                rlse
            );
        }
    }
    Ok(())
}

/// Column counts around the vector widths (4, 8, 16 lanes, ×4 unrolled).
fn cols_strategy() -> impl Strategy<Value = usize> {
    prop_oneof![
        prop::sample::select(vec![
            0usize, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 131
        ]),
        0usize..300,
    ]
}

fn matrix<T: Clone + core::fmt::Debug>(
    elem: impl Strategy<Value = T> + Clone,
) -> impl Strategy<Value = (Vec<T>, usize)> {
    (cols_strategy(), 0usize..6).prop_flat_map(move |(cols, rows)| {
        (prop::collection::vec(elem.clone(), rows * cols), Just(cols))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn f32_random((x, cols) in matrix(-40.0f32..40.0)) {
        check(&x, cols)?;
    }

    #[test]
    fn f32_wide_range((x, cols) in matrix(prop_oneof![-1e30f32..1e30, -200.0f32..200.0])) {
        check(&x, cols)?;
    }

    #[test]
    fn f64_random((x, cols) in matrix(-700.0f64..700.0)) {
        check(&x, cols)?;
    }

    /// softmax(x + c) = softmax(x) bit for bit when x + c is exact (x on a
    /// 2⁻¹⁰ grid, c an integer): the row maximum moves by c and x − m is the
    /// same number.
    #[test]
    fn shift_invariance(
        (q, cols) in matrix(-50_000i32..50_000),
        c in -1000i32..1000,
    ) {
        let x: Vec<f32> = q.iter().map(|&v| v as f32 / 1024.0).collect();
        let y: Vec<f32> = x.iter().map(|&v| v + c as f32).collect();
        for isa in Isa::available() {
            let (mut a, mut b) = (vec![0f32; x.len()], vec![0f32; x.len()]);
            isa.softmax_rows(&x, cols, &mut a);
            isa.softmax_rows(&y, cols, &mut b);
            prop_assert_eq!(&a, &b);
            isa.log_softmax_rows(&x, cols, &mut a);
            isa.log_softmax_rows(&y, cols, &mut b);
            prop_assert_eq!(&a, &b);
        }
    }
}

#[test]
fn extreme_finite_logits() {
    let big = [f32::MAX, -f32::MAX, 1e30, -1e30, 0.0, 3.0];
    for cols in [2usize, 6, 17, 40] {
        let x: Vec<f32> = (0..cols * 3)
            .map(|i| big[(i * 7 + i / 5) % big.len()])
            .collect();
        check(&x, cols).unwrap();
        for isa in Isa::available() {
            let mut p = vec![0f32; x.len()];
            isa.softmax_rows(&x, cols, &mut p);
            assert!(p.iter().all(|v| v.is_finite()), "{isa}: non-finite softmax");
            let mut lse = vec![0f32; 3];
            isa.logsumexp_rows(&x, cols, &mut lse);
            assert!(lse.iter().all(|v| !v.is_nan()), "{isa}: NaN logsumexp");
        }
    }
}

#[test]
fn non_finite_rows() {
    let ninf = f32::NEG_INFINITY;
    // Rows: all −∞; contains +∞; contains NaN; finite with a −∞ entry.
    let x = [
        ninf,
        ninf,
        ninf, //
        1.0,
        f32::INFINITY,
        2.0, //
        1.0,
        f32::NAN,
        2.0, //
        0.0,
        ninf,
        0.0,
    ];
    for isa in Isa::available() {
        let mut p = [0f32; 12];
        let mut l = [0f32; 12];
        let mut lse = [0f32; 4];
        isa.softmax_rows(&x, 3, &mut p);
        isa.log_softmax_rows(&x, 3, &mut l);
        isa.logsumexp_rows(&x, 3, &mut lse);
        assert!(
            p[..9].iter().chain(&l[..9]).all(|v| v.is_nan()),
            "{isa}: {p:?} {l:?}"
        );
        assert_eq!(lse[0], ninf, "{isa}");
        assert_eq!(lse[1], f32::INFINITY, "{isa}");
        assert!(lse[2].is_nan(), "{isa}");
        assert_eq!(&p[9..], &[0.5, 0.0, 0.5], "{isa}");
        assert_eq!(&l[9..], &[-(2f32.ln()), ninf, -(2f32.ln())], "{isa}");
        assert_eq!(lse[3], 2f32.ln(), "{isa}");
    }
}

#[test]
fn threaded_rows_equal_single_rows() {
    // Large enough to be split across threads; each row must equal the
    // same row computed alone.
    let (rows, cols) = (300, 263);
    let x: Vec<f32> = (0..rows * cols)
        .map(|i| ((i * 7919) % 1013) as f32 / 37.0 - 13.0)
        .collect();
    for isa in Isa::available() {
        let mut all = vec![0f32; x.len()];
        isa.softmax_rows(&x, cols, &mut all);
        let mut lse = vec![0f32; rows];
        isa.logsumexp_rows(&x, cols, &mut lse);
        for r in 0..rows {
            let mut one = vec![0f32; cols];
            isa.softmax_rows(&x[r * cols..(r + 1) * cols], cols, &mut one);
            assert_eq!(&all[r * cols..(r + 1) * cols], &one[..], "{isa}: row {r}");
            let mut l1 = [0f32];
            isa.logsumexp_rows(&x[r * cols..(r + 1) * cols], cols, &mut l1);
            assert_eq!(lse[r], l1[0], "{isa}: row {r}");
        }
    }
    let mut a = vec![0f32; x.len()];
    kernels::softmax_rows(&x, cols, &mut a);
    let mut b = vec![0f32; x.len()];
    kernels::isa().softmax_rows(&x, cols, &mut b);
    assert_eq!(a, b);
}

#[test]
#[should_panic(expected = "`x` has 6 elements but `out` has 5")]
fn softmax_length_mismatch_panics() {
    kernels::softmax_rows(&[0.0f32; 6], 3, &mut [0.0f32; 5]);
}

#[test]
#[should_panic(expected = "`x` has 7 elements, not a multiple of cols = 3")]
fn softmax_ragged_panics() {
    kernels::softmax_rows_inplace(&mut [0.0f32; 7], 3);
}

#[test]
#[should_panic(expected = "`out` has 3 elements but `x` has 2 rows")]
fn logsumexp_out_length_panics() {
    kernels::logsumexp_rows(&[0.0f64; 6], 3, &mut [0.0f64; 3]);
}
