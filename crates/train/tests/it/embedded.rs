//! The bundled digits8x8 dataset loads with its documented shapes.

use train::data::embedded::{
    DIGITS8X8_CLASSES, DIGITS8X8_COPYING, DIGITS8X8_DESCR, DIGITS8X8_MAX, digits8x8,
    digits8x8_scaling,
};
use train::{Scaling, gather_images};

#[test]
fn shapes_and_label_histograms() {
    let d = digits8x8().unwrap();
    for (ds, n) in [(&d.train, 1437), (&d.test, 360)] {
        assert_eq!(ds.len(), n);
        assert_eq!((ds.rows(), ds.cols(), ds.features()), (8, 8, 64));
        assert_eq!(ds.classes(), DIGITS8X8_CLASSES);
        assert_eq!(ds.images().len(), n * 64);
        assert_eq!(ds.max_pixel(), DIGITS8X8_MAX);
    }
    assert_eq!(
        d.train.label_histogram(),
        [143, 146, 142, 146, 144, 145, 144, 143, 141, 143]
    );
    assert_eq!(
        d.test.label_histogram(),
        [35, 36, 35, 37, 37, 37, 37, 36, 33, 37]
    );
}

#[test]
fn default_scaling_divides_by_16() {
    let d = digits8x8().unwrap();
    assert_eq!(digits8x8_scaling(), Scaling::divide(16.0).unwrap());
    let all: Vec<usize> = (0..d.train.len()).collect();
    let (mut x, mut y) = (Vec::<f32>::new(), Vec::new());
    gather_images(&d.train, &all, &digits8x8_scaling(), &mut x, &mut y);
    assert_eq!(y, d.train.labels());
    assert!(x.iter().all(|&v| (0.0..=1.0).contains(&v)));
    assert_eq!(x.iter().copied().fold(0.0f32, f32::max), 1.0);
    for (v, &p) in x.iter().zip(d.train.images()) {
        assert_eq!(*v, f32::from(p) / 16.0);
    }
}

#[test]
fn attribution_ships_with_the_data() {
    assert!(DIGITS8X8_DESCR.contains("Optical recognition of handwritten digits"));
    assert!(DIGITS8X8_COPYING.contains("BSD"));
}
