//! The book's examples (D2L §2.5), exactly, and PyTorch's gradient semantics.

use autodiff::{Error, Tensor, Value, Var, grad, no_grad};

#[test]
fn two_x_dot_x_gives_4x() -> autodiff::Result<()> {
    let x = Tensor::<f32>::arange(4).requires_grad();
    assert!(x.grad().is_none(), "no gradient before any backward");
    let y = x.dot(&x)?.mul_scalar(2.0)?;
    assert_eq!(y.value().item()?, 28.0);
    y.backward()?;
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 4.0, 8.0, 12.0]);
    let four_x = x.value().mul_scalar(4.0)?;
    assert_eq!(x.grad().unwrap(), four_x);
    Ok(())
}

#[test]
fn after_zeroing_sum_gives_ones() -> autodiff::Result<()> {
    let x = Tensor::<f64>::arange(4).requires_grad();
    x.dot(&x)?.mul_scalar(2.0)?.backward()?;
    // PyTorch 2's default: zeroing sets the gradient to None.
    x.zero_grad()?;
    assert!(x.grad().is_none());
    let y = x.sum()?;
    y.backward()?;
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0; 4]);
    // Zeroing in place keeps a tensor of zeros.
    x.zero_grad_in_place()?;
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0; 4]);
    y.backward()?;
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0; 4]);
    Ok(())
}

#[test]
fn backward_of_a_value_without_grad_is_an_error() -> autodiff::Result<()> {
    let c = Var::new(Tensor::<f64>::scalar(3.0));
    let err = c.square()?.backward().unwrap_err();
    assert!(matches!(err, Error::NoGrad { .. }), "{err:?}");
    assert!(err.to_string().contains("does not require grad"), "{err}");
    let seeded = c.backward_with(Tensor::scalar(1.0)).unwrap_err();
    assert!(matches!(seeded, Error::NoGrad { .. }));
    Ok(())
}

#[test]
fn retain_grad_keeps_an_intermediate_gradient() -> autodiff::Result<()> {
    let x = Tensor::<f64>::arange(3).requires_grad();
    let h = x.mul_scalar(3.0)?;
    let unkept = h.add_scalar(1.0)?;
    h.retain_grad();
    assert!(h.retains_grad() && x.retains_grad() && !unkept.retains_grad());
    let y = unkept.square()?.sum()?;
    y.backward()?;
    // ∂y/∂h = 2(h + 1); ∂y/∂x = 3·2(h + 1).
    let want: Vec<f64> = [0.0, 3.0, 6.0].iter().map(|h| 2.0 * (h + 1.0)).collect();
    assert_eq!(h.grad().unwrap().to_vec(), want);
    assert!(
        unkept.grad().is_none(),
        "interior values not retained stay None"
    );
    let gx: Vec<f64> = want.iter().map(|g| 3.0 * g).collect();
    assert_eq!(x.grad().unwrap().to_vec(), gx);
    // Retained gradients accumulate across passes, and zero_grad clears them.
    y.backward()?;
    let twice: Vec<f64> = want.iter().map(|g| 2.0 * g).collect();
    assert_eq!(h.grad().unwrap().to_vec(), twice);
    h.zero_grad()?;
    assert!(h.grad().is_none());
    Ok(())
}

#[test]
fn clamp_derivative_at_a_bound_is_as_pytorch() -> autodiff::Result<()> {
    // Scalar bounds: 0 at exactly a bound, 1 strictly inside, 0 outside.
    let x = Tensor::from_vec(vec![-1.0f64, -0.5, 0.0, 1.0, 2.0], [5])?.requires_grad();
    x.clamp(-1.0, 1.0)?.sum()?.backward()?;
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 1.0, 0.0, 0.0]);
    // Tensor bounds: where x equals a bound the derivative is split, ½ each.
    let x = Tensor::from_vec(vec![-1.0f64, 0.0, 1.0], [3])?.requires_grad();
    let lo = Tensor::from_vec(vec![-1.0f64, -1.0, -1.0], [3])?.requires_grad();
    let hi = Tensor::from_vec(vec![1.0f64, 1.0, 1.0], [3])?.requires_grad();
    x.clamp_tensor(&lo, &hi)?.sum()?.backward()?;
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.5, 1.0, 0.5]);
    assert_eq!(lo.grad().unwrap().to_vec(), vec![0.5, 0.0, 0.0]);
    assert_eq!(hi.grad().unwrap().to_vec(), vec![0.0, 0.0, 0.5]);
    Ok(())
}

#[test]
fn backward_twice_without_zeroing_doubles() -> autodiff::Result<()> {
    let x = Tensor::<f64>::arange(4).requires_grad();
    let y = x.dot(&x)?.mul_scalar(2.0)?;
    y.backward()?;
    y.backward()?;
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 8.0, 16.0, 24.0]);
    // A fresh graph accumulates onto the same leaf too.
    x.dot(&x)?.mul_scalar(2.0)?.backward()?;
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 12.0, 24.0, 36.0]);
    Ok(())
}

#[test]
fn non_scalar_backward_needs_a_seed() -> autodiff::Result<()> {
    let x = Tensor::<f64>::arange(4).requires_grad();
    let y = x.mul(&x)?;
    let err = y.backward().unwrap_err();
    assert!(matches!(err, Error::NonScalarBackward { .. }));
    assert!(err.to_string().contains("seed"), "{err}");
    // The book: y.sum().backward() equals backward with a seed of ones.
    y.backward_with(Tensor::ones([4]))?;
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 2.0, 4.0, 6.0]);
    let bad = y.backward_with(Tensor::ones([3])).unwrap_err();
    assert!(matches!(
        bad,
        Error::Shape(autodiff::ShapeError { op: "backward", .. })
    ));
    Ok(())
}

#[test]
fn detach_stops_the_gradient() -> autodiff::Result<()> {
    // The book's u = y.detach(); z = u * x gives ∂z/∂x = u.
    let x = Tensor::<f64>::arange(4).requires_grad();
    let y = x.mul(&x)?;
    let u = y.detach();
    let z = u.mul(&x)?;
    z.sum()?.backward()?;
    assert_eq!(x.grad().unwrap(), *u.value());
    x.zero_grad()?;
    y.sum()?.backward()?;
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 2.0, 4.0, 6.0]);
    // The detached value is a constant: backward from it is an error.
    assert!(matches!(u.sum()?.backward(), Err(Error::NoGrad { .. })));
    Ok(())
}

#[test]
fn no_grad_scope_records_nothing() -> autodiff::Result<()> {
    let x = Tensor::<f64>::arange(3).requires_grad();
    let y = no_grad(|| x.square())?;
    assert!(!y.requires_grad());
    assert!(autodiff::is_grad_enabled());
    let err = y.sum()?.backward().unwrap_err();
    assert!(matches!(err, Error::NoGrad { .. }));
    assert!(x.grad().is_none());
    Ok(())
}

#[test]
fn control_flow_gradient() -> autodiff::Result<()> {
    // The book's f(a): doubling until the norm reaches 1000, then a branch;
    // f is linear in a piecewise, so ∂f/∂a = f(a)/a.
    fn f(a: &Var<Tensor<f64>>) -> autodiff::Result<Var<Tensor<f64>>> {
        let mut b = a.mul_scalar(2.0)?;
        while b.value().square()?.sum()?.sqrt()?.item()? < 1000.0 {
            b = b.mul_scalar(2.0)?;
        }
        if b.value().sum()?.item()? > 0.0 {
            Ok(b)
        } else {
            b.mul_scalar(100.0)
        }
    }
    let a = Tensor::scalar(0.7312f64).requires_grad();
    let d = f(&a)?;
    d.backward()?;
    let want = d.value().item()? / a.value().item()?;
    assert!((a.grad().unwrap().item()? - want).abs() < 1e-12);
    Ok(())
}

#[test]
fn gradient_of_a_constant_function_is_zero() -> autodiff::Result<()> {
    let x = Tensor::<f64>::arange(3);
    let g = grad(|_x| Ok(Var::new(Tensor::scalar(1.0))), &x)?;
    assert_eq!(g.to_vec(), vec![0.0; 3]);
    Ok(())
}
