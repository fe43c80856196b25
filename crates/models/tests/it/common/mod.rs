//! Shared test helpers.
#![allow(dead_code)]

pub mod oracle;

use models::autodiff::Tensor;

/// A deterministic pseudo-random f64 vector in `[lo, hi)`.
pub fn rand_vec(n: usize, lo: f64, hi: f64, seed: u64) -> Vec<f64> {
    Tensor::<f64>::rand_uniform([n], lo, hi, &mut models::autodiff::seeded(seed))
        .unwrap()
        .to_vec()
}

/// A tensor from f64 data.
pub fn t(data: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), shape).unwrap()
}

/// Asserts `got` matches `want` elementwise within `rtol·|want| + atol`.
#[track_caller]
pub fn assert_close(got: &[f64], want: &[f64], rtol: f64, atol: f64) {
    assert_eq!(got.len(), want.len(), "lengths: got {got:?}, want {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= atol + rtol * w.abs(),
            "element {i}: got {g}, want {w} (all: {got:?} vs {want:?})"
        );
    }
}
