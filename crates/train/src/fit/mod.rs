//! The minibatch training loop: [`SoftmaxTrainer`] (classification of
//! images) and [`LinRegTrainer`] (linear regression), their configuration
//! ([`FitConfig`], [`GradPath`]), per-epoch figures ([`EpochMetrics`]) and
//! the error that stops a run ([`TrainError`]).
//!
//! # Reproducible parallelism
//!
//! Each minibatch is cut by [`crate::shard_ranges`] into
//! [`FitConfig::shards`] contiguous shards, a number that does not depend on
//! the thread count. Every shard gathers its rows and computes its share of
//! the gradient into its own preallocated buffers (in parallel with rayon
//! when the batch is large enough to pay for it); the shares are then summed
//! in shard order, `((g₀ + g₁) + g₂) + g₃`. Floating-point addition is not
//! associative, but this order is fixed, so the trained weights are
//! bit-identical for 1, 2 or any number of threads. (The GEMMs inside a
//! shard split their output, never the inner dimension, so they too give
//! the same bits on any thread count.)
//!
//! Each shard's gradient is already divided by the *whole* batch size, so
//! the sum of the shares is the gradient of the batch mean loss.

mod linreg;
mod softmax;

use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;

use crate::error::{ConfigError, StepError};
use crate::loader::shard_ranges;
use crate::sgd::SgdConfig;

pub use linreg::{LinRegTrainer, ParamError};
pub use softmax::{SoftmaxTrainer, book_softmax_init};

/// The default number of shards a minibatch is cut into.
pub const DEFAULT_SHARDS: usize = 4;

/// Below this many input values (`batch rows × features`) a batch's shards
/// run one after another on the calling thread: handing work to another
/// thread costs a few microseconds, more than a small batch takes. The
/// result is the same either way (same shards, same order of the sum).
const PARALLEL_MIN_VALUES: usize = 1 << 14;

/// How the gradient of a minibatch is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GradPath {
    /// Hand-fused: the forward pass, the loss and its derivative are
    /// written out directly on the shard's buffers (GEMMs on transposed
    /// views, one softmax-cross-entropy pass per row), with no allocation.
    #[default]
    Fused,
    /// Reverse-mode automatic differentiation: the loss is built from the
    /// `models` losses over [`models::autodiff::Var`] leaves and
    /// differentiated by `backward`.
    Autodiff,
}

impl GradPath {
    /// The name used on the command line (`fused`, `autodiff`).
    pub fn name(self) -> &'static str {
        match self {
            GradPath::Fused => "fused",
            GradPath::Autodiff => "autodiff",
        }
    }
}

impl fmt::Display for GradPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for GradPath {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "fused" => Ok(GradPath::Fused),
            "autodiff" => Ok(GradPath::Autodiff),
            other => Err(format!(
                "unknown gradient path '{other}' (expected 'fused' or 'autodiff')"
            )),
        }
    }
}

/// The settings of a training run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitConfig {
    /// Samples per minibatch (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// Shards per minibatch (at least 1); fixed, whatever the thread count.
    pub shards: usize,
    /// The run seed that every epoch's shuffle derives from.
    pub seed: u64,
    /// How gradients are computed.
    pub grad: GradPath,
    /// The optimiser's settings.
    pub sgd: SgdConfig,
}

impl FitConfig {
    /// Batches of `batch_size`, SGD with learning rate `lr` and PyTorch's
    /// other defaults, [`DEFAULT_SHARDS`] shards, seed 0, the fused path.
    pub fn new(batch_size: usize, lr: f64) -> Self {
        FitConfig {
            batch_size,
            shards: DEFAULT_SHARDS,
            seed: 0,
            grad: GradPath::Fused,
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

    /// The same with the gradient path `grad`.
    pub fn grad(self, grad: GradPath) -> Self {
        FitConfig { grad, ..self }
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
    /// The training loss (see the trainers for which mean it is).
    pub train_loss: f64,
    /// Wall-clock seconds spent on the epoch's training steps (gathering,
    /// gradients, updates; not the evaluation).
    pub seconds: f64,
    /// Classification: the fraction of training samples classified
    /// correctly, counted during the epoch.
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

/// Why training stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainError {
    /// The loss of a minibatch was NaN or infinite.
    Diverged {
        /// The epoch, counted from 1.
        epoch: usize,
        /// The step within the epoch, counted from 1.
        step: usize,
        /// The loss value.
        loss: f64,
        /// The learning rate in use.
        lr: f64,
    },
    /// [`FitConfig::shards`] was 0.
    ZeroShards,
    /// The data does not fit the model.
    Shape {
        /// What does not fit.
        what: &'static str,
        /// What the model expects.
        expected: usize,
        /// What the data has.
        got: usize,
    },
    /// The training set is empty.
    EmptyDataset,
    /// A bad setting.
    Config(ConfigError),
    /// The optimiser refused a step.
    Step(StepError),
    /// The model or a loss refused its inputs.
    Model(models::Error),
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::Diverged {
                epoch,
                step,
                loss,
                lr,
            } => write!(
                f,
                "training diverged: the loss is {loss} at epoch {epoch}, step {step}; \
                 try a smaller learning rate (now {lr}) or scale the features"
            ),
            TrainError::ZeroShards => {
                f.write_str("the number of shards per batch must be at least 1")
            }
            TrainError::Shape {
                what,
                expected,
                got,
            } => write!(
                f,
                "{what}: the model expects {expected}, the data has {got}"
            ),
            TrainError::EmptyDataset => f.write_str("the training set is empty"),
            TrainError::Config(e) => e.fmt(f),
            TrainError::Step(e) => e.fmt(f),
            TrainError::Model(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TrainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TrainError::Config(e) => Some(e),
            TrainError::Step(e) => Some(e),
            TrainError::Model(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ConfigError> for TrainError {
    fn from(e: ConfigError) -> Self {
        TrainError::Config(e)
    }
}

impl From<StepError> for TrainError {
    fn from(e: StepError) -> Self {
        TrainError::Step(e)
    }
}

impl From<models::Error> for TrainError {
    fn from(e: models::Error) -> Self {
        TrainError::Model(e)
    }
}

impl From<models::autodiff::Error> for TrainError {
    fn from(e: models::autodiff::Error) -> Self {
        TrainError::Model(e.into())
    }
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
