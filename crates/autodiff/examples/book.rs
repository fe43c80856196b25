//! The book's first autograd example: `y = 2·xᵀx` has gradient `4x`.
//!
//! Run with `cargo run -p linear-nets-autodiff --example book`.

use autodiff::{Result, Tensor, Value};

fn main() -> Result<()> {
    let x = Tensor::<f32>::arange(4).requires_grad();
    println!("x = {:?}", x.value().as_slice());
    println!("x.grad before backward: {:?}", x.grad());

    let y = (2.0 * x.dot(&x)?)?;
    println!("y = 2·xᵀx = {}", y.value().item()?);
    y.backward()?;
    println!("x.grad = {:?}  (4x)", x.grad().unwrap().as_slice());

    // Gradients accumulate until zeroed (zero_grad sets them to None).
    x.zero_grad()?;
    println!("after zero_grad: {:?}", x.grad());
    let y = x.sum()?;
    y.backward()?;
    println!(
        "after zero_grad, grad of x.sum() = {:?}",
        x.grad().unwrap().as_slice()
    );

    // Backward twice without zeroing doubles the gradient (the graph is kept).
    x.zero_grad()?;
    let y = (2.0 * x.dot(&x)?)?;
    y.backward()?;
    y.backward()?;
    println!("backward twice: {:?}  (8x)", x.grad().unwrap().as_slice());
    Ok(())
}
