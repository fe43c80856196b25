//! Hessian-vector products by forward-over-reverse: the gradient is computed
//! by reverse mode over dual numbers, so it comes out with `H·v` as its
//! tangent. Checked against the exact Hessian of `logsumexp`,
//! `∇²lse(x) = diag(p) − p·pᵀ` with `p = softmax(x)`.
//!
//! Run with `cargo run -p linear-nets-autodiff --example hvp`.

use autodiff::{Result, Tensor, Value, hessian, hvp};

fn lse<V: Value>(x: &V) -> Result<V> {
    x.logsumexp()
}

fn main() -> Result<()> {
    let x = Tensor::from_vec(vec![0.5f64, -1.0, 2.0], [3])?;
    let v = Tensor::from_vec(vec![1.0, 2.0, -1.0], [3])?;

    let hv = hvp(lse, &x, &v)?;
    println!("H·v (forward-over-reverse) = {:?}", hv.as_slice());

    let p = x.softmax()?;
    let exact = Tensor::eye(3)
        .mul(&p)?
        .sub(&p.reshape([3, 1])?.matmul(&p.reshape([1, 3])?)?)?;
    println!(
        "H·v (exact)                = {:?}",
        exact.matmul(&v)?.as_slice()
    );
    println!(
        "max |H − exact|            = {:e}",
        hessian(lse, &x)?.max_abs_diff(&exact)
    );
    Ok(())
}
