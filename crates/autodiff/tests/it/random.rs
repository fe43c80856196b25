//! The seeded helper, uniform sampling from an RNG, and the checker's options.

use autodiff::kernels::Dtype;
use autodiff::{Error, GradCheck, Tensor, Tolerance, seeded};

#[test]
fn rand_uniform_follows_the_rng_stream() {
    let mut rng = seeded(3);
    let a = Tensor::<f64>::rand_uniform([4, 5], -2.0, 3.0, &mut rng).unwrap();
    let b = Tensor::<f64>::rand_uniform([4, 5], -2.0, 3.0, &mut rng).unwrap();
    assert!(a.as_slice().iter().all(|v| (-2.0..3.0).contains(v)));
    // Same seed, same tensor; the stream goes on between calls.
    assert_eq!(
        a,
        Tensor::rand_uniform([4, 5], -2.0, 3.0, &mut seeded(3)).unwrap()
    );
    assert_ne!(a, b);
    // f32 samples are the f64 samples rounded.
    let c = Tensor::<f32>::rand_uniform([4, 5], -2.0, 3.0, &mut seeded(3)).unwrap();
    assert_eq!(c, a.cast::<f32>());
}

#[test]
fn rand_uniform_refuses_an_empty_or_infinite_range() {
    for (lo, hi) in [
        (1.0, 1.0),
        (2.0, 1.0),
        (f64::NAN, 1.0),
        (0.0, f64::INFINITY),
    ] {
        let e = Tensor::<f32>::rand_uniform([3], lo, hi, &mut seeded(0)).unwrap_err();
        assert!(
            matches!(
                e,
                Error::EmptyRange {
                    op: "Tensor::rand_uniform",
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .starts_with("Tensor::rand_uniform: the range ["),
            "{e}"
        );
    }
}

#[test]
fn checker_options_have_defaults_and_setters() {
    // PyTorch's gradcheck defaults.
    let tol = Tolerance::default();
    assert_eq!((tol.eps, tol.atol, tol.rtol), (1e-6, 1e-5, 1e-3));
    let tol = tol.eps(1e-5).atol(1e-8).rtol(1e-7);
    assert_eq!((tol.eps, tol.atol, tol.rtol), (1e-5, 1e-8, 1e-7));
    let opts = GradCheck::default();
    assert_eq!((opts.tol, opts.directions), (Tolerance::default(), 3));
    let opts = GradCheck::for_type::<f64>().directions(5).seed(9).tol(tol);
    assert_eq!((opts.tol, opts.directions, opts.seed), (tol, 5, 9));
    assert_eq!(
        GradCheck::for_type::<f32>().tol,
        Tolerance::for_dtype(Dtype::F32)
    );
}
