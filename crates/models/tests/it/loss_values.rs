//! Every loss against an oracle written straight from PyTorch's documented
//! formula (plain f64 loops in `common/oracle.rs`), for every reduction, and
//! against literal values worked out by hand.

use crate::common;

use common::oracle::{self as o, Red};
use common::{assert_close, rand_vec, t};
use models::autodiff::{Tensor, Value};
use models::losses::*;

/// Oracle and implementation agree to a few ulps (both f64, summing a
/// handful of terms): 1e-12 relative is 10⁶ times tighter than the 1e-6 target.
const RTOL: f64 = 1e-12;
const ATOL: f64 = 1e-14;

const REDS: [(Reduction, Red); 3] = [
    (Reduction::None, Red::None),
    (Reduction::Mean, Red::Mean),
    (Reduction::Sum, Red::Sum),
];

fn v(x: &Tensor<f64>) -> Vec<f64> {
    x.to_vec()
}

#[test]
fn regression_losses_match_formulas() {
    let shape = [3, 4];
    let x = rand_vec(12, -3.0, 3.0, 1);
    let y = rand_vec(12, -3.0, 3.0, 2);
    let (xt, yt) = (t(&x, &shape), t(&y, &shape));
    for (r, rr) in REDS {
        let got = L1Loss { reduction: r }.forward(&xt, &yt).unwrap();
        assert_close(&v(&got), &o::reduce(&o::l1(&x, &y), rr), RTOL, ATOL);
        let got = MseLoss { reduction: r }.forward(&xt, &yt).unwrap();
        assert_close(&v(&got), &o::reduce(&o::mse(&x, &y), rr), RTOL, ATOL);
        for delta in [0.5, 1.0, 2.5] {
            let got = HuberLoss {
                reduction: r,
                delta,
            }
            .forward(&xt, &yt)
            .unwrap();
            assert_close(
                &v(&got),
                &o::reduce(&o::huber(&x, &y, delta), rr),
                RTOL,
                ATOL,
            );
        }
        for beta in [0.0, 0.5, 1.0, 2.5] {
            let got = SmoothL1Loss { reduction: r, beta }
                .forward(&xt, &yt)
                .unwrap();
            let want = if beta == 0.0 {
                o::l1(&x, &y)
            } else {
                o::smooth_l1(&x, &y, beta)
            };
            assert_close(&v(&got), &o::reduce(&want, rr), RTOL, ATOL);
        }
    }
    // Not-reduced output keeps the input's shape.
    let none = MseLoss {
        reduction: Reduction::None,
    }
    .forward(&xt, &yt)
    .unwrap();
    assert_eq!(none.shape().dims(), &shape);
}

#[test]
fn regression_losses_hand_values() {
    // d = x − y = [0.5, −2]: MSE mean (0.25 + 4)/2, L1 mean 1.25,
    // Huber δ=1: [0.125, 1·(2 − 0.5)] → mean 0.8125, SmoothL1 β=2: [0.0625, 2 − 1] → sum 1.0625.
    let x = t(&[1.0, -1.0], &[2]);
    let y = t(&[0.5, 1.0], &[2]);
    assert_eq!(
        MseLoss::default().forward(&x, &y).unwrap().item().unwrap(),
        2.125
    );
    assert_eq!(
        L1Loss::default().forward(&x, &y).unwrap().item().unwrap(),
        1.25
    );
    assert_eq!(
        HuberLoss::default()
            .forward(&x, &y)
            .unwrap()
            .item()
            .unwrap(),
        0.8125
    );
    let s = SmoothL1Loss {
        beta: 2.0,
        reduction: Reduction::Sum,
    };
    assert_eq!(s.forward(&x, &y).unwrap().item().unwrap(), 1.0625);
}

#[test]
fn poisson_and_gaussian_nll_match_formulas() {
    let shape = [2, 5];
    let x = rand_vec(10, -2.0, 2.0, 3);
    let rate = rand_vec(10, 0.1, 4.0, 4);
    // Counts on both sides of the Stirling threshold y > 1.
    let y = vec![0.0, 1.0, 2.0, 3.0, 7.0, 0.0, 1.5, 4.0, 1.0, 12.0];
    let yt = t(&y, &shape);
    for (r, rr) in REDS {
        for full in [false, true] {
            let l = PoissonNllLoss {
                log_input: true,
                full,
                reduction: r,
                ..Default::default()
            };
            let got = l.forward(&t(&x, &shape), &yt).unwrap();
            assert_close(
                &v(&got),
                &o::reduce(&o::poisson_nll(&x, &y, true, full, 1e-8), rr),
                RTOL,
                ATOL,
            );
            let l = PoissonNllLoss {
                log_input: false,
                full,
                reduction: r,
                ..Default::default()
            };
            let got = l.forward(&t(&rate, &shape), &yt).unwrap();
            let want = o::poisson_nll(&rate, &y, false, full, 1e-8);
            assert_close(&v(&got), &o::reduce(&want, rr), RTOL, ATOL);
        }
    }
    // Gaussian: var of full shape, (N, 1) and (N); one variance below eps (clamped).
    let mu = rand_vec(10, -1.0, 1.0, 5);
    let tg = rand_vec(10, -1.0, 1.0, 6);
    let var_full = {
        let mut v = rand_vec(10, 0.2, 2.0, 7);
        v[3] = 1e-9;
        v
    };
    let var_row = vec![0.5, 2.0];
    let var_row_b: Vec<f64> = (0..10).map(|i| var_row[i / 5]).collect();
    for (r, rr) in REDS {
        for full in [false, true] {
            let l = GaussianNllLoss {
                full,
                reduction: r,
                ..Default::default()
            };
            let got = l
                .forward(&t(&mu, &shape), &t(&tg, &shape), &t(&var_full, &shape))
                .unwrap();
            let want = o::gaussian_nll(&mu, &tg, &var_full, full, 1e-6);
            assert_close(&v(&got), &o::reduce(&want, rr), RTOL, ATOL);
            let want = o::reduce(&o::gaussian_nll(&mu, &tg, &var_row_b, full, 1e-6), rr);
            for vs in [&[2usize, 1][..], &[2][..]] {
                let got = l
                    .forward(&t(&mu, &shape), &t(&tg, &shape), &t(&var_row, vs))
                    .unwrap();
                assert_close(&v(&got), &want, RTOL, ATOL);
            }
        }
    }
    // Hand value: μ = 1, y = 0, σ² = 1: ½(ln 1 + 1) = 0.5; full adds ½ln 2π.
    let g = GaussianNllLoss {
        full: true,
        ..Default::default()
    };
    let got = g
        .forward(&t(&[1.0], &[1]), &t(&[0.0], &[1]), &t(&[1.0], &[1]))
        .unwrap();
    assert_close(
        &[got.item().unwrap()],
        &[0.5 + 0.5 * (2.0 * std::f64::consts::PI).ln()],
        1e-15,
        0.0,
    );
}

#[test]
fn cross_entropy_class_indices_match_formula() {
    let (n, c) = (6, 4);
    let x = rand_vec(n * c, -4.0, 4.0, 8);
    let xt = t(&x, &[n, c]);
    let y: Vec<i64> = vec![0, 3, -100, 2, 1, 3];
    let y_ign: Vec<i64> = vec![0, 3, 7, 2, 7, 3];
    let w = vec![0.5, 2.0, 1.0, 3.0];
    for (r, rr) in REDS {
        for weight in [None, Some(w.clone())] {
            for eps in [0.0, 0.1, 0.7] {
                let l = CrossEntropyLoss {
                    weight: weight.as_deref().map(Tensor::vector),
                    reduction: r,
                    label_smoothing: eps,
                    ..Default::default()
                };
                let got = l.forward(&xt, &y).unwrap();
                let want = o::cross_entropy_idx(&x, c, &y, weight.as_deref(), -100, eps, rr);
                assert_close(&v(&got), &want, RTOL, ATOL);
                // A user-chosen ignore_index (7) is ignored; −100 is then out of range.
                let l2 = CrossEntropyLoss {
                    ignore_index: 7,
                    ..l.clone()
                };
                let got = l2.forward(&xt, &y_ign).unwrap();
                let want = o::cross_entropy_idx(&x, c, &y_ign, weight.as_deref(), 7, eps, rr);
                assert_close(&v(&got), &want, RTOL, ATOL);
                assert!(matches!(
                    l2.forward(&xt, &y),
                    Err(models::Error::TargetOutOfRange {
                        index: 2,
                        target: -100,
                        ..
                    })
                ));
                // NLL on the log-probabilities equals CE without smoothing.
                if eps == 0.0 {
                    let lp = xt.log_softmax().unwrap();
                    let nl = NllLoss {
                        weight: weight.as_deref().map(Tensor::vector),
                        reduction: r,
                        ..Default::default()
                    };
                    let got = nl.forward(&lp, &y).unwrap();
                    let want = o::nll(&v(&lp), c, &y, weight.as_deref(), -100, rr);
                    assert_close(&v(&got), &want, RTOL, ATOL);
                }
            }
        }
    }
}

#[test]
fn cross_entropy_hand_values() {
    // Equal logits over 3 classes: −ln(1/3) = ln 3 for every target.
    let x = t(&[0.0; 6], &[2, 3]);
    let l = CrossEntropyLoss::default().forward(&x, &[0, 2]).unwrap();
    assert_close(&[l.item().unwrap()], &[3f64.ln()], 1e-15, 0.0);
    // Weighted mean divides by the weights of the counted targets:
    // per-sample losses ln 3 · w_y = [ln 3 · 1, ln 3 · 4], ignored third;
    // mean = ln 3 · 5 / 5 = ln 3 (whereas dividing by N would give 5/3 ln 3).
    let x = t(&[0.0; 9], &[3, 3]);
    let l = CrossEntropyLoss {
        weight: Some(Tensor::vector(&[1.0, 2.0, 4.0])),
        ..Default::default()
    };
    let got = l.forward(&x, &[0, 2, -100]).unwrap().item().unwrap();
    assert_close(&[got], &[3f64.ln()], 1e-15, 0.0);
    // Two classes, logits (ln 3, 0): p = (3/4, 1/4); target 0 → −ln(3/4).
    // With ε = 0.2: 0.8·(−ln ¾) + 0.1·(−ln ¾ − ln ¼).
    let x = t(&[3f64.ln(), 0.0], &[2]);
    let l = CrossEntropyLoss {
        label_smoothing: 0.2,
        ..Default::default()
    };
    let want = 0.8 * -(0.75f64.ln()) + 0.1 * (-(0.75f64.ln()) - 0.25f64.ln());
    assert_close(
        &[l.forward(&x, &[0]).unwrap().item().unwrap()],
        &[want],
        1e-15,
        0.0,
    );
    // Unbatched with no reduction is a scalar.
    let l = CrossEntropyLoss {
        reduction: Reduction::None,
        ..Default::default()
    };
    assert_eq!(l.forward(&x, &[1]).unwrap().shape().rank(), 0);
}

#[test]
fn cross_entropy_probabilities_match_formula() {
    let (n, c) = (5, 3);
    let x = rand_vec(n * c, -3.0, 3.0, 9);
    let mut y = rand_vec(n * c, 0.0, 1.0, 10);
    for row in y.chunks_mut(c) {
        let s: f64 = row.iter().sum();
        row.iter_mut().for_each(|p| *p /= s);
    }
    let w = vec![0.3, 1.0, 2.0];
    for (r, rr) in REDS {
        for weight in [None, Some(w.clone())] {
            for eps in [0.0, 0.25] {
                let l = CrossEntropyLoss {
                    weight: weight.as_deref().map(Tensor::vector),
                    reduction: r,
                    label_smoothing: eps,
                    ..Default::default()
                };
                let got = l.forward(&t(&x, &[n, c]), &t(&y, &[n, c])).unwrap();
                let want = o::cross_entropy_prob(&x, c, &y, weight.as_deref(), eps, rr);
                assert_close(&v(&got), &want, RTOL, ATOL);
            }
        }
    }
    // One-hot probabilities give the class-index loss (weighted: only
    // without weights, since the weighted means divide differently).
    let idx: Vec<i64> = vec![2, 0, 1, 1, 0];
    let onehot = models::one_hot::<f64>(&[2, 0, 1, 1, 0], c).unwrap();
    let a = CrossEntropyLoss::default()
        .forward(&t(&x, &[n, c]), &idx)
        .unwrap();
    let b = CrossEntropyLoss::default()
        .forward(&t(&x, &[n, c]), &onehot)
        .unwrap();
    assert_close(&[a.item().unwrap()], &[b.item().unwrap()], 1e-14, 0.0);
}

#[test]
fn binary_cross_entropy_matches_formula() {
    let shape = [3, 4];
    let x = rand_vec(12, 0.01, 0.99, 11);
    let y = rand_vec(12, 0.0, 1.0, 12);
    let w = rand_vec(4, 0.5, 2.0, 13);
    let wb: Vec<f64> = (0..12).map(|i| w[i % 4]).collect();
    let logits = rand_vec(12, -6.0, 6.0, 14);
    let pw = vec![0.5, 1.0, 3.0, 2.0];
    for (r, rr) in REDS {
        for weighted in [false, true] {
            let weight = weighted.then(|| t(&w, &[4]));
            let l = BceLoss {
                weight: weight.clone(),
                reduction: r,
            };
            let got = l.forward(&t(&x, &shape), &t(&y, &shape)).unwrap();
            let want = o::bce(&x, &y, weighted.then_some(&wb[..]));
            assert_close(&v(&got), &o::reduce(&want, rr), RTOL, ATOL);
            for pos in [false, true] {
                let l = BceWithLogitsLoss {
                    weight: weight.clone(),
                    pos_weight: pos.then(|| t(&pw, &[4])),
                    reduction: r,
                };
                let got = l.forward(&t(&logits, &shape), &t(&y, &shape)).unwrap();
                let want = o::bce_logits(
                    &logits,
                    &y,
                    weighted.then_some(&wb[..]),
                    pos.then_some(&pw[..]),
                    4,
                );
                assert_close(&v(&got), &o::reduce(&want, rr), 1e-11, ATOL);
            }
        }
    }
    // Hand values: BCE(½, 1) = ln 2; BCE(0, 1) = −max(ln 0, −100) = 100; BCE(1, 1) = 0.
    let l = BceLoss {
        reduction: Reduction::None,
        ..Default::default()
    };
    let got = l
        .forward(
            &t(&[0.5, 0.0, 1.0, 0.0], &[4]),
            &t(&[1.0, 1.0, 1.0, 0.0], &[4]),
        )
        .unwrap();
    assert_close(&v(&got), &[2f64.ln(), 100.0, 0.0, 0.0], 1e-15, 0.0);
    // BCE with logits at 0 is ln 2 for either target; pos_weight 3 triples the positive part.
    let l = BceWithLogitsLoss {
        pos_weight: Some(t(&[3.0], &[1])),
        reduction: Reduction::None,
        ..Default::default()
    };
    let got = l
        .forward(&t(&[0.0, 0.0], &[2]), &t(&[1.0, 0.0], &[2]))
        .unwrap();
    assert_close(&v(&got), &[3.0 * 2f64.ln(), 2f64.ln()], 1e-15, 0.0);
}

#[test]
fn kl_divergence_matches_formula() {
    let (n, c) = (4, 3);
    let x = v(&t(&rand_vec(n * c, -2.0, 2.0, 15), &[n, c])
        .log_softmax()
        .unwrap());
    let mut y = rand_vec(n * c, 0.0, 1.0, 16);
    y[4] = 0.0; // a zero-probability target contributes 0
    let ly: Vec<f64> = rand_vec(n * c, -3.0, 0.0, 17);
    for (r, rr) in [
        (Reduction::None, Red::None),
        (Reduction::Mean, Red::Mean),
        (Reduction::Sum, Red::Sum),
    ] {
        for (log_target, yy) in [(false, &y), (true, &ly)] {
            let l = KlDivLoss {
                reduction: r,
                log_target,
            };
            let got = l.forward(&t(&x, &[n, c]), &t(yy, &[n, c])).unwrap();
            assert_close(
                &v(&got),
                &o::reduce(&o::kl_div(&x, yy, log_target), rr),
                RTOL,
                ATOL,
            );
        }
    }
    let l = KlDivLoss {
        reduction: Reduction::BatchMean,
        log_target: false,
    };
    let got = l
        .forward(&t(&x, &[n, c]), &t(&y, &[n, c]))
        .unwrap()
        .item()
        .unwrap();
    let want = o::kl_div(&x, &y, false).iter().sum::<f64>() / n as f64;
    assert_close(&[got], &[want], RTOL, ATOL);
    // Hand value: KL((½, ½) ‖ (¼, ¾)) = ½ ln 2 + ½ ln(2/3).
    let lp = t(&[0.25f64.ln(), 0.75f64.ln()], &[1, 2]);
    let l = KlDivLoss {
        reduction: Reduction::BatchMean,
        log_target: false,
    };
    let got = l
        .forward(&lp, &t(&[0.5, 0.5], &[1, 2]))
        .unwrap()
        .item()
        .unwrap();
    assert_close(
        &[got],
        &[0.5 * 2f64.ln() + 0.5 * (2.0f64 / 3.0).ln()],
        1e-15,
        0.0,
    );
}

#[test]
fn soft_margin_losses_match_formulas() {
    let (n, c) = (4, 5);
    let x = rand_vec(n * c, -3.0, 3.0, 18);
    let ypm: Vec<f64> = rand_vec(n * c, 0.0, 1.0, 19)
        .iter()
        .map(|u| if *u < 0.5 { -1.0 } else { 1.0 })
        .collect();
    let y01: Vec<f64> = ypm.iter().map(|s| (s + 1.0) / 2.0).collect();
    let w = rand_vec(c, 0.5, 2.0, 20);
    for (r, rr) in REDS {
        let got = SoftMarginLoss { reduction: r }
            .forward(&t(&x, &[n, c]), &t(&ypm, &[n, c]))
            .unwrap();
        assert_close(
            &v(&got),
            &o::reduce(&o::soft_margin(&x, &ypm), rr),
            RTOL,
            ATOL,
        );
        for weight in [None, Some(w.clone())] {
            let l = MultiLabelSoftMarginLoss {
                weight: weight.as_deref().map(Tensor::vector),
                reduction: r,
            };
            let got = l.forward(&t(&x, &[n, c]), &t(&y01, &[n, c])).unwrap();
            let want = o::multilabel_soft_margin(&x, c, &y01, weight.as_deref());
            assert_close(&v(&got), &o::reduce(&want, rr), RTOL, ATOL);
        }
    }
}

#[test]
fn multi_margin_losses_match_formulas() {
    let (n, c) = (5, 4);
    let x = rand_vec(n * c, -1.0, 1.0, 21);
    let y: Vec<i64> = vec![0, 3, 2, 2, 1];
    let w = vec![0.5, 1.5, 1.0, 2.0];
    for (r, rr) in REDS {
        for p in [1, 2] {
            for margin in [1.0, 0.3] {
                for weight in [None, Some(w.clone())] {
                    let l = MultiMarginLoss {
                        p,
                        margin,
                        weight: weight.as_deref().map(Tensor::vector),
                        reduction: r,
                    };
                    let got = l.forward(&t(&x, &[n, c]), &y).unwrap();
                    let want = o::multi_margin(&x, c, &y, p, margin, weight.as_deref());
                    assert_close(&v(&got), &o::reduce(&want, rr), RTOL, ATOL);
                }
            }
        }
        // Target rows: prefixes before the first −1, with garbage after it.
        let ty: Vec<i64> = vec![
            3, 0, -1, 1, //
            1, -1, 2, 2, //
            -1, 0, 0, 0, //
            0, 1, 2, 3, //
            2, 2, -1, -1,
        ];
        let got = MultiLabelMarginLoss { reduction: r }
            .forward(
                &t(&x, &[n, c]),
                &models::Labels::new(ty.clone(), [n, c]).unwrap(),
            )
            .unwrap();
        assert_close(
            &v(&got),
            &o::reduce(&o::multilabel_margin(&x, c, &ty), rr),
            RTOL,
            ATOL,
        );
    }
    // PyTorch's documented examples: x = [0.1, 0.2, 0.4, 0.8].
    let x = t(&[0.1, 0.2, 0.4, 0.8], &[1, 4]);
    // MultiMarginLoss, y = 3: ¼((1 − 0.7) + (1 − 0.6) + (1 − 0.4)) = 0.325.
    let got = MultiMarginLoss::default()
        .forward(&x, &[3])
        .unwrap()
        .item()
        .unwrap();
    assert_close(&[got], &[0.325], 1e-15, 0.0);
    // MultiLabelMarginLoss, y = [3, 0, −1, 1]: targets {3, 0}, others {1, 2}:
    // ¼((1 − (0.1 − 0.2)) + (1 − (0.1 − 0.4)) + (1 − (0.8 − 0.2)) + (1 − (0.8 − 0.4))) = 0.85.
    let got = MultiLabelMarginLoss::default()
        .forward(&x, &models::Labels::new(vec![3, 0, -1, 1], [1, 4]).unwrap())
        .unwrap()
        .item()
        .unwrap();
    assert_close(&[got], &[0.85], 1e-15, 0.0);
}

#[test]
fn embedding_losses_match_formulas() {
    let (n, d) = (6, 3);
    let a = rand_vec(n * d, -1.0, 1.0, 22);
    let b = rand_vec(n * d, -1.0, 1.0, 23);
    let c = rand_vec(n * d, -1.0, 1.0, 24);
    let y: Vec<f64> = vec![1.0, -1.0, -1.0, 1.0, -1.0, 1.0];
    let xs = rand_vec(n, -0.5, 2.0, 25);
    for (r, rr) in REDS {
        for margin in [1.0, 0.4] {
            let got = HingeEmbeddingLoss {
                margin,
                reduction: r,
            }
            .forward(&t(&xs, &[n]), &t(&y, &[n]))
            .unwrap();
            assert_close(
                &v(&got),
                &o::reduce(&o::hinge_embedding(&xs, &y, margin), rr),
                RTOL,
                ATOL,
            );
        }
        for margin in [0.0, -0.2, 0.3] {
            let l = CosineEmbeddingLoss {
                margin,
                reduction: r,
            };
            let got = l
                .forward(&t(&a, &[n, d]), &t(&b, &[n, d]), &t(&y, &[n]))
                .unwrap();
            assert_close(
                &v(&got),
                &o::reduce(&o::cosine_embedding(&a, &b, d, &y, margin), rr),
                RTOL,
                ATOL,
            );
            let l = MarginRankingLoss {
                margin,
                reduction: r,
            };
            let got = l
                .forward(&t(&xs, &[n]), &t(&a[..n], &[n]), &t(&y, &[n]))
                .unwrap();
            assert_close(
                &v(&got),
                &o::reduce(&o::margin_ranking(&xs, &a[..n], &y, margin), rr),
                RTOL,
                ATOL,
            );
        }
        for (p, swap) in [(2.0, false), (2.0, true), (1.0, false), (3.0, true)] {
            let l = TripletMarginLoss {
                p,
                swap,
                reduction: r,
                ..Default::default()
            };
            let got = l
                .forward(&t(&a, &[n, d]), &t(&b, &[n, d]), &t(&c, &[n, d]))
                .unwrap();
            let want = o::triplet(&a, &b, &c, d, 1.0, p, 1e-6, swap);
            assert_close(&v(&got), &o::reduce(&want, rr), RTOL, ATOL);
        }
        // The default distance of TripletMarginWithDistanceLoss is the Euclidean one.
        let l = TripletMarginWithDistanceLoss {
            reduction: r,
            swap: true,
            ..Default::default()
        };
        let got = l
            .forward(&t(&a, &[n, d]), &t(&b, &[n, d]), &t(&c, &[n, d]))
            .unwrap();
        assert_close(
            &v(&got),
            &o::reduce(&o::triplet(&a, &b, &c, d, 1.0, 2.0, 1e-6, true), rr),
            RTOL,
            ATOL,
        );
    }
    // A custom distance: 1 − cosine similarity (computed without eps).
    fn cos_dist<V: Value>(u: &V, w: &V) -> models::Result<V> {
        let dot = u.mul(w)?.sum_axis(1, false)?;
        let nu = u.square()?.sum_axis(1, false)?.sqrt()?;
        let nw = w.square()?.sum_axis(1, false)?.sqrt()?;
        Ok(dot.div(&nu.mul(&nw)?)?.neg()?.add_scalar(1.0)?)
    }
    let l = TripletMarginWithDistanceLoss {
        distance_function: cos_dist::<Tensor<f64>>,
        margin: 0.5,
        swap: false,
        reduction: Reduction::None,
    };
    let got = l
        .forward(&t(&a, &[n, d]), &t(&b, &[n, d]), &t(&c, &[n, d]))
        .unwrap();
    let cd = |u: &[f64], w: &[f64]| -> f64 {
        let dot: f64 = u.iter().zip(w).map(|(p, q)| p * q).sum();
        1.0 - dot
            / (u.iter().map(|p| p * p).sum::<f64>().sqrt()
                * w.iter().map(|p| p * p).sum::<f64>().sqrt())
    };
    let want: Vec<f64> = (0..n)
        .map(|i| {
            let s = |z: &[f64]| z[i * d..(i + 1) * d].to_vec();
            (cd(&s(&a), &s(&b)) - cd(&s(&a), &s(&c)) + 0.5).max(0.0)
        })
        .collect();
    assert_close(&v(&got), &want, RTOL, ATOL);
    // Hand values. Hinge: x = [0.3, 0.3], y = [1, −1], margin 1: [0.3, 0.7].
    let got = HingeEmbeddingLoss {
        reduction: Reduction::None,
        ..Default::default()
    }
    .forward(&t(&[0.3, 0.3], &[2]), &t(&[1.0, -1.0], &[2]))
    .unwrap();
    assert_close(&v(&got), &[0.3, 0.7], 1e-15, 0.0);
    // Cosine: orthogonal rows: cos = 0 → y = 1 gives 1, y = −1 gives max(0, 0 − 0) = 0.
    let l = CosineEmbeddingLoss {
        reduction: Reduction::None,
        ..Default::default()
    };
    let got = l
        .forward(
            &t(&[1.0, 0.0, 1.0, 0.0], &[2, 2]),
            &t(&[0.0, 1.0, 0.0, 1.0], &[2, 2]),
            &t(&[1.0, -1.0], &[2]),
        )
        .unwrap();
    assert_close(&v(&got), &[1.0, 0.0], 1e-15, 0.0);
    // Triplet: a = 0, p = (3, 4), n = (6, 8), eps = 0: max(5 − 10 + 1, 0) = 0; n = (3, 4.5): 5 − 5.40833 + 1.
    let l = TripletMarginLoss {
        eps: 0.0,
        reduction: Reduction::None,
        ..Default::default()
    };
    let got = l
        .forward(
            &t(&[0.0, 0.0, 0.0, 0.0], &[2, 2]),
            &t(&[3.0, 4.0, 3.0, 4.0], &[2, 2]),
            &t(&[6.0, 8.0, 3.0, 4.5], &[2, 2]),
        )
        .unwrap();
    assert_close(&v(&got), &[0.0, 6.0 - (9.0f64 + 20.25).sqrt()], 1e-15, 0.0);
}
