//! [`Trainer`]: minibatch SGD for any [`Model`], reproducibly across
//! thread counts (see [`crate::fit`]).

use std::time::Instant;

use models::autodiff::Element;
use models::autodiff::kernels;
use models::{Batch, Data, Model, Module, Sums};

use super::examples::{Dataset, Examples};
use super::{EpochMetrics, FitConfig, TrainError, TrainLoss, for_each_shard};
use crate::data::scale::Scaling;
use crate::loader::{Loader, LoaderConfig};
use crate::sgd::Sgd;

/// Rows per chunk when evaluating a dataset: a chunk is cut into the
/// trainer's shards like a training batch.
const EVAL_CHUNK: usize = 1024;

/// One shard's buffers, allocated once and reused every step.
struct Shard<M: Model> {
    workspace: M::Workspace,
    /// This shard's share of each parameter's gradient.
    grads: Vec<Vec<M::Elem>>,
    /// Rows in this step (0 for an empty shard, which is skipped).
    rows: usize,
    sums: Sums,
    /// An error raised in the shard, reported after the parallel section.
    error: Option<models::Error>,
}

impl<M: Model> Shard<M> {
    fn new(model: &M) -> Self {
        Shard {
            workspace: M::Workspace::default(),
            grads: zeros_like(model),
            rows: 0,
            sums: Sums::default(),
            error: None,
        }
    }

    /// Runs `work` on this shard's rows, keeping its sums or its error.
    fn run(
        &mut self,
        data: Data<'_, M::Elem>,
        rows: &[usize],
        batch_size: usize,
        work: impl FnOnce(&Batch<'_, M::Elem>, &mut Self) -> models::Result<Sums>,
    ) {
        self.rows = rows.len();
        self.error = None;
        if rows.is_empty() {
            return;
        }
        let result = Batch::new(data, rows, batch_size).and_then(|b| work(&b, self));
        match result {
            Ok(sums) => self.sums = sums,
            Err(e) => self.error = Some(e),
        }
    }
}

fn zeros_like<M: Module>(model: &M) -> Vec<Vec<M::Elem>> {
    model
        .named_parameters()
        .iter()
        .map(|(_, p)| vec![M::Elem::ZERO; p.numel()])
        .collect()
}

/// A dataset's mean loss and, for a classifier, its accuracy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// The mean over the samples of the per-sample loss.
    pub loss: f64,
    /// Classifiers: the fraction of samples whose first largest output is
    /// the label.
    pub accuracy: Option<f64>,
}

/// Minibatch SGD for a [`Model`] on a [`Dataset`], reproducibly across
/// thread counts (see [`crate::fit`]).
///
/// Each step cuts the batch into shards, has the model compute each
/// shard's loss and gradient into the shard's buffers (with the shard's
/// own workspace), stops with [`TrainError::Diverged`] on a NaN or
/// infinite loss, and updates the model's parameters in place with
/// [`Sgd`], which adds the shards' shares in shard order range by range as
/// it updates them (in parallel too, so that no serial pass separates two
/// steps). Nothing is copied per step: the model reads the batch's rows
/// from the dataset by index.
///
/// ```
/// use train::data::embedded::{digits8x8, digits8x8_scaling};
/// use train::fit::{book_softmax_init, FitConfig, Trainer};
/// use train::rand::{SeedableRng, rngs::StdRng};
/// let digits = digits8x8()?;
/// let model = book_softmax_init::<f32, _>(64, 10, &mut StdRng::seed_from_u64(0))?;
/// let mut trainer = Trainer::new(model, &digits.train, digits8x8_scaling(), FitConfig::new(64, 0.5))?;
/// for epoch in 1..=3 {
///     trainer.train_epoch(epoch, &mut |_, _| {})?;
/// }
/// assert!(trainer.evaluate(&digits.test)?.accuracy.unwrap() > 0.8);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Trainer<'d, M: Model> {
    model: M,
    train: Examples<'d, M::Elem>,
    scaling: Scaling,
    config: FitConfig,
    sgd: Sgd<M::Elem>,
    loader: Loader,
    shards: Vec<Shard<M>>,
    /// The batch gradient, one buffer per parameter.
    grads: Vec<Vec<M::Elem>>,
}

impl<M: Model> std::fmt::Debug for Trainer<'_, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("samples", &self.train.len())
            .field("features", &self.train.features())
            .field("scaling", &self.scaling)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<'d, M: Model> Trainer<'d, M> {
    /// A trainer that owns `model` (get it back with
    /// [`Trainer::into_model`]) and trains it on `train`, whose inputs are
    /// scaled by `scaling` as they are read.
    ///
    /// # Errors
    /// [`TrainError::Shape`] if the model does not fit the data (inputs,
    /// classes) or `scaling` was fitted on other data;
    /// [`TrainError::EmptyDataset`]; [`TrainError::ZeroShards`] /
    /// [`TrainError::Config`] for bad settings.
    pub fn new<D: Dataset<M::Elem> + ?Sized>(
        model: M,
        train: &'d D,
        scaling: Scaling,
        config: FitConfig,
    ) -> Result<Self, TrainError> {
        config.validate()?;
        let examples = train.examples(&scaling)?;
        model.check(&examples.data()?)?;
        if examples.is_empty() {
            return Err(TrainError::EmptyDataset);
        }
        let loader = Loader::new(
            examples.len(),
            LoaderConfig::new(config.batch_size).seed(config.seed),
        )?;
        Ok(Trainer {
            shards: (0..config.shards).map(|_| Shard::new(&model)).collect(),
            grads: zeros_like(&model),
            sgd: Sgd::new(config.sgd)?,
            model,
            train: examples,
            scaling,
            config,
            loader,
        })
    }

    /// The model, with its current parameters.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The model, mutably (its parameters' shapes must stay as they are).
    pub fn model_mut(&mut self) -> &mut M {
        &mut self.model
    }

    /// The trained model.
    pub fn into_model(self) -> M {
        self.model
    }

    /// The settings.
    pub fn config(&self) -> &FitConfig {
        &self.config
    }

    /// How the inputs are scaled as they are read.
    pub fn scaling(&self) -> &Scaling {
        &self.scaling
    }

    /// The optimiser (for its learning rate, say).
    pub fn sgd_mut(&mut self) -> &mut Sgd<M::Elem> {
        &mut self.sgd
    }

    /// Batches per epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.loader.batches_per_epoch()
    }

    /// Trains one epoch (`epoch` counts from 1 and selects the shuffle) and
    /// returns its training loss and accuracy (which ones:
    /// [`FitConfig::train_loss`]) and time; `on_step(done, total)` is
    /// called after each step.
    ///
    /// # Errors
    /// [`TrainError::ZeroEpoch`] for epoch 0; [`TrainError::Diverged`] as
    /// soon as a batch's loss is NaN or ±∞, naming the epoch and step (the
    /// parameters are then left as they were before that step);
    /// [`TrainError::Model`] / [`TrainError::Step`] if a component refuses
    /// its inputs (not expected once constructed).
    pub fn train_epoch(
        &mut self,
        epoch: usize,
        on_step: &mut dyn FnMut(usize, usize),
    ) -> Result<EpochMetrics, TrainError> {
        if epoch == 0 {
            return Err(TrainError::ZeroEpoch);
        }
        let start = Instant::now();
        let total = self.loader.batches_per_epoch();
        let data = self.train.data()?;
        let (mut loss_sum, mut correct, mut seen) = (0.0f64, Some(0usize), 0usize);
        let model = &mut self.model;
        for (step, batch) in self.loader.epoch(epoch as u64).enumerate() {
            let shared: &M = model;
            for_each_shard(&mut self.shards, batch, data.features(), |shard, rows| {
                shard.run(data, rows, batch.len(), |b, s| {
                    shared.loss_and_grad(b, &mut s.grads, &mut s.workspace)
                })
            });
            let sums = reduce(&mut self.shards)?;
            let mean = sums.loss / batch.len() as f64;
            if !mean.is_finite() {
                return Err(TrainError::Diverged {
                    epoch,
                    step: step + 1,
                    loss: mean,
                    lr: self.sgd.lr(),
                });
            }
            loss_sum += sums.loss;
            correct = correct.zip(sums.correct).map(|(a, b)| a + b);
            seen += batch.len();
            let mut params: Vec<(&str, &mut [M::Elem])> = model
                .named_parameters_mut()
                .into_iter()
                .map(|(name, value)| (name, value.as_mut_slice()))
                .collect();
            // The batch gradient, range by range as SGD reaches it: the
            // shards' shares summed in shard order.
            let shares: Vec<&[Vec<M::Elem>]> = (self.shards.iter())
                .filter(|s| s.rows > 0)
                .map(|s| &s.grads[..])
                .collect();
            self.sgd
                .step_with(&mut params, &mut self.grads, |i, start, out| {
                    sum_shares(&shares, i, start, out)
                })?;
            on_step(step + 1, total);
        }
        let seconds = start.elapsed().as_secs_f64();
        let (train_loss, train_acc) = match self.config.train_loss {
            TrainLoss::Running => (
                loss_sum / seen as f64,
                correct.map(|c| c as f64 / seen as f64),
            ),
            TrainLoss::AfterEpoch => {
                let e = evaluate(&self.model, &mut self.shards, data)?;
                (e.loss, e.accuracy)
            }
        };
        Ok(EpochMetrics {
            epoch,
            train_loss,
            seconds,
            train_acc,
            ..EpochMetrics::default()
        })
    }

    /// The mean loss and (for a classifier) the accuracy of the current
    /// parameters on `ds`, with the training scaling.
    ///
    /// # Errors
    /// [`TrainError::Shape`] if `ds` does not fit the model;
    /// [`TrainError::EmptyDataset`] if it is empty.
    pub fn evaluate<D: Dataset<M::Elem> + ?Sized>(
        &mut self,
        ds: &D,
    ) -> Result<Evaluation, TrainError> {
        let examples = ds.examples(&self.scaling)?;
        let data = examples.data()?;
        self.model.check(&data)?;
        evaluate(&self.model, &mut self.shards, data)
    }
}

/// Adds the shards' sums in shard order; the first error of a shard, if
/// any.
fn reduce<M: Model>(shards: &mut [Shard<M>]) -> Result<Sums, TrainError> {
    let mut total = Sums {
        loss: 0.0,
        correct: Some(0),
    };
    for shard in shards.iter_mut() {
        if let Some(e) = shard.error.take() {
            return Err(e.into());
        }
        if shard.rows == 0 {
            continue;
        }
        total.loss += shard.sums.loss;
        total.correct = total.correct.zip(shard.sums.correct).map(|(a, b)| a + b);
    }
    Ok(total)
}

/// Elements `start..start + out.len()` of parameter `i`'s batch gradient:
/// the shards' shares (`shares[s][i]`, shards with rows only) summed in
/// shard order, `((g₀ + g₁) + g₂) + g₃`.
fn sum_shares<T: Element>(shares: &[&[Vec<T>]], i: usize, start: usize, out: &mut [T]) {
    let range = start..start + out.len();
    let mut shares = shares.iter().map(|s| &s[i][range.clone()]);
    match shares.next() {
        Some(first) => out.copy_from_slice(first),
        None => out.fill(T::ZERO),
    }
    for share in shares {
        kernels::axpy(T::ONE, share, out);
    }
}

/// The mean loss and accuracy of `model` on `data`, chunk by chunk, each
/// chunk cut into the shards.
fn evaluate<M: Model>(
    model: &M,
    shards: &mut [Shard<M>],
    data: Data<'_, M::Elem>,
) -> Result<Evaluation, TrainError> {
    let n = data.len();
    if n == 0 {
        return Err(TrainError::EmptyDataset);
    }
    let order: Vec<usize> = (0..n).collect();
    let (mut loss, mut correct) = (0.0f64, Some(0usize));
    for chunk in order.chunks(EVAL_CHUNK) {
        for_each_shard(shards, chunk, data.features(), |shard, rows| {
            shard.run(data, rows, chunk.len(), |b, s| {
                model.evaluate(b, &mut s.workspace)
            })
        });
        let sums = reduce(shards)?;
        loss += sums.loss;
        correct = correct.zip(sums.correct).map(|(a, b)| a + b);
    }
    Ok(Evaluation {
        loss: loss / n as f64,
        accuracy: correct.map(|c| c as f64 / n as f64),
    })
}
