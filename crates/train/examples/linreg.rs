//! Linear regression from the library, as in the book's section 3.2
//! ("Linear Regression Implementation from Scratch"): draw the synthetic
//! data, train by minibatch SGD for 3 epochs, compare with the truth and
//! with the exact least-squares fit.
//!
//! Run with `cargo run --release -p linear-nets-train --example linreg`.

use models::autodiff::Tensor;
use models::{LinearRegression, Reverse};
use train::data::synthetic::{DEFAULT_NOISE_STD, synthetic_data};
use train::{FitConfig, Scaling, TrainLoss, Trainer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (true_w, true_b) = ([2.0f32, -3.4], 4.2f32);
    let mut rng = train::seeded(0);
    let data = synthetic_data(&true_w, true_b, 1000, DEFAULT_NOISE_STD, &mut rng)?;

    // Batch 10, learning rate 0.03, w = 0 and b = 0 to start, the loss over
    // the whole set after each epoch (as the book prints it); the gradients
    // by reverse-mode autodiff (`Reverse`; the model alone uses its fused
    // gradient).
    let config = FitConfig::new(10, 0.03)
        .seed(0)
        .train_loss(TrainLoss::AfterEpoch);
    let model = LinearRegression::from_weights(&[0.0, 0.0], 0.0)?;
    let mut trainer = Trainer::new(Reverse(model), &data, Scaling::Identity, config)?;
    for epoch in 1..=3 {
        let m = trainer.train_epoch(epoch, &mut |_, _| {})?;
        println!("epoch {epoch}, loss {:.6}", m.train_loss);
    }
    let Reverse(trained) = trainer.into_model();
    let (w, b) = (trained.weight(), trained.bias());
    println!("w = {w:?}, b = {b}");
    println!(
        "error in estimating w: {:?}, b: {}",
        [true_w[0] - w[0], true_w[1] - w[1]],
        true_b - b
    );

    // The exact least-squares solution on the same data.
    let (x, y) = (data.x().to_vec(), data.y().to_vec());
    let n = data.len();
    let exact = LinearRegression::fit_closed_form(
        &Tensor::from_vec(x, [n, 2])?,
        &Tensor::from_vec(y, [n])?,
    )?;
    println!(
        "closed form: w = {:?}, b = {}",
        exact.weight(),
        exact.bias()
    );
    Ok(())
}
