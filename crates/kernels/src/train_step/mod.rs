//! The kernels of a linear model's training step, as slice functions:
//!
//! - [`u8_gemm_xwt`] and [`u8_gemm_gtx`]: `Y = X·Wᵀ + b` and `∂W ← β·∂W + Gᵀ·X`
//!   where `X` is a subset of the rows of an 8-bit image set, named by
//!   indices and converted in registers (and scaled, [`U8Scale`]), so a
//!   shuffled minibatch is never copied to floats;
//! - [`softmax_xent`]: softmax cross-entropy forward and backward for rows
//!   of any length, fused with the count of rows whose first largest logit
//!   is the target;
//! - [`sgd_update`]: one `torch.optim.SGD` step over a parameter slice;
//! - [`lsq_grad`]: the batch gradient of the squared loss of a linear model
//!   with one output (the book's linear regression), over rows named by
//!   index.
//!
//! Each is written once over the crate's vector abstraction and runs on the
//! path [`isa()`](crate::isa()) chooses, or on an explicit one through the
//! `Isa::…` methods ([`Isa::Portable16`](crate::Isa::Portable16) among them,
//! so that the AVX-512 lane count's blocking and tails are tested on any
//! CPU).
//!
//! None of these kernels splits its work across threads, and none depends
//! on anything but its inputs and the path: the same call gives the same
//! bits every time.

mod lsq;
mod sgd;
mod u8gemm;
mod xent;

pub use lsq::{LsqSums, lsq_grad};
pub use sgd::{MomentumBuffer, SgdHyper, sgd_update};
pub use u8gemm::{U8Scale, u8_gemm_gtx, u8_gemm_xwt};
pub use xent::{XentSums, softmax_xent};

use crate::element::{Dtype, Element};

/// Whether `T` is `f32` (else it is `f64`).
#[inline]
fn is_f32<T: Element>() -> bool {
    T::DTYPE == Dtype::F32
}
