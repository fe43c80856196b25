//! Extreme inputs give finite losses and gradients where PyTorch's are
//! finite; invalid arguments are typed errors, never NaN.

use crate::common;

use common::{assert_close, t};
use models::autodiff::{Tensor, Var};
use models::losses::*;
use models::{Error, Labels};

fn finite(xs: &[f64]) -> bool {
    xs.iter().all(|v| v.is_finite())
}

#[test]
fn cross_entropy_with_huge_logits_is_finite_and_exact() {
    // Logits ±1e4: softmax probabilities underflow to 0, yet the loss is
    // logsumexp − x_y exactly: target 1 of (1e4, −1e4) costs 2e4.
    let x = t(&[1e4, -1e4, 0.0, -1e4, 1e4, 1e4], &[2, 3]);
    let l = CrossEntropyLoss {
        reduction: Reduction::None,
        ..Default::default()
    };
    let got = l.forward(&x, &[1, 0]).unwrap().to_vec();
    assert_close(&got, &[2e4, 2e4 + 2f64.ln()], 1e-15, 0.0);
    // Gradient in reverse mode is finite: (softmax − onehot)/N.
    let xv = Var::leaf(x.clone());
    CrossEntropyLoss::default()
        .forward(&xv, &[1, 0])
        .unwrap()
        .backward()
        .unwrap();
    let g = xv.grad().unwrap().to_vec();
    assert!(finite(&g), "{g:?}");
    assert_close(&g, &[0.5, -0.5, 0.0, -0.5, 0.25, 0.25], 1e-15, 1e-300);
    // Label smoothing sums log-probabilities of −2e4: still finite.
    let l = CrossEntropyLoss {
        label_smoothing: 0.1,
        ..Default::default()
    };
    assert!(l.forward(&x, &[1, 0]).unwrap().item().unwrap().is_finite());
    // f32 too.
    let x32 = x.cast::<f32>();
    let got = CrossEntropyLoss::default()
        .forward(&x32, &[0, 1])
        .unwrap()
        .item()
        .unwrap();
    assert!(got.is_finite());
    // The fused slice path agrees.
    let mut grad = vec![0.0; 6];
    let fused = softmax_cross_entropy_fwd_bwd(x.as_slice(), 3, &[1, 0], &mut grad).unwrap();
    assert_close(&[fused], &[(2e4 + 2e4 + 2f64.ln()) / 2.0], 1e-15, 0.0);
    assert_close(&grad, &g, 1e-15, 1e-300);
}

#[test]
fn binary_losses_at_the_extremes_are_finite() {
    // BCE at probabilities 0 and 1: each log is clamped at −100 (PyTorch).
    let p = t(&[0.0, 0.0, 1.0, 1.0], &[4]);
    let y = t(&[0.0, 1.0, 0.0, 1.0], &[4]);
    let l = BceLoss {
        reduction: Reduction::None,
        ..Default::default()
    };
    assert_eq!(
        l.forward(&p, &y).unwrap().to_vec(),
        vec![0.0, 100.0, 100.0, 0.0]
    );
    let pv = Var::leaf(p.clone());
    BceLoss::default()
        .forward(&pv, &Var::new(y.clone()))
        .unwrap()
        .backward()
        .unwrap();
    assert!(finite(&pv.grad().unwrap().to_vec()));
    // BCE with logits ±1e4 (and tiny losses keep their relative precision).
    let x = t(&[1e4, -1e4, 1e4, -1e4, -40.0], &[5]);
    let y = t(&[1.0, 1.0, 0.0, 0.0, 0.0], &[5]);
    let l = BceWithLogitsLoss {
        reduction: Reduction::None,
        ..Default::default()
    };
    let got = l.forward(&x, &y).unwrap().to_vec();
    assert_close(
        &got,
        &[0.0, 1e4, 1e4, 0.0, (-40f64).exp().ln_1p()],
        1e-15,
        0.0,
    );
    let xv = Var::leaf(x.clone());
    BceWithLogitsLoss::default()
        .forward(&xv, &Var::new(y.clone()))
        .unwrap()
        .backward()
        .unwrap();
    assert!(finite(&xv.grad().unwrap().to_vec()));
    // Soft margins.
    let x = t(&[1e4, -1e4], &[1, 2]);
    let ypm = t(&[-1.0, 1.0], &[1, 2]);
    let got = SoftMarginLoss {
        reduction: Reduction::None,
    }
    .forward(&x, &ypm)
    .unwrap()
    .to_vec();
    assert_eq!(got, vec![1e4, 1e4]);
    let got = MultiLabelSoftMarginLoss::default()
        .forward(&x, &t(&[0.0, 1.0], &[1, 2]))
        .unwrap();
    assert_eq!(got.item().unwrap(), 1e4);
    // KL with zero target probabilities contributes nothing (no 0·ln 0 = NaN).
    let lp = t(&[-1e4, 0.0], &[1, 2]);
    let got = KlDivLoss {
        reduction: Reduction::Sum,
        log_target: false,
    }
    .forward(&lp, &t(&[0.0, 1.0], &[1, 2]))
    .unwrap();
    assert_eq!(got.item().unwrap(), 0.0);
    let lpv = Var::leaf(lp);
    let yv = Var::leaf(t(&[0.0, 1.0], &[1, 2]));
    KlDivLoss::default()
        .forward(&lpv, &yv)
        .unwrap()
        .backward()
        .unwrap();
    assert!(finite(&lpv.grad().unwrap().to_vec()));
    // Poisson with a rate of 0 and eps: finite.
    let l = PoissonNllLoss {
        log_input: false,
        ..Default::default()
    };
    assert!(
        l.forward(&t(&[0.0], &[1]), &t(&[2.0], &[1]))
            .unwrap()
            .item()
            .unwrap()
            .is_finite()
    );
}

#[test]
fn invalid_arguments_are_typed_errors() {
    let x = t(&[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], &[2, 3]);
    let x4 = t(&[0.1, 0.2, 0.3, 0.4], &[2, 2]);
    let y = t(&[0.0, 1.0, 0.0, 1.0, 0.0, 1.0], &[2, 3]);
    let ce = CrossEntropyLoss::default();
    assert!(matches!(
        ce.forward(&x, &[0, 3]),
        Err(Error::TargetOutOfRange {
            index: 1,
            target: 3,
            classes: 3,
            ..
        })
    ));
    assert!(matches!(
        ce.forward(&x, &[0, -1]),
        Err(Error::TargetOutOfRange { target: -1, .. })
    ));
    assert!(matches!(ce.forward(&x, &[0]), Err(Error::Shape(_))));
    assert!(matches!(
        ce.forward(&x, &[-100, -100]),
        Err(Error::EmptyMean { .. })
    ));
    let summed = CrossEntropyLoss {
        reduction: Reduction::Sum,
        ..Default::default()
    };
    assert_eq!(
        summed.forward(&x, &[-100, -100]).unwrap().item().unwrap(),
        0.0
    );
    let bad_w = CrossEntropyLoss {
        weight: Some(Tensor::vector(&[1.0; 2])),
        ..Default::default()
    };
    assert!(matches!(bad_w.forward(&x, &[0, 1]), Err(Error::Shape(_))));
    let bad_s = CrossEntropyLoss {
        label_smoothing: 1.5,
        ..Default::default()
    };
    assert!(matches!(
        bad_s.forward(&x, &[0, 1]),
        Err(Error::InvalidArgument {
            arg: "label_smoothing",
            ..
        })
    ));
    assert!(matches!(ce.forward(&x, &x4), Err(Error::Shape(_))));
    // (N, C, d1) takes targets (N, d1): a flat (N) is a shape error, a scalar input a rank error.
    let rank3 = Tensor::<f64>::zeros([1, 2, 3]);
    assert!(matches!(ce.forward(&rank3, &[0]), Err(Error::Shape(_))));
    let scalar = Tensor::<f64>::zeros([]);
    assert!(matches!(ce.forward(&scalar, &[0]), Err(Error::Rank { .. })));
    assert!(matches!(
        NllLoss::default().forward(&x, &[5, 0]),
        Err(Error::TargetOutOfRange { .. })
    ));

    assert!(matches!(
        MseLoss::default().forward(&x, &x4),
        Err(Error::Shape(_))
    ));
    assert!(matches!(
        HuberLoss {
            delta: 0.0,
            ..Default::default()
        }
        .forward(&x, &y),
        Err(Error::InvalidArgument { arg: "delta", .. })
    ));
    assert!(matches!(
        SmoothL1Loss {
            beta: -1.0,
            ..Default::default()
        }
        .forward(&x, &y),
        Err(Error::InvalidArgument { arg: "beta", .. })
    ));

    let over = t(&[0.5, 1.5], &[2]);
    let half = t(&[0.5, 0.5], &[2]);
    assert!(matches!(
        BceLoss::default().forward(&over, &half),
        Err(Error::Domain {
            arg: "input",
            index: 1,
            ..
        })
    ));
    assert!(matches!(
        BceLoss::default().forward(&half, &t(&[-0.1, 0.5], &[2])),
        Err(Error::Domain {
            arg: "target",
            index: 0,
            ..
        })
    ));
    let nan = t(&[f64::NAN, 0.5], &[2]);
    assert!(matches!(
        BceLoss::default().forward(&nan, &half),
        Err(Error::Domain { .. })
    ));
    let bw = BceLoss {
        weight: Some(t(&[1.0, 2.0, 3.0], &[3])),
        ..Default::default()
    };
    assert!(matches!(bw.forward(&half, &half), Err(Error::Shape(_))));

    let g = GaussianNllLoss::default();
    assert!(matches!(
        g.forward(&x, &y, &t(&[1.0, -0.5], &[2, 1])),
        Err(Error::Domain {
            arg: "var",
            index: 1,
            ..
        })
    ));
    assert!(matches!(
        g.forward(&x, &y, &t(&[1.0, 1.0, 1.0], &[3])),
        Err(Error::Shape(_))
    ));
    let p = PoissonNllLoss {
        log_input: false,
        ..Default::default()
    };
    assert!(matches!(
        p.forward(&t(&[-1.0], &[1]), &t(&[1.0], &[1])),
        Err(Error::Domain { .. })
    ));
    assert!(matches!(
        KlDivLoss::default().forward(&half, &t(&[-0.5, 0.5], &[2])),
        Err(Error::Domain { .. })
    ));

    let mm = MultiMarginLoss {
        p: 3,
        ..Default::default()
    };
    assert!(matches!(
        mm.forward(&x, &[0, 1]),
        Err(Error::InvalidArgument { arg: "p", .. })
    ));
    assert!(matches!(
        MultiMarginLoss::default().forward(&x, &[0, 3]),
        Err(Error::TargetOutOfRange { .. })
    ));
    assert!(matches!(
        MultiLabelMarginLoss::default()
            .forward(&x, &Labels::new(vec![0, 3, -1, 0, -1, 0], [2, 3]).unwrap()),
        Err(Error::TargetOutOfRange { index: 1, .. })
    ));
    assert!(matches!(
        MultiLabelMarginLoss::default()
            .forward(&x, &Labels::new(vec![0, -2, -1, 0, -1, 0], [2, 3]).unwrap()),
        Err(Error::TargetOutOfRange { .. })
    ));
    assert!(matches!(
        HingeEmbeddingLoss::default().forward(&half, &t(&[1.0, 0.0], &[2])),
        Err(Error::Domain { .. })
    ));
    let c = CosineEmbeddingLoss::default();
    assert!(matches!(
        c.forward(&x, &x, &t(&[1.0, 2.0], &[2])),
        Err(Error::Domain { .. })
    ));
    assert!(matches!(
        c.forward(&x, &x, &t(&[1.0, 1.0, 1.0], &[3])),
        Err(Error::Shape(_))
    ));
    let tm = TripletMarginLoss {
        p: 0.0,
        ..Default::default()
    };
    assert!(matches!(
        tm.forward(&x, &x, &x),
        Err(Error::InvalidArgument { arg: "p", .. })
    ));
    assert!(matches!(
        TripletMarginLoss::default().forward(&x, &x, &x4),
        Err(Error::Shape(_))
    ));
    let twd = TripletMarginWithDistanceLoss {
        margin: 0.0,
        ..Default::default()
    };
    assert!(matches!(
        twd.forward(&x, &x, &x),
        Err(Error::InvalidArgument { arg: "margin", .. })
    ));
    let empty = Tensor::<f64>::zeros([0]);
    assert!(matches!(
        L1Loss::default().forward(&empty, &empty),
        Err(Error::EmptyMean { .. })
    ));

    // Error messages say what and where.
    let e = ce.forward(&x, &[0, 3]).unwrap_err().to_string();
    assert!(
        e.contains("CrossEntropyLoss") && e.contains("target 3") && e.contains("position 1"),
        "{e}"
    );
}

#[test]
fn losses_run_in_forward_mode() {
    // A directional derivative through a loss with a dual number equals the
    // reverse-mode gradient projected on the same direction.
    use models::autodiff::Dual;
    let x = t(&[0.3, -1.2, 2.0, 0.5, 0.1, -0.4], &[2, 3]);
    let dir = t(&[1.0, 0.5, -0.25, 0.0, 2.0, 1.0], &[2, 3]);
    let loss = CrossEntropyLoss {
        label_smoothing: 0.1,
        weight: Some(Tensor::vector(&[1.0, 2.0, 0.5])),
        ..Default::default()
    };
    let dual = loss
        .forward(&Dual::new(x.clone(), dir.clone()).unwrap(), &[2, 0])
        .unwrap();
    let xv = Var::leaf(x.clone());
    loss.forward(&xv, &[2, 0]).unwrap().backward().unwrap();
    let g = xv.grad().unwrap();
    let proj: f64 = g
        .as_slice()
        .iter()
        .zip(dir.as_slice())
        .map(|(a, b)| a * b)
        .sum();
    assert!((dual.tangent().item().unwrap() - proj).abs() < 1e-14);
    assert_eq!(
        dual.primal().item().unwrap(),
        loss.forward(&x, &[2, 0]).unwrap().item().unwrap()
    );
}
