//! Feature scaling and batch gathering.

use train::{
    DataError, ImageDataset, RegressionDataset, Scaling, Standardizer, Stats, gather_images,
    gather_rows,
};

/// One image holding every byte value, and one of zeros.
fn all_bytes() -> ImageDataset {
    let mut px: Vec<u8> = (0..=255).collect();
    px.extend([0u8; 256]);
    ImageDataset::new(px, vec![3, 7], 16, 16, 10).unwrap()
}

#[test]
fn divide_is_a_true_division_for_every_byte() {
    let ds = all_bytes();
    for max in [255.0, 16.0, 10.0, 3.0, 7.0, 1.0, 0.1] {
        let s = Scaling::divide(max).unwrap();
        let (mut x32, mut x64, mut y) = (Vec::<f32>::new(), Vec::<f64>::new(), Vec::new());
        gather_images(&ds, &[0], &s, &mut x32, &mut y);
        gather_images(&ds, &[0], &s, &mut x64, &mut y);
        for b in 0..=255u8 {
            assert_eq!(
                x32[b as usize],
                f32::from(b) / max as f32,
                "max {max} byte {b}"
            );
            assert_eq!(x64[b as usize], f64::from(b) / max, "max {max} byte {b}");
        }
        assert_eq!(y, [3]);
    }
    assert_eq!(Scaling::divide_by_255(), Scaling::divide(255.0).unwrap());
}

#[test]
fn identity_and_label_types() {
    let ds = all_bytes();
    let (mut x, mut y) = (Vec::<f32>::new(), Vec::<i64>::new());
    gather_images(&ds, &[1, 0], &Scaling::Identity, &mut x, &mut y);
    assert_eq!(y, [7, 3]);
    assert!(x[..256].iter().all(|&v| v == 0.0));
    assert!(x[256..].iter().enumerate().all(|(i, &v)| v == i as f32));
}

#[test]
fn invalid_divisors() {
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            Scaling::divide(bad),
            Err(DataError::Invalid { .. })
        ));
    }
}

#[test]
fn buffers_are_reused_without_reallocation() {
    let ds = all_bytes();
    let (mut x, mut y) = (
        Vec::<f32>::with_capacity(512),
        Vec::<train::Label>::with_capacity(2),
    );
    let (px, py) = (x.as_ptr(), y.as_ptr());
    for batch in [&[0, 1][..], &[1], &[1, 1], &[]] {
        gather_images(&ds, batch, &Scaling::divide_by_255(), &mut x, &mut y);
        assert_eq!((x.len(), y.len()), (batch.len() * 256, batch.len()));
        assert_eq!((x.as_ptr(), y.as_ptr()), (px, py));
    }
}

#[test]
fn standardizer_fits_the_training_set_and_applies_to_the_test_set() {
    // Three features: varying, constant, varying.
    let train =
        ImageDataset::new(vec![0, 5, 10, 2, 5, 30, 4, 5, 20], vec![0, 1, 2], 1, 3, 3).unwrap();
    let st = Standardizer::fit_images(&train, Stats::PerFeature).unwrap();
    assert_eq!(st.mean(), &[2.0, 5.0, 20.0]);
    let s0 = (8.0f64 / 3.0).sqrt();
    let s2 = (200.0f64 / 3.0).sqrt();
    assert_eq!(st.std(), &[s0, 1.0, s2]);
    let test = ImageDataset::new(vec![6, 9, 0], vec![0], 1, 3, 3).unwrap();
    let (mut x, mut y) = (Vec::<f64>::new(), Vec::new());
    gather_images(
        &test,
        &[0],
        &Scaling::Standardize(st.clone()),
        &mut x,
        &mut y,
    );
    let want = [4.0 / s0, 4.0, -20.0 / s2];
    for (a, b) in x.iter().zip(want) {
        assert!((a - b).abs() <= 1e-15 * b.abs(), "{a} vs {b}");
    }
    // f32 output: the f64 result rounded once.
    let mut x32 = Vec::<f32>::new();
    gather_images(&test, &[0], &Scaling::Standardize(st), &mut x32, &mut y);
    for (a, b) in x32.iter().zip(want) {
        assert_eq!(*a, b as f32);
    }

    let g = Standardizer::fit_images(&train, Stats::Global).unwrap();
    let all = [0.0, 5.0, 10.0, 2.0, 5.0, 30.0, 4.0, 5.0, 20.0];
    let m = all.iter().sum::<f64>() / 9.0;
    let sd = (all.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / 9.0).sqrt();
    assert_eq!(g.mean(), &[m; 3]);
    assert_eq!(g.std(), &[sd; 3]);
}

#[test]
fn standardizer_errors() {
    let empty = RegressionDataset::<f32>::new(vec![], vec![], 2).unwrap();
    assert!(matches!(
        Standardizer::fit_rows(&empty, Stats::PerFeature),
        Err(DataError::Invalid {
            op: "Standardizer::fit_rows",
            ..
        })
    ));
    assert!(Standardizer::from_stats(vec![0.5], vec![0.25]).is_ok());
    assert!(matches!(
        Standardizer::from_stats(vec![0.5, 1.0], vec![0.25]),
        Err(DataError::Shape { .. })
    ));
    assert!(matches!(
        Standardizer::from_stats(vec![0.5], vec![0.0]),
        Err(DataError::Invalid { .. })
    ));
    assert!(matches!(
        Standardizer::from_stats(vec![f64::NAN], vec![1.0]),
        Err(DataError::Invalid { .. })
    ));
}

#[test]
fn gather_rows_copies_and_scales_rows_and_targets() {
    let ds = RegressionDataset::new(
        vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0],
        vec![10.0, 20.0, 30.0],
        2,
    )
    .unwrap();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    gather_rows(&ds, &[2, 0], &Scaling::Identity, &mut x, &mut y);
    assert_eq!(
        (x.as_slice(), y.as_slice()),
        (&[5.0, 6.0, 1.0, 2.0][..], &[30.0, 10.0][..])
    );
    gather_rows(&ds, &[1], &Scaling::divide(3.0).unwrap(), &mut x, &mut y);
    assert_eq!(
        (x.as_slice(), y.as_slice()),
        (&[1.0, 4.0 / 3.0][..], &[20.0][..])
    );
    let st = Standardizer::fit_rows(&ds, Stats::PerFeature).unwrap();
    gather_rows(&ds, &[0, 1, 2], &Scaling::Standardize(st), &mut x, &mut y);
    let s = (8.0f64 / 3.0).sqrt();
    let want = [-2.0 / s, -2.0 / s, 0.0, 0.0, 2.0 / s, 2.0 / s];
    assert_eq!(x, want.map(|v| v as f32));
}

#[test]
#[should_panic(expected = "batch index 2 out of range for a dataset of 2 samples")]
fn out_of_range_index_panics_at_entry() {
    let (mut x, mut y) = (Vec::<f32>::new(), Vec::new());
    gather_images(&all_bytes(), &[0, 2], &Scaling::Identity, &mut x, &mut y);
}

#[test]
#[should_panic(expected = "standardiser fitted on 1 features applied to data with 256 features")]
fn standardizer_of_other_width_panics_at_entry() {
    let st = Standardizer::from_stats(vec![0.0], vec![1.0]).unwrap();
    let (mut x, mut y) = (Vec::<f32>::new(), Vec::new());
    gather_images(
        &all_bytes(),
        &[0],
        &Scaling::Standardize(st),
        &mut x,
        &mut y,
    );
}
