//! Linear layers, linear and softmax regression, the `torch.nn` losses and the
//! `torch.nn.init` initialisers, over the tensors of [`autodiff`].
//!
//! - [`Linear`] (and its functional form [`linear()`]): PyTorch's `nn.Linear`,
//!   `y = x·Wᵀ + b`, initialised exactly as PyTorch does it, from a seeded RNG.
//! - [`LinearRegression`], with the exact least-squares fit
//!   [`LinearRegression::fit_closed_form`]; [`SoftmaxRegression`] with
//!   probabilities, predictions, accuracy and its training loss; [`one_hot`].
//! - [`Model`]: what a trainer needs of a model (named parameters, the loss
//!   and gradients of a batch into caller-owned buffers). The two linear
//!   models implement it with fused gradients; any network written against
//!   [`autodiff::Value`] ([`Net`]) gets it by reverse mode ([`Reverse`]).
//! - [`losses`]: the `torch.nn` losses, generic over [`autodiff::Value`], so each
//!   is differentiable in forward and in reverse mode; class-index targets
//!   are [`Label`]s with their shape ([`Labels`]).
//! - [`init`]: the `torch.nn.init` initialisers.
//!
//! Every user-facing mistake (a bad shape, a class index out of range, a
//! probability outside `[0, 1]`, a singular system) is a typed [`Error`]; a
//! shape that does not fit is [`Error::Shape`], holding the workspace's one
//! [`ShapeError`], whichever layer found it.

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub use autodiff;
pub use autodiff::{rand, seeded};

/// A class label: the one type of class indices in every crate of the
/// workspace (PyTorch's `int64`, so that `ignore_index = -100` is a label
/// like any other).
pub type Label = i64;
pub(crate) use autodiff::kernels;

mod error;
pub mod init;
mod labels;
mod linalg;
mod linear;
mod linreg;
pub mod losses;
mod model;
mod softmax_reg;

pub use autodiff::ShapeError;
pub use error::{Error, Result};
pub use labels::{ClassIndices, Labels};
pub use linear::{Linear, linear};
pub use linreg::{LinRegWorkspace, LinearRegression};
pub use model::{
    Batch, Criterion, Data, Inputs, Model, Module, Net, Reverse, ReverseWorkspace, Sums, Targets,
};
pub use softmax_reg::{SoftmaxRegression, SoftmaxWorkspace, one_hot, softmax_regression_loss};

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
