//! The `torch.nn` losses, over any [`Value`] (a plain [`Tensor`], a forward-mode
//! [`crate::autodiff::Dual`] or a reverse-mode [`crate::autodiff::Var`]), so that
//! every loss is differentiable in both modes.
//!
//! Each loss is a configuration struct with public fields whose [`Default`]
//! is PyTorch's default, consuming setters named after the fields
//! (`CrossEntropyLoss::default().label_smoothing(0.1).weight(w)`), and a
//! `forward` method computing the loss:
//!
//! ```
//! use models::Labels;
//! use models::autodiff::{Tensor, Value};
//! use models::losses::{CrossEntropyLoss, Reduction};
//! let logits = Tensor::from_vec(vec![2.0f64, 0.0, 0.0, 0.0, 2.0, 0.0], &[2, 3])?;
//! let loss = CrossEntropyLoss { label_smoothing: 0.1, ..Default::default() };
//! let l = loss.forward(&logits, &[0, 1])?;                  // class indices (N)
//! assert!(l.item()? > 0.0);
//! // Scores per class and position, (N, C, d1) = (1, 3, 2), with labels (N, d1).
//! let seq = Tensor::from_vec(vec![2.0f64, 0.0, 0.0, 0.0, 0.0, 2.0], &[1, 3, 2])?;
//! let y = Labels::new(vec![0, 2], [1, 2])?;
//! assert!((loss.forward(&seq, &y)?.item()? - l.item()?).abs() < 1e-15);
//! # Ok::<(), models::Error>(())
//! ```
//!
//! # Targets
//!
//! - **Class indices** are [`Label`]s (`i64`, so `ignore_index = −100` is a
//!   label like any other) with a shape: [`Labels`](crate::Labels) (any
//!   shape), or `[Label]`, `[Label; N]`, `Vec<Label>` (one dimension), all
//!   read through [`ClassIndices`].
//! - **Every other target** is a [`Target`]: a value of the input's own kind
//!   (PyTorch lets gradients flow into targets too) or a plain [`Tensor`] of
//!   its element type, which enters as a constant, so
//!   `MseLoss::default().forward(&var, &tensor)` works for a `Var` or `Dual` input.
//! - [`CrossEntropyLoss`] takes either, decided by the target's type as
//!   PyTorch decides by its dtype (see [`CrossEntropyTarget`]): labels are
//!   class indices, a float value or tensor holds class probabilities.
//!
//! Class weights are `Option<Tensor<f64>>` (a vector of `C`) for every loss
//! that has them; [`BceLoss`] and [`BceWithLogitsLoss`] broadcast theirs
//! (and `pos_weight`) to the input. [`Reduction`] is PyTorch's `reduction`
//! string; [`Reduction::BatchMean`] is [`KlDivLoss`]'s only, every other loss
//! refuses it. Bad shapes, out-of-range class indices and values outside a
//! loss's domain are typed [`crate::Error`]s, never NaN.
//!
//! # The losses
//!
//! `(*)` is any shape; `C` the number of classes; `d1, …, dk` extra
//! (spatial) dimensions; an output of `Reduction::None` has the target's
//! shape unless stated.
//!
//! | loss | input | target |
//! |---|---|---|
//! | [`L1Loss`], [`MseLoss`], [`HuberLoss`], [`SmoothL1Loss`], [`PoissonNllLoss`] | `(*)` | `(*)`, same shape |
//! | [`GaussianNllLoss`] | `(N, *)` | `(N, *)`; `var` of the input's shape, or with its last dimension 1, or without it |
//! | [`CrossEntropyLoss`] | `(C)`, `(N, C)`, `(N, C, d1, …, dk)` logits | indices `()`, `(N)`, `(N, d1, …, dk)`; or probabilities of the input's shape (output without `C`) |
//! | [`NllLoss`] | `(C)`, `(N, C)`, `(N, C, d1, …, dk)` log-probabilities | indices `()`, `(N)`, `(N, d1, …, dk)` |
//! | [`BceLoss`], [`BceWithLogitsLoss`], [`KlDivLoss`], [`SoftMarginLoss`], [`HingeEmbeddingLoss`] | `(*)` | `(*)`, same shape |
//! | [`MultiLabelSoftMarginLoss`] | `(C)`, `(N, C)`, `(N, *, C)` | 0/1 of the input's shape (output without `C`) |
//! | [`MultiMarginLoss`] | `(C)`, `(N, C)` | indices `()`/`(1)`, `(N)` |
//! | [`MultiLabelMarginLoss`] | `(C)`, `(N, C)` | index rows of the input's shape, ended by −1 (output `(N)`) |
//! | [`CosineEmbeddingLoss`] | two `(D)` or `(N, D)` | ±1, `()` or `(N)` |
//! | [`MarginRankingLoss`] | two `(*)` | ±1, `(*)` |
//! | [`TripletMarginLoss`], [`TripletMarginWithDistanceLoss`] | three `(D)`, `(N, D)` or `(N, *, D)` | none (output without `D`) |
//! | [`softmax_cross_entropy_fwd_bwd`] | a row-major `(N, C)` slice | class indices; forward and backward fused in one pass |
//!
//! By family: regression ([`regression`]), classification
//! ([`classification`]), margin and embedding ([`margin`]).

use crate::Label;
use crate::autodiff::{Dual, Shape, Tensor, Value, Var};
use crate::error::{Error, Result, shape_error};
use crate::kernels::Element;
use crate::labels::ClassIndices;

pub mod classification;
mod fused;
pub mod margin;
pub mod regression;

pub use classification::{
    BceLoss, BceWithLogitsLoss, CrossEntropyLoss, KlDivLoss, MultiLabelSoftMarginLoss, NllLoss,
};
pub use fused::softmax_cross_entropy_fwd_bwd;
pub use margin::{
    CosineEmbeddingLoss, Distance, HingeEmbeddingLoss, MarginRankingLoss, MultiLabelMarginLoss,
    MultiMarginLoss, PairwiseDistance, SoftMarginLoss, TripletMarginLoss,
    TripletMarginWithDistanceLoss,
};
pub use regression::{GaussianNllLoss, HuberLoss, L1Loss, MseLoss, PoissonNllLoss, SmoothL1Loss};

/// Consuming setters named after the fields, the workspace's builder style:
/// a field `f: T` gets `f(self, T)`; an `Option<T>` field listed under
/// `optional` gets `f(self, impl Into<Option<T>>)`, taking a `T` or `None`.
macro_rules! setters {
    ($ty:ident { $($field:ident : $t:ty),* $(,)? } $(optional { $($ofield:ident : $ot:ty),* $(,)? })?) => {
        impl $ty {
            $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                #[must_use]
                pub fn $field(mut self, $field: $t) -> Self {
                    self.$field = $field;
                    self
                }
            )*
            $($(
                #[doc = concat!("Sets `", stringify!($ofield), "` (a value, or `None` for none).")]
                #[must_use]
                pub fn $ofield(mut self, $ofield: impl Into<Option<$ot>>) -> Self {
                    self.$ofield = $ofield.into();
                    self
                }
            )*)?
        }
    };
}

setters!(L1Loss {
    reduction: Reduction
});
setters!(MseLoss {
    reduction: Reduction
});
setters!(HuberLoss {
    reduction: Reduction,
    delta: f64
});
setters!(SmoothL1Loss {
    reduction: Reduction,
    beta: f64
});
setters!(PoissonNllLoss {
    log_input: bool,
    full: bool,
    eps: f64,
    reduction: Reduction
});
setters!(GaussianNllLoss {
    full: bool,
    eps: f64,
    reduction: Reduction
});
setters!(CrossEntropyLoss {
    ignore_index: Label,
    reduction: Reduction,
    label_smoothing: f64,
} optional { weight: Tensor<f64> });
setters!(NllLoss { ignore_index: Label, reduction: Reduction } optional { weight: Tensor<f64> });
setters!(BceLoss { reduction: Reduction } optional { weight: Tensor<f64> });
setters!(BceWithLogitsLoss { reduction: Reduction } optional {
    weight: Tensor<f64>,
    pos_weight: Tensor<f64>,
});
setters!(KlDivLoss {
    reduction: Reduction,
    log_target: bool
});
setters!(MultiLabelSoftMarginLoss { reduction: Reduction } optional { weight: Tensor<f64> });
setters!(SoftMarginLoss {
    reduction: Reduction
});
setters!(MultiMarginLoss { p: u32, margin: f64, reduction: Reduction } optional {
    weight: Tensor<f64>,
});
setters!(MultiLabelMarginLoss {
    reduction: Reduction
});
setters!(HingeEmbeddingLoss {
    margin: f64,
    reduction: Reduction
});
setters!(CosineEmbeddingLoss {
    margin: f64,
    reduction: Reduction
});
setters!(MarginRankingLoss {
    margin: f64,
    reduction: Reduction
});
setters!(PairwiseDistance { p: f64, eps: f64 });
setters!(TripletMarginLoss {
    margin: f64,
    p: f64,
    eps: f64,
    swap: bool,
    reduction: Reduction
});

impl<D> TripletMarginWithDistanceLoss<D> {
    /// Sets `distance_function` (any [`Distance`], such as a closure).
    #[must_use]
    pub fn distance_function<E>(self, distance_function: E) -> TripletMarginWithDistanceLoss<E> {
        TripletMarginWithDistanceLoss {
            distance_function,
            margin: self.margin,
            swap: self.swap,
            reduction: self.reduction,
        }
    }
    /// Sets `margin`.
    #[must_use]
    pub fn margin(mut self, margin: f64) -> Self {
        self.margin = margin;
        self
    }
    /// Sets `swap`.
    #[must_use]
    pub fn swap(mut self, swap: bool) -> Self {
        self.swap = swap;
        self
    }
    /// Sets `reduction`.
    #[must_use]
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }
}

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
    /// The sum divided by the batch size `input.shape[0]` (`"batchmean"`),
    /// [`KlDivLoss`]'s only: there it is the mathematical KL divergence
    /// averaged over the batch. Every other loss refuses it with
    /// [`Error::InvalidReduction`], as PyTorch raises `ValueError`.
    BatchMean,
}

impl Reduction {
    /// PyTorch's name of the reduction (`"none"`, `"mean"`, `"sum"`, `"batchmean"`).
    pub fn name(self) -> &'static str {
        match self {
            Reduction::None => "none",
            Reduction::Mean => "mean",
            Reduction::Sum => "sum",
            Reduction::BatchMean => "batchmean",
        }
    }
}

/// The target of a loss whose input is a `V`: a value of the input's own
/// kind (PyTorch lets gradients flow into targets too), or a plain
/// [`Tensor`] of its element type, which enters as a constant
/// ([`Value::constant`]).
///
/// ```
/// use models::autodiff::{Tensor, Value, Var};
/// use models::losses::MseLoss;
/// let x = Var::leaf(Tensor::from_vec(vec![1.0f64, 2.0], &[2])?);
/// let y = Tensor::from_vec(vec![0.0f64, 0.0], &[2])?; // data, not a Var
/// let l = MseLoss::default().forward(&x, &y)?;
/// l.backward()?;
/// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 2.0]); // 2(x − y)/2
/// # Ok::<(), models::Error>(())
/// ```
pub trait Target<V: Value> {
    /// The target as a value of the input's kind.
    fn to_value(&self) -> V;
}

impl<V: Value> Target<V> for V {
    fn to_value(&self) -> V {
        self.clone()
    }
}

impl<V: Value> Target<Var<V>> for Tensor<V::Elem> {
    fn to_value(&self) -> Var<V> {
        Var::constant(self.clone())
    }
}

impl<V: Value> Target<Dual<V>> for Tensor<V::Elem> {
    fn to_value(&self) -> Dual<V> {
        Dual::constant(self.clone())
    }
}

/// What a [`CrossEntropyLoss`] target holds, told apart by its type as
/// PyTorch tells them apart by dtype.
#[derive(Clone, Debug, PartialEq)]
pub enum ClassTarget<'a, V> {
    /// Class indices, with their shape (`(N)`, `(N, d1, …, dk)`, or `()` /
    /// `(1)` for an unbatched input).
    Indices {
        /// The labels, row-major.
        labels: &'a [Label],
        /// Their shape.
        shape: Shape,
    },
    /// Class probabilities, of the input's shape.
    Probabilities(V),
}

/// A target of [`CrossEntropyLoss::forward`]: class indices (anything
/// [`ClassIndices`]: [`Labels`](crate::Labels), `[Label]`, `[Label; N]`, `Vec<Label>`) or
/// class probabilities (a value of the input's kind, or a plain [`Tensor`]
/// of its element type).
///
/// The second parameter, [`IndexTarget`] or [`ProbabilityTarget`], is a
/// marker the compiler infers from the target's type; it only keeps the
/// two families of implementations apart (so that a generic `V: Value`
/// is a probability target of itself while label containers are indices).
///
/// ```
/// use models::Labels;
/// use models::autodiff::{Tensor, Value};
/// use models::losses::CrossEntropyLoss;
/// let x = Tensor::from_vec(vec![2.0f64, 0.0, 0.0, 0.0, 2.0, 0.0], &[2, 3])?;
/// let ce = CrossEntropyLoss::default();
/// let by_index = ce.forward(&x, &[0, 1])?;                 // class indices (N)
/// let same = ce.forward(&x, &Labels::new(vec![0, 1], [2])?)?;
/// let one_hot = Tensor::from_vec(vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0], &[2, 3])?;
/// let by_probs = ce.forward(&x, &one_hot)?;                // probabilities (N, C)
/// assert_eq!(by_index.item()?, same.item()?);
/// assert!((by_index.item()? - by_probs.item()?).abs() < 1e-15);
/// # Ok::<(), models::Error>(())
/// ```
pub trait CrossEntropyTarget<V: Value, Kind> {
    /// The target, as indices or probabilities.
    fn class_target(&self) -> ClassTarget<'_, V>;
}

/// The marker of [`CrossEntropyTarget`] for class-index targets.
#[derive(Clone, Copy, Debug)]
pub enum IndexTarget {}

/// The marker of [`CrossEntropyTarget`] for class-probability targets.
#[derive(Clone, Copy, Debug)]
pub enum ProbabilityTarget {}

impl<V: Value, L: ClassIndices + ?Sized> CrossEntropyTarget<V, IndexTarget> for L {
    fn class_target(&self) -> ClassTarget<'_, V> {
        ClassTarget::Indices {
            labels: self.labels(),
            shape: self.labels_shape(),
        }
    }
}

impl<V: Value> CrossEntropyTarget<V, ProbabilityTarget> for V {
    fn class_target(&self) -> ClassTarget<'_, V> {
        ClassTarget::Probabilities(self.clone())
    }
}

impl<V: Value> CrossEntropyTarget<Var<V>, ProbabilityTarget> for Tensor<V::Elem> {
    fn class_target(&self) -> ClassTarget<'_, Var<V>> {
        ClassTarget::Probabilities(Var::constant(self.clone()))
    }
}

impl<V: Value> CrossEntropyTarget<Dual<V>, ProbabilityTarget> for Tensor<V::Elem> {
    fn class_target(&self) -> ClassTarget<'_, Dual<V>> {
        ClassTarget::Probabilities(Dual::constant(self.clone()))
    }
}

/// The error of a reduction a loss does not define (`batchmean` outside [`KlDivLoss`]).
pub(crate) fn invalid_reduction(op: &'static str, reduction: Reduction) -> Error {
    Error::InvalidReduction {
        op,
        reduction: reduction.name(),
    }
}

/// Refuses [`Reduction::BatchMean`] for a loss other than [`KlDivLoss`].
pub(crate) fn check_reduction(op: &'static str, reduction: Reduction) -> Result<()> {
    match reduction {
        Reduction::BatchMean => Err(invalid_reduction(op, reduction)),
        _ => Ok(()),
    }
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
        Reduction::BatchMean => Err(invalid_reduction(op, reduction)),
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
        return Err(shape_error(op, what, a.shape().dims(), b.shape().dims()));
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

/// Checks an optional per-class weight is a vector of `classes` entries,
/// and returns its entries.
pub(crate) fn class_weight<'a>(
    op: &'static str,
    weight: Option<&'a Tensor<f64>>,
    classes: usize,
) -> Result<Option<&'a [f64]>> {
    match weight {
        Some(w) if w.shape().dims() != [classes] => Err(shape_error(
            op,
            "weight vs number of classes",
            w.shape().dims(),
            &[classes],
        )),
        Some(w) => Ok(Some(w.as_slice())),
        None => Ok(None),
    }
}
