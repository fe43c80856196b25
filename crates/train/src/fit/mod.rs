//! The minibatch training loop: one [`Trainer`] for any [`models::Model`]
//! (the book's linear and softmax regression with their fused gradients,
//! any network written against [`models::autodiff::Value`] through
//! [`models::Reverse`]), on any [`Dataset`]; its settings ([`FitConfig`],
//! [`TrainLoss`]), per-epoch figures ([`EpochMetrics`], [`Evaluation`]) and
//! the error that stops a run ([`TrainError`]).
//!
//! # Reproducible parallelism
//!
//! Each minibatch is cut by [`crate::shard_ranges`] into
//! [`FitConfig::shards`] contiguous shards, a number that does not depend on
//! the thread count. Every shard computes its share of the gradient into
//! its own preallocated buffers, with its own workspace (in parallel with
//! rayon when the batch is large enough to pay for it); the shares are then
//! summed in shard order, `((g₀ + g₁) + g₂) + g₃`. Floating-point addition
//! is not associative, but this order is fixed, so the trained weights are
//! bit-identical for 1, 2 or any number of threads. (The GEMMs inside a
//! shard split their output, never the inner dimension, so they too give
//! the same bits on any thread count.) The sum and the SGD update are one
//! pass over each parameter, cut into ranges that the threads share, so
//! the second thread is never left idle between two steps long enough to
//! fall asleep (waking it each step had made two threads slower than one).
//!
//! Each shard's gradient is already divided by the *whole* batch size, so
//! the sum of the shares is the gradient of the batch mean loss.

mod examples;
mod trainer;

use models::autodiff::{Element, ShapeError, Tensor};
use models::{Linear, SoftmaxRegression};
use rand::Rng;
use rayon::prelude::*;

use crate::error::{ConfigError, StepError};
use crate::loader::shard_ranges;
use crate::sgd::SgdConfig;

pub use examples::{Dataset, Examples};
pub use trainer::{Evaluation, Trainer};

/// The default number of shards a minibatch is cut into.
pub const DEFAULT_SHARDS: usize = 4;

/// Below this many input values (`batch rows × features`) a batch's shards
/// run one after another on the calling thread: handing work to another
/// thread costs a few microseconds, more than a small batch takes. The
/// result is the same either way (same shards, same order of the sum).
const PARALLEL_MIN_VALUES: usize = 1 << 14;

/// Which training loss (and accuracy) an epoch reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrainLoss {
    /// The mean over the epoch's samples of the loss under the weights of
    /// their step, and the accuracy counted likewise, as the epoch goes
    /// (the book's `train_epoch_ch3`, PyTorch's usual running loss): free,
    /// but a mixture of the weights of the whole epoch.
    #[default]
    Running,
    /// The loss (and accuracy) over the whole training set with the
    /// weights after the epoch, as the book prints for linear regression:
    /// one more pass over the data.
    AfterEpoch,
}

/// The settings of a training run. There is no `Default`: the learning
/// rate has none (as in `torch.optim.SGD`), so [`FitConfig::new`] takes it
/// with the batch size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitConfig {
    /// Samples per minibatch (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// Shards per minibatch (at least 1); fixed, whatever the thread count.
    pub shards: usize,
    /// The run seed that every epoch's shuffle derives from.
    pub seed: u64,
    /// The training loss each epoch reports.
    pub train_loss: TrainLoss,
    /// The optimiser's settings.
    pub sgd: SgdConfig,
}

impl FitConfig {
    /// Batches of `batch_size`, SGD with learning rate `lr` and PyTorch's
    /// other defaults, [`DEFAULT_SHARDS`] shards, seed 0, the running
    /// training loss.
    pub fn new(batch_size: usize, lr: f64) -> Self {
        FitConfig {
            batch_size,
            shards: DEFAULT_SHARDS,
            seed: 0,
            train_loss: TrainLoss::Running,
            sgd: SgdConfig::new(lr),
        }
    }

    /// The same with `seed`.
    pub fn seed(self, seed: u64) -> Self {
        FitConfig { seed, ..self }
    }

    /// The same with `shards` shards per batch.
    pub fn shards(self, shards: usize) -> Self {
        FitConfig { shards, ..self }
    }

    /// The same with the training loss `train_loss`.
    pub fn train_loss(self, train_loss: TrainLoss) -> Self {
        FitConfig { train_loss, ..self }
    }

    /// The same with the optimiser settings `sgd`.
    pub fn sgd(self, sgd: SgdConfig) -> Self {
        FitConfig { sgd, ..self }
    }

    fn validate(&self) -> Result<(), TrainError> {
        if self.shards == 0 {
            return Err(TrainError::ZeroShards);
        }
        if self.batch_size == 0 {
            return Err(TrainError::Config(ConfigError::ZeroBatchSize {
                config: "FitConfig",
            }));
        }
        self.sgd.validate()?;
        Ok(())
    }
}

/// The figures of one epoch.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EpochMetrics {
    /// The epoch, counted from 1.
    pub epoch: usize,
    /// The training loss (which one: [`FitConfig::train_loss`]).
    pub train_loss: f64,
    /// Wall-clock seconds spent on the epoch's training steps (gradients,
    /// updates; not an evaluation).
    pub seconds: f64,
    /// Classification: the fraction of training samples classified
    /// correctly (counted as [`FitConfig::train_loss`] says).
    pub train_acc: Option<f64>,
    /// Classification: the accuracy on the test set after the epoch.
    pub test_acc: Option<f64>,
    /// Regression with a known truth: `‖w − w_true‖₂` after the epoch.
    pub w_error: Option<f64>,
    /// Regression with a known truth: `|b − b_true|` after the epoch.
    pub b_error: Option<f64>,
}

impl EpochMetrics {
    /// The figures as one JSON object (absent figures are left out).
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("epoch".into(), self.epoch.into());
        m.insert("train_loss".into(), self.train_loss.into());
        m.insert("seconds".into(), self.seconds.into());
        let optional = [
            ("train_acc", self.train_acc),
            ("test_acc", self.test_acc),
            ("w_error", self.w_error),
            ("b_error", self.b_error),
        ];
        for (name, value) in optional {
            if let Some(v) = value {
                m.insert(name.into(), v.into());
            }
        }
        serde_json::Value::Object(m)
    }
}

/// Why training stopped, or could not start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// The loss of a minibatch was NaN or infinite; the parameters are
    /// left as they were before that step.
    #[error(
        "training diverged: the loss is {loss} at epoch {epoch}, step {step}; \
         try a smaller learning rate (SgdConfig::lr, now {lr}) or scale the features (Scaling)"
    )]
    Diverged {
        /// The epoch, counted from 1.
        epoch: usize,
        /// The step within the epoch, counted from 1.
        step: usize,
        /// The batch's mean loss.
        loss: f64,
        /// The learning rate in use.
        lr: f64,
    },
    /// [`FitConfig::shards`] was 0.
    #[error("the number of shards per batch (FitConfig::shards) must be at least 1")]
    ZeroShards,
    /// [`Trainer::train_epoch`] was asked for epoch 0.
    #[error("epochs are counted from 1; Trainer::train_epoch was given epoch 0")]
    ZeroEpoch,
    /// The data does not fit the model (or a scaling the data).
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// The training set (or an evaluated set) is empty.
    #[error("the dataset is empty")]
    EmptyDataset,
    /// A bad setting.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The optimiser refused a step.
    #[error(transparent)]
    Step(#[from] StepError),
    /// The model refused its inputs for another reason than a shape.
    #[error(transparent)]
    Model(models::Error),
}

/// A model's shape error becomes [`TrainError::Shape`], whichever layer
/// found it, so that a user matches one variant.
impl From<models::Error> for TrainError {
    fn from(e: models::Error) -> Self {
        match e {
            models::Error::Shape(s) => TrainError::Shape(s),
            other => TrainError::Model(other),
        }
    }
}

impl From<models::autodiff::Error> for TrainError {
    fn from(e: models::autodiff::Error) -> Self {
        models::Error::from(e).into()
    }
}

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

/// Runs `work(shard, rows)` for every shard with its contiguous slice of
/// `batch` (as cut by [`shard_ranges`]): in parallel on the current rayon
/// pool when there is more than one thread and the batch has at least
/// [`PARALLEL_MIN_VALUES`] input values, else one after another. Either
/// way each shard sees the same rows, so the results are the same.
fn for_each_shard<S, F>(shards: &mut [S], batch: &[usize], features: usize, work: F)
where
    S: Send,
    F: Fn(&mut S, &[usize]) + Sync,
{
    let count = shards.len();
    let rows = |s: usize| {
        let r = shard_ranges(batch.len(), count)
            .nth(s)
            .expect("a shard index is below the shard count");
        &batch[r]
    };
    let parallel = rayon::current_num_threads() > 1
        && batch.len().saturating_mul(features.max(1)) >= PARALLEL_MIN_VALUES;
    if parallel {
        shards
            .par_iter_mut()
            .enumerate()
            .for_each(|(s, shard)| work(shard, rows(s)));
    } else {
        for (s, shard) in shards.iter_mut().enumerate() {
            work(shard, rows(s));
        }
    }
}
