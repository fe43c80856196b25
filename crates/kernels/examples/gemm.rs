//! A GEMM with a transposed operand: `C ← Xᵀ·G`, the weight gradient of a
//! linear layer, where `X` is stored row-major and `Xᵀ` is only a view.
//!
//! Run with `cargo run --release -p linear-nets-kernels --example gemm`.

use kernels::{MatMut, MatRef};

fn main() {
    let (batch, features, classes) = (256, 784, 10);
    let x: Vec<f32> = (0..batch * features)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
        .collect();
    let g: Vec<f32> = (0..batch * classes)
        .map(|i| ((i * 13 % 17) as f32 - 8.0) / 8.0)
        .collect();

    // Xᵀ is a (features × batch) view of X with its strides swapped: no copy.
    let xt = MatRef::new(&x, batch, features).t();
    let mut dw = vec![0.0f32; features * classes];
    kernels::gemm(
        1.0 / batch as f32,
        xt,
        MatRef::new(&g, batch, classes),
        0.0,
        MatMut::new(&mut dw, features, classes),
    );

    // Check one element against a plain loop.
    let (i, j) = (123, 7);
    let want: f64 = (0..batch)
        .map(|r| x[r * features + i] as f64 * g[r * classes + j] as f64)
        .sum::<f64>()
        / batch as f64;
    println!(
        "path {}: dW[{i}, {j}] = {:.6} (plain loop: {want:.6})",
        kernels::isa(),
        dw[i * classes + j]
    );
    assert!((dw[i * classes + j] as f64 - want).abs() < 1e-4);
}
