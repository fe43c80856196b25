//! `lsq_grad` on every path (and the portable path with the AVX-512 lane
//! count) against the scalar loops of its documentation: the multiply-adds
//! are fused on every path and the order is fixed, so the results must be
//! the same bits. A second check compares the f32 gradient with one
//! computed in f64 from the same inputs, within a first-order error bound.

use kernels::{Dtype, Element, Isa};
use proptest::prelude::*;

/// The loops of `lsq_grad`'s documentation, on scalars of type `T`.
fn reference<T: Element>(
    x: &[T],
    d: usize,
    rows: &[usize],
    y: &[T],
    w: &[T],
    b: T,
) -> (Vec<T>, T, f64) {
    let mut dw = vec![T::ZERO; d];
    let (mut db, mut loss) = (T::ZERO, 0.0f64);
    for &i in rows {
        let xi = &x[i * d..i * d + d];
        let mut y_hat = b;
        for j in 0..d {
            y_hat = xi[j].mul_add(w[j], y_hat);
        }
        let r = y_hat - y[i];
        loss += 0.5 * r.to_f64() * r.to_f64();
        for j in 0..d {
            dw[j] = r.mul_add(xi[j], dw[j]);
        }
        db += r;
    }
    (dw, db, loss)
}

fn bits<T: Element>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.to_f64().to_bits()).collect()
}

/// A problem: `d` features, `n` rows, a batch of row indices (repeats
/// allowed), values in [-2, 2).
fn problem() -> impl Strategy<Value = (usize, usize, Vec<f64>, Vec<usize>)> {
    (0usize..=40, 1usize..=30).prop_flat_map(|(d, n)| {
        (
            Just(d),
            Just(n),
            prop::collection::vec(-2.0f64..2.0, n * d + n + d + 1),
            prop::collection::vec(0..n, 0..=48),
        )
    })
}

fn check<T: Element>(d: usize, n: usize, v: &[f64], rows: &[usize]) -> Result<(), TestCaseError> {
    let t: Vec<T> = v.iter().map(|&x| T::from_f64(x)).collect();
    let (x, rest) = t.split_at(n * d);
    let (y, rest) = rest.split_at(n);
    let (w, b) = (&rest[..d], rest[d]);
    let (want_dw, want_db, want_loss) = reference(x, d, rows, y, w, b);
    for path in Isa::available() {
        let mut dw = vec![T::NAN; d];
        let got = path.lsq_grad(x, d, rows, y, w, b, &mut dw);
        prop_assert_eq!(bits(&dw), bits(&want_dw), "{} dw", path);
        prop_assert_eq!(
            got.bias_grad.to_f64().to_bits(),
            want_db.to_f64().to_bits(),
            "{} db",
            path
        );
        prop_assert_eq!(got.loss.to_bits(), want_loss.to_bits(), "{} loss", path);
    }

    if T::DTYPE == Dtype::F32 {
        within_f64_bound(x, d, rows, y, w, b, &want_dw)?;
    }
    Ok(())
}

/// `dw` (every path's, equal by the check above) against the gradient
/// computed in f64 from the same f32 inputs, which is exact to within f32's
/// unit roundoff times 2⁻²⁹ (only f32 is checked this way: f64 has nothing
/// wider to be compared with here; its bits are checked above). Each
/// residual is off by at most (d + 1)·u·(|b| + Σ|xⱼwⱼ| + |y|) to first order
/// (d roundings of the prediction, one per fused multiply-add, and one of
/// the subtraction), and each `∂wⱼ` adds `|rows|` products in sequence: at
/// most Σᵢ (|rows| + d + 2)·u·(|rᵢ| + that bound)·|xᵢⱼ|, doubled for the
/// second-order terms and the f64 sum's own rounding.
fn within_f64_bound<T: Element>(
    x: &[T],
    d: usize,
    rows: &[usize],
    y: &[T],
    w: &[T],
    b: T,
    got: &[T],
) -> Result<(), TestCaseError> {
    let u = T::EPSILON.to_f64() / 2.0;
    let f = |z: T| z.to_f64();
    let mut dw = vec![0.0f64; d];
    let mut err = vec![0.0f64; d];
    for &i in rows {
        let xi = &x[i * d..i * d + d];
        let mut y_hat = f(b);
        let mut mag = f(b).abs() + f(y[i]).abs();
        for j in 0..d {
            y_hat += f(xi[j]) * f(w[j]);
            mag += (f(xi[j]) * f(w[j])).abs();
        }
        let r = y_hat - f(y[i]);
        let gamma = (rows.len() + d + 2) as f64 * u;
        for j in 0..d {
            dw[j] += r * f(xi[j]);
            err[j] += 2.0 * gamma * (r.abs() + mag) * f(xi[j]).abs();
        }
    }
    for j in 0..d {
        let diff = (got[j].to_f64() - dw[j]).abs();
        prop_assert!(
            diff <= err[j] + f64::MIN_POSITIVE,
            "dw[{}] = {} against {} (bound {})",
            j,
            got[j].to_f64(),
            dw[j],
            err[j]
        );
    }
    Ok(())
}

proptest! {
    #[test]
    fn every_path_gives_the_documented_bits_f32((d, n, v, rows) in problem()) {
        check::<f32>(d, n, &v, &rows)?;
    }

    #[test]
    fn every_path_gives_the_documented_bits_f64((d, n, v, rows) in problem()) {
        check::<f64>(d, n, &v, &rows)?;
    }
}
