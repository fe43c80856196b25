//! [`SoftmaxTrainer`]: softmax regression on an [`ImageDataset`] by
//! minibatch SGD, the gradient from the fused path or from reverse mode.
//!
//! The fused gradient of the mean cross-entropy over a batch of `B` rows,
//! for logits `O = X·Wᵀ + b` (`X` is `B × d`, `W` is `q × d`):
//! `G = ∂ℓ/∂O = (softmax(O) − onehot(y)) / B`, then `∂W = Gᵀ·X` and
//! `∂b = Σ_rows G`. Each shard computes its rows' share of `G`, already
//! divided by the whole batch's `B`, so the shards' shares add up to the
//! batch gradient.
//!
//! The fused path never copies the batch: the GEMMs
//! ([`kernels::u8_gemm_xwt`], [`kernels::u8_gemm_gtx`]) read the shard's
//! rows of 8-bit images straight from the dataset by index and scale each
//! byte in registers, and the loss, its gradient and the correct count come
//! from one pass of [`kernels::softmax_xent`].

use std::time::Instant;

use models::autodiff::kernels::{self, U8Scale};
use models::autodiff::{Element, Tensor, Value, Var};
use models::losses::{CrossEntropyLoss, Reduction};
use models::{Linear, SoftmaxRegression};
use rand::Rng;

use super::{EpochMetrics, FitConfig, GradPath, TrainError, for_each_shard};
use crate::data::image::ImageDataset;
use crate::data::scale::Scaling;
use crate::gather::gather_images;
use crate::loader::{Loader, LoaderConfig};
use crate::sgd::{Param, Sgd};

/// Rows per chunk when evaluating a dataset: a chunk is cut into the
/// trainer's shards like a training batch.
const EVAL_CHUNK: usize = 1024;

/// The book's initialisation of softmax regression: `W ~ N(0, 0.01²)`
/// (`q × d`, drawn row-major from `rng`) and `b = 0`.
///
/// # Errors
/// Never in practice (the shapes always fit).
pub fn book_softmax_init<T: Element, R: Rng + ?Sized>(
    features: usize,
    classes: usize,
    rng: &mut R,
) -> Result<SoftmaxRegression<T>, models::Error> {
    let mut weight = Tensor::zeros([classes, features]);
    models::init::normal(&mut weight, 0.0, 0.01, rng)?;
    let linear = Linear::from_parameters(weight, Some(Tensor::zeros([classes])))?;
    Ok(SoftmaxRegression { linear })
}

/// One shard's buffers, allocated once and reused every step.
#[derive(Debug, Clone, Default)]
struct Shard<T> {
    /// The shard's rows, gathered and scaled (`n × d`; reverse mode only).
    x: Vec<T>,
    /// Their labels.
    y: Vec<usize>,
    /// Logits (`n × q`).
    logits: Vec<T>,
    /// `∂ℓ/∂logits` (`n × q`).
    dlogits: Vec<T>,
    /// This shard's share of `∂ℓ/∂W` (`q × d`).
    dw: Vec<T>,
    /// This shard's share of `∂ℓ/∂b` (`q`).
    db: Vec<T>,
    /// Rows in this step (0 for an empty shard, which is skipped).
    rows: usize,
    /// Sum over the shard's rows of the cross-entropy.
    loss_sum: f64,
    /// Rows whose argmax logit is the label.
    correct: usize,
    /// An error raised in the shard, reported after the parallel section.
    error: Option<TrainError>,
}

/// The parameters and settings a shard reads.
struct Ctx<'a, T> {
    ds: &'a ImageDataset,
    scaling: &'a Scaling,
    /// `scaling` as the byte GEMMs apply it.
    bytes: U8Scale<'a, T>,
    weight: &'a [T],
    bias: &'a [T],
    classes: usize,
    /// The whole batch's row count.
    batch: usize,
}

impl<T: Element> Shard<T> {
    fn new(features: usize, classes: usize) -> Self {
        Shard {
            dw: vec![T::ZERO; features * classes],
            db: vec![T::ZERO; classes],
            ..Shard::default()
        }
    }

    /// Computes the logits `X·Wᵀ + b` of the rows, read from the dataset's
    /// bytes, and collects their labels.
    fn forward(&mut self, ctx: &Ctx<'_, T>, rows: &[usize]) {
        let (n, q, d) = (rows.len(), ctx.classes, ctx.ds.features());
        let labels = ctx.ds.labels();
        self.y.clear();
        self.y.extend(rows.iter().map(|&i| labels[i] as usize));
        self.logits.resize(n * q, T::ZERO);
        kernels::u8_gemm_xwt(
            ctx.ds.images(),
            d,
            rows,
            &ctx.bytes,
            ctx.weight,
            Some(ctx.bias),
            &mut self.logits,
        );
    }

    /// Counts the rows whose first largest logit is the label.
    fn count_correct(&mut self, q: usize) {
        self.correct = self
            .logits
            .chunks_exact(q)
            .zip(&self.y)
            .filter(|&(row, &y)| kernels::argmax(row) == Some(y))
            .count();
    }

    /// The hand-fused forward and backward pass.
    fn fused(&mut self, ctx: &Ctx<'_, T>, rows: &[usize]) {
        let (n, q, d) = (rows.len(), ctx.classes, ctx.ds.features());
        self.forward(ctx, rows);
        self.dlogits.resize(n * q, T::ZERO);
        // This shard's share of the batch mean: G = (softmax − onehot) / B.
        let inv_batch = T::ONE / T::from_usize(ctx.batch);
        let sums = kernels::softmax_xent(&self.logits, q, &self.y, inv_batch, &mut self.dlogits);
        self.loss_sum = sums.loss;
        self.correct = sums.correct;
        // ∂W = Gᵀ·X, ∂b = Σ_rows G.
        self.dw.fill(T::ZERO);
        kernels::u8_gemm_gtx(
            &self.dlogits,
            ctx.ds.images(),
            d,
            rows,
            &ctx.bytes,
            &mut self.dw,
        );
        kernels::col_sums(&self.dlogits, q, &mut self.db);
    }

    /// Reverse mode: the summed cross-entropy of `linear(X, W, b)` over the
    /// shard, divided by the batch size, differentiated by `backward`.
    fn autodiff(&mut self, ctx: &Ctx<'_, T>, rows: &[usize]) -> Result<(), TrainError> {
        let (n, q, d) = (rows.len(), ctx.classes, ctx.ds.features());
        let mut targets = Vec::new();
        gather_images(ctx.ds, rows, ctx.scaling, &mut self.x, &mut targets);
        self.y.clear();
        self.y.extend(targets.iter().map(|&c| c as usize));
        let x = Var::new(Tensor::from_vec(self.x.clone(), [n, d])?);
        let w = Var::leaf(Tensor::from_vec(ctx.weight.to_vec(), [q, d])?);
        let b = Var::leaf(Tensor::vector(ctx.bias));
        let logits = models::linear(&x, &w, Some(&b))?;
        let ce = CrossEntropyLoss {
            reduction: Reduction::Sum,
            ..CrossEntropyLoss::default()
        };
        let sum = ce.forward(&logits, &targets)?;
        self.loss_sum = sum.tensor().item()?.to_f64();
        sum.mul_scalar(1.0 / ctx.batch as f64)?.backward()?;
        self.logits.clear();
        self.logits.extend_from_slice(logits.tensor().as_slice());
        self.count_correct(q);
        let (gw, gb) = (w.grad(), b.grad());
        let zero_or = |g: Option<Tensor<T>>, out: &mut [T]| match g {
            Some(g) => out.copy_from_slice(g.as_slice()),
            None => out.fill(T::ZERO),
        };
        zero_or(gw, &mut self.dw);
        zero_or(gb, &mut self.db);
        Ok(())
    }

    /// One training step's work for this shard; errors are kept for later.
    fn step(&mut self, ctx: &Ctx<'_, T>, rows: &[usize], path: GradPath) {
        self.rows = rows.len();
        self.error = None;
        if rows.is_empty() {
            return;
        }
        let result = match path {
            GradPath::Fused => {
                self.fused(ctx, rows);
                Ok(())
            }
            GradPath::Autodiff => self.autodiff(ctx, rows),
        };
        self.error = result.err();
    }
}

/// Softmax regression trained by minibatch SGD on an [`ImageDataset`],
/// reproducibly across thread counts (see [`crate::fit`]).
///
/// The parameters are `W` (`q × d`, PyTorch's `nn.Linear` layout) and `b`
/// (`q`). [`SoftmaxTrainer::train_epoch`] reports the mean training loss
/// and the training accuracy counted over the epoch's batches as they are
/// trained on (as the book's `train_epoch_ch3` does), and the caller's
/// evaluation of the test set.
///
/// ```
/// use train::data::embedded::{digits8x8, digits8x8_scaling};
/// use train::fit::{book_softmax_init, FitConfig, SoftmaxTrainer};
/// use rand::SeedableRng;
/// let digits = digits8x8()?;
/// let model = book_softmax_init::<f32, _>(64, 10, &mut rand::rngs::StdRng::seed_from_u64(0))?;
/// let config = FitConfig::new(64, 0.5);
/// let mut trainer = SoftmaxTrainer::new(&digits.train, model, digits8x8_scaling(), config)?;
/// for epoch in 1..=3 {
///     trainer.train_epoch(epoch, &mut |_, _| {})?;
/// }
/// assert!(trainer.accuracy(&digits.test)? > 0.8);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SoftmaxTrainer<'d, T: Element = f32> {
    train: &'d ImageDataset,
    scaling: Scaling,
    /// A standardisation's mean and `1/std`, rounded to `T`.
    standardize: Option<(Vec<T>, Vec<T>)>,
    config: FitConfig,
    weight: Vec<T>,
    bias: Vec<T>,
    grad_w: Vec<T>,
    grad_b: Vec<T>,
    classes: usize,
    sgd: Sgd<T>,
    loader: Loader,
    shards: Vec<Shard<T>>,
}

impl<'d, T: Element> SoftmaxTrainer<'d, T> {
    /// A trainer for `model` on `train`, whose images are scaled by
    /// `scaling` as they are gathered.
    ///
    /// # Errors
    /// [`TrainError::Shape`] if the model's inputs or classes differ from
    /// the dataset's, or it has no bias; [`TrainError::EmptyDataset`];
    /// [`TrainError::ZeroShards`] / [`TrainError::Config`] for bad settings.
    pub fn new(
        train: &'d ImageDataset,
        model: SoftmaxRegression<T>,
        scaling: Scaling,
        config: FitConfig,
    ) -> Result<Self, TrainError> {
        config.validate()?;
        let (q, d) = (model.linear.out_features(), model.linear.in_features());
        check("features (pixels per image)", d, train.features())?;
        check("classes", q, train.classes())?;
        if train.is_empty() {
            return Err(TrainError::EmptyDataset);
        }
        let bias = match &model.linear.bias {
            Some(b) => b.to_vec(),
            None => {
                return Err(TrainError::Shape {
                    what: "bias entries",
                    expected: q,
                    got: 0,
                });
            }
        };
        let standardize = match &scaling {
            Scaling::Standardize(st) => {
                check("standardised features", d, st.features())?;
                let to_t = |v: &[f64]| v.iter().map(|&x| T::from_f64(x)).collect();
                Some((to_t(st.mean()), to_t(st.inv_std())))
            }
            _ => None,
        };
        let loader = Loader::new(
            train.len(),
            LoaderConfig::new(config.batch_size).seed(config.seed),
        )?;
        Ok(SoftmaxTrainer {
            train,
            scaling,
            standardize,
            config,
            weight: model.linear.weight.to_vec(),
            bias,
            grad_w: vec![T::ZERO; q * d],
            grad_b: vec![T::ZERO; q],
            classes: q,
            sgd: Sgd::new(config.sgd)?,
            loader,
            shards: (0..config.shards).map(|_| Shard::new(d, q)).collect(),
        })
    }

    /// The settings.
    pub fn config(&self) -> &FitConfig {
        &self.config
    }

    /// How the inputs are scaled as they are gathered.
    pub fn scaling(&self) -> &Scaling {
        &self.scaling
    }

    /// The weight `W`, `q × d` row-major.
    pub fn weight(&self) -> &[T] {
        &self.weight
    }

    /// The bias `b`, `q` entries.
    pub fn bias(&self) -> &[T] {
        &self.bias
    }

    /// The optimiser (for its learning rate, say).
    pub fn sgd_mut(&mut self) -> &mut Sgd<T> {
        &mut self.sgd
    }

    /// The current parameters as a model.
    ///
    /// # Errors
    /// Never in practice (the shapes are the model's own).
    pub fn model(&self) -> Result<SoftmaxRegression<T>, TrainError> {
        let (q, d) = (self.classes, self.train.features());
        let linear = Linear::from_parameters(
            Tensor::from_vec(self.weight.clone(), [q, d])?,
            Some(Tensor::vector(&self.bias)),
        )?;
        Ok(SoftmaxRegression { linear })
    }

    /// Batches per epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.loader.batches_per_epoch()
    }

    /// Trains one epoch (`epoch` counts from 1 and selects the shuffle) and
    /// returns its loss (the mean over the epoch's samples of the loss
    /// under the weights of their step), training accuracy (likewise) and
    /// time; `on_step(done, total)` is called after each step.
    ///
    /// # Errors
    /// [`TrainError::Diverged`] as soon as a batch's loss is NaN or ±∞,
    /// naming the epoch and step (the parameters are then left as they
    /// were before that step); [`TrainError::Model`] / [`TrainError::Step`]
    /// if a component refuses its inputs (not expected once constructed).
    pub fn train_epoch(
        &mut self,
        epoch: usize,
        on_step: &mut dyn FnMut(usize, usize),
    ) -> Result<EpochMetrics, TrainError> {
        let start = Instant::now();
        let total = self.loader.batches_per_epoch();
        let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
        let path = self.config.grad;
        let shard_count = self.shards.len();
        let batches = self.loader.epoch(epoch as u64);
        for (step, batch) in batches.enumerate() {
            let ctx = Ctx {
                ds: self.train,
                scaling: &self.scaling,
                bytes: byte_scale(&self.scaling, &self.standardize),
                weight: &self.weight,
                bias: &self.bias,
                classes: self.classes,
                batch: batch.len(),
            };
            for_each_shard(&mut self.shards, batch, ctx.ds.features(), |shard, rows| {
                shard.step(&ctx, rows, path)
            });
            // Sum the shards' shares in shard order.
            let mut batch_loss = 0.0f64;
            let mut first = true;
            for shard in self.shards.iter_mut().take(shard_count) {
                if let Some(e) = shard.error.take() {
                    return Err(e);
                }
                if shard.rows == 0 {
                    continue;
                }
                batch_loss += shard.loss_sum;
                correct += shard.correct;
                if first {
                    self.grad_w.copy_from_slice(&shard.dw);
                    self.grad_b.copy_from_slice(&shard.db);
                    first = false;
                } else {
                    kernels::axpy(T::ONE, &shard.dw, &mut self.grad_w);
                    kernels::axpy(T::ONE, &shard.db, &mut self.grad_b);
                }
            }
            let mean = batch_loss / batch.len() as f64;
            if !mean.is_finite() {
                return Err(TrainError::Diverged {
                    epoch,
                    step: step + 1,
                    loss: mean,
                    lr: self.sgd.lr(),
                });
            }
            loss_sum += batch_loss;
            seen += batch.len();
            self.sgd.step(&mut [
                Param {
                    name: "weight",
                    value: &mut self.weight,
                    grad: &self.grad_w,
                },
                Param {
                    name: "bias",
                    value: &mut self.bias,
                    grad: &self.grad_b,
                },
            ])?;
            on_step(step + 1, total);
        }
        let seconds = start.elapsed().as_secs_f64();
        Ok(EpochMetrics {
            epoch,
            train_loss: loss_sum / seen as f64,
            seconds,
            train_acc: Some(correct as f64 / seen as f64),
            ..EpochMetrics::default()
        })
    }

    /// The fraction of `ds`'s samples the current parameters classify
    /// correctly (the first largest logit; the same scaling as training).
    ///
    /// # Errors
    /// [`TrainError::Shape`] if `ds` has another number of features or
    /// classes; [`TrainError::EmptyDataset`] if it is empty.
    pub fn accuracy(&mut self, ds: &ImageDataset) -> Result<f64, TrainError> {
        check(
            "features (pixels per image)",
            self.train.features(),
            ds.features(),
        )?;
        check("classes", self.classes, ds.classes())?;
        if ds.is_empty() {
            return Err(TrainError::EmptyDataset);
        }
        let order: Vec<usize> = (0..ds.len()).collect();
        let mut correct = 0;
        for chunk in order.chunks(EVAL_CHUNK) {
            let ctx = Ctx {
                ds,
                scaling: &self.scaling,
                bytes: byte_scale(&self.scaling, &self.standardize),
                weight: &self.weight,
                bias: &self.bias,
                classes: self.classes,
                batch: chunk.len(),
            };
            for_each_shard(&mut self.shards, chunk, ds.features(), |shard, rows| {
                shard.rows = rows.len();
                shard.correct = 0;
                if !rows.is_empty() {
                    shard.forward(&ctx, rows);
                    shard.count_correct(ctx.classes);
                }
            });
            correct += self.shards.iter().map(|s| s.correct).sum::<usize>();
        }
        Ok(correct as f64 / ds.len() as f64)
    }
}

/// `scaling` as the byte GEMMs apply it, in `T`: a division by an exact
/// reciprocal becomes that multiplication (as [`crate::gather_images`]
/// does), a standardisation `(x − mean)·(1/std)` with both rounded to `T`
/// (`std` holds them) and each step rounded in `T`.
fn byte_scale<'a, T: Element>(
    scaling: &Scaling,
    std: &'a Option<(Vec<T>, Vec<T>)>,
) -> U8Scale<'a, T> {
    match (scaling, std) {
        (Scaling::Divide(d), _) if d.recip_exact::<T>() => {
            U8Scale::Mul(T::ONE / T::from_f64(d.max()))
        }
        (Scaling::Divide(d), _) => U8Scale::Div(T::from_f64(d.max())),
        (Scaling::Standardize(_), Some((mean, inv_std))) => U8Scale::Standardize { mean, inv_std },
        _ => U8Scale::Identity,
    }
}

fn check(what: &'static str, expected: usize, got: usize) -> Result<(), TrainError> {
    if expected == got {
        Ok(())
    } else {
        Err(TrainError::Shape {
            what,
            expected,
            got,
        })
    }
}
