//! Classification losses: cross-entropy (class indices or probabilities),
//! negative log-likelihood, binary cross-entropy (on probabilities or on
//! logits), Kullback–Leibler divergence, multi-label soft margin.

use super::{
    Reduction, batch_and_classes, check_domain, check_weight, constant, mask, reduce, same_shape,
};
use crate::autodiff::{Shape, Tensor, Value};
use crate::error::{Error, Result};
use crate::kernels::Element;

/// Reads class-index targets for an `(N, C)` input: the column of each row
/// (0 for an ignored row) and whether the row is counted.
pub(crate) fn class_targets(
    op: &'static str,
    targets: &[i64],
    n: usize,
    c: usize,
    ignore_index: Option<i64>,
) -> Result<(Vec<usize>, Vec<bool>)> {
    if targets.len() != n {
        return Err(Error::ShapeMismatch {
            op,
            what: "batch of input vs target",
            left: vec![n],
            right: vec![targets.len()],
        });
    }
    let mut idx = Vec::with_capacity(n);
    let mut counted = Vec::with_capacity(n);
    for (index, &t) in targets.iter().enumerate() {
        if Some(t) == ignore_index {
            idx.push(0);
            counted.push(false);
        } else if t < 0 || t as u64 >= c as u64 {
            return Err(Error::TargetOutOfRange {
                op,
                index,
                target: t,
                classes: c,
            });
        } else {
            idx.push(t as usize);
            counted.push(true);
        }
    }
    Ok((idx, counted))
}

/// Per-sample weighted negative log-likelihood of class-index targets, and
/// the sum of the counted targets' weights: `ℓₙ = −w_{yₙ}·lp[n, yₙ]`
/// (0 for ignored `n`). `lp` is `(N, C)` log-probabilities.
fn weighted_nll<V: Value>(
    lp: &V,
    idx: &[usize],
    counted: &[bool],
    weight: Option<&[f64]>,
) -> Result<(V, f64)> {
    let wv: Vec<f64> = idx
        .iter()
        .zip(counted)
        .map(|(&t, &k)| if k { weight.map_or(1.0, |w| w[t]) } else { 0.0 })
        .collect();
    let total = wv.iter().sum();
    let n = wv.len();
    let per = lp.gather(idx)?.mul(&constant(wv, &[n])?)?.neg()?;
    Ok((per, total))
}

/// The reduction of class-index losses: the mean divides by the total weight
/// of the counted targets, as PyTorch's `nll_loss` does.
fn reduce_weighted<V: Value>(
    op: &'static str,
    per: V,
    total_weight: f64,
    reduction: Reduction,
    unbatched: bool,
) -> Result<V> {
    match reduction {
        Reduction::None if unbatched => Ok(per.reshape(Shape::SCALAR)?),
        Reduction::None => Ok(per),
        Reduction::Sum => Ok(per.sum()?),
        Reduction::Mean => {
            if total_weight == 0.0 {
                return Err(Error::EmptyMean { op });
            }
            Ok(per.sum()?.div(&V::scalar(total_weight))?)
        }
    }
}

/// The input as `(N, C)`, with `N`, `C` and whether it was unbatched `(C)`.
pub(crate) fn as_batch<V: Value>(op: &'static str, input: &V) -> Result<(V, usize, usize, bool)> {
    let dims = input.shape();
    let (n, c) = batch_and_classes(op, dims.dims())?;
    let unbatched = dims.rank() == 1;
    let x = if unbatched {
        input.reshape([1, c])?
    } else {
        input.clone()
    };
    Ok((x, n, c, unbatched))
}

/// Cross-entropy of logits, PyTorch's `nn.CrossEntropyLoss`.
///
/// With `p = softmax(x)` over the classes (computed as `log_softmax`, so no
/// probability that could underflow is formed), label smoothing `ε` and
/// class weights `w` (all 1 if `None`):
///
/// - class-index targets ([`CrossEntropyLoss::forward`]):
///   `ℓₙ = (1 − ε)·(−w_{yₙ} ln pₙ[yₙ]) + (ε/C)·(−Σ_c w_c ln pₙ[c])`, and 0 where
///   `yₙ = ignore_index`; the mean divides by `Σₙ w_{yₙ}` over the counted
///   targets (not by `N`);
/// - class-probability targets ([`CrossEntropyLoss::forward_probs`]):
///   `ℓₙ = −Σ_c w_c ỹₙ[c] ln pₙ[c]` with `ỹ = (1 − ε)y + ε/C`; the mean divides by `N`.
///
/// The input is `(N, C)` or unbatched `(C)`.
#[derive(Clone, Debug, PartialEq)]
pub struct CrossEntropyLoss {
    /// Per-class weights, `C` of them (default `None`: all 1).
    pub weight: Option<Vec<f64>>,
    /// A class-index target with this value contributes nothing (default −100).
    pub ignore_index: i64,
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
    /// `ε ∈ [0, 1]`: the share of the target mass spread uniformly (default 0).
    pub label_smoothing: f64,
}

impl Default for CrossEntropyLoss {
    fn default() -> Self {
        CrossEntropyLoss {
            weight: None,
            ignore_index: -100,
            reduction: Reduction::Mean,
            label_smoothing: 0.0,
        }
    }
}

impl CrossEntropyLoss {
    const OP: &'static str = "CrossEntropyLoss";

    fn check_smoothing(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.label_smoothing) {
            return Err(Error::InvalidArgument {
                op: Self::OP,
                arg: "label_smoothing",
                value: self.label_smoothing,
                requirement: "must be between 0.0 and 1.0",
            });
        }
        Ok(())
    }

    /// The loss of logits `input` (`(N, C)` or `(C)`) against class indices
    /// `target` (`N` of them, or 1 for an unbatched input).
    ///
    /// # Errors
    /// [`Error::Rank`] for an input of rank other than 1 or 2;
    /// [`Error::ShapeMismatch`] for a target or weight of the wrong length;
    /// [`Error::TargetOutOfRange`] for a target outside `[0, C)` that is not
    /// `ignore_index`; [`Error::InvalidArgument`] for `label_smoothing`
    /// outside `[0, 1]`; [`Error::EmptyMean`] for a mean over no counted target.
    pub fn forward<V: Value>(&self, input: &V, target: &[i64]) -> Result<V> {
        let op = Self::OP;
        self.check_smoothing()?;
        let (x, n, c, unbatched) = as_batch(op, input)?;
        check_weight(op, self.weight.as_deref(), c)?;
        let (idx, counted) = class_targets(op, target, n, c, Some(self.ignore_index))?;
        let lp = x.log_softmax()?;
        let w = self.weight.as_deref();
        let (mut per, total) = weighted_nll(&lp, &idx, &counted, w)?;
        let eps = self.label_smoothing;
        if eps > 0.0 {
            let weighted = match w {
                Some(w) => lp.mul(&constant(w.to_vec(), &[1, c])?)?,
                None => lp,
            };
            let keep = counted.iter().map(|&k| if k { 1.0 } else { 0.0 }).collect();
            let smooth = weighted
                .sum_axis(1, false)?
                .neg()?
                .mul(&constant(keep, &[n])?)?;
            per = per
                .mul_scalar(1.0 - eps)?
                .add(&smooth.mul_scalar(eps / c as f64)?)?;
        }
        reduce_weighted(op, per, total, self.reduction, unbatched)
    }

    /// The loss of logits `input` against class probabilities `target` (same shape).
    /// `ignore_index` does not apply to probability targets.
    ///
    /// # Errors
    /// [`Error::Rank`]; [`Error::ShapeMismatch`] for a target or weight of the
    /// wrong shape; [`Error::InvalidArgument`] for `label_smoothing` outside
    /// `[0, 1]`; [`Error::EmptyMean`] for a mean over an empty batch.
    pub fn forward_probs<V: Value>(&self, input: &V, target: &V) -> Result<V> {
        let op = Self::OP;
        self.check_smoothing()?;
        same_shape(op, "input vs target", input, target)?;
        let (c, rank) = (
            batch_and_classes(op, input.shape().dims())?.1,
            input.shape().rank(),
        );
        check_weight(op, self.weight.as_deref(), c)?;
        let lp = input.log_softmax()?;
        let eps = self.label_smoothing;
        let y = if eps > 0.0 {
            target.mul_scalar(1.0 - eps)?.add_scalar(eps / c as f64)?
        } else {
            target.clone()
        };
        let mut prod = lp.mul(&y)?;
        if let Some(w) = &self.weight {
            prod = prod.mul(&constant(w.clone(), &[c])?)?;
        }
        let per = prod.sum_axis(rank - 1, false)?.neg()?;
        reduce(op, per, self.reduction)
    }
}

/// Negative log-likelihood, PyTorch's `nn.NLLLoss`: for log-probabilities
/// `x` (`(N, C)` or `(C)`) and class indices `y`, `ℓₙ = −w_{yₙ}·x[n, yₙ]`,
/// 0 where `yₙ = ignore_index`; the mean divides by `Σₙ w_{yₙ}` over the
/// counted targets.
#[derive(Clone, Debug, PartialEq)]
pub struct NllLoss {
    /// Per-class weights, `C` of them (default `None`: all 1).
    pub weight: Option<Vec<f64>>,
    /// A target with this value contributes nothing (default −100).
    pub ignore_index: i64,
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl Default for NllLoss {
    fn default() -> Self {
        NllLoss {
            weight: None,
            ignore_index: -100,
            reduction: Reduction::Mean,
        }
    }
}

impl NllLoss {
    /// The loss of log-probabilities `input` against class indices `target`.
    ///
    /// # Errors
    /// As [`CrossEntropyLoss::forward`].
    pub fn forward<V: Value>(&self, input: &V, target: &[i64]) -> Result<V> {
        const OP: &str = "NLLLoss";
        let (x, n, c, unbatched) = as_batch(OP, input)?;
        check_weight(OP, self.weight.as_deref(), c)?;
        let (idx, counted) = class_targets(OP, target, n, c, Some(self.ignore_index))?;
        let (per, total) = weighted_nll(&x, &idx, &counted, self.weight.as_deref())?;
        reduce_weighted(OP, per, total, self.reduction, unbatched)
    }
}

/// A constant weight broadcast (numpy rules) to `shape`.
fn broadcast_weight<V: Value>(
    op: &'static str,
    what: &'static str,
    w: &Tensor<f64>,
    shape: Shape,
) -> Result<V> {
    let c = V::constant(w.cast::<V::Elem>());
    c.broadcast_to(shape).map_err(|_| Error::ShapeMismatch {
        op,
        what,
        left: w.shape().dims().to_vec(),
        right: shape.dims().to_vec(),
    })
}

/// Binary cross-entropy of probabilities, PyTorch's `nn.BCELoss`:
/// `ℓ = −w·[y·ln x + (1 − y)·ln(1 − x)]`, each logarithm clamped at −100 as
/// PyTorch does (so `x = 0` or `1` gives a finite loss, and a finite
/// derivative); then reduced (the mean is over all elements).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BceLoss {
    /// A weight broadcast (numpy rules) to the input's shape (default `None`).
    pub weight: Option<Tensor<f64>>,
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

/// `max(ln x, −100)` for `x ∈ [0, 1]`, with a finite derivative everywhere:
/// where `x = 0` the value is the constant −100; elsewhere the clamp cuts
/// the derivative of `ln x` for `ln x < −100`.
fn clamped_log<V: Value>(x: &V) -> Result<V> {
    let xt = x.tensor();
    let positive: Tensor<V::Elem> = mask(x.shape().dims(), |i| xt.as_slice()[i] > V::Elem::ZERO)?;
    let ones = V::constant(Tensor::ones(x.shape()));
    let floor = V::constant(Tensor::full(x.shape(), V::Elem::from_f64(-100.0)));
    let safe = V::select(&positive, x, &ones)?;
    let log = safe.log()?.clamp(-100.0, f64::INFINITY)?;
    Ok(V::select(&positive, &log, &floor)?)
}

impl BceLoss {
    /// The loss of probabilities `input` against targets `target` (same shape).
    ///
    /// # Errors
    /// [`Error::Domain`] for an input or target outside `[0, 1]`;
    /// [`Error::ShapeMismatch`] for mismatched shapes or a weight that does
    /// not broadcast; [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, input: &V, target: &V) -> Result<V> {
        const OP: &str = "BCELoss";
        same_shape(OP, "input vs target", input, target)?;
        let unit = |v: f64| (0.0..=1.0).contains(&v);
        check_domain(OP, "input", input, "[0, 1]", unit)?;
        check_domain(OP, "target", target, "[0, 1]", unit)?;
        let log_x = clamped_log(input)?;
        let log_1mx = clamped_log(&input.neg()?.add_scalar(1.0)?)?;
        let one_minus_y = target.neg()?.add_scalar(1.0)?;
        let mut per = target
            .mul(&log_x)?
            .add(&one_minus_y.mul(&log_1mx)?)?
            .neg()?;
        if let Some(w) = &self.weight {
            per = per.mul(&broadcast_weight(OP, "weight vs input", w, input.shape())?)?;
        }
        reduce(OP, per, self.reduction)
    }
}

/// Binary cross-entropy of logits, PyTorch's `nn.BCEWithLogitsLoss`:
/// `ℓ = −w·[p·y·ln σ(x) + (1 − y)·ln(1 − σ(x))]` with `p` the positive
/// weight; then reduced (mean over all elements).
///
/// Computed as `w·[p·y·softplus(−x) + (1 − y)·softplus(x)]`
/// (since `−ln σ(x) = softplus(−x)` and `−ln(1 − σ(x)) = softplus(x)`), which
/// is finite for logits of any size and keeps full relative precision where
/// the loss is tiny (no `x − softplus(x)` cancellation).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BceWithLogitsLoss {
    /// A weight broadcast (numpy rules) to the input's shape (default `None`).
    pub weight: Option<Tensor<f64>>,
    /// The weight `p` of positive examples, broadcast to the input's shape;
    /// usually one per class, along the last dimension (default `None`: 1).
    pub pos_weight: Option<Tensor<f64>>,
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl BceWithLogitsLoss {
    /// The loss of logits `input` against targets `target` (same shape).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for mismatched shapes or a weight that does
    /// not broadcast; [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, input: &V, target: &V) -> Result<V> {
        const OP: &str = "BCEWithLogitsLoss";
        same_shape(OP, "input vs target", input, target)?;
        let mut pos = input.neg()?.softplus()?.mul(target)?;
        if let Some(p) = &self.pos_weight {
            pos = pos.mul(&broadcast_weight(
                OP,
                "pos_weight vs input",
                p,
                input.shape(),
            )?)?;
        }
        let neg = input.softplus()?.mul(&target.neg()?.add_scalar(1.0)?)?;
        let mut per = pos.add(&neg)?;
        if let Some(w) = &self.weight {
            per = per.mul(&broadcast_weight(OP, "weight vs input", w, input.shape())?)?;
        }
        reduce(OP, per, self.reduction)
    }
}

/// The reductions of [`KlDivLoss`]: [`Reduction`]'s three and `batchmean`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum KlDivReduction {
    /// One loss per element (`"none"`).
    None,
    /// The mean over all elements (`"mean"`, PyTorch's default, which it
    /// warns is not the KL divergence; prefer `BatchMean`).
    #[default]
    Mean,
    /// The sum (`"sum"`).
    Sum,
    /// The sum divided by the batch size `input.shape[0]` (`"batchmean"`):
    /// the mathematical KL divergence averaged over the batch.
    BatchMean,
}

/// Kullback–Leibler divergence, PyTorch's `nn.KLDivLoss`: for log-probabilities
/// `x` and target `y`, `ℓ = y·(ln y − x)` (0 where `y = 0`), or with
/// `log_target` (the target given as `ln y`) `ℓ = e^y·(y − x)`; then reduced.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct KlDivLoss {
    /// How to reduce (default [`KlDivReduction::Mean`]).
    pub reduction: KlDivReduction,
    /// The target is given as log-probabilities (default `false`).
    pub log_target: bool,
}

impl KlDivLoss {
    /// The divergence of `target` from the distribution with log-probabilities `input`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`]; [`Error::Domain`] for a negative target
    /// (when not `log_target`); [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, input: &V, target: &V) -> Result<V> {
        const OP: &str = "KLDivLoss";
        same_shape(OP, "input vs target", input, target)?;
        let per = if self.log_target {
            target.exp()?.mul(&target.sub(input)?)?
        } else {
            check_domain(OP, "target", target, "[0, ∞)", |y| y >= 0.0)?;
            // xlogy(y, y): y·ln y, and 0 where y = 0 (ln taken of 1 there).
            let yt = target.tensor();
            let positive: Tensor<V::Elem> =
                mask(target.shape().dims(), |i| yt.as_slice()[i] > V::Elem::ZERO)?;
            let ones = V::constant(Tensor::ones(target.shape()));
            let ylny = target.mul(&V::select(&positive, target, &ones)?.log()?)?;
            ylny.sub(&target.mul(input)?)?
        };
        match self.reduction {
            KlDivReduction::None => Ok(per),
            KlDivReduction::Sum => Ok(per.sum()?),
            KlDivReduction::Mean => reduce(OP, per, Reduction::Mean),
            KlDivReduction::BatchMean => {
                let batch = input.shape().dims().first().copied().unwrap_or(1);
                if batch == 0 {
                    return Err(Error::EmptyMean { op: OP });
                }
                Ok(per.sum()?.div(&V::scalar(batch as f64))?)
            }
        }
    }
}

/// Multi-label one-versus-all loss, PyTorch's `nn.MultiLabelSoftMarginLoss`:
/// per sample, `ℓₙ = −(1/C) Σ_c w_c [y_c ln σ(x_c) + (1 − y_c) ln σ(−x_c)]`;
/// then reduced over the samples. Input `(N, C)` or `(C)`, target the same shape.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MultiLabelSoftMarginLoss {
    /// Per-class weights, `C` of them (default `None`: all 1).
    pub weight: Option<Vec<f64>>,
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl MultiLabelSoftMarginLoss {
    /// The loss of logits `input` against 0/1 targets `target` (same shape).
    ///
    /// # Errors
    /// [`Error::Rank`]; [`Error::ShapeMismatch`]; [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, input: &V, target: &V) -> Result<V> {
        const OP: &str = "MultiLabelSoftMarginLoss";
        same_shape(OP, "input vs target", input, target)?;
        let (_, c) = batch_and_classes(OP, input.shape().dims())?;
        check_weight(OP, self.weight.as_deref(), c)?;
        let pos = target.mul(&input.log_sigmoid()?)?;
        let neg = target
            .neg()?
            .add_scalar(1.0)?
            .mul(&input.neg()?.log_sigmoid()?)?;
        let mut per = pos.add(&neg)?.neg()?;
        if let Some(w) = &self.weight {
            per = per.mul(&constant(w.clone(), &[c])?)?;
        }
        let rank = input.shape().rank();
        let per = per.sum_axis(rank - 1, false)?.mul_scalar(1.0 / c as f64)?;
        reduce(OP, per, self.reduction)
    }
}
