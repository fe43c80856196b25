//! The training loop: reproducibility across thread counts, fused vs
//! reverse-mode gradients, divergence detection, learning, checkpoints.

use rand::SeedableRng;
use rand::rngs::StdRng;
use train::checkpoint::{CheckpointError, load_linear, save_linear};
use train::data::embedded::{digits8x8, digits8x8_scaling};
use train::data::synthetic::synthetic_data;
use train::fit::book_softmax_init;
use train::{
    Element, FitConfig, GradPath, ImageDataset, LinRegTrainer, RegressionDataset, Scaling,
    SgdConfig, SoftmaxTrainer, TrainError,
};

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
}

/// A seeded image dataset big enough that every batch runs its shards in
/// parallel (`256 × 100` input values per batch).
fn random_images(n: usize, features: usize, classes: usize, seed: u64) -> ImageDataset {
    use rand::Rng;
    let mut rng = StdRng::seed_from_u64(seed);
    let labels: Vec<train::Label> = (0..n)
        .map(|_| train::Label::from(rng.random_range(0..classes as u8)))
        .collect();
    // Class-dependent means so that the problem is learnable.
    let pixels: Vec<u8> = labels
        .iter()
        .flat_map(|&l| {
            (0..features)
                .map(|j| {
                    let base = if j % classes == l as usize { 160 } else { 60 };
                    base + rng.random_range(0..60u8)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    ImageDataset::new(pixels, labels, 10, features / 10, classes).expect("a valid dataset")
}

fn softmax_run<T: Element>(
    ds: &ImageDataset,
    scaling: Scaling,
    config: FitConfig,
    epochs: usize,
) -> Result<(Vec<T>, Vec<T>), TrainError> {
    let model =
        book_softmax_init::<T, _>(ds.features(), ds.classes(), &mut StdRng::seed_from_u64(3))?;
    let mut t = SoftmaxTrainer::new(ds, model, scaling, config)?;
    for e in 1..=epochs {
        t.train_epoch(e, &mut |_, _| {})?;
    }
    Ok((t.weight().to_vec(), t.bias().to_vec()))
}

fn bits<T: Element>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.to_f64().to_bits()).collect()
}

#[test]
fn softmax_weights_are_bit_identical_for_1_2_3_threads() {
    let ds = random_images(1000, 100, 10, 11);
    for grad in [GradPath::Fused, GradPath::Autodiff] {
        let config = FitConfig::new(256, 0.1)
            .seed(5)
            .grad(grad)
            .sgd(SgdConfig::new(0.1).momentum(0.9));
        let runs: Vec<_> = [1, 2, 3]
            .iter()
            .map(|&t| {
                pool(t)
                    .install(|| softmax_run::<f32>(&ds, Scaling::divide_by_255(), config, 2))
                    .expect("training runs")
            })
            .collect();
        for r in &runs[1..] {
            assert_eq!(bits(&r.0), bits(&runs[0].0), "{grad} weights");
            assert_eq!(bits(&r.1), bits(&runs[0].1), "{grad} bias");
        }
    }
}

#[test]
fn linreg_weights_are_bit_identical_for_1_2_3_threads() {
    let mut rng = StdRng::seed_from_u64(1);
    // 20 features x batch 1000: enough values for the parallel shards.
    let w: Vec<f64> = (0..20).map(|j| j as f64 * 0.1 - 1.0).collect();
    let ds = synthetic_data(&w, 0.5, 5000, 0.01, &mut rng).unwrap();
    let runs: Vec<_> = [1, 2, 3]
        .iter()
        .map(|&t| {
            pool(t).install(|| {
                let mut tr =
                    LinRegTrainer::zeros(&ds, Scaling::Identity, FitConfig::new(1000, 0.1))
                        .unwrap();
                tr.train_epoch(1, &mut |_, _| {}).unwrap();
                (bits(tr.weights()), tr.bias().to_bits())
            })
        })
        .collect();
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[0], runs[2]);
}

#[test]
fn results_do_not_depend_on_the_shard_count_beyond_rounding() {
    // Different shard counts sum in different orders: close, not equal bits.
    let digits = digits8x8().unwrap();
    let run = |shards| {
        softmax_run::<f64>(
            &digits.train,
            digits8x8_scaling(),
            FitConfig::new(128, 0.5).shards(shards),
            2,
        )
        .unwrap()
    };
    let (a, b) = (run(1), run(7));
    let diff =
        a.0.iter()
            .zip(&b.0)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
    assert!(diff < 1e-12, "max difference {diff}");
}

/// The two gradient paths compute the same function with different
/// roundings: in f64, after two epochs (24 steps) on the digits, the
/// weights agree to 1e-12 (the entries are of order 0.1 to 1); in f32 to
/// 1e-5.
#[test]
fn fused_and_autodiff_softmax_agree() {
    let digits = digits8x8().unwrap();
    let run64 = |g| {
        softmax_run::<f64>(
            &digits.train,
            digits8x8_scaling(),
            FitConfig::new(128, 0.5).grad(g),
            2,
        )
        .unwrap()
    };
    let (f, a) = (run64(GradPath::Fused), run64(GradPath::Autodiff));
    let max_diff = |x: &[f64], y: &[f64]| {
        x.iter()
            .zip(y)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max)
    };
    assert!(
        max_diff(&f.0, &a.0) < 1e-12,
        "weights differ by {}",
        max_diff(&f.0, &a.0)
    );
    assert!(
        max_diff(&f.1, &a.1) < 1e-12,
        "biases differ by {}",
        max_diff(&f.1, &a.1)
    );
    assert!(f.0.iter().any(|&w| w.abs() > 0.05), "the weights moved");

    let run32 = |g| {
        softmax_run::<f32>(
            &digits.train,
            digits8x8_scaling(),
            FitConfig::new(128, 0.5).grad(g),
            2,
        )
        .unwrap()
    };
    let (f, a) = (run32(GradPath::Fused), run32(GradPath::Autodiff));
    let diff =
        f.0.iter()
            .zip(&a.0)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0f32, f32::max);
    assert!(diff < 1e-5, "f32 weights differ by {diff}");
}

#[test]
fn fused_and_autodiff_linreg_agree() {
    let mut rng = StdRng::seed_from_u64(2);
    let ds = synthetic_data(&[2.0f64, -3.4], 4.2, 1000, 0.01, &mut rng).unwrap();
    let run = |g| {
        let mut t =
            LinRegTrainer::zeros(&ds, Scaling::Identity, FitConfig::new(10, 0.03).grad(g)).unwrap();
        let m = t.train_epoch(1, &mut |_, _| {}).unwrap();
        (t.weights().to_vec(), t.bias(), m.train_loss)
    };
    let (f, a) = (run(GradPath::Fused), run(GradPath::Autodiff));
    for (x, y) in f.0.iter().zip(&a.0) {
        assert!((x - y).abs() < 1e-12, "{x} vs {y}");
    }
    assert!((f.1 - a.1).abs() < 1e-12);
    assert!((f.2 - a.2).abs() <= 1e-12 * f.2.abs().max(1e-3));
}

/// The book's run: 3 epochs, batch 10, lr 0.03 from w = 0, b = 0 recover
/// w = [2, −3.4], b = 4.2 to within a few thousandths (the noise has
/// standard deviation 0.01, so the least-squares solution itself is off
/// by about 0.01 / √1000 ≈ 3e-4).
#[test]
fn linreg_learns_the_book_truth() {
    let mut rng = StdRng::seed_from_u64(0);
    let ds: RegressionDataset<f32> =
        synthetic_data(&[2.0, -3.4], 4.2, 1000, 0.01, &mut rng).unwrap();
    let mut t = LinRegTrainer::zeros(&ds, Scaling::Identity, FitConfig::new(10, 0.03)).unwrap();
    let mut last = f64::INFINITY;
    for e in 1..=3 {
        let m = t.train_epoch(e, &mut |_, _| {}).unwrap();
        assert_eq!(m.epoch, e);
        assert!(m.train_loss < last);
        last = m.train_loss;
    }
    assert!(last < 1e-4, "final loss {last}");
    let err = t.param_error(&[2.0, -3.4], 4.2);
    assert!(err.w < 5e-3 && err.b < 5e-3, "{err:?}");
}

#[test]
fn divergence_stops_with_a_typed_error_naming_epoch_and_step() {
    let mut rng = StdRng::seed_from_u64(0);
    let ds: RegressionDataset<f32> =
        synthetic_data(&[2.0, -3.4], 4.2, 1000, 0.01, &mut rng).unwrap();
    let mut t = LinRegTrainer::zeros(&ds, Scaling::Identity, FitConfig::new(10, 1e6)).unwrap();
    let before = (t.weights().to_vec(), t.bias());
    let err = t.train_epoch(1, &mut |_, _| {}).unwrap_err();
    match &err {
        TrainError::Diverged {
            epoch,
            step,
            loss,
            lr,
        } => {
            assert_eq!(*epoch, 1);
            assert!(*step >= 2 && *step <= 100, "step {step}");
            assert!(!loss.is_finite());
            assert_eq!(*lr, 1e6);
        }
        other => panic!("expected Diverged, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("epoch 1, step"), "{msg}");
    assert!(
        msg.contains("smaller learning rate") && msg.contains("scale the features"),
        "{msg}"
    );
    assert_ne!((t.weights().to_vec(), t.bias()), before);

    // The same for softmax regression on unscaled pixels.
    let digits = digits8x8().unwrap();
    let err = softmax_run::<f32>(
        &digits.train,
        Scaling::Identity,
        FitConfig::new(64, 1e37),
        1,
    )
    .unwrap_err();
    assert!(
        matches!(err, TrainError::Diverged { epoch: 1, .. }),
        "{err:?}"
    );
}

/// Softmax regression on the embedded digits. The 360 test images come
/// from other writers than the training images: softmax regression fits
/// the training set to about 0.98 but scores about 0.89 to 0.91 on the test
/// set across settings (lr 0.1 to 0.5, batch 16 to 64, 20 to 50 epochs,
/// with or without standardisation). This run (batch 64, lr 0.1, momentum
/// 0.9, 30 epochs) scores 0.906; the bar of 0.88 leaves 9 images of
/// margin for rounding changes in the kernels while failing any trainer
/// that does not really learn (chance is 0.1, one book epoch gives 0.7).
#[test]
fn softmax_learns_the_digits() {
    let digits = digits8x8().unwrap();
    let model = book_softmax_init::<f32, _>(64, 10, &mut StdRng::seed_from_u64(0)).unwrap();
    let mut t = SoftmaxTrainer::new(
        &digits.train,
        model,
        digits8x8_scaling(),
        FitConfig::new(64, 0.5),
    )
    .unwrap();
    let mut first = None;
    let mut last = None;
    for e in 1..=20 {
        let m = t.train_epoch(e, &mut |_, _| {}).unwrap();
        first.get_or_insert(m.train_loss);
        last = Some(m);
    }
    let last = last.unwrap();
    assert!(last.train_loss < first.unwrap() / 3.0);
    assert!(last.train_acc.unwrap() > 0.95);
    let acc = t.accuracy(&digits.test).unwrap();
    assert!(acc > 0.88, "test accuracy {acc}");
}

#[test]
fn saved_then_loaded_model_predicts_the_same() {
    let digits = digits8x8().unwrap();
    let model = book_softmax_init::<f32, _>(64, 10, &mut StdRng::seed_from_u64(0)).unwrap();
    let mut t = SoftmaxTrainer::new(
        &digits.train,
        model,
        digits8x8_scaling(),
        FitConfig::new(64, 0.5),
    )
    .unwrap();
    t.train_epoch(1, &mut |_, _| {}).unwrap();
    let trained = t.model().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("digits.safetensors");
    save_linear(&path, &trained.linear).unwrap();
    let back = models::SoftmaxRegression {
        linear: load_linear::<f32>(&path, 10, 64, true).unwrap(),
    };
    assert_eq!(back, trained);
    let idx: Vec<usize> = (0..digits.test.len()).collect();
    let (mut x, mut labels) = (Vec::<f32>::new(), Vec::new());
    train::gather_images(
        &digits.test,
        &idx,
        &digits8x8_scaling(),
        &mut x,
        &mut labels,
    );
    let y: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
    let x = models::autodiff::Tensor::from_vec(x, [idx.len(), 64]).unwrap();
    assert_eq!(back.predict(&x).unwrap(), trained.predict(&x).unwrap());
    // The trainer's accuracy is the model's.
    let y: Vec<models::Label> = y.iter().map(|&c| c as models::Label).collect();
    let acc = trained.accuracy(&x, &y).unwrap();
    assert_eq!(acc, t.accuracy(&digits.test).unwrap());
    // Only the file itself is left in the directory (no temporary files).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // f32 saved, f64 loaded: exact widening.
    let wide = load_linear::<f64>(&path, 10, 64, true).unwrap();
    assert_eq!(
        wide.weight.to_vec()[5],
        f64::from(trained.linear.weight.to_vec()[5])
    );

    match load_linear::<f32>(&path, 10, 784, true) {
        Err(e @ CheckpointError::Shape { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("[10, 64]") && msg.contains("[10, 784]"),
                "{msg}"
            );
        }
        other => panic!("expected a shape error, got {other:?}"),
    }
    std::fs::write(&path, b"not safetensors").unwrap();
    assert!(matches!(
        load_linear::<f32>(&path, 10, 64, true),
        Err(CheckpointError::Format { .. })
    ));
}

#[test]
fn bad_settings_and_shapes_are_typed_errors() {
    let digits = digits8x8().unwrap();
    let model = book_softmax_init::<f32, _>(63, 10, &mut StdRng::seed_from_u64(0)).unwrap();
    let err = SoftmaxTrainer::new(
        &digits.train,
        model,
        Scaling::Identity,
        FitConfig::new(64, 0.1),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            TrainError::Shape {
                expected: 63,
                got: 64,
                ..
            }
        ),
        "{err:?}"
    );
    let model = book_softmax_init::<f32, _>(64, 10, &mut StdRng::seed_from_u64(0)).unwrap();
    let err = SoftmaxTrainer::new(
        &digits.train,
        model,
        Scaling::Identity,
        FitConfig::new(64, 0.1).shards(0),
    )
    .unwrap_err();
    assert_eq!(err, TrainError::ZeroShards);
    let model = book_softmax_init::<f32, _>(64, 10, &mut StdRng::seed_from_u64(0)).unwrap();
    let err = SoftmaxTrainer::new(
        &digits.train,
        model,
        Scaling::Identity,
        FitConfig::new(0, 0.1),
    )
    .unwrap_err();
    assert!(matches!(err, TrainError::Config(_)));
    let mut rng = StdRng::seed_from_u64(0);
    let ds: RegressionDataset<f32> = synthetic_data(&[1.0], 0.0, 10, 0.0, &mut rng).unwrap();
    let err = LinRegTrainer::zeros(&ds, Scaling::Identity, FitConfig::new(4, -1.0)).unwrap_err();
    assert!(matches!(err, TrainError::Config(_)), "{err:?}");
}

#[test]
fn epoch_metrics_serialise_to_one_json_object() {
    let m = train::EpochMetrics {
        epoch: 2,
        train_loss: 0.5,
        seconds: 0.25,
        train_acc: Some(0.75),
        test_acc: Some(0.5),
        ..Default::default()
    };
    let v = m.to_json();
    assert_eq!(v["epoch"], 2);
    assert_eq!(v["train_loss"], 0.5);
    assert_eq!(v["seconds"], 0.25);
    assert_eq!(v["train_acc"], 0.75);
    assert_eq!(v["test_acc"], 0.5);
    assert!(v.get("w_error").is_none());
}
