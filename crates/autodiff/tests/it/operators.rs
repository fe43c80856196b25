//! The arithmetic operators: the same values and derivatives as the named
//! ops, for every combination of values, references and scalars.

use autodiff::{Dual, Error, Tensor, Value, Var, grad};

fn t(v: &[f64]) -> Tensor<f64> {
    Tensor::vector(v)
}

#[test]
fn operators_on_tensors_match_the_named_ops() -> autodiff::Result<()> {
    let a = t(&[1.0, -2.0, 3.0]);
    let b = t(&[0.5, 4.0, -1.5]);
    assert_eq!((&a + &b)?, a.add(&b)?);
    assert_eq!((&a - &b)?, a.sub(&b)?);
    assert_eq!((&a * &b)?, a.mul(&b)?);
    assert_eq!((&a / &b)?, a.div(&b)?);
    assert_eq!((-&a)?, a.neg()?);
    // Owned and mixed operands.
    assert_eq!((a.clone() + b.clone())?, a.add(&b)?);
    assert_eq!((a.clone() - &b)?, a.sub(&b)?);
    assert_eq!((&a * b.clone())?, a.mul(&b)?);
    assert_eq!((-a.clone())?, a.neg()?);
    // Scalars on either side.
    assert_eq!((&a + 1.5)?.to_vec(), vec![2.5, -0.5, 4.5]);
    assert_eq!((1.5 + &a)?.to_vec(), vec![2.5, -0.5, 4.5]);
    assert_eq!((&a - 1.0)?.to_vec(), vec![0.0, -3.0, 2.0]);
    assert_eq!((1.0 - &a)?.to_vec(), vec![0.0, 3.0, -2.0]);
    assert_eq!((2.0 * &a)?.to_vec(), vec![2.0, -4.0, 6.0]);
    assert_eq!((a.clone() * 2.0)?.to_vec(), vec![2.0, -4.0, 6.0]);
    assert_eq!((&a / 3.0)?.to_vec(), vec![1.0 / 3.0, -2.0 / 3.0, 1.0]);
    assert_eq!((6.0 / &a)?.to_vec(), vec![6.0, -3.0, 2.0]);
    // Broadcasting, and the shape error as a Result.
    let m = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3])?;
    assert_eq!((&m + &a)?, m.add(&a)?);
    let err = (&m + &t(&[1.0, 2.0])).unwrap_err();
    assert!(matches!(
        err,
        Error::Shape(autodiff::ShapeError { op: "add", .. })
    ));
    Ok(())
}

#[test]
fn the_book_example_reads_like_the_book() -> autodiff::Result<()> {
    let x = Tensor::<f64>::arange(4).requires_grad();
    let y = (2.0 * x.dot(&x)?)?;
    y.backward()?;
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 4.0, 8.0, 12.0]);
    Ok(())
}

#[test]
fn operators_on_vars_and_duals_differentiate() -> autodiff::Result<()> {
    // f(x) = (x·x − 3x)/(x + 2) − (−x): f′ = ((2x − 3)(x + 2) − (x² − 3x))/(x + 2)² + 1.
    let x0 = t(&[0.5, 1.5, -0.7]);
    let fprime: Vec<f64> = x0
        .as_slice()
        .iter()
        .map(|&x| ((2.0 * x - 3.0) * (x + 2.0) - (x * x - 3.0 * x)) / (x + 2.0).powi(2) + 1.0)
        .collect();
    let g = grad(
        |x: &Var<Tensor<f64>>| {
            let num = ((x * x)? - (3.0 * x)?)?;
            let f = ((num / (x + 2.0)?)? - (-x)?)?;
            f.sum()
        },
        &x0,
    )?;
    for (g, w) in g.as_slice().iter().zip(&fprime) {
        assert!((g - w).abs() < 1e-14, "{g} vs {w}");
    }
    // The same in forward mode, along the ones direction.
    let xd = Dual::new(x0.clone(), Tensor::ones([3]))?;
    let num = ((&xd * &xd)? - (3.0 * &xd)?)?;
    let f = ((num / (&xd + 2.0)?)? - (-&xd)?)?;
    for (d, w) in f.tangent().as_slice().iter().zip(&fprime) {
        assert!((d - w).abs() < 1e-14, "{d} vs {w}");
    }
    // Scalar on the left of a division: (1/x)′ = −1/x².
    let r = (1.0 / &Dual::new(t(&[2.0]), t(&[1.0]))?)?;
    assert_eq!(r.tangent().to_vec(), vec![-0.25]);
    Ok(())
}
