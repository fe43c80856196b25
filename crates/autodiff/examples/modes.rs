//! One function, written once, run plainly, in forward mode and in reverse
//! mode: `f(x) = logsumexp(A·x)`, whose gradient is `Aᵀ·softmax(A·x)`.
//!
//! Run with `cargo run -p linear-nets-autodiff --example modes`.

use autodiff::{Result, Tensor, Value, grad, jacfwd, jacrev, jvp};

/// Generic over the value type: a tensor, a dual number or a tape variable.
fn f<V: Value>(a: &Tensor<f64>, x: &V) -> Result<V> {
    V::constant(a.cast()).matmul(x)?.logsumexp()
}

fn main() -> Result<()> {
    let a = Tensor::from_vec(vec![1.0, 2.0, -1.0, 0.5, 0.0, 3.0], [3, 2])?;
    let x = Tensor::from_vec(vec![0.3, -0.2], [2])?;

    println!("f(x)           = {}", f(&a, &x)?.item()?);

    // Forward mode: one JVP per direction.
    let e0 = Tensor::from_vec(vec![1.0, 0.0], [2])?;
    let (_, df0) = jvp(|x| f(&a, x), &x, &e0)?;
    println!("∂f/∂x₀ (jvp)    = {}", df0.item()?);
    println!(
        "∇f (jacfwd)    = {:?}",
        jacfwd(|x| f(&a, x), &x)?.as_slice()
    );

    // Reverse mode: one VJP gives the whole gradient.
    println!("∇f (grad)      = {:?}", grad(|x| f(&a, x), &x)?.as_slice());
    println!(
        "∇f (jacrev)    = {:?}",
        jacrev(|x| f(&a, x), &x)?.as_slice()
    );

    // The closed form Aᵀ·softmax(A·x), through the plain tensor ops.
    let p = a.matmul(&x)?.softmax()?;
    println!(
        "Aᵀ·softmax(Ax) = {:?}",
        a.matmul_t(&p, true, false)?.as_slice()
    );
    Ok(())
}
