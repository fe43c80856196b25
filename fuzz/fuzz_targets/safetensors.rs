//! The checkpoint loader (`load_checkpoint_bytes`, the body of
//! `load_checkpoint`, `load_linear` and `load_linear_bytes`) in `f32` and
//! `f64`, with and without a bias, finding the layer's prefix itself.
//!
//! Input: a selector byte, two size bytes, then the safetensors file.
//! * selector bit 0 — 1: expect a bias;
//! * selector bit 1 — 1: take the layer's size from the file's own `weight`
//!   shape when it has two dimensions (so the loader gets past the shape
//!   check and converts the data), 0: `out_features` and `in_features` are
//!   the two size bytes.
//!
//! Every loaded layer is compared with the file's tensors decoded here,
//! under the prefix the loader reports, and must hold only finite values.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use safetensors::SafeTensors;
use safetensors::tensor::Dtype;
use train::Element;
use train::checkpoint::{CheckpointError, LoadOptions, load_checkpoint_bytes};

/// The file's tensor `name` as `f64`, if it is `F32` or `F64`.
fn decode(st: &SafeTensors<'_>, name: &str) -> Option<Vec<f64>> {
    let view = st.tensor(name).ok()?;
    let data = view.data();
    match view.dtype() {
        Dtype::F32 => Some(
            data.chunks_exact(4)
                .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
        ),
        Dtype::F64 => Some(
            data.chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("chunks of 8")))
                .collect(),
        ),
        _ => None,
    }
}

/// Loads in `T` and checks the layer against the file.
fn check<T: Element>(file: &[u8], out_features: usize, in_features: usize, bias: bool) {
    let source = Path::new("fuzz.safetensors");
    let options = LoadOptions {
        prefix: None,
        no_bias: !bias,
    };
    let loaded = load_checkpoint_bytes::<T>(file, source, out_features, in_features, &options);
    let (layer, prefix) = match loaded {
        Ok(loaded) => (loaded.layer, loaded.prefix),
        Err(e) => {
            match &e {
                CheckpointError::Io { .. } => panic!("an in-memory load did I/O: {e}"),
                CheckpointError::Format { path, .. }
                | CheckpointError::Missing { path, .. }
                | CheckpointError::Ambiguous { path, .. }
                | CheckpointError::Shape { path, .. }
                | CheckpointError::Dtype { path, .. }
                | CheckpointError::NonFinite { path, .. } => {
                    assert_eq!(path, source, "the error names the source");
                }
                other => panic!("a load gave an error of saving: {other}"),
            }
            // Rendering the message must not panic either.
            let _ = e.to_string();
            return;
        }
    };
    assert_eq!(layer.out_features(), out_features);
    assert_eq!(layer.in_features(), in_features);
    let st = SafeTensors::deserialize(file).expect("the loader accepted this file");

    let same = |got: &[T], want: &[f64], what: &str| {
        assert_eq!(got.len(), want.len(), "{what}: element count");
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            let w = T::from_f64(w).to_f64();
            let g = g.to_f64();
            assert!(g.is_finite(), "{what}[{i}]: a non-finite weight was accepted");
            assert!(
                g.to_bits() == w.to_bits(),
                "{what}[{i}]: loaded {g}, file holds {w}"
            );
        }
    };
    let weight = layer.parameter("weight").expect("a layer has a weight");
    assert_eq!(weight.shape().dims(), [out_features, in_features]);
    // Under the prefix the loader chose (`""` for the bare names).
    let want = decode(&st, &format!("{prefix}weight"))
        .expect("the loader accepted the weight's type");
    same(weight.as_slice(), &want, "weight");

    match (bias, layer.parameter("bias")) {
        (true, Some(b)) => {
            assert_eq!(b.shape().dims(), [out_features]);
            let want = decode(&st, &format!("{prefix}bias"))
                .expect("the loader accepted the bias's type");
            same(b.as_slice(), &want, "bias");
        }
        (false, None) => {}
        (asked, got) => panic!("asked for a bias: {asked}, got one: {}", got.is_some()),
    }
}

fuzz_target!(|input: &[u8]| {
    let [selector, out_byte, in_byte, file @ ..] = input else {
        return;
    };
    let bias = selector & 1 == 1;
    let (mut out_features, mut in_features) = (usize::from(*out_byte), usize::from(*in_byte));
    if selector & 2 != 0
        && let Ok(st) = SafeTensors::deserialize(file)
        && let Ok(w) = st.tensor("weight")
        && let [o, i] = *w.shape()
    {
        (out_features, in_features) = (o, i);
    }
    check::<f32>(file, out_features, in_features, bias);
    check::<f64>(file, out_features, in_features, bias);
});
