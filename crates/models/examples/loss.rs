//! A loss, evaluated and differentiated three ways: plainly, in reverse mode
//! (the gradient with respect to the logits) and in forward mode (a
//! directional derivative), with PyTorch's `nn.CrossEntropyLoss` options;
//! then the same loss on per-pixel scores `(N, C, H, W)`, and against class
//! probabilities given as a plain tensor.
//!
//! Run with `cargo run -p linear-nets-models --example loss`.

use models::Labels;
use models::autodiff::{Dual, Tensor, Value, Var};
use models::losses::{CrossEntropyLoss, Reduction};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Three samples, four classes; the last sample's target is ignored.
    let logits = Tensor::from_vec(
        vec![
            2.0f64, 0.5, -1.0, 0.0, //
            0.1, 0.2, 3.0, -0.5, //
            1.0, 1.0, 1.0, 1.0,
        ],
        [3, 4],
    )?;
    let targets = Labels::from([0, 2, -100]);
    let loss = CrossEntropyLoss {
        weight: Some(Tensor::vector(&[1.0, 2.0, 0.5, 1.0])),
        label_smoothing: 0.1,
        ..Default::default()
    };

    // Plain value.
    let value = loss.forward(&logits, &targets)?;
    println!("loss               = {:.6}", value.item()?);

    // Per-sample losses.
    let per = CrossEntropyLoss {
        reduction: Reduction::None,
        ..loss.clone()
    }
    .forward(&logits, &targets)?;
    println!("per sample         = {:?}", per.to_vec());

    // Reverse mode: ∂loss/∂logits.
    let x = Var::leaf(logits.clone());
    loss.forward(&x, &targets)?.backward()?;
    let grad = x.grad().expect("x is a leaf that requires a gradient");
    println!("∂loss/∂logits      = {:?}", grad.to_vec());

    // Forward mode: the derivative along a direction equals ⟨∇loss, direction⟩.
    let direction = Tensor::from_vec((0..12).map(|i| f64::from(i % 5) - 2.0).collect(), [3, 4])?;
    let dual = loss.forward(&Dual::new(logits.clone(), direction.clone())?, &targets)?;
    let projected: f64 = grad
        .as_slice()
        .iter()
        .zip(direction.as_slice())
        .map(|(g, d)| g * d)
        .sum();
    println!(
        "directional deriv. = {:.3e} (reverse mode projected: {projected:.3e})",
        dual.tangent().item()?
    );

    // Per-pixel classes: scores (N, C, H, W) = (1, 4, 2, 2), labels (N, H, W).
    let scores = Tensor::from_vec(
        (0..16).map(|i| f64::from(i % 5) - 2.0).collect(),
        [1, 4, 2, 2],
    )?;
    let pixels = Labels::new(vec![0, 3, -100, 1], [1, 2, 2])?;
    let per_pixel = CrossEntropyLoss {
        reduction: Reduction::None,
        ..loss.clone()
    }
    .forward(&scores, &pixels)?;
    println!(
        "per pixel {:?} = {:?}",
        per_pixel.shape().dims(),
        per_pixel.to_vec()
    );

    // Class probabilities as the target (decided by the target's type), a
    // plain tensor for a reverse-mode input.
    let probs = logits.mul_scalar(0.5)?.softmax()?;
    let x = Var::leaf(logits);
    let soft = loss.forward(&x, &probs)?;
    soft.backward()?;
    println!("against probabilities = {:.6}", soft.tensor().item()?);
    Ok(())
}
