//! Linear, LinearRegression (closed form), SoftmaxRegression, one_hot and the
//! fused softmax cross-entropy.

#![allow(clippy::needless_range_loop)] // index loops read like the formulas they check

use crate::common;

use common::{assert_close, rand_vec, t};
use models::autodiff::{Tensor, Value, Var};
use models::init::{self, FanMode, Nonlinearity};
use models::losses::{CrossEntropyLoss, softmax_cross_entropy_fwd_bwd};
use models::{
    Batch, Data, Error, Inputs, Linear, LinearRegression, Model, SoftmaxRegression, Targets,
    linear, one_hot,
};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

#[test]
fn linear_follows_pytorch_conventions() {
    let (i, o) = (7, 3);
    let layer = Linear::<f64>::new(i, o, true, &mut StdRng::seed_from_u64(9)).unwrap();
    assert_eq!(layer.weight.shape().dims(), &[o, i]);
    assert_eq!(layer.bias.as_ref().unwrap().shape().dims(), &[o]);
    // PyTorch's reset_parameters, replayed: kaiming_uniform(a = √5) then U(±1/√in), same stream.
    let mut r = StdRng::seed_from_u64(9);
    let mut w = Tensor::<f64>::zeros([o, i]);
    init::kaiming_uniform(
        &mut w,
        5f64.sqrt(),
        FanMode::FanIn,
        Nonlinearity::LeakyRelu,
        &mut r,
    )
    .unwrap();
    let mut b = Tensor::<f64>::zeros([o]);
    let bound = 1.0 / (i as f64).sqrt();
    init::uniform(&mut b, -bound, bound, &mut r).unwrap();
    assert_eq!(layer.weight, w);
    assert_eq!(layer.bias.as_ref().unwrap(), &b);
    // kaiming_uniform(a = √5) is U(±1/√in).
    assert!(layer.weight.as_slice().iter().all(|v| v.abs() <= bound));
    // y = x·Wᵀ + b.
    let x = t(&rand_vec(2 * i, -1.0, 1.0, 3), &[2, i]);
    let y = layer.forward(&x).unwrap();
    for n in 0..2 {
        for k in 0..o {
            let want: f64 = (0..i)
                .map(|j| x.at(&[n, j]).unwrap() * w.at(&[k, j]).unwrap())
                .sum::<f64>()
                + b.as_slice()[k];
            assert!((y.at(&[n, k]).unwrap() - want).abs() < 1e-14);
        }
    }
    // An unbatched input gives an unbatched output.
    assert_eq!(
        layer.forward(&t(&[0.0; 7], &[7])).unwrap().shape().dims(),
        &[3]
    );
    // Parameters by name.
    let names: Vec<&str> = layer.parameters().iter().map(|(n, _)| *n).collect();
    assert_eq!(names, vec!["weight", "bias"]);
    assert_eq!(layer.parameter("weight"), Some(&w));
    assert!(layer.parameter("gamma").is_none());
    let mut l2 = layer.clone();
    l2.parameter_mut("bias").unwrap().as_mut_slice()[0] = 9.0;
    assert_eq!(l2.bias.as_ref().unwrap().as_slice()[0], 9.0);
    assert_eq!(
        Linear::<f32>::new(4, 2, false, &mut StdRng::seed_from_u64(0))
            .unwrap()
            .parameters()
            .len(),
        1
    );
    // Shape errors.
    assert!(matches!(
        layer.forward(&t(&[0.0; 6], &[2, 3])),
        Err(Error::Shape(_))
    ));
    assert!(matches!(
        layer.forward(&Tensor::<f64>::zeros([1, 1, 7])),
        Err(Error::Rank { .. })
    ));
    assert!(Linear::from_parameters(w.clone(), Some(t(&[0.0; 2], &[2]))).is_err());
    // Gradients flow to the parameters through the functional form.
    let wv = Var::leaf(w.clone());
    let bv = Var::leaf(b.clone());
    linear(&Var::new(x.clone()), &wv, Some(&bv))
        .unwrap()
        .sum()
        .unwrap()
        .backward()
        .unwrap();
    // ∂Σy/∂W[k, j] = Σₙ x[n, j]; ∂Σy/∂b = N.
    let gw = wv.grad().unwrap();
    for j in 0..i {
        let col: f64 = (0..2).map(|n| x.at(&[n, j]).unwrap()).sum();
        assert!((gw.at(&[1, j]).unwrap() - col).abs() < 1e-14);
    }
    assert_eq!(bv.grad().unwrap().to_vec(), vec![2.0; 3]);
}

/// Least squares by the normal equations with Gaussian elimination (partial
/// pivoting), as an independent oracle for well-conditioned problems.
fn normal_equations(x: &[f64], n: usize, d: usize, y: &[f64]) -> Vec<f64> {
    let m = d + 1;
    let row = |i: usize, j: usize| if j < d { x[i * d + j] } else { 1.0 };
    let mut a = vec![0.0; m * (m + 1)];
    for p in 0..m {
        for q in 0..m {
            a[p * (m + 1) + q] = (0..n).map(|i| row(i, p) * row(i, q)).sum();
        }
        a[p * (m + 1) + m] = (0..n).map(|i| row(i, p) * y[i]).sum();
    }
    for k in 0..m {
        let piv = (k..m)
            .max_by(|&r, &s| {
                a[r * (m + 1) + k]
                    .abs()
                    .total_cmp(&a[s * (m + 1) + k].abs())
            })
            .unwrap();
        for c in 0..=m {
            a.swap(k * (m + 1) + c, piv * (m + 1) + c);
        }
        for r in k + 1..m {
            let f = a[r * (m + 1) + k] / a[k * (m + 1) + k];
            for c in k..=m {
                a[r * (m + 1) + c] -= f * a[k * (m + 1) + c];
            }
        }
    }
    let mut sol = vec![0.0; m];
    for k in (0..m).rev() {
        let s: f64 = (k + 1..m).map(|c| a[k * (m + 1) + c] * sol[c]).sum();
        sol[k] = (a[k * (m + 1) + m] - s) / a[k * (m + 1) + k];
    }
    sol
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn closed_form_matches_normal_equations(d in 0usize..6, extra in 1usize..30, seed in 0u64..1_000_000) {
        let n = d + 1 + extra;
        let x = rand_vec(n * d, -2.0, 2.0, seed);
        let y = rand_vec(n, -3.0, 3.0, seed + 1);
        let model = LinearRegression::fit_closed_form(&t(&x, &[n, d]), &t(&y, &[n])).unwrap();
        let want = normal_equations(&x, n, d, &y);
        let mut got = model.weight().to_vec();
        got.push(model.bias());
        assert_close(&got, &want, 1e-9, 1e-9);
    }
}

#[test]
fn closed_form_recovers_the_generating_model() {
    let (n, d) = (200, 4);
    let w = [2.0, -3.4, 0.5, 1e-3];
    let b = 4.2;
    let x = rand_vec(n * d, -1.0, 1.0, 21);
    let y: Vec<f64> = (0..n)
        .map(|i| (0..d).map(|j| x[i * d + j] * w[j]).sum::<f64>() + b)
        .collect();
    let model = LinearRegression::fit_closed_form(&t(&x, &[n, d]), &t(&y, &[n, 1])).unwrap();
    assert_close(model.weight(), &w, 1e-12, 1e-13);
    assert!((model.bias() - b).abs() < 1e-13);
    // Predictions and the (N, 1) forward.
    let p = model.predict(&t(&x, &[n, d])).unwrap();
    assert_close(p.as_slice(), &y, 1e-12, 1e-12);
    assert_eq!(
        model.forward(&t(&x, &[n, d])).unwrap().shape().dims(),
        &[n, 1]
    );
    // In f32, within f32 rounding.
    let m32 = LinearRegression::<f32>::fit_closed_form(&t(&x, &[n, d]).cast(), &t(&y, &[n]).cast())
        .unwrap();
    assert!((m32.weight()[0] - 2.0).abs() < 1e-5);
    // QR survives conditioning that squares badly: features 1e4 apart in scale.
    let xs: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(k, v)| if k % d == 0 { v * 1e4 } else { *v })
        .collect();
    let ys: Vec<f64> = (0..n)
        .map(|i| (0..d).map(|j| xs[i * d + j] * w[j]).sum::<f64>() + b)
        .collect();
    let model = LinearRegression::fit_closed_form(&t(&xs, &[n, d]), &t(&ys, &[n])).unwrap();
    assert_close(model.weight(), &w, 1e-9, 1e-10);
}

#[test]
fn closed_form_rejects_singular_systems() {
    // A duplicated feature.
    let x = t(&[1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0], &[4, 2]);
    let y = t(&[1.0, 2.0, 3.0, 4.0], &[4]);
    assert!(matches!(
        LinearRegression::fit_closed_form(&x, &y),
        Err(Error::Singular {
            column: 1,
            columns: 3,
            ..
        })
    ));
    // A constant feature duplicates the bias column.
    let x = t(&[1.0, 5.0, 2.0, 5.0, 3.0, 5.0], &[3, 2]);
    let y = t(&[1.0, 2.0, 3.0], &[3]);
    assert!(matches!(
        LinearRegression::fit_closed_form(&x, &y),
        Err(Error::Singular { .. })
    ));
    // Fewer samples than unknowns.
    let x = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    assert!(matches!(
        LinearRegression::fit_closed_form(&x, &t(&[1.0, 2.0], &[2])),
        Err(Error::Singular { .. })
    ));
    // Shape errors.
    assert!(matches!(
        LinearRegression::fit_closed_form(&x, &t(&[1.0, 2.0, 3.0], &[3])),
        Err(Error::Shape(_))
    ));
    assert!(matches!(
        LinearRegression::fit_closed_form(&t(&[1.0], &[1]), &t(&[1.0], &[1])),
        Err(Error::Rank { .. })
    ));
}

#[test]
fn softmax_regression_predicts_and_scores() {
    let (n, d, q) = (6, 3, 4);
    let model = SoftmaxRegression::<f64>::new(d, q, &mut StdRng::seed_from_u64(5)).unwrap();
    let x = t(&rand_vec(n * d, -2.0, 2.0, 6), &[n, d]);
    let logits = model.logits(&x).unwrap();
    let proba = model.predict_proba(&x).unwrap();
    let pred = model.predict(&x).unwrap();
    for r in 0..n {
        let row = &logits.as_slice()[r * q..(r + 1) * q];
        let s: f64 = row.iter().map(|v| v.exp()).sum();
        for k in 0..q {
            assert!((proba.as_slice()[r * q + k] - row[k].exp() / s).abs() < 1e-15);
        }
        let best = (0..q).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap();
        assert_eq!(pred[r], best as i64);
    }
    let mut labels = pred.clone();
    labels[0] = (labels[0] + 1) % q as i64;
    labels[3] = (labels[3] + 1) % q as i64;
    assert!((model.accuracy(&x, &labels).unwrap() - 4.0 / 6.0).abs() < 1e-15);
    assert!(matches!(
        model.accuracy(&x, &labels[..2]),
        Err(Error::Shape(_))
    ));
    // The training loss is CrossEntropyLoss's.
    let want = CrossEntropyLoss::default()
        .forward(&logits, &labels)
        .unwrap()
        .item()
        .unwrap();
    assert!((model.loss(&x, &labels).unwrap().item().unwrap() - want).abs() < 1e-15);
    assert!(matches!(
        model.loss(&x, &[0, 1, 2, 3, 4, 0]),
        Err(Error::TargetOutOfRange { index: 4, .. })
    ));
    // one_hot.
    assert_eq!(
        one_hot::<f64>(&[1, 0], 2).unwrap().to_vec(),
        vec![0.0, 1.0, 1.0, 0.0]
    );
    assert!(matches!(
        one_hot::<f64>(&[0, 2], 2),
        Err(Error::TargetOutOfRange {
            index: 1,
            target: 2,
            classes: 2,
            ..
        })
    ));
}

#[test]
fn fused_loss_and_grad_matches_reverse_mode() {
    let (n, d, q) = (9, 5, 4);
    let model = SoftmaxRegression::<f64>::new(d, q, &mut StdRng::seed_from_u64(8)).unwrap();
    let x = t(&rand_vec(n * d, -2.0, 2.0, 9), &[n, d]);
    let labels = [0, 3, 1, 1, 2, 3, 0, 2, 2];
    // The fused gradient, through the Model trait: the whole batch, one
    // shard; it returns the summed loss and the gradient of the mean.
    let data = Data::new(
        Inputs::Real(x.as_slice()),
        d,
        Targets::Classes {
            labels: &labels,
            classes: q,
        },
    )
    .unwrap();
    let rows: Vec<usize> = (0..n).collect();
    let batch = Batch::new(data, &rows, n).unwrap();
    let mut grads = vec![vec![0.0; q * d], vec![0.0; q]];
    let sums = model
        .loss_and_grad(&batch, &mut grads, &mut Default::default())
        .unwrap();
    let w = Var::leaf(model.linear.weight.clone());
    let b = Var::leaf(model.linear.bias.clone().unwrap());
    let loss =
        models::softmax_regression_loss(&Var::new(x.clone()), &w, Some(&b), &labels).unwrap();
    loss.backward().unwrap();
    assert!((sums.loss / n as f64 - loss.value().item().unwrap()).abs() < 1e-14);
    assert_close(&grads[0], w.grad().unwrap().as_slice(), 1e-12, 1e-15);
    assert_close(&grads[1], b.grad().unwrap().as_slice(), 1e-12, 1e-15);
    assert!(
        Data::new(
            Inputs::Real(x.as_slice()),
            d,
            Targets::Classes {
                labels: &labels[..3],
                classes: q
            }
        )
        .is_err()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The fused slice kernel against the textbook formula, in f64 and f32.
    #[test]
    fn fused_softmax_cross_entropy_matches_formula(n in 1usize..9, c in 1usize..40, seed in 0u64..1_000_000, scale in 0.1f64..50.0) {
        let x = rand_vec(n * c, -scale, scale, seed);
        let y: Vec<i64> = rand_vec(n, 0.0, c as f64, seed + 1).iter().map(|v| *v as i64).collect();
        let mut g = vec![0.0; n * c];
        let loss = softmax_cross_entropy_fwd_bwd(&x, c, &y, &mut g).unwrap();
        let mut want_loss = 0.0;
        for r in 0..n {
            let row = &x[r * c..(r + 1) * c];
            let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = row.iter().map(|v| (v - m).exp()).sum();
            want_loss += (m + s.ln() - row[y[r] as usize]) / n as f64;
            for k in 0..c {
                let want = ((row[k] - m).exp() / s - f64::from(k as i64 == y[r])) / n as f64;
                prop_assert!((g[r * c + k] - want).abs() <= 1e-15 + 1e-12 * want.abs());
            }
        }
        prop_assert!((loss - want_loss).abs() <= 1e-12 * want_loss.abs() + 1e-14);
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let mut g32 = vec![0.0f32; n * c];
        let l32 = softmax_cross_entropy_fwd_bwd(&x32, c, &y, &mut g32).unwrap();
        prop_assert!((f64::from(l32) - want_loss).abs() <= 1e-5 * (1.0 + want_loss.abs()));
    }
}

#[test]
fn fused_softmax_cross_entropy_errors() {
    let x = [0.0f64; 6];
    let mut g = [0.0; 6];
    assert!(matches!(
        softmax_cross_entropy_fwd_bwd(&x, 3, &[0, 3], &mut g),
        Err(Error::TargetOutOfRange { index: 1, .. })
    ));
    assert!(matches!(
        softmax_cross_entropy_fwd_bwd(&x, 3, &[0], &mut g),
        Err(Error::Length { .. })
    ));
    assert!(matches!(
        softmax_cross_entropy_fwd_bwd(&x, 3, &[0, 1], &mut g[..5]),
        Err(Error::Length { .. })
    ));
    assert!(matches!(
        softmax_cross_entropy_fwd_bwd::<f64>(&[], 3, &[], &mut []),
        Err(Error::EmptyMean { .. })
    ));
}
