//! Margin and embedding losses: soft margin, multi-class and multi-label
//! hinge, hinge embedding, cosine embedding, margin ranking, triplet margin
//! (with the p-norm distance or a distance of the caller's choice).

use super::classification::{as_batch, class_targets};
use super::{
    Reduction, Target, check_domain, check_reduction, class_weight, constant, mask, reduce,
    same_shape,
};
use crate::autodiff::{Shape, Tensor, Value};
use crate::error::{Error, Result, shape_error};
use crate::kernels::Element;
use crate::labels::ClassIndices;

/// Reduces per-sample losses of a `(N, C)` input that may have been unbatched `(C)`.
fn reduce_samples<V: Value>(
    op: &'static str,
    per: V,
    reduction: Reduction,
    unbatched: bool,
) -> Result<V> {
    match reduction {
        Reduction::None if unbatched => Ok(per.reshape(Shape::SCALAR)?),
        r => reduce(op, per, r),
    }
}

/// The mask `target == 1` after checking every target is 1 or −1.
fn sign_labels<V: Value>(op: &'static str, target: &V) -> Result<Tensor<V::Elem>> {
    check_domain(op, "target", target, "{1, −1}", |y| y == 1.0 || y == -1.0)?;
    let yt = target.tensor();
    mask(target.shape().dims(), |i| yt.as_slice()[i] == V::Elem::ONE)
}

/// Two-class logistic loss, PyTorch's `nn.SoftMarginLoss`:
/// `ℓ = ln(1 + e^{−y·x})` (computed as `softplus(−y·x)`, finite for any
/// logit), then reduced (mean over all elements). Targets are usually ±1.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SoftMarginLoss {
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl SoftMarginLoss {
    /// The loss of `input` against `target` (same shape).
    ///
    /// # Errors
    /// [`Error::Shape`]; [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, input: &V, target: &impl Target<V>) -> Result<V> {
        const OP: &str = "SoftMarginLoss";
        check_reduction(OP, self.reduction)?;
        let target = &target.to_value();
        same_shape(OP, "input vs target", input, target)?;
        let per = target.mul(input)?.neg()?.softplus()?;
        reduce(OP, per, self.reduction)
    }
}

/// Multi-class hinge loss, PyTorch's `nn.MultiMarginLoss`: for scores `x`
/// (`(N, C)` or `(C)`) and class index `y`,
/// `ℓ = (1/C) Σ_{i ≠ y} w_y · max(0, margin − x_y + x_i)^p`
/// (PyTorch applies the class weight after the power); then reduced.
#[derive(Clone, Debug, PartialEq)]
pub struct MultiMarginLoss {
    /// The exponent, 1 or 2 (default 1).
    pub p: u32,
    /// The margin (default 1).
    pub margin: f64,
    /// Per-class weights, a vector of `C` (default `None`: all 1).
    pub weight: Option<Tensor<f64>>,
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl Default for MultiMarginLoss {
    fn default() -> Self {
        MultiMarginLoss {
            p: 1,
            margin: 1.0,
            weight: None,
            reduction: Reduction::Mean,
        }
    }
}

impl MultiMarginLoss {
    /// The loss of scores `input` against class indices `target`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `p` other than 1 or 2; [`Error::Rank`];
    /// [`Error::Shape`]; [`Error::TargetOutOfRange`]; [`Error::EmptyMean`].
    pub fn forward<V: Value, Y: ClassIndices + ?Sized>(&self, input: &V, target: &Y) -> Result<V> {
        const OP: &str = "MultiMarginLoss";
        check_reduction(OP, self.reduction)?;
        if self.p != 1 && self.p != 2 {
            return Err(Error::InvalidArgument {
                op: OP,
                arg: "p",
                value: f64::from(self.p),
                requirement: "only p == 1 and p == 2 are supported",
            });
        }
        let (x, lay) = as_batch(OP, input)?;
        let (n, c, unbatched) = (lay.n, lay.c, lay.unbatched);
        let weight = class_weight(OP, self.weight.as_ref(), c)?;
        let (idx, _) = class_targets(OP, target.labels(), target.labels_shape(), &lay, None)?;
        let x_y = x.gather(&idx)?.reshape([n, 1])?;
        // z[n, i] = margin − x[n, yₙ] + x[n, i], broadcast over i.
        let z = x.sub(&x_y)?.add_scalar(self.margin)?;
        let mut h = z.relu()?;
        if self.p == 2 {
            h = h.square()?;
        }
        let off_target: Tensor<V::Elem> = mask(&[n, c], |k| k % c != idx[k / c])?;
        let w_y: Vec<f64> = idx
            .iter()
            .map(|&t| weight.map_or(1.0, |w| w[t]) / c as f64)
            .collect();
        let per = h
            .mul(&V::constant(off_target))?
            .mul(&constant(w_y, &[n, 1])?)?
            .sum_axis(1, false)?;
        reduce_samples(OP, per, self.reduction, unbatched)
    }
}

/// Multi-label hinge loss, PyTorch's `nn.MultiLabelMarginLoss`: for scores
/// `x` (`(N, C)` or `(C)`) and a target row of class indices read up to its
/// first −1 (the set `J`), `ℓ = (1/C) Σ_{j ∈ J} Σ_{i ∉ J} max(0, 1 − (x_j − x_i))`;
/// then reduced. As in PyTorch, a class listed twice counts twice.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MultiLabelMarginLoss {
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl MultiLabelMarginLoss {
    /// The loss of scores `input` against the index rows `target` (as many
    /// entries as `input`, each in `[−1, C)`).
    ///
    /// # Errors
    /// [`Error::Rank`]; [`Error::Shape`]; [`Error::TargetOutOfRange`]
    /// for an entry outside `[−1, C)`; [`Error::EmptyMean`].
    pub fn forward<V: Value, Y: ClassIndices + ?Sized>(&self, input: &V, target: &Y) -> Result<V> {
        const OP: &str = "MultiLabelMarginLoss";
        check_reduction(OP, self.reduction)?;
        let (x, lay) = as_batch(OP, input)?;
        let (n, c, unbatched) = (lay.n, lay.c, lay.unbatched);
        if target.labels_shape() != input.shape() {
            return Err(shape_error(
                OP,
                "input vs target",
                input.shape().dims(),
                target.labels_shape().dims(),
            ));
        }
        let target = target.labels();
        if let Some((index, &t)) = target
            .iter()
            .enumerate()
            .find(|&(_, &t)| t < -1 || t >= c as i64)
        {
            return Err(Error::TargetOutOfRange {
                op: OP,
                index,
                target: t,
                classes: c,
            });
        }
        // is_target[n][k]: class k is among row n's targets (before the first −1);
        // times[n][k]: how often it is listed there (PyTorch's loop runs over the
        // list, so a repeated target counts once per repetition).
        let mut is_target = vec![false; n * c];
        let mut times = vec![0.0f64; n * c];
        for r in 0..n {
            for &t in target[r * c..(r + 1) * c].iter().take_while(|&&t| t >= 0) {
                is_target[r * c + t as usize] = true;
                times[r * c + t as usize] += 1.0;
            }
        }
        // d[n, j, i] = 1 − x[n, j] + x[n, i], weighted by times[n][j] where i ∉ J.
        let x_j = x.reshape([n, c, 1])?;
        let x_i = x.reshape([n, 1, c])?;
        let d = x_i.sub(&x_j)?.add_scalar(1.0)?.relu()?;
        let pairs: Vec<f64> = (0..n * c * c)
            .map(|k| {
                let (r, j, i) = (k / (c * c), (k / c) % c, k % c);
                if is_target[r * c + i] {
                    0.0
                } else {
                    times[r * c + j]
                }
            })
            .collect();
        let per = d
            .mul(&constant(pairs, &[n, c, c])?)?
            .sum_axis(2, false)?
            .sum_axis(1, false)?
            .mul_scalar(1.0 / c as f64)?;
        reduce_samples(OP, per, self.reduction, unbatched)
    }
}

/// Hinge embedding loss, PyTorch's `nn.HingeEmbeddingLoss`: for distances
/// `x` and labels `y ∈ {1, −1}`, `ℓ = x` if `y = 1`, `max(0, margin − x)` if
/// `y = −1`; then reduced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HingeEmbeddingLoss {
    /// The margin (default 1).
    pub margin: f64,
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl Default for HingeEmbeddingLoss {
    fn default() -> Self {
        HingeEmbeddingLoss {
            margin: 1.0,
            reduction: Reduction::Mean,
        }
    }
}

impl HingeEmbeddingLoss {
    /// The loss of `input` against labels `target` (same shape, each 1 or −1).
    ///
    /// # Errors
    /// [`Error::Shape`]; [`Error::Domain`] for a label other than ±1; [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, input: &V, target: &impl Target<V>) -> Result<V> {
        const OP: &str = "HingeEmbeddingLoss";
        check_reduction(OP, self.reduction)?;
        let target = &target.to_value();
        same_shape(OP, "input vs target", input, target)?;
        let similar = sign_labels(OP, target)?;
        let hinge = input.neg()?.add_scalar(self.margin)?.relu()?;
        let per = V::select(&similar, input, &hinge)?;
        reduce(OP, per, self.reduction)
    }
}

/// Cosine embedding loss, PyTorch's `nn.CosineEmbeddingLoss`: for rows `x₁`,
/// `x₂` (`(N, D)` or `(D)`) and labels `y ∈ {1, −1}`,
/// `ℓ = 1 − cos(x₁, x₂)` if `y = 1`, `max(0, cos(x₁, x₂) − margin)` if `y = −1`,
/// with `cos = x₁·x₂ / √((‖x₁‖² + 10⁻¹²)(‖x₂‖² + 10⁻¹²))` as PyTorch computes it;
/// then reduced.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CosineEmbeddingLoss {
    /// The margin (default 0).
    pub margin: f64,
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl CosineEmbeddingLoss {
    /// The loss of the pairs `(input1, input2)` against labels `target`
    /// (`N` of them, or a scalar for unbatched rows).
    ///
    /// # Errors
    /// [`Error::Rank`]; [`Error::Shape`]; [`Error::Domain`] for a
    /// label other than ±1; [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, input1: &V, input2: &V, target: &impl Target<V>) -> Result<V> {
        const OP: &str = "CosineEmbeddingLoss";
        check_reduction(OP, self.reduction)?;
        let target = &target.to_value();
        same_shape(OP, "input1 vs input2", input1, input2)?;
        let s = input1.shape();
        if !(1..=2).contains(&s.rank()) {
            return Err(Error::Rank {
                op: OP,
                arg: "input1",
                expected: "1 (D) or 2 (N, D)",
                got: s.rank(),
            });
        }
        let batch = &s.dims()[..s.rank() - 1];
        if target.shape().dims() != batch {
            return Err(shape_error(
                OP,
                "batch of inputs vs target",
                batch,
                target.shape().dims(),
            ));
        }
        let similar = sign_labels(OP, target)?;
        let axis = s.rank() - 1;
        let dot = input1.mul(input2)?.sum_axis(axis, false)?;
        let sq1 = input1.square()?.sum_axis(axis, false)?.add_scalar(1e-12)?;
        let sq2 = input2.square()?.sum_axis(axis, false)?.add_scalar(1e-12)?;
        let cos = dot.div(&sq1.mul(&sq2)?.sqrt()?)?;
        let pos = cos.neg()?.add_scalar(1.0)?;
        let neg = cos.add_scalar(-self.margin)?.relu()?;
        let per = V::select(&similar, &pos, &neg)?;
        reduce(OP, per, self.reduction)
    }
}

/// Margin ranking loss, PyTorch's `nn.MarginRankingLoss`: for scores `x₁`,
/// `x₂` and `y ∈ {1, −1}` (which should rank higher),
/// `ℓ = max(0, −y·(x₁ − x₂) + margin)`; then reduced.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MarginRankingLoss {
    /// The margin (default 0).
    pub margin: f64,
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl MarginRankingLoss {
    /// The loss of `input1`, `input2` against `target` (all of one shape).
    ///
    /// # Errors
    /// [`Error::Shape`]; [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, input1: &V, input2: &V, target: &impl Target<V>) -> Result<V> {
        const OP: &str = "MarginRankingLoss";
        check_reduction(OP, self.reduction)?;
        let target = &target.to_value();
        same_shape(OP, "input1 vs input2", input1, input2)?;
        same_shape(OP, "input1 vs target", input1, target)?;
        let per = target
            .mul(&input1.sub(input2)?)?
            .neg()?
            .add_scalar(self.margin)?
            .relu()?;
        reduce(OP, per, self.reduction)
    }
}

/// A distance between the rows of two values, for the triplet losses:
/// `(N, D), (N, D) → (N)` (or `(D), (D) →` a scalar).
///
/// Implemented by [`PairwiseDistance`] and by every closure
/// `Fn(&V, &V) -> Result<V>`.
pub trait Distance<V: Value> {
    /// The distance between corresponding rows of `a` and `b`.
    ///
    /// # Errors
    /// Whatever the distance reports (shape errors, typically).
    fn distance(&self, a: &V, b: &V) -> Result<V>;
}

impl<V: Value, F: Fn(&V, &V) -> Result<V>> Distance<V> for F {
    fn distance(&self, a: &V, b: &V) -> Result<V> {
        self(a, b)
    }
}

/// The p-norm distance between rows, PyTorch's `nn.PairwiseDistance` /
/// `F.pairwise_distance`: `‖x₁ − x₂ + eps‖_p = (Σ_d |x₁ − x₂ + eps|^p)^{1/p}`
/// along the last dimension (PyTorch adds `eps` to the difference, which
/// keeps the norm's derivative finite for equal rows).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairwiseDistance {
    /// The norm's order, > 0 (default 2).
    pub p: f64,
    /// Added to the difference (default 1e−6).
    pub eps: f64,
}

impl Default for PairwiseDistance {
    fn default() -> Self {
        PairwiseDistance { p: 2.0, eps: 1e-6 }
    }
}

impl<V: Value> Distance<V> for PairwiseDistance {
    /// # Errors
    /// [`Error::InvalidArgument`] unless `p > 0`; [`Error::Shape`];
    /// [`Error::Rank`] for a rank-0 input.
    fn distance(&self, a: &V, b: &V) -> Result<V> {
        const OP: &str = "pairwise_distance";
        if !(self.p > 0.0 && self.p.is_finite()) {
            return Err(Error::InvalidArgument {
                op: OP,
                arg: "p",
                value: self.p,
                requirement: "must be finite and > 0",
            });
        }
        same_shape(OP, "x1 vs x2", a, b)?;
        let rank = a.shape().rank();
        if rank == 0 {
            return Err(Error::Rank {
                op: OP,
                arg: "x1",
                expected: "at least 1",
                got: 0,
            });
        }
        let d = a.sub(b)?.add_scalar(self.eps)?;
        let axis = rank - 1;
        Ok(if self.p == 2.0 {
            d.square()?.sum_axis(axis, false)?.sqrt()?
        } else if self.p == 1.0 {
            d.abs()?.sum_axis(axis, false)?
        } else {
            d.abs()?
                .powf(self.p)?
                .sum_axis(axis, false)?
                .powf(1.0 / self.p)?
        })
    }
}

/// `max(d(a, p) − d(a, n) + margin, 0)` with the optional swap
/// `d(a, n) ← min(d(a, n), d(p, n))`, reduced.
#[allow(clippy::too_many_arguments)]
fn triplet<V: Value, D: Distance<V>>(
    op: &'static str,
    distance: &D,
    anchor: &V,
    positive: &V,
    negative: &V,
    margin: f64,
    swap: bool,
    reduction: Reduction,
) -> Result<V> {
    check_reduction(op, reduction)?;
    same_shape(op, "anchor vs positive", anchor, positive)?;
    same_shape(op, "anchor vs negative", anchor, negative)?;
    let d_ap = distance.distance(anchor, positive)?;
    let mut d_an = distance.distance(anchor, negative)?;
    if swap {
        d_an = d_an.minimum(&distance.distance(positive, negative)?)?;
    }
    same_shape(op, "distances d(a, p) vs d(a, n)", &d_ap, &d_an)?;
    let per = d_ap.sub(&d_an)?.add_scalar(margin)?.relu()?;
    reduce(op, per, reduction)
}

/// Triplet margin loss, PyTorch's `nn.TripletMarginLoss`: for anchors `a`,
/// positives `p` and negatives `n` (`(D)`, `(N, D)` or, as PyTorch
/// accepts, `(N, *, D)`: one loss per `(N, *)` element),
/// `ℓ = max(d(a, p) − d(a, n) + margin, 0)` with the [`PairwiseDistance`]
/// `d(x, y) = ‖x − y + eps‖_p`; with `swap`, `d(a, n)` is replaced by
/// `min(d(a, n), d(p, n))`; then reduced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TripletMarginLoss {
    /// The margin (default 1).
    pub margin: f64,
    /// The norm's order (default 2).
    pub p: f64,
    /// Added to differences inside the norm (default 1e−6).
    pub eps: f64,
    /// Use the distance swap (default `false`).
    pub swap: bool,
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl Default for TripletMarginLoss {
    fn default() -> Self {
        TripletMarginLoss {
            margin: 1.0,
            p: 2.0,
            eps: 1e-6,
            swap: false,
            reduction: Reduction::Mean,
        }
    }
}

impl TripletMarginLoss {
    /// The loss of the triplets `(anchor, positive, negative)` (one shape).
    ///
    /// # Errors
    /// [`Error::Shape`]; [`Error::InvalidArgument`] unless `p > 0`;
    /// [`Error::Rank`]; [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, anchor: &V, positive: &V, negative: &V) -> Result<V> {
        let d = PairwiseDistance {
            p: self.p,
            eps: self.eps,
        };
        triplet(
            "TripletMarginLoss",
            &d,
            anchor,
            positive,
            negative,
            self.margin,
            self.swap,
            self.reduction,
        )
    }
}

/// Triplet margin loss with a distance of the caller's choice, PyTorch's
/// `nn.TripletMarginWithDistanceLoss`: `ℓ = max(d(a, p) − d(a, n) + margin, 0)`
/// (with the optional swap), then reduced. The default distance is
/// [`PairwiseDistance::default()`] (the Euclidean one); any closure
/// `Fn(&V, &V) -> Result<V>` mapping two `(N, D)` values to `(N)` distances works:
///
/// ```
/// use models::autodiff::{Tensor, Value};
/// use models::losses::{Reduction, TripletMarginWithDistanceLoss};
/// let a = Tensor::from_vec(vec![0.0f64, 0.0], &[1, 2])?;
/// let p = Tensor::from_vec(vec![1.0, 0.0], &[1, 2])?;
/// let n = Tensor::from_vec(vec![3.0, 0.0], &[1, 2])?;
/// // 1 − cosine similarity would be one choice; here the squared distance.
/// let sq = |x: &Tensor<f64>, y: &Tensor<f64>| -> models::Result<Tensor<f64>> {
///     Ok(x.sub(y)?.square()?.sum_axis(1, false)?)
/// };
/// let loss = TripletMarginWithDistanceLoss {
///     distance_function: sq,
///     margin: 1.0,
///     swap: false,
///     reduction: Reduction::Mean,
/// };
/// assert_eq!(loss.forward(&a, &p, &n)?.item()?, 0.0); // max(1 − 9 + 1, 0)
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TripletMarginWithDistanceLoss<D = PairwiseDistance> {
    /// The distance (default [`PairwiseDistance`] with `p = 2`, `eps = 1e−6`).
    pub distance_function: D,
    /// The margin, > 0 (default 1).
    pub margin: f64,
    /// Use the distance swap (default `false`).
    pub swap: bool,
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl Default for TripletMarginWithDistanceLoss<PairwiseDistance> {
    fn default() -> Self {
        TripletMarginWithDistanceLoss {
            distance_function: PairwiseDistance::default(),
            margin: 1.0,
            swap: false,
            reduction: Reduction::Mean,
        }
    }
}

impl<D> TripletMarginWithDistanceLoss<D> {
    /// The loss of the triplets `(anchor, positive, negative)` (one shape).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `margin > 0` (as PyTorch);
    /// [`Error::Shape`] for inputs of different shapes or distances
    /// of different shapes; the distance's own errors; [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, anchor: &V, positive: &V, negative: &V) -> Result<V>
    where
        D: Distance<V>,
    {
        const OP: &str = "TripletMarginWithDistanceLoss";
        if self.margin.is_nan() || self.margin <= 0.0 {
            return Err(Error::InvalidArgument {
                op: OP,
                arg: "margin",
                value: self.margin,
                requirement: "must be > 0",
            });
        }
        triplet(
            OP,
            &self.distance_function,
            anchor,
            positive,
            negative,
            self.margin,
            self.swap,
            self.reduction,
        )
    }
}
