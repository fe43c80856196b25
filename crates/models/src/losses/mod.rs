//! The `torch.nn` losses, over any [`Value`] (a plain [`Tensor`], a forward-mode
//! [`crate::autodiff::Dual`] or a reverse-mode [`crate::autodiff::Var`]), so that
//! every loss is differentiable in both modes.
//!
//! Each loss is a configuration struct whose [`Default`] is PyTorch's
//! default, with a `forward` method computing the loss:
//!
//! ```
//! use models::autodiff::{Tensor, Value};
//! use models::losses::{CrossEntropyLoss, Reduction};
//! let logits = Tensor::from_vec(vec![2.0f64, 0.0, 0.0, 0.0, 2.0, 0.0], &[2, 3])?;
//! let loss = CrossEntropyLoss { label_smoothing: 0.1, ..Default::default() };
//! let l = loss.forward(&logits, &[0, 1])?;
//! assert!(l.item()? > 0.0);
//! # Ok::<(), models::Error>(())
//! ```
//!
//! Targets that are data (class indices) are `&[i64]`; every other target is
//! a value of the same kind as the input (PyTorch lets gradients flow into
//! those too). Bad shapes, out-of-range class indices and values outside a
//! loss's domain are typed [`crate::Error`]s, never NaN.
//!
//! | family | losses |
//! |---|---|
//! | regression ([`regression`]) | [`L1Loss`], [`MseLoss`], [`HuberLoss`], [`SmoothL1Loss`], [`PoissonNllLoss`], [`GaussianNllLoss`] |
//! | classification ([`classification`]) | [`CrossEntropyLoss`], [`NllLoss`], [`BceLoss`], [`BceWithLogitsLoss`], [`KlDivLoss`], [`MultiLabelSoftMarginLoss`] |
//! | margin and embedding ([`margin`]) | [`SoftMarginLoss`], [`MultiMarginLoss`], [`MultiLabelMarginLoss`], [`HingeEmbeddingLoss`], [`CosineEmbeddingLoss`], [`MarginRankingLoss`], [`TripletMarginLoss`], [`TripletMarginWithDistanceLoss`] |
//! | fused, on slices ([`softmax_cross_entropy_fwd_bwd`]) | softmax cross-entropy forward and backward in one pass |

use crate::autodiff::{Tensor, Value};
use crate::error::{Error, Result};
use crate::kernels::Element;

pub mod classification;
mod fused;
pub mod margin;
pub mod regression;

pub use classification::{
    BceLoss, BceWithLogitsLoss, CrossEntropyLoss, KlDivLoss, KlDivReduction,
    MultiLabelSoftMarginLoss, NllLoss,
};
pub use fused::softmax_cross_entropy_fwd_bwd;
pub use margin::{
    CosineEmbeddingLoss, Distance, HingeEmbeddingLoss, MarginRankingLoss, MultiLabelMarginLoss,
    MultiMarginLoss, PairwiseDistance, SoftMarginLoss, TripletMarginLoss,
    TripletMarginWithDistanceLoss,
};
pub use regression::{GaussianNllLoss, HuberLoss, L1Loss, MseLoss, PoissonNllLoss, SmoothL1Loss};

/// How a loss's per-element (or per-sample) values are combined
/// (PyTorch's `reduction=` string).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Reduction {
    /// No reduction: one loss per element (`"none"`).
    None,
    /// The mean (`"mean"`, the default).
    #[default]
    Mean,
    /// The sum (`"sum"`).
    Sum,
}

/// Applies `reduction` to per-element losses `per`; a mean over nothing is an error.
pub(crate) fn reduce<V: Value>(op: &'static str, per: V, reduction: Reduction) -> Result<V> {
    match reduction {
        Reduction::None => Ok(per),
        Reduction::Sum => Ok(per.sum()?),
        Reduction::Mean => {
            if per.numel() == 0 {
                return Err(Error::EmptyMean { op });
            }
            Ok(per.mean()?)
        }
    }
}

/// Checks that two values have the same shape.
pub(crate) fn same_shape<V: Value>(
    op: &'static str,
    what: &'static str,
    a: &V,
    b: &V,
) -> Result<()> {
    if a.shape() != b.shape() {
        return Err(Error::ShapeMismatch {
            op,
            what,
            left: a.shape().dims().to_vec(),
            right: b.shape().dims().to_vec(),
        });
    }
    Ok(())
}

/// Checks that every element of `v` satisfies `ok`, naming the first that does not.
pub(crate) fn check_domain<V: Value>(
    op: &'static str,
    arg: &'static str,
    v: &V,
    domain: &'static str,
    ok: impl Fn(f64) -> bool,
) -> Result<()> {
    let t = v.tensor();
    if let Some((index, &x)) = t
        .as_slice()
        .iter()
        .enumerate()
        .find(|&(_, &x)| !ok(x.to_f64()))
    {
        return Err(Error::Domain {
            op,
            arg,
            index,
            value: x.to_f64(),
            domain,
        });
    }
    Ok(())
}

/// A constant value of the given shape from `f64` data.
pub(crate) fn constant<V: Value>(data: Vec<f64>, shape: &[usize]) -> Result<V> {
    let t = Tensor::from_vec(data.into_iter().map(V::Elem::from_f64).collect(), shape)?;
    Ok(V::constant(t))
}

/// A 0/1 mask tensor of `shape` from a predicate on the flat index.
pub(crate) fn mask<T: Element>(shape: &[usize], f: impl Fn(usize) -> bool) -> Result<Tensor<T>> {
    let n: usize = shape.iter().product();
    Ok(Tensor::from_vec(
        (0..n)
            .map(|i| if f(i) { T::ONE } else { T::ZERO })
            .collect(),
        shape,
    )?)
}

/// Checks an optional per-class weight vector has `classes` entries.
pub(crate) fn check_weight(op: &'static str, weight: Option<&[f64]>, classes: usize) -> Result<()> {
    if let Some(w) = weight
        && w.len() != classes
    {
        return Err(Error::ShapeMismatch {
            op,
            what: "weight vs number of classes",
            left: vec![w.len()],
            right: vec![classes],
        });
    }
    Ok(())
}

/// Splits the shape of a class-scores input, `(C)` or `(N, C)`, into
/// `(N, C)` (`N = 1` for the unbatched form).
pub(crate) fn batch_and_classes(op: &'static str, shape: &[usize]) -> Result<(usize, usize)> {
    match *shape {
        [c] => Ok((1, c)),
        [n, c] => Ok((n, c)),
        _ => Err(Error::Rank {
            op,
            arg: "input",
            expected: "1 (C) or 2 (N, C)",
            got: shape.len(),
        }),
    }
}
