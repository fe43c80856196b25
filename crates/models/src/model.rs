//! What a trainer needs of a model: its named parameters ([`Module`]), and
//! the loss and gradients of a batch written into buffers the caller owns
//! ([`Model`]).
//!
//! A batch is described without copying anything: the whole dataset's
//! inputs and targets ([`Data`]), the row indices of the part of the batch
//! to compute (a *shard*) and the size of the whole batch ([`Batch`]).
//! [`Model::loss_and_grad`] returns the shard's summed loss and writes the
//! gradient of that sum divided by the whole batch's size, so that the
//! shards' gradients, added in order, are the gradient of the batch mean.
//!
//! Two ways to implement [`Model`]:
//!
//! - by hand, with a fused gradient: [`crate::LinearRegression`] and
//!   [`crate::SoftmaxRegression`] (their forward and backward passes
//!   written out on slices, with no allocation once the workspace has
//!   grown to a batch);
//! - for free, by reverse mode: write the forward pass once against
//!   [`Value`] ([`Net`]), name the per-sample loss ([`Criterion`]), and wrap
//!   the network in [`Reverse`], which builds [`Var`] leaves sharing the
//!   parameters' storage and calls `backward`.
//!
//! ```
//! use models::autodiff::Tensor;
//! use models::{Batch, Data, Inputs, Model, Reverse, SoftmaxRegression, Targets};
//! use rand::{SeedableRng, rngs::StdRng};
//!
//! let model = SoftmaxRegression::<f64>::new(2, 3, &mut StdRng::seed_from_u64(0))?;
//! let x = [0.5, -1.0, 2.0, 0.25, -0.5, 1.5]; // 3 samples of 2 features
//! let data = Data::new(Inputs::Real(&x), 2, Targets::Classes { labels: &[2, 0, 1], classes: 3 })?;
//! let batch = Batch::new(data, &[0, 1, 2], 3)?;
//! let (mut fused, mut reverse) = (vec![vec![0.0; 6], vec![0.0; 3]], vec![vec![0.0; 6], vec![0.0; 3]]);
//! let a = model.loss_and_grad(&batch, &mut fused, &mut Default::default())?;
//! let b = Reverse(model).loss_and_grad(&batch, &mut reverse, &mut Default::default())?;
//! assert!((a.loss - b.loss).abs() < 1e-12);
//! for (f, r) in fused.concat().iter().zip(reverse.concat()) {
//!     assert!((f - r).abs() < 1e-12);
//! }
//! # Ok::<(), models::Error>(())
//! ```

use std::mem;

use crate::Label;
use crate::autodiff::{self, ShapeError, Tensor, Value, Var};
use crate::error::{Error, Result};
use crate::kernels::{self, Element, U8Scale};

/// Something with named parameters, as PyTorch's `nn.Module`: the names
/// are those of its `state_dict` (`weight`, `bias`; `0.weight`, `0.bias`,
/// `2.weight`, … for layers in a sequence).
pub trait Module: Send + Sync {
    /// The element type of the parameters (`f32` or `f64`).
    type Elem: Element;

    /// The parameters by name, always in the same order.
    fn named_parameters(&self) -> Vec<(&str, &Tensor<Self::Elem>)>;

    /// The parameters by name, mutably (an optimiser updates them in
    /// place), in the order of [`Module::named_parameters`].
    fn named_parameters_mut(&mut self) -> Vec<(&str, &mut Tensor<Self::Elem>)>;

    /// The number of elements of each parameter, in order, passed to `f`
    /// one by one. The default goes through [`Module::named_parameters`];
    /// a model implements it directly when its per-step checks should not
    /// allocate.
    fn for_each_parameter_len(&self, f: &mut dyn FnMut(usize)) {
        for (_, p) in self.named_parameters() {
            f(p.numel());
        }
    }
}

/// The inputs of a whole dataset, row-major with [`Data::features`]
/// columns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Inputs<'a, T> {
    /// Real values, already scaled.
    Real(&'a [T]),
    /// Bytes (8-bit images), scaled by `scale` in the kernels that read
    /// them (see [`kernels::u8_gemm_xwt`]): no float copy of them is ever
    /// made.
    Bytes {
        /// The bytes.
        bytes: &'a [u8],
        /// How a byte becomes an input value.
        scale: U8Scale<'a, T>,
    },
}

/// The targets of a whole dataset, one per row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Targets<'a, T> {
    /// Class indices in `0..classes`.
    Classes {
        /// One class per row.
        labels: &'a [Label],
        /// The number of classes.
        classes: usize,
    },
    /// Real values (regression).
    Values(&'a [T]),
}

/// A whole dataset as a model reads it: inputs and targets, borrowed.
///
/// Invariants, checked by [`Data::new`] (in constant time, so that a view
/// can be made for every step): at least one feature, one row of inputs
/// per target, the scaling's vectors one entry per feature. Class labels
/// are checked as a batch gathers them ([`Batch::gather_classes`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Data<'a, T> {
    inputs: Inputs<'a, T>,
    features: usize,
    targets: Targets<'a, T>,
}

impl<'a, T: Element> Data<'a, T> {
    /// A dataset of `targets.len()` rows of `features` inputs.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for 0 features or 0 classes; a shape
    /// error (from [`ShapeError`]) if the inputs are not one row per
    /// target, or a standardisation's vectors not one entry per feature.
    pub fn new(inputs: Inputs<'a, T>, features: usize, targets: Targets<'a, T>) -> Result<Self> {
        const OP: &str = "Data::new";
        let zero = |arg| Error::InvalidArgument {
            op: OP,
            arg,
            value: 0.0,
            requirement: "at least 1",
        };
        if features == 0 {
            return Err(zero("features"));
        }
        let rows = match targets {
            Targets::Classes { labels, classes } => {
                if classes == 0 {
                    return Err(zero("classes"));
                }
                labels.len()
            }
            Targets::Values(y) => y.len(),
        };
        let len = match inputs {
            Inputs::Real(x) => x.len(),
            Inputs::Bytes { bytes, scale } => {
                if let U8Scale::Standardize { mean, inv_std } = scale {
                    for v in [mean, inv_std] {
                        if v.len() != features {
                            return Err(shape_error(
                                OP,
                                "the standardisation's entries vs the features",
                                &[v.len()],
                                &[features],
                            ));
                        }
                    }
                }
                bytes.len()
            }
        };
        if Some(len) != rows.checked_mul(features) {
            return Err(shape_error(
                OP,
                "the inputs vs (targets, features)",
                &[len],
                &[rows, features],
            ));
        }
        Ok(Data {
            inputs,
            features,
            targets,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self.targets {
            Targets::Classes { labels, .. } => labels.len(),
            Targets::Values(y) => y.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Inputs per row.
    pub fn features(&self) -> usize {
        self.features
    }

    /// The inputs.
    pub fn inputs(&self) -> Inputs<'a, T> {
        self.inputs
    }

    /// The targets.
    pub fn targets(&self) -> Targets<'a, T> {
        self.targets
    }

    /// The number of classes, for class targets.
    pub fn classes(&self) -> Option<usize> {
        match self.targets {
            Targets::Classes { classes, .. } => Some(classes),
            Targets::Values(_) => None,
        }
    }
}

/// Some rows of a [`Data`] (a shard of a minibatch), and the size of the
/// whole minibatch, by which each shard divides its gradient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Batch<'a, T> {
    data: Data<'a, T>,
    rows: &'a [usize],
    batch_size: usize,
}

impl<'a, T: Element> Batch<'a, T> {
    /// The rows `rows` of `data`, part of a minibatch of `batch_size` rows.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a row index outside the data or a
    /// `batch_size` smaller than the rows (or 0).
    pub fn new(data: Data<'a, T>, rows: &'a [usize], batch_size: usize) -> Result<Self> {
        const OP: &str = "Batch::new";
        let n = data.len();
        if let Some(&bad) = rows.iter().find(|&&r| r >= n) {
            return Err(Error::InvalidArgument {
                op: OP,
                arg: "rows",
                value: bad as f64,
                requirement: "a row index below the number of rows of the data",
            });
        }
        if batch_size == 0 || batch_size < rows.len() {
            return Err(Error::InvalidArgument {
                op: OP,
                arg: "batch_size",
                value: batch_size as f64,
                requirement: "at least 1 and at least the number of rows",
            });
        }
        Ok(Batch {
            data,
            rows,
            batch_size,
        })
    }

    /// The whole dataset.
    pub fn data(&self) -> &Data<'a, T> {
        &self.data
    }

    /// The rows of this batch (or shard).
    pub fn rows(&self) -> &'a [usize] {
        self.rows
    }

    /// The size of the whole minibatch.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The rows' inputs, scaled, into `x` (`rows × features`, row-major;
    /// resized, so a buffer of a batch's capacity is reused as it is).
    pub fn gather_inputs(&self, x: &mut Vec<T>) {
        let d = self.data.features;
        x.clear();
        match self.data.inputs {
            Inputs::Real(all) => {
                for &r in self.rows {
                    x.extend_from_slice(&all[r * d..r * d + d]);
                }
            }
            Inputs::Bytes { bytes, scale } => {
                for &r in self.rows {
                    let row = &bytes[r * d..r * d + d];
                    x.extend(row.iter().enumerate().map(|(j, &b)| scale.apply(b, j)));
                }
            }
        }
    }

    /// The rows' class labels as indices below `classes`, into `out`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the targets are not classes;
    /// [`Error::TargetOutOfRange`] for a label outside `0..classes`.
    pub fn gather_classes(
        &self,
        op: &'static str,
        classes: usize,
        out: &mut Vec<usize>,
    ) -> Result<()> {
        let Targets::Classes { labels, .. } = self.data.targets else {
            return Err(wrong_targets(op, "class labels"));
        };
        // The loads first, in a loop with nothing else in it, so that the
        // cache misses of rows spread over the dataset overlap; then the
        // check (a negative label becomes a huge index and fails it too).
        out.clear();
        out.extend(self.rows.iter().map(|&r| labels[r] as usize));
        match out.iter().position(|&c| c >= classes) {
            None => Ok(()),
            Some(k) => {
                let index = self.rows[k];
                Err(Error::TargetOutOfRange {
                    op,
                    index,
                    target: labels[index],
                    classes,
                })
            }
        }
    }

    /// The rows' real targets, into `out`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the targets are class labels.
    pub fn gather_values(&self, op: &'static str, out: &mut Vec<T>) -> Result<()> {
        let Targets::Values(y) = self.data.targets else {
            return Err(wrong_targets(op, "real values"));
        };
        out.clear();
        out.extend(self.rows.iter().map(|&r| y[r]));
        Ok(())
    }
}

/// A label as an index below `classes`, if it is one.
pub(crate) fn class_index(label: Label, classes: usize) -> Option<usize> {
    usize::try_from(label).ok().filter(|&c| c < classes)
}

fn wrong_targets(op: &'static str, needed: &'static str) -> Error {
    Error::InvalidArgument {
        op,
        arg: "targets",
        value: f64::NAN,
        requirement: needed,
    }
}

/// The one shape error of the workspace, as this crate's error.
pub(crate) fn shape_error(op: &'static str, what: &'static str, l: &[usize], r: &[usize]) -> Error {
    Error::from(autodiff::Error::from(ShapeError::new(op, what, l, r)))
}

/// What [`Model::loss_and_grad`] and [`Model::evaluate`] return for a
/// batch (or shard).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sums {
    /// The loss summed over the rows, in `f64`.
    pub loss: f64,
    /// Classifiers: the rows whose first largest output is the label.
    pub correct: Option<usize>,
}

/// A model a trainer can train: named parameters, and the loss and
/// gradients of a batch into buffers the caller owns.
pub trait Model: Module {
    /// Scratch buffers reused from step to step (one per shard, so that
    /// shards run in parallel).
    type Workspace: Default + Send;

    /// Checks that the model fits `data` (its inputs, and its classes or
    /// its single output).
    ///
    /// # Errors
    /// A shape error naming both sizes, or [`Error::InvalidArgument`] for
    /// targets of the wrong kind.
    fn check(&self, data: &Data<'_, Self::Elem>) -> Result<()>;

    /// The loss of the batch's rows summed, and the gradient of that sum
    /// divided by [`Batch::batch_size`], written into `grads` (one buffer
    /// per parameter, in [`Module::named_parameters`] order, each the
    /// parameter's size; overwritten).
    ///
    /// # Errors
    /// As [`Model::check`]; a shape error if `grads` does not fit the
    /// parameters; [`Error::TargetOutOfRange`] for a bad label.
    fn loss_and_grad(
        &self,
        batch: &Batch<'_, Self::Elem>,
        grads: &mut [Vec<Self::Elem>],
        workspace: &mut Self::Workspace,
    ) -> Result<Sums>;

    /// The loss of the batch's rows summed (and, for a classifier, the
    /// number classified correctly), with no gradient.
    ///
    /// # Errors
    /// As [`Model::loss_and_grad`].
    fn evaluate(
        &self,
        batch: &Batch<'_, Self::Elem>,
        workspace: &mut Self::Workspace,
    ) -> Result<Sums>;
}

/// Checks that `grads` has one buffer per parameter of `m`, of its size.
pub(crate) fn check_grads<M: Module + ?Sized>(
    op: &'static str,
    m: &M,
    grads: &[Vec<M::Elem>],
) -> Result<()> {
    // Checked on every step: no allocation unless there is an error.
    let (mut i, mut fits) = (0, true);
    m.for_each_parameter_len(&mut |len| {
        fits &= grads.get(i).is_some_and(|g| g.len() == len);
        i += 1;
    });
    if !fits || i != grads.len() {
        let params = m.named_parameters();
        let sizes: Vec<usize> = params.iter().map(|(_, p)| p.numel()).collect();
        let given: Vec<usize> = grads.iter().map(Vec::len).collect();
        return Err(shape_error(
            op,
            "the gradient buffers vs the parameters",
            &given,
            &sizes,
        ));
    }
    Ok(())
}

/// The per-sample loss of a [`Net`], summed over a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Criterion {
    /// Cross-entropy of the outputs (logits, `(N, C)`) against class
    /// labels: `logsumexp(o) − o[y]` per row, PyTorch's
    /// `CrossEntropyLoss(reduction='sum')`.
    CrossEntropy,
    /// The book's squared loss `½(ŷ − y)²` of a single output (`(N, 1)` or
    /// `(N)`) against real targets: PyTorch's
    /// `MSELoss(reduction='sum')` halved.
    HalfSquaredError,
}

/// The targets of some rows, gathered for a [`Criterion`].
enum Gathered<'a, T: Element> {
    Classes(&'a [usize]),
    Values(&'a Tensor<T>),
}

impl Criterion {
    /// The loss summed over the rows of `out`.
    fn sum<V: Value>(self, out: &V, targets: &Gathered<'_, V::Elem>) -> Result<V> {
        const OP: &str = "Criterion";
        let n = out.shape().dims().first().copied().unwrap_or(0);
        match (self, targets) {
            (Criterion::CrossEntropy, Gathered::Classes(labels)) => {
                if out.shape().rank() != 2 || n != labels.len() {
                    return Err(shape_error(
                        OP,
                        "the outputs vs (labels, classes)",
                        out.shape().dims(),
                        &[
                            labels.len(),
                            out.shape().dims().last().copied().unwrap_or(0),
                        ],
                    ));
                }
                Ok(out.log_softmax()?.gather(labels)?.sum()?.neg()?)
            }
            (Criterion::HalfSquaredError, Gathered::Values(y)) => {
                if out.numel() != y.numel() || n != y.numel() {
                    return Err(shape_error(
                        OP,
                        "the outputs vs the targets",
                        out.shape().dims(),
                        &[y.numel(), 1],
                    ));
                }
                let r = out.reshape([n])?.sub(&V::constant((*y).clone()))?;
                Ok(r.square()?.sum()?.mul_scalar(0.5)?)
            }
            (Criterion::CrossEntropy, _) => Err(wrong_targets(OP, "class labels")),
            (Criterion::HalfSquaredError, _) => Err(wrong_targets(OP, "real values")),
        }
    }
}

/// A network written once against [`Value`]: its forward pass runs on
/// plain tensors, on forward-mode duals and on reverse-mode variables.
/// [`Reverse`] makes it a [`Model`] whose gradients come from `backward`.
pub trait Net: Module {
    /// Inputs per sample.
    fn in_features(&self) -> usize;

    /// Outputs per sample (the classes of a classifier, 1 for a
    /// regression).
    fn out_features(&self) -> usize;

    /// The per-sample loss it is trained on.
    fn criterion(&self) -> Criterion;

    /// The outputs `(N, out_features)` for inputs `x` `(N, in_features)`,
    /// with the parameters `params` (values for the tensors of
    /// [`Module::named_parameters`], in that order).
    ///
    /// # Errors
    /// Whatever the ops report.
    fn forward<V: Value<Elem = Self::Elem>>(&self, params: &[V], x: &V) -> Result<V>;
}

/// A [`Net`] trained by reverse mode: each parameter becomes a [`Var`]
/// leaf sharing the parameter's storage (no copy), the shard's rows are
/// gathered into a reused buffer that is moved into a tensor and taken
/// back after `backward`, and the leaves' gradients are written into the
/// caller's buffers.
#[derive(Clone, Debug, PartialEq)]
pub struct Reverse<N>(pub N);

/// The buffers [`Reverse`] reuses from step to step.
#[derive(Debug)]
pub struct ReverseWorkspace<T> {
    x: Vec<T>,
    y: Vec<T>,
    labels: Vec<usize>,
}

impl<T> Default for ReverseWorkspace<T> {
    fn default() -> Self {
        ReverseWorkspace {
            x: Vec::new(),
            y: Vec::new(),
            labels: Vec::new(),
        }
    }
}

impl<N: Net> Module for Reverse<N> {
    type Elem = N::Elem;

    fn named_parameters(&self) -> Vec<(&str, &Tensor<N::Elem>)> {
        self.0.named_parameters()
    }

    fn named_parameters_mut(&mut self) -> Vec<(&str, &mut Tensor<N::Elem>)> {
        self.0.named_parameters_mut()
    }
}

impl<N: Net> Reverse<N> {
    /// Runs `f` on the batch's inputs as an `(N, d)` tensor and its targets
    /// as a [`Criterion`] takes them, then puts the buffers back into `ws`.
    fn with_batch<R>(
        &self,
        op: &'static str,
        batch: &Batch<'_, N::Elem>,
        ws: &mut ReverseWorkspace<N::Elem>,
        f: impl FnOnce(Tensor<N::Elem>, &Gathered<'_, N::Elem>) -> Result<(R, Tensor<N::Elem>)>,
    ) -> Result<R> {
        let (n, d) = (batch.rows().len(), batch.data().features());
        batch.gather_inputs(&mut ws.x);
        let x = Tensor::from_vec(mem::take(&mut ws.x), [n, d])?;
        let (result, x) = match self.0.criterion() {
            Criterion::CrossEntropy => {
                batch.gather_classes(op, self.0.out_features(), &mut ws.labels)?;
                f(x, &Gathered::Classes(&ws.labels))?
            }
            Criterion::HalfSquaredError => {
                batch.gather_values(op, &mut ws.y)?;
                let y = Tensor::from_vec(mem::take(&mut ws.y), [n])?;
                let out = f(x, &Gathered::Values(&y))?;
                ws.y = y.into_vec();
                out
            }
        };
        ws.x = x.into_vec();
        Ok(result)
    }

    /// The rows whose first largest output is the label.
    fn correct(&self, out: &Tensor<N::Elem>, targets: &Gathered<'_, N::Elem>) -> Option<usize> {
        let Gathered::Classes(labels) = targets else {
            return None;
        };
        let q = self.0.out_features().max(1);
        Some(
            out.as_slice()
                .chunks_exact(q)
                .zip(labels.iter())
                .filter(|&(row, &y)| kernels::argmax(row) == Some(y))
                .count(),
        )
    }
}

impl<N: Net> Model for Reverse<N> {
    type Workspace = ReverseWorkspace<N::Elem>;

    fn check(&self, data: &Data<'_, N::Elem>) -> Result<()> {
        check_net(&self.0, data)
    }

    fn loss_and_grad(
        &self,
        batch: &Batch<'_, N::Elem>,
        grads: &mut [Vec<N::Elem>],
        workspace: &mut Self::Workspace,
    ) -> Result<Sums> {
        const OP: &str = "Reverse::loss_and_grad";
        check_grads(OP, self, grads)?;
        check_net(&self.0, batch.data())?;
        let inv_batch = 1.0 / batch.batch_size() as f64;
        self.with_batch(OP, batch, workspace, |x, targets| {
            let leaves: Vec<Var<Tensor<N::Elem>>> = self
                .named_parameters()
                .into_iter()
                .map(|(_, p)| Var::leaf(p.clone()))
                .collect();
            let xv = Var::new(x);
            let out = self.0.forward(&leaves, &xv)?;
            let sum = self.0.criterion().sum(&out, targets)?;
            let loss = sum.tensor().item()?.to_f64();
            sum.mul_scalar(inv_batch)?.backward()?;
            let correct = self.correct(out.value(), targets);
            for (leaf, g) in leaves.iter().zip(grads.iter_mut()) {
                match leaf.take_grad() {
                    Some(t) => g.copy_from_slice(t.as_slice()),
                    None => g.fill(N::Elem::ZERO),
                }
            }
            // Free the graph, so that the inputs' buffer goes back unshared
            // and the parameters are again the only owners of theirs.
            drop((sum, out, leaves));
            let x = xv.value().clone();
            drop(xv);
            Ok((Sums { loss, correct }, x))
        })
    }

    fn evaluate(
        &self,
        batch: &Batch<'_, N::Elem>,
        workspace: &mut Self::Workspace,
    ) -> Result<Sums> {
        const OP: &str = "Reverse::evaluate";
        check_net(&self.0, batch.data())?;
        self.with_batch(OP, batch, workspace, |x, targets| {
            let params: Vec<Tensor<N::Elem>> = self
                .named_parameters()
                .into_iter()
                .map(|(_, p)| p.clone())
                .collect();
            let out = self.0.forward(&params, &x)?;
            let loss = self.0.criterion().sum(&out, targets)?.item()?.to_f64();
            let correct = self.correct(&out, targets);
            drop((out, params));
            Ok((Sums { loss, correct }, x))
        })
    }
}

/// The checks of [`Model::check`] for a [`Net`].
pub(crate) fn check_net<N: Net>(net: &N, data: &Data<'_, N::Elem>) -> Result<()> {
    const OP: &str = "Model::check";
    if data.features() != net.in_features() {
        return Err(shape_error(
            OP,
            "the model's inputs vs the data's features",
            &[net.in_features()],
            &[data.features()],
        ));
    }
    match (net.criterion(), data.targets()) {
        (Criterion::CrossEntropy, Targets::Classes { classes, .. }) => {
            if classes != net.out_features() {
                return Err(shape_error(
                    OP,
                    "the model's classes vs the data's classes",
                    &[net.out_features()],
                    &[classes],
                ));
            }
        }
        (Criterion::HalfSquaredError, Targets::Values(_)) => {
            if net.out_features() != 1 {
                return Err(shape_error(
                    OP,
                    "the model's outputs vs one target per sample",
                    &[net.out_features()],
                    &[1],
                ));
            }
        }
        (Criterion::CrossEntropy, _) => return Err(wrong_targets(OP, "class labels")),
        (Criterion::HalfSquaredError, _) => return Err(wrong_targets(OP, "real values")),
    }
    Ok(())
}

/// `linear(x, W, b)` with the parameters given as values (`[W]` or
/// `[W, b]`): the forward pass of a one-layer model as a [`Net`].
pub(crate) fn linear_of<V: Value>(op: &'static str, params: &[V], x: &V, bias: bool) -> Result<V> {
    match (params, bias) {
        ([w], false) => crate::linear(x, w, None),
        ([w, b], true) => crate::linear(x, w, Some(b)),
        _ => Err(shape_error(
            op,
            "the parameter values given vs the model's parameters",
            &[params.len()],
            &[1 + usize::from(bias)],
        )),
    }
}

/// [`Module`] and [`Net`] for a model that is one [`crate::Linear`] layer
/// (its field `linear`) trained on `criterion`: the parameters are the
/// layer's (`weight`, then `bias` if there is one), the forward pass
/// `x·Wᵀ + b`.
macro_rules! one_layer_model {
    ($model:ident, $criterion:expr) => {
        impl<T: Element> $crate::Module for $model<T> {
            type Elem = T;

            /// `weight` `(out, in)`, then `bias` `(out)` if there is one.
            fn named_parameters(&self) -> Vec<(&str, &$crate::autodiff::Tensor<T>)> {
                self.linear.parameters()
            }

            fn named_parameters_mut(&mut self) -> Vec<(&str, &mut $crate::autodiff::Tensor<T>)> {
                self.linear.parameters_mut()
            }

            fn for_each_parameter_len(&self, f: &mut dyn FnMut(usize)) {
                f(self.linear.weight.numel());
                if let Some(b) = &self.linear.bias {
                    f(b.numel());
                }
            }
        }

        impl<T: Element> $crate::Net for $model<T> {
            fn in_features(&self) -> usize {
                self.linear.in_features()
            }

            fn out_features(&self) -> usize {
                self.linear.out_features()
            }

            fn criterion(&self) -> $crate::Criterion {
                $criterion
            }

            fn forward<V: $crate::autodiff::Value<Elem = T>>(
                &self,
                params: &[V],
                x: &V,
            ) -> $crate::Result<V> {
                $crate::model::linear_of(
                    concat!(stringify!($model), "::forward"),
                    params,
                    x,
                    self.linear.bias.is_some(),
                )
            }
        }
    };
}
pub(crate) use one_layer_model;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SoftmaxRegression;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    /// Reverse mode moves the gathered rows into a tensor and takes the
    /// same buffer back after `backward`: the second step finds it where
    /// the first left it (a copy would be a new allocation).
    #[test]
    fn reverse_mode_reuses_its_input_buffer() {
        let model = SoftmaxRegression::<f64>::new(3, 2, &mut StdRng::seed_from_u64(0)).unwrap();
        let x = [0.5, -1.0, 2.0, 0.25, -0.5, 1.5, 1.0, 0.0, -2.0];
        let labels = [1, 0, 1];
        let targets = Targets::Classes {
            labels: &labels,
            classes: 2,
        };
        let data = Data::new(Inputs::Real(&x), 3, targets).unwrap();
        let batch = Batch::new(data, &[2, 0, 1], 3).unwrap();
        let reverse = Reverse(model);
        let mut ws = ReverseWorkspace::default();
        let mut grads = vec![vec![0.0; 6], vec![0.0; 2]];
        reverse.loss_and_grad(&batch, &mut grads, &mut ws).unwrap();
        let first = ws.x.as_ptr();
        assert_eq!(ws.x.len(), 9);
        reverse.loss_and_grad(&batch, &mut grads, &mut ws).unwrap();
        assert_eq!(ws.x.as_ptr(), first);
        reverse.evaluate(&batch, &mut ws).unwrap();
        assert_eq!(ws.x.as_ptr(), first);
    }
}
