//! CrossEntropyLoss and NLLLoss on inputs (N, C, d1, …, dk): against the same
//! loss on the flattened form (N·d1·…·dk, C) (values and reverse-mode
//! gradients, every reduction, class weights, ignore_index, label smoothing,
//! probability targets), gradients through the checker, and values computed
//! with PyTorch; and the other losses PyTorch gives extra dimensions
//! (MultiLabelSoftMarginLoss (N, *, C), TripletMarginLoss (N, *, D)).

use crate::common::{assert_close, rand_vec};
use models::autodiff::{Function, Result as AdResult, Tensor, Value, Var, check_grads};
use models::losses::{
    CrossEntropyLoss, MultiLabelSoftMarginLoss, NllLoss, Reduction, TripletMarginLoss,
};
use models::{Error, Labels};
use proptest::prelude::*;

const REDS: [Reduction; 3] = [Reduction::None, Reduction::Mean, Reduction::Sum];

fn u(shape: &[usize], lo: f64, hi: f64, seed: u64) -> Tensor<f64> {
    let n = shape.iter().product();
    Tensor::from_vec(rand_vec(n, lo, hi, seed), shape).unwrap()
}

/// The permutation (N, C, d1, …, dk) → (N, d1, …, dk, C).
fn classes_last(rank: usize) -> Vec<usize> {
    let mut p = vec![0];
    p.extend(2..rank);
    p.push(1);
    p
}

/// `x` (N, C, d1, …, dk) as (N·d1·…·dk, C): each row one element's class scores.
fn flatten<V: Value>(x: &V) -> V {
    let s = x.shape();
    let c = s[1];
    let rows = s.numel() / c.max(1);
    x.permute(&classes_last(s.rank()))
        .unwrap()
        .reshape([rows, c])
        .unwrap()
}

/// Random class indices for `m` elements, with every third one `ignore`.
fn labels(m: usize, c: usize, ignore: i64, seed: u64) -> Vec<i64> {
    u(&[m], 0.0, c as f64, seed)
        .as_slice()
        .iter()
        .enumerate()
        .map(|(i, v)| if i % 3 == 1 { ignore } else { *v as i64 })
        .collect()
}

/// Evaluates `loss(input)` in reverse mode and returns its value (flat) and
/// the gradient of `⟨cot, loss⟩` with respect to `input`, with `shape_input`
/// mapping the leaf to what the loss sees.
fn value_and_grad(
    x: &Tensor<f64>,
    cot: &Tensor<f64>,
    shape_input: impl Fn(&Var<Tensor<f64>>) -> Var<Tensor<f64>>,
    loss: impl Fn(&Var<Tensor<f64>>) -> models::Result<Var<Tensor<f64>>>,
) -> models::Result<(Vec<f64>, Vec<f64>)> {
    let leaf = Var::leaf(x.clone());
    let out = loss(&shape_input(&leaf))?;
    let value = out.tensor().to_vec();
    let c = Var::constant(cot.reshape(out.shape())?);
    out.mul(&c)?.sum()?.backward()?;
    Ok((value, leaf.grad().unwrap().to_vec()))
}

/// Compares two results: the same values and gradients, or the same error kind.
#[track_caller]
fn assert_same(
    spatial: models::Result<(Vec<f64>, Vec<f64>)>,
    flat: models::Result<(Vec<f64>, Vec<f64>)>,
) {
    match (spatial, flat) {
        (Ok((v1, g1)), Ok((v2, g2))) => {
            assert_close(&v1, &v2, 1e-12, 1e-13);
            assert_close(&g1, &g2, 1e-12, 1e-13);
        }
        (Err(Error::EmptyMean { .. }), Err(Error::EmptyMean { .. })) => {}
        (a, b) => panic!("spatial {a:?} vs flattened {b:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn spatial_matches_flattened(
        n in 1usize..3,
        c in 1usize..4,
        dims in proptest::collection::vec(1usize..4, 1..4),
        seed in 0u64..1_000_000,
    ) {
        let mut shape = vec![n, c];
        shape.extend(&dims);
        let m: usize = n * dims.iter().product::<usize>();
        let x = u(&shape, -3.0, 3.0, seed);
        let mut target_shape = vec![n];
        target_shape.extend(&dims);
        let y = labels(m, c, -100, seed + 1);
        let spatial_y = Labels::new(y.clone(), target_shape.as_slice()).unwrap();
        let flat_y = Labels::from(y.clone());
        let w = u(&[c], 0.2, 2.0, seed + 2);
        // Probabilities (unnormalised targets are allowed, as in PyTorch).
        let p = u(&shape, 0.0, 1.0, seed + 3);
        let flat_p = flatten(&p);
        let cot_el = u(&[m], -1.0, 1.0, seed + 4);
        let one = Tensor::scalar(1.0);
        for reduction in REDS {
            let cot = if reduction == Reduction::None { &cot_el } else { &one };
            for weight in [None, Some(w.clone())] {
                for label_smoothing in [0.0, 0.3] {
                    let ce = CrossEntropyLoss { weight: weight.clone(), reduction, label_smoothing, ignore_index: -100 };
                    assert_same(
                        value_and_grad(&x, cot, |v| v.clone(), |v| ce.forward(v, &spatial_y)),
                        value_and_grad(&x, cot, flatten, |v| ce.forward(v, &flat_y)),
                    );
                    assert_same(
                        value_and_grad(&x, cot, |v| v.clone(), |v| ce.forward(v, &p)),
                        value_and_grad(&x, cot, flatten, |v| ce.forward(v, &flat_p)),
                    );
                }
                let nll = NllLoss { weight: weight.clone(), reduction, ignore_index: -100 };
                assert_same(
                    value_and_grad(&x, cot, |v| v.clone(), |v| nll.forward(v, &spatial_y)),
                    value_and_grad(&x, cot, flatten, |v| nll.forward(v, &flat_y)),
                );
            }
            // Another ignore_index: a class that occurs is ignored.
            let ce = CrossEntropyLoss { ignore_index: 0, reduction, ..Default::default() };
            let y0: Vec<i64> = y.iter().map(|&l| if l < 0 { 0 } else { l }).collect();
            assert_same(
                value_and_grad(&x, cot, |v| v.clone(), |v| ce.forward(v, &Labels::new(y0.clone(), target_shape.as_slice()).unwrap())),
                value_and_grad(&x, cot, flatten, |v| ce.forward(v, y0.as_slice())),
            );
        }
    }

    #[test]
    fn spatial_gradients_pass_the_checker(
        n in 1usize..3,
        c in 2usize..4,
        d in 1usize..4,
        seed in 0u64..1_000_000,
    ) {
        let shape = [n, c, d, 2];
        let y = Labels::new(labels(n * d * 2, c, -100, seed + 1), [n, d, 2]).unwrap();
        let x = u(&shape, -3.0, 3.0, seed);
        let p = u(&shape, 0.05, 1.0, seed + 2);
        let w = u(&[c], 0.3, 2.0, seed + 3);
        for reduction in REDS {
            for weight in [None, Some(w.clone())] {
                for label_smoothing in [0.0, 0.2] {
                    let ce = CrossEntropyLoss { weight: weight.clone(), reduction, label_smoothing, ignore_index: -100 };
                    check(Spatial::CeIndices(ce.clone(), y.clone()), std::slice::from_ref(&x));
                    check(Spatial::CeProbabilities(ce), &[x.clone(), p.clone()]);
                }
                let nll = NllLoss { weight: weight.clone(), reduction, ignore_index: -100 };
                check(Spatial::Nll(nll, y.clone()), std::slice::from_ref(&x));
                // Classes along the last dimension: (N, C, d, 2) read as (N, *, C = 2).
                let w2 = weight.as_ref().map(|_| Tensor::vector(&[0.7, 1.9]));
                let mlsm = MultiLabelSoftMarginLoss { weight: w2, reduction };
                check(Spatial::MultiLabelSoftMargin(mlsm), &[x.clone(), p.clone()]);
            }
        }
    }
}

/// A spatial loss as a function of its differentiated inputs.
enum Spatial {
    CeIndices(CrossEntropyLoss, Labels),
    CeProbabilities(CrossEntropyLoss),
    Nll(NllLoss, Labels),
    MultiLabelSoftMargin(MultiLabelSoftMarginLoss),
}

impl Function for Spatial {
    fn eval<V: Value>(&self, xs: &[V]) -> AdResult<V> {
        let r = match self {
            Spatial::CeIndices(l, y) => l.forward(&xs[0], y),
            Spatial::CeProbabilities(l) => l.forward(&xs[0], &xs[1]),
            Spatial::Nll(l, y) => l.forward(&xs[0], y),
            Spatial::MultiLabelSoftMargin(l) => l.forward(&xs[0], &xs[1]),
        };
        match r {
            Ok(v) => Ok(v),
            Err(Error::Autodiff(e)) => Err(e),
            Err(Error::Shape(e)) => Err(e.into()),
            Err(e) => panic!("loss failed: {e}"),
        }
    }
}

#[track_caller]
fn check(f: Spatial, xs: &[Tensor<f64>]) {
    if let Err(e) = check_grads(&f, xs) {
        panic!("{e}");
    }
}

/// `((37 i) mod 17 − 8) / 4` for `i` in row-major order: the inputs of the PyTorch script.
fn pattern(shape: &[usize]) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    let data = (0..n).map(|i| ((i * 37) % 17) as f64 / 4.0 - 2.0).collect();
    Tensor::from_vec(data, shape).unwrap()
}

#[test]
fn spatial_values_match_pytorch() {
    // x = pattern((2, 3, 2, 2)), y = [[[0, 2], [1, -100]], [[2, 2], [0, 1]]],
    // w = [0.5, 2.0, 1.0], in float64 with PyTorch 2.15.
    let x = pattern(&[2, 3, 2, 2]);
    let y = Labels::new(vec![0, 2, 1, -100, 2, 2, 0, 1], [2, 2, 2]).unwrap();
    let w = Tensor::vector(&[0.5, 2.0, 1.0]);
    let ce = |weight: Option<Tensor<f64>>, label_smoothing, reduction| CrossEntropyLoss {
        weight,
        label_smoothing,
        reduction,
        ignore_index: -100,
    };
    // F.cross_entropy(x, y, reduction='none')
    let got = ce(None, 0.0, Reduction::None).forward(&x, &y).unwrap();
    assert_eq!(got.shape().dims(), &[2, 2, 2]);
    assert_close(
        &got.to_vec(),
        &[
            3.289898513252153,
            1.5398985132521532,
            3.201765469284433,
            0.0,
            1.5398985132521532,
            0.20176546928443312,
            1.951765469284433,
            1.563780863337258,
        ],
        1e-14,
        1e-15,
    );
    // F.cross_entropy(x, y)
    let got = ce(None, 0.0, Reduction::Mean).forward(&x, &y).unwrap();
    assert_close(&[got.item().unwrap()], &[1.898396115849574], 1e-14, 0.0);
    // F.cross_entropy(x, y, weight=w, label_smoothing=0.2), reduction mean / sum / none
    let got = ce(Some(w.clone()), 0.2, Reduction::Mean)
        .forward(&x, &y)
        .unwrap();
    assert_close(&[got.item().unwrap()], &[1.877812922215996], 1e-14, 0.0);
    let got = ce(Some(w.clone()), 0.2, Reduction::Sum)
        .forward(&x, &y)
        .unwrap();
    assert_close(&[got.item().unwrap()], &[15.022503377727968], 1e-14, 0.0);
    let got = ce(Some(w.clone()), 0.2, Reduction::None)
        .forward(&x, &y)
        .unwrap();
    assert_close(
        &got.to_vec(),
        &[
            1.5669357250596971,
            1.4828951303605584,
            5.628236693688128,
            0.0,
            1.4828951303605584,
            0.6668243182605809,
            1.2861181305468077,
            2.9085982494516402,
        ],
        1e-14,
        1e-15,
    );
    // x.grad after F.cross_entropy(x, y, weight=w, label_smoothing=0.2).backward()
    let xv = Var::leaf(x.clone());
    ce(Some(w.clone()), 0.2, Reduction::Mean)
        .forward(&xv, &y)
        .unwrap()
        .backward()
        .unwrap();
    assert_close(
        &xv.grad().unwrap().to_vec(),
        &[
            -0.05121710426315943,
            0.0006457772548451425,
            0.028380296655480957,
            0.0,
            0.04257687789622412,
            0.07999385340962885,
            -0.2073418055516387,
            0.0,
            0.00864022636693531,
            -0.08063963066447397,
            0.17896150889615775,
            0.0,
            0.0006457772548451425,
            0.014177985387634722,
            -0.0429231702462884,
            0.1632806337756162,
            0.07999385340962885,
            -0.011410835856378178,
            -0.013445351008747917,
            -0.1686922118686632,
            -0.08063963066447397,
            -0.002767149531256548,
            0.0563685212550363,
            0.005411578093047021,
        ],
        1e-13,
        1e-15,
    );

    // Probability targets: p[i] = (11 i mod 7) + 1, normalised over dim 1.
    let raw: Vec<f64> = (0..24).map(|i| ((i * 11) % 7 + 1) as f64).collect();
    let p: Vec<f64> = (0..24)
        .map(|i| {
            let (b, s) = (i / 12, i % 4);
            raw[i] / (0..3).map(|k| raw[b * 12 + k * 4 + s]).sum::<f64>()
        })
        .collect();
    let p = Tensor::from_vec(p, [2, 3, 2, 2]).unwrap();
    // F.cross_entropy(x, p, weight=w, label_smoothing=0.1)
    let got = ce(Some(w.clone()), 0.1, Reduction::Mean)
        .forward(&x, &p)
        .unwrap();
    assert_close(&[got.item().unwrap()], &[1.9656296027441065], 1e-14, 0.0);
    // F.cross_entropy(x, p, reduction='none')
    let got = ce(None, 0.0, Reduction::None).forward(&x, &p).unwrap();
    assert_eq!(got.shape().dims(), &[2, 2, 2]);
    assert_close(
        &got.to_vec(),
        &[
            1.317676291029931,
            1.5398985132521532,
            1.4934321359510996,
            1.5517654692844332,
            2.289898513252153,
            2.4744927420117055,
            1.3962099137288773,
            1.2959237204801153,
        ],
        1e-14,
        1e-15,
    );

    // NLLLoss on (N, C, d1) = (2, 3, 4): lp3 = F.log_softmax(pattern((2, 3, 4)), 1),
    // y3 = [[1, 0, 2, 2], [-100, 1, 0, 0]].
    let lp3 = pattern(&[2, 3, 4]).log_softmax_axis(1).unwrap();
    let y3 = Labels::new(vec![1, 0, 2, 2, -100, 1, 0, 0], [2, 4]).unwrap();
    // F.nll_loss(lp3, y3, weight=w)
    let got = NllLoss {
        weight: Some(w.clone()),
        ..Default::default()
    }
    .forward(&lp3, &y3)
    .unwrap();
    assert_close(&[got.item().unwrap()], &[1.355277510210528], 1e-14, 0.0);
    // F.nll_loss(lp3, y3, reduction='none')
    let got = NllLoss {
        reduction: Reduction::None,
        ..Default::default()
    }
    .forward(&lp3, &y3)
    .unwrap();
    assert_eq!(got.shape().dims(), &[2, 4]);
    assert_close(
        &got.to_vec(),
        &[
            0.28989851325215316,
            3.289898513252153,
            0.20176546928443312,
            0.20176546928443312,
            0.0,
            3.201765469284433,
            1.951765469284433,
            0.31378086333725796,
        ],
        1e-14,
        1e-15,
    );
    // F.nll_loss(lp3, where(y3 == -100, 1, y3), ignore_index=1, reduction='sum')
    let y1 = Labels::new(vec![1, 0, 2, 2, 1, 1, 0, 0], [2, 4]).unwrap();
    let got = NllLoss {
        ignore_index: 1,
        reduction: Reduction::Sum,
        ..Default::default()
    }
    .forward(&lp3, &y1)
    .unwrap();
    assert_close(&[got.item().unwrap()], &[5.9589757844427105], 1e-14, 0.0);
}

#[test]
fn spatial_targets_of_the_wrong_shape_are_refused() {
    let x = pattern(&[2, 3, 4]);
    let ce = CrossEntropyLoss::default();
    // PyTorch: "Expected target size [2, 4], got [2, 3]".
    let e = ce
        .forward(&x, &Labels::new(vec![0; 6], [2, 3]).unwrap())
        .unwrap_err();
    assert!(matches!(e, Error::Shape(_)), "{e}");
    assert_eq!(
        e.to_string(),
        "CrossEntropyLoss: shapes of input vs target do not match: [2, 3, 4] vs [2, 3]"
    );
    assert!(matches!(ce.forward(&x, &[0, 1]), Err(Error::Shape(_))));
    assert!(matches!(
        NllLoss::default().forward(&x, &Labels::new(vec![0; 8], [8]).unwrap()),
        Err(Error::Shape(_))
    ));
    // Probabilities must have the input's shape.
    assert!(matches!(
        ce.forward(&x, &pattern(&[2, 4, 3])),
        Err(Error::Shape(_))
    ));
    // A class index out of range names its flat position.
    assert!(matches!(
        ce.forward(
            &x,
            &Labels::new(vec![0, 0, 0, 0, 0, 3, 0, 0], [2, 4]).unwrap()
        ),
        Err(Error::TargetOutOfRange {
            index: 5,
            target: 3,
            classes: 3,
            ..
        })
    ));
    // A weight of the wrong length.
    let bad = CrossEntropyLoss {
        weight: Some(Tensor::vector(&[1.0, 2.0])),
        ..Default::default()
    };
    assert!(matches!(
        bad.forward(&x, &Labels::new(vec![0; 8], [2, 4]).unwrap()),
        Err(Error::Shape(_))
    ));
    // Unbatched (C) takes a target of shape () or (1), as PyTorch.
    let x1 = pattern(&[3]);
    let a = ce.forward(&x1, &Labels::scalar(2)).unwrap();
    let b = ce.forward(&x1, &[2]).unwrap();
    assert_eq!(a.item().unwrap(), b.item().unwrap());
    assert!(matches!(ce.forward(&x1, &[2, 0]), Err(Error::Shape(_))));
}

/// `((a·i) mod m − ⌊m/2⌋) / 4` in row-major order.
fn pattern_with(shape: &[usize], a: usize, m: usize) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    let data = (0..n)
        .map(|i| (((i * a) % m) as f64 - (m / 2) as f64) / 4.0)
        .collect();
    Tensor::from_vec(data, shape).unwrap()
}

#[test]
fn other_losses_with_extra_dimensions_match_pytorch() {
    // x = pattern_with((2, 3, 4), 37, 17), y[i] = 1 if 5i mod 3 = 0 else 0,
    // w = [0.5, 2.0, 1.0, 1.5]: F.multilabel_soft_margin_loss(x, y, weight=w, ...)
    let x = pattern_with(&[2, 3, 4], 37, 17);
    let y: Vec<f64> = (0..24)
        .map(|i| if (i * 5) % 3 == 0 { 1.0 } else { 0.0 })
        .collect();
    let y = Tensor::from_vec(y, [2, 3, 4]).unwrap();
    let w = Tensor::vector(&[0.5, 2.0, 1.0, 1.5]);
    let mlsm = |reduction| MultiLabelSoftMarginLoss {
        weight: Some(w.clone()),
        reduction,
    };
    // reduction='none'
    let got = mlsm(Reduction::None).forward(&x, &y).unwrap();
    assert_eq!(got.shape().dims(), &[2, 3]);
    assert_close(
        &got.to_vec(),
        &[
            0.726327070552651,
            1.714298956587677,
            1.4821111940523668,
            0.7244755852383679,
            0.8294018046732136,
            0.7975133652677714,
        ],
        1e-14,
        1e-15,
    );
    // reduction='mean'
    let got = mlsm(Reduction::Mean).forward(&x, &y).unwrap();
    assert_close(&[got.item().unwrap()], &[1.045687996062008], 1e-14, 0.0);

    // a, p, n = pattern_with((2, 3, 4), 37, 17), (…, 11, 13), (…, 7, 19):
    // F.triplet_margin_loss(a, p, n, margin=2.0, reduction='none')
    let a = pattern_with(&[2, 3, 4], 37, 17);
    let p = pattern_with(&[2, 3, 4], 11, 13);
    let n = pattern_with(&[2, 3, 4], 7, 19);
    let tm = TripletMarginLoss {
        margin: 2.0,
        reduction: Reduction::None,
        ..Default::default()
    };
    let got = tm.forward(&a, &p, &n).unwrap();
    assert_eq!(got.shape().dims(), &[2, 3]);
    assert_close(
        &got.to_vec(),
        &[
            2.066818639697795,
            3.9123585269860133,
            0.17565730957929926,
            0.5203418550219903,
            1.448704614370456,
            0.49528746997063244,
        ],
        1e-14,
        1e-15,
    );
    // F.triplet_margin_loss(a, p, n, margin=2.0, p=1.0, swap=True)
    let tm = TripletMarginLoss {
        margin: 2.0,
        p: 1.0,
        swap: true,
        ..Default::default()
    };
    let got = tm.forward(&a, &p, &n).unwrap();
    assert_close(&[got.item().unwrap()], &[2.041666333333333], 1e-14, 0.0);
}
