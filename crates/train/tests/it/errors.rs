//! The errors' messages, causes and shape errors.

use std::error::Error as _;
use std::path::Path;

use train::checkpoint::{CheckpointError, load_linear_bytes};
use train::data::idx::read_images_file;
use train::data::synthetic::synthetic_data;
use train::{
    ConfigError, DataError, ImageDataset, RegressionDataset, Sgd, SgdConfig, ShapeError,
    Standardizer, StepLR,
};

/// The error and its causes, as `anyhow`'s `{:#}` prints them.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

#[test]
fn an_io_error_is_the_source_not_part_of_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.gz");
    let e = read_images_file(&path).unwrap_err();
    let DataError::Io { source, .. } = &e else {
        panic!("{e:?}");
    };
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(e.to_string(), path.display().to_string());
    let io = e
        .source()
        .unwrap()
        .downcast_ref::<std::io::Error>()
        .unwrap();
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(chain(&e), format!("{}: {io}", path.display()));
}

#[test]
fn a_checkpoint_format_error_keeps_the_readers_error() {
    let e =
        load_linear_bytes::<f32>(b"not safetensors", Path::new("m.st"), 2, 3, true).unwrap_err();
    assert!(matches!(e, CheckpointError::Format { .. }), "{e:?}");
    assert_eq!(e.to_string(), "m.st: not a safetensors file");
    let cause = e.source().expect("the reader's error");
    assert!(
        cause
            .downcast_ref::<safetensors::SafeTensorError>()
            .is_some()
    );
    assert!(chain(&e).len() > e.to_string().len() + 2);
}

#[test]
fn sizes_that_do_not_fit_are_the_one_shape_error() {
    let e = RegressionDataset::new(vec![1.0f32; 5], vec![0.0; 2], 2).unwrap_err();
    let DataError::Shape(shape) = &e else {
        panic!("{e:?}");
    };
    assert_eq!(
        *shape,
        ShapeError::new(
            "RegressionDataset::new",
            "x vs (y, features)",
            &[5],
            &[2, 2]
        )
    );
    assert_eq!(
        e.to_string(),
        "RegressionDataset::new: shapes of x vs (y, features) do not match: [5] vs [2, 2]"
    );
    // Transparent: the shape error is the message, not a cause.
    assert!(e.source().is_none());
    let e = ImageDataset::new(vec![0; 5], vec![0, 1], 1, 2, 10).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ImageDataset::new: shapes of the image bytes vs (labels, rows, cols) do not match: \
         [5] vs [2, 1, 2]"
    );
    let e = Standardizer::from_stats(vec![0.0; 3], vec![1.0; 2]).unwrap_err();
    assert!(matches!(
        e,
        DataError::Shape(ShapeError {
            op: "Standardizer::from_stats",
            ..
        })
    ));
}

#[test]
fn messages_name_public_functions_and_fields() {
    let e = synthetic_data(&[1.0f32], 0.0, 3, -1.0, &mut train::seeded(0)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "synthetic_data: invalid noise_std -1: must be finite and >= 0"
    );
    let e = Sgd::<f32>::new(SgdConfig::new(0.1).momentum(-0.5)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid SgdConfig::momentum -0.5: must be finite and >= 0"
    );
    let e = SgdConfig::new(0.1).nesterov(true).validate().unwrap_err();
    assert!(matches!(e, ConfigError::Nesterov { .. }));
    assert!(
        e.to_string()
            .starts_with("SgdConfig::nesterov requires SgdConfig::momentum > 0"),
        "{e}"
    );
    let mut sgd = Sgd::<f64>::new(SgdConfig::default()).unwrap();
    assert_eq!(
        sgd.set_lr(f64::NAN).unwrap_err().to_string(),
        "invalid SgdConfig::lr NaN: must be finite and >= 0"
    );
    assert_eq!(
        StepLR::new(0, 0.1).unwrap_err().to_string(),
        "StepLR::step_size must be at least 1"
    );
    assert_eq!(
        StepLR::new(2, -1.0).unwrap_err().to_string(),
        "invalid StepLR::gamma -1: must be finite and >= 0"
    );
}

#[test]
fn sgd_config_defaults_are_pytorchs_and_setters_are_named_after_fields() {
    let d = SgdConfig::default();
    assert_eq!(d.lr, 1e-3);
    assert_eq!((d.momentum, d.dampening, d.weight_decay), (0.0, 0.0, 0.0));
    assert!(!d.nesterov && !d.maximize);
    let c = SgdConfig::new(0.5)
        .lr(0.25)
        .momentum(0.9)
        .dampening(0.1)
        .weight_decay(1e-4)
        .nesterov(true)
        .maximize(true);
    assert_eq!(
        (
            c.lr,
            c.momentum,
            c.dampening,
            c.weight_decay,
            c.nesterov,
            c.maximize
        ),
        (0.25, 0.9, 0.1, 1e-4, true, true)
    );
    assert_eq!(SgdConfig::new(0.5), SgdConfig { lr: 0.5, ..d });
}
