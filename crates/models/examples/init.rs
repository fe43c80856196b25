//! Initialisers as in `torch.nn.init`: a seeded Kaiming-uniform weight,
//! PyTorch's default `nn.Linear` initialisation, and an orthogonal matrix.
//!
//! Run with `cargo run -p linear-nets-models --example init`.

use models::Linear;
use models::autodiff::Tensor;
use models::init::{self, FanMode, Nonlinearity};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = models::seeded(0);

    // Kaiming (He) uniform for a ReLU layer with 784 inputs and 256 outputs.
    let mut w = Tensor::<f32>::zeros([256, 784]);
    init::kaiming_uniform(&mut w, 0.0, FanMode::FanIn, Nonlinearity::Relu, &mut rng)?;
    let gain = init::calculate_gain(Nonlinearity::Relu, None)?;
    let (fan_in, _) = init::fan_in_and_fan_out(&[256, 784])?;
    let bound = 3f64.sqrt() * gain / (fan_in as f64).sqrt();
    let max = w.as_slice().iter().fold(0f32, |m, v| m.max(v.abs()));
    println!("kaiming_uniform: bound {bound:.5}, largest |w| {max:.5}");

    // nn.Linear's own initialisation (kaiming_uniform with a = √5, then the bias).
    let layer = Linear::<f32>::new(4, 2, true, &mut rng)?;
    for (name, p) in layer.parameters() {
        println!(
            "Linear(4, 2).{name} {:?} = {:?}",
            p.shape().dims(),
            p.to_vec()
        );
    }

    // An orthogonal 3×5 matrix: its rows are orthonormal.
    let mut q = Tensor::<f64>::zeros([3, 5]);
    init::orthogonal(&mut q, 1.0, &mut rng)?;
    let a = q.as_slice();
    let gram: Vec<f64> = (0..9)
        .map(|k| {
            (0..5)
                .map(|c| a[(k / 3) * 5 + c] * a[(k % 3) * 5 + c])
                .sum()
        })
        .collect();
    println!("orthogonal: Q·Qᵀ = {gram:.3?}");
    Ok(())
}
