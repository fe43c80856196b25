//! Checkpoints: scaling folded into the weights, PyTorch state dicts with
//! a module prefix, non-finite weights refused.

use std::collections::HashMap;
use std::path::Path;

use models::Linear;
use models::autodiff::Tensor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use safetensors::tensor::{Dtype, TensorView};
use train::checkpoint::{
    CheckpointError, LoadOptions, fold_scaling, load_checkpoint, load_linear, save_for_raw_inputs,
    save_linear, unfold_scaling,
};
use train::{Scaling, Standardizer};

fn layer(out: usize, inputs: usize, rng: &mut StdRng) -> Linear<f64> {
    let w: Vec<f64> = (0..out * inputs)
        .map(|_| rng.random_range(-2.0..2.0))
        .collect();
    let b: Vec<f64> = (0..out).map(|_| rng.random_range(-2.0..2.0)).collect();
    Linear::from_parameters(
        Tensor::from_vec(w, [out, inputs]).unwrap(),
        Some(Tensor::from_vec(b, [out]).unwrap()),
    )
    .unwrap()
}

/// `x · Wᵀ + b` in f64.
fn apply(l: &Linear<f64>, x: &[f64]) -> Vec<f64> {
    let w = l.weight.to_vec();
    let b = l.bias.as_ref().unwrap().to_vec();
    (0..l.out_features())
        .map(|i| b[i] + (0..x.len()).map(|j| w[i * x.len() + j] * x[j]).sum::<f64>())
        .collect()
}

fn scalings(d: usize, rng: &mut StdRng) -> Vec<Scaling> {
    let mean: Vec<f64> = (0..d).map(|_| rng.random_range(-50.0..200.0)).collect();
    let std: Vec<f64> = (0..d).map(|_| rng.random_range(0.01..80.0)).collect();
    vec![
        Scaling::Identity,
        Scaling::divide(255.0).unwrap(),
        Scaling::divide(16.0).unwrap(),
        Scaling::Standardize(Standardizer::from_stats(mean, std).unwrap()),
    ]
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + x.abs().max(y.abs())),
            "[{i}]: {x} vs {y}"
        );
    }
}

#[test]
fn a_folded_layer_gives_on_raw_inputs_what_the_layer_gives_on_scaled_ones() {
    let mut rng = StdRng::seed_from_u64(13);
    for trial in 0..20 {
        let (out, d) = (1 + trial % 4, 1 + trial % 7);
        let l = layer(out, d, &mut rng);
        for scaling in scalings(d, &mut rng) {
            let folded = fold_scaling(&l, &scaling).unwrap();
            for _ in 0..5 {
                let raw: Vec<f64> = (0..d).map(|_| rng.random_range(-100.0..300.0)).collect();
                let scaled: Vec<f64> = match &scaling {
                    Scaling::Identity => raw.clone(),
                    Scaling::Divide(div) => raw.iter().map(|x| x / div.max()).collect(),
                    Scaling::Standardize(s) => raw
                        .iter()
                        .zip(s.mean().iter().zip(s.std()))
                        .map(|(x, (m, sd))| (x - m) / sd)
                        .collect(),
                };
                close(&apply(&folded, &raw), &apply(&l, &scaled), 1e-9);
            }
            let back = unfold_scaling(&folded, &scaling).unwrap();
            close(&back.weight.to_vec(), &l.weight.to_vec(), 1e-9);
            close(
                &back.bias.clone().unwrap().to_vec(),
                &l.bias.clone().unwrap().to_vec(),
                1e-9,
            );
        }
    }
}

#[test]
fn folding_refuses_a_scaling_that_does_not_fit() {
    let mut rng = StdRng::seed_from_u64(1);
    let l = layer(2, 3, &mut rng);
    let four = Scaling::Standardize(Standardizer::from_stats(vec![0.0; 4], vec![1.0; 4]).unwrap());
    assert!(matches!(
        fold_scaling(&l, &four),
        Err(CheckpointError::Scaling { .. })
    ));
    let unbiased = Linear::from_parameters(l.weight.clone(), None).unwrap();
    let shift = Scaling::Standardize(Standardizer::from_stats(vec![1.0; 3], vec![2.0; 3]).unwrap());
    let e = fold_scaling(&unbiased, &shift).unwrap_err();
    assert!(e.to_string().contains("without a bias"), "{e}");
    // Dividing needs no bias.
    let halved = fold_scaling(&unbiased, &Scaling::divide(2.0).unwrap()).unwrap();
    assert!(halved.bias.is_none());
}

#[test]
fn saved_for_raw_inputs_round_trips_and_is_marked() {
    let mut rng = StdRng::seed_from_u64(2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    let l = layer(3, 5, &mut rng);
    let scaling = scalings(5, &mut rng).pop().unwrap();
    save_for_raw_inputs(&path, &l, &scaling).unwrap();
    let loaded = load_checkpoint::<f64>(&path, 3, 5, &LoadOptions::default()).unwrap();
    assert!(loaded.raw_inputs);
    assert_eq!(loaded.prefix, "");
    assert_eq!(loaded.layer, fold_scaling(&l, &scaling).unwrap());
    let back = unfold_scaling(&loaded.layer, &scaling).unwrap();
    close(&back.weight.to_vec(), &l.weight.to_vec(), 1e-9);
    // The same weights give the same bytes.
    let again = dir.path().join("again.safetensors");
    save_for_raw_inputs(&again, &l, &scaling).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&again).unwrap()
    );
    // A plain save is not marked.
    save_linear(&path, &l).unwrap();
    let plain = load_checkpoint::<f64>(&path, 3, 5, &LoadOptions::default()).unwrap();
    assert!(!plain.raw_inputs);
}

/// Writes `tensors` (name, shape, f32 values) as a safetensors file.
pub fn write_state_dict(path: &Path, tensors: &[(&str, Vec<usize>, Vec<f32>)]) {
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, _, v)| v.iter().flat_map(|x| x.to_le_bytes()).collect())
        .collect();
    let views: HashMap<&str, TensorView<'_>> = tensors
        .iter()
        .zip(&bytes)
        .map(|((name, shape, _), b)| {
            (
                *name,
                TensorView::new(Dtype::F32, shape.clone(), b).unwrap(),
            )
        })
        .collect();
    std::fs::write(path, safetensors::serialize(views, None).unwrap()).unwrap();
}

#[test]
fn state_dicts_with_a_module_prefix_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sd.safetensors");
    let w = vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
    // nn.Sequential(nn.Flatten(), nn.Linear(3, 2)).
    write_state_dict(
        &path,
        &[
            ("1.weight", vec![2, 3], w.clone()),
            ("1.bias", vec![2], vec![7.0, 8.0]),
        ],
    );
    let got = load_checkpoint::<f32>(&path, 2, 3, &LoadOptions::default()).unwrap();
    assert_eq!(got.prefix, "1.");
    assert_eq!(got.layer.weight.to_vec(), w);
    assert!(!got.raw_inputs);
    assert_eq!(load_linear::<f32>(&path, 2, 3, true).unwrap(), got.layer);

    // Several layers: the one of the model's shape is chosen.
    write_state_dict(
        &path,
        &[
            ("body.weight", vec![4, 3], vec![0.0; 12]),
            ("body.bias", vec![4], vec![0.0; 4]),
            ("fc.weight", vec![2, 3], w.clone()),
            ("fc.bias", vec![2], vec![7.0, 8.0]),
        ],
    );
    let got = load_checkpoint::<f32>(&path, 2, 3, &LoadOptions::default()).unwrap();
    assert_eq!(got.prefix, "fc.");
    // Or named, with or without the dot.
    for prefix in ["body", "body."] {
        let options = LoadOptions {
            prefix: Some(prefix.into()),
            no_bias: false,
        };
        let got = load_checkpoint::<f32>(&path, 4, 3, &options).unwrap();
        assert_eq!(got.prefix, "body.");
    }

    // Two of the same shape: ambiguous, both listed.
    write_state_dict(
        &path,
        &[
            ("a.weight", vec![2, 3], w.clone()),
            ("a.bias", vec![2], vec![0.0; 2]),
            ("b.weight", vec![2, 3], w.clone()),
            ("b.bias", vec![2], vec![0.0; 2]),
        ],
    );
    let e = load_checkpoint::<f32>(&path, 2, 3, &LoadOptions::default()).unwrap_err();
    assert!(matches!(e, CheckpointError::Ambiguous { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("a.weight F32 [2, 3]") && msg.contains("b.weight F32 [2, 3]"),
        "{msg}"
    );

    // No weight at all: the message lists what there is.
    write_state_dict(
        &path,
        &[
            ("scale", vec![3], vec![1.0; 3]),
            ("shift", vec![3], vec![0.0; 3]),
        ],
    );
    let e = load_checkpoint::<f32>(&path, 2, 3, &LoadOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: no tensor named 'weight'; the file holds scale F32 [3], shift F32 [3]",
            path.display()
        )
    );
    // A named prefix that is not there: listed as well.
    let options = LoadOptions {
        prefix: Some("fc".into()),
        no_bias: false,
    };
    let e = load_checkpoint::<f32>(&path, 2, 3, &options).unwrap_err();
    assert!(
        e.to_string()
            .contains("no tensor named 'fc.weight'; the file holds scale"),
        "{e}"
    );
}

#[test]
fn non_finite_weights_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nan.safetensors");
    for (bad, shown) in [
        (f32::NAN, "NaN"),
        (f32::INFINITY, "inf"),
        (f32::NEG_INFINITY, "-inf"),
    ] {
        write_state_dict(
            &path,
            &[
                ("weight", vec![1, 2], vec![1.0, bad]),
                ("bias", vec![1], vec![0.0]),
            ],
        );
        let e = load_linear::<f32>(&path, 1, 2, true).unwrap_err();
        assert!(
            matches!(&e, CheckpointError::NonFinite { name, index: 1, .. } if name == "weight"),
            "{e:?}"
        );
        assert!(
            e.to_string().contains(&format!("holds {shown} at index 1")),
            "{e}"
        );
        write_state_dict(
            &path,
            &[
                ("weight", vec![1, 2], vec![1.0, 2.0]),
                ("bias", vec![1], vec![bad]),
            ],
        );
        assert!(matches!(
            load_linear::<f64>(&path, 1, 2, true),
            Err(CheckpointError::NonFinite { .. })
        ));
    }
    // Finite in f64 but not in f32.
    let big: Vec<u8> = [1e300f64, 0.0]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let b: Vec<u8> = 0.0f64.to_le_bytes().to_vec();
    let views = HashMap::from([
        (
            "weight",
            TensorView::new(Dtype::F64, vec![1, 2], &big).unwrap(),
        ),
        ("bias", TensorView::new(Dtype::F64, vec![1], &b).unwrap()),
    ]);
    std::fs::write(&path, safetensors::serialize(views, None).unwrap()).unwrap();
    assert!(load_linear::<f64>(&path, 1, 2, true).is_ok());
    assert!(matches!(
        load_linear::<f32>(&path, 1, 2, true),
        Err(CheckpointError::NonFinite { index: 0, .. })
    ));
}

#[test]
fn a_failed_save_names_the_file_not_its_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("w.safetensors");
    let l = layer(1, 2, &mut StdRng::seed_from_u64(3));
    for e in [
        save_linear(&path, &l).unwrap_err(),
        save_for_raw_inputs(&path, &l, &Scaling::Identity).unwrap_err(),
    ] {
        let msg = e.to_string();
        assert!(matches!(e, CheckpointError::Io { .. }), "{e:?}");
        assert!(msg.starts_with(&path.display().to_string()), "{msg}");
        assert!(!msg.contains(".tmp-") && !msg.contains(".part"), "{msg}");
    }
}
