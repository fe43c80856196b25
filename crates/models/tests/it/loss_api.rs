//! The calling conventions of the losses: `batchmean` only for KLDivLoss,
//! plain tensors as targets of forward- and reverse-mode inputs, and one
//! CrossEntropyLoss call for class indices and probabilities.

use crate::common::{assert_close, t};
use models::autodiff::{Dual, Tensor, Value, Var};
use models::losses::*;
use models::{Error, Labels};

#[test]
fn batchmean_is_refused_by_every_loss_but_kl_div() {
    let x = t(&[0.2, 0.7, 0.4, 0.9], &[2, 2]);
    let y = t(&[0.0, 1.0, 1.0, 0.0], &[2, 2]);
    let pm = t(&[1.0, -1.0, -1.0, 1.0], &[2, 2]);
    let b = Reduction::BatchMean;
    let refused = |name: &str, r: models::Result<Tensor<f64>>| match r {
        Err(Error::InvalidReduction { op, reduction }) => {
            assert_eq!(reduction, "batchmean", "{name}");
            assert_eq!(op, name);
        }
        other => panic!("{name}: {other:?}"),
    };
    refused("L1Loss", L1Loss { reduction: b }.forward(&x, &y));
    refused("MSELoss", MseLoss { reduction: b }.forward(&x, &y));
    let huber = HuberLoss {
        reduction: b,
        ..Default::default()
    };
    refused("HuberLoss", huber.forward(&x, &y));
    let sl1 = SmoothL1Loss {
        reduction: b,
        ..Default::default()
    };
    refused("SmoothL1Loss", sl1.forward(&x, &y));
    let pois = PoissonNllLoss {
        reduction: b,
        ..Default::default()
    };
    refused("PoissonNLLLoss", pois.forward(&x, &y));
    let gauss = GaussianNllLoss {
        reduction: b,
        ..Default::default()
    };
    refused("GaussianNLLLoss", gauss.forward(&x, &y, &x));
    let ce = CrossEntropyLoss {
        reduction: b,
        ..Default::default()
    };
    refused("CrossEntropyLoss", ce.forward(&x, &[0, 1]));
    refused("CrossEntropyLoss", ce.forward(&x, &y));
    let nll = NllLoss {
        reduction: b,
        ..Default::default()
    };
    refused("NLLLoss", nll.forward(&x, &[0, 1]));
    let bce = BceLoss {
        reduction: b,
        ..Default::default()
    };
    refused("BCELoss", bce.forward(&x, &y));
    let bcel = BceWithLogitsLoss {
        reduction: b,
        ..Default::default()
    };
    refused("BCEWithLogitsLoss", bcel.forward(&x, &y));
    let mlsm = MultiLabelSoftMarginLoss {
        reduction: b,
        ..Default::default()
    };
    refused("MultiLabelSoftMarginLoss", mlsm.forward(&x, &y));
    refused(
        "SoftMarginLoss",
        SoftMarginLoss { reduction: b }.forward(&x, &pm),
    );
    let mm = MultiMarginLoss {
        reduction: b,
        ..Default::default()
    };
    refused("MultiMarginLoss", mm.forward(&x, &[0, 1]));
    let mlm = MultiLabelMarginLoss { reduction: b };
    let rows = Labels::new(vec![0, -1, 1, -1], [2, 2]).unwrap();
    refused("MultiLabelMarginLoss", mlm.forward(&x, &rows));
    let he = HingeEmbeddingLoss {
        reduction: b,
        ..Default::default()
    };
    refused("HingeEmbeddingLoss", he.forward(&x, &pm));
    let cos = CosineEmbeddingLoss {
        reduction: b,
        ..Default::default()
    };
    refused(
        "CosineEmbeddingLoss",
        cos.forward(&x, &y, &t(&[1.0, -1.0], &[2])),
    );
    let mr = MarginRankingLoss {
        reduction: b,
        ..Default::default()
    };
    refused("MarginRankingLoss", mr.forward(&x, &y, &pm));
    let tm = TripletMarginLoss {
        reduction: b,
        ..Default::default()
    };
    refused("TripletMarginLoss", tm.forward(&x, &y, &pm));
    let twd = TripletMarginWithDistanceLoss {
        reduction: b,
        ..Default::default()
    };
    refused("TripletMarginWithDistanceLoss", twd.forward(&x, &y, &pm));
    // The message is PyTorch's ValueError.
    assert_eq!(
        L1Loss { reduction: b }
            .forward(&x, &y)
            .unwrap_err()
            .to_string(),
        "L1Loss: batchmean is not a valid value for reduction"
    );

    // KLDivLoss takes it: the sum divided by the batch size.
    let lp = x.log().unwrap();
    let kl = |reduction| {
        KlDivLoss {
            reduction,
            log_target: false,
        }
        .forward(&lp, &y)
        .unwrap()
        .item()
        .unwrap()
    };
    assert_close(&[kl(b)], &[kl(Reduction::Sum) / 2.0], 1e-15, 0.0);
    assert_eq!(Reduction::BatchMean.name(), "batchmean");
    assert_eq!(Reduction::default(), Reduction::Mean);
}

#[test]
fn a_plain_tensor_is_the_target_of_any_input() {
    let x = t(&[0.2, -0.7, 1.4, 0.9, 0.1, -0.3], &[2, 3]);
    let y = t(&[0.5, 0.25, 1.0, -1.0, 0.0, 0.75], &[2, 3]);
    let dir = t(&[1.0, -2.0, 0.5, 0.0, 3.0, -1.0], &[2, 3]);
    let mse = MseLoss::default();

    // Reverse mode: the tensor target is the constant target.
    let xv = Var::leaf(x.clone());
    let by_tensor = mse.forward(&xv, &y).unwrap();
    by_tensor.backward().unwrap();
    let g_tensor = xv.grad().unwrap().to_vec();
    let xc = Var::leaf(x.clone());
    let by_var = mse.forward(&xc, &Var::constant(y.clone())).unwrap();
    by_var.backward().unwrap();
    assert_eq!(
        by_tensor.tensor().item().unwrap(),
        by_var.tensor().item().unwrap()
    );
    assert_eq!(g_tensor, xc.grad().unwrap().to_vec());
    // ∂/∂x mean((x − y)²) = 2(x − y)/6.
    let want: Vec<f64> = x
        .as_slice()
        .iter()
        .zip(y.as_slice())
        .map(|(a, b)| (a - b) / 3.0)
        .collect();
    assert_close(&g_tensor, &want, 1e-15, 0.0);

    // Forward mode: the tangent is ⟨∇, dir⟩ with the target held fixed.
    let xd = Dual::new(x.clone(), dir.clone()).unwrap();
    let d = mse.forward(&xd, &y).unwrap();
    let projected: f64 = want.iter().zip(dir.as_slice()).map(|(g, t)| g * t).sum();
    assert_close(&[d.tangent().item().unwrap()], &[projected], 1e-14, 0.0);
    assert_eq!(
        d.primal().item().unwrap(),
        by_tensor.tensor().item().unwrap()
    );

    // The same for the other families: a target tensor on Var and Dual inputs.
    let p = x.sigmoid().unwrap();
    let y01 = y.map(|v| v.clamp(0.0, 1.0));
    let pv = Var::leaf(p.clone());
    let bce = BceLoss::default().forward(&pv, &y01).unwrap();
    assert_eq!(
        bce.tensor().item().unwrap(),
        BceLoss::default()
            .forward(&p, &y01)
            .unwrap()
            .item()
            .unwrap()
    );
    let pm = y.map(|v| if v > 0.3 { 1.0 } else { -1.0 });
    let he = HingeEmbeddingLoss::default()
        .forward(&Dual::new(x.clone(), dir.clone()).unwrap(), &pm)
        .unwrap();
    assert_eq!(
        he.primal().item().unwrap(),
        HingeEmbeddingLoss::default()
            .forward(&x, &pm)
            .unwrap()
            .item()
            .unwrap()
    );
    let var = x.map(|v| v * v + 0.5);
    let g = GaussianNllLoss::default()
        .forward(&Var::leaf(x.clone()), &y, &var)
        .unwrap();
    assert_eq!(
        g.tensor().item().unwrap(),
        GaussianNllLoss::default()
            .forward(&x, &y, &var)
            .unwrap()
            .item()
            .unwrap()
    );

    // CrossEntropyLoss: a probability tensor on a Var and a Dual input.
    let probs = y.map(f64::abs);
    let ce = CrossEntropyLoss::default();
    let plain = ce.forward(&x, &probs).unwrap().item().unwrap();
    let xv = Var::leaf(x.clone());
    let on_var = ce.forward(&xv, &probs).unwrap();
    assert_eq!(on_var.tensor().item().unwrap(), plain);
    let on_dual = ce
        .forward(&Dual::new(x.clone(), dir).unwrap(), &probs)
        .unwrap();
    assert_eq!(on_dual.primal().item().unwrap(), plain);
    on_var.backward().unwrap();
    assert!(xv.grad().is_some());
}

/// Generic code over `Value` uses the value itself as the target, and
/// class indices of any shape.
fn generic_losses<V: Value>(x: &V, probs: &V) -> models::Result<(V, V)> {
    let ce = CrossEntropyLoss::default();
    Ok((ce.forward(x, probs)?, ce.forward(x, &Labels::from([2, 0]))?))
}

#[test]
fn cross_entropy_decides_by_the_target_type() {
    let x = t(&[0.3, -1.2, 2.0, 0.5, 0.5, -0.5], &[2, 3]);
    let one_hot = models::one_hot::<f64>(&[2, 0], 3).unwrap();
    let (by_probs, by_index) = generic_losses(&x, &one_hot).unwrap();
    assert_close(
        &[by_probs.item().unwrap()],
        &[by_index.item().unwrap()],
        1e-15,
        0.0,
    );
    // Slices, arrays, vectors and Labels are class indices alike.
    let ce = CrossEntropyLoss::default();
    let want = by_index.item().unwrap();
    let v: Vec<models::Label> = vec![2, 0];
    assert_eq!(ce.forward(&x, &v).unwrap().item().unwrap(), want);
    assert_eq!(ce.forward(&x, v.as_slice()).unwrap().item().unwrap(), want);
    assert_eq!(ce.forward(&x, &[2, 0]).unwrap().item().unwrap(), want);
    // Integer-valued floats are probabilities, not indices (PyTorch's dtype rule):
    // a (2) float target for a (2, 3) input is a shape error.
    assert!(matches!(
        ce.forward(&x, &t(&[2.0, 0.0], &[2])),
        Err(Error::Shape(_))
    ));
    // A shape error from the tensor layer is the same variant as the losses' own.
    let e = models::linear(&x, &t(&[1.0; 4], &[2, 2]), None).unwrap_err();
    assert!(matches!(e, Error::Shape(_)), "{e}");
    let from_autodiff: Error = x.matmul(&x).unwrap_err().into();
    assert!(matches!(from_autodiff, Error::Shape(_)));
}

#[test]
fn setters_build_the_same_configuration_as_the_fields() {
    let w = Tensor::vector(&[1.0, 2.0, 0.5]);
    let built = CrossEntropyLoss::default()
        .weight(w.clone())
        .label_smoothing(0.1)
        .ignore_index(-1)
        .reduction(Reduction::Sum);
    let literal = CrossEntropyLoss {
        weight: Some(w.clone()),
        label_smoothing: 0.1,
        ignore_index: -1,
        reduction: Reduction::Sum,
    };
    assert_eq!(built, literal);
    assert_eq!(built.clone().weight(None).weight, None);
    assert_eq!(
        BceWithLogitsLoss::default().pos_weight(w.clone()),
        BceWithLogitsLoss {
            pos_weight: Some(w),
            ..Default::default()
        }
    );
    assert_eq!(
        KlDivLoss::default()
            .reduction(Reduction::BatchMean)
            .log_target(true),
        KlDivLoss {
            reduction: Reduction::BatchMean,
            log_target: true
        }
    );
    assert_eq!(
        TripletMarginLoss::default().p(1.0).swap(true).margin(0.5),
        TripletMarginLoss {
            p: 1.0,
            swap: true,
            margin: 0.5,
            ..Default::default()
        }
    );
    // A distance of the caller's choice changes the loss's type.
    let sq = |a: &Tensor<f64>, b: &Tensor<f64>| -> models::Result<Tensor<f64>> {
        Ok(a.sub(b)?.square()?.sum_axis(1, false)?)
    };
    let twd = TripletMarginWithDistanceLoss::default()
        .distance_function(sq)
        .margin(1.0)
        .swap(false)
        .reduction(Reduction::Sum);
    let a = t(&[0.0, 0.0], &[1, 2]);
    let p = t(&[1.0, 0.0], &[1, 2]);
    let n = t(&[0.5, 0.0], &[1, 2]);
    // max(1 − 0.25 + 1, 0)
    assert_eq!(twd.forward(&a, &p, &n).unwrap().item().unwrap(), 1.75);
}
