//! `softmax_xent` on every path (and the portable path with the AVX-512
//! lane count) against an f64 reference.
//!
//! Error bounds, with `u` the unit roundoff of the element type and `k` the
//! additions in a row's sum (at most `classes`): each `e^{x−m}` carries the
//! rounding of `x − m` (`|x − m|·u` relative) and the `exp` error (2 ULP,
//! `4u`); the sum `s` is within `k·u`; the quotient `scale/s` and the
//! product `u` each. So the gradient is within
//! `scale·p·(|x − m| + k + 8)·u + scale·u` (the last term for subtracting
//! `scale` at the target). Each row's loss `ln s + m − x_t` is within
//! `(k + 6)·u` (`m − x_t` is exact in f64); the f64 sums add `10⁻¹⁴`
//! relative. The f64 reference gradient `(p − [j = t])·scale` itself
//! rounds a few times: `4·ε₆₄·|want|` more (which matters for f64 only).

use kernels::{Element, Isa};
use proptest::prelude::*;

/// f64 reference of one row: (probabilities, loss, first argmax).
fn reference(row: &[f64], t: usize) -> (Vec<f64>, f64, usize) {
    let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = row.iter().map(|&v| (v - m).exp()).sum();
    let p = row.iter().map(|&v| (v - m).exp() / s).collect();
    let best = row.iter().position(|&v| v == m).unwrap();
    (p, (m - row[t]) + s.ln(), best)
}

fn check<T: Element>(
    logits: &[f64],
    classes: usize,
    targets: &[usize],
    scale: f64,
) -> Result<(), TestCaseError> {
    let x: Vec<T> = logits.iter().map(|&v| T::from_f64(v)).collect();
    let scale = T::from_f64(scale);
    let (sc, u) = (scale.to_f64(), T::EPSILON.to_f64() / 2.0);
    let mut want_loss = 0.0;
    let mut want_correct = 0;
    let mut loss_tol = 0.0;
    let mut refs = Vec::new();
    for (r, &t) in targets.iter().enumerate() {
        let row: Vec<f64> = x[r * classes..(r + 1) * classes]
            .iter()
            .map(|v| v.to_f64())
            .collect();
        let (p, l, best) = reference(&row, t);
        want_loss += l;
        want_correct += usize::from(best == t);
        loss_tol += (classes + 6) as f64 * u + 1e-14 * l.abs();
        refs.push((row, p));
    }
    for path in Isa::available() {
        let mut g = vec![T::NAN; x.len()];
        let sums = path.softmax_xent(&x, classes, targets, scale, &mut g);
        prop_assert_eq!(sums.correct, want_correct, "{}", path);
        prop_assert!(
            (sums.loss - want_loss).abs() <= loss_tol,
            "{path}: loss {} vs {want_loss} (tol {loss_tol})",
            sums.loss
        );
        for (r, (row, p)) in refs.iter().enumerate() {
            let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            for j in 0..classes {
                let want = (p[j] - f64::from(u8::from(j == targets[r]))) * sc;
                let got = g[r * classes + j].to_f64();
                let tol = sc * p[j] * ((row[j] - m).abs() + classes as f64 + 8.0) * u
                    + sc * u
                    + 4.0 * f64::EPSILON * want.abs()
                    + 1e-300;
                prop_assert!(
                    got.is_finite() && (got - want).abs() <= tol,
                    "{path} row {r} class {j}: {got} vs {want} (tol {tol})"
                );
            }
        }
    }
    Ok(())
}

/// Rows of logits: moderate values, or a mix with ±1e30 and ties.
fn logits(classes: usize, rows: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![
            6 => -30.0f64..30.0,
            1 => Just(1e30),
            1 => Just(-1e30),
            1 => Just(0.0),
        ],
        classes * rows,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn xent_matches_f64_reference(
        (classes, targets, x) in (1usize..40, 0usize..12).prop_flat_map(|(q, n)| (
            Just(q),
            prop::collection::vec(0..q, n),
            logits(q, n),
        )),
        scale in 0.001f64..2.0,
    ) {
        check::<f32>(&x, classes, &targets, scale)?;
        check::<f64>(&x, classes, &targets, scale)?;
    }
}

#[test]
fn ten_classes_extreme_logits_give_no_nan() {
    let mut x = vec![0.0f64; 40];
    for (i, v) in x.iter_mut().enumerate() {
        *v = match i % 4 {
            0 => 1e30,
            1 => -1e30,
            2 => 3.0,
            _ => -3.0,
        };
    }
    check::<f32>(&x, 10, &[0, 1, 9, 4], 1.0 / 4.0).unwrap();
    check::<f64>(&x, 10, &[0, 1, 9, 4], 1.0 / 4.0).unwrap();
}

#[test]
fn a_nan_logit_counts_as_the_largest_and_poisons_the_loss() {
    let x = [1.0f32, f32::NAN, 5.0, 0.0, 2.0, 1.0];
    for path in Isa::available() {
        let mut g = [0.0f32; 6];
        let sums = path.softmax_xent(&x, 3, &[1, 1], 1.0, &mut g);
        assert!(sums.loss.is_nan(), "{path}");
        // Row 0's first largest is the NaN at 1, row 1's is the 2 at 1.
        assert_eq!(sums.correct, 2, "{path}");
        assert!(g[3..].iter().all(|v| v.is_finite()), "{path}");
    }
}

#[test]
fn many_rows_do_not_overflow_the_loss_product() {
    // 2000 rows of 1000 equal logits: s = 1000 per row, Π s = 10⁶⁰⁰⁰.
    let (q, n) = (1000, 2000);
    let x = vec![0.5f64; q * n];
    let t = vec![3usize; n];
    let mut g = vec![0.0; q * n];
    let sums = kernels::softmax_xent(&x, q, &t, 1.0, &mut g);
    let want = n as f64 * (q as f64).ln();
    assert!(
        (sums.loss - want).abs() < 1e-9 * want,
        "{} vs {want}",
        sums.loss
    );
    assert_eq!(sums.correct, 0);
}

#[test]
#[should_panic(expected = "targets[1] = 3 is not below classes = 3")]
fn a_target_out_of_range_panics_naming_it() {
    let mut g = [0.0f32; 6];
    kernels::softmax_xent(&[0.0f32; 6], 3, &[0, 3], 1.0, &mut g);
}
