//! Gradients of every loss through autodiff's gradient checker in f64:
//! forward mode (JVP) and reverse mode (VJP) each against central finite
//! differences, and the two modes against each other, at random inputs
//! (proptest), for every reduction.

#![allow(clippy::needless_range_loop)] // index loops read like the formulas they check

use models::autodiff::{Function, Result as AdResult, Tensor, Value, check_grads};
use models::losses::*;
use proptest::prelude::*;

/// Unwraps a loss result inside a gradient-checked function: shape errors
/// from the op layer pass through; any other error is a test failure.
fn ad<V>(r: models::Result<V>) -> AdResult<V> {
    match r {
        Ok(v) => Ok(v),
        Err(models::Error::Autodiff(e)) => Err(e),
        Err(models::Error::Shape(e)) => Err(e.into()),
        Err(e) => panic!("loss failed: {e}"),
    }
}

fn lift<V: Value>(t: &Tensor<f64>) -> V {
    V::constant(t.cast::<V::Elem>())
}

/// Which loss, with its data (constants) captured; `xs` are the
/// differentiated inputs.
enum Case {
    L1(Reduction),
    Mse(Reduction),
    Huber(Reduction),
    SmoothL1(Reduction),
    Poisson(Reduction, bool, bool, Tensor<f64>),
    Gaussian(Reduction, bool),
    CrossEntropy(CrossEntropyLoss, Vec<i64>),
    CrossEntropyProbs(CrossEntropyLoss),
    Nll(NllLoss, Vec<i64>),
    Bce(BceLoss, Tensor<f64>),
    BceLogits(BceWithLogitsLoss),
    KlDiv(KlDivLoss),
    SoftMargin(Reduction, Tensor<f64>),
    MultiLabelSoftMargin(MultiLabelSoftMarginLoss, Tensor<f64>),
    MultiMargin(MultiMarginLoss, Vec<i64>),
    MultiLabelMargin(Reduction, models::Labels),
    HingeEmbedding(HingeEmbeddingLoss, Tensor<f64>),
    CosineEmbedding(CosineEmbeddingLoss, Tensor<f64>),
    MarginRanking(MarginRankingLoss, Tensor<f64>),
    Triplet(TripletMarginLoss),
    TripletCustom(Reduction),
}

fn sq_dist<V: Value>(a: &V, b: &V) -> models::Result<V> {
    Ok(a.sub(b)?.square()?.sum_axis(1, false)?)
}

impl Function for Case {
    fn eval<V: Value>(&self, xs: &[V]) -> AdResult<V> {
        use Case::*;
        ad(match self {
            L1(r) => L1Loss { reduction: *r }.forward(&xs[0], &xs[1]),
            Mse(r) => MseLoss { reduction: *r }.forward(&xs[0], &xs[1]),
            Huber(r) => HuberLoss {
                reduction: *r,
                delta: 0.7,
            }
            .forward(&xs[0], &xs[1]),
            SmoothL1(r) => SmoothL1Loss {
                reduction: *r,
                beta: 0.7,
            }
            .forward(&xs[0], &xs[1]),
            Poisson(r, log_input, full, y) => PoissonNllLoss {
                log_input: *log_input,
                full: *full,
                reduction: *r,
                ..Default::default()
            }
            .forward(&xs[0], &lift::<V>(y)),
            Gaussian(r, full) => GaussianNllLoss {
                full: *full,
                reduction: *r,
                ..Default::default()
            }
            .forward(&xs[0], &xs[1], &xs[2]),
            CrossEntropy(l, y) => l.forward(&xs[0], y),
            CrossEntropyProbs(l) => l.forward(&xs[0], &xs[1]),
            Nll(l, y) => l.forward(&xs[0], y),
            Bce(l, y) => l.forward(&xs[0], &lift::<V>(y)),
            BceLogits(l) => l.forward(&xs[0], &xs[1]),
            KlDiv(l) => l.forward(&xs[0], &xs[1]),
            SoftMargin(r, y) => SoftMarginLoss { reduction: *r }.forward(&xs[0], &lift::<V>(y)),
            MultiLabelSoftMargin(l, y) => l.forward(&xs[0], &lift::<V>(y)),
            MultiMargin(l, y) => l.forward(&xs[0], y),
            MultiLabelMargin(r, y) => MultiLabelMarginLoss { reduction: *r }.forward(&xs[0], y),
            HingeEmbedding(l, y) => l.forward(&xs[0], &lift::<V>(y)),
            CosineEmbedding(l, y) => l.forward(&xs[0], &xs[1], &lift::<V>(y)),
            MarginRanking(l, y) => l.forward(&xs[0], &xs[1], &lift::<V>(y)),
            Triplet(l) => l.forward(&xs[0], &xs[1], &xs[2]),
            TripletCustom(r) => TripletMarginWithDistanceLoss {
                distance_function: sq_dist::<V>,
                margin: 0.5,
                swap: true,
                reduction: *r,
            }
            .forward(&xs[0], &xs[1], &xs[2]),
        })
    }
}

fn u(shape: &[usize], lo: f64, hi: f64, seed: u64) -> Tensor<f64> {
    Tensor::rand_uniform(
        models::autodiff::Shape::new(shape).unwrap(),
        lo,
        hi,
        &mut models::autodiff::seeded(seed),
    )
    .unwrap()
}

fn signs(n: usize, seed: u64) -> Tensor<f64> {
    u(&[n], 0.0, 1.0, seed).map(|v| if v < 0.5 { -1.0 } else { 1.0 })
}

fn labels(n: usize, c: usize, seed: u64) -> Vec<i64> {
    u(&[n], 0.0, c as f64, seed)
        .as_slice()
        .iter()
        .map(|v| *v as i64)
        .collect()
}

const REDS: [Reduction; 3] = [Reduction::None, Reduction::Mean, Reduction::Sum];

#[track_caller]
fn check(name: &str, case: Case, xs: &[Tensor<f64>]) {
    if let Err(e) = check_grads(&case, xs) {
        panic!("{name}: {e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn regression_loss_gradients(n in 1usize..5, c in 1usize..5, seed in 0u64..1_000_000) {
        let s = [n, c];
        let x = u(&s, -2.0, 2.0, seed);
        let y = u(&s, -2.0, 2.0, seed + 1);
        for r in REDS {
            check("L1", Case::L1(r), &[x.clone(), y.clone()]);
            check("MSE", Case::Mse(r), &[x.clone(), y.clone()]);
            check("Huber", Case::Huber(r), &[x.clone(), y.clone()]);
            check("SmoothL1", Case::SmoothL1(r), &[x.clone(), y.clone()]);
            let counts = u(&s, 0.0, 5.0, seed + 2).map(f64::round);
            for full in [false, true] {
                check("PoissonNLL log", Case::Poisson(r, true, full, counts.clone()), std::slice::from_ref(&x));
                let rate = u(&s, 0.2, 3.0, seed + 3);
                check("PoissonNLL rate", Case::Poisson(r, false, full, counts.clone()), &[rate]);
                let var = u(&s, 0.2, 2.0, seed + 4);
                check("GaussianNLL", Case::Gaussian(r, full), &[x.clone(), y.clone(), var]);
                let var_row = u(&[n, 1], 0.2, 2.0, seed + 5);
                check("GaussianNLL (N,1)", Case::Gaussian(r, full), &[x.clone(), y.clone(), var_row]);
            }
        }
    }

    #[test]
    fn classification_loss_gradients(n in 1usize..5, c in 2usize..5, seed in 0u64..1_000_000) {
        let s = [n, c];
        let x = u(&s, -3.0, 3.0, seed);
        let mut y = labels(n, c, seed + 1);
        if n > 1 {
            y[0] = -100; // one ignored target
        }
        let w = u(&[c], 0.3, 2.0, seed + 2);
        let probs = u(&s, 0.05, 1.0, seed + 3);
        let y01 = u(&s, 0.0, 1.0, seed + 4);
        for r in REDS {
            for weight in [None, Some(w.clone())] {
                for label_smoothing in [0.0, 0.2] {
                    let l = CrossEntropyLoss { weight: weight.clone(), reduction: r, label_smoothing, ..Default::default() };
                    check("CE", Case::CrossEntropy(l.clone(), y.clone()), std::slice::from_ref(&x));
                    check("CE probs", Case::CrossEntropyProbs(l), &[x.clone(), probs.clone()]);
                }
                let l = NllLoss { weight: weight.clone(), reduction: r, ..Default::default() };
                check("NLL", Case::Nll(l, y.clone()), std::slice::from_ref(&x));
                let l = MultiLabelSoftMarginLoss { weight: weight.clone(), reduction: r };
                check("MultiLabelSoftMargin", Case::MultiLabelSoftMargin(l, y01.clone()), std::slice::from_ref(&x));
            }
            let p = u(&s, 0.05, 0.95, seed + 5);
            let bw = Some(u(&[c], 0.5, 2.0, seed + 6));
            check("BCE", Case::Bce(BceLoss { weight: bw.clone(), reduction: r }, y01.clone()), std::slice::from_ref(&p));
            let l = BceWithLogitsLoss { weight: bw.clone(), pos_weight: Some(u(&[c], 0.5, 3.0, seed + 7)), reduction: r };
            check("BCEWithLogits", Case::BceLogits(l), &[x.clone(), y01.clone()]);
            for (reduction, log_target) in [
                (Reduction::None, false),
                (Reduction::Mean, true),
                (Reduction::Sum, false),
                (Reduction::BatchMean, false),
                (Reduction::BatchMean, true),
            ] {
                let target = if log_target { u(&s, -3.0, 0.0, seed + 8) } else { probs.clone() };
                check("KLDiv", Case::KlDiv(KlDivLoss { reduction, log_target }), &[x.clone(), target]);
            }
        }
    }

    #[test]
    fn margin_loss_gradients(n in 1usize..5, c in 2usize..5, seed in 0u64..1_000_000) {
        let s = [n, c];
        let x = u(&s, -1.0, 1.0, seed);
        let x2 = u(&s, -1.0, 1.0, seed + 1);
        let x3 = u(&s, -1.0, 1.0, seed + 2);
        let y = labels(n, c, seed + 3);
        // A multi-label target row: a random prefix, then −1.
        let ml: Vec<i64> = (0..n).flat_map(|r| {
            let k = (seed as usize + r) % c;
            (0..c).map(move |i| if i < k { ((i + r) % c) as i64 } else { -1 })
        }).collect();
        for r in REDS {
            check("SoftMargin", Case::SoftMargin(r, signs(n * c, seed + 4).reshape([n, c]).unwrap()), std::slice::from_ref(&x));
            for p in [1, 2] {
                let l = MultiMarginLoss { p, margin: 0.9, weight: Some(Tensor::vector(&vec![1.5; c])), reduction: r };
                check("MultiMargin", Case::MultiMargin(l, y.clone()), std::slice::from_ref(&x));
            }
            check("MultiLabelMargin", Case::MultiLabelMargin(r, models::Labels::new(ml.clone(), [n, c]).unwrap()), std::slice::from_ref(&x));
            let d = u(&[n], -0.5, 1.5, seed + 5);
            check("HingeEmbedding", Case::HingeEmbedding(HingeEmbeddingLoss { margin: 1.0, reduction: r }, signs(n, seed + 6)), std::slice::from_ref(&d));
            check("CosineEmbedding", Case::CosineEmbedding(CosineEmbeddingLoss { margin: -0.5, reduction: r }, signs(n, seed + 7)), &[x.clone(), x2.clone()]);
            check("MarginRanking", Case::MarginRanking(MarginRankingLoss { margin: 0.1, reduction: r }, signs(n, seed + 8)), &[d.clone(), u(&[n], -0.5, 1.5, seed + 9)]);
            for (p, swap) in [(2.0, false), (1.0, true), (3.0, false)] {
                let l = TripletMarginLoss { margin: 5.0, p, swap, reduction: r, ..Default::default() };
                check("TripletMargin", Case::Triplet(l), &[x.clone(), x2.clone(), x3.clone()]);
            }
            check("TripletMarginWithDistance", Case::TripletCustom(r), &[x.clone(), x2.clone(), x3.clone()]);
        }
    }
}

/// Reverse mode matches closed forms: ∂CE/∂logits = (softmax − onehot)/N
/// and ∂BCEWithLogits/∂x = (σ(x) − y)/N.
#[test]
fn gradients_match_closed_forms() {
    use models::autodiff::Var;
    let (n, c) = (3, 4);
    let x = u(&[n, c], -2.0, 2.0, 5);
    let xv = Var::leaf(x.clone());
    let y = [1i64, 3, 0];
    CrossEntropyLoss::default()
        .forward(&xv, &y)
        .unwrap()
        .backward()
        .unwrap();
    let g = xv.grad().unwrap();
    let p = x.softmax().unwrap();
    for i in 0..n {
        for j in 0..c {
            let want = (p.at(&[i, j]).unwrap() - f64::from(y[i] == j as i64)) / n as f64;
            assert!((g.at(&[i, j]).unwrap() - want).abs() < 1e-15);
        }
    }
    let t = u(&[n, c], 0.0, 1.0, 6);
    let xv = Var::leaf(x.clone());
    BceWithLogitsLoss::default()
        .forward(&xv, &Var::new(t.clone()))
        .unwrap()
        .backward()
        .unwrap();
    let g = xv.grad().unwrap();
    for k in 0..n * c {
        let s = 1.0 / (1.0 + (-x.as_slice()[k]).exp());
        let want = (s - t.as_slice()[k]) / (n * c) as f64;
        assert!((g.as_slice()[k] - want).abs() < 1e-15, "{k}");
    }
}

/// The checker is not vacuous: a loss whose input is cut off from the
/// derivative (a wrong gradient of zero) is rejected.
#[test]
fn checker_rejects_a_wrong_gradient() {
    struct Cut;
    impl Function for Cut {
        fn eval<V: Value>(&self, xs: &[V]) -> AdResult<V> {
            ad(CrossEntropyLoss::default().forward(&xs[0].detach(), &[0, 1]))
        }
    }
    let x = u(&[2, 3], -1.0, 1.0, 1);
    assert!(check_grads(&Cut, &[x]).is_err());
}
