//! The kernels of a linear model's training step, as slice functions:
//!
//! - [`u8_gemm_xwt`] and [`u8_gemm_gtx`]: `Y = X·Wᵀ + b` and `∂W ← β·∂W + Gᵀ·X`
//!   where `X` is a subset of the rows of an 8-bit image set, named by
//!   indices and converted in registers (and scaled, [`U8Scale`]), so a
//!   shuffled minibatch is never copied to floats;
//! - [`softmax_xent`]: softmax cross-entropy forward and backward for rows
//!   of any length, fused with the count of rows whose first largest logit
//!   is the target;
//! - [`sgd_update`]: one `torch.optim.SGD` step over a parameter slice.
//!
//! Each is written once over the crate's vector abstraction and runs on the
//! path [`isa()`](crate::isa()) chooses, or on an explicit one through the
//! `Isa::…` methods or [`StepPath`] (which adds a portable path with the
//! AVX-512 lane count, so that lane count's blocking and tails are tested on
//! any CPU).
//!
//! None of these kernels splits its work across threads, and none depends
//! on anything but its inputs and the path: the same call gives the same
//! bits every time.

mod sgd;
mod u8gemm;
mod xent;

pub use sgd::{MomentumBuffer, SgdHyper, sgd_update};
pub use u8gemm::{U8Scale, u8_gemm_gtx, u8_gemm_xwt};
pub use xent::{XentSums, softmax_xent};

use crate::element::{Dtype, Element};
use crate::isa::Isa;
use crate::simd::{Elem, Kernel, dispatch, dispatch_portable16};

/// The vector code a training-step kernel runs on: one of the CPU's paths,
/// or the portable code with 16 `f32` / 8 `f64` lanes (the AVX-512 lane
/// count; slower than [`Isa::Portable`], meant for tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepPath {
    /// The path of this instruction set.
    Isa(Isa),
    /// Portable code with the AVX-512 lane count.
    Portable16,
}

impl StepPath {
    /// Every path this CPU can run: [`Isa::available`], then
    /// [`StepPath::Portable16`].
    pub fn available() -> Vec<StepPath> {
        let mut v: Vec<StepPath> = Isa::available().into_iter().map(StepPath::Isa).collect();
        v.push(StepPath::Portable16);
        v
    }
}

impl From<Isa> for StepPath {
    fn from(isa: Isa) -> Self {
        StepPath::Isa(isa)
    }
}

impl core::fmt::Display for StepPath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StepPath::Isa(i) => i.fmt(f),
            StepPath::Portable16 => f.write_str("portable16"),
        }
    }
}

/// Runs `k` on `path`.
///
/// # Panics
/// If this CPU does not support the path.
#[inline]
fn run<E: Elem, K: Kernel<E>>(path: StepPath, k: K) -> K::Out {
    match path {
        StepPath::Isa(isa) => dispatch(isa, k),
        StepPath::Portable16 => dispatch_portable16(k),
    }
}

/// Whether `T` is `f32` (else it is `f64`).
#[inline]
fn is_f32<T: Element>() -> bool {
    T::DTYPE == Dtype::F32
}
