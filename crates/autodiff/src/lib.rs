#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod check;
mod dual;
mod error;
mod functional;
mod mono;
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
#[doc(hidden)]
pub use mono::instantiate;
pub use ops::Index;
/// The random-number crate of every RNG-taking API here, re-exported so
/// that a user needs no version of their own.
pub use rand;
pub use shape::Shape;
pub use tensor::{IntoShape, Tensor};
pub use value::Value;
pub use var::{Var, is_grad_enabled, no_grad};

/// The seeded random-number generator of the workspace:
/// `StdRng::seed_from_u64(seed)`.
///
/// Every API that draws random numbers takes `rng: &mut R` (any
/// [`rand::Rng`]) as its last argument; this helper is the one way the
/// crates, their examples and their tests make a reproducible one, so a
/// seed names the same numbers everywhere (`models` and `train` re-export
/// it). The stream is `rand`'s `StdRng`, fixed for a given `rand` release.
///
/// ```
/// use autodiff::{Tensor, seeded};
/// let mut rng = seeded(42);
/// let w = Tensor::<f32>::rand_uniform([3, 2], -0.5, 0.5, &mut rng)?;
/// let b = Tensor::<f32>::rand_uniform([3], -0.5, 0.5, &mut rng)?; // the stream goes on
/// assert_eq!(w, Tensor::rand_uniform([3, 2], -0.5, 0.5, &mut seeded(42))?);
/// assert_ne!(b.as_slice(), &w.as_slice()[..3]);
/// # Ok::<(), autodiff::Error>(())
/// ```
pub fn seeded(seed: u64) -> rand::rngs::StdRng {
    use rand::SeedableRng;
    rand::rngs::StdRng::seed_from_u64(seed)
}
