//! `u8_gemm_xwt` and `u8_gemm_gtx` on every path (and the portable path
//! with the AVX-512 lane count) against an f64 reference.
//!
//! Both references take the scaled inputs `s = U8Scale::apply(b, j)` (each
//! step rounded once in the element type) and accumulate in f64; the
//! kernels apply a linear scaling to each sum (`X·Wᵀ`) or to each element
//! of `G` (`Gᵀ·X`) instead. That adds at most `u` of each term's size (the
//! reference's rounding of `s`) and one rounding of the scaling (at most
//! `u` of the sum of the terms' sizes), within these bounds, with `u` the
//! unit roundoff:
//! - `X·Wᵀ`: each output is a sum of `f` products plus the bias, formed by
//!   at most `f` sequential additions in a lane and a tree over the lanes,
//!   then scaled; with the portable path's separate multiply and add, at
//!   most `(2f + 2)·u·(Σ|s·w| + |b|)`.
//! - `Gᵀ·X`: each output adds `n` products to its initial value in
//!   sequence: at most `(2n + 2)·u·(|dw₀| + Σ|g·s|)`.

use kernels::{Element, Isa, U8Scale};
use proptest::prelude::*;

/// A test case: a byte matrix, row indices (with repeats), and the shapes.
#[derive(Debug, Clone)]
struct Case {
    x: Vec<u8>,
    features: usize,
    rows: Vec<usize>,
    classes: usize,
    /// Seeds for the float data, mapped to each element type.
    w: Vec<f64>,
    extra: Vec<f64>,
    scale: u8,
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..70, 1usize..9, 1usize..30, 0usize..40, 0u8..4).prop_flat_map(
        |(features, n, classes, nrows, scale)| {
            (
                prop::collection::vec(any::<u8>(), n * features),
                prop::collection::vec(0..n, nrows),
                prop::collection::vec(-1.0f64..1.0, classes * features),
                prop::collection::vec(-2.0f64..2.0, 2 * features + nrows * classes + classes),
            )
                .prop_map(move |(x, rows, w, extra)| Case {
                    x,
                    features,
                    rows,
                    classes,
                    w,
                    extra,
                    scale,
                })
        },
    )
}

/// The case's scaling, with its standardisation vectors in `buf`.
fn scaling<'a, T: Element>(c: &Case, buf: &'a (Vec<T>, Vec<T>)) -> U8Scale<'a, T> {
    match c.scale {
        0 => U8Scale::Identity,
        1 => U8Scale::Mul(T::from_f64(1.0 / 255.0)),
        2 => U8Scale::Div(T::from_f64(255.0)),
        _ => U8Scale::Standardize {
            mean: &buf.0,
            inv_std: &buf.1,
        },
    }
}

fn std_vectors<T: Element>(c: &Case) -> (Vec<T>, Vec<T>) {
    let f = c.features;
    let mean = c.extra[..f]
        .iter()
        .map(|&v| T::from_f64(128.0 + 60.0 * v))
        .collect();
    let inv_std = c.extra[f..2 * f]
        .iter()
        .map(|&v| T::from_f64(0.01 + 0.02 * v.abs()))
        .collect();
    (mean, inv_std)
}

fn check_xwt<T: Element>(c: &Case) -> Result<(), TestCaseError> {
    let (f, q, n) = (c.features, c.classes, c.rows.len());
    let u = T::EPSILON.to_f64() / 2.0;
    let buf = std_vectors::<T>(c);
    let s = scaling(c, &buf);
    let w: Vec<T> = c.w.iter().map(|&v| T::from_f64(v)).collect();
    let bias: Vec<T> = c.extra[c.extra.len() - q..]
        .iter()
        .map(|&v| T::from_f64(v))
        .collect();
    for path in Isa::available() {
        for with_bias in [false, true] {
            let b = with_bias.then_some(bias.as_slice());
            let mut y = vec![T::NAN; n * q];
            path.u8_gemm_xwt(&c.x, f, &c.rows, &s, &w, b, &mut y);
            for (r, &i) in c.rows.iter().enumerate() {
                for k in 0..q {
                    let (mut sum, mut mag) = (0.0f64, 0.0f64);
                    for j in 0..f {
                        let p = s.apply(c.x[i * f + j], j).to_f64() * w[k * f + j].to_f64();
                        sum += p;
                        mag += p.abs();
                    }
                    if let Some(b) = b {
                        sum += b[k].to_f64();
                        mag += b[k].to_f64().abs();
                    }
                    let got = y[r * q + k].to_f64();
                    let tol = (2 * f + 2) as f64 * u * mag + 1e-300;
                    prop_assert!(
                        (got - sum).abs() <= tol,
                        "{path} bias={with_bias} row {r} class {k}: {got} vs {sum} (tol {tol})"
                    );
                }
            }
            // Where `W` sits changes no bit: on a 64-byte line (read in
            // place when its rows are whole lines) or one element off (copied).
            for off in [0, 1] {
                let mut wb = vec![T::ZERO; 64 + off + w.len()];
                let at = wb.as_ptr().align_offset(64) + off;
                wb[at..at + w.len()].copy_from_slice(&w);
                let mut y3 = vec![T::NAN; n * q];
                path.u8_gemm_xwt(&c.x, f, &c.rows, &s, &wb[at..at + w.len()], b, &mut y3);
                prop_assert_eq!(bits(&y3), bits(&y), "{} W at line + {}", path, off);
            }
            // Each row's logits do not depend on the other rows.
            if n > 1 {
                let cut = n / 2;
                let mut y2 = vec![T::NAN; (n - cut) * q];
                path.u8_gemm_xwt(&c.x, f, &c.rows[cut..], &s, &w, b, &mut y2);
                prop_assert_eq!(bits(&y2), bits(&y[cut * q..]));
            }
        }
    }
    Ok(())
}

fn bits<T: Element>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.to_f64().to_bits()).collect()
}

fn check_gtx<T: Element>(c: &Case) -> Result<(), TestCaseError> {
    let (f, q, n) = (c.features, c.classes, c.rows.len());
    let u = T::EPSILON.to_f64() / 2.0;
    let buf = std_vectors::<T>(c);
    let s = scaling(c, &buf);
    let g: Vec<T> = c.extra[2 * f..2 * f + n * q]
        .iter()
        .map(|&v| T::from_f64(v))
        .collect();
    let dw0: Vec<T> = c.w.iter().map(|&v| T::from_f64(v)).collect();
    for path in Isa::available() {
        let mut dw = dw0.clone();
        path.u8_gemm_gtx(&g, &c.x, f, &c.rows, &s, T::ONE, &mut dw);
        for k in 0..q {
            for j in 0..f {
                let (mut sum, mut mag) = (dw0[k * f + j].to_f64(), dw0[k * f + j].to_f64().abs());
                for (r, &i) in c.rows.iter().enumerate() {
                    let p = g[r * q + k].to_f64() * s.apply(c.x[i * f + j], j).to_f64();
                    sum += p;
                    mag += p.abs();
                }
                let got = dw[k * f + j].to_f64();
                let tol = (2 * n + 2) as f64 * u * mag + 1e-300;
                prop_assert!(
                    (got - sum).abs() <= tol,
                    "{path} class {k} feature {j}: {got} vs {sum} (tol {tol})"
                );
            }
        }
        // Adding the rows in two calls gives the same bits as in one.
        let cut = n / 3;
        let mut split = dw0.clone();
        path.u8_gemm_gtx(
            &g[..cut * q],
            &c.x,
            f,
            &c.rows[..cut],
            &s,
            T::ONE,
            &mut split,
        );
        path.u8_gemm_gtx(
            &g[cut * q..],
            &c.x,
            f,
            &c.rows[cut..],
            &s,
            T::ONE,
            &mut split,
        );
        prop_assert_eq!(bits(&split), bits(&dw), "{} split at {}", path, cut);
        // β = 0 does not read `dw` (NaN there is ignored) and starts from
        // 0; any other β starts from β·dw.
        let mut from_zero = vec![T::ZERO; dw0.len()];
        path.u8_gemm_gtx(&g, &c.x, f, &c.rows, &s, T::ONE, &mut from_zero);
        let mut over_nan = vec![T::from_f64(f64::NAN); dw0.len()];
        path.u8_gemm_gtx(&g, &c.x, f, &c.rows, &s, T::ZERO, &mut over_nan);
        prop_assert_eq!(bits(&over_nan), bits(&from_zero), "{} β = 0", path);
        let beta = T::from_f64(-0.75);
        let mut scaled: Vec<T> = dw0.iter().map(|&v| beta * v).collect();
        path.u8_gemm_gtx(&g, &c.x, f, &c.rows, &s, T::ONE, &mut scaled);
        let mut with_beta = dw0.clone();
        path.u8_gemm_gtx(&g, &c.x, f, &c.rows, &s, beta, &mut with_beta);
        prop_assert_eq!(bits(&with_beta), bits(&scaled), "{} β = -0.75", path);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn xwt_matches_f64_reference(c in case()) {
        check_xwt::<f32>(&c)?;
        check_xwt::<f64>(&c)?;
    }

    #[test]
    fn gtx_matches_f64_reference(c in case()) {
        check_gtx::<f32>(&c)?;
        check_gtx::<f64>(&c)?;
    }
}

/// The trainer's shapes: 784 features (49 vectors of 16, 98 of 8), 10
/// classes, a batch of rows with repeats, every scaling; 100 rows are
/// three row blocks of `Gᵀ·X` (41 rows each on a 32 KiB L1), the last partial.
#[test]
fn mnist_shaped_products_match_the_reference() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (features, n, classes) = (784, 50, 10);
    let x: Vec<u8> = (0..n * features).map(|_| next() as u8).collect();
    let rows: Vec<usize> = (0..100).map(|_| next() as usize % n).collect();
    let w: Vec<f64> = (0..classes * features)
        .map(|_| (next() % 2001) as f64 / 1000.0 - 1.0)
        .collect();
    let extra: Vec<f64> = (0..2 * features + rows.len() * classes + classes)
        .map(|_| (next() % 4001) as f64 / 1000.0 - 2.0)
        .collect();
    for scale in 0..4 {
        let c = Case {
            x: x.clone(),
            features,
            rows: rows.clone(),
            classes,
            w: w.clone(),
            extra: extra.clone(),
            scale,
        };
        check_xwt::<f32>(&c).unwrap();
        check_xwt::<f64>(&c).unwrap();
        check_gtx::<f32>(&c).unwrap();
        check_gtx::<f64>(&c).unwrap();
    }
}

/// Fails naming the first byte whose quotient has other bits than wanted.
fn first_difference<T: Element>(
    got: &[u64],
    want: &[u64],
    what: &str,
    path: Isa,
    k: T,
) -> Result<(), TestCaseError> {
    if let Some(b) = (0..want.len()).find(|&b| got[b] != want[b]) {
        let (g, w) = (f64::from_bits(got[b]), f64::from_bits(want[b]));
        prop_assert!(
            false,
            "{what} on {path:?}: byte {b} / {k:?} gave {g:e}, not {w:e}"
        );
    }
    Ok(())
}

/// Every byte through both kernels with `U8Scale::Div(k)`, where the
/// scaling lands as documented: `X·Wᵀ` with one feature and a weight of 1
/// divides the exact sum `b·1`, so it gives the correctly rounded quotient
/// `b / k`; `Gᵀ·X` with `g = 1` multiplies each byte by the rounded
/// `1 / k`, exactly `(1 / k)·b` rounded once.
fn check_division<T: Element>(k: T) -> Result<(), TestCaseError> {
    let bytes: Vec<u8> = (0..=255).collect();
    let want = |f: &dyn Fn(T) -> T| -> Vec<u64> {
        bytes
            .iter()
            .map(|&b| f(T::from_f64(f64::from(b))).to_f64().to_bits())
            .collect()
    };
    // The sum of the one product is the byte (+0 for 0), then divided: a
    // negative `k` gives −0 for byte 0.
    let quotient = want(&|x| x / k);
    // Each product is added to a zero, so a −0 product comes out as +0.
    let by_scaled_g = want(&|x| (T::ONE / k) * x + T::ZERO);
    let scale = U8Scale::Div(k);
    let rows: Vec<usize> = (0..256).collect();
    for path in Isa::available() {
        // X·Wᵀ: 256 rows of one feature, one class of weight 1.
        let mut y = vec![T::ZERO; 256];
        path.u8_gemm_xwt(&bytes, 1, &rows, &scale, &[T::ONE], None, &mut y);
        first_difference(&bits(&y), &quotient, "X·Wᵀ", path, k)?;
        // Gᵀ·X: one row of 256 features, one class with g = 1.
        let mut dw = vec![T::ZERO; 256];
        path.u8_gemm_gtx(&[T::ONE], &bytes, 256, &[0], &scale, T::ZERO, &mut dw);
        first_difference(&bits(&dw), &by_scaled_g, "Gᵀ·X", path, k)?;
    }
    Ok(())
}

proptest! {
    #[test]
    fn division_by_k_is_applied_as_documented_on_every_path(
        m in 1.0f64..2.0,
        e in -40i32..40,
        neg in any::<bool>(),
        int in 1u32..1000,
        pick in 0u8..2,
    ) {
        // Integers (255, the book's scale, among them) and any magnitudes.
        let k = if pick == 0 { f64::from(int) } else { m * 2f64.powi(e) };
        let k = if neg { -k } else { k };
        check_division::<f32>(k as f32)?;
        check_division::<f64>(k)?;
    }
}

#[test]
fn division_by_255_is_applied_as_documented_on_every_path() {
    check_division::<f32>(255.0).unwrap();
    check_division::<f64>(255.0).unwrap();
}

#[test]
fn scaled_values_are_exact_conversions() {
    let mean = [1.5f32, 0.0];
    let inv = [0.5f32, 2.0];
    let s = U8Scale::Standardize {
        mean: &mean,
        inv_std: &inv,
    };
    assert_eq!(s.apply(3, 0), 0.75);
    assert_eq!(s.apply(3, 1), 6.0);
    assert_eq!(U8Scale::Div(255.0f32).apply(51, 0), 51.0 / 255.0);
    assert_eq!(U8Scale::<f64>::Identity.apply(255, 9), 255.0);
}

#[test]
#[should_panic(expected = "rows[1] = 3 is out of range for `x` with 3 rows")]
fn a_row_index_out_of_range_panics_naming_it() {
    let mut y = [0.0f32; 2];
    kernels::u8_gemm_xwt(
        &[0; 6],
        2,
        &[0, 3],
        &U8Scale::Identity,
        &[1.0, 1.0],
        None,
        &mut y,
    );
}

#[test]
#[should_panic(expected = "`g` has 3 elements but there are 2 rows × 2 classes")]
fn a_gradient_of_the_wrong_size_panics_naming_it() {
    let mut dw = [0.0f32; 4];
    kernels::u8_gemm_gtx(
        &[0.0; 3],
        &[0; 6],
        2,
        &[0, 1],
        &U8Scale::Identity,
        1.0,
        &mut dw,
    );
}
