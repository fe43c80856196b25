//! The book's synthetic linear-regression data.

use rand::SeedableRng;
use rand::rngs::StdRng;
use train::DataError;
use train::data::synthetic::{DEFAULT_NOISE_STD, synthetic_data};

#[test]
fn shapes_and_reproducibility() {
    let w = [2.0f32, -3.4];
    let a = synthetic_data(
        &w,
        4.2,
        1000,
        DEFAULT_NOISE_STD,
        &mut StdRng::seed_from_u64(1),
    )
    .unwrap();
    let b = synthetic_data(
        &w,
        4.2,
        1000,
        DEFAULT_NOISE_STD,
        &mut StdRng::seed_from_u64(1),
    )
    .unwrap();
    let c = synthetic_data(
        &w,
        4.2,
        1000,
        DEFAULT_NOISE_STD,
        &mut StdRng::seed_from_u64(2),
    )
    .unwrap();
    assert_eq!((a.len(), a.features(), a.x().len()), (1000, 2, 2000));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn without_noise_targets_are_exactly_xw_plus_b() {
    let w = [0.5f64, -1.25, 3.0];
    let ds = synthetic_data(&w, -0.75, 200, 0.0, &mut StdRng::seed_from_u64(3)).unwrap();
    for i in 0..ds.len() {
        let r = ds.row(i);
        let want: f64 = r.iter().zip(&w).map(|(x, w)| x * w).sum::<f64>() + -0.75;
        assert_eq!(ds.y()[i], want);
    }
}

#[test]
fn inputs_are_standard_normal_and_noise_has_the_requested_std() {
    let n = 20_000;
    let w = [2.0f64, -3.4];
    let b = 4.2;
    let ds = synthetic_data(&w, b, n, DEFAULT_NOISE_STD, &mut StdRng::seed_from_u64(4)).unwrap();
    let xs = ds.x();
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
    // Standard errors: 1/sqrt(40000) = 0.005 for the mean, ~0.007 for the variance.
    assert!(mean.abs() < 0.03, "mean {mean}");
    assert!((var - 1.0).abs() < 0.04, "var {var}");
    let res: Vec<f64> = (0..n)
        .map(|i| ds.y()[i] - (ds.row(i)[0] * w[0] + ds.row(i)[1] * w[1] + b))
        .collect();
    let rm = res.iter().sum::<f64>() / n as f64;
    let rs = (res.iter().map(|r| (r - rm).powi(2)).sum::<f64>() / n as f64).sqrt();
    // Standard errors: 0.01/sqrt(n) = 7e-5 for the mean, 0.5% of 0.01 for the std.
    assert!(rm.abs() < 5e-4, "noise mean {rm}");
    assert!((rs - 0.01).abs() < 0.0005, "noise std {rs}");
}

#[test]
fn invalid_arguments() {
    let mut rng = StdRng::seed_from_u64(0);
    assert!(matches!(
        synthetic_data::<f32, _>(&[], 0.0, 10, 0.01, &mut rng),
        Err(DataError::Invalid {
            op: "synthetic_data",
            name: "w.len()",
            ..
        })
    ));
    for bad in [-0.1, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            synthetic_data(&[1.0f32], 0.0, 10, bad, &mut rng),
            Err(DataError::Invalid { .. })
        ));
    }
}
