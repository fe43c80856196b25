//! Inputs the fuzz targets (`fuzz/`) found to be mishandled, each kept as a
//! test of the fixed behaviour, and the in-memory checkpoint loader the
//! `safetensors` target drives.

use std::path::Path;

use models::Linear;
use rand::SeedableRng;
use rand::rngs::StdRng;
use train::checkpoint::{CheckpointError, load_linear, load_linear_bytes, save_linear};
use train::data::csv::{Target, read_csv};
use train::{CsvProblem, DataError};

/// `csv` target, first input: a cell finite in f64 but beyond f32's range
/// (`-3.5e38 < -f32::MAX`) was read into an f32 dataset as `-inf`.
#[test]
fn csv_cell_beyond_f32_range_is_rejected_in_f32_only() {
    let text = "a,b\n1e38,-3.5e38\n1e-45,0.1\n";
    match read_csv::<f32, _>(text.as_bytes(), "fuzz", Target::Last) {
        Err(DataError::Csv {
            line,
            column,
            problem,
            ..
        }) => {
            assert_eq!((line, column), (Some(2), Some(2)));
            assert_eq!(
                problem,
                CsvProblem::NotANumber {
                    cell: "-3.5e38".into()
                }
            );
        }
        other => panic!("expected a NotANumber error, got {other:?}"),
    }
    // The same file is fine in f64, and the f32 edge values themselves are
    // accepted in f32 (1e-45 rounds to the smallest subnormal).
    let wide = read_csv::<f64, _>(text.as_bytes(), "fuzz", Target::Last).unwrap();
    assert_eq!(wide.data.y(), &[-3.5e38, 0.1]);
    let edge = format!("a,b\n{:e},{:e}\n1e-45,0\n", f32::MAX, f32::MIN);
    let narrow = read_csv::<f32, _>(edge.as_bytes(), "fuzz", Target::Last).unwrap();
    assert_eq!(narrow.data.x(), &[f32::MAX, 1e-45]);
    assert_eq!(narrow.data.y(), &[f32::MIN, 0.0]);
}

#[test]
fn load_linear_bytes_reads_what_load_linear_reads() {
    let dir = tempfile::tempdir().unwrap();
    for bias in [false, true] {
        let layer = Linear::<f32>::new(5, 3, bias, &mut StdRng::seed_from_u64(7)).unwrap();
        let path = dir.path().join(format!("bias-{bias}.safetensors"));
        save_linear(&path, &layer).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let from_bytes = load_linear_bytes::<f32>(&bytes, &path, 3, 5, bias).unwrap();
        assert_eq!(from_bytes, layer);
        assert_eq!(from_bytes, load_linear::<f32>(&path, 3, 5, bias).unwrap());
        // f32 in the file, f64 in memory: exact widening.
        let wide = load_linear_bytes::<f64>(&bytes, &path, 3, 5, bias).unwrap();
        let narrow_w = layer.parameter("weight").unwrap().as_slice();
        let wide_w = wide.parameter("weight").unwrap().as_slice();
        assert!(
            narrow_w
                .iter()
                .zip(wide_w)
                .all(|(&n, &w)| f64::from(n) == w)
        );
    }
}

#[test]
fn load_linear_bytes_errors_match_load_linear_and_name_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    let layer = Linear::<f64>::new(4, 2, true, &mut StdRng::seed_from_u64(1)).unwrap();
    save_linear(&path, &layer).unwrap();
    let good = std::fs::read(&path).unwrap();
    let name = Path::new("in-memory");

    // Wrong shape, missing bias, not safetensors at all, cut short.
    let shape = load_linear_bytes::<f64>(&good, name, 2, 5, true).unwrap_err();
    assert!(matches!(shape, CheckpointError::Shape { .. }), "{shape:?}");
    assert!(shape.to_string().starts_with("in-memory: "), "{shape}");
    assert_eq!(
        load_linear::<f64>(&path, 2, 5, true)
            .unwrap_err()
            .to_string(),
        shape
            .to_string()
            .replacen("in-memory", &path.display().to_string(), 1)
    );

    let unbiased = Linear::<f64>::new(4, 2, false, &mut StdRng::seed_from_u64(1)).unwrap();
    save_linear(&path, &unbiased).unwrap();
    let no_bias = std::fs::read(&path).unwrap();
    assert!(matches!(
        load_linear_bytes::<f64>(&no_bias, name, 2, 4, true),
        Err(CheckpointError::Missing { name, .. }) if name == "bias"
    ));

    for bad in [&b"not safetensors"[..], &good[..good.len() - 1], &[]] {
        let e = load_linear_bytes::<f32>(bad, name, 2, 4, true).unwrap_err();
        assert!(matches!(e, CheckpointError::Format { .. }), "{e:?}");
        std::fs::write(&path, bad).unwrap();
        let from_file = load_linear::<f32>(&path, 2, 4, true).unwrap_err();
        assert_eq!(
            from_file.to_string(),
            e.to_string()
                .replacen("in-memory", &path.display().to_string(), 1)
        );
    }
}

/// `idx` target: a gzip member (an empty one) followed by 100 bytes that
/// are not another member was read as an empty file; the bytes after the
/// member make the stream corrupt, as the streaming decoder reports.
#[test]
fn gzip_member_followed_by_garbage_is_a_corrupt_stream() {
    let mut file = vec![
        0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    file.extend(std::iter::repeat_n(0u8, 90));
    file.extend([2, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]);
    for result in [
        train::data::idx::read_labels_bytes(&file, "fuzz").map(|_| ()),
        train::data::idx::read_images_bytes(&file, "fuzz").map(|_| ()),
    ] {
        match result {
            Err(DataError::Idx {
                problem: train::IdxProblem::Gzip { .. },
                ..
            }) => {}
            other => panic!("expected a corrupt-gzip error, got {other:?}"),
        }
    }
}
