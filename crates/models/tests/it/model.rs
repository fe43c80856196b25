//! The `Model` trait: the fused gradients of the two linear models against
//! reverse mode (`Reverse`) and against central finite differences, on
//! real and byte inputs, for shards of a batch; and the errors of the
//! batch description.

use crate::common::{assert_close, rand_vec};
use models::autodiff::kernels::U8Scale;
use models::{
    Batch, Data, Error, Inputs, LinearRegression, Model, Net, Reverse, SoftmaxRegression, Targets,
};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

/// `loss_and_grad` into fresh buffers.
fn grads_of<M: Model<Elem = f64>>(m: &M, batch: &Batch<'_, f64>) -> (f64, Vec<Vec<f64>>) {
    let mut g: Vec<Vec<f64>> = m
        .named_parameters()
        .iter()
        .map(|(_, p)| vec![f64::NAN; p.numel()])
        .collect();
    let sums = m
        .loss_and_grad(batch, &mut g, &mut Default::default())
        .unwrap();
    (sums.loss, g)
}

/// The gradient of `evaluate`'s loss sum / batch size by central
/// differences with step `h`.
fn numeric<M: Model<Elem = f64> + Clone>(m: &M, batch: &Batch<'_, f64>, h: f64) -> Vec<Vec<f64>> {
    let loss = |m: &M| {
        m.evaluate(batch, &mut Default::default()).unwrap().loss / batch.batch_size() as f64
    };
    let count = m.named_parameters().len();
    (0..count)
        .map(|k| {
            let n = m.named_parameters()[k].1.numel();
            (0..n)
                .map(|i| {
                    let mut plus = m.clone();
                    let mut minus = m.clone();
                    plus.named_parameters_mut()[k].1.as_mut_slice()[i] += h;
                    minus.named_parameters_mut()[k].1.as_mut_slice()[i] -= h;
                    (loss(&plus) - loss(&minus)) / (2.0 * h)
                })
                .collect()
        })
        .collect()
}

/// The fused gradient against reverse mode (tightly: the same function,
/// other roundings) and against central differences; the fused loss sum.
fn three_ways<M: Model<Elem = f64> + Net + Clone>(model: &M, batch: &Batch<'_, f64>) -> f64 {
    let (fused_loss, fused) = grads_of(model, batch);
    let (reverse_loss, reverse) = grads_of(&Reverse(model.clone()), batch);
    assert!((fused_loss - reverse_loss).abs() <= 1e-12 * (1.0 + fused_loss.abs()));
    for (f, r) in fused.iter().zip(&reverse) {
        assert_close(f, r, 1e-11, 1e-13);
    }
    for (f, num) in fused.iter().zip(numeric(model, batch, 1e-5)) {
        assert_close(f, &num, 1e-6, 1e-8);
    }
    fused_loss
}

/// Distinct rows of `0..n` (a shard), some of them.
fn shard(n: usize, seed: u64) -> Vec<usize> {
    let picks = rand_vec(n, 0.0, 1.0, seed);
    let rows: Vec<usize> = (0..n).filter(|&i| picks[i] < 0.7).collect();
    if rows.is_empty() { vec![0] } else { rows }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Softmax regression: fused = reverse mode = finite differences, on
    /// real inputs and on bytes scaled in registers.
    #[test]
    fn softmax_fused_gradient_matches_reverse_mode_and_differences(
        n in 1usize..12, d in 1usize..9, q in 1usize..6, extra in 0usize..5,
        seed in 0u64..1_000_000, bytes in any::<bool>(), standardize in any::<bool>(),
    ) {
        let model = SoftmaxRegression::<f64>::new(d, q, &mut StdRng::seed_from_u64(seed)).unwrap();
        let labels: Vec<i64> = rand_vec(n, 0.0, q as f64, seed + 1).iter().map(|&v| v as i64).collect();
        let real = rand_vec(n * d, -2.0, 2.0, seed + 2);
        let pixels: Vec<u8> = rand_vec(n * d, 0.0, 256.0, seed + 3).iter().map(|&v| v as u8).collect();
        let (mean, inv_std) = (rand_vec(d, 0.0, 200.0, seed + 4), rand_vec(d, 0.005, 0.05, seed + 5));
        let scale = if standardize {
            U8Scale::Standardize { mean: &mean, inv_std: &inv_std }
        } else {
            U8Scale::Mul(1.0 / 255.0)
        };
        let inputs = if bytes { Inputs::Bytes { bytes: &pixels, scale } } else { Inputs::Real(&real) };
        let data = Data::new(inputs, d, Targets::Classes { labels: &labels, classes: q }).unwrap();
        let rows = shard(n, seed + 6);
        let batch = Batch::new(data, &rows, rows.len() + extra).unwrap();
        let fused_loss = three_ways(&model, &batch);
        // Evaluation counts the rows whose first largest logit is the label.
        let eval = model.evaluate(&batch, &mut Default::default()).unwrap();
        prop_assert_eq!(eval.loss, fused_loss);
        prop_assert_eq!(
            eval.correct,
            Reverse(model).evaluate(&batch, &mut Default::default()).unwrap().correct
        );
    }

    /// Linear regression: the same three ways.
    #[test]
    fn linreg_fused_gradient_matches_reverse_mode_and_differences(
        n in 1usize..12, d in 1usize..6, extra in 0usize..5, seed in 0u64..1_000_000,
        bytes in any::<bool>(),
    ) {
        let model = LinearRegression::<f64>::new(d, &mut StdRng::seed_from_u64(seed)).unwrap();
        let y = rand_vec(n, -3.0, 3.0, seed + 1);
        let real = rand_vec(n * d, -2.0, 2.0, seed + 2);
        let pixels: Vec<u8> = rand_vec(n * d, 0.0, 256.0, seed + 3).iter().map(|&v| v as u8).collect();
        let inputs = if bytes {
            Inputs::Bytes { bytes: &pixels, scale: U8Scale::Div(255.0) }
        } else {
            Inputs::Real(&real)
        };
        let data = Data::new(inputs, d, Targets::Values(&y)).unwrap();
        let rows = shard(n, seed + 6);
        let batch = Batch::new(data, &rows, rows.len() + extra).unwrap();
        let fused_loss = three_ways(&model, &batch);
        let eval = model.evaluate(&batch, &mut Default::default()).unwrap();
        prop_assert!((eval.loss - fused_loss).abs() <= 1e-12 * (1.0 + fused_loss.abs()));
        prop_assert_eq!(eval.correct, None);
    }
}

/// The shards' gradients, each divided by the whole batch's size, add up
/// to the gradient of the batch mean.
#[test]
fn shard_gradients_add_up_to_the_batch_gradient() {
    let (n, d, q) = (10, 4, 3);
    let model = SoftmaxRegression::<f64>::new(d, q, &mut StdRng::seed_from_u64(1)).unwrap();
    let x = rand_vec(n * d, -1.0, 1.0, 2);
    let labels: Vec<i64> = (0..n as i64).map(|i| i % q as i64).collect();
    let data = Data::new(
        Inputs::Real(&x),
        d,
        Targets::Classes {
            labels: &labels,
            classes: q,
        },
    )
    .unwrap();
    let all: Vec<usize> = (0..n).collect();
    let (whole_loss, whole) = grads_of(&model, &Batch::new(data, &all, n).unwrap());
    let (a_loss, a) = grads_of(&model, &Batch::new(data, &all[..4], n).unwrap());
    let (b_loss, b) = grads_of(&model, &Batch::new(data, &all[4..], n).unwrap());
    assert!((a_loss + b_loss - whole_loss).abs() < 1e-12);
    for k in 0..2 {
        let sum: Vec<f64> = a[k].iter().zip(&b[k]).map(|(x, y)| x + y).collect();
        assert_close(&sum, &whole[k], 1e-13, 1e-15);
    }
}

#[test]
fn bad_batches_are_typed_errors() {
    let x = [0.5f64; 6];
    let labels = [0i64, 2, 1];
    let classes = |labels| Targets::Classes { labels, classes: 3 };
    // Inputs that are not one row per target.
    assert!(Data::new(Inputs::Real(&x[..5]), 2, classes(&labels)).is_err());
    assert!(matches!(
        Data::new(Inputs::Real(&x), 0, classes(&labels)),
        Err(Error::InvalidArgument { .. })
    ));
    // A standardisation of the wrong width.
    let short = [0.0f64; 1];
    let scale = U8Scale::Standardize {
        mean: &short,
        inv_std: &short,
    };
    let bytes = [0u8; 6];
    assert!(
        Data::new(
            Inputs::Bytes {
                bytes: &bytes,
                scale
            },
            2,
            classes(&labels)
        )
        .is_err()
    );
    let data = Data::new(Inputs::Real(&x), 2, classes(&labels)).unwrap();
    // Rows outside the data; a batch smaller than its rows.
    assert!(matches!(
        Batch::new(data, &[0, 3], 2),
        Err(Error::InvalidArgument { arg: "rows", .. })
    ));
    assert!(matches!(
        Batch::new(data, &[0, 1], 1),
        Err(Error::InvalidArgument {
            arg: "batch_size",
            ..
        })
    ));
    let model = SoftmaxRegression::<f64>::new(2, 3, &mut StdRng::seed_from_u64(0)).unwrap();
    let batch = Batch::new(data, &[0, 1, 2], 3).unwrap();
    // Gradient buffers that do not fit the parameters.
    let mut wrong = vec![vec![0.0; 6]];
    assert!(
        model
            .loss_and_grad(&batch, &mut wrong, &mut Default::default())
            .is_err()
    );
    // A label outside the classes, found as the batch is gathered, by
    // either gradient path.
    let bad = [0i64, -1, 1];
    let data = Data::new(Inputs::Real(&x), 2, classes(&bad)).unwrap();
    let batch = Batch::new(data, &[2, 1], 2).unwrap();
    let mut g = vec![vec![0.0; 6], vec![0.0; 3]];
    assert!(matches!(
        model.loss_and_grad(&batch, &mut g, &mut Default::default()),
        Err(Error::TargetOutOfRange {
            index: 1,
            target: -1,
            ..
        })
    ));
    assert!(matches!(
        Reverse(model.clone()).loss_and_grad(&batch, &mut g, &mut Default::default()),
        Err(Error::TargetOutOfRange { target: -1, .. })
    ));
    // A classifier given real targets, a regression given classes.
    let y = [1.0f64, 2.0, 3.0];
    let values = Data::new(Inputs::Real(&x), 2, Targets::Values(&y)).unwrap();
    assert!(matches!(
        model.check(&values),
        Err(Error::InvalidArgument { arg: "targets", .. })
    ));
    let linreg = LinearRegression::<f64>::new(2, &mut StdRng::seed_from_u64(0)).unwrap();
    assert!(linreg.check(&data).is_err());
    // A model of other inputs than the data's.
    let wide = LinearRegression::<f64>::new(3, &mut StdRng::seed_from_u64(0)).unwrap();
    assert!(wide.check(&values).is_err());
    assert!(Reverse(wide).check(&values).is_err());
}
