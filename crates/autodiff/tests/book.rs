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
    x.zero_grad()?;
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0; 4]);
    let y = x.sum()?;
    y.backward()?;
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0; 4]);
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
    assert!(matches!(bad, Error::ShapeMismatch { op: "backward", .. }));
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
    Ok(())
}

#[test]
fn no_grad_scope_records_nothing() -> autodiff::Result<()> {
    let x = Tensor::<f64>::arange(3).requires_grad();
    let y = no_grad(|| x.square())?;
    assert!(!y.requires_grad());
    assert!(autodiff::is_grad_enabled());
    y.sum()?.backward()?;
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
