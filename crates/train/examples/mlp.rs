//! A model of one's own through the library's trainer: a two-layer
//! perceptron 64 → 32 → 10 with a ReLU, PyTorch's
//! `nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))`,
//! trained on the embedded 8x8 digits.
//!
//! Its forward pass is written once against `Value`; [`Reverse`] turns it
//! into a `Model` whose gradients come from reverse-mode autodiff, and the
//! same [`Trainer`] as for the book's models does the rest (shards, the
//! ordered reduction, SGD in place, metrics, evaluation). Nothing in
//! `train` knows about this network.
//!
//! Run with `cargo run --release -p linear-nets-train --example mlp`.

use models::autodiff::{Tensor, Value};
use models::init::{self, FanMode, Nonlinearity};
use models::{Criterion, Module, Net, Reverse, linear};
use train::data::embedded::{digits8x8, digits8x8_scaling};
use train::rand::rngs::StdRng;
use train::{FitConfig, SgdConfig, Trainer};

/// `Linear(d, h) → ReLU → Linear(h, q)`, its parameters named as PyTorch's
/// `state_dict` names those of the `nn.Sequential` above.
struct Mlp {
    params: Vec<Tensor<f32>>,
}

const NAMES: [&str; 4] = ["0.weight", "0.bias", "2.weight", "2.bias"];

impl Mlp {
    /// He initialisation of the weights (`kaiming_uniform`, for the ReLU),
    /// zero biases.
    fn new(d: usize, h: usize, q: usize, rng: &mut StdRng) -> models::Result<Mlp> {
        let mut w1 = Tensor::zeros([h, d]);
        let mut w2 = Tensor::zeros([q, h]);
        for w in [&mut w1, &mut w2] {
            init::kaiming_uniform(w, 0.0, FanMode::FanIn, Nonlinearity::Relu, rng)?;
        }
        Ok(Mlp {
            params: vec![w1, Tensor::zeros([h]), w2, Tensor::zeros([q])],
        })
    }
}

impl Module for Mlp {
    type Elem = f32;

    fn named_parameters(&self) -> Vec<(&str, &Tensor<f32>)> {
        NAMES.into_iter().zip(&self.params).collect()
    }

    fn named_parameters_mut(&mut self) -> Vec<(&str, &mut Tensor<f32>)> {
        NAMES.into_iter().zip(&mut self.params).collect()
    }
}

impl Net for Mlp {
    fn in_features(&self) -> usize {
        self.params[0].shape()[1]
    }

    fn out_features(&self) -> usize {
        self.params[2].shape()[0]
    }

    fn criterion(&self) -> Criterion {
        Criterion::CrossEntropy
    }

    fn forward<V: Value<Elem = f32>>(&self, p: &[V], x: &V) -> models::Result<V> {
        let hidden = linear(x, &p[0], Some(&p[1]))?.relu()?;
        linear(&hidden, &p[2], Some(&p[3]))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let digits = digits8x8()?;
    let model = Mlp::new(64, 32, 10, &mut train::seeded(0))?;
    let config = FitConfig::new(64, 0.1).sgd(SgdConfig::new(0.1).momentum(0.9));
    let mut trainer = Trainer::new(Reverse(model), &digits.train, digits8x8_scaling(), config)?;
    for epoch in 1..=20 {
        let m = trainer.train_epoch(epoch, &mut |_, _| {})?;
        let test = trainer.evaluate(&digits.test)?;
        println!(
            "epoch {epoch}: loss {:.4}, train acc {:.4}, test loss {:.4}, test acc {:.4}",
            m.train_loss,
            m.train_acc.unwrap_or(f64::NAN),
            test.loss,
            test.accuracy.unwrap_or(f64::NAN),
        );
    }
    for (name, p) in trainer.model().named_parameters() {
        println!("{name}: {:?}", p.shape().dims());
    }
    Ok(())
}
