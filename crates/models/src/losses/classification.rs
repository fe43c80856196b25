//! Classification losses: cross-entropy (class indices or probabilities),
//! negative log-likelihood, binary cross-entropy (on probabilities or on
//! logits), Kullback–Leibler divergence, multi-label soft margin.

use super::{
    ClassTarget, CrossEntropyTarget, Reduction, Target, check_domain, check_reduction,
    class_weight, constant, invalid_reduction, mask, reduce, same_shape,
};
use crate::Label;
use crate::autodiff::{Index, Shape, Tensor, Value};
use crate::error::{Error, Result, shape_error};
use crate::kernels::Element;
use crate::labels::ClassIndices;

/// The layout of a class-scores input: `(C)` (unbatched), `(N, C)`, or
/// `(N, C, d1, …, dk)` (spatial, when the loss accepts it).
pub(crate) struct Layout {
    /// Batch size (1 for an unbatched input).
    pub(crate) n: usize,
    /// Number of classes.
    pub(crate) c: usize,
    /// `d1·…·dk` (1 without spatial dimensions).
    pub(crate) d: usize,
    /// `d1, …, dk` (empty without).
    spatial: Vec<usize>,
    /// The input was `(C)`.
    pub(crate) unbatched: bool,
    /// The input's shape.
    dims: Vec<usize>,
}

impl Layout {
    /// The layout of `shape`; `spatial` says whether `(N, C, d1, …, dk)` is accepted.
    pub(crate) fn of(op: &'static str, shape: &[usize], spatial: bool) -> Result<Layout> {
        match *shape {
            [c] => Ok(Layout {
                n: 1,
                c,
                d: 1,
                spatial: Vec::new(),
                unbatched: true,
                dims: shape.to_vec(),
            }),
            [n, c] => Ok(Layout {
                n,
                c,
                d: 1,
                spatial: Vec::new(),
                unbatched: false,
                dims: shape.to_vec(),
            }),
            [n, c, ref rest @ ..] if spatial && !rest.is_empty() => Ok(Layout {
                n,
                c,
                d: rest.iter().product(),
                spatial: rest.to_vec(),
                unbatched: false,
                dims: shape.to_vec(),
            }),
            _ => Err(Error::Rank {
                op,
                arg: "input",
                expected: if spatial {
                    "1 (C), 2 (N, C) or more (N, C, d1, …, dk)"
                } else {
                    "1 (C) or 2 (N, C)"
                },
                got: shape.len(),
            }),
        }
    }

    fn is_spatial(&self) -> bool {
        !self.spatial.is_empty()
    }

    /// The shape a class-index target must have: `(N)` or `(N, d1, …, dk)`
    /// (an unbatched input takes `()` or `(1)`, checked apart).
    fn target_dims(&self) -> Vec<usize> {
        let mut t = vec![self.n];
        t.extend_from_slice(&self.spatial);
        t
    }

    /// The input as `(N, C)`, or `(N, C, D)` with `D = d1·…·dk` when spatial.
    fn scores<V: Value>(&self, x: &V) -> Result<V> {
        Ok(if self.is_spatial() {
            x.reshape([self.n, self.c, self.d])?
        } else if self.unbatched {
            x.reshape([1, self.c])?
        } else {
            x.clone()
        })
    }

    /// `log_softmax` over the classes of [`Layout::scores`].
    fn log_probs<V: Value>(&self, x: &V) -> Result<V> {
        Ok(if self.is_spatial() {
            x.log_softmax_axis(1)?
        } else {
            x.log_softmax()?
        })
    }

    /// `x[n, idx[n, d], d]` from scores-shaped `x`, as a vector of `N·D`.
    fn pick<V: Value>(&self, x: &V, idx: &[usize]) -> Result<V> {
        Ok(if self.is_spatial() {
            let index = Index::new(idx.to_vec(), [self.n, 1, self.d])?;
            x.gather_axis(1, &index)?.reshape([self.n * self.d])?
        } else {
            x.gather(idx)?
        })
    }

    /// The sum over the classes of scores-shaped `x`, as a vector of `N·D`.
    fn class_sum<V: Value>(&self, x: &V) -> Result<V> {
        let s = x.sum_axis(1, false)?;
        Ok(if self.is_spatial() {
            s.reshape([self.n * self.d])?
        } else {
            s
        })
    }

    /// A per-class vector as a constant broadcasting along the class axis of the scores.
    fn per_class<V: Value>(&self, w: &[f64]) -> Result<V> {
        if self.is_spatial() {
            constant(w.to_vec(), &[1, self.c, 1])
        } else {
            constant(w.to_vec(), &[1, self.c])
        }
    }

    /// Per-element losses (`N·D`) in the shape of an unreduced output:
    /// `()` unbatched, `(N)`, or `(N, d1, …, dk)`.
    fn unreduced<V: Value>(&self, per: V) -> Result<V> {
        Ok(if self.unbatched {
            per.reshape(Shape::SCALAR)?
        } else if self.is_spatial() {
            per.reshape(self.target_dims().as_slice())?
        } else {
            per
        })
    }
}

/// Reads class-index targets for a class-scores input of layout `lay`: the
/// class of each element (0 for an ignored one) and whether it is counted.
pub(crate) fn class_targets(
    op: &'static str,
    labels: &[Label],
    shape: Shape,
    lay: &Layout,
    ignore_index: Option<Label>,
) -> Result<(Vec<usize>, Vec<bool>)> {
    let fits = if lay.unbatched {
        shape.rank() <= 1 && shape.numel() == 1
    } else {
        shape.dims() == lay.target_dims().as_slice()
    };
    if !fits {
        return Err(shape_error(op, "input vs target", &lay.dims, shape.dims()));
    }
    let c = lay.c;
    let mut idx = Vec::with_capacity(labels.len());
    let mut counted = Vec::with_capacity(labels.len());
    for (index, &t) in labels.iter().enumerate() {
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

/// Per-element weighted negative log-likelihood of class-index targets, and
/// the sum of the counted targets' weights: `ℓ = −w_y·lp[n, y, d]`
/// (0 where ignored). `lp` is scores-shaped log-probabilities.
fn weighted_nll<V: Value>(
    lay: &Layout,
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
    let m = wv.len();
    let per = lay.pick(lp, idx)?.mul(&constant(wv, &[m])?)?.neg()?;
    Ok((per, total))
}

/// The reduction of class-index losses: the mean divides by the total weight
/// of the counted targets, as PyTorch's `nll_loss` does.
fn reduce_weighted<V: Value>(
    op: &'static str,
    lay: &Layout,
    per: V,
    total_weight: f64,
    reduction: Reduction,
) -> Result<V> {
    match reduction {
        Reduction::None => lay.unreduced(per),
        Reduction::Sum => Ok(per.sum()?),
        Reduction::Mean => {
            if total_weight == 0.0 {
                return Err(Error::EmptyMean { op });
            }
            Ok(per.sum()?.div(&V::scalar(total_weight))?)
        }
        Reduction::BatchMean => Err(invalid_reduction(op, reduction)),
    }
}

/// The input as `(N, C)`, with `N`, `C` and whether it was unbatched `(C)`.
pub(crate) fn as_batch<V: Value>(op: &'static str, input: &V) -> Result<(V, Layout)> {
    let lay = Layout::of(op, input.shape().dims(), false)?;
    Ok((lay.scores(input)?, lay))
}

/// Cross-entropy of logits, PyTorch's `nn.CrossEntropyLoss`.
///
/// The input holds class scores (logits) `(C)`, `(N, C)` or
/// `(N, C, d1, …, dk)` (the classes along dimension 1, as in PyTorch, for
/// example one score per class and pixel). With `p = softmax(x)` over the
/// classes (computed as `log_softmax`, so no probability that could
/// underflow is formed), label smoothing `ε` and class weights `w` (all 1
/// if `None`), each element `n` (a sample, or a sample's position
/// `(d1, …, dk)`) has the loss
///
/// - with class-index targets `y` ([`Labels`](crate::Labels), shape `()`, `(N)` or `(N, d1, …, dk)`):
///   `ℓₙ = (1 − ε)·(−w_{yₙ} ln pₙ[yₙ]) + (ε/C)·(−Σ_c w_c ln pₙ[c])`, and 0 where
///   `yₙ = ignore_index`; the mean divides by `Σₙ w_{yₙ}` over the counted
///   elements (not by their number);
/// - with class-probability targets `y` (the input's shape):
///   `ℓₙ = −Σ_c w_c ỹₙ[c] ln pₙ[c]` with `ỹ = (1 − ε)y + ε/C`; the mean
///   divides by the number of elements `N·d1·…·dk`.
///
/// Which of the two is decided by the target's type (see
/// [`CrossEntropyTarget`]), as PyTorch decides by its dtype.
///
/// ```
/// use models::Labels;
/// use models::autodiff::{Tensor, Value};
/// use models::losses::CrossEntropyLoss;
/// // Two images of 2×2 pixels, 3 classes per pixel: (N, C, H, W) = (2, 3, 2, 2).
/// let x = Tensor::from_vec((0..24).map(|i| f64::from(i % 7) - 3.0).collect(), [2, 3, 2, 2])?;
/// let y = Labels::new(vec![0, 1, 2, 1, 2, 2, -100, 0], [2, 2, 2])?;
/// let loss = CrossEntropyLoss { label_smoothing: 0.1, ..Default::default() };
/// assert!(loss.forward(&x, &y)?.item()? > 0.0);
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CrossEntropyLoss {
    /// Per-class weights, a vector of `C` (default `None`: all 1).
    pub weight: Option<Tensor<f64>>,
    /// A class-index target with this value contributes nothing (default −100).
    pub ignore_index: Label,
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

    /// The loss of logits `input` against `target`: class indices (anything
    /// [`ClassIndices`], such as [`Labels`](crate::Labels) or `&[0, 2]`) or class
    /// probabilities (a value or [`Tensor`] of the input's shape).
    ///
    /// # Errors
    /// [`Error::Rank`] for a scalar input; [`Error::Shape`] for a target or
    /// weight of the wrong shape; [`Error::TargetOutOfRange`] for a class
    /// index outside `[0, C)` that is not `ignore_index`;
    /// [`Error::InvalidArgument`] for `label_smoothing` outside `[0, 1]`;
    /// [`Error::InvalidReduction`] for [`Reduction::BatchMean`];
    /// [`Error::EmptyMean`] for a mean over no counted target.
    pub fn forward<V: Value, Y: CrossEntropyTarget<V, K> + ?Sized, K>(
        &self,
        input: &V,
        target: &Y,
    ) -> Result<V> {
        let op = Self::OP;
        if !(0.0..=1.0).contains(&self.label_smoothing) {
            return Err(Error::InvalidArgument {
                op,
                arg: "label_smoothing",
                value: self.label_smoothing,
                requirement: "must be between 0.0 and 1.0",
            });
        }
        check_reduction(op, self.reduction)?;
        let lay = Layout::of(op, input.shape().dims(), true)?;
        let w = class_weight(op, self.weight.as_ref(), lay.c)?;
        match target.class_target() {
            ClassTarget::Indices { labels, shape } => self.indices(input, labels, shape, &lay, w),
            ClassTarget::Probabilities(y) => self.probabilities(input, &y, &lay, w),
        }
    }

    fn indices<V: Value>(
        &self,
        input: &V,
        labels: &[Label],
        shape: Shape,
        lay: &Layout,
        w: Option<&[f64]>,
    ) -> Result<V> {
        let op = Self::OP;
        let (idx, counted) = class_targets(op, labels, shape, lay, Some(self.ignore_index))?;
        let lp = lay.log_probs(&lay.scores(input)?)?;
        let (mut per, total) = weighted_nll(lay, &lp, &idx, &counted, w)?;
        let eps = self.label_smoothing;
        if eps > 0.0 {
            let weighted = match w {
                Some(w) => lp.mul(&lay.per_class(w)?)?,
                None => lp,
            };
            let keep = counted.iter().map(|&k| if k { 1.0 } else { 0.0 }).collect();
            let smooth = lay
                .class_sum(&weighted)?
                .neg()?
                .mul(&constant(keep, &[counted.len()])?)?;
            per = per
                .mul_scalar(1.0 - eps)?
                .add(&smooth.mul_scalar(eps / lay.c as f64)?)?;
        }
        reduce_weighted(op, lay, per, total, self.reduction)
    }

    fn probabilities<V: Value>(
        &self,
        input: &V,
        target: &V,
        lay: &Layout,
        w: Option<&[f64]>,
    ) -> Result<V> {
        let op = Self::OP;
        same_shape(op, "input vs target", input, target)?;
        let lp = lay.log_probs(&lay.scores(input)?)?;
        let y = lay.scores(target)?;
        let eps = self.label_smoothing;
        let y = if eps > 0.0 {
            y.mul_scalar(1.0 - eps)?.add_scalar(eps / lay.c as f64)?
        } else {
            y
        };
        let mut prod = lp.mul(&y)?;
        if let Some(w) = w {
            prod = prod.mul(&lay.per_class(w)?)?;
        }
        let per = lay.class_sum(&prod)?.neg()?;
        match self.reduction {
            Reduction::None => lay.unreduced(per),
            r => reduce(op, per, r),
        }
    }
}

/// Negative log-likelihood, PyTorch's `nn.NLLLoss`: for log-probabilities
/// `x` (`(C)`, `(N, C)` or `(N, C, d1, …, dk)`, the classes along
/// dimension 1) and class indices `y` ([`Labels`](crate::Labels) of shape `()`, `(N)` or
/// `(N, d1, …, dk)`), `ℓₙ = −w_{yₙ}·x[n, yₙ]`, 0 where `yₙ = ignore_index`;
/// the mean divides by `Σₙ w_{yₙ}` over the counted elements.
#[derive(Clone, Debug, PartialEq)]
pub struct NllLoss {
    /// Per-class weights, a vector of `C` (default `None`: all 1).
    pub weight: Option<Tensor<f64>>,
    /// A target with this value contributes nothing (default −100).
    pub ignore_index: Label,
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
    /// As [`CrossEntropyLoss::forward`] with class indices.
    pub fn forward<V: Value, Y: ClassIndices + ?Sized>(&self, input: &V, target: &Y) -> Result<V> {
        const OP: &str = "NLLLoss";
        check_reduction(OP, self.reduction)?;
        let lay = Layout::of(OP, input.shape().dims(), true)?;
        let w = class_weight(OP, self.weight.as_ref(), lay.c)?;
        let (idx, counted) = class_targets(
            OP,
            target.labels(),
            target.labels_shape(),
            &lay,
            Some(self.ignore_index),
        )?;
        let x = lay.scores(input)?;
        let (per, total) = weighted_nll(&lay, &x, &idx, &counted, w)?;
        reduce_weighted(OP, &lay, per, total, self.reduction)
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
    c.broadcast_to(shape)
        .map_err(|_| shape_error(op, what, w.shape().dims(), shape.dims()))
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
    /// [`Error::Shape`] for mismatched shapes or a weight that does
    /// not broadcast; [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, input: &V, target: &impl Target<V>) -> Result<V> {
        const OP: &str = "BCELoss";
        check_reduction(OP, self.reduction)?;
        let target = &target.to_value();
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
    /// [`Error::Shape`] for mismatched shapes or a weight that does
    /// not broadcast; [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, input: &V, target: &impl Target<V>) -> Result<V> {
        const OP: &str = "BCEWithLogitsLoss";
        check_reduction(OP, self.reduction)?;
        let target = &target.to_value();
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

/// Kullback–Leibler divergence, PyTorch's `nn.KLDivLoss`: for log-probabilities
/// `x` and target `y`, `ℓ = y·(ln y − x)` (0 where `y = 0`), or with
/// `log_target` (the target given as `ln y`) `ℓ = e^y·(y − x)`; then reduced.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct KlDivLoss {
    /// How to reduce (default [`Reduction::Mean`], PyTorch's default, which
    /// PyTorch warns is not the KL divergence: [`Reduction::BatchMean`] is).
    pub reduction: Reduction,
    /// The target is given as log-probabilities (default `false`).
    pub log_target: bool,
}

impl KlDivLoss {
    /// The divergence of `target` from the distribution with log-probabilities `input`.
    ///
    /// # Errors
    /// [`Error::Shape`]; [`Error::Domain`] for a negative target
    /// (when not `log_target`); [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, input: &V, target: &impl Target<V>) -> Result<V> {
        const OP: &str = "KLDivLoss";
        let target = &target.to_value();
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
            Reduction::BatchMean => {
                let batch = input.shape().dims().first().copied().unwrap_or(1);
                if batch == 0 {
                    return Err(Error::EmptyMean { op: OP });
                }
                Ok(per.sum()?.div(&V::scalar(batch as f64))?)
            }
            r => reduce(OP, per, r),
        }
    }
}

/// Multi-label one-versus-all loss, PyTorch's `nn.MultiLabelSoftMarginLoss`:
/// per sample, `ℓₙ = −(1/C) Σ_c w_c [y_c ln σ(x_c) + (1 − y_c) ln σ(−x_c)]`;
/// then reduced over the samples. Input `(C)`, `(N, C)` or, as PyTorch
/// accepts, `(N, *, C)` with the classes along the last dimension (one loss
/// per `(N, *)` element); the target has the input's shape.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MultiLabelSoftMarginLoss {
    /// Per-class weights, a vector of `C` (default `None`: all 1).
    pub weight: Option<Tensor<f64>>,
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl MultiLabelSoftMarginLoss {
    /// The loss of logits `input` against 0/1 targets `target` (same shape).
    ///
    /// # Errors
    /// [`Error::Rank`] for a scalar input; [`Error::Shape`];
    /// [`Error::InvalidReduction`]; [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, input: &V, target: &impl Target<V>) -> Result<V> {
        const OP: &str = "MultiLabelSoftMarginLoss";
        check_reduction(OP, self.reduction)?;
        let target = &target.to_value();
        same_shape(OP, "input vs target", input, target)?;
        let Some(&c) = input.shape().dims().last() else {
            return Err(Error::Rank {
                op: OP,
                arg: "input",
                expected: "at least 1 ((C), (N, C) or (N, *, C))",
                got: 0,
            });
        };
        let weight = class_weight(OP, self.weight.as_ref(), c)?;
        let pos = target.mul(&input.log_sigmoid()?)?;
        let neg = target
            .neg()?
            .add_scalar(1.0)?
            .mul(&input.neg()?.log_sigmoid()?)?;
        let mut per = pos.add(&neg)?.neg()?;
        if let Some(w) = weight {
            per = per.mul(&constant(w.to_vec(), &[c])?)?;
        }
        let rank = input.shape().rank();
        let per = per.sum_axis(rank - 1, false)?.mul_scalar(1.0 / c as f64)?;
        reduce(OP, per, self.reduction)
    }
}
