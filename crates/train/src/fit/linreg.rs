//! [`LinRegTrainer`]: linear regression `ŷ = x·w + b` by minibatch SGD on
//! the book's squared loss `ℓ = ½(ŷ − y)²`, averaged over the batch.
//!
//! Gradient of the batch mean over `B` rows, with residuals
//! `rᵢ = xᵢ·w + b − yᵢ`: `∂ℓ/∂w = (1/B) Σᵢ rᵢ xᵢ`, `∂ℓ/∂b = (1/B) Σᵢ rᵢ`.
//! The fused path computes these with plain loops: with a handful of
//! features (the book has 2) a GEMM's setup would cost more than the work.

use std::time::Instant;

use models::LinearRegression;
use models::autodiff::{Element, Tensor, Value, Var};
use models::losses::{MseLoss, Reduction};

use super::{EpochMetrics, FitConfig, GradPath, TrainError, for_each_shard};
use crate::data::regression::RegressionDataset;
use crate::data::scale::Scaling;
use crate::gather::gather_rows;
use crate::loader::{Loader, LoaderConfig};
use crate::sgd::{Param, Sgd};

/// How far the learned parameters are from the true ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamError {
    /// `‖w − w_true‖₂`.
    pub w: f64,
    /// `|b − b_true|`.
    pub b: f64,
}

/// One shard's buffers, allocated once and reused every step.
#[derive(Debug, Clone, Default)]
struct Shard<T> {
    x: Vec<T>,
    y: Vec<T>,
    /// This shard's share of `∂ℓ/∂w`.
    dw: Vec<T>,
    /// This shard's share of `∂ℓ/∂b`.
    db: T,
    rows: usize,
    /// Sum over the shard's rows of `½ r²`.
    loss_sum: f64,
    error: Option<TrainError>,
}

struct Ctx<'a, T: Element> {
    ds: &'a RegressionDataset<T>,
    scaling: &'a Scaling,
    w: &'a [T],
    b: T,
    /// The whole batch's row count.
    batch: usize,
}

impl<T: Element> Shard<T> {
    fn fused(&mut self, ctx: &Ctx<'_, T>, rows: &[usize]) {
        let d = ctx.w.len();
        gather_rows(ctx.ds, rows, ctx.scaling, &mut self.x, &mut self.y);
        self.dw.fill(T::ZERO);
        let (mut db, mut loss) = (T::ZERO, 0.0f64);
        for (x, &y) in self.x.chunks_exact(d).zip(&self.y) {
            let mut y_hat = ctx.b;
            for (&xj, &wj) in x.iter().zip(ctx.w) {
                y_hat = xj.mul_add(wj, y_hat);
            }
            let r = y_hat - y;
            loss += 0.5 * r.to_f64() * r.to_f64();
            for (g, &xj) in self.dw.iter_mut().zip(x) {
                *g = r.mul_add(xj, *g);
            }
            db += r;
        }
        let inv = T::ONE / T::from_usize(ctx.batch);
        self.dw.iter_mut().for_each(|g| *g *= inv);
        self.db = db * inv;
        self.loss_sum = loss;
    }

    /// Reverse mode: `Σ ½(linear(X, w, b) − y)²` over the shard (the
    /// `models` MSE loss with a sum), divided by the batch size.
    fn autodiff(&mut self, ctx: &Ctx<'_, T>, rows: &[usize]) -> Result<(), TrainError> {
        let (n, d) = (rows.len(), ctx.w.len());
        gather_rows(ctx.ds, rows, ctx.scaling, &mut self.x, &mut self.y);
        let x = Var::new(Tensor::from_vec(self.x.clone(), [n, d])?);
        let y = Var::new(Tensor::from_vec(self.y.clone(), [n, 1])?);
        let w = Var::leaf(Tensor::from_vec(ctx.w.to_vec(), [1, d])?);
        let b = Var::leaf(Tensor::vector(&[ctx.b]));
        let y_hat = models::linear(&x, &w, Some(&b))?;
        let mse = MseLoss {
            reduction: Reduction::Sum,
        };
        let half_sum = mse.forward(&y_hat, &y)?.mul_scalar(0.5)?;
        self.loss_sum = half_sum.tensor().item()?.to_f64();
        half_sum.mul_scalar(1.0 / ctx.batch as f64)?.backward()?;
        match w.grad() {
            Some(g) => self.dw.copy_from_slice(g.as_slice()),
            None => self.dw.fill(T::ZERO),
        }
        self.db = b.grad().map_or(T::ZERO, |g| g.as_slice()[0]);
        Ok(())
    }

    fn step(&mut self, ctx: &Ctx<'_, T>, rows: &[usize], path: GradPath) {
        self.rows = rows.len();
        self.error = None;
        if rows.is_empty() {
            return;
        }
        match path {
            GradPath::Fused => self.fused(ctx, rows),
            GradPath::Autodiff => self.error = self.autodiff(ctx, rows).err(),
        }
    }
}

/// Linear regression trained by minibatch SGD on a [`RegressionDataset`],
/// reproducibly across thread counts (see [`crate::fit`]).
///
/// ```
/// use rand::SeedableRng;
/// use train::data::synthetic::synthetic_data;
/// use train::fit::{FitConfig, LinRegTrainer};
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let ds = synthetic_data(&[2.0f32, -3.4], 4.2, 1000, 0.01, &mut rng)?;
/// let mut trainer = LinRegTrainer::zeros(&ds, train::Scaling::Identity, FitConfig::new(10, 0.03))?;
/// for epoch in 1..=3 {
///     trainer.train_epoch(epoch, &mut |_, _| {})?;
/// }
/// let err = trainer.param_error(&[2.0, -3.4], 4.2);
/// assert!(err.w < 0.01 && err.b < 0.01);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct LinRegTrainer<'d, T: Element = f32> {
    train: &'d RegressionDataset<T>,
    scaling: Scaling,
    config: FitConfig,
    w: Vec<T>,
    b: T,
    grad_w: Vec<T>,
    sgd: Sgd<T>,
    loader: Loader,
    shards: Vec<Shard<T>>,
}

impl<'d, T: Element> LinRegTrainer<'d, T> {
    /// A trainer starting from `model` on `train`, whose features are
    /// scaled by `scaling` as they are gathered.
    ///
    /// # Errors
    /// [`TrainError::Shape`] if the model's inputs differ from the
    /// dataset's features; [`TrainError::EmptyDataset`];
    /// [`TrainError::ZeroShards`] / [`TrainError::Config`] for bad settings.
    pub fn new(
        train: &'d RegressionDataset<T>,
        model: &LinearRegression<T>,
        scaling: Scaling,
        config: FitConfig,
    ) -> Result<Self, TrainError> {
        config.validate()?;
        let d = train.features();
        if model.inputs() != d {
            return Err(TrainError::Shape {
                what: "features",
                expected: model.inputs(),
                got: d,
            });
        }
        if train.is_empty() {
            return Err(TrainError::EmptyDataset);
        }
        let loader = Loader::new(
            train.len(),
            LoaderConfig::new(config.batch_size).seed(config.seed),
        )?;
        let shard = Shard {
            dw: vec![T::ZERO; d],
            ..Shard::default()
        };
        Ok(LinRegTrainer {
            train,
            scaling,
            config,
            w: model.weight().to_vec(),
            b: model.bias(),
            grad_w: vec![T::ZERO; d],
            sgd: Sgd::new(config.sgd)?,
            loader,
            shards: vec![shard; config.shards],
        })
    }

    /// A trainer starting from `w = 0`, `b = 0`.
    ///
    /// # Errors
    /// As [`LinRegTrainer::new`].
    pub fn zeros(
        train: &'d RegressionDataset<T>,
        scaling: Scaling,
        config: FitConfig,
    ) -> Result<Self, TrainError> {
        let model = LinearRegression::from_weights(&vec![T::ZERO; train.features()], T::ZERO)?;
        Self::new(train, &model, scaling, config)
    }

    /// The settings.
    pub fn config(&self) -> &FitConfig {
        &self.config
    }

    /// How the inputs are scaled as they are gathered.
    pub fn scaling(&self) -> &Scaling {
        &self.scaling
    }

    /// The weights `w`.
    pub fn weights(&self) -> &[T] {
        &self.w
    }

    /// The bias `b`.
    pub fn bias(&self) -> T {
        self.b
    }

    /// The current parameters as a model.
    ///
    /// # Errors
    /// Never in practice.
    pub fn model(&self) -> Result<LinearRegression<T>, TrainError> {
        Ok(LinearRegression::from_weights(&self.w, self.b)?)
    }

    /// Batches per epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.loader.batches_per_epoch()
    }

    /// `‖w − w_true‖₂` and `|b − b_true|`, in `f64` (missing entries of
    /// `w_true` count as 0).
    pub fn param_error(&self, w_true: &[f64], b_true: f64) -> ParamError {
        let w = self
            .w
            .iter()
            .enumerate()
            .map(|(j, &wj)| {
                let e = wj.to_f64() - w_true.get(j).copied().unwrap_or(0.0);
                e * e
            })
            .sum::<f64>()
            .sqrt();
        ParamError {
            w,
            b: (self.b.to_f64() - b_true).abs(),
        }
    }

    /// The mean of `½(x·w + b − y)²` over `ds` (in `f64`), with the
    /// training scaling.
    ///
    /// # Errors
    /// [`TrainError::Shape`] for another number of features;
    /// [`TrainError::EmptyDataset`].
    pub fn loss(&self, ds: &RegressionDataset<T>) -> Result<f64, TrainError> {
        if ds.features() != self.w.len() {
            return Err(TrainError::Shape {
                what: "features",
                expected: self.w.len(),
                got: ds.features(),
            });
        }
        if ds.is_empty() {
            return Err(TrainError::EmptyDataset);
        }
        let idx: Vec<usize> = (0..ds.len()).collect();
        let (mut x, mut y) = (Vec::new(), Vec::new());
        gather_rows(ds, &idx, &self.scaling, &mut x, &mut y);
        let d = self.w.len();
        let b = self.b.to_f64();
        let total: f64 = x
            .chunks_exact(d.max(1))
            .zip(&y)
            .map(|(row, &yi)| {
                let y_hat = row
                    .iter()
                    .zip(&self.w)
                    .fold(b, |acc, (&xj, &wj)| acc + xj.to_f64() * wj.to_f64());
                let r = y_hat - yi.to_f64();
                0.5 * r * r
            })
            .sum();
        Ok(total / ds.len() as f64)
    }

    /// Trains one epoch (`epoch` counts from 1 and selects the shuffle);
    /// the returned `train_loss` is the book's: the loss over the whole
    /// training set after the epoch. `on_step(done, total)` is called
    /// after each step.
    ///
    /// # Errors
    /// [`TrainError::Diverged`] as soon as a batch's loss is NaN or ±∞,
    /// naming the epoch and step; [`TrainError::Model`] /
    /// [`TrainError::Step`] if a component refuses its inputs.
    pub fn train_epoch(
        &mut self,
        epoch: usize,
        on_step: &mut dyn FnMut(usize, usize),
    ) -> Result<EpochMetrics, TrainError> {
        let start = Instant::now();
        let total = self.loader.batches_per_epoch();
        let path = self.config.grad;
        let d = self.w.len();
        let batches = self.loader.epoch(epoch as u64);
        for (step, batch) in batches.enumerate() {
            let ctx = Ctx {
                ds: self.train,
                scaling: &self.scaling,
                w: &self.w,
                b: self.b,
                batch: batch.len(),
            };
            for_each_shard(&mut self.shards, batch, d, |shard, rows| {
                shard.step(&ctx, rows, path)
            });
            // Sum the shards' shares in shard order.
            let (mut loss, mut grad_b, mut first) = (0.0f64, T::ZERO, true);
            for shard in &mut self.shards {
                if let Some(e) = shard.error.take() {
                    return Err(e);
                }
                if shard.rows == 0 {
                    continue;
                }
                loss += shard.loss_sum;
                if first {
                    self.grad_w.copy_from_slice(&shard.dw);
                    grad_b = shard.db;
                    first = false;
                } else {
                    for (g, &s) in self.grad_w.iter_mut().zip(&shard.dw) {
                        *g += s;
                    }
                    grad_b += shard.db;
                }
            }
            let mean = loss / batch.len() as f64;
            if !mean.is_finite() {
                return Err(TrainError::Diverged {
                    epoch,
                    step: step + 1,
                    loss: mean,
                    lr: self.sgd.lr(),
                });
            }
            let grad_b = [grad_b];
            self.sgd.step(&mut [
                Param {
                    name: "weight",
                    value: &mut self.w,
                    grad: &self.grad_w,
                },
                Param {
                    name: "bias",
                    value: std::slice::from_mut(&mut self.b),
                    grad: &grad_b,
                },
            ])?;
            on_step(step + 1, total);
        }
        let seconds = start.elapsed().as_secs_f64();
        Ok(EpochMetrics {
            epoch,
            train_loss: self.loss(self.train)?,
            seconds,
            ..EpochMetrics::default()
        })
    }
}
