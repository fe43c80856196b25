#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod check;
mod dual;
mod error;
mod functional;
mod operators;
pub mod ops;
mod shape;
mod tensor;
mod value;
mod var;

pub use check::{Function, GradCheck, Tolerance, check_grads, check_grads_with};
pub use dual::Dual;
pub use error::{Error, Result, ShapeError};
pub use functional::{
    Linearized, grad, hessian, hvp, jacfwd, jacfwd_chunked, jacrev, jvp, jvp_batched, linearize,
    value_and_grad, vjp, vjp_batched,
};
pub use kernels;
pub use kernels::Element;
pub use ops::Index;
/// The random-number crate of every RNG-taking API here, re-exported so
/// that a user needs no version of their own.
pub use rand;
pub use shape::Shape;
pub use tensor::{IntoShape, Tensor};
pub use value::Value;
pub use var::{Var, is_grad_enabled, no_grad};
