//! SIMD CPU kernels for `f32` and `f64`: slices in, slices out.
//!
//! - [`matmul`] / [`gemm()`]: `C ← α·A·B + β·C`, packed and cache-blocked in the
//!   BLIS style, with register-tile microkernels for AVX-512 and AVX2+FMA
//!   chosen at run time and a portable path for every other CPU.
//! - [`exp()`]: vectorised `eˣ` within 2 ULP.
//! - [`softmax_rows`], [`log_softmax_rows`], [`logsumexp_rows`]: stable row-wise
//!   softmax family.
//! - [`sum`], [`dot`], [`max`], [`argmax`], [`col_sums`], [`row_sums`],
//!   [`axpy`], [`scale`]: reductions and level-1 helpers.
//! - The training step of a linear model ([`train_step`]): [`u8_gemm_xwt`]
//!   and [`u8_gemm_gtx`] on 8-bit image rows named by indices,
//!   [`softmax_xent`] (softmax cross-entropy forward, backward and correct
//!   count), [`sgd_update`] and [`lsq_grad`] (the squared-loss gradient of
//!   the book's linear regression); [`advise_huge_pages`] for the image set
//!   they read from.
//!
//! The instruction-set path is chosen once ([`isa()`]); `KERNELS_ISA` forces one.

#![warn(missing_docs)]

mod caches;
mod element;
mod exp;
#[cfg(feature = "asm-check-fixture")]
mod fixture;
pub mod gemm;
mod isa;
mod memory;
mod mono;
mod reduce;
mod simd;
mod softmax;
pub mod train_step;

pub use caches::{Cache, Caches, caches};
pub use element::{Dtype, Element};
pub use exp::{exp, exp_inplace};
#[cfg(feature = "asm-check-fixture")]
pub use fixture::asm_check_fixture;
pub use gemm::{MatMut, MatRef, gemm, matmul};
pub use isa::{Isa, IsaError, isa, try_isa};
pub use memory::advise_huge_pages;
#[doc(hidden)]
pub use mono::instantiate;
pub use reduce::{argmax, axpy, col_sums, dot, max, row_sums, scale, sum};
pub use softmax::{
    log_softmax_rows, log_softmax_rows_inplace, logsumexp_rows, softmax_rows, softmax_rows_inplace,
};
pub use train_step::{
    LsqSums, MomentumBuffer, SgdHyper, U8Scale, XentSums, lsq_grad, sgd_update, softmax_xent,
    u8_gemm_gtx, u8_gemm_xwt,
};

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
